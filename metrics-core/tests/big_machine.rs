//! Memory on a simulated 64-CPU machine: a timer and a counter recorded
//! into by 64 threads stay within their budgets. Its own process (one
//! test), because the parallelism is fixed once per process.

use std::sync::{Arc, Barrier};
use std::time::Duration;
use tachymeter_core::{Counter, HistogramConfig, ManualClock, Timer};

const THREADS: usize = 64;

#[test]
fn sixty_four_threads_on_a_64_cpu_machine_stay_within_budget() {
    std::env::set_var(tachymeter_core::PARALLELISM_VAR, "64");
    assert_eq!(tachymeter_core::parallelism(), 64);

    let clock = Arc::new(ManualClock::new());
    let timer = Timer::with_config(HistogramConfig::default(), clock.clone());
    let counter = Counter::new();
    let start = Arc::new(Barrier::new(THREADS));
    let done = Arc::new(Barrier::new(THREADS));
    for step in 0..7u64 {
        std::thread::scope(|s| {
            for t in 0..THREADS as u64 {
                let (timer, counter, start, done) = (&timer, &counter, &start, &done);
                s.spawn(move || {
                    start.wait();
                    // Ten powers of two: 1 µs to about 1 ms.
                    for i in 0..200u64 {
                        let shift = (i + t + step) % 10;
                        timer.update(Duration::from_nanos((1_000 << shift) + i * 7 + t));
                    }
                    counter.inc(1);
                    // Every thread holds its slot until all have recorded.
                    done.wait();
                });
            }
        });
        clock.advance(Duration::from_secs(10));
        let s = timer.snapshot();
        assert_eq!(s.count(), (step + 1) * THREADS as u64 * 200);
    }
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
