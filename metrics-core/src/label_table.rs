//! [`LabelTable`]: a family's series by label values, appended under a
//! lock and read without one.
//!
//! Entries live in levels of slots, each level twice the size of the one
//! before and never more than half full; an entry, once set, never moves
//! nor is freed while the table lives. A reader hashes the values and
//! probes each level, newest first: plain loads, no lock, no write to a
//! shared cache line, so any number of threads look up the same series
//! at once without slowing each other. A writer (a new value set) takes
//! the lock, adds a level when the last is half full, and sets a slot.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Levels hold `FIRST << level` slots: 40 levels are far more than any
/// registry's cap fills.
const LEVELS: usize = 40;
const FIRST: usize = 8;

/// One value set's series.
struct Entry<M, const N: usize> {
    hash: u64,
    values: [Box<str>; N],
    metric: M,
    /// Set by [`LabelTable::remove`]: readers pass it by.
    removed: AtomicBool,
}

type Level<M, const N: usize> = Box<[OnceLock<Box<Entry<M, N>>>]>;

/// A family's series by the hash and text of their label values.
pub(crate) struct LabelTable<M, const N: usize> {
    levels: [OnceLock<Level<M, N>>; LEVELS],
    /// How many levels exist (set after the level is).
    made: AtomicUsize,
    /// Writers: (entries in the last level, entries in all).
    fill: Mutex<(usize, usize)>,
}

impl<M, const N: usize> LabelTable<M, N> {
    pub(crate) fn new() -> Self {
        LabelTable {
            levels: std::array::from_fn(|_| OnceLock::new()),
            made: AtomicUsize::new(0),
            fill: Mutex::new((0, 0)),
        }
    }

    /// The series of `values` (whose hash is `hash`), if it is here.
    #[inline]
    pub(crate) fn get(&self, hash: u64, values: &[&str; N]) -> Option<&M> {
        let made = self.made.load(Ordering::Acquire);
        // Newest first: the largest level holds most entries.
        for level in self.levels[..made.min(LEVELS)].iter().rev() {
            let Some(slots) = level.get() else { continue };
            if let Some(entry) = probe(slots, hash, values) {
                return Some(&entry.metric);
            }
        }
        None
    }

    /// Adds `metric` for `values` unless the table holds `max` entries
    /// (then `None`), after `make` found whether another thread added it
    /// first. `make` runs under the table's lock.
    pub(crate) fn insert(
        &self,
        hash: u64,
        values: &[&str; N],
        max: usize,
        make: impl FnOnce() -> M,
    ) -> Option<&M> {
        let mut fill = self.fill.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = self.get(hash, values) {
            return Some(found);
        }
        if fill.1 >= max {
            return None;
        }
        let made = self.made.load(Ordering::Acquire);
        let slots = match made.checked_sub(1).and_then(|last| self.levels[last].get()) {
            Some(slots) if fill.0 * 2 < slots.len() => slots,
            _ if made == LEVELS => return None,
            _ => {
                let size = FIRST << made;
                let level =
                    self.levels[made].get_or_init(|| (0..size).map(|_| OnceLock::new()).collect());
                self.made.store(made + 1, Ordering::Release);
                fill.0 = 0;
                level
            }
        };
        let mask = slots.len() - 1;
        let mut i = (hash as usize) & mask;
        // Less than half full: a free slot is near.
        while slots[i].get().is_some() {
            i = (i + 1) & mask;
        }
        let entry = slots[i].get_or_init(|| {
            Box::new(Entry {
                hash,
                values: values.map(Box::from),
                metric: make(),
                removed: AtomicBool::new(false),
            })
        });
        fill.0 += 1;
        fill.1 += 1;
        Some(&entry.metric)
    }

    /// Marks the entry of `values` removed; whether there was one.
    pub(crate) fn remove(&self, hash: u64, values: &[&str; N]) -> bool {
        let _fill = self.fill.lock().unwrap_or_else(|e| e.into_inner());
        let made = self.made.load(Ordering::Acquire);
        for level in self.levels[..made.min(LEVELS)].iter() {
            if let Some(entry) = level.get().and_then(|slots| probe(slots, hash, values)) {
                entry.removed.store(true, Ordering::Release);
                return true;
            }
        }
        false
    }
}

/// The live entry of `values` in one level.
#[inline]
fn probe<'s, M, const N: usize>(
    slots: &'s [OnceLock<Box<Entry<M, N>>>],
    hash: u64,
    values: &[&str; N],
) -> Option<&'s Entry<M, N>> {
    let mask = slots.len() - 1;
    let mut i = (hash as usize) & mask;
    // A level is never more than half full, so an empty slot ends the run.
    while let Some(entry) = slots[i].get() {
        if entry.hash == hash
            && entry.values.iter().zip(values).all(|(a, b)| **a == **b)
            && !entry.removed.load(Ordering::Acquire)
        {
            return Some(entry);
        }
        i = (i + 1) & mask;
    }
    None
}
