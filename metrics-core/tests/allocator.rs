//! Recording from inside a global allocator: a thread's first record
//! allocates its cells, and that allocation records again. It must neither
//! deadlock nor lose a count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tachymeter_core::{Counter, Histogram};

static ALLOCATIONS: OnceLock<Counter> = OnceLock::new();
static SIZES: OnceLock<Histogram> = OnceLock::new();
/// The truth, kept with a plain atomic.
static CALLS: AtomicU64 = AtomicU64::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
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
