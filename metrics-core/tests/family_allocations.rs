//! A family's lookup of a value set it has seen allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tachymeter_core::Registry;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for i in 0..30_000 {
        record(i);
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(
        after - before,
        0,
        "allocations while looking up seen values"
    );
    assert_eq!(orders.with(["pro", "eu"]).count(), 20_000);
}
