//! Point-in-time copies of metrics: what reporters read.
//!
//! Snapshots are plain data: taking one never blocks a writer, and with the
//! `serde` feature every snapshot type implements `serde::Serialize`.

use crate::buckets::{Counts, Layout};
use crate::description::Description;
use crate::key::MetricKey;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "serde")]
use serde::Serialize;

#[cfg(feature = "serde")]
impl Serialize for Distribution {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Distribution", 5)?;
        s.serialize_field("count", &self.count)?;
        s.serialize_field("span", &self.span)?;
        s.serialize_field("lowest", &self.lowest)?;
        s.serialize_field("highest", &self.highest)?;
        s.serialize_field("buckets", &self.buckets().collect::<Vec<_>>())?;
        s.end()
    }
}

/// A [`Counter`](crate::Counter) at one instant.
///
/// ```
/// let jobs = tachymeter_core::Counter::new();
/// jobs.inc(3);
/// assert_eq!((jobs.snapshot().count, jobs.snapshot().monotonic), (3, true));
/// jobs.dec(1);
/// assert!(!jobs.snapshot().monotonic); // exported as a gauge from now on
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct CounterSnapshot {
    /// The count.
    pub count: i64,
    /// `false` once the counter has been decremented or cleared: it can no
    /// longer be exported as a monotonic counter.
    pub monotonic: bool,
    /// The latest trace kept with an increment
    /// ([`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar)).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub exemplar: Option<crate::Exemplar>,
}

/// A [`Meter`](crate::Meter) (or a timer's rates) at one instant.
///
/// ```
/// let logins = tachymeter_core::Meter::new();
/// logins.mark(5);
/// let s = logins.snapshot();
/// assert_eq!(s.count, 5);
/// assert!(s.rate_mean >= 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct MeterSnapshot {
    /// Events recorded so far.
    pub count: u64,
    /// One-minute moving average, events per second.
    pub rate1: f64,
    /// Five-minute moving average, events per second.
    pub rate5: f64,
    /// Fifteen-minute moving average, events per second.
    pub rate15: f64,
    /// Events per second since creation.
    pub rate_mean: f64,
}

/// One non-empty bucket: `count` values between `low` and `high` inclusive
/// (see [`Distribution::buckets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Bucket {
    /// The smallest value the bucket holds.
    pub low: u64,
    /// The largest value the bucket holds.
    pub high: u64,
    /// How many values fell in it.
    pub count: u64,
}

/// The bucketed values of a histogram over some span of time, and the
/// percentiles they give.
///
/// With the `serde` feature it serialises as its public fields plus
/// `buckets`, the list of non-empty [`Bucket`]s.
///
/// ```
/// let h = tachymeter_core::Histogram::new();
/// for v in 1..=100 {
///     h.update(v);
/// }
/// let all = h.snapshot().all_time;
/// assert_eq!((all.count, all.lowest, all.highest), (100, 1, 100));
/// assert_eq!(all.percentile(0.5), 50.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Values in the buckets (always the sum of the bucket counts).
    pub count: u64,
    /// How far back the values reach.
    pub span: Duration,
    /// The histogram's exact all-time minimum; estimates never go below it.
    pub lowest: u64,
    /// The histogram's exact all-time maximum; estimates never go above it.
    pub highest: u64,
    /// Shared with the other distribution of the same snapshot when both
    /// hold the same values.
    pub(crate) counts: Arc<Counts>,
    pub(crate) layout: Layout,
}

