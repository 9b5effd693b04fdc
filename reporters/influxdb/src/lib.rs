//! Writes a [`Registry`](tachymeter_core::Registry) to InfluxDB 1.x or 2.x as
//! line protocol, the way go-metrics' InfluxDB reporter named things: one
//! point per metric per report, fields `count`, `value`, `min`, `max`,
//! `mean`, `stddev`, `p50` … `p999`, `m1`, `m5`, `m15`, `mean_rate`.
//!
//! - [`Encoder`]: a snapshot to line protocol, a pure function (always
//!   available). Hostile names and tags are escaped or replaced so they can
//!   never break a line or inject a point; NaN and ±Inf are left out and
//!   counted.
//! - [`InfluxReporter`] (feature `http`, on by default): runs the encoder
//!   every interval on a [`PeriodicReporter`]
//!   thread and posts the points over HTTP in batches, with a bounded
//!   buffer for when the server is away, retries for failures that may
//!   pass, and a timeout on everything.
//!
//! Start it in one line, next to the registry:
//!
//! ```no_run
//! # let registry = tachymeter_core::Registry::new();
//! # use std::time::Duration;
//! let reporter = tachymeter_influxdb::InfluxReporter::v1("http://127.0.0.1:8086", "metrics")
//!     .start(&registry, Duration::from_secs(10))?;
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! For InfluxDB 2.x, use [`InfluxReporter::v2`]`(url, org, bucket, token)`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "http")]
mod buffer;
#[cfg(feature = "http")]
mod connection;
mod encode;
mod escape;
#[cfg(feature = "http")]
mod own;
mod precision;
#[cfg(feature = "http")]
mod reporter;

pub use encode::{Encoded, Encoder, MAX_KEY_LENGTH};
pub use precision::Precision;
#[cfg(feature = "http")]
pub use reporter::{
    InfluxReporter, InfluxReporterBuilder, DEFAULT_BATCH_SIZE, DEFAULT_BUFFER_CAPACITY,
    DEFAULT_TIMEOUT,
};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    DurationUnit, PeriodicReporter, Quiet, Report, ReportError, SeriesNames,
};
