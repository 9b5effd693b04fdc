//! [`Offset`]: what [`Counter::clear`](crate::Counter::clear) sets aside,
//! so a clear never races a read into a count that never was.
//!
//! A counter's cells only ever add; clearing stores their sum as an offset
//! and the count is `sum - offset`. Two rules keep that exact under races:
//! a clear stores a sum read *after* the offset it replaces (compare and
//! swap, retried), so of two racing clears the later sum always wins; and a
//! read takes the offset before and after summing, and reads again when a
//! clear moved it in between.

#[cfg(loom)]
use loom::sync::atomic::{AtomicI64, Ordering::*};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicI64, Ordering::*};

/// How often a read tries again when clears keep moving the offset.
const READ_TRIES: usize = 8;

/// Public only so the loom checks can reach it; the module is private.
#[derive(Debug, Default)]
pub struct Offset(AtomicI64);

impl Offset {
    /// Zero.
    pub fn new() -> Self {
        Self(AtomicI64::new(0))
    }

    /// The offset now.
    pub fn get(&self) -> i64 {
        self.0.load(Acquire)
    }

    /// Sets the offset to `sum()` read after the offset it replaces; returns
    /// the sum stored.
    pub fn clear(&self, sum: impl Fn() -> i64) -> i64 {
        let mut old = self.get();
        loop {
            let now = sum();
            match self.0.compare_exchange(old, now, AcqRel, Acquire) {
                Ok(_) => return now,
                Err(moved) => old = moved,
            }
        }
    }

    /// `sum` less `before`, if `sum` was read after the offset was `before`
    /// and the offset has not moved since; `None` if a clear came between.
    pub fn since(&self, before: i64, sum: i64) -> Option<i64> {
        (self.get() == before).then(|| sum.wrapping_sub(before))
    }

    /// `sum()` less the offset, with no clear between the two reads; after
    /// [`READ_TRIES`] clears in a row, the last difference (possibly
    /// straddling a clear). The flag says whether the read settled.
    pub fn read(&self, sum: impl Fn() -> i64) -> (i64, bool) {
        let mut offset = self.get();
        for _ in 0..READ_TRIES {
            if let Some(diff) = self.since(offset, sum()) {
                return (diff, true);
            }
            offset = self.get();
        }
        (sum().wrapping_sub(offset), false)
    }
}
