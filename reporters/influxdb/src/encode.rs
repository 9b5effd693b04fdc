//! [`Encoder`]: a snapshot to InfluxDB line protocol, one line per metric.

use crate::escape;
use crate::Precision;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::SystemTime;
use tachymeter_core::{MetricEntry, MetricKey, RegistrySnapshot};
use tachymeter_report::{
    finite_fields, DurationUnit, Encode, Encoded, Lines, Proposal, SeriesNames, Settled, Tags,
    Value,
};

/// The longest key, in bytes, that InfluxDB takes: it stores each field
/// under the series key (the measurement and tags as written on the line,
/// escapes included, up to the space before the fields), then `#!~#`, then
/// the field name, and refuses a line where that is longer (`max key
/// length exceeded`). The [`Encoder`] leaves such a point out and counts
/// it in [`Encoded::too_long`].
pub const MAX_KEY_LENGTH: usize = 65_535;

/// What InfluxDB puts between the series key and a field name.
const FIELD_SEPARATOR: &str = "#!~#";

/// Turns a [`RegistrySnapshot`] into InfluxDB line protocol: one point
/// (line) per metric, all with the same timestamp. No I/O: it only
/// remembers each series' key between snapshots.
///
/// - **Measurement**: the prefix followed by the metric's name.
/// - **Tags**: the global tags and the metric's labels, sorted by key; a
///   label wins over a global tag with the same key. Tags with an empty
///   value are left out.
/// - **Fields**: named like go-metrics' InfluxDB reporter (`count`,
///   `value`, `min`, `max`, `mean`, `stddev`, `p50` … `p999`, `m1`, `m5`,
///   `m15`, `mean_rate`; see [`tachymeter_report::fields`]), timer durations in
///   the [`duration_unit`](Self::duration_unit).
/// - **Types**: counts, integer gauges and histogram min/max are integers
///   (`1i`); everything else is always a float (`1.0`, `2.5e-7`), so a
///   field keeps one type forever. An unsigned count above `i64::MAX` is
///   written as `i64::MAX` and counted in [`Encoded::saturated`].
/// - **NaN and ±Inf** cannot be written: the field is left out and counted
///   in [`Encoded::non_finite`]; a metric left with no field writes no
///   line.
/// - **Hostile text** is made safe: control characters (line feeds
///   included) become spaces, `,` `=` and spaces are escaped, a backslash
///   that would read as an escape becomes `/`, a measurement starting with
///   `#` starts with `_` instead, an empty one is `_`, the measurements
///   InfluxDB 1.x keeps for itself (`_name`, `_series`, `_tags`, `_tagKey`,
///   `_tagKeys`, `_fieldKeys`, `_measurements`: written, they could never be
///   read back) and the tag keys `time`, `_measurement` and `_field` get a
///   trailing `_` (an empty key is `_`). A name or key that is replaced
///   counts as cleaned: `_` itself keeps the series `_`, and an empty name
///   is the one numbered (`__2`).
/// - **Clashes**: names and labels that differ in the registry can end up
///   as the same InfluxDB series once cleaned (`req\n` and `req ` are both
///   `req\ `). They are never merged: the series first written under a
///   series key (escaped measurement and sorted escaped tags) keeps it for
///   as long as the encoder lives (its [`SeriesNames`]), and the other gets
///   `_2` (`_3`, …) appended to its measurement (of series new in the same
///   snapshot, one that needed no cleaning first, then the others in
///   order), counted in [`Encoded::clash`]. InfluxDB
///   also fixes each field's type per measurement, across its series: a
///   point that would give a field another type than an earlier point of
///   its measurement did (an integer gauge `m{k=1}` and a float gauge
///   `m{k=2}`; a histogram's integer `min` and a timer's float one) is
///   left out and counted there too. A metric
///   two of whose labels end up with the same tag key is left out and
///   counted there too, whatever their values, rather than keeping one of
///   them. (A label still wins over a global tag with the same key.)
/// - **Key length**: a point whose series key as written, plus 4 bytes and
///   its longest field name, is longer than [`MAX_KEY_LENGTH`] bytes would
///   be refused by the server; it is left out and counted in
///   [`Encoded::too_long`].
///
/// ```
/// use tachymeter_core::{MetricKey, Registry};
/// use tachymeter_influxdb::{Encoder, Precision};
/// use tachymeter_report::encode_once;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let registry = Registry::new();
/// registry.counter(MetricKey::new("http requests").with_label("route", "/a,b"))?.inc(3);
/// registry.gauge_f64("load")?.update(f64::NAN);
///
/// let mut encoder = Encoder::new().tag("host", "web-1").precision(Precision::Seconds);
/// let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let (lines, encoded) = encode_once(&mut encoder, &registry.snapshot(), time);
/// assert_eq!(
///     lines.as_str(),
///     "http\\ requests,host=web-1,route=/a\\,b count=3i 1700000000\n"
/// );
/// assert_eq!(encoded.non_finite, 1); // the NaN gauge
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    prefix: String,
    /// Keys mapped, values cleaned.
    tags: Tags,
    unit: DurationUnit,
    precision: Precision,
    /// Each series key, settled once for the encoder's life.
    names: SeriesNames,
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
        self.tags.set(
            escape::tag_key_name(key).as_str(),
            escape::clean(value).as_str(),
        );
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
}

