//! [`Counter`]: a count that goes up (and, like go-metrics', down).

use crate::slot::{Sharded, Writer};
use crate::snapshot::CounterSnapshot;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

/// One cache line (and the adjacent one the prefetcher pairs with it) per cell,
/// so two threads never write the same line.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct Padded<T>(pub(crate) T);

/// A signed 64-bit count, striped across threads.
///
/// `inc` costs a thread-local read plus a plain load and store to the calling
/// thread's own cell: no lock, no atomic read-modify-write, no allocation
/// after a thread's first increment. `count` sums the cells.
///
/// Decrements are allowed (go-metrics' counters go both ways) and the count
/// may go below zero. A counter that has ever been decremented reports
/// `monotonic: false` in its snapshot, so exporters that need a monotonic
/// counter (Prometheus `_total`) can expose it as a gauge instead of lying.
/// Arithmetic wraps at the `i64` bounds.
///
/// Clones are cheap handles to the same counter.
///
/// ```
/// use metrics_core::Counter;
///
/// let requests = Counter::new();
/// requests.inc(1);
/// requests.inc(2);
/// assert_eq!(requests.count(), 3);
/// requests.dec(5);
/// assert_eq!(requests.count(), -2);
/// requests.clear();
/// assert_eq!(requests.count(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct Counter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cells: Cells,
    /// Subtracted from the cell total: what `clear` set aside.
    offset: AtomicI64,
    decremented: AtomicBool,
}

/// The striped cells alone; shared with [`crate::Meter`].
#[derive(Debug)]
pub(crate) struct Cells(Sharded<Padded<AtomicI64>>);

impl Cells {
    pub(crate) fn new() -> Self {
        Self(Sharded::new())
    }

    #[inline]
    pub(crate) fn add(&self, n: i64) {
        match self.0.writer(Padded::default) {
            Writer::Owned(cell) => {
                let cell = &cell.0;
                cell.store(
                    cell.load(Ordering::Relaxed).wrapping_add(n),
                    Ordering::Relaxed,
                );
            }
            Writer::Shared(cell) => {
                cell.0.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn sum(&self) -> i64 {
        self.0
            .cells()
            .fold(0i64, |acc, c| acc.wrapping_add(c.0.load(Ordering::Relaxed)))
    }

    pub(crate) fn bytes(&self) -> usize {
        self.0.table_bytes() + self.0.cells().count() * std::mem::size_of::<Padded<AtomicI64>>()
    }
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                cells: Cells::new(),
                offset: AtomicI64::new(0),
                decremented: AtomicBool::new(false),
            }),
        }
    }

    /// Adds `n`.
    #[inline]
    pub fn inc(&self, n: u64) {
        self.inner.cells.add(n as i64);
    }

    /// Subtracts `n`; the count may go below zero, and the counter is no
    /// longer monotonic (see [`CounterSnapshot::monotonic`]).
    #[inline]
    pub fn dec(&self, n: u64) {
        if !self.inner.decremented.load(Ordering::Relaxed) {
            self.inner.decremented.store(true, Ordering::Relaxed);
        }
        self.inner.cells.add((n as i64).wrapping_neg());
    }

    /// Sets the count back to zero. Increments made concurrently with the
    /// clear are either before it or after it, never lost twice or counted
    /// twice. A cleared counter is no longer monotonic.
    pub fn clear(&self) {
        self.inner.decremented.store(true, Ordering::Relaxed);
        self.inner
            .offset
            .store(self.inner.cells.sum(), Ordering::Relaxed);
    }

    /// The current count.
    pub fn count(&self) -> i64 {
        self.inner
            .cells
            .sum()
            .wrapping_sub(self.inner.offset.load(Ordering::Relaxed))
    }

    /// A point-in-time copy.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            count: self.count(),
            monotonic: !self.inner.decremented.load(Ordering::Relaxed),
        }
    }

    /// Heap bytes this counter uses now (grows by one 128-byte cell per
    /// recording thread, up to the slot capacity).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Inner>() + self.inner.cells.bytes()
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}
