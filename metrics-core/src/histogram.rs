//! [`Histogram`]: exact count, sum, min, max, mean and standard deviation,
//! and percentiles over all time and over a sliding window.

use crate::buckets::{set_bits, Counts, Layout};
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
    /// What the last read found, which the next one updates where stripes
    /// changed; the lock also puts reads one after another, so a later
    /// read never sees less than an earlier one.
    last: Mutex<Option<LastRead>>,
    /// The latest exemplar per power of two of the value.
    exemplars: Exemplars<HISTOGRAM_EXEMPLARS>,
}

/// A read's merged values, which the next read starts from: it merges
/// again only the octaves some stripe recorded into since.
#[derive(Debug)]
struct LastRead {
    stripes: usize,
    /// What each stripe counted in each octave of `all_time`: stripe `s`'s
    /// count in the `r`-th octave present, at `s * octaves + r`.
    counted: Vec<u64>,
    stats: ShardStats,
    all_time: Arc<Counts>,
    /// The bounds of the lowest and the highest non-empty bucket of
    /// `all_time`, and min and max as kept within them.
    outer: Option<Outer>,
    min_max: (u64, u64),
    /// The window's start then, and the recent values against it (`None`
    /// once given up for `all_time` to be updated in place).
    front: Instant,
    recent: Option<Arc<Counts>>,
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
        let layout = &inner.layout;
        let mut last = inner.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = inner.clock.now();
        // The stripes as they are now, taken once: one created during the
        // read would shift the positions `counted` is kept by. Stripes are
        // only ever added, so the same number means the same stripes.
        let mut slots = [None; MAX_STRIPES];
        let mut count = 0;
        for (slot, stripe) in slots.iter_mut().zip(inner.shards.all()) {
            *slot = Some(stripe);
            count += 1;
        }
        // Only the slots filled: every pass over the stripes (several per
        // read) would otherwise step over all the empty ones too.
        let stripes = slots[..count].iter().flatten().copied();
        // Every stripe's bits are taken (and cleared).
        let changed = stripes.clone().fold(0, |bits, s| bits | s.take_changed());
        // Merged under the window's lock, knowing its start: the recent
        // values are updated with the counts when it has not moved.
        let (recent, recent_span, mut read) = inner.window.recent(now, |at, front| {
            let mut read = match last.take() {
                // Only octaves read before changed: merge those again.
                Some(mut l)
                    if l.stripes == count && changed & !l.all_time.octaves_present() == 0 =>
                {
                    l.remerge(layout, stripes.clone(), changed, at, front);
                    l
                }
                // A new stripe or octave: merge everything.
                _ => LastRead::merge(layout, stripes.clone(), count, now),
            };
            let recent = read.recent_against(at, front);
            read.front = at;
            (recent, read)
        });
        read.recent = Some(Arc::clone(&recent));
        let reading = Reading {
            stats: read.stats,
            all_time: Arc::clone(&read.all_time),
            min_max: read.min_max,
            recent,
            recent_span,
            age: now.saturating_duration_since(inner.created),
        };
        *last = Some(read);
        reading
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

    /// Heap bytes this histogram uses now, window checkpoints and what the
    /// last read kept included. It grows with the number of octaves (powers
    /// of two) the values span, about 512 bytes each per stripe at 2
    /// significant figures, and with the number of stripes: one for a
    /// histogram one thread records into, at most 16 whatever the number of
    /// threads or CPUs (at most about 240 KiB for values over 20 octaves
    /// such as 1 µs to 1 s, when many threads record into it at once).
    pub fn memory_bytes(&self) -> usize {
        let inner = &*self.inner;
        let last = inner.last.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::size_of::<Inner>()
            + inner.shards.table_bytes()
            + inner.shards.all().map(Shard::bytes).sum::<usize>()
            + inner.window.bytes()
            + last.as_ref().map_or(0, LastRead::bytes)
    }
}

impl LastRead {
    /// Heap bytes held (counts a snapshot shares too included).
    fn bytes(&self) -> usize {
        let recent = self
            .recent
            .as_ref()
            .filter(|r| !Arc::ptr_eq(r, &self.all_time))
            .map_or(0, |r| r.bytes());
        self.all_time.bytes() + recent + self.counted.capacity() * 8
    }

