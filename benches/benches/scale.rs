//! What metrics cost as the machine grows: heap and `Registry::snapshot`
//! time for 200 timers and 1,000 counters recorded into by as many threads
//! as the simulated CPUs, at parallelism 2, 16, 64 and 128.
//!
//! The slot capacity is fixed once per process, so each parallelism runs in
//! a child process of this binary with `METRICS_CORE_PARALLELISM` set. Heap
//! is counted by a counting global allocator. Snapshot time is the median
//! of repeated snapshots in that child; the ratio to parallelism 2 is the
//! figure to read (absolute times move between runs here).
//!
//! `cargo bench -p tachymeter-benches --bench scale` runs the full workload;
//! under `cargo test --benches` a small one checks that the bench works.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tachymeter_benches::log_uniform;
use tachymeter_core::{ManualClock, Registry};

/// Heap bytes currently allocated through the global allocator.
static HEAP: AtomicUsize = AtomicUsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the layout is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CHILD: &str = "METRICS_SCALE_CHILD";
const PARALLELISMS: [usize; 4] = [2, 16, 64, 128];

/// The workload's size.
#[derive(Clone, Copy)]
struct Size {
    timers: usize,
    counters: usize,
    /// Values per timer per thread in each of the window's steps.
    values: usize,
    snapshots: usize,
}

const FULL: Size = Size {
    timers: 200,
    counters: 1_000,
    values: 40,
    snapshots: 31,
};

const QUICK: Size = Size {
    timers: 20,
    counters: 100,
    values: 5,
    snapshots: 3,
};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let size = if full { FULL } else { QUICK };
    if std::env::var_os(CHILD).is_some() {
        child(size);
        return;
    }
    let parallelisms: &[usize] = if full { &PARALLELISMS } else { &[2, 64] };
    let exe = std::env::current_exe().expect("the bench binary's path");
    println!(
        "scale: {} timers + {} counters, as many threads as CPUs",
        size.timers, size.counters
    );
    println!(
        "{:>11} | {:>10} | {:>11} | {:>13} | {:>13} | {:>8}",
        "parallelism", "heap", "per timer", "per counter", "snapshot", "vs 2"
    );
    // Three rounds, interleaved, so a noisy moment does not land on one
    // parallelism only; each figure is the lowest of its three medians.
    let mut results: Vec<[f64; 4]> = vec![[f64::INFINITY; 4]; parallelisms.len()];
    for _round in 0..3 {
        for (i, &p) in parallelisms.iter().enumerate() {
            let fields = run_child(&exe, p);
            for (best, new) in results[i].iter_mut().zip(fields) {
                *best = best.min(new);
            }
        }
    }
    let base = results[0][3];
    for (&p, [heap, timer, counter, snapshot_ns]) in parallelisms.iter().zip(&results) {
        println!(
            "{:>11} | {:>6.2} MiB | {:>7.1} KiB | {:>9.0} B | {:>10.3} ms | {:>7.2}x",
            p,
            heap / 1_048_576.0,
            timer / 1024.0,
            counter,
            snapshot_ns / 1e6,
            snapshot_ns / base
        );
    }
}

/// Runs the workload in a child process at parallelism `p`; returns its
/// four figures.
fn run_child(exe: &std::path::Path, p: usize) -> [f64; 4] {
    let out = Command::new(exe)
        .args(std::env::args().skip(1))
        .env(CHILD, "1")
        .env(tachymeter_core::PARALLELISM_VAR, p.to_string())
        .output()
        .expect("the child process starts");
    assert!(
        out.status.success(),
        "child at parallelism {p} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = line
        .split_whitespace()
        .map(|f| f.parse().expect("numbers"))
        .collect();
    fields[..]
        .try_into()
        .unwrap_or_else(|_| panic!("unexpected child output: {line}"))
}

/// Records the workload at this process's parallelism and prints: total
/// heap, heap per timer, heap per counter (each with its registry entry),
/// median snapshot nanoseconds.
fn child(size: Size) {
    let threads = tachymeter_core::parallelism();
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    // Values spanning 10 powers of two (1 µs to ~1 ms).
    let values = Arc::new(log_uniform(4096, 1_000, 1_000_000, 0x5ca1e));
    let start = HEAP.load(Ordering::Relaxed);

    // Counters first, each incremented by every thread.
    let counters: Arc<Vec<_>> = Arc::new(
        (0..size.counters)
            .map(|i| registry.counter(format!("counter.{i}")).expect("a counter"))
            .collect(),
    );
    on_threads(threads, |_| {
        for counter in counters.iter() {
            counter.inc(1);
        }
    });
    let counters_heap = HEAP.load(Ordering::Relaxed) - start;

    // Then timers: seven steps of the default window (60 s in 10 s steps),
    // each filled by every thread and followed by a snapshot 10 s later, so
    // the window is full.
    let timers: Arc<Vec<_>> = Arc::new(
        (0..size.timers)
            .map(|i| registry.timer(format!("timer.{i}")).expect("a timer"))
            .collect(),
    );
    for round in 0..7 {
        on_threads(threads, |t| {
            let mut i = t * 997 + round * 7919;
            for timer in timers.iter() {
                for _ in 0..size.values {
                    timer.update(Duration::from_nanos(values[i % values.len()]));
                    i += 1;
                }
            }
        });
        clock.advance(Duration::from_secs(10));
        drop(registry.snapshot());
    }
    let heap = HEAP.load(Ordering::Relaxed) - start;

    let mut times: Vec<u128> = (0..size.snapshots)
        .map(|_| {
            let t0 = Instant::now();
            let s = registry.snapshot();
            let elapsed = t0.elapsed().as_nanos();
            assert_eq!(s.metrics.len(), size.timers + size.counters);
            elapsed
        })
        .collect();
    times.sort_unstable();
    let counted: i64 = counters.iter().map(|c| c.count()).sum();
    assert_eq!(counted, (threads * size.counters) as i64);
    let recorded: u64 = timers.iter().map(|t| t.count()).sum();
    assert_eq!(recorded, (threads * 7 * size.values * size.timers) as u64);
    println!(
        "{} {} {} {}",
        heap,
        (heap - counters_heap) / size.timers,
        counters_heap / size.counters,
        times[times.len() / 2]
    );
}

/// Runs `f(thread_index)` on `threads` new threads at once and waits for
/// them all. Every thread lives until all have run `f`, as a service's
/// workers do, so none hands its slot on to another.
fn on_threads(threads: usize, f: impl Fn(usize) + Sync) {
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (f, barrier) = (&f, &barrier);
            s.spawn(move || {
                barrier.wait();
                f(t);
                barrier.wait();
            });
        }
    });
}
