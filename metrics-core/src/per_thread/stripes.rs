//! [`Stripes`]: a value kept in a bounded number of stripes, each written by
//! one thread at a time (see [the module](super) for the policy and its
//! cost).

use super::slot::{self, MAX_SLOTS};
use super::stripe_lock::StripeLock;
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU8, AtomicUsize, Ordering::*};
use std::sync::OnceLock;

/// Owned stripes claimed by the first threads to write, whatever their load.
const FIRST_OWNERS: usize = 2;
/// The most owned stripes, whatever the machine.
const MAX_OWNED: usize = 8;
/// The most shared stripes, whatever the machine.
const MAX_SHARED: usize = 8;
/// The most stripes a value can have.
pub(crate) const MAX_STRIPES: usize = MAX_OWNED + MAX_SHARED;
/// Shared writes into one value, among a thread's latest shared writes,
/// after which the thread tries to own a stripe of that value (see
/// [`Probe::busiest`]).
const PROMOTE_AFTER: u32 = 16_384;
/// Values a thread tracks its shared writes into.
const TRACKED: usize = 4;

/// A stripe's lock word, taken by threads that write it without owning it.
pub(crate) trait Stripe {
    fn lock(&self) -> &StripeLock;
}

/// A value kept in stripes created on first use: owned stripes, each
/// written by the one slot that claimed it, and shared stripes, each
/// written under its [`StripeLock`] by any other thread. Readers merge
/// whatever stripes exist.
#[derive(Debug)]
pub(crate) struct Stripes<T> {
    /// For each slot, 1 + the index of the owned stripe it writes (0: none).
    /// Each entry is written once, by its slot's thread, and read on every
    /// write: apart from the stripes, so a writer never shares a cache line
    /// with another writer's stripe.
    owner_of: [AtomicU8; MAX_SLOTS],
    /// Owned stripes claimed so far (only grows); each is created by its
    /// owner right after its claim.
    owned_len: AtomicUsize,
    owned: [OnceLock<Box<T>>; MAX_OWNED],
    /// Shared stripes; the first `shared_len` exist.
    shared_len: AtomicUsize,
    shared: [OnceLock<Box<T>>; MAX_SHARED],
}

/// What a thread keeps for writing shared stripes.
struct Probe {
    /// Which shared stripe it tries first (0: not chosen yet). Kept while
    /// that stripe is free, moved to the one it took when it was busy.
    hash: Cell<u32>,
    /// The values it writes most into shared stripes, with a count each.
    tracked: [Cell<(usize, u32)>; TRACKED],
}

thread_local! {
    static PROBE: Probe = const {
        Probe {
            hash: Cell::new(0),
            tracked: [const { Cell::new((0, 0)) }; TRACKED],
        }
    };
}

impl Probe {
    /// Counts a shared write into the value at `address`; `true` once every
    /// [`PROMOTE_AFTER`] counts. The counts are the frequent-items summary
    /// of Misra and Gries: a write into an untracked value with no entry
    /// free takes one from every count, so a value keeps a growing count
    /// only while it takes more than a fifth of the thread's shared writes.
    /// A thread spreading its writes over many values owns a stripe in none.
    fn busiest(&self, address: usize) -> bool {
        if let Some(entry) = self.tracked.iter().find(|e| e.get().0 == address) {
            let count = entry.get().1 + 1;
            let due = count >= PROMOTE_AFTER;
            entry.set((address, if due { 0 } else { count }));
            return due;
        }
        if let Some(entry) = self.tracked.iter().find(|e| e.get().1 == 0) {
            entry.set((address, 1));
            return false;
        }
        for entry in &self.tracked {
            let (tracked, count) = entry.get();
            entry.set((tracked, count - 1));
        }
        false
    }
}

/// Spreads the threads' first probes.
static NEXT_PROBE: AtomicU32 = AtomicU32::new(0);

impl<T: Stripe> Stripes<T> {
    pub(crate) fn new() -> Self {
        Self {
            owner_of: [const { AtomicU8::new(0) }; MAX_SLOTS],
            owned_len: AtomicUsize::new(0),
            owned: [const { OnceLock::new() }; MAX_OWNED],
            shared_len: AtomicUsize::new(0),
            shared: [const { OnceLock::new() }; MAX_SHARED],
        }
    }

    /// Runs `write` on a stripe that the calling thread is the only writer
    /// of while `write` runs, creating one with `init` if needed; `None`
    /// when none could be had (only while the thread is busy allocating for
    /// the recording path already, see [`slot::fill`]).
    #[inline]
    pub(crate) fn write<R>(&self, init: impl Fn() -> T, write: impl FnOnce(&T) -> R) -> Option<R> {
        let slot = slot::current();
        if let Some(slot) = slot {
            // The entry was written by this slot's thread (or a previous
            // holder of the slot, ordered by the hand-over).
            let owned = usize::from(self.owner_of[slot].load(Relaxed));
            if let Some(stripe) = owned.checked_sub(1).and_then(|i| self.owned[i].get()) {
                return Some(write(stripe));
            }
        }
        self.write_unowned(slot, init, write)
    }

