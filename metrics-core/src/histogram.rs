//! [`Histogram`]: exact count, sum, min, max, mean and standard deviation,
//! and percentiles over all time and over a sliding window.

use crate::buckets::{Counts, Layout};
use crate::clock::{system_clock, Clock};
use crate::exemplar::{octave, Exemplars, Trace, HISTOGRAM_EXEMPLARS};
use crate::per_thread::stripes::{Stripes, MAX_STRIPES};
use crate::shard::{Shard, ShardStats};
use crate::snapshot::{Distribution, HistogramSnapshot};
use crate::window::Window;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The precision, range and window of a [`Histogram`] or
/// [`Timer`](crate::Timer).
///
/// ```
/// use tachymeter_core::HistogramConfig;
/// use std::time::Duration;
///
/// let config = HistogramConfig::default()
///     .significant_figures(3)
///     .max_value(3_600_000_000_000) // one hour in nanoseconds
///     .window(Duration::from_secs(30), 3);
/// assert_eq!(config.relative_error(), 1.0 / 1024.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramConfig {
    significant_figures: u8,
    max_value: u64,
    window: Duration,
    window_intervals: u32,
}

impl Default for HistogramConfig {
    /// Two significant figures (percentiles within 0.79 %), the whole `u64`
    /// range (nothing is clamped), a 60 s window sliding in 10 s steps.
    fn default() -> Self {
        Self {
            significant_figures: 2,
            max_value: u64::MAX,
            window: Duration::from_secs(60),
            window_intervals: 6,
        }
    }
}

impl HistogramConfig {
    /// Percentiles are reported within `10^-figures` relative error (the
    /// exact bound is [`relative_error`](Self::relative_error)). Clamped to
    /// 1..=4; each figure multiplies the memory of a recorded octave by about
    /// eight.
    pub fn significant_figures(mut self, figures: u8) -> Self {
        self.significant_figures = figures.clamp(1, 4);
        self
    }

    /// The largest value recorded as is; larger values are recorded as
    /// `max_value` and counted in [`HistogramSnapshot::clamped`]. At least 1.
    pub fn max_value(mut self, max: u64) -> Self {
        self.max_value = max.max(1);
        self
    }

    /// The recent window's length and how many steps it slides in (at least
    /// one; a zero length is taken as one nanosecond).
    pub fn window(mut self, length: Duration, intervals: u32) -> Self {
        self.window = length.max(Duration::from_nanos(1));
        self.window_intervals = intervals.max(1);
        self
    }

    /// The largest relative error of a reported percentile: every estimate
    /// `e` of a true percentile `v` satisfies `|e - v| <= v * relative_error`.
    pub fn relative_error(&self) -> f64 {
        self.layout().relative_error()
    }

    fn layout(&self) -> Layout {
        Layout::new(self.significant_figures, self.max_value)
    }
}

/// A distribution of `u64` values.
///
/// Count, sum (128-bit), min, max, mean and standard deviation are exact
/// over every value recorded. Percentiles come from log-linear buckets
/// (HDR-style) and are within [`HistogramConfig::relative_error`] of the
/// exact ones, over all time and over a recent sliding window (default: the
/// last 60 s in 10 s steps), so a dashboard shows the current values, not
/// the day's average nor a decaying sample's stale ones.
///
/// `update` takes no lock a reader waits for, makes no system call and
/// allocates nothing once the value's octave has been recorded into. Values
/// are kept in stripes written by one thread at a time: the first two
/// threads to record into a histogram, and later any thread that records
/// into it often (16,384 values while it takes a fifth of the thread's
/// records), own a stripe and write it with plain
/// loads and stores; every other thread takes one of the shared stripes for
/// the length of a record (one compare-and-swap, never a wait: a busy stripe
/// sends it to another, and shared stripes are added while threads keep
/// meeting). At most 8 owned and `min(parallelism, 8)` shared stripes, so
/// memory and read cost stay bounded on machines with many CPUs (see
/// [`memory_bytes`](Self::memory_bytes)). Values above the configured
/// maximum are clamped and counted.
///
/// ```
/// use tachymeter_core::Histogram;
///
/// let h = Histogram::new();
/// for v in 1..=1000 {
///     h.update(v);
/// }
/// let s = h.snapshot();
/// assert_eq!((s.count, s.min, s.max, s.sum), (1000, 1, 1000, 500_500));
/// let p99 = s.percentile(0.99);
/// assert!((p99 - 990.0).abs() <= 990.0 * 0.0079);
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    layout: Layout,
    shards: Stripes<Shard>,
    window: Window,
    /// Values that could not be stored without allocating from inside the
    /// allocator.
    dropped: AtomicU64,
    clock: Arc<dyn Clock>,
    created: Instant,
    /// What the last read found, reused while no stripe has changed; the
    /// lock also puts reads one after another, so a later read never sees
    /// less than an earlier one.
    last: Mutex<Option<LastRead>>,
    /// The latest exemplar per power of two of the value.
    exemplars: Exemplars<HISTOGRAM_EXEMPLARS>,
}

