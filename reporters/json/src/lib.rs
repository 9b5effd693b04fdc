//! JSON snapshots of a registry, in go-metrics' shape: once
//! ([`to_json`], [`write_json`]: go-metrics' `WriteJSONOnce`), every
//! interval as JSON Lines ([`write_json_every`], [`JsonReport`]:
//! `WriteJSON`), or on request over HTTP (`service`, feature `http`: the
//! expvar page).
//!
//! ```
//! use tachymeter_core::{MetricKey, Registry};
//!
//! let registry = Registry::new();
//! registry.counter("jobs")?.inc(3);
//! registry.gauge(MetricKey::new("queue").with_label("name", "mail"))?.update(7);
//! assert_eq!(
//!     tachymeter_json::to_json(&registry.snapshot()),
//!     r#"{"jobs":{"type":"counter","count":3},"queue{name=\"mail\"}":{"type":"gauge","value":7}}"#,
//! );
//! # Ok::<(), tachymeter_core::RegistryError>(())
//! ```
//!
//! # Shape
//!
//! One JSON object with one member per series, in the snapshot's order
//! (by name, then labels). The member name is the key's `Display` string:
//! `name`, or `name{label="value",…}` with each label value quoted and
//! escaped as a Rust string literal. Each value is an object: `"type"`,
//! then go-metrics' fields for that type.
//!
//! | `"type"` | fields |
//! |---|---|
//! | `counter` | `count` |
//! | `gauge` | `value` (an integer) |
//! | `gauge_f64` | `value` (a float gauge or a functional gauge) |
//! | `meter` | `count`, `1m.rate`, `5m.rate`, `15m.rate`, `mean.rate` |
//! | `histogram` | `count`, `min`, `max`, `mean`, `stddev`, `median`, `75%`, `95%`, `99%`, `99.9%` |
//! | `timer` | the histogram's fields, then the meter's four rates |
//!
//! The `"type"` values are those of the full form ([`to_json_full`]).
//!
//! - Rates are events per second. A timer's durations (`min` to `99.9%`)
//!   are in nanoseconds, as numbers.
//! - `count`, `min`, `max`, `mean` and `stddev` cover all time (0 when
//!   empty); the percentiles cover the recent window
//!   ([`HistogramSnapshot::percentiles`](tachymeter_core::HistogramSnapshot::percentiles),
//!   60 s by default). They are estimates within the histogram's relative
//!   error (0.79 % by default): `5013503.5` for 5 ms below.
//! - A float that is NaN or infinite is `null`: the percentiles of an
//!   empty window, a NaN gauge (a panicking functional gauge reads as
//!   NaN). The document is always valid JSON.
//! - Nothing but metrics is in the object, so no member name is reserved.
//!   [`RegistrySnapshot::folded_series`] is left out: folded series are
//!   visible as their overflow series (label `overflow="true"`), and the
//!   count is in the full form.
//! - Two distinct keys have the same `Display` string only when a name
//!   itself contains `{`; such a document has two members of that name.
//! - A kind of metric added to tachymeter-core later is written in its full
//!   form, with its own `"type"`.
//!
//! A registry with one series of each type, pretty-printed
//! ([`to_json_pretty`]; [`to_json`] writes the same on one line), 5 s
//! after its metrics were created:
//!
//! ```json
//! {
//!   "cache.hit_ratio": {
//!     "type": "gauge_f64",
//!     "value": 0.25
//!   },
//!   "events": {
//!     "type": "meter",
//!     "count": 10,
//!     "1m.rate": 2.0,
//!     "5m.rate": 2.0,
//!     "15m.rate": 2.0,
//!     "mean.rate": 2.0
//!   },
//!   "http.latency{route=\"/books/{id}\"}": {
//!     "type": "timer",
//!     "count": 4,
//!     "min": 1000000,
//!     "max": 40000000,
//!     "mean": 14000000.0,
//!     "stddev": 15346009.253222806,
//!     "median": 5013503.5,
//!     "75%": 10027007.5,
//!     "95%": 40000000.0,
//!     "99%": 40000000.0,
//!     "99.9%": 40000000.0,
//!     "1m.rate": 0.8,
//!     "5m.rate": 0.8,
//!     "15m.rate": 0.8,
//!     "mean.rate": 0.8
//!   },
//!   "jobs.done": {
//!     "type": "counter",
//!     "count": 42
//!   },
//!   "queue.depth{queue=\"mail\"}": {
//!     "type": "gauge",
//!     "value": -3
//!   },
//!   "response.bytes": {
//!     "type": "histogram",
//!     "count": 10,
//!     "min": 10,
//!     "max": 100,
//!     "mean": 55.0,
//!     "stddev": 28.722813232690143,
//!     "median": 50.0,
//!     "75%": 80.0,
//!     "95%": 100.0,
//!     "99%": 100.0,
//!     "99.9%": 100.0
//!   }
//! }
//! ```
//!
//! # The full form
//!
//! [`to_json_full`] writes the snapshot's own `serde` form: every field of
//! every snapshot (the labels as a list, the bucket counts, the all-time
//! and recent distributions) and `folded_series`. It is larger and follows
//! tachymeter-core's types rather than go-metrics.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "http")]
mod http;
mod report;
mod shape;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use http::service;
pub use report::{write_json_every, JsonReport};
pub use shape::JsonSnapshot;
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{BuildError, PeriodicReporter, Report, ReportError};

