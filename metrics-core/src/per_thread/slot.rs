//! Per-thread slots (see [the module](super)): claimed on a thread's first
//! record, given back when it exits, and the busy mark that keeps a record
//! made from inside the recording path's own allocation from allocating
//! again.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

/// Hard upper bound on slots, whatever the machine.
pub(crate) const MAX_SLOTS: usize = 128;

/// The thread has not recorded yet.
const UNASSIGNED: usize = usize::MAX;
/// Every slot was taken at the last try; tries again after a release.
const NO_SLOT: usize = usize::MAX - 1;
/// The thread is exiting (its slot, if any, is given back).
const EXITING: usize = usize::MAX - 2;
/// The thread is inside the recording path's own allocation or claim.
const BUSY: usize = usize::MAX - 3;

static CLAIMED: [AtomicBool; MAX_SLOTS] = [const { AtomicBool::new(false) }; MAX_SLOTS];

/// Bumped whenever a slot is given back, so threads without one retry.
static RELEASES: AtomicU64 = AtomicU64::new(0);

/// The environment variable that overrides the detected CPU count.
pub const PARALLELISM_VAR: &str = "METRICS_CORE_PARALLELISM";

thread_local! {
    static INDEX: Cell<usize> = const { Cell::new(UNASSIGNED) };
    /// `RELEASES` when this thread last found every slot taken.
    static SEEN: Cell<u64> = const { Cell::new(0) };
    static GUARD: SlotGuard = const { SlotGuard { index: Cell::new(NO_SLOT) } };
}

/// Releases the thread's slot when the thread exits.
struct SlotGuard {
    index: Cell<usize>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let index = self.index.get();
        // From now on this thread uses the shared cells.
        INDEX.with(|i| i.set(EXITING));
        super::cells::release_thread();
        if index < MAX_SLOTS {
            CLAIMED[index].store(false, Ordering::Release);
            RELEASES.fetch_add(1, Ordering::Release);
        }
    }
}

/// The CPU count the core sizes itself for: `METRICS_CORE_PARALLELISM` when
/// it is set to a positive integer, otherwise
/// [`std::thread::available_parallelism`] (4 if that fails). Read once per
/// process.
///
/// Set the variable where the detected count is wrong (a container limited
/// to fewer CPUs than the host shows), or to see how the core behaves on a
/// bigger machine than the one at hand. Up to `2 × parallelism` threads
/// (at most 128) get their own cells in every counter and meter, the rest
/// share one cell per metric; a histogram or timer keeps at most
/// `2 + min(parallelism, 14)` stripes of buckets.
///
/// ```
/// let cpus = tachymeter_core::parallelism();
/// assert!(cpus >= 1);
/// ```
pub fn parallelism() -> usize {
    static PARALLELISM: OnceLock<usize> = OnceLock::new();
    *PARALLELISM.get_or_init(|| {
        // Computing it allocates: records made meanwhile use shared cells.
        busy_while(|| {
            std::env::var(PARALLELISM_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(4, |n| n.get()))
        })
    })
}

/// How many slots there are: twice [`parallelism`], between 2 and 128.
pub(crate) fn capacity() -> usize {
    static CAPACITY: OnceLock<usize> = OnceLock::new();
    *CAPACITY.get_or_init(|| parallelism().saturating_mul(2).clamp(2, MAX_SLOTS))
}

/// The calling thread's slot, claiming one on first use; `None` when it has
/// none (all taken, busy, or exiting).
#[inline]
pub(crate) fn current() -> Option<usize> {
    let index = INDEX.with(Cell::get);
    if index < MAX_SLOTS {
        Some(index)
    } else {
        without_slot(index)
    }
}

#[cold]
fn without_slot(index: usize) -> Option<usize> {
    match index {
        UNASSIGNED => claim(),
        NO_SLOT if RELEASES.load(Ordering::Relaxed) != SEEN.with(Cell::get) => claim(),
        _ => None,
    }
}

/// Whether the calling thread is inside the recording path's own
/// allocation: it must not allocate again.
pub(crate) fn busy() -> bool {
    INDEX.with(Cell::get) == BUSY
}

/// Runs `f` with the thread marked busy, so records made meanwhile on this
/// thread (from inside the allocator) take the shared path.
pub(crate) fn busy_while<R>(f: impl FnOnce() -> R) -> R {
    let before = INDEX.with(|i| i.replace(BUSY));
    let result = f();
    INDEX.with(|i| i.set(before));
    result
}

#[cold]
fn claim() -> Option<usize> {
    // Everything here may allocate (the exit guard's registration, the
    // first read of the CPU count): records made meanwhile on this thread
    // take the shared path.
    INDEX.with(|i| i.set(BUSY));
    let state = claim_busy();
    INDEX.with(|i| i.set(state));
    (state < MAX_SLOTS).then_some(state)
}

/// Claims a slot; returns the thread's new state.
fn claim_busy() -> usize {
    if GUARD.try_with(|_| ()).is_err() {
        return EXITING;
    }
    // Read before the scan, so a slot given back during it is noticed on
    // the next record.
    let seen = RELEASES.load(Ordering::Acquire);
    let claimed = CLAIMED.iter().take(capacity()).position(|flag| {
        flag.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    });
    let Some(slot) = claimed else {
        SEEN.with(|s| s.set(seen));
        return NO_SLOT;
    };
    if GUARD.try_with(|g| g.index.set(slot)).is_ok() {
        slot
    } else {
        CLAIMED[slot].store(false, Ordering::Release);
        EXITING
    }
}

/// Fills `lock` with `init()` unless the thread is busy (then `None` if it
/// is still empty). The allocation happens outside the lock and marked
/// busy, so a record made from inside the allocator cannot deadlock on it
/// nor allocate again.
#[cold]
pub(crate) fn fill<T: ?Sized>(
    lock: &OnceLock<Box<T>>,
    init: impl FnOnce() -> Box<T>,
) -> Option<&T> {
    if busy() {
        return lock.get().map(|b| &**b);
    }
    let value = busy_while(init);
    Some(lock.get_or_init(|| value))
}