/// A read's merged values, for the next read to reuse if nothing changed.
#[derive(Debug)]
struct LastRead {
    stripes: usize,
    stats: ShardStats,
    all_time: Arc<Counts>,
    /// Min and max as kept within the buckets of `all_time`.
    min_max: (u64, u64),
    /// The window's start then, and the recent values against it.
    front: Instant,
    recent: Arc<Counts>,
}

/// The histogram's state read at one instant, before building a snapshot.
pub(crate) struct Reading {
    pub(crate) stats: ShardStats,
    all_time: Arc<Counts>,
    min_max: (u64, u64),
    recent: Arc<Counts>,
    recent_span: Duration,
    age: Duration,
}

impl Histogram {
    /// A histogram with the default configuration on the system clock.
    pub fn new() -> Self {
        Self::with_config(HistogramConfig::default(), system_clock())
    }

    /// A histogram with the given configuration and clock.
    pub fn with_config(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        let layout = config.layout();
        let created = clock.now();
        Self {
            inner: Arc::new(Inner {
                layout,
                shards: Stripes::new(),
                window: Window::new(&layout, config.window, config.window_intervals, created),
                clock,
                created,
                dropped: AtomicU64::new(0),
                last: Mutex::new(None),
                exemplars: Exemplars::new(),
            }),
        }
    }

    /// Records one value.
    #[inline]
    pub fn update(&self, value: u64) {
        self.record(value, false);
    }

