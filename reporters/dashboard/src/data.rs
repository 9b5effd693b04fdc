//! The JSON the page polls: the history's new points and every series'
//! current values.

use crate::history::{History, Shape};
use serde::Serialize;
use std::collections::BTreeMap;
use tachymeter_core::{Distribution, HistogramSnapshot, MetricSnapshot, RegistrySnapshot};

/// Bars at most in a latency distribution.
pub(crate) const MAX_BARS: usize = 40;

/// What a poll's answer says of the dashboard itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Milliseconds between samples.
    pub(crate) interval_ms: u64,
    /// Samples the history holds at most.
    pub(crate) capacity: usize,
    /// When the dashboard started (Unix milliseconds).
    pub(crate) started: u64,
    /// When the answer is made (Unix milliseconds).
    pub(crate) now: u64,
    /// Samples one answer carries at most.
    pub(crate) max_samples: usize,
}

/// One poll's answer.
#[derive(Debug, Serialize)]
pub(crate) struct Data<'a> {
    /// Milliseconds between samples.
    pub(crate) interval_ms: u64,
    /// Samples the history holds at most.
    pub(crate) capacity: usize,
    /// When the dashboard started (Unix milliseconds): another value means
    /// the service restarted and numbers its samples afresh.
    pub(crate) started: u64,
    /// Sequence number of the latest sample in this answer (0 before the
    /// first).
    pub(crate) last: u64,
    /// Whether newer samples wait for the next poll (an answer carries a
    /// bounded number).
    pub(crate) more: bool,
    /// Sequence number of the first sample in `times`.
    pub(crate) first: u64,
    /// When each sample after the asked one was taken (Unix milliseconds).
    pub(crate) times: Vec<u64>,
    /// When the current values were read (Unix milliseconds).
    pub(crate) now: u64,
    /// Every series, in the snapshot's order.
    pub(crate) metrics: Vec<Series<'a>>,
}

/// One series: what it is, its current values and its new points.
#[derive(Debug, Serialize)]
pub(crate) struct Series<'a> {
    /// The key, one to one: name and label names and values, each ended by
    /// a NUL (which a displayed key could not tell from a name holding
    /// braces).
    pub(crate) id: String,
    /// The key as displayed (`name{label="value"}`).
    pub(crate) key: String,
    /// `timer`, `histogram`, `meter`, `counter` or `gauge`.
    pub(crate) kind: &'static str,
    /// Its description, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) help: Option<&'a str>,
    /// `nanoseconds` for timers, else the described unit, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<&'static str>,
    /// Numbers per point.
    pub(crate) width: usize,
    /// Sequence number of the first point in `points`.
    pub(crate) first: u64,
    /// The new points, flattened (`width` numbers each; null where there
    /// was nothing to measure).
    pub(crate) points: Vec<f32>,
    /// The values now, by name.
    pub(crate) current: BTreeMap<&'static str, f64>,
    /// The recent window's distribution as `[low, high, count]` bars.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) bars: Vec<[u64; 3]>,
    /// The slowest values of the history's span that carried a trace
    /// (exemplars), slowest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) traces: Vec<SlowTrace>,
}

/// A value recorded with a trace: where a slow request's trace is.
#[derive(Debug, Serialize)]
pub(crate) struct SlowTrace {
    /// The value (nanoseconds for a timer).
    pub(crate) value: u64,
    /// The trace id, 32 hex digits.
    pub(crate) trace_id: String,
    /// When it was recorded (Unix milliseconds).
    pub(crate) at: u64,
}

/// How many slow traces a card shows.
const SLOW_TRACES: usize = 3;

/// The slowest exemplars of `h` recorded since `since` (Unix ms).
fn slow_traces(h: &HistogramSnapshot, since: u64) -> Vec<SlowTrace> {
    h.exemplars
        .iter()
        .rev()
        .filter(|e| e.unix_nanos / 1_000_000 >= since)
        .take(SLOW_TRACES)
        .map(|e| SlowTrace {
            value: e.value,
            trace_id: e.trace.trace_id_hex(),
            at: e.unix_nanos / 1_000_000,
        })
        .collect()
}

/// The answer to a poll that has seen every sample up to `after`.
pub(crate) fn data<'a>(
    snapshot: &'a RegistrySnapshot,
    history: &History,
    after: u64,
    settings: Settings,
) -> Data<'a> {
    let after = after.min(history.last());
    let first = (after + 1).max(history.first);
    let last = history
        .last()
        .min(first.saturating_add(settings.max_samples.max(1) as u64) - 1);
    let metrics = snapshot
        .metrics
        .iter()
        .filter_map(|entry| {
            let (kind, shape, current, bars) = current(&entry.snapshot)?;
            let (first, points) = match history.series.get(&entry.key) {
                Some(series) if series.shape == shape => {
                    let (first, points) = series.values_after(after, last);
                    (first, points.collect())
                }
                _ => (history.last() + 1, Vec::new()),
            };
            let mut id = String::from(entry.key.name());
            id.push('\0');
            for (name, value) in entry.key.labels() {
                id.push_str(name);
                id.push('\0');
                id.push_str(value);
                id.push('\0');
            }
            let description = entry.description.as_deref();
            // Exemplars are kept by increasing value: the slowest last.
            let span = settings
                .interval_ms
                .saturating_mul(settings.capacity as u64);
            let since = settings.now.saturating_sub(span);
            let traces = match &entry.snapshot {
                MetricSnapshot::Timer(t) => slow_traces(&t.durations, since),
                MetricSnapshot::Histogram(h) => slow_traces(h, since),
                _ => Vec::new(),
            };
            Some(Series {
                id,
                key: entry.key.to_string(),
                kind,
                help: description.map(|d| d.text.as_str()),
                unit: if kind == "timer" {
                    Some("nanoseconds")
                } else {
                    description.and_then(|d| d.unit).map(|u| u.as_str())
                },
                width: shape.width(),
                first,
                points,
                current,
                bars,
                traces,
            })
        })
        .collect();
    Data {
        interval_ms: settings.interval_ms,
        capacity: settings.capacity,
        started: settings.started,
        last,
        more: last < history.last(),
        first,
        times: history.times_after(after, last).collect(),
        now: settings.now,
        metrics,
    }
}

