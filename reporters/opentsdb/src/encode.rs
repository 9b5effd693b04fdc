//! A snapshot as OpenTSDB telnet `put` lines.

use crate::host::short_hostname;
use crate::sanitize::{cleaned, sanitize, tag_key};
use std::borrow::Cow;
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};
use tachymeter_core::{MetricEntry, MetricKey, RegistrySnapshot};
use tachymeter_report::{
    finite_fields, DurationUnit, Encode, Encoded, Lines, Proposal, SeriesNames, Tags, Value,
};

/// The most tags a point may have unless set otherwise: OpenTSDB's default
/// (`tsd.storage.max_tags`).
pub const DEFAULT_MAX_TAGS: usize = 8;

/// The longest line (without its line feed) written unless set otherwise:
/// OpenTSDB's telnet interface closes the connection on a longer one,
/// losing the rest of the report.
pub const DEFAULT_MAX_LINE_LEN: usize = 1024;

/// Turns a [`RegistrySnapshot`] into OpenTSDB telnet lines,
/// `put <metric> <unix seconds> <value> <tag>=<value> …`, one per number of
/// each metric, named the way go-metrics' OpenTSDB reporter named them:
///
/// | metric | lines |
/// |---|---|
/// | counter | `<prefix>.<name>.count` |
/// | gauge | `<prefix>.<name>.value` |
/// | meter | `.count`, `.one-minute`, `.five-minute`, `.fifteen-minute`, `.mean` |
/// | histogram | `.count`, `.min`, `.max`, `.mean`, `.std-dev`, `.50-percentile`, `.75-percentile`, `.95-percentile`, `.99-percentile`, `.999-percentile` |
/// | timer | the histogram's (durations in the [`duration_unit`](Self::duration_unit)), then the meter's rates with `.mean-rate` |
///
/// Counts are cumulative (never reset), so a report that is lost loses
/// nothing: the next one carries the total. Rates are per second.
///
/// - **Tags**: the encoder's tags (by default `host=<short host name>`),
///   then the metric's labels, which win over a tag of the same key. A tag
///   with an empty key or value is left out; of two labels whose keys
///   sanitise alike, the first (by original key) is kept. OpenTSDB needs at
///   least one tag: a point that would have none gets `host=<short host
///   name>`. A metric with more tags than
///   [`max_tags`](Self::max_tags) is not sent.
/// - **Characters**: names and tags are [`sanitize`](crate::sanitize)d, so
///   nothing but `a-z A-Z 0-9 - _ . /` and Unicode letters is ever written.
///   A tag key starting with `__` keeps one leading `_` (VictoriaMetrics
///   reads a tag `__name__` as the metric name).
/// - **Collisions**: two metrics whose sanitised names and tags are equal
///   are never merged into one series: the one first sent keeps its name
///   for as long as the encoder lives (its [`SeriesNames`]), and the other
///   gets `_2` (`_3`, …) appended to its metric name (of metrics new in the
///   same report, one that needed no sanitising first, then the others in
///   order).
/// - **Values**: integers as integers (a count above `i64::MAX` as a
///   float), other numbers in the shortest form that reads back exactly
///   (`0.25`, `3.0`, `1e-7`). NaN and ±Inf (the percentiles of an empty
///   window, a float gauge) cannot be sent: they are skipped.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tachymeter_core::{MetricKey, Registry};
/// use tachymeter_opentsdb::Encoder;
/// use tachymeter_report::encode_once;
///
/// let registry = Registry::new();
/// registry.counter(MetricKey::new("requests").with_label("route", "/books"))?.inc(3);
/// let mut encoder = Encoder::new().prefix("app").tag("host", "web-1");
/// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let (lines, encoded) = encode_once(&mut encoder, &registry.snapshot(), at);
/// assert_eq!(lines.as_str(), "put app.requests.count 1700000000 3 host=web-1 route=/books\n");
/// assert_eq!(encoded.dropped(), 0);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    prefix: String,
    /// Sanitised.
    tags: Tags,
    unit: DurationUnit,
    max_tags: usize,
    max_line_len: usize,
    host: String,
    /// Each series' metric name and tags, settled once for the encoder's
    /// life.
    names: SeriesNames,
}