    #[inline]
    pub(crate) fn record(&self, value: u64, already_clamped: bool) {
        let inner = &*self.inner;
        let max = inner.layout.max();
        let clamped = already_clamped || value > max;
        let value = value.min(max);
        let stored = inner.shards.write(
            || Shard::new(&inner.layout, value),
            |shard| shard.record(&inner.layout, value, clamped),
        );
        if stored != Some(true) {
            inner.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records one value and keeps `trace` as its exemplar: the latest
    /// per power of two of the value (so each export bucket has a recent
    /// one), read back in [`HistogramSnapshot::exemplars`]. Costs a record
    /// plus the wall-clock time and five atomic stores (eight more once an
    /// exemplar of the histogram had labels); recording without an
    /// exemplar costs nothing more than before.
    ///
    /// ```
    /// use tachymeter_core::{Histogram, Trace};
    ///
    /// let h = Histogram::new();
    /// let trace = Trace::new([7; 16], [9; 8]);
    /// h.update_with_exemplar(1_500, trace);
    /// let exemplars = h.snapshot().exemplars;
    /// assert_eq!((exemplars[0].value, exemplars[0].trace), (1_500, trace));
    /// ```
    pub fn update_with_exemplar(&self, value: u64, trace: Trace) {
        self.record(value, false);
        self.keep_exemplar(value, trace);
    }

    pub(crate) fn keep_exemplar(&self, value: u64, trace: Trace) {
        self.inner.exemplars.record(octave(value), value, trace);
    }

    /// Values recorded so far.
    pub fn count(&self) -> u64 {
        self.inner
            .shards
            .all()
            .fold(0u64, |sum, s| sum.wrapping_add(s.count()))
    }

    pub(crate) fn read(&self) -> Reading {
        let inner = &*self.inner;
        let mut last = inner.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = inner.clock.now();
        // The stripes as they are now, taken once: one created during the
        // read would shift the positions `counted` is kept by.
        let mut stripes = [None; MAX_STRIPES];
        for (slot, stripe) in stripes.iter_mut().zip(inner.shards.all()) {
            *slot = Some(stripe);
        }
        let stripes = stripes.iter().flatten();
        // Every flag is taken (and cleared), whatever the first says.
        let changed = stripes
            .clone()
            .fold(false, |changed, s| s.take_changed() | changed);
        let count = stripes.clone().count();
        let reused = last.as_ref().filter(|l| !changed && l.stripes == count);
        let (stats, all_time, min_max) = match reused {
            Some(l) => (l.stats, Arc::clone(&l.all_time), l.min_max),
            None => {
                let (stats, all_time) = merge(&inner.layout, stripes.copied());
                let min_max = min_max(&stats, &all_time, &inner.layout);
                (stats, all_time, min_max)
            }
        };
        // Until the window first slides (its start is the histogram's
        // creation), the recent values are all of them: share the counts.
        let mut front_at = now;
        let (recent, recent_span) = inner.window.recent(now, |at, front| {
            front_at = at;
            match reused.filter(|l| l.front == at) {
                Some(l) => Arc::clone(&l.recent),
                None if front.is_empty() => Arc::clone(&all_time),
                None => Arc::new(all_time.since(front)),
            }
        });
        *last = Some(LastRead {
            stripes: count,
            stats,
            all_time: Arc::clone(&all_time),
            min_max,
            front: front_at,
            recent: Arc::clone(&recent),
        });
        drop(last);
        Reading {
            stats,
            all_time,
            min_max,
            recent,
            recent_span,
            age: now.saturating_duration_since(inner.created),
        }
    }

    /// A consistent point-in-time copy: its count always equals the sum of
    /// its bucket counts. Taking it never blocks writers. Also advances the
    /// sliding window (see [`HistogramSnapshot::recent`]).
    pub fn snapshot(&self) -> HistogramSnapshot {
        self.build(self.read())
    }

    pub(crate) fn build(&self, r: Reading) -> HistogramSnapshot {
        let s = r.stats;
        let layout = self.inner.layout;
        let (min, max) = r.min_max;
        let distribution = |counts: Arc<Counts>, count: u64, span: Duration| Distribution {
            count,
            span,
            lowest: min,
            highest: max,
            counts,
            layout,
        };
        HistogramSnapshot {
            count: s.count,
            sum: s.sum,
            min,
            max,
            mean: if s.count == 0 {
                0.0
            } else {
                (s.sum as f64 / s.count as f64)
                    .max(min as f64)
                    .min(max as f64)
            },
            stddev: if s.count == 0 {
                0.0
            } else {
                (s.m2 / s.count as f64).sqrt()
            },
            clamped: s.clamped,
            dropped: self.inner.dropped.load(Ordering::Relaxed),
            relative_error: self.inner.layout.relative_error(),
            // The shards' counts were summed while reading these buckets.
            all_time: distribution(r.all_time, s.count, r.age),
            recent: {
                let count = r.recent.total();
                distribution(r.recent, count, r.recent_span)
            },
            exemplars: self.inner.exemplars.read(),
        }
    }

    /// Heap bytes this histogram uses now, window checkpoints included. It
    /// grows with the number of octaves (powers of two) the values span,
    /// about 512 bytes each per stripe at 2 significant figures, and with
    /// the number of stripes: one for a histogram one thread records into,
    /// at most 16 whatever the number of threads or CPUs (at most about
    /// 215 KiB, window included, for values over 20 octaves such as 1 µs to
    /// 1 s, when many threads record into it at once).
    pub fn memory_bytes(&self) -> usize {
        let inner = &*self.inner;
        std::mem::size_of::<Inner>()
            + inner.shards.table_bytes()
            + inner.shards.all().map(Shard::bytes).sum::<usize>()
            + inner.window.bytes()
    }
}

/// Every stripe's buckets merged octave by octave into one [`Counts`] (each
/// bucket of the result written once), and their statistics, with counts
/// equal to the buckets read.
fn merge<'s>(
    layout: &Layout,
    stripes: impl Iterator<Item = &'s Shard> + Clone,
) -> (ShardStats, Arc<Counts>) {
    // Room for every octave any stripe has, so reading never reallocates.
    let octaves = stripes
        .clone()
        .fold(0u64, |bits, s| bits | s.octaves_present());
    let mut counts = Counts::with_chunks(layout, octaves.count_ones() as usize);
    let mut counted = [0u64; MAX_STRIPES];
    let mut bits = octaves;
    while bits != 0 {
        let octave = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        counts.push_chunk(octave, |dst| {
            let mut added = 0u64;
            for (stripe, count) in stripes.clone().zip(counted.iter_mut()) {
                let n = stripe.add_octave(octave, dst);
                *count = count.wrapping_add(n);
                added = added.wrapping_add(n);
            }
            added
        });
    }
    let stats = stripes
        .zip(counted)
        .map(|(stripe, count)| stripe.stats(count))
        .fold(ShardStats::default(), ShardStats::merge);
    (stats, Arc::new(counts))
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The histogram's min and max as a snapshot gives them, read against the
/// counts read.
fn min_max(s: &ShardStats, all_time: &Counts, layout: &Layout) -> (u64, u64) {
    // The buckets were read apart from min and max, and a value bumps
    // its bucket before them: a snapshot racing a writer may see a count
    // without its min or max (or the other way round). Keep each within
    // the outermost bucket read, so that min <= every percentile <= max.
    // A min or max outside its bucket is not yet (or no longer) the
    // one of the values read: the bucket's outer bound stands in.
    match all_time.outer_buckets(layout) {
        None => (0, 0),
        Some(((low, low_high), (high_low, high))) => {
            let min = if (low..=low_high).contains(&s.min) {
                s.min
            } else {
                low
            };
            let max = if (high_low..=high).contains(&s.max) {
                s.max
            } else {
                high
            };
            // Two values of one bucket, each seen by only one of min and
            // max: both are real, and in order once swapped.
            (min.min(max), max.max(min))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The most a histogram can hold: every stripe created and every
    /// bucket written, window full. Values from 1 µs to 1 s (20 octaves)
    /// stay within 256 KiB; the figures for 1 µs to 1 ms (10 octaves, the
    /// scale bench's timers) are printed too (`--nocapture`).
    #[test]
    fn a_histogram_with_every_stripe_stays_within_its_bound() {
        for (highest, bound) in [(1_000_000_000u64, 256 * 1024), (1_000_000, 128 * 1024)] {
            let bytes = every_stripe_full(highest);
            println!("every stripe, 1 µs to {highest} ns, window full: {bytes} bytes");
            assert!(bytes <= bound, "{bytes} bytes");
        }
    }

    fn every_stripe_full(highest: u64) -> usize {
        let clock = Arc::new(crate::ManualClock::new());
        let h = Histogram::with_config(HistogramConfig::default(), clock.clone());
        let layout = h.inner.layout;
        h.inner.shards.create_all(|| Shard::new(&layout, 1_000));
        let stripes: Vec<&Shard> = h.inner.shards.all().collect();
        assert_eq!(stripes.len(), MAX_STRIPES);
        let mut recorded = 0u64;
        for step in 0..7 {
            for (i, stripe) in stripes.iter().enumerate() {
                // Every bucket from 1 µs up.
                let mut v = 1_000u64;
                while v < highest {
                    assert!(stripe.record(&layout, v + (i + step) as u64, false));
                    v += v / 64 + 1;
                    recorded += 1;
                }
            }
            clock.advance(Duration::from_secs(10));
            assert_eq!(h.snapshot().count, recorded);
        }
        h.memory_bytes()
    }
}