impl Encode for Encoder {
    type Output = Lines;

    /// One line per metric of `snapshot`, stamped with `time`, but for the
    /// points left out and counted (see the [`Encoder`]'s rules).
    fn encode(
        &mut self,
        snapshot: &RegistrySnapshot,
        time: SystemTime,
        out: &mut Lines,
    ) -> Encoded {
        let timestamp = self.precision.timestamp(time);
        let mut encoded = Encoded::default();
        let mut points = Vec::with_capacity(snapshot.metrics.len());
        let mut names = std::mem::take(&mut self.names);
        let mut propose = |entry: &MetricEntry| self.propose(&entry.key);
        for (entry, settled) in names.settle_snapshot(snapshot, &mut propose) {
            if let Some(point) = self.line(settled, entry, timestamp, &mut encoded) {
                points.push(point);
            }
        }
        self.names = names;
        // Keep only points whose fields have the type the measurement's
        // earlier points gave them: InfluxDB fixes a field's type per
        // measurement, not per series.
        let mut types: HashMap<(&str, &str), bool> = HashMap::new();
        for point in &points {
            let measurement = point.measurement();
            let fields: Vec<(&str, bool)> = point.fields().collect();
            let fits = fields.iter().all(|(name, integer)| {
                types
                    .get(&(measurement, *name))
                    .is_none_or(|t| t == integer)
            });
            if fits {
                for (name, integer) in fields {
                    types.insert((measurement, name), integer);
                }
                out.push(&point.line);
            } else {
                encoded.clash += 1;
            }
        }
        encoded
    }
}

impl Encoder {
    /// The wire series key `key` is first proposed under.
    fn propose(&self, key: &MetricKey) -> Proposal {
        match self.series_key(key) {
            Some((identity, name_end, verbatim)) => Proposal {
                identity,
                name_end,
                space: 0,
                verbatim,
            },
            // Never written (two labels with one tag key): a place of its
            // own, away from every real series key.
            None => Proposal {
                identity: format!("{key:?}"),
                name_end: 0,
                space: 1,
                verbatim: false,
            },
        }
    }

    /// The series key of `key` as written (escaped measurement, then
    /// `,key=value` per tag), where the measurement ends in it, and
    /// whether nothing was cleaned; `None` if two labels have the same
    /// mapped key.
    fn series_key(&self, key: &MetricKey) -> Option<(String, usize, bool)> {
        let tags = self.tags_of(key)?;
        let mut line = String::with_capacity(64);
        let prefixed;
        let name = if self.prefix.is_empty() {
            escape::measurement_name(key.name())
        } else {
            prefixed = format!("{}{}", self.prefix, key.name());
            escape::measurement_name(&prefixed)
        };
        let verbatim = !name.is_changed()
            && key.labels().iter().all(|(k, v)| {
                !escape::tag_key_name(k).is_changed() && !escape::clean(v).is_changed()
            });
        escape::measurement(&mut line, &name);
        let measurement = line.len();
        for (key, value) in tags {
            line.push(',');
            escape::tag(&mut line, &key);
            line.push('=');
            escape::tag(&mut line, &value);
        }
        Some((line, measurement, verbatim))
    }