impl Distribution {
    /// The non-empty buckets in increasing order.
    ///
    /// ```
    /// use tachymeter_core::Histogram;
    ///
    /// let h = Histogram::new();
    /// h.update(3);
    /// h.update(3);
    /// h.update(1_000);
    /// let s = h.snapshot();
    /// let buckets: Vec<_> = s.all_time.buckets().collect();
    /// assert_eq!(buckets.len(), 2);
    /// assert_eq!((buckets[0].low, buckets[0].high, buckets[0].count), (3, 3, 2));
    /// assert!(buckets[1].low <= 1_000 && 1_000 <= buckets[1].high);
    /// ```
    pub fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.counts.buckets(&self.layout)
    }

    /// For each of `limits` (ascending), how many values lie in buckets
    /// wholly at or below it, into `out` (cleared first): a classic
    /// histogram's cumulative bucket counts. A value within the
    /// histogram's relative error above a limit may be left out of it;
    /// none above it is counted.
    ///
    /// ```
    /// let h = tachymeter_core::Histogram::new();
    /// for v in [1, 5, 10, 10, 2_000] {
    ///     h.update(v);
    /// }
    /// let mut counts = Vec::new();
    /// h.snapshot().all_time.counts_at_most(&[0, 5, 10, 1_000, u64::MAX], &mut counts);
    /// assert_eq!(counts, [0, 2, 4, 4, 5]);
    /// ```
    pub fn counts_at_most(&self, limits: &[u64], out: &mut Vec<u64>) {
        self.counts.at_most(&self.layout, limits, out);
    }

    /// The values recorded between `earlier` and `self`, two snapshots of
    /// the same histogram's [`all_time`](HistogramSnapshot::all_time)
    /// distribution: what a reporter sends for one interval. `lowest` and
    /// `highest` stay the all-time bounds; `span` is the time between them.
    ///
    /// Buckets are subtracted one by one, never going below zero. An
    /// `earlier` from a histogram of another precision or range shares no
    /// buckets with `self`: the result is `self` unchanged.
    ///
    /// ```
    /// let h = tachymeter_core::Histogram::new();
    /// h.update(10);
    /// let first = h.snapshot().all_time;
    /// h.update(20);
    /// h.update(20);
    /// let interval = h.snapshot().all_time.since(&first);
    /// assert_eq!(interval.count, 2);
    /// assert_eq!(interval.percentile(0.5), 20.0);
    /// ```
    pub fn since(&self, earlier: &Distribution) -> Distribution {
        if self.layout != earlier.layout {
            return self.clone();
        }
        let counts = self.counts.since(&earlier.counts);
        Distribution {
            count: counts.total(),
            span: self.span.saturating_sub(earlier.span),
            lowest: self.lowest,
            highest: self.highest,
            counts: Arc::new(counts),
            layout: self.layout,
        }
    }

    /// The estimated `q`-quantile (`q` in `0.0..=1.0`, so `0.99` is p99): the
    /// middle of the bucket holding the value of rank `ceil(q * count)`,
    /// kept within the exact min and max. Within the histogram's relative
    /// error of the exact value of that rank.
    ///
    /// `q` outside `0..=1` is clamped to it. NaN when there are no values or
    /// `q` is NaN (OpenMetrics' "no observations").
    pub fn percentile(&self, q: f64) -> f64 {
        self.percentiles(&[q])[0]
    }

    /// [`percentile`](Self::percentile) for each of `qs`, in one pass over
    /// the buckets.
    pub fn percentiles(&self, qs: &[f64]) -> Vec<f64> {
        let mut out = vec![f64::NAN; qs.len()];
        if self.count == 0 {
            return out;
        }
        let count = self.count;
        // (rank, position in qs); NaN quantiles stay NaN.
        let ranks = qs
            .iter()
            .enumerate()
            .filter(|(_, q)| !q.is_nan())
            .map(|(i, q)| {
                let rank = (q.clamp(0.0, 1.0) * count as f64).ceil() as u64;
                (rank.clamp(1, count), i)
            });
        let (lowest, highest) = (self.lowest as f64, self.highest as f64);
        let mut found = |i: usize, bounds: Option<(u64, u64)>| {
            out[i] = match bounds {
                Some((low, high)) => {
                    let mid = low as f64 + (high - low) as f64 / 2.0;
                    // Not `clamp`: it panics on an inverted range.
                    mid.max(lowest).min(highest)
                }
                None => highest,
            };
        };
        // Ascending quantiles (the usual case) give ascending ranks as they
        // are; others are sorted first.
        if ranks.clone().is_sorted_by_key(|(rank, _)| rank) {
            self.counts.at_ranks(&self.layout, ranks, &mut found);
        } else {
            let mut sorted: Vec<(u64, usize)> = ranks.collect();
            sorted.sort_unstable();
            self.counts
                .at_ranks(&self.layout, sorted.into_iter(), &mut found);
        }
        out
    }
}

