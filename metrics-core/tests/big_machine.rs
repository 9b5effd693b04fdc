//! Memory on a simulated 64-CPU machine: a timer and a counter recorded
//! into by 64 threads, and one histogram all 64 hit at once, stay within
//! their budgets. Its own process, because the parallelism is fixed once per
//! process (both tests set the same value).

use std::sync::{Arc, Barrier};
use std::time::Duration;
use tachymeter_core::{Counter, Histogram, HistogramConfig, ManualClock, Timer};

const THREADS: usize = 64;

#[test]
fn sixty_four_threads_on_a_64_cpu_machine_stay_within_budget() {
    std::env::set_var(tachymeter_core::PARALLELISM_VAR, "64");
    assert_eq!(tachymeter_core::parallelism(), 64);

    let clock = Arc::new(ManualClock::new());
    let timer = Timer::with_config(HistogramConfig::default(), clock.clone());
    let counter = Counter::new();
    // One pool of threads for every step, as a server keeps its workers: a
    // thread's slot is given back by its thread-local destructor, which may
    // run after a scope has joined it, so threads spawned afresh for each
    // step could find the last step's slots not yet free.
    let start = Barrier::new(THREADS + 1);
    let done = Barrier::new(THREADS + 1);
    std::thread::scope(|s| {
        for t in 0..THREADS as u64 {
            let (timer, counter, start, done) = (&timer, &counter, &start, &done);
            s.spawn(move || {
                for step in 0..7u64 {
                    start.wait();
                    // Ten powers of two: 1 µs to about 1 ms.
                    for i in 0..200u64 {
                        let shift = (i + t + step) % 10;
                        timer.update(Duration::from_nanos((1_000 << shift) + i * 7 + t));
                    }
                    counter.inc(1);
                    done.wait();
                }
            });
        }
        for step in 0..7u64 {
            start.wait();
            done.wait();
            clock.advance(Duration::from_secs(10));
            let s = timer.snapshot();
            assert_eq!(s.count(), (step + 1) * THREADS as u64 * 200);
        }
    });
    assert_eq!(counter.count(), 7 * THREADS as i64);

    let timer_bytes = timer.memory_bytes();
    assert!(
        timer_bytes <= 64 * 1024,
        "a timer holds {timer_bytes} bytes"
    );
    let counter_bytes = counter.memory_bytes();
    assert!(
        counter_bytes <= 1024,
        "a counter holds {counter_bytes} bytes"
    );
    // Its share is 8 bytes per thread with a cell of its own.
    assert!(counter_bytes >= THREADS * 8, "{counter_bytes}");
}

/// One histogram that every thread of a 64-CPU machine records into at
/// once (request latencies, 1 µs to 1 s): exact, and within 256 KiB however
/// many stripes contention adds.
#[test]
fn a_hot_histogram_on_a_64_cpu_machine_is_exact_and_bounded() {
    std::env::set_var(tachymeter_core::PARALLELISM_VAR, "64");
    assert_eq!(tachymeter_core::parallelism(), 64);
    const VALUES: u64 = 40_000;

    let h = Histogram::new();
    let start = Arc::new(Barrier::new(THREADS + 1));
    let workers: Vec<_> = (0..THREADS as u64)
        .map(|t| {
            let (h, start) = (h.clone(), start.clone());
            std::thread::spawn(move || {
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (t + 1);
                let (mut sum, mut min, mut max) = (0u128, u64::MAX, 0u64);
                start.wait();
                for _ in 0..VALUES {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Log-uniform from 1 µs to about 1 s.
                    let v = (1_000u64 << (x % 20)) + (x >> 40) % 1_000;
                    h.update(v);
                    sum += u128::from(v);
                    (min, max) = (min.min(v), max.max(v));
                }
                (sum, min, max)
            })
        })
        .collect();
    start.wait();
    // Read while they record: every snapshot is consistent.
    while !workers.iter().all(|w| w.is_finished()) {
        let s = h.snapshot();
        let buckets: u64 = s.all_time.buckets().map(|b| b.count).sum();
        assert_eq!(s.count, buckets);
    }
    let (sum, min, max) = workers
        .into_iter()
        .map(|w| w.join().unwrap())
        .fold((0u128, u64::MAX, 0u64), |a, b| {
            (a.0 + b.0, a.1.min(b.1), a.2.max(b.2))
        });
    let s = h.snapshot();
    assert_eq!(s.count, THREADS as u64 * VALUES);
    assert_eq!((s.sum, s.min, s.max), (sum, min, max));
    assert_eq!(s.dropped, 0);
    let bytes = h.memory_bytes();
    assert!(bytes <= 256 * 1024, "a hot histogram holds {bytes} bytes");
}
