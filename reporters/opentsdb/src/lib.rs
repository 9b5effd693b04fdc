//! Pushes a registry to OpenTSDB over its telnet interface, `put` lines on
//! one TCP connection, with go-metrics' metric names: go-metrics'
//! `metrics.OpenTSDB(registry, 10*time.Second, "app", addr)`.
//!
//! ```no_run
//! use tachymeter_core::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let reporter = tachymeter_opentsdb::builder("tsdb.internal:4242")
//!     .map_encoder(|e| e.prefix("app"))
//!     .start(&registry, Duration::from_secs(10))?;
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! A timer `db.query` labelled `table=books` becomes, every interval:
//!
//! ```text
//! put app.db.query.count 1700000000 42 host=web-1 table=books
//! put app.db.query.min 1700000000 0.731 host=web-1 table=books
//! put app.db.query.99-percentile 1700000000 12.5 host=web-1 table=books
//! put app.db.query.mean-rate 1700000000 4.2 host=web-1 table=books
//! …
//! ```
//!
//! - [`Encoder`] turns a snapshot into those lines (an
//!   [`Encode`](tachymeter_report::Encode)r): names, tags (a default `host`
//!   tag plus each metric's labels), sanitising ([`sanitize`]), what is left
//!   out (NaN, ±Inf, too many tags, too long).
//! - [`builder`] joins it to a [`TcpLines`] transport (bounded connects
//!   and writes, backoff, reconnection) in a [`Push`], which
//!   [`start`](Push::start)s it on a [`PeriodicReporter`].
//!
//! Anything that accepts OpenTSDB telnet lines works as the server:
//! OpenTSDB itself (port 4242), VictoriaMetrics (`-opentsdbListenAddr`),
//! and others. VictoriaMetrics truncates tag values longer than 16 KiB.
//! A write that times out never leaves a line cut short ([`TcpLines`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encode;
mod host;
mod reporter;
mod sanitize;

pub use encode::{Encoder, DEFAULT_MAX_LINE_LEN, DEFAULT_MAX_TAGS};
pub use reporter::{builder, OpenTsdbReporter};
pub use sanitize::sanitize;
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    BuildError, DurationUnit, Encoded, PeriodicReporter, Push, Quiet, Report, ReportError,
    SeriesNames, TcpLines,
};