    /// For a thread that owns no stripe: claims one while the first owners
    /// are still missing, else writes a shared one.
    fn write_unowned<R>(
        &self,
        slot: Option<usize>,
        init: impl Fn() -> T,
        write: impl FnOnce(&T) -> R,
    ) -> Option<R> {
        if let Some(slot) = slot {
            if let Some(stripe) = self.claim(slot, FIRST_OWNERS, || Box::new(init())) {
                return Some(write(stripe));
            }
        }
        let result = self.write_shared(&init, write);
        if let Some(slot) = slot {
            self.count_shared_write(slot, &init);
        }
        result
    }

    /// Makes `slot` the owner of a new stripe if fewer than `limit` are
    /// owned, and creates it.
    fn claim(&self, slot: usize, limit: usize, init: impl FnOnce() -> Box<T>) -> Option<&T> {
        let entry = &self.owner_of[slot];
        if entry.load(Relaxed) != 0 {
            // Claimed, but its stripe could not be created yet (busy).
            let index = usize::from(entry.load(Relaxed)) - 1;
            return slot::fill(&self.owned[index], init);
        }
        let index = self
            .owned_len
            .fetch_update(AcqRel, Acquire, |n| (n < limit).then_some(n + 1))
            .ok()?;
        // Below MAX_OWNED (16 at most): fits in a byte.
        entry.store(index as u8 + 1, Relaxed);
        slot::fill(&self.owned[index], init)
    }

    /// Counts a shared write of `slot`'s thread; when this value has taken
    /// [`PROMOTE_AFTER`] of them (see [`Probe::busiest`]), the thread tries
    /// to own a stripe of it.
    #[inline]
    fn count_shared_write(&self, slot: usize, init: impl Fn() -> T) {
        let address = self as *const Self as usize;
        if PROBE.with(|p| p.busiest(address)) && !slot::busy() {
            // The stripe is created empty; the next write lands in it.
            let limit = (2 * slot::parallelism()).clamp(FIRST_OWNERS, MAX_OWNED);
            let _ = self.claim(slot, limit, || Box::new(init()));
        }
    }

    /// Takes a shared stripe for one write: the thread's usual one, else the
    /// next that is free (which becomes its usual one). Only when every
    /// stripe is busy at once is one added, up to the bound; past it the
    /// thread tries again until one frees up, the only case where it
    /// waits (more writers inside this value's record at the same instant
    /// than there are shared stripes).
    fn write_shared<R>(&self, init: impl Fn() -> T, write: impl FnOnce(&T) -> R) -> Option<R> {
        let hash = probe();
        let mut rounds = 0usize;
        loop {
            let len = self.shared_len.load(Acquire);
            // Multiply-shift: an index below `len` without a division.
            let first = ((u64::from(hash) * len as u64) >> 32) as usize;
            for k in 0..len {
                let i = if first + k < len {
                    first + k
                } else {
                    first + k - len
                };
                let Some(stripe) = self.shared[i].get() else {
                    continue;
                };
                if let Some(_held) = stripe.lock().try_lock() {
                    if k > 0 {
                        PROBE.with(|p| p.hash.set(hash_for(i, len)));
                    }
                    return Some(write(stripe));
                }
            }
            // Every stripe busy, or none yet. Busy first: reading the CPU
            // count may allocate the first time.
            if slot::busy() {
                // Inside the recording path's own allocation: it must not
                // allocate, and may be holding the only free stripe itself.
                rounds += 1;
                if rounds > 2 {
                    return None;
                }
            } else if len < max_shared() {
                self.add_shared(len, &init);
                continue;
            }
            std::hint::spin_loop();
        }
    }

    /// Creates shared stripe `len` (if another thread has not just done so).
    #[cold]
    fn add_shared(&self, len: usize, init: impl Fn() -> T) {
        if slot::fill(&self.shared[len], || Box::new(init())).is_some() {
            // The first `len` exist, and now `len` too.
            self.shared_len.fetch_max(len + 1, Release);
        }
    }

    /// Every stripe created so far: owned first, then shared.
    pub(crate) fn all(&self) -> impl Iterator<Item = &T> {
        let owned = self.owned_len.load(Acquire).min(MAX_OWNED);
        let shared = self.shared_len.load(Acquire);
        self.owned[..owned]
            .iter()
            .chain(&self.shared[..shared])
            .filter_map(|s| s.get().map(|b| &**b))
    }

    /// Creates every stripe there can be, as the most contended value
    /// would end up with.
    #[cfg(test)]
    pub(crate) fn create_all(&self, init: impl Fn() -> T) {
        for stripe in self.owned.iter().chain(&self.shared) {
            let _ = stripe.get_or_init(|| Box::new(init()));
        }
        self.owned_len.store(MAX_OWNED, Release);
        self.shared_len.store(MAX_SHARED, Release);
    }

    /// Bytes used by the stripe table itself (stripes not included).
    pub(crate) fn table_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
    }
}

