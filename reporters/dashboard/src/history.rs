//! The bounded in-process history behind the plots: one point per series
//! per sample, for as many samples as the history holds.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;
use tachymeter_core::{Distribution, MetricKey, MetricSnapshot, RegistrySnapshot};

/// The quantiles each timer and histogram point holds, after its rate.
pub(crate) const QUANTILES: [f64; 3] = [0.5, 0.99, 0.999];

/// What a series' points hold, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Values per second, then p50, p99 and p99.9 of the interval.
    Distribution,
    /// Events per second over the interval.
    Rate,
    /// The value at the sample.
    Value,
}

impl Shape {
    /// Numbers per point.
    pub(crate) fn width(self) -> usize {
        match self {
            Shape::Distribution => 1 + QUANTILES.len(),
            Shape::Rate | Shape::Value => 1,
        }
    }
}

/// One series' points, and what the next point is measured from.
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) shape: Shape,
    /// Sequence number of the first point in `values`.
    pub(crate) first: u64,
    /// `shape.width()` numbers per point, oldest first; NaN where there was
    /// nothing to measure (no values in the interval).
    pub(crate) values: VecDeque<f32>,
    /// The count at the previous sample (rates).
    last_count: Option<f64>,
    /// The all-time distribution at the previous sample (interval
    /// quantiles).
    last_distribution: Option<Distribution>,
    /// The sample that last saw this series.
    seen: u64,
}

impl Series {
    fn new(shape: Shape, first: u64, capacity: usize) -> Self {
        Self {
            shape,
            first,
            // One more point than the history holds: it is trimmed after
            // the newest is added.
            values: VecDeque::with_capacity((capacity + 1) * shape.width()),
            last_count: None,
            last_distribution: None,
            seen: first,
        }
    }

    /// Points held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.values.len() / self.shape.width()
    }

    /// The points after sequence number `after` up to `last`, flattened.
    pub(crate) fn values_after(
        &self,
        after: u64,
        last: u64,
    ) -> (u64, impl Iterator<Item = f32> + '_) {
        let first = self.first.max(after.saturating_add(1));
        let width = self.shape.width();
        let skip = (first - self.first) as usize * width;
        let take = (last + 1).saturating_sub(first) as usize * width;
        (first, self.values.iter().copied().skip(skip).take(take))
    }

    /// The rate since the previous sample, `seconds` ago.
    fn rate(&mut self, count: f64, seconds: f64) -> f32 {
        let rate = match self.last_count {
            Some(last) if seconds > 0.0 => ((count - last) / seconds) as f32,
            _ => f32::NAN,
        };
        self.last_count = Some(count);
        rate
    }

    /// Forgets what the next point would be measured from, when a count
    /// that only grows went down: the metric was removed and registered
    /// again under the same key.
    fn restart_if_lower(&mut self, count: u64) {
        if self.last_count.is_some_and(|last| (count as f64) < last) {
            self.last_count = None;
            self.last_distribution = None;
        }
    }

    /// The interval's rate and quantiles, from its all-time distribution.
    fn interval(&mut self, all_time: &Distribution, seconds: f64) -> [f32; 4] {
        self.restart_if_lower(all_time.count);
        let rate = self.rate(all_time.count as f64, seconds);
        let mut point = [rate, f32::NAN, f32::NAN, f32::NAN];
        if let Some(last) = &self.last_distribution {
            let interval = all_time.since(last);
            for (slot, q) in point[1..].iter_mut().zip(interval.percentiles(&QUANTILES)) {
                *slot = q as f32;
            }
        }
        self.last_distribution = Some(all_time.clone());
        point
    }
}

/// Every series' points over the last `capacity` samples.
#[derive(Debug)]
pub(crate) struct History {
    capacity: usize,
    /// Sequence number of the first sample in `times`.
    pub(crate) first: u64,
    /// When each sample was taken, in milliseconds since the Unix epoch.
    pub(crate) times: VecDeque<u64>,
    /// When the latest sample was taken, on the monotonic clock that
    /// rates are measured with.
    last_instant: Option<Instant>,
    pub(crate) series: HashMap<MetricKey, Series>,
}