/// A [`Histogram`](crate::Histogram) at one instant.
///
/// `count`, `sum`, `min`, `max`, `mean` and `stddev` are exact over all time
/// (0 when empty). [`percentile`](Self::percentile) reads the recent window;
/// [`all_time`](Self::all_time) has the all-time distribution.
///
/// `count` always equals the sum of `all_time`'s bucket counts. `sum`,
/// `min`, `max` and the deviation may include a value or two recorded while
/// the snapshot was being taken.
///
/// ```
/// let sizes = tachymeter_core::Histogram::new();
/// sizes.update(100);
/// sizes.update(300);
/// let s = sizes.snapshot();
/// assert_eq!((s.count, s.sum, s.min, s.max, s.mean), (2, 400, 100, 300, 200.0));
/// assert!(s.percentile(0.99) >= 297.0); // within the relative error of 300
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct HistogramSnapshot {
    /// Values recorded.
    pub count: u64,
    /// Their exact sum.
    pub sum: u128,
    /// The smallest value (0 when empty).
    pub min: u64,
    /// The largest value (0 when empty).
    pub max: u64,
    /// `sum / count` (0 when empty).
    pub mean: f64,
    /// The population standard deviation (0 when empty).
    pub stddev: f64,
    /// Values that were above the configured maximum and recorded as it.
    pub clamped: u64,
    /// Values that were not recorded: recorded from inside a global
    /// allocator while the same thread was allocating this histogram's
    /// memory, which cannot be done without allocating again. Always 0
    /// otherwise.
    pub dropped: u64,
    /// The bound on a percentile's relative error.
    pub relative_error: f64,
    /// Every value recorded.
    pub all_time: Distribution,
    /// Values recorded in the recent window (its `span` says how long).
    pub recent: Distribution,
    /// The traces kept with values ([`Histogram::update_with_exemplar`](crate::Histogram::update_with_exemplar)):
    /// the latest per power of two of the value, by increasing value;
    /// empty when none was recorded.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub exemplars: Vec<crate::Exemplar>,
}

impl HistogramSnapshot {
    /// The `q`-quantile over the recent window (see
    /// [`Distribution::percentile`]).
    pub fn percentile(&self, q: f64) -> f64 {
        self.recent.percentile(q)
    }

    /// [`percentile`](Self::percentile) for each of `qs`.
    pub fn percentiles(&self, qs: &[f64]) -> Vec<f64> {
        self.recent.percentiles(qs)
    }
}

/// A [`Timer`](crate::Timer) at one instant: durations in nanoseconds and
/// the rate of events.
///
/// ```
/// use std::time::Duration;
///
/// let timer = tachymeter_core::Timer::new();
/// timer.update(Duration::from_millis(20));
/// let s = timer.snapshot();
/// assert_eq!((s.count(), s.durations.max), (1, 20_000_000));
/// let p99 = tachymeter_core::nanos_to_duration(s.percentile(0.99));
/// assert!(p99.abs_diff(Duration::from_millis(20)) <= Duration::from_micros(160));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct TimerSnapshot {
    /// The durations, in nanoseconds.
    pub durations: HistogramSnapshot,
    /// How many durations were recorded, and how fast.
    pub rate: MeterSnapshot,
}

impl TimerSnapshot {
    /// Durations recorded.
    pub fn count(&self) -> u64 {
        self.durations.count
    }

    /// The `q`-quantile of the recent durations, in nanoseconds.
    pub fn percentile(&self, q: f64) -> f64 {
        self.durations.percentile(q)
    }

    /// [`percentile`](Self::percentile) for each of `qs`.
    pub fn percentiles(&self, qs: &[f64]) -> Vec<f64> {
        self.durations.percentiles(qs)
    }
}

/// Any metric at one instant. New kinds may be added: match with a
/// wildcard arm.
///
/// ```
/// use tachymeter_core::{MetricSnapshot, Registry};
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(2);
/// for entry in registry.snapshot().metrics {
///     let text = match entry.snapshot {
///         MetricSnapshot::Counter(c) => format!("{} {}", entry.key, c.count),
///         MetricSnapshot::Gauge { value } => format!("{} {value}", entry.key),
///         _ => continue,
///     };
///     assert_eq!(text, "jobs 2");
/// }
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum MetricSnapshot {
    /// A [`Counter`](crate::Counter).
    Counter(CounterSnapshot),
    /// A [`FunctionalCounter`](crate::FunctionalCounter): a total that
    /// only goes up, any non-negative `f64` (CPU seconds, say).
    CounterF64 {
        /// Its value.
        value: f64,
    },
    /// A [`Gauge`](crate::Gauge).
    Gauge {
        /// Its value.
        value: i64,
    },
    /// A [`GaugeF64`](crate::GaugeF64) or [`FunctionalGauge`](crate::FunctionalGauge).
    GaugeF64 {
        /// Its value (any `f64`, NaN included).
        value: f64,
    },
    /// A [`Meter`](crate::Meter).
    Meter(MeterSnapshot),
    /// A [`Histogram`](crate::Histogram).
    Histogram(HistogramSnapshot),
    /// A [`Timer`](crate::Timer).
    Timer(TimerSnapshot),
}

