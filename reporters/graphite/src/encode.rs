//! [`Encoder`]: a snapshot as Graphite plaintext lines.

use crate::path::PathBuilder;
use std::fmt::Write;
use std::time::{SystemTime, UNIX_EPOCH};
use tachymeter_core::{MetricEntry, RegistrySnapshot};
use tachymeter_report::{
    finite_fields, DurationUnit, Encode, Encoded, Lines, Proposal, SeriesNames, Value,
};

/// How a [`RegistrySnapshot`] becomes Graphite plaintext: one line
/// `path value unix_seconds` per number, with go-metrics' paths. The
/// [`Encode`]r of [`GraphiteReporter`](crate::GraphiteReporter).
///
/// | metric | paths |
/// |---|---|
/// | counter | `name.count` |
/// | gauge | `name.value` |
/// | meter | `name.count`, `.one-minute`, `.five-minute`, `.fifteen-minute`, `.mean` |
/// | histogram | `name.count`, `.min`, `.max`, `.mean`, `.std-dev`, `.50-percentile`, `.75-percentile`, `.95-percentile`, `.99-percentile`, `.999-percentile` |
/// | timer | the histogram's (durations in the [duration unit](Self::duration_unit)), then `.one-minute`, `.five-minute`, `.fifteen-minute`, `.mean-rate` |
///
/// Counts are cumulative (go-metrics' semantics): a lost report loses
/// nothing, the next one carries the totals. Rates are per second;
/// percentiles come from each histogram's recent window, the other
/// numbers from all time.
///
/// **Names.** A metric name's dots separate path segments; empty segments
/// (`a..b`, a leading or trailing dot) are left out. Within a segment every
/// character but ASCII letters, digits, `-` and `_` becomes `_` (one per
/// character): whitespace, line feeds, `;`, `/`, `=`, quotes, `~`, control
/// characters, non-ASCII, and so on, so a name can never split a line, add
/// a tag, leave carbon's directory, or be rejected. A name with no segment
/// left is `_`, under the prefix like any other (`app._`), so a clash
/// suffix lands there too (`app.__2`), never on the prefix. Segments are cut to [`MAX_SEGMENT_LEN`](crate::MAX_SEGMENT_LEN)
/// bytes, and segments or labels that would take a path past
/// [`MAX_PATH_LEN`](crate::MAX_PATH_LEN) bytes are left out.
///
/// **Labels**, sorted by (sanitised) key:
/// - tags off (default): appended as two segments each, `name.key.value`,
///   so `requests{method="GET"}` is `requests.method.GET.count`;
/// - tags on (Graphite 1.1): `name.count;key=value;…`. Keys keep the
///   characters above (so never `;!^=` nor empty); a key `name`, which
///   carbon would overwrite with the metric name, becomes `_name`, and a
///   leading `__` becomes `_`. Values also keep `.`, so they never hold
///   `;` nor start with `~`.
///
/// Two keys of a label set that sanitise alike get `_2`, `_3`, … appended
/// to the later key. Two series that end up with the same path stay apart:
/// the series first sent under a path keeps it (of series new in the same
/// snapshot, one that needed no change first, then the others in order),
/// and the other gets `_2`, `_3`, … appended to its metric name, kept for
/// as long as the encoder lives (its [`SeriesNames`]; see
/// [`encode`](Self::encode)).
///
/// **Values.** Integers are written as integers, floats in the shortest
/// form that reads back as the same `f64`. NaN and ±Inf, which carbon
/// drops, are not written and are counted in [`Encoded::non_finite`]: the
/// percentiles of a histogram with nothing in its recent window are NaN,
/// so this is routine for idle histograms and timers.
///
/// Timer durations are in milliseconds by default, the unit the other
/// reporters of this workspace use. go-metrics' `graphite.Graphite` wrote
/// nanoseconds (`DurationUnit: time.Nanosecond`): choose
/// [`DurationUnit::Nanoseconds`] for its numbers. go-metrics also cut
/// timer min and max to integers and printed two decimals; here no
/// precision is lost.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tachymeter_core::{MetricKey, Registry};
/// use tachymeter_graphite::Encoder;
/// use tachymeter_report::encode_once;
///
/// let registry = Registry::new();
/// registry.counter(MetricKey::new("http.requests").with_label("code", "200"))?.inc(3);
/// registry.gauge("queue depth")?.update(-2);
/// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
///
/// let mut encoder = Encoder::new().prefix("app");
/// let (lines, encoded) = encode_once(&mut encoder, &registry.snapshot(), at);
/// assert_eq!(
///     lines.as_str(),
///     "app.http.requests.code.200.count 3 1700000000\n\
///      app.queue_depth.value -2 1700000000\n"
/// );
/// assert_eq!(encoded.dropped(), 0);
///
/// let (lines, _) = encode_once(&mut Encoder::new().tags(true), &registry.snapshot(), at);
/// assert!(lines.as_str().starts_with("http.requests.count;code=200 3 1700000000\n"));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    paths: PathBuilder,
    unit: DurationUnit,
    /// Each series' path, settled once for the encoder's life.
    names: SeriesNames,
}

