//! One stripe of a [`Histogram`](crate::Histogram): bucket counts and exact
//! sum, min, max and variance terms.
//!
//! A stripe has one writer at a time (its owner, or the holder of its lock:
//! see [`crate::per_thread`]), which updates it with plain atomic loads and
//! stores; readers load.

use crate::buckets::{set_bits, Layout};
use crate::per_thread::slot;
use crate::per_thread::stripe_lock::StripeLock;
use crate::per_thread::stripes::Stripe;
use crate::sum::Sum128;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::OnceLock;

/// Aligned to 128 bytes so the scalars two threads write every time never
/// share a cache line (or the adjacent line the prefetcher pairs with it).
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Shard {
    /// Taken by a writer that does not own the stripe, for one record.
    lock: StripeLock,
    chunks: Box<[OnceLock<Box<[AtomicU64]>>]>,
    /// Bit `o` set once octave `o`'s chunk exists, so readers skip the
    /// table's empty entries without touching them.
    present: AtomicU64,
    sum: Sum128,
    min: AtomicU64,
    max: AtomicU64,
    clamped: AtomicU64,
    /// Flag `o` set by every record into octave `o`, cleared by a reader
    /// that takes the stripe's values: a reader merges again only the
    /// octaves some stripe changed, and reuses the rest of what it read
    /// last (see [`Histogram`](crate::Histogram)'s reads). A flag each, not
    /// bits of one word, so that a record stores one without loading.
    changed: [AtomicBool; 64],
    /// Variance terms over `value - shift` (shifted data keeps them exact
    /// enough whatever the magnitude of the values).
    shift: f64,
    dev_sum: AtomicU64,
    dev_sq: AtomicU64,
}

/// What a reader takes from one shard.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ShardStats {
    pub(crate) count: u64,
    pub(crate) sum: u128,
    pub(crate) min: u64,
    pub(crate) max: u64,
    pub(crate) clamped: u64,
    /// Mean and sum of squared deviations, for merging variances.
    pub(crate) mean: f64,
    pub(crate) m2: f64,
}

#[inline]
fn bump(cell: &AtomicU64, n: u64) {
    cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
}

#[inline]
fn add_f64(cell: &AtomicU64, x: f64) {
    cell.store((f64::from_bits(cell.load(Relaxed)) + x).to_bits(), Relaxed);
}