impl History {
    /// A history of at most `capacity` samples (at least 2).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            first: 1,
            times: VecDeque::with_capacity(capacity.max(2) + 1),
            last_instant: None,
            series: HashMap::new(),
        }
    }

    /// Sequence number of the latest sample (0 before the first).
    pub(crate) fn last(&self) -> u64 {
        self.first + self.times.len() as u64 - 1
    }

    /// Adds a sample of `snapshot` taken at `unix_ms` (shown) and `now`
    /// (rates are measured with it, so a step of the wall clock does not
    /// skew them). Series gone from the registry are forgotten; the oldest
    /// sample goes once the history is full.
    pub(crate) fn record(&mut self, snapshot: &RegistrySnapshot, unix_ms: u64, now: Instant) {
        let seq = self.last() + 1;
        let seconds = self.last_instant.map_or(0.0, |last| {
            now.saturating_duration_since(last).as_secs_f64()
        });
        self.last_instant = Some(now);
        self.times.push_back(unix_ms);
        for entry in &snapshot.metrics {
            let shape = match &entry.snapshot {
                MetricSnapshot::Timer(_) | MetricSnapshot::Histogram(_) => Shape::Distribution,
                MetricSnapshot::Counter(_)
                | MetricSnapshot::CounterF64 { .. }
                | MetricSnapshot::Meter(_) => Shape::Rate,
                MetricSnapshot::Gauge { .. } | MetricSnapshot::GaugeF64 { .. } => Shape::Value,
                _ => continue,
            };
            let series = match self.series.get_mut(&entry.key) {
                Some(series) if series.shape == shape => series,
                // New, or re-registered as another kind: start afresh.
                _ => {
                    self.series
                        .insert(entry.key.clone(), Series::new(shape, seq, self.capacity));
                    self.series.get_mut(&entry.key).expect("just inserted")
                }
            };
            series.seen = seq;
            match &entry.snapshot {
                MetricSnapshot::Timer(t) => {
                    let point = series.interval(&t.durations.all_time, seconds);
                    series.values.extend(point);
                }
                MetricSnapshot::Histogram(h) => {
                    let point = series.interval(&h.all_time, seconds);
                    series.values.extend(point);
                }
                MetricSnapshot::Counter(c) => {
                    let rate = series.rate(c.count as f64, seconds);
                    series.values.push_back(rate);
                }
                MetricSnapshot::CounterF64 { value } => {
                    let rate = series.rate(*value, seconds);
                    series.values.push_back(rate);
                }
                MetricSnapshot::Meter(m) => {
                    series.restart_if_lower(m.count);
                    let rate = series.rate(m.count as f64, seconds);
                    series.values.push_back(rate);
                }
                MetricSnapshot::Gauge { value } => series.values.push_back(*value as f32),
                MetricSnapshot::GaugeF64 { value } => series.values.push_back(*value as f32),
                _ => {}
            }
        }
        self.series.retain(|_, series| series.seen == seq);
        while self.times.len() > self.capacity {
            self.times.pop_front();
            self.first += 1;
            for series in self.series.values_mut() {
                if series.first < self.first {
                    series.values.drain(..series.shape.width());
                    series.first += 1;
                }
            }
        }
    }

    /// The sample times after sequence number `after` up to `last`.
    pub(crate) fn times_after(&self, after: u64, last: u64) -> impl Iterator<Item = u64> + '_ {
        let first = after.saturating_add(1).max(self.first);
        let skip = (first - self.first) as usize;
        let take = (last + 1).saturating_sub(first) as usize;
        self.times.iter().copied().skip(skip).take(take)
    }

    /// Heap bytes held by the points (not the bucket counts each timer and
    /// histogram keeps from the previous sample, to measure the next
    /// interval).
    pub(crate) fn point_bytes(&self) -> usize {
        self.times.capacity() * 8
            + self
                .series
                .values()
                .map(|s| s.values.capacity() * 4)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tachymeter_core::Registry;

    #[test]
    fn rates_and_interval_quantiles_come_from_the_interval_alone() {
        let registry = Registry::new();
        let timer = registry.timer("t").unwrap();
        let jobs = registry.counter("jobs").unwrap();
        let mut history = History::new(10);
        for _ in 0..100 {
            timer.update(Duration::from_millis(1));
        }
        let t0 = Instant::now();
        history.record(&registry.snapshot(), 10_000, t0);
        for _ in 0..50 {
            timer.update(Duration::from_millis(100));
        }
        jobs.inc(20);
        history.record(&registry.snapshot(), 15_000, t0 + Duration::from_secs(5));

        let t = &history.series[&MetricKey::new("t")];
        assert_eq!(t.len(), 2);
        let second: Vec<f32> = t.values.iter().copied().skip(4).collect();
        assert_eq!(second[0], 10.0); // 50 in 5 s
        for q in &second[1..] {
            // Only the 100 ms values are in the second interval.
            assert!((q - 100e6).abs() / 100e6 < 0.01, "{q}");
        }
        let jobs = &history.series[&MetricKey::new("jobs")];
        assert!(jobs.values[0].is_nan());
        assert_eq!(jobs.values[1], 4.0);
    }

    #[test]
    fn the_history_is_bounded_and_forgets_removed_series() {
        let registry = Registry::new();
        let gauge = registry.gauge("g").unwrap();
        registry.counter("gone").unwrap();
        let mut history = History::new(3);
        let t0 = Instant::now();
        for i in 0..10 {
            gauge.update(i);
            if i == 5 {
                registry.unregister("gone");
            }
            let at = t0 + Duration::from_secs(i as u64);
            history.record(&registry.snapshot(), i as u64 * 1000, at);
        }
        assert_eq!(history.times.len(), 3);
        assert_eq!((history.first, history.last()), (8, 10));
        let g = &history.series[&MetricKey::new("g")];
        assert_eq!(g.first, 8);
        assert_eq!(g.values, [7.0, 8.0, 9.0]);
        assert!(!history.series.contains_key(&MetricKey::new("gone")));
        let (first, after) = g.values_after(9, 10);
        assert_eq!((first, after.collect::<Vec<_>>()), (10, vec![9.0]));
        assert_eq!(history.times_after(9, 10).collect::<Vec<_>>(), [9000]);
        // Fallen behind, and at most up to a sample.
        let (first, some) = g.values_after(2, 9);
        assert_eq!((first, some.collect::<Vec<_>>()), (8, vec![7.0, 8.0]));
        assert_eq!(history.times_after(2, 9).collect::<Vec<_>>(), [7000, 8000]);
    }

    #[test]
    fn a_timer_registered_again_starts_its_intervals_afresh() {
        let registry = Registry::new();
        let timer = registry.timer("t").unwrap();
        for _ in 0..100 {
            timer.update(Duration::from_millis(1));
        }
        let mut history = History::new(10);
        let t0 = Instant::now();
        history.record(&registry.snapshot(), 0, t0);
        registry.unregister("t");
        let again = registry.timer("t").unwrap();
        again.update(Duration::from_millis(50));
        history.record(&registry.snapshot(), 1000, t0 + Duration::from_secs(1));
        let t = &history.series[&MetricKey::new("t")];
        // No negative rate, no partial interval: nothing to measure from.
        assert!(
            t.values.iter().skip(4).all(|v| v.is_nan()),
            "{:?}",
            t.values
        );
        again.update(Duration::from_millis(50));
        history.record(&registry.snapshot(), 2000, t0 + Duration::from_secs(2));
        let t = &history.series[&MetricKey::new("t")];
        assert_eq!(t.values[8], 1.0);
    }
}
