//! Writes a [`Registry`](tachymeter_core::Registry) to InfluxDB 1.x or 2.x as
//! line protocol, the way go-metrics' InfluxDB reporter named things: one
//! point per metric per report, fields `count`, `value`, `min`, `max`,
//! `mean`, `stddev`, `p50` … `p999`, `m1`, `m5`, `m15`, `mean_rate`.
//!
//! - [`Encoder`]: a snapshot to line protocol (always available). Hostile
//!   names and tags are escaped or replaced so they can never break a line
//!   or inject a point; NaN and ±Inf are left out and counted.
//! - [`Endpoint`] (feature `http`, on by default): where the points go,
//!   and a push reporter writing there, the encoder on the
//!   [`Http`] transport: batches, a bounded buffer
//!   for when the server is away, retries for failures that may pass, and
//!   a timeout on everything.
//!
//! Start it in one line, next to the registry:
//!
//! ```no_run
//! # let registry = tachymeter_core::Registry::new();
//! # use std::time::Duration;
//! let reporter = tachymeter_influxdb::v1("http://127.0.0.1:8086", "metrics")
//!     .start(&registry, Duration::from_secs(10))?;
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! For InfluxDB 2.x, use [`v2`]`(url, org, bucket, token)`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod encode;
#[cfg(feature = "http")]
mod endpoint;
mod escape;
mod precision;

pub use encode::{Encoder, MAX_KEY_LENGTH};
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use endpoint::{v1, v2, Endpoint, InfluxReporter, DEFAULT_BATCH_SIZE, DEFAULT_BUFFER_CAPACITY};
pub use precision::Precision;
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    BuildError, DurationUnit, Encoded, PeriodicReporter, Quiet, Report, ReportError, SeriesNames,
};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use tachymeter_report::{Http, Push};