    /// The line of one metric, or `None` if it is left out: its labels
    /// clash, none of its fields can be written, or its key is too long.
    fn line(
        &self,
        settled: &Settled,
        entry: &MetricEntry,
        timestamp: i64,
        counts: &mut Encoded,
    ) -> Option<Point> {
        // A key whose labels clash was settled at `name_end` 0, which no
        // measurement (never empty) has.
        if settled.name_end == 0 {
            counts.clash += 1;
            return None;
        }
        let mut line = String::with_capacity(settled.identity.len() + 96);
        line.push_str(&settled.identity);
        let measurement = settled.name_end;
        let key_length = line.len();
        let mut longest_field = 0;
        let mut separator = ' ';
        for field in &finite_fields(&entry.snapshot, self.unit, counts) {
            line.push(separator);
            line.push_str(field.field_name());
            line.push('=');
            match field.value {
                Value::Signed(v) => {
                    let _ = write!(line, "{v}i");
                }
                Value::Unsigned(v) => {
                    let v = i64::try_from(v).unwrap_or_else(|_| {
                        counts.saturated += 1;
                        i64::MAX
                    });
                    let _ = write!(line, "{v}i");
                }
                Value::Float(v) => {
                    // `Debug` always writes a `.` or an exponent, so the
                    // server never takes a float for an integer.
                    let _ = write!(line, "{v:?}");
                }
            }
            separator = ',';
            longest_field = longest_field.max(field.field_name().len());
        }
        if separator == ' ' {
            return None;
        }
        if key_length + FIELD_SEPARATOR.len() + longest_field > MAX_KEY_LENGTH {
            counts.too_long += 1;
            return None;
        }
        let fields = line.len();
        let _ = write!(line, " {timestamp}");
        Some(Point {
            line,
            measurement,
            key: key_length,
            fields,
        })
    }

    /// The point's tags, sorted by key: the global tags merged with the
    /// metric's labels (keys mapped, empty values left out; a label wins
    /// over a global tag). `None` if two labels have the same mapped key.
    fn tags_of<'a>(&'a self, key: &'a MetricKey) -> Option<Vec<(Cow<'a, str>, Cow<'a, str>)>> {
        let mut tags: Vec<(Cow<'a, str>, Cow<'a, str>)> = key
            .labels()
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                (
                    escape::tag_key_name(k).into_cow(),
                    escape::clean(v).into_cow(),
                )
            })
            .collect();
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        if tags.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return None;
        }
        Some(self.tags.with_labels(tags))
    }
}

/// One line, with where its parts end.
struct Point {
    line: String,
    /// End of the escaped measurement.
    measurement: usize,
    /// End of the series key (measurement and tags).
    key: usize,
    /// End of the field list (the timestamp follows).
    fields: usize,
}

impl Point {
    fn measurement(&self) -> &str {
        &self.line[..self.measurement]
    }

