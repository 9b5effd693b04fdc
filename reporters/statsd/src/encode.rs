//! A snapshot as StatsD lines packed into datagrams, and, once they are
//! sent, the record of what the daemon was sent.
//!
//! | metric | lines |
//! |---|---|
//! | counter | `name:<delta>\|c`, the change since the last count sent (negative when it went down) |
//! | meter | `name:<delta>\|c` |
//! | gauge | `name:<value>\|g`; a negative value as `name:0\|g` then `name:-5\|g` in one datagram |
//! | timer | `name:<v1>\|ms:<v2>\|ms…`, the durations recorded since the last report, in the duration unit |
//! | histogram | the same as a timer, values unscaled |
//!
//! Nothing is sent for a counter or meter that did not change, nor for a
//! timer or histogram that recorded nothing. NaN and ±Inf gauges are
//! dropped. With DogStatsD tags each line ends with `|#k:v,…` and a timer
//! sends one value per line, as DogStatsD agents expect.

use crate::name::{clean_prefix, WireName};
use crate::sample::{samples, Sample};
use crate::series::Series;
use std::fmt::Write;
use std::time::SystemTime;
use tachymeter_core::{HistogramSnapshot, MetricEntry, MetricSnapshot, RegistrySnapshot};
use tachymeter_report::{
    Datagrams, DurationUnit, Encode, Encoded, Previous, Proposal, SeriesNames, DEFAULT_MAX_DATAGRAM,
};

/// The default most values sent per timer or histogram per report.
pub const DEFAULT_MAX_TIMER_VALUES: usize = 256;

/// The largest payload of a UDP datagram over IPv4.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// How lines are written.
#[derive(Debug, Clone)]
struct Options {
    prefix: String,
    tags: Vec<(String, String)>,
    dogstatsd: bool,
    max_packet_size: usize,
    max_timer_values: usize,
    unit: DurationUnit,
}

/// What the last report would change in what the daemon was sent, once
/// its datagrams are.
#[derive(Debug, Default)]
struct Pending {
    changes: Vec<Change>,
    marks: Vec<Mark>,
}

/// What a series sends in a report: a count, or values.
#[derive(Debug)]
struct Change {
    /// Its index in the snapshot.
    entry: usize,
    what: What,
}

#[derive(Debug)]
enum What {
    /// The count the delta was taken from.
    Count(i64),
    /// The values since the last report, as (low, high, growth) buckets.
    Values(Vec<(u64, u64, u64)>),
}

/// A line of a change: in which datagram, and how far into the change's
/// values it reaches (1 for a count).
#[derive(Debug, Clone, Copy)]
struct Mark {
    datagram: usize,
    change: usize,
    reach: u64,
}

/// Turns snapshots into StatsD lines packed into [`Datagrams`] (see the
/// [crate docs](crate) for the lines, names and datagrams), remembering per
/// series what the daemon was sent: each report sends what changed since
/// the last report that was delivered, counter deltas and timer values
/// being remembered as sent only once their datagram was.
///
/// ```
/// use std::time::SystemTime;
/// use tachymeter_core::Registry;
/// use tachymeter_report::{encode_once, Encode};
/// use tachymeter_statsd::Encoder;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(3);
/// let mut encoder = Encoder::new().prefix("app");
/// let (datagrams, _) = encode_once(&mut encoder, &registry.snapshot(), SystemTime::now());
/// assert_eq!(datagrams.iter().collect::<Vec<_>>(), [b"app.jobs:3|c"]);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug)]
pub struct Encoder {
    options: Options,
    /// Each series' wire name, settled once for the encoder's life.
    names: SeriesNames,
    series: Previous<Series>,
    pending: Pending,
}

