//! A periodic, human-readable report of every metric in a registry, sent
//! through the `log` facade, `tracing`, or any writer: go-metrics'
//! `metrics.Log(registry, 10*time.Second, logger)`.
//!
//! ```
//! use tachymeter_core::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let timer = registry.timer("get-book")?;
//! let reporter = tachymeter_log::log(&registry, Duration::from_secs(10))?;
//!
//! timer.update(Duration::from_millis(12));
//! reporter.stop(); // one final report
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! Each report is one log record (target `metrics`, level `Info` by
//! default) holding one block per metric, sorted by name (labels
//! included):
//!
//! ```text
//! timer get-book
//!   count:        3
//!   min:          1.500 ms
//!   max:         30.000 ms
//!   mean:        11.167 ms
//!   stddev:      13.319 ms
//!   median:       2.007 ms
//!   75%:         30.000 ms
//!   95%:         30.000 ms
//!   99%:         30.000 ms
//!   99.9%:       30.000 ms
//!   1-min rate:   0.600/s
//!   5-min rate:   0.600/s
//!   15-min rate:  0.600/s
//!   mean rate:    0.600/s
//! counter get-book-2xx
//!   count: 12
//! ```
//!
//! - [`Format`] turns a [`RegistrySnapshot`](tachymeter_core::RegistrySnapshot)
//!   into that text (a pure function; [`format()`] with the defaults). The
//!   percentiles come from each histogram's recent window.
//! - [`Sink`] sends it: `Sink::log` (feature `log`, on by default),
//!   `Sink::tracing` (feature `tracing`), or [`Sink::writer`].
//! - [`LogReporter`] does both as a [`Report`];
//!   [`LogReporterBuilder::start`] runs it on a
//!   [`tachymeter_report::PeriodicReporter`], which counts failed reports (a
//!   writer's I/O error) in `reporter.log.failures`.
//!
//! Features: `log` (default) adds `Sink::log` and makes it the default
//! sink; without it the default sink is standard error. `tracing` adds
//! `Sink::tracing`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod format;
mod reporter;
mod sink;

pub use format::{format, DurationUnit, Format, RateUnit, NOT_AVAILABLE};
pub use reporter::{LogReporter, LogReporterBuilder, DEFAULT_TITLE};
pub use sink::{Level, Sink, TARGET};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{BuildError, PeriodicReporter, Quiet, Report, ReportError};

use std::time::Duration;
use tachymeter_core::Registry;

/// Reports `registry` every `interval` with the default [`LogReporter`]
/// (durations in milliseconds, rates per second, the default [`Sink`] at
/// level `Info`) until the returned reporter is stopped or dropped.
///
/// The same as `LogReporter::builder().start(registry, interval)`.
///
/// ```
/// use tachymeter_core::Registry;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = tachymeter_log::log(&registry, Duration::from_secs(10))?;
/// let outcome = reporter.stop();
/// assert!(outcome.final_report_sent);
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub fn log(registry: &Registry, interval: Duration) -> Result<PeriodicReporter, BuildError> {
    LogReporter::builder().start(registry, interval)
}
