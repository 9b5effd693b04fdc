//! Pushes a registry to Graphite, go-metrics' `graphite.Graphite`: every
//! interval, each metric's numbers as carbon plaintext lines
//! (`prefix.name.count 42 1700000000`) over one TCP connection, with
//! go-metrics' paths, optionally with Graphite 1.1 tags.
//!
//! ```no_run
//! use tachymeter_core::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let reporter = tachymeter_graphite::GraphiteReporter::builder("carbon.internal:2003")
//!     .prefix("app")
//!     .start(&registry, Duration::from_secs(10))?;
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! - [`Format`] turns a [`RegistrySnapshot`](tachymeter_core::RegistrySnapshot)
//!   into lines, a pure function: the paths, how hostile names and labels
//!   are made safe, and what happens to NaN are documented there.
//! - [`GraphiteReporter`] writes them through
//!   [`tachymeter_report::TcpSender`], every connection attempt and write
//!   bounded by a timeout, with backoff, and counts its own failures in the
//!   registry; [`GraphiteReporterBuilder::start`] runs it on a
//!   [`tachymeter_report::PeriodicReporter`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encode;
mod path;
mod reporter;

pub use encode::{Encoded, Format};
pub use path::{MAX_PATH_LEN, MAX_SEGMENT_LEN};
pub use reporter::{GraphiteReporter, GraphiteReporterBuilder, DEFAULT_TIMEOUT};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    DurationUnit, PeriodicReporter, Quiet, Report, ReportError, SeriesNames,
};
