//! Memory allocation and the recording path: recording from inside a
//! global allocator (a thread's first record allocates its cells, and that
//! allocation records again) neither deadlocks nor loses a count, and a
//! family's lookup of a value set it has seen allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tachymeter_core::{Counter, Histogram, Registry};

/// Where the allocator records each allocation, once a test sets them.
static ALLOCATIONS: OnceLock<Counter> = OnceLock::new();
static SIZES: OnceLock<Histogram> = OnceLock::new();
/// The truth for those, kept with a plain atomic.
static CALLS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Allocations made by this thread (no other test's, nor the harness').
    static THIS_THREAD: Cell<u64> = const { Cell::new(0) };
}

fn this_thread() -> u64 {
    THIS_THREAD.with(Cell::get)
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A const-initialised cell without destructor: no allocation here.
        let _ = THIS_THREAD.try_with(|n| n.set(n.get() + 1));
        if let (Some(c), Some(h)) = (ALLOCATIONS.get(), SIZES.get()) {
            CALLS.fetch_add(1, Ordering::Relaxed);
            c.inc(1);
            h.update(layout.size() as u64);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn recording_from_the_allocator_neither_deadlocks_nor_loses_counts() {
    let counter = Counter::new();
    let sizes = Histogram::new();
    let (c, h) = (counter.clone(), sizes.clone());
    assert!(ALLOCATIONS.set(counter).is_ok() && SIZES.set(sizes).is_ok());

    // Fresh threads: each one's first record allocates its slot's cells from
    // inside the allocator.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let workers: Vec<_> = (0..8)
            .map(|i| {
                std::thread::spawn(move || {
                    let v: Vec<String> = (0..100).map(|j| format!("{i}-{j}")).collect();
                    v.len()
                })
            })
            .collect();
        let made: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let _ = done.send(made);
    });
    let made = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("recording from inside the allocator deadlocked");
    assert_eq!(made, 800);

    // Stop counting, then compare with the truth.
    let calls_before = CALLS.load(Ordering::Relaxed);
    let counted = c.count();
    let s = h.snapshot();
    let calls_after = CALLS.load(Ordering::Relaxed);
    assert!(calls_before > 800);
    assert!(
        (calls_before as i64..=calls_after as i64).contains(&counted),
        "counter {counted}, allocations {calls_before}..={calls_after}"
    );
    // Every value is either in the histogram or counted as dropped.
    assert!(
        (calls_before..=calls_after).contains(&(s.count + s.dropped)),
        "histogram {} + dropped {}, allocations {calls_before}..={calls_after}",
        s.count,
        s.dropped
    );
}

#[test]
fn looking_up_seen_values_allocates_nothing() {
    let registry = Registry::new();
    let orders = registry
        .counter_family("shop.orders", ["tier", "region"])
        .unwrap();
    let latency = registry.timer_family("shop.latency", ["route"]).unwrap();
    let tiers = ["free", "pro", "a-much-longer-tier-name"];
    let record = |i: usize| {
        orders.with([tiers[i % 3], "eu"]).inc(1);
        latency
            .with(["/books/{id}"])
            .update(Duration::from_nanos(1_000 + i as u64 % 5_000));
    };
    // The first round registers each value set and lets the recording
    // machinery settle (a thread's cells, a histogram's stripes):
    // allocations allowed. The second only looks up and records.
    for i in 0..30_000 {
        record(i);
    }
    let before = this_thread();
    for i in 0..30_000 {
        record(i);
    }
    let after = this_thread();
    assert_eq!(
        after - before,
        0,
        "allocations while looking up seen values"
    );
    assert_eq!(orders.with(["pro", "eu"]).count(), 20_000);
}
