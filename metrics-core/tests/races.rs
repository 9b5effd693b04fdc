//! Races that once gave wrong reads: each test races readers against
//! writers for a bounded number of rounds and checks every read.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;
use tachymeter_core::{Counter, Histogram, Timer};

/// Checks one snapshot the way a reporter relies on it.
fn check_consistent(s: &tachymeter_core::HistogramSnapshot) {
    let buckets: u64 = s.all_time.buckets().map(|b| b.count).sum();
    assert_eq!(s.count, buckets, "count equals the bucket total");
    if s.count == 0 {
        return;
    }
    assert!(s.min <= s.max, "min {} > max {}", s.min, s.max);
    let (min, max) = (s.min as f64, s.max as f64);
    assert!(min <= s.mean && s.mean <= max, "mean {} outside", s.mean);
    for d in [&s.all_time, &s.recent] {
        for p in d.percentiles(&[0.0, 0.5, 0.99, 0.999, 1.0]) {
            assert!(
                p.is_nan() || (min <= p && p <= max),
                "{p} outside [{min}, {max}]"
            );
        }
    }
}

/// A snapshot taken while a histogram receives its very first value used to
/// see the count without min and max and panic in `percentile`. Here a
/// writer gives fresh histograms their first values while the main thread
/// snapshots them.
#[test]
fn a_snapshot_racing_a_first_value_is_consistent() {
    const ROUNDS: usize = 20_000;
    let current: Arc<std::sync::Mutex<Option<(Histogram, Timer)>>> = Arc::default();
    let go = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (current, go, done) = (current.clone(), go.clone(), done.clone());
        thread::spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::Acquire) {
                let round = go.load(Ordering::Acquire);
                if round == seen {
                    std::hint::spin_loop();
                    continue;
                }
                seen = round;
                let pair = current.lock().unwrap().clone();
                if let Some((h, t)) = pair {
                    let v = 1_000 + round * 7919 % 1_000_000;
                    h.update(v);
                    t.update(Duration::from_nanos(v));
                    h.update(v / 3);
                }
            }
        })
    };
    for round in 1..=ROUNDS as u64 {
        let (h, t) = (Histogram::new(), Timer::new());
        *current.lock().unwrap() = Some((h.clone(), t.clone()));
        go.store(round, Ordering::Release);
        // Read while the writer records its first values.
        for _ in 0..4 {
            check_consistent(&h.snapshot());
            check_consistent(&t.snapshot().durations);
        }
    }
    done.store(true, Ordering::Release);
    writer.join().unwrap();
}

/// `count()` racing `clear()` on a counter that is only incremented and
/// cleared used to read below zero, and two racing clears could put back an
/// older offset, so cleared increments came back.
#[test]
fn counts_racing_clears_never_read_below_zero_nor_resurrect() {
    const INCREMENTS: u64 = 2_000_000;
    let c = Counter::new();
    // How many increments have been made (published after each one).
    let made = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let incrementer = {
        let (c, made) = (c.clone(), made.clone());
        thread::spawn(move || {
            for i in 1..=INCREMENTS {
                c.inc(1);
                made.store(i, Ordering::Release);
            }
        })
    };
    let clearers: Vec<_> = (0..2)
        .map(|_| {
            let (c, made, done) = (c.clone(), made.clone(), done.clone());
            thread::spawn(move || {
                let mut checks = 0u64;
                while !done.load(Ordering::Acquire) {
                    let before = made.load(Ordering::Acquire);
                    c.clear();
                    let count = c.count();
                    let after = made.load(Ordering::Acquire);
                    // This clear removed at least the first `before`
                    // increments; at most one more than `after` exist.
                    assert!(count >= 0, "negative count {count}");
                    assert!(
                        count as u64 <= after + 1 - before,
                        "cleared increments came back: {count} > {} - {before} + 1",
                        after
                    );
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let mut reads = 0u64;
    while !incrementer.is_finished() {
        let count = c.count();
        assert!(count >= 0, "negative count {count}");
        reads += 1;
    }
    incrementer.join().unwrap();
    done.store(true, Ordering::Release);
    let checks: u64 = clearers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(reads > 0 && checks > 0);
    c.clear();
    assert_eq!(c.count(), 0);
}

/// Increments from many threads stay exact while other threads clear and
/// read: every increment is either cleared or counted, exactly once.
#[test]
fn clears_lose_nothing_that_came_after_them() {
    let c = Counter::new();
    let barrier = Arc::new(Barrier::new(5));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (c, barrier) = (c.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..100_000 {
                    c.inc(1);
                }
            })
        })
        .collect();
    barrier.wait();
    for _ in 0..100 {
        c.clear();
    }
    for w in workers {
        w.join().unwrap();
    }
    let after_work = c.count();
    assert!((0..=400_000).contains(&after_work));
    c.clear();
    c.inc(7);
    assert_eq!(c.count(), 7);
}