/// The most shared stripes on this machine.
fn max_shared() -> usize {
    slot::parallelism().clamp(1, MAX_SHARED)
}

/// The calling thread's probe, chosen on first use.
#[inline]
fn probe() -> u32 {
    PROBE.with(|p| {
        let hash = p.hash.get();
        if hash != 0 {
            return hash;
        }
        // Golden-ratio steps spread consecutive threads evenly.
        let next = NEXT_PROBE
            .fetch_add(0x9E37_79B9, Relaxed)
            .wrapping_add(0x9E37_79B9);
        let hash = next.max(1);
        p.hash.set(hash);
        hash
    })
}

/// A probe whose first choice among `len` stripes is `index`.
fn hash_for(index: usize, len: usize) -> u32 {
    // The middle of the range that multiply-shift maps to `index`.
    ((((index as u64) << 32) + (1 << 31)) / len as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc;

    /// A stripe that counts its writes.
    #[derive(Debug, Default)]
    struct Count {
        lock: StripeLock,
        n: AtomicU64,
    }

    impl Stripe for Count {
        fn lock(&self) -> &StripeLock {
            &self.lock
        }
    }

    fn add(stripes: &Stripes<Count>) {
        let written = stripes.write(Count::default, |c| {
            c.n.store(c.n.load(Relaxed) + 1, Relaxed);
        });
        assert!(written.is_some());
    }

    fn total(stripes: &Stripes<Count>) -> u64 {
        stripes.all().map(|c| c.n.load(Relaxed)).sum()
    }

    fn lens(stripes: &Stripes<Count>) -> (usize, usize) {
        (
            stripes.owned_len.load(Relaxed),
            stripes.shared_len.load(Relaxed),
        )
    }

    /// A thread that runs `f` on demand and keeps its slot until dropped.
    struct Worker {
        run: Option<mpsc::Sender<Box<dyn FnOnce() + Send>>>,
        done: mpsc::Receiver<()>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Worker {
        fn new() -> Self {
            let (run, jobs) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
            let (finished, done) = mpsc::channel();
            let thread = std::thread::spawn(move || {
                for job in jobs {
                    job();
                    finished.send(()).unwrap();
                }
            });
            Self {
                run: Some(run),
                done,
                thread: Some(thread),
            }
        }

        fn run(&self, f: impl FnOnce() + Send + 'static) {
            self.run.as_ref().unwrap().send(Box::new(f)).unwrap();
            self.done.recv().unwrap();
        }
    }

    impl Drop for Worker {
        fn drop(&mut self) {
            self.run = None;
            let _ = self.thread.take().unwrap().join();
        }
    }

    /// The policy, step by step, on threads that all hold their slots
    /// throughout (one test: the slots are the process's).
    #[test]
    fn owners_shared_stripes_and_promotion() {
        let limit = (2 * slot::parallelism()).clamp(FIRST_OWNERS, MAX_OWNED);
        let hot = std::sync::Arc::new(Stripes::<Count>::new());
        let (a, b, c) = (Worker::new(), Worker::new(), Worker::new());

        // The first two threads to write own a stripe each; the third
        // writes a shared one.
        for (worker, expected) in [(&a, (1, 0)), (&b, (2, 0)), (&c, (2, 1))] {
            let hot = hot.clone();
            worker.run(move || {
                for _ in 0..1000 {
                    add(&hot);
                }
                assert_eq!(lens(&hot), expected);
            });
        }
        assert_eq!(total(&hot), 3000);

        // Alone on the shared path, a thread keeps using one stripe; with
        // that one busy, it adds another rather than wait (a 1-CPU machine
        // has one shared stripe only: there it would wait).
        if max_shared() >= 2 {
            let busy = hot.shared[0].get().unwrap().lock().try_lock();
            let hot = hot.clone();
            c.run(move || {
                add(&hot);
                assert_eq!(lens(&hot).1, 2);
            });
            drop(busy);
        }

        // Writing on into it, the third thread comes to own a stripe.
        {
            let hot = hot.clone();
            c.run(move || {
                for _ in 0..PROMOTE_AFTER {
                    add(&hot);
                }
                assert_eq!(lens(&hot).0, 3.min(limit));
            });
        }
        assert_eq!(total(&hot), 3001 + u64::from(PROMOTE_AFTER));

        // A thread spreading its writes over many values owns none of them.
        let many: std::sync::Arc<Vec<Stripes<Count>>> =
            std::sync::Arc::new((0..50).map(|_| Stripes::new()).collect());
        for worker in [&a, &b] {
            let many = many.clone();
            worker.run(move || many.iter().for_each(add));
        }
        {
            let many = many.clone();
            c.run(move || {
                for _ in 0..20 {
                    for stripes in many.iter() {
                        for _ in 0..PROMOTE_AFTER / 100 {
                            add(stripes);
                        }
                    }
                }
            });
        }
        for stripes in many.iter() {
            assert_eq!(lens(stripes), (2, 1));
            assert_eq!(total(stripes), 2 + 20 * u64::from(PROMOTE_AFTER / 100));
        }
    }
}
