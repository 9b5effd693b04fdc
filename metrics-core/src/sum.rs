//! [`Sum128`]: an exact 128-bit sum with one writer at a time and any number
//! of readers, built from two `u64` atomics.
//!
//! The writer stores the low half alone while it does not overflow (a load
//! and a release store, plain instructions on x86). On a carry, once per 2^64, it enters a seqlock: the
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

    /// Adds `value`. Only one thread may call this at a time (the stripe's
    /// writer), each call ordered after the previous one.
    #[inline]
    pub fn add(&self, value: u64) {
        let (lo, carry) = self.lo.load(Relaxed).overflowing_add(value);
        if carry {
            self.carry(lo);
        } else {
            // Release (a plain store on x86): a reader that sees this low
            // half also sees the carry an earlier writer made, when writers
            // take turns (a stripe's lock, a slot's hand-over) rather than
            // follow each other in one thread's program order.
            self.lo.store(lo, Release);
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