    /// Every stripe's buckets merged octave by octave into one [`Counts`]
    /// (each bucket of the result written once), and their statistics,
    /// with counts equal to the buckets read.
    fn merge<'s>(
        layout: &Layout,
        stripes: impl Iterator<Item = &'s Shard> + Clone,
        count: usize,
        now: Instant,
    ) -> Self {
        // Room for every octave any stripe has, so reading never reallocates.
        let octaves = stripes
            .clone()
            .fold(0u64, |bits, s| bits | s.octaves_present());
        let chunks = octaves.count_ones() as usize;
        let mut read = LastRead {
            stripes: count,
            counted: vec![0; count * chunks],
            stats: ShardStats::default(),
            all_time: Arc::new(Counts::with_chunks(layout, chunks)),
            outer: None,
            min_max: (0, 0),
            front: now,
            recent: None,
        };
        let counts = Arc::make_mut(&mut read.all_time);
        for (rank, octave) in set_bits(octaves).enumerate() {
            counts.push_chunk(octave, |dst| {
                add_octave(
                    stripes.clone(),
                    octave,
                    dst,
                    &mut read.counted,
                    chunks,
                    rank,
                )
            });
        }
        read.settle(layout, stripes, u64::MAX);
        read
    }

    /// Merges again the octaves whose bit is set in `changed` (all of them
    /// among those read before), in place unless a snapshot still holds
    /// the counts. While the window's start is still `at` (its counts
    /// `front`), what this adds to a bucket is added to the recent values
    /// too, in place as well.
    fn remerge<'s>(
        &mut self,
        layout: &Layout,
        stripes: impl Iterator<Item = &'s Shard> + Clone,
        changed: u64,
        at: Instant,
        front: &Counts,
    ) {
        if changed == 0 {
            return;
        }
        if !self
            .recent
            .as_ref()
            .is_some_and(|r| self.keeps(r, at, front))
        {
            self.recent = None;
        }
        let counts = Arc::make_mut(&mut self.all_time);
        let mut recent = self.recent.as_mut().map(Arc::make_mut);
        let chunks = counts.octaves_present().count_ones() as usize;
        let mut merge = |sums: &mut Vec<u64>| {
            for octave in set_bits(changed) {
                let rank = counts.rank(octave);
                sums.clear();
                sums.resize(layout.sub_buckets(), 0);
                let total = add_octave(
                    stripes.clone(),
                    octave,
                    sums,
                    &mut self.counted,
                    chunks,
                    rank,
                );
                counts.update_chunk(octave, sums, total, recent.as_deref_mut());
            }
        };
        // A buffer of its own when the thread's is gone (a read from a
        // thread-local destructor) or in use.
        let merged = SUMS
            .try_with(|sums| sums.try_borrow_mut().map(|mut sums| merge(&mut sums)))
            .is_ok_and(|done| done.is_ok());
        if !merged {
            merge(&mut Vec::new());
        }
        self.settle(layout, stripes, changed);
    }

    /// Statistics and min and max, from each stripe's counts as read after
    /// the octaves in `changed` were merged again. The outermost buckets
    /// are looked for again only when a changed octave is not strictly
    /// between theirs (counts only grow, so they can only move outwards).
    fn settle<'s>(
        &mut self,
        layout: &Layout,
        stripes: impl Iterator<Item = &'s Shard>,
        changed: u64,
    ) {
        let chunks = self.all_time.octaves_present().count_ones() as usize;
        self.stats = stripes
            .enumerate()
            .map(|(s, stripe)| {
                let counted = self.counted[s * chunks..(s + 1) * chunks].iter();
                stripe.stats(counted.fold(0u64, |sum, n| sum.wrapping_add(*n)))
            })
            .fold(ShardStats::default(), ShardStats::merge);
        let inside = |((low, _), (high, _)): Outer| {
            let (lowest, highest) = (layout.index(low).0, layout.index(high).0);
            // Octaves strictly between: above `lowest`, below `highest`.
            let between = (u64::MAX << lowest << 1) & !(u64::MAX << highest);
            changed & !between == 0
        };
        if !self.outer.is_some_and(inside) {
            self.outer = self.all_time.outer_buckets(layout);
        }
        self.min_max = min_max(&self.stats, self.outer);
    }

    /// Whether `recent`, the last read's recent values, still stand for
    /// the values since the window's start `at` (its counts then `front`),
    /// to be brought up to date in place: the window has moved since the
    /// counts began but not since that read, and `recent` is not the
    /// cumulative counts themselves (updating those would copy them).
    /// (Recent values always have the octaves of the counts they were
    /// taken from, and a merge again adds none.)
    fn keeps(&self, recent: &Arc<Counts>, at: Instant, front: &Counts) -> bool {
        !front.is_empty() && self.front == at && !Arc::ptr_eq(recent, &self.all_time)
    }

    /// The recent values against the window's start `at` and the
    /// cumulative counts `front` then: those of the last read (which the
    /// merge brought up to date) while the window has not moved; all the
    /// counts while it has never moved.
    fn recent_against(&mut self, at: Instant, front: &Counts) -> Arc<Counts> {
        if front.is_empty() {
            return Arc::clone(&self.all_time);
        }
        match self.recent.take() {
            Some(recent) if self.keeps(&recent, at, front) => recent,
            _ => Arc::new(self.all_time.since(front)),
        }
    }
}