impl Default for Encoder {
    /// [`Encoder::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// No prefix, labels as name segments, datagrams of at most
    /// [`DEFAULT_MAX_DATAGRAM`] bytes, [`DEFAULT_MAX_TIMER_VALUES`] values
    /// per timer, durations in milliseconds.
    pub fn new() -> Self {
        Encoder {
            options: Options {
                prefix: String::new(),
                tags: Vec::new(),
                dogstatsd: false,
                max_packet_size: DEFAULT_MAX_DATAGRAM,
                max_timer_values: DEFAULT_MAX_TIMER_VALUES,
                unit: DurationUnit::Milliseconds,
            },
            names: SeriesNames::new(),
            series: Previous::new(),
            pending: Pending::default(),
        }
    }

    /// Puts `prefix` and a `.` before every name (cleaned like names;
    /// default none).
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.options.prefix = clean_prefix(prefix);
        self
    }

    /// Sends labels as DogStatsD tags (`|#name:value,…`) instead of path
    /// segments of the name (`.name.value`). Default off. With tags on, a
    /// timer sends one value per line, as DogStatsD agents require.
    pub fn dogstatsd_tags(mut self, on: bool) -> Self {
        self.options.dogstatsd = on;
        self
    }

    /// Adds a label to every series (a series' own label of the same name
    /// wins; an empty value adds nothing): a tag with
    /// [`dogstatsd_tags`](Self::dogstatsd_tags), else two more segments of
    /// each name.
    pub fn tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.options.tags.retain(|(n, _)| *n != name);
        self.options.tags.push((name, value.into()));
        self
    }

    /// The largest datagram sent, in bytes (default
    /// [`DEFAULT_MAX_DATAGRAM`], 1432, what fits an Ethernet frame; use 512
    /// across the internet; at most 65,507). A line longer than that is
    /// dropped and counted, never cut.
    pub fn max_packet_size(mut self, bytes: usize) -> Self {
        self.options.max_packet_size = bytes.min(MAX_UDP_PAYLOAD);
        self
    }

    /// The most values a timer or histogram sends per report (default
    /// [`DEFAULT_MAX_TIMER_VALUES`]; at least 64). Beyond it the values
    /// are sent as the means of groups of consecutive values with a sample
    /// rate: StatsD's count stays exact, its percentiles move by at most
    /// one group (see the [crate docs](crate)).
    pub fn max_timer_values(mut self, values: usize) -> Self {
        self.options.max_timer_values = values.max(64);
        self
    }

    /// The unit timer values are sent in (default milliseconds, which is
    /// what StatsD's `|ms` means; histograms are sent unscaled).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.options.unit = unit;
        self
    }

    /// The lines for `snapshot`, packed into `out`; what they would change
    /// is kept until [`commit`](Self::commit).
    fn encode_datagrams(&mut self, snapshot: &RegistrySnapshot, out: &mut Datagrams) -> Encoded {
        self.track(snapshot);
        out.set_max(self.options.max_packet_size);
        let mut lines = Lines {
            packer: out,
            pending: Pending::default(),
            encoded: Encoded::default(),
            line: String::new(),
        };
        let options = &self.options;
        for (entry_index, entry) in snapshot.metrics.iter().enumerate() {
            let Some(series) = self.series.get_mut(&entry.key) else {
                continue;
            };
            let change = lines.pending.changes.len();
            let wire = &series.wire;
            match &entry.snapshot {
                MetricSnapshot::Counter(c) => {
                    let delta = series.counter_delta(c);
                    lines.count(wire, change, delta);
                    lines.change(entry_index, What::Count(c.count));
                }
                MetricSnapshot::Meter(m) => {
                    let (delta, upto) = series.meter_delta(m.count);
                    lines.count(wire, change, delta);
                    lines.change(entry_index, What::Count(upto));
                }
                MetricSnapshot::Gauge { value } => {
                    lines.gauge(wire, *value as f64, &value.to_string());
                }
                // A total read from elsewhere: StatsD counters are
                // increments the daemon sums per flush, so it is a gauge.
                MetricSnapshot::GaugeF64 { value } | MetricSnapshot::CounterF64 { value } => {
                    if value.is_finite() {
                        let mut text = String::new();
                        push_f64(&mut text, *value);
                        lines.gauge(wire, *value, &text);
                    } else {
                        lines.encoded.non_finite += 1;
                    }
                }
                MetricSnapshot::Histogram(h) => {
                    let delta = series.bucket_delta(h);
                    let wire = &series.wire;
                    lines.values(options, wire, change, &delta, h, 1.0);
                    lines.change(entry_index, What::Values(delta));
                }
                MetricSnapshot::Timer(t) => {
                    let h = &t.durations;
                    let delta = series.bucket_delta(h);
                    let wire = &series.wire;
                    let per_unit = options.unit.nanos();
                    lines.values(options, wire, change, &delta, h, per_unit);
                    lines.change(entry_index, What::Values(delta));
                }
                _ => {}
            }
        }
        self.pending = lines.pending;
        lines.encoded
    }

    /// Remembers as sent what the last encoding (of `snapshot`, in
    /// `datagrams` datagrams) holds in its first `delivered` datagrams (all
    /// of it, and what it dropped, when every datagram was).
    fn commit(&mut self, snapshot: &RegistrySnapshot, datagrams: usize, delivered: usize) {
        let pending = std::mem::take(&mut self.pending);
        let all = delivered >= datagrams;
        let mut reach = vec![0u64; pending.changes.len()];
        for mark in &pending.marks {
            if all || mark.datagram < delivered {
                reach[mark.change] = reach[mark.change].max(mark.reach);
            }
        }
        for (change, reach) in pending.changes.iter().zip(reach) {
            if reach == 0 {
                continue;
            }
            let Some(entry) = snapshot.metrics.get(change.entry) else {
                continue;
            };
            let Some(series) = self.series.get_mut(&entry.key) else {
                continue;
            };
            match &change.what {
                What::Count(count) => series.commit_count(*count),
                What::Values(delta) => series.commit_values(delta, reach),
            }
        }
    }

    /// How many series are remembered (those of the last snapshot).
    #[cfg(test)]
    pub(crate) fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Settles the wire names of the snapshot's series (once for the
    /// encoder's life: see [`SeriesNames`]), adds its new series and
    /// forgets those gone from the registry (see [`Previous`]).
    fn track(&mut self, snapshot: &RegistrySnapshot) {
        let o = &self.options;
        let mut propose = |entry: &MetricEntry| {
            let wire = WireName::new(&o.prefix, &entry.key, &o.tags, o.dogstatsd);
            Proposal {
                identity: wire.id(),
                name_end: wire.name_end,
                // The daemon keeps counters, gauges and timers apart: each
                // kind is a space of its own.
                space: match entry.snapshot {
                    MetricSnapshot::Counter(_) | MetricSnapshot::Meter(_) => 0,
                    MetricSnapshot::Gauge { .. }
                    | MetricSnapshot::GaugeF64 { .. }
                    | MetricSnapshot::CounterF64 { .. } => 1,
                    _ => 2,
                },
                verbatim: wire.verbatim,
            }
        };
        self.series.finish(snapshot);
        for (entry, settled) in self.names.settle_snapshot(snapshot, &mut propose) {
            if self.series.get(&entry.key).is_none() {
                let wire = WireName::settled(&settled.identity, settled.name_end, o.dogstatsd);
                self.series.insert(&entry.key, Series::new(wire));
            }
        }
    }
}