impl Default for Encoder {
    /// [`Encoder::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// No prefix, the tag `host=<short host name>` (the kernel's host name
    /// up to its first `.`, else `/etc/hostname`, else `$HOSTNAME`, else
    /// `unknown`), durations in milliseconds, at most
    /// [`DEFAULT_MAX_TAGS`] tags.
    pub fn new() -> Self {
        let host = sanitize(&short_hostname()).into_owned();
        let mut tags = Tags::default();
        tags.set("host", host.as_str());
        Encoder {
            prefix: String::new(),
            tags,
            unit: DurationUnit::default(),
            max_tags: DEFAULT_MAX_TAGS,
            max_line_len: DEFAULT_MAX_LINE_LEN,
            host,
            names: SeriesNames::new(),
        }
    }

    /// Puts `prefix.` before every metric name (sanitised; default none).
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = sanitize(prefix).into_owned();
        self
    }

    /// Adds a tag to every point, or replaces the one with the same key;
    /// an empty `value` removes it (`.tag("host", "")` drops the default
    /// `host` tag). Key and value are sanitised.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.set(tag_key(key).as_str(), sanitize(value));
        self
    }

    /// The unit of timer durations (default milliseconds; go-metrics
    /// defaulted to nanoseconds).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.unit = unit;
        self
    }

    /// The most tags a point may have, at least 1 (default
    /// [`DEFAULT_MAX_TAGS`], OpenTSDB's own default; VictoriaMetrics takes
    /// more). A metric with more is left out and counted in
    /// [`Encoded::too_many_tags`].
    pub fn max_tags(mut self, max: usize) -> Self {
        self.max_tags = max.max(1);
        self
    }

    /// The longest line written, in bytes without the line feed (default
    /// [`DEFAULT_MAX_LINE_LEN`], OpenTSDB's limit; VictoriaMetrics takes
    /// longer ones). A longer line is not written and is counted in
    /// [`Encoded::too_long`].
    pub fn max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max;
        self
    }
}

impl Encode for Encoder {
    type Output = Lines;

    /// Writes the lines of `snapshot` at `time` (in Unix seconds), each
    /// series under the name and tags it was first sent with (see
    /// [`SeriesNames`]).
    fn encode(
        &mut self,
        snapshot: &RegistrySnapshot,
        time: SystemTime,
        out: &mut Lines,
    ) -> Encoded {
        let timestamp = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut names = std::mem::take(&mut self.names);
        let mut encoded = Encoded::default();
        let mut propose = |entry: &MetricEntry| self.propose(&entry.key);
        for (entry, settled) in names.settle_snapshot(snapshot, &mut propose) {
            let (name, tags) = settled.identity.split_at(settled.name_end);
            // Each tag is ` key=value`, and sanitised text has no spaces.
            if tags.matches(' ').count() > self.max_tags {
                encoded.too_many_tags += 1;
                continue;
            }
            for field in &finite_fields(&entry.snapshot, self.unit, &mut encoded) {
                let fits = out.push_with(|line| {
                    let start = line.len();
                    // Writing to a String cannot fail.
                    let _ = write!(line, "put {name}.{} {timestamp} ", field.path_suffix());
                    write_value(line, field.value);
                    line.push_str(tags);
                    line.len() - start <= self.max_line_len
                });
                if !fits {
                    encoded.too_long += 1;
                }
            }
        }
        self.names = names;
        encoded
    }
}

impl Encoder {
    /// The wire name (`prefix.name`, sanitised, `_` if empty) and tags
    /// `key` is first proposed under.
    fn propose(&self, key: &MetricKey) -> Proposal {
        let mut identity = self.prefix.clone();
        if !identity.is_empty() {
            identity.push('.');
        }
        identity.push_str(cleaned(key.name()).or_underscore().as_str());
        let name_end = identity.len();
        self.write_tags(key, &mut identity);
        Proposal {
            identity,
            name_end,
            space: 0,
            verbatim: self.is_verbatim(key),
        }
    }

    /// Whether `key`'s name and labels are written as they are.
    fn is_verbatim(&self, key: &MetricKey) -> bool {
        !cleaned(key.name()).or_underscore().is_changed()
            && key.labels().iter().all(|(k, v)| {
                !k.is_empty()
                    && !v.is_empty()
                    && !tag_key(k).is_changed()
                    && !cleaned(v).is_changed()
            })
    }

