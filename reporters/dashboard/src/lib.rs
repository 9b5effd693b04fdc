//! A live page of a registry's metrics, for a laptop or a debug port: for
//! each timer and histogram, its rate and p50 / p99 / p99.9 over the last
//! 15 minutes as line plots and its current distribution; for counters and
//! meters, their rates; for gauges, their values; filterable by name.
//!
//! [`Dashboard`] samples the registry on a thread of its own into a
//! bounded history and serves the page as a Tower service, one line in
//! axum. Everything the page needs is in it (no CDN, works offline); it
//! polls for new points every sample interval and follows the browser's
//! light or dark mode.
//!
//! ```
//! use axum::Router;
//! use tachymeter_core::Registry;
//! use tachymeter_dashboard::Dashboard;
//!
//! let registry = Registry::new();
//! let dashboard = Dashboard::start(&registry)?;
//! let app: Router = Router::new().route_service("/debug/dashboard", dashboard.service());
//! # Ok::<(), tachymeter_dashboard::ReportError>(())
//! ```
//!
//! # What the page reads
//!
//! `GET <route>?data&after=N` answers JSON: the samples after the `N`th
//! (their times, and each series' points: a timer's or histogram's rate
//! and p50, p99 and p99.9 of the values recorded in that interval alone; a
//! counter's or meter's rate; a gauge's value) and every series' current
//! values (count, rates, and the recent window's percentiles, as in its
//! snapshot). Scripts may read it too; its fields may grow.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dashboard;
mod data;
mod history;
mod page;

pub use dashboard::{
    Dashboard, DashboardBuilder, DashboardRender, DEFAULT_HISTORY, DEFAULT_INTERVAL, MAX_SAMPLES,
    MAX_SAMPLES_PER_ANSWER,
};
pub use tachymeter_report::{ReportError, StopOutcome};