    /// Each field's name and whether it is an integer. Field names are
    /// the reporter's own (no escapes) and values have no `,` or `=`.
    fn fields(&self) -> impl Iterator<Item = (&str, bool)> {
        self.line[self.key + 1..self.fields]
            .split(',')
            .map(|field| {
                let (name, value) = field.split_once('=').unwrap_or((field, ""));
                (name, value.ends_with('i'))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};
    use tachymeter_core::{MetricKey, Registry};

    const TIME: u64 = 1_700_000_000;

    /// The lines of one encoding, and what it left out, by reason.
    struct Written {
        lines: Vec<String>,
        dropped_fields: u64,
        saturated_fields: u64,
        dropped_clashes: u64,
        dropped_too_long: u64,
    }

    /// Encodes with `encoder` as it is (its names kept), at `time`.
    fn encode_at(encoder: &mut Encoder, registry: &Registry, time: SystemTime) -> Written {
        let (out, encoded) = tachymeter_report::encode_once(encoder, &registry.snapshot(), time);
        Written {
            lines: out.iter().map(str::to_string).collect(),
            dropped_fields: encoded.non_finite,
            saturated_fields: encoded.saturated,
            dropped_clashes: encoded.clash,
            dropped_too_long: encoded.too_long,
        }
    }

    fn encode(encoder: &Encoder, registry: &Registry) -> Written {
        let time = UNIX_EPOCH + Duration::from_secs(TIME);
        encode_at(
            &mut encoder.clone().precision(Precision::Seconds),
            registry,
            time,
        )
    }

    fn field_names(line: &str) -> Vec<&str> {
        let fields = line.split(' ').nth(1).unwrap();
        fields
            .split(',')
            .map(|f| f.split('=').next().unwrap())
            .collect()
    }

    /// The series key of `line`: up to its first unescaped space.
    fn key_of(line: &str) -> &str {
        let bytes = line.as_bytes();
        let end = (0..bytes.len())
            .find(|&i| bytes[i] == b' ' && (i == 0 || bytes[i - 1] != b'\\'))
            .unwrap();
        &line[..end]
    }

    #[test]
    fn counters_and_gauges_are_integers_and_floats() {
        let registry = Registry::new();
        registry.counter("c").unwrap().dec(3);
        registry.gauge("g").unwrap().update(-7);
        registry.gauge_f64("h").unwrap().update(2.0);
        registry.gauge_f64("i").unwrap().update(1e21);
        registry.gauge_f64("j").unwrap().update(-2.5e-7);
        let encoded = encode(&Encoder::new(), &registry);
        assert_eq!(
            encoded.lines,
            [
                "c count=-3i 1700000000",
                "g value=-7i 1700000000",
                "h value=2.0 1700000000",
                "i value=1e21 1700000000",
                "j value=-2.5e-7 1700000000",
            ]
        );
        assert_eq!(encoded.dropped_fields, 0);
    }

    #[test]
    fn every_kind_has_go_metrics_field_names() {
        let registry = Registry::new();
        registry.meter("m").unwrap().mark(4);
        registry.histogram("h").unwrap().update(9);
        registry
            .timer("t")
            .unwrap()
            .update(Duration::from_micros(1500));
        let encoded = encode(&Encoder::new(), &registry);
        let histogram = [
            "count", "min", "max", "mean", "stddev", "p50", "p75", "p95", "p99", "p999",
        ];
        assert_eq!(field_names(&encoded.lines[0]), histogram);
        assert!(encoded.lines[0].starts_with("h count=1i,min=9i,max=9i,mean=9.0,"));
        assert_eq!(
            field_names(&encoded.lines[1]),
            ["count", "m1", "m5", "m15", "mean_rate"]
        );
        assert!(encoded.lines[1].starts_with("m count=4i,m1="));
        let mut timer = histogram.to_vec();
        timer.extend(["m1", "m5", "m15", "mean_rate"]);
        assert_eq!(field_names(&encoded.lines[2]), timer);
        // Durations in milliseconds, floats even when whole.
        assert!(encoded.lines[2].starts_with("t count=1i,min=1.5,max=1.5,mean=1.5,"));
    }

    #[test]
    fn non_finite_fields_are_dropped_and_empty_points_skipped() {
        let registry = Registry::new();
        registry.gauge_f64("nan").unwrap().update(f64::NAN);
        registry.gauge_f64("inf").unwrap().update(f64::INFINITY);
        registry
            .gauge_f64("ninf")
            .unwrap()
            .update(f64::NEG_INFINITY);
        registry.histogram("idle").unwrap();
        let encoded = encode(&Encoder::new(), &registry);
        // The gauges write no line; the idle histogram keeps its count and
        // exact stats, without its five percentiles (NaN while the recent
        // window is empty).
        assert_eq!(
            encoded.lines,
            ["idle count=0i,min=0i,max=0i,mean=0.0,stddev=0.0 1700000000"]
        );
        assert_eq!(encoded.dropped_fields, 3 + 5);
    }

    #[test]
    fn a_field_keeps_one_type_across_the_series_of_a_measurement() {
        let registry = Registry::new();
        let key = |name: &str, k: &str| MetricKey::new(name).with_label("k", k);
        registry.gauge(key("m\n", "1")).unwrap().update(5);
        registry.gauge_f64(key("m ", "2")).unwrap().update(2.5);
        registry.histogram(key("x\n", "1")).unwrap().update(3);
        registry
            .timer(key("x ", "2"))
            .unwrap()
            .update(std::time::Duration::from_millis(3));
        let encoded = encode(&Encoder::new(), &registry);
        let keys: Vec<&str> = encoded.lines.iter().map(|l| key_of(l)).collect();
        // Both gauges are in measurement `m\ `; `m\n` sorts first and makes
        // `value` an integer there, so the float gauge is left out. The
        // histogram and the timer are both in `x\ `: the histogram's `min`
        // is an integer, the timer's a float.
        assert_eq!(keys, [r"m\ ,k=1", r"x\ ,k=1"], "{:?}", encoded.lines);
        assert!(encoded.lines[1].contains("min=3i"), "{:?}", encoded.lines);
        assert_eq!(encoded.dropped_clashes, 2);
    }

    #[test]
    fn unsigned_values_above_i64_max_saturate() {
        let registry = Registry::new();
        // One mark counts at most i64::MAX; two go past it.
        let meter = registry.meter("big").unwrap();
        meter.mark(u64::MAX);
        meter.mark(u64::MAX);
        assert!(meter.count() > i64::MAX as u64);
        let encoded = encode(&Encoder::new(), &registry);
        assert!(encoded.lines[0].starts_with("big count=9223372036854775807i,"));
        assert_eq!(encoded.saturated_fields, 1);
    }

    #[test]
    fn labels_win_over_global_tags_and_tags_are_sorted() {
        let registry = Registry::new();
        let key = MetricKey::new("x")
            .with_label("zone", "label")
            .with_label("b", "2");
        registry.counter(key).unwrap().inc(1);
        let encoder = Encoder::new()
            .tag("zone", "global")
            .tag("a", "1")
            .tag("c", "3")
            .tag("gone", "x")
            .tag("gone", "")
            .tag("empty", "")
            .prefix("app.");
        let encoded = encode(&encoder, &registry);
        assert_eq!(
            encoded.lines,
            ["app.x,a=1,b=2,c=3,zone=label count=1i 1700000000"]
        );
    }

    #[test]
    fn reserved_keys_never_repeat_a_tag() {
        let registry = Registry::new();
        let key = MetricKey::new("x")
            .with_label("time", "a")
            .with_label("k\n", "")
            .with_label("k ", "d")
            .with_label("", "e");
        registry.counter(key).unwrap().inc(1);
        let encoded = encode(&Encoder::new().tag("time", "g"), &registry);
        // `time` is `time_`, like the global tag's key: the label wins. The
        // empty `k\n` is no label, so it does not clash with `k `.
        assert_eq!(encoded.lines, [r"x,_=e,k\ =d,time_=a count=1i 1700000000"]);
        assert_eq!(encoded.dropped_clashes, 0);
    }

    #[test]
    fn labels_with_the_same_cleaned_key_are_a_clash() {
        let registry = Registry::new();
        for (a, b) in [("k\n", "k "), ("time", "time_"), ("", "_"), ("y\\", "y/")] {
            let key = MetricKey::new(format!("x{a}"))
                .with_label(a, "1")
                .with_label(b, "2");
            registry.counter(key).unwrap().inc(1);
        }
        registry
            .counter(MetricKey::new("x").with_label("k ", "1"))
            .unwrap()
            .inc(2);
        let encoded = encode(&Encoder::new(), &registry);
        // Keeping either value would hide the other: both are left out.
        assert_eq!(encoded.lines, [r"x,k\ =1 count=2i 1700000000"]);
        assert_eq!(encoded.dropped_clashes, 4);
    }

    #[test]
    fn series_that_clash_once_cleaned_get_measurements_of_their_own() {
        let registry = Registry::new();
        // `req\n` sorts before `req `, `y/` before `y\`.
        registry.counter("req ").unwrap().inc(2);
        registry.counter("req\n").unwrap().inc(1);
        registry.counter("y\\").unwrap().inc(4);
        registry.gauge("y/").unwrap().update(3);
        let labels = |v: &str| {
            MetricKey::new("z")
                .with_label("k\n", "a")
                .with_label("k", v)
        };
        registry.counter(labels("b")).unwrap().inc(5);
        registry.counter(labels("c")).unwrap().inc(6);
        let tags = |k: &str, v: &str| MetricKey::new("t").with_label(k, v);
        registry.counter(tags("k ", "a b")).unwrap().inc(7);
        registry.counter(tags("k\t", "a\tb")).unwrap().inc(8);
        // Same stored name, different field types (integer `min` against
        // float `min`): apart, they no longer make InfluxDB refuse the
        // batch. `lat\t` sorts before `lat\n`.
        registry.histogram("lat\t").unwrap().update(5);
        registry
            .timer("lat\n")
            .unwrap()
            .update(Duration::from_millis(5));
        let mut encoder = Encoder::new().precision(Precision::Seconds);
        let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let encoded = encode_at(&mut encoder, &registry, time);
        let mut keys: Vec<&str> = encoded.lines.iter().map(|l| key_of(l)).collect();
        keys.sort();
        // A name needing no cleaning keeps it; the others are numbered in
        // snapshot order.
        assert_eq!(
            keys,
            [
                r"lat\ ",
                r"lat\ _2",
                r"req\ ",
                r"req\ _2",
                r"t,k\ =a\ b",
                r"t_2,k\ =a\ b",
                "y/",
                "y/_2",
                r"z,k=b,k\ =a",
                r"z,k=c,k\ =a"
            ]
        );
        assert!(encoded
            .lines
            .contains(&r"req\  count=2i 1700000000".to_string()));
        assert!(encoded
            .lines
            .contains(&r"req\ _2 count=1i 1700000000".to_string()));
        assert_eq!(encoded.dropped_clashes, 0);
        // They keep their names in later reports.
        registry.counter("req\t").unwrap().inc(9);
        let later = encode_at(&mut encoder, &registry, time);
        assert!(later
            .lines
            .contains(&r"req\ _2 count=1i 1700000000".to_string()));
        assert!(later
            .lines
            .contains(&r"req\ _3 count=9i 1700000000".to_string()));
    }

    #[test]
    fn a_point_without_fields_does_not_take_its_series() {
        let registry = Registry::new();
        registry.gauge_f64("g\n").unwrap().update(f64::NAN);
        registry.gauge_f64("g ").unwrap().update(1.5);
        let encoded = encode(&Encoder::new(), &registry);
        assert_eq!(encoded.lines, [r"g\  value=1.5 1700000000"]);
        assert_eq!(encoded.dropped_clashes, 0);
        assert_eq!(encoded.dropped_fields, 1);
    }

    #[test]
    fn keys_too_long_for_the_server_are_left_out() {
        let registry = Registry::new();
        registry.counter("y".repeat(70_000)).unwrap().inc(1);
        // InfluxDB stores `<key>#!~#<field>`: at most 65,535 bytes.
        let fits = MAX_KEY_LENGTH - "#!~#mean_rate".len();
        registry.meter("m".repeat(fits)).unwrap().mark(1);
        registry.meter("n".repeat(fits + 1)).unwrap().mark(1);
        // Escapes count: `a b` is written `a\ b`.
        let fits = MAX_KEY_LENGTH - "#!~#count".len();
        registry
            .counter(format!("{} ", "o".repeat(fits - 2)))
            .unwrap()
            .inc(1);
        registry
            .counter(format!("{} ", "p".repeat(fits - 1)))
            .unwrap()
            .inc(1);
        let tag = |v: String| MetricKey::new("q").with_label("k", v);
        registry.counter(tag("v".repeat(fits - 4))).unwrap().inc(1);
        registry.counter(tag("w".repeat(fits - 3))).unwrap().inc(1);
        registry.counter("short").unwrap().inc(1);
        let encoded = encode(&Encoder::new(), &registry);
        let keys: Vec<usize> = encoded.lines.iter().map(|l| key_of(l).len()).collect();
        assert_eq!(
            keys,
            [
                MAX_KEY_LENGTH - 13,
                MAX_KEY_LENGTH - 9,
                MAX_KEY_LENGTH - 9,
                5
            ]
        );
        assert!(encoded.lines[0].starts_with("mmm"));
        assert!(encoded.lines[1].starts_with("ooo"));
        assert!(encoded.lines[2].starts_with("q,k=vvv"));
        assert_eq!(encoded.dropped_too_long, 4);
        assert_eq!(encoded.dropped_clashes, 0);
    }

    #[test]
    fn hostile_names_stay_on_one_line() {
        let registry = Registry::new();
        let key = MetricKey::new("#a b,c=d\ne\\").with_label("k=1", "v,2 \r\n\"x\"\\");
        registry.counter(key).unwrap().inc(1);
        let encoded = encode(&Encoder::new(), &registry);
        assert_eq!(
            encoded.lines,
            [r#"_a\ b\,c=d\ e/,k\=1=v\,2\ \ \ "x"/ count=1i 1700000000"#]
        );
    }
}