impl Encode for Encoder {
    type Output = Datagrams;

    /// What changed since the last delivered report (StatsD lines carry no
    /// time: `time` is not used).
    fn encode(
        &mut self,
        snapshot: &RegistrySnapshot,
        _: SystemTime,
        out: &mut Datagrams,
    ) -> Encoded {
        self.encode_datagrams(snapshot, out)
    }

    fn delivered(&mut self, snapshot: &RegistrySnapshot, out: &Datagrams, points: u64) {
        self.commit(snapshot, out.len(), out.datagrams_in(points));
    }
}

/// Lines being written for one report.
struct Lines<'a> {
    packer: &'a mut Datagrams,
    pending: Pending,
    encoded: Encoded,
    /// Reused for each line.
    line: String,
}

impl Lines<'_> {
    fn change(&mut self, entry: usize, what: What) {
        self.pending.changes.push(Change { entry, what });
    }

    /// Packs `self.line` (worth `values` values) for `change`, reaching
    /// `reach`; a line too long is dropped and counted, and remembered as
    /// sent like the lines around it.
    fn emit(&mut self, values: u64, change: Option<(usize, u64)>) {
        let datagram = match self.packer.push(&self.line) {
            Some(datagram) => datagram,
            None => {
                self.encoded.too_long += values;
                self.packer.position()
            }
        };
        if let Some((change, reach)) = change {
            self.pending.marks.push(Mark {
                datagram,
                change,
                reach,
            });
        }
    }

    fn count(&mut self, wire: &WireName, change: usize, delta: i64) {
        if delta == 0 {
            return;
        }
        self.line.clear();
        let _ = write!(self.line, "{}:{delta}|c{}", wire.name, wire.tags);
        self.emit(1, Some((change, 1)));
    }

    /// A gauge at `value` (written `text`): a leading sign means a change,
    /// so a negative value is set from 0.
    fn gauge(&mut self, wire: &WireName, value: f64, text: &str) {
        self.line.clear();
        let (name, tags) = (&wire.name, &wire.tags);
        if value < 0.0 {
            let _ = write!(self.line, "{name}:0|g{tags}\n{name}:{text}|g{tags}");
        } else {
            let _ = write!(self.line, "{name}:{text}|g{tags}");
        }
        self.emit(1, None);
    }

    /// The values of `delta` (buckets of `h`) divided by `per_unit`.
    #[allow(clippy::too_many_arguments)]
    fn values(
        &mut self,
        options: &Options,
        wire: &WireName,
        change: usize,
        delta: &[(u64, u64, u64)],
        h: &HistogramSnapshot,
        per_unit: f64,
    ) {
        if delta.is_empty() {
            return;
        }
        let (lowest, highest) = (h.min as f64, h.max as f64);
        let runs: Vec<(f64, u64)> = delta
            .iter()
            .map(|&(low, high, grew)| {
                let mid = low as f64 + (high - low) as f64 / 2.0;
                (mid.clamp(lowest.min(highest), highest) / per_unit, grew)
            })
            .collect();
        let samples = samples(&runs, options.max_timer_values);
        let limit = options.max_packet_size;
        let mut value = String::new();
        let mut in_line = 0u64;
        let mut reach = 0;
        self.line.clear();
        for sample in &samples {
            value.clear();
            push_sample(&mut value, sample);
            let full = self.line.len() + 1 + value.len() + wire.tags.len() > limit;
            if in_line > 0 && (options.dogstatsd || full) {
                self.line.push_str(&wire.tags);
                self.emit(in_line, Some((change, reach)));
                self.line.clear();
                in_line = 0;
            }
            if in_line == 0 {
                self.line.push_str(&wire.name);
            }
            self.line.push(':');
            self.line.push_str(&value);
            in_line += 1;
            reach = sample.end;
        }
        if in_line > 0 {
            self.line.push_str(&wire.tags);
            self.emit(in_line, Some((change, reach)));
        }
    }
}

