//! [`Sum128`]: an exact 128-bit sum with a single writer and any number of
//! readers, built from two `u64` atomics.
//!
//! The writer stores the low half alone while it does not overflow (a plain
//! load and store). On a carry, once per 2^64, it enters a seqlock: the
//! sequence goes odd, both halves are stored, the sequence goes even.
//! Readers retry while the sequence is odd or changed under them, so they
//! never see a torn pair.

#[cfg(loom)]
use loom::sync::atomic::{fence, AtomicU64, Ordering::*};
#[cfg(not(loom))]
use std::sync::atomic::{fence, AtomicU64, Ordering::*};

/// Public only so the loom checks can reach it; the module is private.
#[derive(Debug, Default)]
pub struct Sum128 {
    lo: AtomicU64,
    hi: AtomicU64,
    seq: AtomicU64,
}

impl Sum128 {
    /// Zero.
    pub fn new() -> Self {
        Self {
            lo: AtomicU64::new(0),
            hi: AtomicU64::new(0),
            seq: AtomicU64::new(0),
        }
    }

    /// Adds `value`. Only one thread may call this at a time (the owner).
    #[inline]
    pub fn add_owned(&self, value: u64) {
        let (lo, carry) = self.lo.load(Relaxed).overflowing_add(value);
        if carry {
            self.carry(lo);
        } else {
            self.lo.store(lo, Relaxed);
        }
    }

    #[cold]
    fn carry(&self, lo: u64) {
        let seq = self.seq.load(Relaxed);
        self.seq.store(seq.wrapping_add(1), Relaxed);
        fence(Release);
        self.hi
            .store(self.hi.load(Relaxed).wrapping_add(1), Relaxed);
        self.lo.store(lo, Relaxed);
        self.seq.store(seq.wrapping_add(2), Release);
    }

    /// Adds `value` where several threads may add at once. A reader racing
    /// with a carry may see the sum 2^64 low for an instant; only this
    /// fallback path has that window.
    pub fn add_shared(&self, value: u64) {
        let before = self.lo.fetch_add(value, Relaxed);
        if before.checked_add(value).is_none() {
            self.hi.fetch_add(1, Relaxed);
        }
    }

    /// The sum.
    pub fn get(&self) -> u128 {
        loop {
            let before = self.seq.load(Acquire);
            if before % 2 == 0 {
                let hi = self.hi.load(Relaxed);
                let lo = self.lo.load(Relaxed);
                fence(Acquire);
                if self.seq.load(Relaxed) == before {
                    return (u128::from(hi) << 64) | u128::from(lo);
                }
            }
            spin();
        }
    }
}

#[cfg(loom)]
fn spin() {
    loom::thread::yield_now();
}

#[cfg(not(loom))]
fn spin() {
    std::hint::spin_loop();
}
