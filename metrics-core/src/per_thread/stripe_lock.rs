//! [`StripeLock`]: the word that makes a shared stripe's current writer its
//! only writer, for the length of one record.
//!
//! Nobody ever waits on it: a thread that finds it taken goes to another
//! stripe. Taking it is one compare-and-swap with `Acquire` (after a plain
//! load, so a taken lock costs no read-modify-write); giving it back is a
//! store with `Release`. So each holder sees every write of the holders
//! before it, and the stripe's plain loads and stores never race.

#[cfg(loom)]
use loom::sync::atomic::{AtomicBool, Ordering::*};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, Ordering::*};

/// Public only so the loom checks can reach it; the module is private.
#[derive(Debug, Default)]
pub struct StripeLock(AtomicBool);

/// Proof of holding a [`StripeLock`]; gives it back when dropped.
#[derive(Debug)]
pub struct Held<'a>(&'a StripeLock);

impl StripeLock {
    /// Free.
    pub fn new() -> Self {
        Self(AtomicBool::new(false))
    }

    /// Takes the lock if it is free, without waiting.
    #[inline]
    pub fn try_lock(&self) -> Option<Held<'_>> {
        if self.0.load(Relaxed) {
            return None;
        }
        self.0
            .compare_exchange(false, true, Acquire, Relaxed)
            .ok()
            .map(|_| Held(self))
    }
}

impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0 .0.store(false, Release);
    }
}