/// `v|ms`, with `|@rate` when the value stands for several.
fn push_sample(out: &mut String, sample: &Sample) {
    push_rounded(out, sample.value);
    out.push_str("|ms");
    if sample.weight > 1 {
        // 1/2^k: exact, and written without an exponent (StatsD reads the
        // rate as digits and dots only).
        let _ = write!(out, "|@{}", 1.0 / sample.weight as f64);
    }
}

/// A finite number as StatsD reads it: whole numbers without a fraction,
/// no sign on zero, an exponent only when that is much shorter.
fn push_f64(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let start = out.len();
        let _ = write!(out, "{v}");
        if out.len() - start > 24 {
            out.truncate(start);
            let _ = write!(out, "{v:e}");
        }
    }
}

/// A finite, non-negative value to 9 significant digits (far finer than a
/// histogram's buckets), without trailing zeros.
fn push_rounded(out: &mut String, v: f64) {
    if v == 0.0 || !v.is_finite() {
        out.push('0');
        return;
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (8 - magnitude).clamp(0, 20) as usize;
    let start = out.len();
    let _ = write!(out, "{v:.decimals$}");
    if out[start..].contains('.') {
        let end = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(end.max(start + 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tachymeter_core::{MetricKey, Registry};

    /// The datagrams of one report, and what it left out.
    fn encode(encoder: &mut Encoder, snapshot: &RegistrySnapshot) -> (Datagrams, Encoded) {
        let mut out = Datagrams::default();
        let encoded = encoder.encode_datagrams(snapshot, &mut out);
        (out, encoded)
    }

    fn text(datagrams: &Datagrams) -> Vec<String> {
        datagrams
            .iter()
            .map(|d| String::from_utf8(d.to_vec()).unwrap())
            .collect()
    }

    /// Encodes and commits everything, as a report that was sent would.
    fn sent(encoder: &mut Encoder, registry: &Registry) -> Vec<String> {
        let snapshot = registry.snapshot();
        let (out, _) = encode(encoder, &snapshot);
        encoder.commit(&snapshot, out.len(), out.len());
        text(&out)
    }

    #[test]
    fn every_kind_has_its_line() {
        let registry = Registry::new();
        registry.counter("a").unwrap().inc(3);
        registry.gauge("b").unwrap().update(-4);
        registry.gauge_f64("c").unwrap().update(2.5);
        registry.meter("d").unwrap().mark(2);
        registry.histogram("e").unwrap().update(7);
        registry
            .timer("f")
            .unwrap()
            .update(Duration::from_micros(1500));
        registry.gauge("g").unwrap().update(5);
        let mut encoder = Encoder::new();
        assert_eq!(
            sent(&mut encoder, &registry),
            ["a:3|c\nb:0|g\nb:-4|g\nc:2.5|g\nd:2|c\ne:7|ms\nf:1.5|ms\ng:5|g"]
        );
        // Only what changed, and gauges again.
        registry.counter("a").unwrap().dec(5);
        assert_eq!(
            sent(&mut encoder, &registry),
            ["a:-5|c\nb:0|g\nb:-4|g\nc:2.5|g\ng:5|g"]
        );
    }

    #[test]
    fn deltas_wait_for_a_delivered_datagram() {
        let registry = Registry::new();
        let counter = registry.counter("a").unwrap();
        let timer = registry.timer("t").unwrap();
        counter.inc(2);
        timer.update(Duration::from_millis(3));
        let mut encoder = Encoder::new();
        let snapshot = registry.snapshot();
        let (out, _) = encode(&mut encoder, &snapshot);
        encoder.commit(&snapshot, out.len(), 0);
        counter.inc(1);
        timer.update(Duration::from_millis(3));
        assert_eq!(sent(&mut encoder, &registry), ["a:3|c\nt:3|ms:3|ms"]);
        assert!(sent(&mut encoder, &registry).is_empty());
    }

    #[test]
    fn a_counter_a_filter_left_out_sends_only_what_is_new() {
        // `Quiet` leaves unchanged series out; when the counter changes
        // again, only its new count is sent, not all of it a second time.
        let registry = Registry::new();
        let counter = registry.counter("a").unwrap();
        counter.inc(5);
        let mut encoder = Encoder::new();
        let mut quiet = tachymeter_report::Quiet::default().unchanged(true);
        let mut report = |encoder: &mut Encoder| {
            let snapshot = quiet.apply(registry.snapshot());
            let (out, _) = encode(encoder, &snapshot);
            encoder.commit(&snapshot, out.len(), out.len());
            text(&out)
        };
        assert_eq!(report(&mut encoder), ["a:5|c"]);
        assert!(report(&mut encoder).is_empty());
        counter.inc(2);
        assert_eq!(report(&mut encoder), ["a:2|c"]);
    }

    #[test]
    fn non_finite_gauges_are_dropped_and_counted() {
        let registry = Registry::new();
        registry.gauge_f64("nan").unwrap().update(f64::NAN);
        registry.gauge_f64("inf").unwrap().update(f64::NEG_INFINITY);
        registry.gauge_f64("zero").unwrap().update(-0.0);
        registry.gauge_f64("tiny").unwrap().update(-1e-300);
        let mut encoder = Encoder::new();
        let (out, encoded) = encode(&mut encoder, &registry.snapshot());
        assert_eq!(text(&out), ["tiny:0|g\ntiny:-1e-300|g\nzero:0|g"]);
        assert_eq!(encoded.non_finite, 2);
    }

    #[test]
    fn datagrams_respect_the_limit_and_long_lines_are_dropped() {
        let registry = Registry::new();
        for i in 0..50 {
            registry.counter(format!("c{i:02}")).unwrap().inc(1);
        }
        registry.counter("x".repeat(40)).unwrap().inc(1);
        let timer = registry.timer("t").unwrap();
        for ms in 1..=100 {
            timer.update(Duration::from_millis(ms));
        }
        let mut encoder = Encoder::new().max_packet_size(32);
        let snapshot = registry.snapshot();
        let (out, encoded) = encode(&mut encoder, &snapshot);
        assert_eq!(encoded.too_long, 1);
        let datagrams = text(&out);
        assert!(datagrams.iter().all(|d| d.len() <= 32), "{datagrams:?}");
        let lines: Vec<&str> = datagrams.iter().flat_map(|d| d.split('\n')).collect();
        assert_eq!(lines.iter().filter(|l| l.ends_with("|c")).count(), 50);
        let timer_values: usize = lines
            .iter()
            .filter(|l| l.starts_with("t:"))
            .map(|l| l.matches("|ms").count())
            .sum();
        assert_eq!(timer_values, 100);
        // The long counter is not tried again.
        encoder.commit(&snapshot, out.len(), out.len());
        let (again, encoded) = encode(&mut encoder, &registry.snapshot());
        assert!(again.is_empty());
        assert_eq!(encoded.too_long, 0);
    }

    #[test]
    fn a_failed_datagram_keeps_the_rest_of_a_timer() {
        let registry = Registry::new();
        let timer = registry.timer("t").unwrap();
        for _ in 0..10 {
            timer.update(Duration::from_millis(1));
        }
        // "t:1|ms:1|ms" = 11 bytes: two per line
        let mut encoder = Encoder::new().max_packet_size(12);
        let snapshot = registry.snapshot();
        let (out, _) = encode(&mut encoder, &snapshot);
        assert_eq!(out.len(), 5);
        encoder.commit(&snapshot, out.len(), 2);
        let rest = sent(&mut encoder, &registry);
        let values: usize = rest.iter().map(|d| d.matches("|ms").count()).sum();
        assert_eq!(values, 6);
    }

    #[test]
    fn many_values_are_sampled_with_exact_counts() {
        let registry = Registry::new();
        let timer = registry.timer("t").unwrap();
        for us in 0..1000u64 {
            timer.update(Duration::from_micros(1000 + us));
        }
        let mut encoder = Encoder::new().max_timer_values(64);
        let datagrams = sent(&mut encoder, &registry);
        let mut count = 0.0;
        let mut values = 0;
        for field in datagrams.iter().flat_map(|d| d.split(['\n', ':'])) {
            if field == "t" {
                continue;
            }
            let parts: Vec<_> = field.split('|').collect();
            assert_eq!(parts[1], "ms");
            let rate: f64 = parts.get(2).map_or(1.0, |r| r[1..].parse().unwrap());
            count += 1.0 / rate;
            values += 1;
        }
        assert_eq!(count, 1000.0);
        assert_eq!(values, 63);
    }

    #[test]
    fn dogstatsd_lines_carry_tags_and_one_value_each() {
        let registry = Registry::new();
        let key = MetricKey::new("t").with_label("route", "/a");
        registry
            .timer(key)
            .unwrap()
            .update(Duration::from_millis(2));
        let u = registry.timer("u").unwrap();
        u.update(Duration::from_millis(3));
        u.update(Duration::from_millis(3));
        registry
            .gauge(MetricKey::new("g").with_label("a", "b"))
            .unwrap()
            .update(-1);
        let mut encoder = Encoder::new()
            .dogstatsd_tags(true)
            .prefix("app")
            .tag("host", "h 1");
        assert_eq!(
            sent(&mut encoder, &registry),
            ["app.g:0|g|#a:b,host:h_1\napp.g:-1|g|#a:b,host:h_1\n\
              app.t:2|ms|#host:h_1,route:_a\napp.u:3|ms|#host:h_1\napp.u:3|ms|#host:h_1"]
        );
    }

    #[test]
    fn clashing_names_are_numbered_and_keep_their_numbers() {
        let registry = Registry::new();
        registry.counter("a b").unwrap().inc(1);
        registry.counter("a:b").unwrap().inc(4);
        let mut encoder = Encoder::new();
        // In snapshot order (by name): `a b`, then `a:b`.
        assert_eq!(sent(&mut encoder, &registry), ["a_b:1|c\na_b_2:4|c"]);
        // `a_b`, registered later, never takes a name already sent.
        registry.counter("a_b").unwrap().inc(2);
        registry.counter("a b").unwrap().inc(10);
        assert_eq!(sent(&mut encoder, &registry), ["a_b:10|c\na_b_3:2|c"]);
        // Gone, the name stays reserved, and comes back with its series.
        registry.unregister("a b");
        registry.counter("a_b").unwrap().inc(1);
        assert_eq!(sent(&mut encoder, &registry), ["a_b_3:1|c"]);
        assert_eq!(encoder.series_count(), 2);
        registry.counter("a b").unwrap().inc(7);
        assert_eq!(sent(&mut encoder, &registry), ["a_b:7|c"]);
    }

    #[test]
    fn names_clash_only_within_one_kind() {
        // The daemon keeps counters, gauges and timers apart.
        let registry = Registry::new();
        registry.counter("q b").unwrap().inc(1);
        registry.gauge("q_b").unwrap().update(5);
        registry.gauge("q:b").unwrap().update(6);
        let mut encoder = Encoder::new();
        let (out, _) = encode(&mut encoder, &registry.snapshot());
        // A name needing no change first: the gauge `q_b` keeps its own.
        assert_eq!(text(&out), ["q_b:1|c\nq_b_2:6|g\nq_b:5|g"]);
    }

    #[test]
    fn labels_follow_the_number_in_both_label_styles() {
        let registry = Registry::new();
        registry
            .counter(MetricKey::new("m n").with_label("k", "v"))
            .unwrap()
            .inc(1);
        registry
            .counter(MetricKey::new("m_n").with_label("k", "v"))
            .unwrap()
            .inc(2);
        let mut encoder = Encoder::new();
        assert_eq!(
            sent(&mut encoder, &registry),
            ["m_n_2.k.v:1|c\nm_n.k.v:2|c"]
        );
        let mut encoder = Encoder::new().dogstatsd_tags(true);
        assert_eq!(
            sent(&mut encoder, &registry),
            ["m_n_2:1|c|#k:v\nm_n:2|c|#k:v"]
        );
    }

    #[test]
    fn numbers_are_written_the_way_statsd_reads_them() {
        let f = |v: f64| {
            let mut s = String::new();
            push_f64(&mut s, v);
            s
        };
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(3.0), "3");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(1e300), "1e300");
        assert_eq!(f(1.5e-7), "0.00000015");
        assert_eq!(f(1e20), "100000000000000000000");
        let r = |v: f64| {
            let mut s = String::new();
            push_rounded(&mut s, v);
            s
        };
        assert_eq!(r(0.055039500000000005), "0.0550395");
        assert_eq!(r(1234.5678901234), "1234.56789");
        assert_eq!(r(0.000001), "0.000001");
        assert_eq!(r(1500.0), "1500");
        assert_eq!(r(12345678901.5), "12345678902");
        assert_eq!(r(0.0), "0");
        let mut s = String::new();
        push_sample(
            &mut s,
            &Sample {
                value: 1.25,
                weight: 1 << 40,
                end: 0,
            },
        );
        assert_eq!(s, "1.25|ms|@0.0000000000009094947017729282");
    }
}
