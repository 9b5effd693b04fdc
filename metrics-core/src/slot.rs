//! Per-thread slots: the reason recording needs no atomic read-modify-write.
//!
//! A thread that records for the first time claims one of a fixed number of
//! slots and keeps it until it exits. While it holds slot `i`, it is the only
//! writer of the `i`-th cell of every sharded metric, so it can update that
//! cell with a plain atomic load and store (no `lock` prefix, no contention).
//! Readers sum the cells with atomic loads. Threads that find every slot taken
//! (or record while being torn down) fall back to one shared cell updated
//! with `fetch_add`: slower, still exact.
//!
//! Exclusivity is what keeps counts exact: a slot is released (with `Release`
//! ordering) only after its thread has stopped using it, and claimed (with
//! `Acquire`) before a new thread touches it, so the new owner sees every
//! store of the previous one.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Hard upper bound on slots, whatever the machine.
const MAX_SLOTS: usize = 128;

const UNASSIGNED: usize = usize::MAX;
const NO_SLOT: usize = usize::MAX - 1;

static CLAIMED: [AtomicBool; MAX_SLOTS] = [const { AtomicBool::new(false) }; MAX_SLOTS];

thread_local! {
    static INDEX: Cell<usize> = const { Cell::new(UNASSIGNED) };
    static GUARD: SlotGuard = const { SlotGuard { index: Cell::new(NO_SLOT) } };
}

/// Releases the thread's slot when the thread exits.
struct SlotGuard {
    index: Cell<usize>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let index = self.index.get();
        if index < MAX_SLOTS {
            // From now on this thread uses the shared cells.
            INDEX.with(|i| i.set(NO_SLOT));
            CLAIMED[index].store(false, Ordering::Release);
        }
    }
}

/// How many slots sharded metrics have: twice the available parallelism,
/// between 2 and 128. Computed once per process.
pub(crate) fn capacity() -> usize {
    static CAPACITY: OnceLock<usize> = OnceLock::new();
    *CAPACITY.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(4, |n| n.get());
        cpus.saturating_mul(2).clamp(2, MAX_SLOTS)
    })
}

/// The calling thread's slot, claiming one on first use; `None` when it has
/// none (all taken, or the thread is exiting).
#[inline]
pub(crate) fn current() -> Option<usize> {
    let index = INDEX.with(Cell::get);
    if index < MAX_SLOTS {
        Some(index)
    } else if index == UNASSIGNED {
        claim()
    } else {
        None
    }
}

#[cold]
fn claim() -> Option<usize> {
    let mut claimed = NO_SLOT;
    for (i, flag) in CLAIMED.iter().enumerate().take(capacity()) {
        if flag
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            claimed = i;
            break;
        }
    }
    // Register the release; if the thread is already being torn down the
    // guard is gone, so give the slot back at once and use the shared cell.
    let registered = claimed < MAX_SLOTS && GUARD.try_with(|g| g.index.set(claimed)).is_ok();
    if claimed < MAX_SLOTS && !registered {
        CLAIMED[claimed].store(false, Ordering::Release);
        claimed = NO_SLOT;
    }
    INDEX.with(|i| i.set(claimed));
    (claimed < MAX_SLOTS).then_some(claimed)
}

/// Cells of one sharded value: one per slot, created on first use by that
/// slot's thread, plus a shared fallback.
#[derive(Debug)]
pub(crate) struct Sharded<T> {
    owned: Box<[OnceLock<Box<T>>]>,
    shared: OnceLock<Box<T>>,
}

/// Where the calling thread writes.
pub(crate) enum Writer<'a, T> {
    /// The thread's own cell: it is the only writer.
    Owned(&'a T),
    /// The shared cell: other threads write it too.
    Shared(&'a T),
}

impl<T> Sharded<T> {
    pub(crate) fn new() -> Self {
        Self {
            owned: (0..capacity()).map(|_| OnceLock::new()).collect(),
            shared: OnceLock::new(),
        }
    }

    /// The cell the calling thread writes to, created by `init` if needed
    /// (an allocation the first time a thread writes, never after).
    #[inline]
    pub(crate) fn writer(&self, init: impl FnOnce() -> T) -> Writer<'_, T> {
        match current().and_then(|i| self.owned.get(i)) {
            Some(cell) => Writer::Owned(cell.get_or_init(|| Box::new(init()))),
            None => Writer::Shared(self.shared.get_or_init(|| Box::new(init()))),
        }
    }

    /// Every cell created so far.
    pub(crate) fn cells(&self) -> impl Iterator<Item = &T> {
        self.owned
            .iter()
            .chain(std::iter::once(&self.shared))
            .filter_map(|c| c.get().map(|b| &**b))
    }

    /// Bytes used by the slot table itself (cells not included).
    pub(crate) fn table_bytes(&self) -> usize {
        (self.owned.len() + 1) * std::mem::size_of::<OnceLock<Box<T>>>()
    }
}
