//! [`Counter`]: a count that goes up (and, like go-metrics', down).

use crate::exemplar::{Exemplars, Trace};
use crate::offset::Offset;
use crate::per_thread::cells::Cells;
use crate::snapshot::CounterSnapshot;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A signed 64-bit count, striped across threads.
///
/// `inc` costs a thread-local read plus a plain load and store to the calling
/// thread's own cell: no lock, no atomic read-modify-write, no allocation
/// after a thread's first increment. `count` sums the cells.
///
/// Memory: 8 bytes per recording thread (cells live in per-thread blocks of
/// 128 counters), plus about 64 bytes. Up to `2 ×`
/// [`parallelism`](crate::parallelism()) threads (at most 128) get their own
/// cell; further threads share one cell with atomic adds, and take a cell of
/// their own as soon as another thread exits and frees one.
///
/// Decrements are allowed (go-metrics' counters go both ways) and the count
/// may go below zero. A counter that has ever been decremented or cleared
/// reports `monotonic: false` in its snapshot, so exporters that need a
/// monotonic counter (Prometheus `_total`) can expose it as a gauge instead
/// of lying.
///
/// Bounds: a counter that is only incremented saturates at `i64::MAX` (an
/// `inc` above `i64::MAX` sets it there at once) until it is cleared; once
/// decremented, arithmetic wraps at the `i64` bounds, and `dec(n)` subtracts
/// at most `i64::MAX`.
///
/// Clones are cheap handles to the same counter.
///
/// ```
/// use tachymeter_core::Counter;
///
/// let requests = Counter::new();
/// requests.inc(1);
/// requests.inc(2);
/// assert_eq!(requests.count(), 3);
/// requests.dec(5);
/// assert_eq!(requests.count(), -2);
/// requests.clear();
/// assert_eq!(requests.count(), 0);
///
/// let huge = Counter::new();
/// huge.inc(10);
/// huge.inc(u64::MAX);
/// assert_eq!(huge.count(), i64::MAX);
/// assert!(huge.snapshot().monotonic);
/// ```
#[derive(Clone, Debug)]
pub struct Counter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cells: Cells,
    /// Subtracted from the cell total: what `clear` set aside.
    offset: Offset,
    /// `dec` was called.
    decremented: AtomicBool,
    /// `clear` was called.
    cleared: AtomicBool,
    /// An `inc` above `i64::MAX` was seen since the last clear.
    saturated: AtomicBool,
    /// The latest exemplar.
    exemplar: Exemplars<1>,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                cells: Cells::new(),
                offset: Offset::new(),
                decremented: AtomicBool::new(false),
                cleared: AtomicBool::new(false),
                saturated: AtomicBool::new(false),
                exemplar: Exemplars::new(),
            }),
        }
    }

    /// Adds `n` and keeps `trace` as the counter's exemplar (the latest
    /// wins), read back in [`CounterSnapshot::exemplar`].
    ///
    /// ```
    /// use tachymeter_core::{Counter, Trace};
    ///
    /// let errors = Counter::new();
    /// let trace = Trace::new([1; 16], [2; 8]);
    /// errors.inc_with_exemplar(1, trace);
    /// assert_eq!(errors.snapshot().exemplar.map(|e| e.trace), Some(trace));
    /// ```
    pub fn inc_with_exemplar(&self, n: u64, trace: Trace) {
        self.inc(n);
        self.inner.exemplar.record(0, n, trace);
    }

    /// Adds `n`. An `n` above `i64::MAX` saturates the count (see the type's
    /// bounds).
    #[inline]
    pub fn inc(&self, n: u64) {
        match i64::try_from(n) {
            Ok(n) => self.inner.cells.add(n),
            Err(_) => self.saturate(),
        }
    }

    #[cold]
    fn saturate(&self) {
        self.inner.saturated.store(true, Ordering::Relaxed);
    }

    /// Subtracts `n` (at most `i64::MAX`); the count may go below zero, and
    /// the counter is no longer monotonic (see
    /// [`CounterSnapshot::monotonic`]).
    #[inline]
    pub fn dec(&self, n: u64) {
        if !self.inner.decremented.load(Ordering::Relaxed) {
            self.inner.decremented.store(true, Ordering::Relaxed);
        }
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.inner.cells.add(n.wrapping_neg());
    }

    /// Sets the count back to zero. Increments made concurrently with the
    /// clear are either before it or after it, never lost twice or counted
    /// twice, also when several threads clear at once. A cleared counter is
    /// no longer monotonic.
    pub fn clear(&self) {
        let inner = &*self.inner;
        inner.cleared.store(true, Ordering::Relaxed);
        inner.offset.clear(|| inner.cells.sum());
        inner.saturated.store(false, Ordering::Relaxed);
    }

    /// The current count. A read racing a [`clear`](Self::clear) sees the
    /// count before or after it, never a mix of both (so a counter that is
    /// only incremented and cleared never reads below zero).
    pub fn count(&self) -> i64 {
        let (diff, _) = self.inner.offset.read(|| self.inner.cells.sum());
        self.settle(diff)
    }

    /// The count from a sum of the cells taken (by [`Cells::sum_many`])
    /// after the offset was `offset`: that sum stands if the offset has not
    /// moved since, otherwise the count is read again.
    pub(crate) fn count_from(&self, offset: i64, sum: i64) -> i64 {
        match self.inner.offset.since(offset, sum) {
            Some(diff) => self.settle(diff),
            None => self.count(),
        }
    }

    /// What `clear` set aside; read before summing the cells.
    pub(crate) fn offset(&self) -> i64 {
        self.inner.offset.get()
    }

    pub(crate) fn cells(&self) -> &Cells {
        &self.inner.cells
    }

    /// Applies the bounds to the cells' sum less the offset.
    fn settle(&self, diff: i64) -> i64 {
        let inner = &*self.inner;
        if inner.saturated.load(Ordering::Relaxed) {
            i64::MAX
        } else if diff >= 0 || inner.decremented.load(Ordering::Relaxed) {
            diff
        } else if inner.cleared.load(Ordering::Relaxed) {
            // Only increments and clears, and READ_TRIES clears in a row
            // moved the offset under the read.
            0
        } else {
            // Only increments: the sum went past i64::MAX.
            i64::MAX
        }
    }

    /// A point-in-time copy.
    pub fn snapshot(&self) -> CounterSnapshot {
        self.snapshot_of(self.count())
    }

    pub(crate) fn snapshot_of(&self, count: i64) -> CounterSnapshot {
        let mut snapshot = CounterSnapshot {
            count: 0,
            monotonic: true,
            exemplar: None,
        };
        self.snapshot_into(count, &mut snapshot);
        snapshot
    }

    /// [`snapshot_of`](Self::snapshot_of) over an earlier snapshot, writing
    /// its exemplar only when there is or was one: an exemplar is most of a
    /// counter snapshot's bytes, and most counters never have one.
    pub(crate) fn snapshot_into(&self, count: i64, snapshot: &mut CounterSnapshot) {
        snapshot.count = count;
        snapshot.monotonic = !self.inner.decremented.load(Ordering::Relaxed)
            && !self.inner.cleared.load(Ordering::Relaxed);
        let exemplar = self.inner.exemplar.first();
        if exemplar.is_some() || snapshot.exemplar.is_some() {
            snapshot.exemplar = exemplar;
        }
    }

    /// Heap bytes this counter uses now: its handle's shared part plus 8
    /// bytes per thread that has recorded into its block of cells.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Inner>() + self.inner.cells.bytes()
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}
