//! Prometheus exposition of a tachymeter-core registry.
//!
//! - [`PrometheusExporter`] renders a registry in the Prometheus text
//!   format 0.0.4 or OpenMetrics 1.0 ([`Format`]): valid and unique names,
//!   escaped label values and HELP, counters as `_total`, timers and
//!   histograms as histograms (timers in seconds) with [`Buckets`] chosen
//!   by unit or per metric ([`Select`]) at export time, or as summaries
//!   if asked.
//! - With the `protobuf` feature (on by default),
//!   [`PrometheusExporter::render_protobuf`] gives Prometheus' protobuf
//!   exposition, where histograms and timers are native histograms
//!   ([`NativeHistograms`]): exponential buckets that Prometheus adds up
//!   across instances, so a fleet's p99 is one PromQL query.
//! - [`PrometheusExporter::service`] is a Tower service for `GET /metrics`
//!   that picks the format from `Accept`, for an axum router
//!   (`Router::route_service`) or a listener of its own, with a bound on
//!   concurrent scrapes.
//! - With the `server` feature, `PrometheusExporter::serve` serves
//!   `GET /metrics` on an address of its own, for services without a web
//!   framework (and `PrometheusExporter::server` other routes beside it,
//!   such as a JSON snapshot or a dashboard page).
//! - With the `push` feature, `Pushgateway` pushes to a Prometheus
//!   Pushgateway, once or every interval.
//!
//! ```
//! use tachymeter_core::Registry;
//! use tachymeter_prometheus::{Format, PrometheusExporter};
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! registry.timer("get-book")?.update(Duration::from_millis(3));
//! let exporter = PrometheusExporter::new(&registry);
//! let text = exporter.render(Format::Text);
//! assert!(text.contains("get_book_seconds_count 1\n"));
//! assert!(text.contains("get_book_seconds_bucket{le=\"0.005\"} 1\n"));
//! # Ok::<(), tachymeter_core::RegistryError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod buckets;
mod builder;
mod exporter;
mod format;
mod names;
mod native;
mod plan;
#[cfg(feature = "protobuf")]
mod proto;
#[cfg(feature = "protobuf")]
mod protobuf;
#[cfg(feature = "push")]
mod push;
#[cfg(feature = "server")]
mod server;
mod service;
mod status;
mod text;
mod write;

pub use buckets::{Buckets, Select, DURATION_BOUNDS};
pub use builder::PrometheusExporterBuilder;
pub use exporter::{PrometheusExporter, DEFAULT_QUANTILES};
pub use format::Format;
pub use native::NativeHistograms;
#[cfg(feature = "protobuf")]
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
pub use protobuf::PROTOBUF_CONTENT_TYPE;
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub use push::{PushEncoder, PushError, Pushgateway};
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub use server::{MetricsServer, MetricsServerBuilder};
pub use service::PrometheusService;
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::RenderService;
#[cfg(feature = "push")]
#[cfg_attr(docsrs, doc(cfg(feature = "push")))]
pub use tachymeter_report::{BuildError, Http, PeriodicReporter, Push, ReportError};
