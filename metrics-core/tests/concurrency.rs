//! Exact totals under concurrency, and snapshots that are consistent while
//! writers run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;
use tachymeter_core::{Counter, Histogram, Meter, Timer};

const THREADS: usize = 8;
const UPDATES: u64 = 50_000;

/// Runs `f(thread_index)` on `threads` threads started together.
fn on_threads(threads: usize, f: impl Fn(usize) + Send + Sync + 'static) {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (f, barrier) = (f.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                f(i);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("worker panicked");
    }
}

#[test]
fn counter_totals_are_exact() {
    let c = Counter::new();
    let c2 = c.clone();
    on_threads(THREADS, move |_| {
        for _ in 0..UPDATES {
            c2.inc(1);
        }
    });
    assert_eq!(c.count(), THREADS as i64 * UPDATES as i64);
}

#[test]
fn histogram_totals_are_exact_with_more_threads_than_slots_and_stripes() {
    // Far more live threads than slots and stripes: most take turns on the
    // shared stripes, some without a slot at all.
    let h = Histogram::new();
    let h2 = h.clone();
    on_threads(300, move |i| {
        for v in 0..1000 {
            h2.update(v * 300 + i as u64);
        }
    });
    let s = h.snapshot();
    assert_eq!(s.count, 300 * 1000);
    assert_eq!(s.sum, (0..300_000u128).sum::<u128>());
    assert_eq!((s.min, s.max), (0, 299_999));
}

#[test]
fn counter_totals_are_exact_with_more_threads_than_slots() {
    // Far more live threads than slots: the rest share the fallback cell.
    let c = Counter::new();
    let c2 = c.clone();
    on_threads(300, move |i| {
        for _ in 0..1000 {
            c2.inc(1);
        }
        c2.dec(i as u64 % 2);
    });
    assert_eq!(c.count(), 300 * 1000 - 150);
}

#[test]
fn counts_survive_threads_that_exit_and_slots_that_are_reused() {
    let c = Counter::new();
    let h = Histogram::new();
    for round in 0..20u64 {
        let (c2, h2) = (c.clone(), h.clone());
        on_threads(4, move |_| {
            for v in 0..500 {
                c2.inc(1);
                h2.update(v * (round + 1));
            }
        });
    }
    assert_eq!(c.count(), 20 * 4 * 500);
    assert_eq!(h.snapshot().count, 20 * 4 * 500);
}

#[test]
fn histogram_and_timer_totals_are_exact() {
    let h = Histogram::new();
    let t = Timer::new();
    let (h2, t2) = (h.clone(), t.clone());
    on_threads(THREADS, move |i| {
        for v in 0..UPDATES {
            h2.update(v + i as u64);
            t2.update(Duration::from_nanos(v));
        }
    });
    let s = h.snapshot();
    let n = THREADS as u64 * UPDATES;
    assert_eq!(s.count, n);
    let expected_sum: u128 = (0..THREADS as u128)
        .map(|i| (0..u128::from(UPDATES)).map(|v| v + i).sum::<u128>())
        .sum();
    assert_eq!(s.sum, expected_sum);
    assert_eq!(s.min, 0);
    assert_eq!(s.max, UPDATES - 1 + THREADS as u64 - 1);
    assert_eq!(t.snapshot().count(), n);
}

#[test]
fn meter_totals_are_exact() {
    let m = Meter::new();
    let m2 = m.clone();
    on_threads(THREADS, move |_| {
        for _ in 0..UPDATES {
            m2.mark(1);
        }
    });
    assert_eq!(m.count(), THREADS as u64 * UPDATES);
}

#[test]
fn snapshots_taken_during_writes_are_consistent() {
    let h = Histogram::new();
    let t = Timer::new();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|i| {
            let (h, t, stop) = (h.clone(), t.clone(), stop.clone());
            thread::spawn(move || {
                let mut v = i as u64;
                let mut written = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    v = v
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    h.update(v >> 40);
                    t.update(Duration::from_nanos(v >> 44));
                    written += 1;
                }
                written
            })
        })
        .collect();
    let mut last = 0;
    for _ in 0..300 {
        let s = h.snapshot();
        let buckets: u64 = s.all_time.buckets().map(|b| b.count).sum();
        assert_eq!(s.count, buckets, "count must equal the bucket total");
        assert_eq!(s.all_time.count, s.count);
        assert!(s.recent.count <= s.count);
        assert!(s.count >= last, "counts never go backwards");
        last = s.count;
        let ts = t.snapshot();
        let tb: u64 = ts.durations.all_time.buckets().map(|b| b.count).sum();
        assert_eq!(ts.count(), tb);
    }
    stop.store(true, Ordering::Relaxed);
    let written: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(h.snapshot().count, written);
    assert_eq!(t.snapshot().count(), written);
}