    /// Writes ` key=value` for each tag of a point of `key`, sorted by
    /// key.
    fn write_tags(&self, key: &MetricKey, out: &mut String) {
        let mut labels: Vec<(Cow<'_, str>, Cow<'_, str>)> =
            Vec::with_capacity(self.tags.len() + key.labels().len());
        for (key, value) in key.labels() {
            let key = tag_key(key).into_cow();
            let value = sanitize(value);
            if !key.is_empty() && !value.is_empty() && !labels.iter().any(|(k, _)| *k == key) {
                labels.push((key, value));
            }
        }
        let mut tags = self.tags.with_labels(labels);
        if tags.is_empty() {
            tags.push((Cow::Borrowed("host"), Cow::Borrowed(&self.host)));
        }
        for (key, value) in &tags {
            out.push(' ');
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
    }
}

/// Writes a finite value: integers as integers, floats in their shortest
/// exact form, with a `.` or an exponent.
fn write_value(out: &mut String, value: Value) {
    // Writing to a String cannot fail.
    let _ = match value {
        Value::Signed(v) => write!(out, "{v}"),
        Value::Unsigned(v) if i64::try_from(v).is_ok() => write!(out, "{v}"),
        // OpenTSDB reads integers as signed 64-bit.
        Value::Unsigned(v) => write!(out, "{:?}", v as f64),
        Value::Float(v) => write!(out, "{v:?}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;
    use std::time::Duration;
    use tachymeter_core::{ManualClock, MetricKey, Registry};
    use tachymeter_report::{encode_once, fields, Payload};

    const TS: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// The lines of `registry` at `TS` with a fresh copy of `encoder`, and
    /// their count.
    fn encode(encoder: &Encoder, registry: &Registry) -> (Vec<String>, Encoded) {
        let (out, encoded) = encode_once(&mut encoder.clone(), &registry.snapshot(), at(TS));
        let lines: Vec<String> = out.iter().map(str::to_string).collect();
        assert_eq!(lines.len() as u64, out.points());
        (lines, encoded)
    }

    #[test]
    fn lines_longer_than_the_limit_are_skipped_and_counted() {
        let registry = Registry::new();
        registry.counter("short").unwrap().inc(1);
        let long = "x".repeat(DEFAULT_MAX_LINE_LEN);
        registry
            .counter(MetricKey::new("long").with_label("url", &long))
            .unwrap()
            .inc(2);
        let (lines, encoded) = encode(&Encoder::new().tag("host", "h"), &registry);
        assert_eq!(lines, ["put short.count 1700000000 1 host=h"]);
        assert_eq!(encoded.too_long, 1);
        let (lines, encoded) = encode(
            &Encoder::new().tag("host", "h").max_line_len(4096),
            &registry,
        );
        assert_eq!((lines.len(), encoded.too_long), (2, 0));
        assert!(lines.iter().all(|l| l.len() <= 4096));
    }

    fn test_encoder() -> Encoder {
        Encoder::new().tag("host", "h")
    }

    #[test]
    fn every_kind_has_go_metrics_names() {
        let clock = Arc::new(ManualClock::new());
        let registry = Registry::builder().clock(clock.clone()).build();
        registry.counter("c").unwrap().inc(3);
        registry.gauge("g").unwrap().update(-7);
        registry.gauge_f64("f").unwrap().update(0.25);
        registry.meter("m").unwrap().mark(4);
        registry.histogram("h").unwrap().update(9);
        registry
            .timer("t")
            .unwrap()
            .update(Duration::from_micros(1500));
        clock.advance(Duration::from_secs(5));
        let (lines, encoded) = encode(&test_encoder().prefix("app"), &registry);
        let names: Vec<&str> = lines.iter().map(|l| l.split(' ').nth(1).unwrap()).collect();
        // go-metrics' names, spelled out in tachymeter-report's tests.
        let snapshot = registry.snapshot();
        let expected: Vec<String> = snapshot
            .metrics
            .iter()
            .flat_map(|e| {
                let fields = fields(&e.snapshot, DurationUnit::Milliseconds);
                let name = e.key.name();
                let paths = fields.as_slice().iter().map(|f| f.path_suffix());
                paths
                    .map(|suffix| format!("app.{name}.{suffix}"))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(names, expected);
        assert_eq!(lines.len(), 32);
        assert_eq!(encoded, Encoded::default());
        assert_eq!(lines[0], "put app.c.count 1700000000 3 host=h");
        assert_eq!(lines[1], "put app.f.value 1700000000 0.25 host=h");
        assert_eq!(lines[2], "put app.g.value 1700000000 -7 host=h");
        assert_eq!(lines[4], "put app.h.min 1700000000 9 host=h");
        assert_eq!(lines[6], "put app.h.mean 1700000000 9.0 host=h");
        assert_eq!(lines[13], "put app.m.count 1700000000 4 host=h");
        // The mean rate: 4 events in 5 s.
        assert_eq!(lines[17], "put app.m.mean 1700000000 0.8 host=h");
        // Timer durations in milliseconds by default.
        assert_eq!(lines[19], "put app.t.min 1700000000 1.5 host=h");
        assert_eq!(lines[20], "put app.t.max 1700000000 1.5 host=h");
        assert_eq!(lines[21], "put app.t.mean 1700000000 1.5 host=h");
    }

    #[test]
    fn durations_follow_the_unit() {
        let registry = Registry::new();
        registry
            .timer("t")
            .unwrap()
            .update(Duration::from_micros(2));
        let encoder = test_encoder().duration_unit(DurationUnit::Nanoseconds);
        let (lines, _) = encode(&encoder, &registry);
        assert_eq!(lines[1], "put t.min 1700000000 2000.0 host=h");
    }

    #[test]
    fn nan_and_infinity_are_skipped_and_counted() {
        let registry = Registry::new();
        registry.gauge_f64("nan").unwrap().update(f64::NAN);
        registry.gauge_f64("inf").unwrap().update(f64::INFINITY);
        registry.gauge_f64("neg").unwrap().update(f64::NEG_INFINITY);
        // An empty window: five NaN percentiles.
        registry.histogram("h").unwrap();
        let (lines, encoded) = encode(&test_encoder(), &registry);
        assert!(lines
            .iter()
            .all(|l| !l.contains("inf") && !l.contains("NaN")));
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert_eq!(
            encoded,
            Encoded {
                non_finite: 8,
                ..Encoded::default()
            }
        );
    }

    #[test]
    fn values_keep_their_exact_form() {
        let cases = [
            (Value::Signed(i64::MIN), "-9223372036854775808"),
            (Value::Unsigned(i64::MAX as u64), "9223372036854775807"),
            (Value::Unsigned(u64::MAX), "1.8446744073709552e19"),
            (Value::Float(3.0), "3.0"),
            (Value::Float(-0.0), "-0.0"),
            (Value::Float(1e-7), "1e-7"),
            (Value::Float(1.5e300), "1.5e300"),
            (Value::Float(0.1), "0.1"),
        ];
        for (value, text) in cases {
            let mut out = String::new();
            write_value(&mut out, value);
            assert_eq!(out, text);
            assert_eq!(out.parse::<f64>().unwrap(), value.as_f64());
        }
    }

    #[test]
    fn labels_join_the_tags_and_win_over_them() {
        let registry = Registry::new();
        let key = MetricKey::new("c")
            .with_label("host", "label-host")
            .with_label("zone", "eu")
            .with_label("a", "1");
        registry.counter(key).unwrap().inc(1);
        let encoder = test_encoder().tag("env", "prod").tag("env", "test");
        let (lines, _) = encode(&encoder, &registry);
        assert_eq!(
            lines,
            ["put c.count 1700000000 1 a=1 env=test host=label-host zone=eu"]
        );
    }

    #[test]
    fn a_point_always_has_a_tag() {
        let registry = Registry::new();
        registry.counter("c").unwrap().inc(1);
        let encoder = Encoder::new().tag("host", "");
        let (lines, _) = encode(&encoder, &registry);
        let host = sanitize(&short_hostname()).into_owned();
        assert_eq!(lines, [format!("put c.count 1700000000 1 host={host}")]);
        // Tags with an empty key or value are no tags.
        let encoder = Encoder::new().tag("host", "").tag("", "x").tag("=", "");
        assert_eq!(encode(&encoder, &registry).0, lines);
        let (lines, _) = encode(&Encoder::new().tag("env", "x"), &registry);
        assert_eq!(
            lines,
            [format!("put c.count 1700000000 1 env=x host={host}")]
        );
    }

    #[test]
    fn hostile_names_stay_one_line_of_allowed_characters() {
        let registry = Registry::new();
        let key = MetricKey::new("a b\nput x 1 1 host=evil")
            .with_label("__name__", "x")
            .with_label("k=v", "v w\r\n")
            .with_label("q\"", "'\\");
        registry.counter(key).unwrap().inc(2);
        let (lines, _) = encode(&test_encoder().prefix("p q"), &registry);
        assert_eq!(
            lines,
            ["put p_q.a_b_put_x_1_1_host_evil.count 1700000000 2 _name__=x host=h k_v=v_w__ q_=__"]
        );
    }

    #[test]
    fn metrics_that_sanitise_alike_get_numbered_names() {
        let registry = Registry::new();
        registry.counter("a b").unwrap().inc(1);
        registry.counter("a,b").unwrap().inc(2);
        registry.histogram("a_b").unwrap().update(3);
        registry
            .counter(MetricKey::new("l").with_label("k", "x y"))
            .unwrap()
            .inc(4);
        registry
            .counter(MetricKey::new("l").with_label("k", "x;y"))
            .unwrap()
            .inc(5);
        // Two labels whose keys sanitise alike: the first is kept.
        registry
            .counter(
                MetricKey::new("two")
                    .with_label("k k", "1")
                    .with_label("k;k", "2"),
            )
            .unwrap()
            .inc(6);
        let mut encoder = test_encoder();
        let counts = |encoder: &mut Encoder| {
            let (out, encoded) = encode_once(encoder, &registry.snapshot(), at(TS));
            assert_eq!(encoded.too_many_tags, 0);
            let mut counts: Vec<String> = out
                .iter()
                .filter(|l| l.contains(".count "))
                .map(String::from)
                .collect();
            counts.sort();
            counts
        };
        // The histogram `a_b` needs no sanitising: it keeps `a_b`.
        let first = counts(&mut encoder);
        assert_eq!(
            first,
            [
                "put a_b.count 1700000000 1 host=h",
                "put a_b_2.count 1700000000 1 host=h",
                "put a_b_3.count 1700000000 2 host=h",
                "put l.count 1700000000 4 host=h k=x_y",
                "put l_2.count 1700000000 5 host=h k=x_y",
                "put two.count 1700000000 6 host=h k_k=1",
            ]
        );
        // A newcomer never takes a name already sent.
        registry.counter("a.b").unwrap().inc(9);
        let mut later = counts(&mut encoder);
        later.retain(|l| !l.starts_with("put a.b."));
        assert_eq!(later, first);
    }

    #[test]
    fn an_empty_name_is_underscore_and_never_takes_the_name_underscore() {
        let registry = Registry::new();
        registry.counter("").unwrap().inc(1);
        registry.counter("_").unwrap().inc(2);
        let (lines, _) = encode(&test_encoder(), &registry);
        assert_eq!(
            lines,
            [
                "put __2.count 1700000000 1 host=h",
                "put _.count 1700000000 2 host=h"
            ]
        );
        let (lines, _) = encode(&test_encoder().prefix("app"), &registry);
        assert_eq!(lines[0], "put app.__2.count 1700000000 1 host=h");
    }

    #[test]
    fn too_many_tags_skip_the_metric() {
        let registry = Registry::new();
        let mut key = MetricKey::new("wide");
        for i in 0..8 {
            key = key.with_label(format!("k{i}"), "v");
        }
        registry.counter(key).unwrap().inc(1);
        let (lines, encoded) = encode(&test_encoder(), &registry);
        assert!(lines.is_empty());
        assert_eq!(encoded.too_many_tags, 1);
        let (lines, _) = encode(&test_encoder().max_tags(9), &registry);
        assert_eq!(lines.len(), 1);
    }
}
