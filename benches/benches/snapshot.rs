//! Reading cost: a snapshot plus three percentiles of a timer holding a
//! million durations, against cloning and querying an hdrhistogram holding
//! the same values. Also prints how much heap a counter and a timer use.

use criterion::Criterion;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use tachymeter_benches::{criterion_config, hdr, log_uniform};
use tachymeter_core::{Counter, HistogramConfig, ManualClock, Timer};

const QUANTILES: [f64; 3] = [0.5, 0.99, 0.999];

/// A million log-uniform durations in nanoseconds, 10 µs to 1 s.
fn durations() -> Vec<u64> {
    log_uniform(1_000_000, 10_000, 1_000_000_000, 0x5eed_5a95_0000_0001)
}

/// Heap bytes of a counter incremented from two threads, and of a timer
/// holding a million values whose sliding window is full of checkpoints.
fn print_memory(values: &[u64]) {
    let counter = Counter::new();
    counter.inc(1);
    let one_thread = counter.memory_bytes();
    std::thread::scope(|s| {
        s.spawn(|| counter.inc(1));
    });
    assert_eq!(counter.count(), 2);
    let two_threads = counter.memory_bytes();

    // A manual clock so the ~7 snapshots really are 10 s apart: the default
    // window (60 s in 10 s steps) keeps a checkpoint per step.
    let clock = Arc::new(ManualClock::new());
    let timer = Timer::with_config(HistogramConfig::default(), clock.clone());
    for &v in values {
        timer.update(Duration::from_nanos(v));
    }
    let before_snapshots = timer.memory_bytes();
    for _ in 0..7 {
        clock.advance(Duration::from_secs(10));
        black_box(timer.snapshot());
    }
    let after_snapshots = timer.memory_bytes();

    println!(
        "memory: counter={two_threads} (after 1 and 2 threads incremented it; 1 thread: \
         {one_thread}) timer={after_snapshots} (after 1e6 values from one thread and 7 \
         snapshots 10 s apart, window checkpoints included; before the snapshots: \
         {before_snapshots})"
    );
}

fn timer_snapshot(c: &mut Criterion, values: &[u64]) {
    let timer = Timer::new();
    for &v in values {
        timer.update(Duration::from_nanos(v));
    }
    let hdr3 = hdr(3, values);
    let hdr2 = hdr(2, values);

    let mut g = c.benchmark_group("timer_snapshot_1e6");
    g.bench_function("metrics_core_timer", |b| {
        b.iter(|| black_box(&timer).snapshot().percentiles(&QUANTILES))
    });
    g.bench_function("hdrhistogram_sigfig3_clone", |b| {
        b.iter(|| {
            let copy = black_box(&hdr3).clone();
            QUANTILES.map(|q| copy.value_at_quantile(q))
        })
    });
    g.bench_function("hdrhistogram_sigfig2_clone", |b| {
        b.iter(|| {
            let copy = black_box(&hdr2).clone();
            QUANTILES.map(|q| copy.value_at_quantile(q))
        })
    });
    g.finish();

    // The timer's window is 60 s: if the group ran longer than that, the
    // recent window no longer holds the values and the bench read an empty
    // window (cheaper than the real case).
    let p = timer.snapshot().percentiles(&QUANTILES);
    assert_eq!(timer.snapshot().count(), values.len() as u64);
    if p.iter().any(|x| x.is_nan()) {
        eprintln!("warning: the timer's recent window emptied during the bench");
    }
    println!(
        "percentiles (ns) p50/p99/p999: tachymeter_core={:.0}/{:.0}/{:.0} hdr3={}/{}/{} hdr2={}/{}/{}",
        p[0],
        p[1],
        p[2],
        hdr3.value_at_quantile(QUANTILES[0]),
        hdr3.value_at_quantile(QUANTILES[1]),
        hdr3.value_at_quantile(QUANTILES[2]),
        hdr2.value_at_quantile(QUANTILES[0]),
        hdr2.value_at_quantile(QUANTILES[1]),
        hdr2.value_at_quantile(QUANTILES[2]),
    );
}

/// A busy timer read as a scraper reads it: new values since the last
/// read, and the read 10 s after it (a manual clock), so the window slides
/// and takes a checkpoint on every read.
fn busy_timer_snapshot(c: &mut Criterion, values: &[u64]) {
    let clock = Arc::new(ManualClock::new());
    let timer = Timer::with_config(HistogramConfig::default(), clock.clone());
    for &v in values {
        timer.update(Duration::from_nanos(v));
    }
    let mut more = values.iter().cycle();
    let mut g = c.benchmark_group("busy_timer_snapshot_1e6");
    g.bench_function("metrics_core_timer", |b| {
        b.iter(|| {
            for _ in 0..100 {
                timer.update(Duration::from_nanos(*more.next().unwrap_or(&1)));
            }
            clock.advance(Duration::from_secs(10));
            black_box(&timer).snapshot().percentiles(&QUANTILES)
        })
    });
    g.finish();
}

fn main() {
    let values = durations();
    print_memory(&values);
    let mut c = criterion_config(Duration::from_secs(3));
    timer_snapshot(&mut c, &values);
    busy_timer_snapshot(&mut c, &values);
    c.final_summary();
}