impl Shard {
    /// A shard whose first value will be `first` (used as the variance shift).
    pub(crate) fn new(layout: &Layout, first: u64) -> Self {
        Self {
            lock: StripeLock::new(),
            chunks: (0..layout.octaves()).map(|_| OnceLock::new()).collect(),
            present: AtomicU64::new(0),
            sum: Sum128::new(),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            clamped: AtomicU64::new(0),
            changed: [const { AtomicBool::new(false) }; 64],
            shift: first as f64,
            dev_sum: AtomicU64::new(0f64.to_bits()),
            dev_sq: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// The bucket of `value` in octave `octave` at `sub`, allocating the
    /// octave on first use; `None` when that would allocate from inside
    /// the allocator (see [`slot::fill`]).
    #[inline]
    fn bucket(&self, layout: &Layout, octave: usize, sub: usize) -> Option<&AtomicU64> {
        let lock = &self.chunks[octave];
        let chunk = match lock.get() {
            Some(chunk) => chunk,
            None => {
                let chunk = slot::fill(lock, || {
                    (0..layout.sub_buckets())
                        .map(|_| AtomicU64::new(0))
                        .collect()
                })?;
                self.present.fetch_or(1 << octave.min(63), Release);
                chunk
            }
        };
        Some(&chunk[sub])
    }

    /// Records `value` (already clamped to the layout's max) as the only
    /// writer of this shard at this moment; `false` if it could not be
    /// stored.
    #[inline]
    pub(crate) fn record(&self, layout: &Layout, value: u64, clamped: bool) -> bool {
        let (octave, sub) = layout.index(value);
        let Some(bucket) = self.bucket(layout, octave, sub) else {
            return false;
        };
        bump(bucket, 1);
        self.sum.add(value);
        if value < self.min.load(Relaxed) {
            self.min.store(value, Relaxed);
        }
        if value > self.max.load(Relaxed) {
            self.max.store(value, Relaxed);
        }
        let d = value as f64 - self.shift;
        add_f64(&self.dev_sum, d);
        add_f64(&self.dev_sq, d * d);
        if clamped {
            bump(&self.clamped, 1);
        }
        // Last, and always stored (never skipped when already set): a
        // reader that takes the flag before this store has seen nothing of
        // this value, and finds the flag at its next read; one that takes
        // it after sees all of it.
        self.changed[octave.min(63)].store(true, Release);
        true
    }

    /// Bit `o` set for each octave `o` recorded into since the last call;
    /// clears their flags. A flag seen unset is left alone: no record into
    /// its octave happened before this read since the last one, and a
    /// later record's flag is found by the next read.
    pub(crate) fn take_changed(&self) -> u64 {
        set_bits(self.octaves_present())
            .filter(|&octave| {
                let flag = &self.changed[octave];
                flag.load(Relaxed) && flag.swap(false, Acquire)
            })
            .fold(0, |changed, octave| changed | 1 << octave)
    }

    /// Bit `o` set for each octave `o` this shard has counts for.
    pub(crate) fn octaves_present(&self) -> u64 {
        self.present.load(Acquire)
    }

    /// The chunks that exist, in increasing octave order.
    fn present_chunks(&self) -> impl Iterator<Item = (usize, &[AtomicU64])> {
        set_bits(self.octaves_present()).filter_map(|octave| {
            let chunk = self.chunks.get(octave).and_then(OnceLock::get)?;
            Some((octave, &chunk[..]))
        })
    }

    /// Values in this shard's buckets.
    pub(crate) fn count(&self) -> u64 {
        self.present_chunks()
            .flat_map(|(_, c)| c.iter())
            .fold(0u64, |sum, c| sum.wrapping_add(c.load(Relaxed)))
    }

    /// Adds this shard's counts of `octave` into `into` (nothing where it
    /// has none) and returns how many values they hold.
    pub(crate) fn add_octave(&self, octave: usize, into: &mut [u64]) -> u64 {
        let Some(chunk) = self.chunks.get(octave).and_then(OnceLock::get) else {
            return 0;
        };
        let mut added = 0u64;
        for (dst, c) in into.iter_mut().zip(chunk.iter()) {
            let n = c.load(Relaxed);
            *dst = dst.wrapping_add(n);
            added = added.wrapping_add(n);
        }
        added
    }

    /// This shard's statistics, `count` being the values read from its
    /// buckets, so bucket counts and counts always agree.
    pub(crate) fn stats(&self, count: u64) -> ShardStats {
        let n = count as f64;
        let s1 = f64::from_bits(self.dev_sum.load(Relaxed));
        let s2 = f64::from_bits(self.dev_sq.load(Relaxed));
        let (mean, m2) = if count == 0 {
            (0.0, 0.0)
        } else {
            (self.shift + s1 / n, (s2 - s1 * s1 / n).max(0.0))
        };
        ShardStats {
            count,
            sum: self.sum.get(),
            min: self.min.load(Relaxed),
            max: self.max.load(Relaxed),
            clamped: self.clamped.load(Relaxed),
            mean,
            m2,
        }
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.chunks.len() * std::mem::size_of::<OnceLock<Box<[AtomicU64]>>>()
            + self
                .chunks
                .iter()
                .filter_map(|c| c.get())
                .map(|c| c.len() * 8)
                .sum::<usize>()
    }
}

impl Stripe for Shard {
    fn lock(&self) -> &StripeLock {
        &self.lock
    }
}

impl ShardStats {
    /// Combines two shards' statistics (Chan et al.'s pairwise variance).
    pub(crate) fn merge(self, other: ShardStats) -> ShardStats {
        if other.count == 0 {
            return ShardStats {
                clamped: self.clamped + other.clamped,
                sum: self.sum + other.sum,
                ..self
            };
        }
        if self.count == 0 {
            return ShardStats {
                clamped: self.clamped + other.clamped,
                sum: self.sum + other.sum,
                ..other
            };
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        ShardStats {
            count: self.count + other.count,
            sum: self.sum + other.sum,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            clamped: self.clamped + other.clamped,
            mean: self.mean + delta * other.count as f64 / n,
            m2: self.m2 + other.m2 + delta * delta * self.count as f64 * other.count as f64 / n,
        }
    }
}
