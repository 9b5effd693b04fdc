//! What every reporter shares.
//!
//! - [`Report`]: turns a [`RegistrySnapshot`](tachymeter_core::RegistrySnapshot)
//!   into output (a log, a push to a server). Reporters never touch the
//!   recording path: they read snapshots.
//! - [`PeriodicReporter`]: runs a [`Report`] every interval on its own
//!   thread. A report that fails or panics is logged and counted and the
//!   schedule goes on; a slow report skips the ticks it missed (and counts
//!   them) instead of catching up; stopping it, or dropping it, sends one
//!   final report within a bounded time.
//! - [`fields`]: the numbers of a metric named the go-metrics way
//!   (`count`, `std-dev`, `99-percentile`, `m1`, …), for push reporters.
//! - [`PushSettings`]: what every push reporter's builder shares (name,
//!   timeout, backoff), its own counters and its start.
//! - [`SeriesNames`]: each series' wire name, settled once and kept for
//!   the registry's life, so that no two metrics ever share a series.
//! - [`TcpSender`]: a persistent TCP connection for line protocols, with
//!   bounded attempts and reconnection backoff; [`LineSender`] sends lines
//!   over it and counts what became of each.
//! - `RenderService` (feature `http`): a Tower service that renders the
//!   registry on each request, for `GET /metrics` and the like, with a
//!   bound on concurrent renders.
//!
//! ```
//! use tachymeter_core::{Registry, RegistrySnapshot};
//! use tachymeter_report::{PeriodicReporter, Report, ReportError};
//! use std::time::Duration;
//!
//! struct PrintCount;
//!
//! impl Report for PrintCount {
//!     fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
//!         println!("{} metrics", snapshot.metrics.len());
//!         Ok(())
//!     }
//! }
//!
//! let registry = Registry::new();
//! let reporter = PeriodicReporter::builder(&registry, Duration::from_secs(10))
//!     .name("print")
//!     .start(PrintCount)?;
//! // ... the application runs ...
//! let outcome = reporter.stop(); // one final report
//! assert!(outcome.final_report_sent);
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod fields;
#[cfg(feature = "http")]
mod http;
mod lines;
mod names;
mod periodic;
mod push;
mod quiet;
mod report;
mod schedule;
mod tcp;
mod write;

pub use fields::{fields, DurationUnit, Field, Fields, Stat, Value, QUANTILES};
#[cfg(feature = "http")]
pub use http::{Body, Render, RenderService, Rendered};
pub use lines::LineSender;
pub use names::{numbered_name, Proposal, SeriesNames, Settled, MAX_RETIRED_NAMES};
pub use periodic::{
    own_metric_name, PeriodicReporter, PeriodicReporterBuilder, StopOutcome, DEFAULT_TIMEOUT,
};
pub use push::PushSettings;
pub use quiet::Quiet;
pub use report::{Report, ReportError};
pub use schedule::{Due, Schedule, MAX_WAIT};
pub use tcp::{SendError, Sent, TcpSender, INITIAL_BACKOFF, MAX_BACKOFF};
pub use write::{cut_line, write_counting};