/// Rounds a non-negative nanosecond estimate to a [`Duration`] (NaN → zero).
pub fn nanos_to_duration(nanos: f64) -> Duration {
    if nanos.is_nan() || nanos <= 0.0 {
        Duration::ZERO
    } else if nanos >= u64::MAX as f64 {
        Duration::from_nanos(u64::MAX)
    } else {
        Duration::from_nanos(nanos.round() as u64)
    }
}

/// The outcome of [`Registry::snapshot`](crate::Registry::snapshot): every metric in name order.
///
/// ```
/// use tachymeter_core::{MetricSnapshot, Registry};
///
/// let registry = Registry::new();
/// registry.counter("b")?.inc(1);
/// registry.gauge("a")?.update(7);
/// let snapshot = registry.snapshot();
/// let names: Vec<&str> = snapshot.metrics.iter().map(|e| e.key.name()).collect();
/// assert_eq!(names, ["a", "b"]);
/// assert!(matches!(snapshot.metrics[0].snapshot, MetricSnapshot::Gauge { value: 7 }));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RegistrySnapshot {
    /// Every metric, sorted by name then labels.
    pub metrics: Vec<MetricEntry>,
    /// New series that were folded into an overflow series because the
    /// registry was full (see [`Registry::folded_series`](crate::Registry::folded_series)).
    pub folded_series: u64,
    /// Which registry's series `metrics` lists, and as of which
    /// [`generation`](crate::Registry::generation): 0 when unknown.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) listing: (u64, u64),
    /// How many series the registry listed: more than `metrics` holds once
    /// a filter left some out.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) listed: usize,
}

impl RegistrySnapshot {
    /// An identity of the set of series it lists: equal for two snapshots
    /// of one registry between which no series was added or removed and no
    /// name described, so a reader that prepares work per series (names,
    /// labels) can keep it while this stays the same. `None` for a
    /// snapshot of a [`prefixed`](crate::Registry::prefixed) view or one
    /// made by hand.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    ///
    /// let registry = Registry::new();
    /// let jobs = registry.counter("jobs")?;
    /// let first = registry.snapshot();
    /// jobs.inc(1);
    /// assert_eq!(registry.snapshot().series_id(), first.series_id());
    /// registry.counter("more")?;
    /// assert_ne!(registry.snapshot().series_id(), first.series_id());
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn series_id(&self) -> Option<(u64, u64)> {
        (self.listing.0 != 0).then_some(self.listing)
    }

    /// Whether it holds every series the registry held: `false` once a
    /// filter (such as a reporter's `Quiet`) removed entries. A reporter that
    /// remembers series between reports forgets a series missing from a
    /// complete snapshot at once (it is gone from the registry), but not one
    /// missing from a partial snapshot (it may only have been left out).
    ///
    /// ```
    /// use tachymeter_core::Registry;
    ///
    /// let registry = Registry::new();
    /// registry.counter("a")?;
    /// registry.counter("b")?;
    /// let mut snapshot = registry.snapshot();
    /// assert!(snapshot.is_complete());
    /// snapshot.metrics.retain(|e| e.key.name() == "a");
    /// assert!(!snapshot.is_complete());
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn is_complete(&self) -> bool {
        self.metrics.len() >= self.listed
    }
}

/// One metric in a [`RegistrySnapshot`]: its key and its values (see
/// [`RegistrySnapshot`] for an example).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MetricEntry {
    /// Its name and labels.
    pub key: MetricKey,
    /// Its values.
    pub snapshot: MetricSnapshot,
    /// What it means, if its name was described
    /// ([`Registry::describe`](crate::Registry::describe)).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub description: Option<Arc<Description>>,
}