impl Encoder {
    /// No prefix, tags off, durations in milliseconds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `prefix` (dot-separated segments, sanitised like names) before
    /// every path. Default none.
    ///
    /// ```
    /// use tachymeter_graphite::Encoder;
    ///
    /// let encoder = Encoder::new().prefix("eu-1.web 01.");
    /// assert_eq!(encoder.prefix_path(), "eu-1.web_01");
    /// ```
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.paths.set_prefix(prefix);
        self
    }

    /// The prefix as it is written (sanitised, no trailing dot).
    ///
    /// ```
    /// use tachymeter_graphite::Encoder;
    ///
    /// assert_eq!(Encoder::new().prefix_path(), "");
    /// ```
    pub fn prefix_path(&self) -> &str {
        self.paths.prefix()
    }

    /// Whether labels are written as Graphite 1.1 tags (`path;key=value`)
    /// instead of path segments. Default off.
    ///
    /// ```
    /// use tachymeter_graphite::Encoder;
    ///
    /// assert!(Encoder::new().tags(true).has_tags());
    /// ```
    pub fn tags(mut self, on: bool) -> Self {
        self.paths.tags = on;
        self
    }

    /// Whether labels are written as tags; see [`tags`](Self::tags).
    ///
    /// ```
    /// use tachymeter_graphite::Encoder;
    ///
    /// assert!(!Encoder::new().has_tags());
    /// ```
    pub fn has_tags(&self) -> bool {
        self.paths.tags
    }

    /// The unit of timer durations (min, max, mean, std-dev, percentiles).
    /// Default milliseconds.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use tachymeter_core::Registry;
    /// use tachymeter_graphite::{DurationUnit, Encoder};
    /// use tachymeter_report::encode_once;
    ///
    /// let registry = Registry::new();
    /// registry.timer("t")?.update(Duration::from_micros(1500));
    /// let mut encoder = Encoder::new().duration_unit(DurationUnit::Microseconds);
    /// let at = UNIX_EPOCH + Duration::from_secs(1);
    /// let (lines, _) = encode_once(&mut encoder, &registry.snapshot(), at);
    /// assert!(lines.as_str().contains("t.max 1500 1\n"), "{lines:?}");
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.unit = unit;
        self
    }
}

impl Encode for Encoder {
    type Output = Lines;

    /// Writes the lines of `snapshot`, each stamped `time` in Unix seconds.
    /// Each series keeps the path it was first written under for as long as
    /// the encoder lives, and no later series takes it (see
    /// [`SeriesNames`]).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use tachymeter_core::Registry;
    /// use tachymeter_graphite::Encoder;
    /// use tachymeter_report::encode_once;
    ///
    /// let (registry, mut encoder) = (Registry::new(), Encoder::new());
    /// let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
    /// registry.counter("a b")?.inc(111);
    /// let (lines, _) = encode_once(&mut encoder, &registry.snapshot(), at(1));
    /// assert_eq!(lines.as_str(), "a_b.count 111 1\n");
    /// // `a_b`, registered later, gets a path of its own.
    /// registry.counter("a_b")?.inc(222);
    /// let (lines, _) = encode_once(&mut encoder, &registry.snapshot(), at(2));
    /// assert_eq!(lines.as_str(), "a_b.count 111 2\na_b_2.count 222 2\n");
    ///
    /// // Nothing recorded: the percentiles are NaN, left out and counted.
    /// registry.histogram("h")?;
    /// let (lines, encoded) = encode_once(&mut Encoder::new(), &registry.snapshot(), at(7));
    /// assert_eq!(encoded.non_finite, 5);
    /// assert!(lines.as_str().contains("h.count 0 7\nh.min 0 7\n"));
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    fn encode(
        &mut self,
        snapshot: &RegistrySnapshot,
        time: SystemTime,
        out: &mut Lines,
    ) -> Encoded {
        let timestamp = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let paths = &self.paths;
        let mut encoded = Encoded::default();
        let mut propose = |entry: &MetricEntry| {
            let path = paths.path(&entry.key);
            Proposal {
                identity: path.base,
                name_end: path.name_end,
                space: 0,
                verbatim: path.clean,
            }
        };
        for (entry, settled) in self.names.settle_snapshot(snapshot, &mut propose) {
            // The field suffix goes after the name when labels are tags,
            // after the labels when they are path segments.
            let split = if paths.tags {
                settled.name_end
            } else {
                settled.identity.len()
            };
            let (head, tail) = settled.identity.split_at(split);
            for field in &finite_fields(&entry.snapshot, self.unit, &mut encoded) {
                out.push_with(|line| {
                    line.push_str(head);
                    line.push('.');
                    line.push_str(field.path_suffix());
                    line.push_str(tail);
                    line.push(' ');
                    push_value(line, field.value);
                    // Writing to a String cannot fail.
                    let _ = write!(line, " {timestamp}");
                    // Paths are bounded (`MAX_PATH_LEN`): no line is too long.
                    true
                });
            }
        }
        encoded
    }
}

