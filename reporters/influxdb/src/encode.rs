//! [`Encoder`]: a snapshot to InfluxDB line protocol, one line per metric.

use crate::escape;
use crate::Precision;
use metrics_core::{MetricEntry, RegistrySnapshot};
use metrics_report::{fields, DurationUnit, Value};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::SystemTime;

/// Turns a [`RegistrySnapshot`] into InfluxDB line protocol: one point
/// (line) per metric, all with the same timestamp. A pure function of its
/// input, with no I/O.
///
/// - **Measurement**: the prefix followed by the metric's name.
/// - **Tags**: the global tags and the metric's labels, sorted by key; a
///   label wins over a global tag with the same key. Tags with an empty
///   value are left out.
/// - **Fields**: named like go-metrics' InfluxDB reporter (`count`,
///   `value`, `min`, `max`, `mean`, `stddev`, `p50` … `p999`, `m1`, `m5`,
///   `m15`, `mean_rate`; see [`metrics_report::fields`]), timer durations in
///   the [`duration_unit`](Self::duration_unit).
/// - **Types**: counts, integer gauges and histogram min/max are integers
///   (`1i`); everything else is always a float (`1.0`, `2.5e-7`), so a
///   field keeps one type forever. An unsigned count above `i64::MAX` is
///   written as `i64::MAX` and counted in [`Encoded::saturated_fields`].
/// - **NaN and ±Inf** cannot be written: the field is left out and counted
///   in [`Encoded::dropped_fields`]; a metric left with no field writes no
///   line.
/// - **Hostile text** is made safe: control characters (line feeds
///   included) become spaces, `,` `=` and spaces are escaped, a backslash
///   that would read as an escape becomes `/`, a measurement starting with
///   `#` starts with `_` instead, an empty one is `_`, and the tag keys
///   `time`, `_measurement` and `_field` get a trailing `_` (an empty one is
///   `_`). Two labels that end up with the same key keep the first.
///
/// ```
/// use metrics_core::{MetricKey, Registry};
/// use metrics_influxdb::{Encoder, Precision};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let registry = Registry::new();
/// registry.counter(MetricKey::new("http requests").with_label("route", "/a,b"))?.inc(3);
/// registry.gauge_f64("load")?.update(f64::NAN);
///
/// let encoder = Encoder::new().tag("host", "web-1").precision(Precision::Seconds);
/// let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let encoded = encoder.encode(&registry.snapshot(), time);
/// assert_eq!(
///     encoded.lines,
///     [r"http\ requests,host=web-1,route=/a\,b count=3i 1700000000"]
/// );
/// assert_eq!(encoded.dropped_fields, 1); // the NaN gauge
/// # Ok::<(), metrics_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    prefix: String,
    /// Sorted by key, keys already mapped, values not empty.
    tags: Vec<(String, String)>,
    unit: DurationUnit,
    precision: Precision,
}

/// What [`Encoder::encode`] made of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Encoded {
    /// One line per point, without the final line feed.
    pub lines: Vec<String>,
    /// Fields left out because they were NaN or ±Inf.
    pub dropped_fields: u64,
    /// Unsigned values above `i64::MAX`, written as `i64::MAX`.
    pub saturated_fields: u64,
}

impl Encoder {
    /// No prefix, no global tags, timer durations in milliseconds,
    /// timestamps in milliseconds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `prefix` before every measurement name (e.g. `myapp.`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Adds a tag to every point, replacing an earlier one with the same
    /// key; an empty value removes it. A metric's own label with the same
    /// key wins.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        let key = escape::tag_key_name(key).into_owned();
        let value = escape::clean(value).into_owned();
        let found = self.tags.binary_search_by(|(k, _)| k.cmp(&key));
        match (found, value.is_empty()) {
            (Ok(i), true) => {
                self.tags.remove(i);
            }
            (Ok(i), false) => self.tags[i].1 = value,
            (Err(_), true) => {}
            (Err(i), false) => self.tags.insert(i, (key, value)),
        }
        self
    }

    /// The unit of timer durations (default milliseconds).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.unit = unit;
        self
    }

    /// The unit of timestamps (default [`Precision::Milliseconds`]).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// The precision timestamps are written in.
    #[cfg(feature = "http")]
    pub(crate) fn timestamp_precision(&self) -> Precision {
        self.precision
    }

    /// One line per metric of `snapshot`, stamped with `time`.
    pub fn encode(&self, snapshot: &RegistrySnapshot, time: SystemTime) -> Encoded {
        let timestamp = self.precision.timestamp(time);
        let mut out = Encoded {
            lines: Vec::with_capacity(snapshot.metrics.len()),
            ..Encoded::default()
        };
        for entry in &snapshot.metrics {
            if let Some(line) = self.line(entry, timestamp, &mut out) {
                out.lines.push(line);
            }
        }
        out
    }

    /// The line of one metric, or `None` if none of its fields can be
    /// written.
    fn line(&self, entry: &MetricEntry, timestamp: i64, counts: &mut Encoded) -> Option<String> {
        let mut line = String::with_capacity(128);
        let name = if self.prefix.is_empty() {
            escape::measurement_name(entry.key.name())
        } else {
            escape::measurement_name(&format!("{}{}", self.prefix, entry.key.name()))
                .into_owned()
                .into()
        };
        escape::measurement(&mut line, &name);
        for (key, value) in self.tags_of(entry) {
            line.push(',');
            escape::tag(&mut line, &key);
            line.push('=');
            escape::tag(&mut line, &value);
        }
        let mut separator = ' ';
        for field in &fields(&entry.snapshot, self.unit) {
            let start = line.len();
            line.push(separator);
            line.push_str(field.field_name());
            line.push('=');
            match field.value {
                Value::Signed(v) => {
                    let _ = write!(line, "{v}i");
                }
                Value::Unsigned(v) => {
                    let v = i64::try_from(v).unwrap_or_else(|_| {
                        counts.saturated_fields += 1;
                        i64::MAX
                    });
                    let _ = write!(line, "{v}i");
                }
                Value::Float(v) if v.is_finite() => {
                    // `Debug` always writes a `.` or an exponent, so the
                    // server never takes a float for an integer.
                    let _ = write!(line, "{v:?}");
                }
                Value::Float(_) => {
                    counts.dropped_fields += 1;
                    line.truncate(start);
                    continue;
                }
            }
            separator = ',';
        }
        if separator == ' ' {
            return None;
        }
        let _ = write!(line, " {timestamp}");
        Some(line)
    }

    /// The point's tags, sorted by key: the global tags merged with the
    /// metric's labels (keys mapped, empty values left out; a label wins,
    /// and of two labels with the same mapped key the first one).
    fn tags_of<'a>(&'a self, entry: &'a MetricEntry) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
        let mut tags: Vec<(Cow<'a, str>, Cow<'a, str>)> = entry
            .key
            .labels()
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (escape::tag_key_name(k), escape::clean(v)))
            .chain(
                self.tags
                    .iter()
                    .map(|(k, v)| (Cow::from(k.as_str()), Cow::from(v.as_str()))),
            )
            .collect();
        // Stable: labels (in their order) stay before global tags with the
        // same key, and dedup keeps the first of equal keys.
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        tags.dedup_by(|later, earlier| later.0 == earlier.0);
        tags
    }
}