thread_local! {
    /// One octave's counts summed over the stripes, reused by every read on
    /// this thread (one buffer per histogram would be memory to fetch for
    /// each).
    static SUMS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Adds every stripe's counts of `octave` into `dst`, noting each stripe's
/// at `counted[s * chunks + rank]`; returns their sum.
fn add_octave<'s>(
    stripes: impl Iterator<Item = &'s Shard>,
    octave: usize,
    dst: &mut [u64],
    counted: &mut [u64],
    chunks: usize,
    rank: usize,
) -> u64 {
    stripes.enumerate().fold(0u64, |added, (s, stripe)| {
        let n = stripe.add_octave(octave, dst);
        counted[s * chunks + rank] = n;
        added.wrapping_add(n)
    })
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bounds of the lowest and of the highest non-empty bucket.
type Outer = ((u64, u64), (u64, u64));

/// The histogram's min and max as a snapshot gives them, read against the
/// outermost buckets of the counts read.
fn min_max(s: &ShardStats, outer: Option<Outer>) -> (u64, u64) {
    // The buckets were read apart from min and max, and a value bumps
    // its bucket before them: a snapshot racing a writer may see a count
    // without its min or max (or the other way round). Keep each within
    // the outermost bucket read, so that min <= every percentile <= max.
    // A min or max outside its bucket is not yet (or no longer) the
    // one of the values read: the bucket's outer bound stands in.
    match outer {
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
    /// bucket written, window full, and what the last read keeps (its
    /// merged and recent counts, about 10 KiB at 1 ms). Values from 1 µs to
    /// 1 s (20 octaves) stay within 256 KiB, from 1 µs to 1 ms (10 octaves,
    /// the scale bench's timers) within 144 KiB; the figures are printed
    /// (`--nocapture`).
    #[test]
    fn a_histogram_with_every_stripe_stays_within_its_bound() {
        for (highest, bound) in [(1_000_000_000u64, 256 * 1024), (1_000_000, 144 * 1024)] {
            let bytes = every_stripe_full(highest);
            println!("every stripe, 1 µs to {highest} ns, window full: {bytes} bytes");
            assert!(bytes <= bound, "{bytes} bytes");
        }
    }

    /// A read from a thread-local destructor, once the thread's merge
    /// buffer is gone, reads with a buffer of its own. Two readers, set up
    /// before and after the buffer's first use: whichever order
    /// destructors run in, one of them comes after the buffer's.
    #[test]
    fn a_read_from_a_thread_local_destructor_still_reads() {
        struct ReadsOnDrop(Histogram, std::sync::mpsc::Sender<u64>);
        impl Drop for ReadsOnDrop {
            fn drop(&mut self) {
                // Twice: a thread past its slot records into a stripe of
                // its own, which the first read merges whole.
                self.0.update(7);
                self.0.snapshot();
                self.0.update(8);
                let _ = self.1.send(self.0.snapshot().count);
            }
        }
        thread_local! {
            static FIRST: std::cell::RefCell<Option<ReadsOnDrop>> =
                const { std::cell::RefCell::new(None) };
            static LAST: std::cell::RefCell<Option<ReadsOnDrop>> =
                const { std::cell::RefCell::new(None) };
        }
        let h = Histogram::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let on_thread = h.clone();
        std::thread::spawn(move || {
            let reader = || ReadsOnDrop(on_thread.clone(), tx.clone());
            FIRST.with_borrow_mut(|r| *r = Some(reader()));
            // The second read merges an octave again: the buffer is used.
            on_thread.update(5);
            on_thread.snapshot();
            on_thread.update(6);
            assert_eq!(on_thread.snapshot().count, 2);
            LAST.with_borrow_mut(|r| *r = Some(reader()));
        })
        .join()
        .unwrap();
        let mut counts: Vec<u64> = rx.iter().collect();
        counts.sort_unstable();
        assert_eq!(counts, [4, 6]);
    }

    /// The non-empty buckets of `values`, as a snapshot lists them.
    fn buckets_of(layout: &Layout, values: &[u64]) -> Vec<(u64, u64, u64)> {
        let mut buckets = std::collections::BTreeMap::new();
        for &v in values {
            let (octave, sub) = layout.index(v);
            *buckets.entry(layout.bounds(octave, sub)).or_insert(0) += 1;
        }
        buckets.into_iter().map(|((l, h), n)| (l, h, n)).collect()
    }

    fn listed(d: &Distribution) -> Vec<(u64, u64, u64)> {
        d.buckets().map(|b| (b.low, b.high, b.count)).collect()
    }

    /// Reads merge again only the octaves recorded into since the last
    /// read: in place, or into a copy while a snapshot still holds the
    /// counts. Over new octaves, new stripes and a sliding window, every
    /// read lists exactly the buckets of every value (and of the values
    /// since the window's start), and snapshots kept meanwhile never change.
    /// Also with a window shorter than its steps' count in nanoseconds:
    /// several reads at one instant then share one window start.
    #[test]
    fn reads_that_merge_only_changed_octaves_list_every_value() {
        for (length, steps) in [(Duration::from_secs(30), 3), (Duration::from_nanos(1), 2)] {
            merge_only_changed_octaves(HistogramConfig::default().window(length, steps));
        }
    }

    fn merge_only_changed_octaves(config: HistogramConfig) {
        let clock = Arc::new(crate::ManualClock::new());
        let h = Histogram::with_config(config, clock.clone());
        let layout = h.inner.layout;
        let mut values: Vec<u64> = Vec::new();
        // Each read's instant, and how many values it had seen.
        let mut reads: Vec<(Instant, usize)> = vec![(clock.now(), 0)];
        let mut kept = Vec::new();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..300u64 {
            for _ in 0..round % 4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly within a few octaves, now and then far above.
                let v = if x % 11 == 0 {
                    x >> (x % 40)
                } else {
                    1_000 + x % 50_000
                };
                if round % 41 == 7 {
                    // Another thread: a new stripe, until they run out.
                    std::thread::scope(|s| {
                        s.spawn(|| h.update(v));
                    });
                } else {
                    h.update(v);
                }
                values.push(v);
            }
            if round % 3 == 0 {
                clock.advance(Duration::from_secs(4));
            }
            let snapshot = h.snapshot();
            let now = clock.now();
            reads.push((now, values.len()));
            assert_eq!(snapshot.count, values.len() as u64, "round {round}");
            let (min, max) = (values.iter().min(), values.iter().max());
            let expected = (min.copied().unwrap_or(0), max.copied().unwrap_or(0));
            assert_eq!((snapshot.min, snapshot.max), expected, "round {round}");
            assert_eq!(listed(&snapshot.all_time), buckets_of(&layout, &values));
            let front = now - snapshot.recent.span;
            let (_, before) = reads.iter().find(|(at, _)| *at == front).unwrap();
            assert_eq!(
                listed(&snapshot.recent),
                buckets_of(&layout, &values[*before..]),
                "round {round}"
            );
            if round % 5 == 0 {
                kept.push((
                    listed(&snapshot.all_time),
                    listed(&snapshot.recent),
                    snapshot,
                ));
            }
        }
        for (all_time, recent, snapshot) in kept {
            assert_eq!(listed(&snapshot.all_time), all_time);
            assert_eq!(listed(&snapshot.recent), recent);
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
