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
//! let reporter = tachymeter_graphite::builder("carbon.internal:2003")
//!     .map_encoder(|e| e.prefix("app"))
//!     .start(&registry, Duration::from_secs(10))?;
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! - [`Encoder`] turns a [`RegistrySnapshot`](tachymeter_core::RegistrySnapshot)
//!   into lines (an [`Encode`](tachymeter_report::Encode)r): the paths, how
//!   hostile names and labels are made safe, and what happens to NaN are
//!   documented there.
//! - [`builder`] joins it to a [`TcpLines`] transport (every connection
//!   attempt and write bounded by a timeout, backoff, reconnection) in a
//!   [`Push`], which counts the reporter's own failures in the registry and
//!   [`start`](Push::start)s it on a [`PeriodicReporter`]; built, it is a
//!   [`GraphiteReporter`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encode;
mod path;
mod reporter;

pub use encode::Encoder;
pub use path::{MAX_PATH_LEN, MAX_SEGMENT_LEN};
pub use reporter::{builder, GraphiteReporter};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    BuildError, DurationUnit, Encoded, PeriodicReporter, Push, Quiet, Report, ReportError,
    SeriesNames, TcpLines,
};