type Current = (
    &'static str,
    Shape,
    BTreeMap<&'static str, f64>,
    Vec<[u64; 3]>,
);

/// A series' kind, point shape, current values and bars.
fn current(snapshot: &MetricSnapshot) -> Option<Current> {
    let mut values = BTreeMap::new();
    let (kind, shape, bars) = match snapshot {
        MetricSnapshot::Timer(t) => {
            distribution(&t.durations, &mut values);
            values.insert("rate1", t.rate.rate1);
            values.insert("rate_mean", t.rate.rate_mean);
            ("timer", Shape::Distribution, bars(&t.durations.recent))
        }
        MetricSnapshot::Histogram(h) => {
            distribution(h, &mut values);
            ("histogram", Shape::Distribution, bars(&h.recent))
        }
        MetricSnapshot::Meter(m) => {
            values.insert("count", m.count as f64);
            values.insert("rate1", m.rate1);
            values.insert("rate5", m.rate5);
            values.insert("rate15", m.rate15);
            ("meter", Shape::Rate, Vec::new())
        }
        MetricSnapshot::Counter(c) => {
            values.insert("count", c.count as f64);
            ("counter", Shape::Rate, Vec::new())
        }
        MetricSnapshot::CounterF64 { value } => {
            values.insert("count", *value);
            ("counter", Shape::Rate, Vec::new())
        }
        MetricSnapshot::Gauge { value } => {
            values.insert("value", *value as f64);
            ("gauge", Shape::Value, Vec::new())
        }
        MetricSnapshot::GaugeF64 { value } => {
            values.insert("value", *value);
            ("gauge", Shape::Value, Vec::new())
        }
        _ => return None,
    };
    // JSON has no NaN or infinity: leave such values out.
    values.retain(|_, v| v.is_finite());
    Some((kind, shape, values, bars))
}

/// Count, mean, extremes and the recent window's quantiles.
fn distribution(h: &HistogramSnapshot, values: &mut BTreeMap<&'static str, f64>) {
    values.insert("count", h.count as f64);
    values.insert("mean", h.mean);
    values.insert("min", h.min as f64);
    values.insert("max", h.max as f64);
    values.insert("recent_count", h.recent.count as f64);
    values.insert("window_s", h.recent.span.as_secs_f64());
    let [p50, p99, p999] = [0.5, 0.99, 0.999].map(|q| h.recent.percentile(q));
    values.insert("p50", p50);
    values.insert("p99", p99);
    values.insert("p999", p999);
}

/// The distribution's non-empty buckets, merged into at most [`MAX_BARS`]
/// bars of equal width on a log scale between its lowest and highest
/// bucket.
pub(crate) fn bars(distribution: &Distribution) -> Vec<[u64; 3]> {
    let buckets: Vec<_> = distribution.buckets().collect();
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return Vec::new();
    };
    if buckets.len() <= MAX_BARS {
        return buckets.iter().map(|b| [b.low, b.high, b.count]).collect();
    }
    let low = (first.low.max(1)) as f64;
    let high = (last.high.max(1)) as f64;
    let step = (high / low).ln() / MAX_BARS as f64;
    let mut bars: Vec<[u64; 3]> = Vec::with_capacity(MAX_BARS);
    let mut current = usize::MAX;
    for b in buckets {
        let mid = (b.low / 2 + b.high / 2).max(1) as f64;
        let slot = if step > 0.0 {
            (((mid / low).ln() / step) as usize).min(MAX_BARS - 1)
        } else {
            0
        };
        match bars.last_mut() {
            Some(bar) if slot == current => {
                bar[1] = b.high;
                bar[2] += b.count;
            }
            _ => {
                bars.push([b.low, b.high, b.count]);
                current = slot;
            }
        }
    }
    bars
}

#[cfg(test)]
mod tests {
    use super::*;
    use tachymeter_core::Histogram;

    #[test]
    fn bars_keep_every_count_and_stay_few() {
        let h = Histogram::new();
        for v in 1..=100_000u64 {
            h.update(v * 37);
        }
        let all = h.snapshot().all_time;
        let bars = bars(&all);
        assert!(bars.len() <= MAX_BARS, "{}", bars.len());
        assert_eq!(bars.iter().map(|b| b[2]).sum::<u64>(), 100_000);
        assert!(bars.windows(2).all(|w| w[0][1] < w[1][0]));
    }

    #[test]
    fn few_buckets_are_bars_as_they_are() {
        let h = Histogram::new();
        h.update(3);
        h.update(3);
        h.update(1000);
        let bars = bars(&h.snapshot().all_time);
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0], [3, 3, 2]);
    }
}