use std::io::{self, Write};
use tachymeter_core::RegistrySnapshot;

/// The media type of the documents: `application/json`.
pub const CONTENT_TYPE: &str = "application/json";

/// Appends the document to `out`.
pub(crate) fn encode(snapshot: &RegistrySnapshot, out: &mut Vec<u8>, pretty: bool) {
    let value = JsonSnapshot::new(snapshot);
    let result = if pretty {
        serde_json::to_writer_pretty(&mut *out, &value)
    } else {
        serde_json::to_writer(&mut *out, &value)
    };
    // A `Vec` never fails a write and every member name is a string.
    result.expect("a JSON snapshot always serialises to memory");
}

fn to_string(snapshot: &RegistrySnapshot, pretty: bool) -> String {
    let mut out = Vec::new();
    encode(snapshot, &mut out, pretty);
    // serde_json writes UTF-8 only.
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// The snapshot as compact JSON, on one line.
///
/// ```
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// registry.gauge_f64("load")?.update(0.5);
/// let json = tachymeter_json::to_json(&registry.snapshot());
/// assert_eq!(json, r#"{"load":{"type":"gauge_f64","value":0.5}}"#);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn to_json(snapshot: &RegistrySnapshot) -> String {
    to_string(snapshot, false)
}

/// The snapshot as indented JSON, for people to read.
///
/// ```
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(1);
/// let json = tachymeter_json::to_json_pretty(&registry.snapshot());
/// assert_eq!(json, "{\n  \"jobs\": {\n    \"type\": \"counter\",\n    \"count\": 1\n  }\n}");
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn to_json_pretty(snapshot: &RegistrySnapshot) -> String {
    to_string(snapshot, true)
}

/// Writes [`to_json`]'s document to `writer` (go-metrics'
/// `WriteJSONOnce`), with no trailing newline and without flushing. The
/// document is built in memory and written with one `write_all`.
///
/// ```
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(1);
/// let mut out = Vec::new();
/// tachymeter_json::write_json(&registry.snapshot(), &mut out)?;
/// assert_eq!(out, br#"{"jobs":{"type":"counter","count":1}}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_json(snapshot: &RegistrySnapshot, mut writer: impl Write) -> io::Result<()> {
    let mut out = Vec::new();
    encode(snapshot, &mut out, false);
    writer.write_all(&out)
}

/// Writes [`to_json_pretty`]'s document to `writer`, like [`write_json`].
///
/// ```
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(1);
/// tachymeter_json::write_json_pretty(&registry.snapshot(), std::io::stdout().lock())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_json_pretty(snapshot: &RegistrySnapshot, mut writer: impl Write) -> io::Result<()> {
    let mut out = Vec::new();
    encode(snapshot, &mut out, true);
    writer.write_all(&out)
}

/// The snapshot in its full form: [`RegistrySnapshot`]'s own `serde` form,
/// compact. Non-finite floats are `null` here too.
///
/// ```
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(1);
/// let json = tachymeter_json::to_json_full(&registry.snapshot());
/// assert_eq!(
///     json,
///     r#"{"metrics":[{"key":{"name":"jobs","labels":[]},"snapshot":{"type":"counter","count":1,"monotonic":true}}],"folded_series":0}"#,
/// );
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn to_json_full(snapshot: &RegistrySnapshot) -> String {
    serde_json::to_string(snapshot).expect("a registry snapshot always serialises to memory")
}