/// Writes a finite value: integers as they are, floats in their shortest
/// round-trip form, with an exponent when very large or small (carbon and
/// VictoriaMetrics read both).
fn push_value(out: &mut String, value: Value) {
    let _ = match value {
        Value::Unsigned(v) => write!(out, "{v}"),
        Value::Signed(v) => write!(out, "{v}"),
        Value::Float(v) => {
            let magnitude = v.abs();
            if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
                write!(out, "{v}")
            } else {
                write!(out, "{v:e}")
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tachymeter_core::{MetricKey, Registry};
    use tachymeter_report::{encode_once, fields, Payload};

    fn value(v: Value) -> String {
        let mut out = String::new();
        push_value(&mut out, v);
        out
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// The text `encoder` writes for `registry` at `secs`, and its account.
    fn encode(encoder: &mut Encoder, registry: &Registry, secs: u64) -> (String, Encoded) {
        let (lines, encoded) = encode_once(encoder, &registry.snapshot(), at(secs));
        assert_eq!(lines.iter().count() as u64, lines.points());
        (lines.as_str().to_string(), encoded)
    }

    #[test]
    fn values_read_back_exactly() {
        assert_eq!(value(Value::Unsigned(u64::MAX)), "18446744073709551615");
        assert_eq!(value(Value::Signed(-7)), "-7");
        assert_eq!(value(Value::Float(2.0)), "2");
        assert_eq!(value(Value::Float(0.1)), "0.1");
        assert_eq!(value(Value::Float(-0.0)), "-0");
        assert_eq!(value(Value::Float(1.5e300)), "1.5e300");
        assert_eq!(value(Value::Float(-2.5e-9)), "-2.5e-9");
        for v in [
            1.0 / 3.0,
            123456.789,
            9.999e15,
            1e16,
            3e-5,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(value(Value::Float(v)).parse::<f64>().unwrap(), v);
        }
    }

    /// `prefix.name.suffix` for every field of every metric, in order.
    fn go_metrics_paths(registry: &Registry, prefix: &str) -> Vec<String> {
        let snapshot = registry.snapshot();
        let mut paths = Vec::new();
        for entry in &snapshot.metrics {
            for field in &fields(&entry.snapshot, DurationUnit::Milliseconds) {
                let (name, suffix) = (entry.key.name(), field.path_suffix());
                paths.push(format!("{prefix}.{name}.{suffix}"));
            }
        }
        paths
    }

    #[test]
    fn every_kind_has_go_metrics_paths() {
        let registry = Registry::new();
        registry.counter("c").unwrap().inc(4);
        registry.gauge_f64("g").unwrap().update(0.25);
        registry.meter("m").unwrap().mark(2);
        registry.histogram("h").unwrap().update(9);
        registry
            .timer("t")
            .unwrap()
            .update(Duration::from_millis(5));
        let (out, encoded) = encode(&mut Encoder::new().prefix("p"), &registry, 42);
        let paths: Vec<&str> = out
            .lines()
            .map(|l| {
                let parts: Vec<&str> = l.split(' ').collect();
                assert_eq!(parts.len(), 3, "{l}");
                assert_eq!(parts[2], "42");
                parts[0]
            })
            .collect();
        // go-metrics' names, spelled out in tachymeter-report's tests.
        let expected = go_metrics_paths(&registry, "p");
        assert_eq!(paths, expected);
        assert_eq!(paths.len(), 31);
        assert_eq!(encoded, Encoded::default());
        assert!(out.contains("p.c.count 4 42\n"));
        assert!(out.contains("p.g.value 0.25 42\n"));
        assert!(out.contains("p.h.max 9 42\n"));
        assert!(out.contains("p.t.mean 5 42\n"));
    }

    #[test]
    fn nan_and_infinity_are_skipped() {
        let registry = Registry::new();
        registry.gauge_f64("nan").unwrap().update(f64::NAN);
        registry.gauge_f64("inf").unwrap().update(f64::INFINITY);
        registry
            .gauge_f64("ninf")
            .unwrap()
            .update(f64::NEG_INFINITY);
        registry.gauge_f64("ok").unwrap().update(1.5);
        let (out, encoded) = encode(&mut Encoder::new(), &registry, 1);
        assert_eq!(out, "ok.value 1.5 1\n");
        assert_eq!(
            encoded,
            Encoded {
                non_finite: 3,
                ..Encoded::default()
            }
        );
    }

    #[test]
    fn hostile_names_stay_one_line_each() {
        let registry = Registry::new();
        let hostile = [
            "a b",
            "a\nb 1 2\nc",
            "a;b=c",
            "a/../b",
            "\u{e9}\u{301}",
            "",
            "x\r\ty",
            "q\"'\\,|:=",
        ];
        for (i, name) in hostile.iter().enumerate() {
            let key = MetricKey::new(*name)
                .with_label(*name, *name)
                .with_label("k", *name);
            registry.counter(key).unwrap().inc(i as u64 + 1);
        }
        for tags in [false, true] {
            let (out, encoded) = encode(&mut Encoder::new().tags(tags), &registry, 9);
            assert_eq!(encoded, Encoded::default());
            assert_eq!(out.lines().count(), hostile.len());
            let mut seen = std::collections::HashSet::new();
            for line in out.lines() {
                let parts: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(parts.len(), 3, "{line:?}");
                assert!(seen.insert(parts[0].to_string()), "{line:?}");
                let path = parts[0];
                let (name, tag_list) = path.split_once(';').unwrap_or((path, ""));
                if !tags {
                    assert!(tag_list.is_empty(), "{line:?}");
                }
                assert!(
                    name.split('.').all(|s| !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')),
                    "{line:?}"
                );
                for tag in tag_list.split(';').filter(|t| !t.is_empty()) {
                    let (k, v) = tag.split_once('=').unwrap();
                    assert!(!k.is_empty() && !k.contains(['!', '^', '=']), "{line:?}");
                    assert!(!v.is_empty() && !v.starts_with('~'), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn clashing_paths_get_numbered_and_keep_their_numbers() {
        let registry = Registry::new();
        for (i, name) in ["a b", "a_b", "a;b", "a_b_2"].iter().enumerate() {
            registry.counter(*name).unwrap().inc(i as u64 + 1);
        }
        let mut encoder = Encoder::new();
        let mut paths = |registry: &Registry| {
            let (out, _) = encode(&mut encoder, registry, 1);
            let mut lines: Vec<String> = out.lines().map(String::from).collect();
            lines.sort();
            lines
        };
        // Names needing no change first, then the others in registry order.
        let first = paths(&registry);
        assert_eq!(
            first,
            [
                "a_b.count 2 1",
                "a_b_2.count 4 1",
                "a_b_3.count 1 1",
                "a_b_4.count 3 1"
            ]
        );
        // Later reports, and a newcomer: nobody moves.
        registry.counter("a.b").unwrap().inc(5);
        let mut later = paths(&registry);
        later.retain(|l| l != "a.b.count 5 1");
        assert_eq!(later, first);
        // With tags, the number goes on the name, before the tags.
        let registry = Registry::new();
        registry
            .counter(MetricKey::new("m").with_label("k", "a b"))
            .unwrap()
            .inc(1);
        registry
            .counter(MetricKey::new("m").with_label("k", "a_b"))
            .unwrap()
            .inc(2);
        let (out, _) = encode(&mut Encoder::new().tags(true), &registry, 1);
        assert_eq!(out, "m_2.count;k=a_b 1 1\nm.count;k=a_b 2 1\n");
    }

    #[test]
    fn timestamps_are_whole_unix_seconds() {
        let registry = Registry::new();
        registry.counter("c").unwrap().inc(1);
        let time = at(1_700_000_000) + Duration::from_millis(999);
        let (lines, _) = encode_once(&mut Encoder::new(), &registry.snapshot(), time);
        assert_eq!(lines.as_str(), "c.count 1 1700000000\n");
        // Before 1970 (a clock set wrong): 0 rather than a panic.
        let before = UNIX_EPOCH - Duration::from_secs(5);
        let (lines, _) = encode_once(&mut Encoder::new(), &registry.snapshot(), before);
        assert_eq!(lines.as_str(), "c.count 1 0\n");
    }
}
