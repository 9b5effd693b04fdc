//! Pushes a registry to Graphite, go-metrics' `graphite.Graphite`: every
//! interval, each metric's numbers as carbon plaintext lines
//! (`prefix.name.count 42 1700000000`) over one TCP connection, with
//! go-metrics' paths, optionally with Graphite 1.1 tags.
//!
//! ```no_run
//! use metrics_core::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let reporter = metrics_graphite::GraphiteReporter::builder("carbon.internal:2003")
//!     .prefix("app")
//!     .start(&registry, Duration::from_secs(10))?;
//! # Ok::<(), metrics_report::ReportError>(())
//! ```
//!
//! - [`Format`] turns a [`RegistrySnapshot`](metrics_core::RegistrySnapshot)
//!   into lines, a pure function: the paths, how hostile names and labels
//!   are made safe, and what happens to NaN are documented there.
//! - [`GraphiteReporter`] writes them through
//!   [`metrics_report::TcpSender`], every connection attempt and write
//!   bounded by a timeout, with backoff, and counts its own failures in the
//!   registry; [`GraphiteReporterBuilder::start`] runs it on a
//!   [`metrics_report::PeriodicReporter`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encode;
mod path;
mod reporter;

pub use encode::{Encoded, Format};
pub use metrics_report::DurationUnit;
pub use path::{MAX_PATH_LEN, MAX_SEGMENT_LEN};
pub use reporter::{GraphiteReporter, GraphiteReporterBuilder, DEFAULT_TIMEOUT};
