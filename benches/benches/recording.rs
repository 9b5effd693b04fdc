//! Per-operation cost of recording: tachymeter-core against raw atomics,
//! hdrhistogram and the peer crates, every group measured in the same run.
//!
//! `*/1thread` groups time one thread recording alone. `*/2threads` groups
//! time the main thread while a helper thread records into the same metric
//! (or, for the per-thread baselines, into its own), both released together;
//! the reported time is per operation per thread.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use metrics_util::registry::Registry;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime};
use tachymeter_benches::{
    criterion_config, hdr, log_uniform, print_ratios, EarlyThreads, RatioCheck,
};

/// Latencies cycled through by every histogram bench (index `& MASK`).
const VALUES: usize = 4096;
const MASK: usize = VALUES - 1;
/// The helper thread reads the values from this offset, so the two threads
/// do not record the same value at the same moment.
const HELPER_OFFSET: usize = VALUES / 2;

/// An atomic alone on its cache line (and the adjacent-line prefetch pair).
#[repr(align(128))]
struct Padded(AtomicU64);

/// Shared by every thread in the raw-atomic counter benches.
static RAW: AtomicU64 = AtomicU64::new(0);

/// 4096 log-uniform latencies in nanoseconds, 1 µs to 100 ms.
fn latencies() -> Vec<u64> {
    log_uniform(VALUES, 1_000, 100_000_000, 0x5eed_1a7e_4c1e_0001)
}

/// Runs `op(i)` for `i` in `0..iters` and returns how long that took.
#[inline(never)]
fn run_1thread(iters: u64, op: &mut impl FnMut(usize)) -> Duration {
    let start = Instant::now();
    for i in 0..iters as usize {
        op(i);
    }
    start.elapsed()
}

/// Runs `main_op` `iters` times on this thread while a scoped helper thread
/// runs `helper_op` `iters` times, both started together; returns how long
/// this thread's loop took.
fn run_2threads<M, H>(iters: u64, main_op: &mut M, helper_op: &mut H) -> Duration
where
    M: FnMut(usize),
    H: FnMut(usize) + Send,
{
    let barrier = Barrier::new(2);
    let arrived = AtomicUsize::new(0);
    // The barrier guarantees both threads run; the spin after it releases
    // them within nanoseconds of each other (a thread woken from the
    // barrier's futex would otherwise start tens of microseconds late).
    let start_gate = || {
        barrier.wait();
        arrived.fetch_add(1, Ordering::AcqRel);
        while arrived.load(Ordering::Acquire) < 2 {
            std::hint::spin_loop();
        }
    };
    std::thread::scope(|s| {
        let helper = s.spawn(|| {
            start_gate();
            for i in 0..iters as usize {
                helper_op(i);
            }
        });
        start_gate();
        let start = Instant::now();
        for i in 0..iters as usize {
            main_op(i);
        }
        let elapsed = start.elapsed();
        helper.join().expect("helper thread panicked");
        elapsed
    })
}

/// One-thread bench; `reset` runs after each timed batch, untimed.
fn bench_1thread(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut op: impl FnMut(usize),
    reset: impl Fn(),
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let elapsed = run_1thread(iters, &mut op);
            reset();
            elapsed
        })
    });
}

/// Two-thread bench; `reset` runs after each timed batch, untimed.
fn bench_2threads(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut main_op: impl FnMut(usize),
    mut helper_op: impl FnMut(usize) + Send,
    reset: impl Fn(),
) {
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let elapsed = run_2threads(iters, &mut main_op, &mut helper_op);
            reset();
            elapsed
        })
    });
}

fn no_reset() {}

/// Every counter under test; each bench touches one of them.
struct Counters {
    ours: tachymeter_core::Counter,
    prometheus: prometheus::IntCounter,
    prometheus_client: prometheus_client::metrics::counter::Counter<u64>,
    metrics_rs: metrics::Counter,
    padded: [Padded; 2],
    // Keeps the metrics-rs storage alive for the handle's lifetime (the
    // handle holds its own Arc too; this is just explicit).
    _registry: Registry<metrics::Key, metrics_util::registry::AtomicStorage>,
}

impl Counters {
    fn new() -> Self {
        let registry = Registry::atomic();
        let cell = registry.get_or_create_counter(&metrics::Key::from_name("x"), |c| c.clone());
        Self {
            ours: tachymeter_core::Counter::new(),
            prometheus: prometheus::IntCounter::new("x", "bench counter").expect("valid name"),
            prometheus_client: Default::default(),
            metrics_rs: metrics::Counter::from_arc(cell),
            padded: [Padded(AtomicU64::new(0)), Padded(AtomicU64::new(0))],
            _registry: registry,
        }
    }
}

fn counter_1thread(c: &mut Criterion) {
    let m = Counters::new();
    let mut g = c.benchmark_group("counter/1thread");
    bench_1thread(
        &mut g,
        "raw_atomic",
        |_| {
            RAW.fetch_add(black_box(1), Ordering::Relaxed);
        },
        no_reset,
    );
    bench_1thread(
        &mut g,
        "tachymeter_core",
        |_| m.ours.inc(black_box(1)),
        no_reset,
    );
    bench_1thread(&mut g, "prometheus", |_| m.prometheus.inc(), no_reset);
    bench_1thread(
        &mut g,
        "prometheus_client",
        |_| {
            black_box(m.prometheus_client.inc());
        },
        no_reset,
    );
    bench_1thread(
        &mut g,
        "metrics_rs",
        |_| m.metrics_rs.increment(black_box(1)),
        no_reset,
    );
    g.finish();
}

fn counter_2threads(c: &mut Criterion) {
    let m = Counters::new();
    let mut g = c.benchmark_group("counter/2threads");

    let raw = |_| {
        RAW.fetch_add(black_box(1), Ordering::Relaxed);
    };
    bench_2threads(&mut g, "raw_atomic", raw, raw, no_reset);

    let ours = |_| m.ours.inc(black_box(1));
    bench_2threads(&mut g, "tachymeter_core", ours, ours, no_reset);

    let prom = |_| m.prometheus.inc();
    bench_2threads(&mut g, "prometheus", prom, prom, no_reset);

    let prom_client = |_| {
        black_box(m.prometheus_client.inc());
    };
    bench_2threads(
        &mut g,
        "prometheus_client",
        prom_client,
        prom_client,
        no_reset,
    );

    let metrics_rs = |_| m.metrics_rs.increment(black_box(1));
    bench_2threads(&mut g, "metrics_rs", metrics_rs, metrics_rs, no_reset);

    bench_2threads(
        &mut g,
        "padded_per_thread_atomics",
        |_| {
            m.padded[0].0.fetch_add(black_box(1), Ordering::Relaxed);
        },
        |_| {
            m.padded[1].0.fetch_add(black_box(1), Ordering::Relaxed);
        },
        no_reset,
    );
    g.finish();
}

/// Every histogram under test, all fed nanosecond latencies.
struct Histograms {
    ours: tachymeter_core::Histogram,
    timer: tachymeter_core::Timer,
    /// Default buckets (5 ms .. 10 s); observed in seconds.
    prometheus: prometheus::Histogram,
    /// `exponential_buckets(0.001, 2.0, 16)`; observed in seconds.
    prometheus_client: prometheus_client::metrics::histogram::Histogram,
    /// metrics-util's `AtomicStorage` histogram is an `AtomicBucket`: an
    /// unbounded append-only list of every value recorded (nothing is
    /// bucketed until an exporter drains it). The benches clear it after
    /// each timed batch, untimed, so memory stays bounded.
    metrics_rs_bucket: std::sync::Arc<metrics_util::storage::AtomicBucket<f64>>,
    metrics_rs: metrics::Histogram,
    _registry: Registry<metrics::Key, metrics_util::registry::AtomicStorage>,
}

impl Histograms {
    fn new() -> Self {
        let registry = Registry::atomic();
        let bucket = registry.get_or_create_histogram(&metrics::Key::from_name("x"), |h| h.clone());
        let opts = prometheus::HistogramOpts::new("x", "bench histogram");
        Self {
            ours: tachymeter_core::Histogram::new(),
            timer: tachymeter_core::Timer::new(),
            prometheus: prometheus::Histogram::with_opts(opts).expect("valid options"),
            prometheus_client: prometheus_client::metrics::histogram::Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 16),
            ),
            metrics_rs: metrics::Histogram::from_arc(bucket.clone()),
            metrics_rs_bucket: bucket,
            _registry: registry,
        }
    }
}

fn histogram_1thread(c: &mut Criterion) {
    let values = latencies();
    let vals = &values[..];
    let m = Histograms::new();
    let (mut hdr_main, mut hdr2_main) = (hdr(3, vals), hdr(2, vals));
    // Let this thread's shards allocate their octaves before timing.
    for &v in vals {
        m.ours.update(v);
        m.timer.update(Duration::from_nanos(v));
    }

    let mut g = c.benchmark_group("histogram/1thread");
    bench_1thread(
        &mut g,
        "hdrhistogram",
        |i| {
            let _ = black_box(hdr_main.record(black_box(vals[i & MASK])));
        },
        no_reset,
    );
    bench_1thread(
        &mut g,
        "hdrhistogram_sigfig2",
        |i| {
            let _ = black_box(hdr2_main.record(black_box(vals[i & MASK])));
        },
        no_reset,
    );
    bench_1thread(
        &mut g,
        "metrics_core_histogram",
        |i| m.ours.update(black_box(vals[i & MASK])),
        no_reset,
    );
    bench_1thread(
        &mut g,
        "metrics_core_timer",
        |i| {
            m.timer
                .update(Duration::from_nanos(black_box(vals[i & MASK])))
        },
        no_reset,
    );
    bench_1thread(
        &mut g,
        "prometheus",
        |i| m.prometheus.observe(black_box(vals[i & MASK]) as f64 / 1e9),
        no_reset,
    );
    bench_1thread(
        &mut g,
        "prometheus_client",
        |i| {
            m.prometheus_client
                .observe(black_box(vals[i & MASK]) as f64 / 1e9)
        },
        no_reset,
    );
    bench_1thread(
        &mut g,
        "metrics_rs",
        |i| m.metrics_rs.record(black_box(vals[i & MASK]) as f64),
        || m.metrics_rs_bucket.clear(),
    );
    g.finish();
}

fn histogram_2threads(c: &mut Criterion) {
    let values = latencies();
    let vals = &values[..];
    let m = Histograms::new();
    // Each thread owns its hdrhistogram: the per-thread baseline.
    let (mut hdr_main, mut hdr_helper) = (hdr(3, vals), hdr(3, vals));
    let (mut hdr2_main, mut hdr2_helper) = (hdr(2, vals), hdr(2, vals));
    for &v in vals {
        m.ours.update(v);
        m.timer.update(Duration::from_nanos(v));
    }

    let mut g = c.benchmark_group("histogram/2threads");
    bench_2threads(
        &mut g,
        "hdrhistogram",
        |i| {
            let _ = black_box(hdr_main.record(black_box(vals[i & MASK])));
        },
        |i| {
            let _ = black_box(hdr_helper.record(black_box(vals[(i + HELPER_OFFSET) & MASK])));
        },
        no_reset,
    );

    bench_2threads(
        &mut g,
        "hdrhistogram_sigfig2",
        |i| {
            let _ = black_box(hdr2_main.record(black_box(vals[i & MASK])));
        },
        |i| {
            let _ = black_box(hdr2_helper.record(black_box(vals[(i + HELPER_OFFSET) & MASK])));
        },
        no_reset,
    );

    // Everything else: one shared metric, the helper offset in the values.
    let ours = |i: usize| m.ours.update(black_box(vals[i & MASK]));
    bench_2threads(
        &mut g,
        "metrics_core_histogram",
        ours,
        move |i| ours(i + HELPER_OFFSET),
        no_reset,
    );

    let timer = |i: usize| {
        m.timer
            .update(Duration::from_nanos(black_box(vals[i & MASK])))
    };
    bench_2threads(
        &mut g,
        "metrics_core_timer",
        timer,
        move |i| timer(i + HELPER_OFFSET),
        no_reset,
    );

    let prom = |i: usize| m.prometheus.observe(black_box(vals[i & MASK]) as f64 / 1e9);
    bench_2threads(
        &mut g,
        "prometheus",
        prom,
        move |i| prom(i + HELPER_OFFSET),
        no_reset,
    );

    let prom_client = |i: usize| {
        m.prometheus_client
            .observe(black_box(vals[i & MASK]) as f64 / 1e9)
    };
    bench_2threads(
        &mut g,
        "prometheus_client",
        prom_client,
        move |i| prom_client(i + HELPER_OFFSET),
        no_reset,
    );

    let metrics_rs = |i: usize| m.metrics_rs.record(black_box(vals[i & MASK]) as f64);
    bench_2threads(
        &mut g,
        "metrics_rs",
        metrics_rs,
        move |i| metrics_rs(i + HELPER_OFFSET),
        || m.metrics_rs_bucket.clear(),
    );
    g.finish();
}

/// One recording operation of a bench function, by value index.
type Op<'a> = Box<dyn Fn(usize) + Sync + 'a>;

/// Early threads that take every owned stripe of a histogram on a 64-CPU
/// machine: the first two by recording first, six more by their load.
const EARLY_OWNERS: usize = 8;
/// Values each of them records: past the 16,384 shared writes after which a
/// busy thread claims an owned stripe.
const EARLY_VALUES: u64 = 20_000;
/// Rounds of the late group's interleaved check, and values per thread in
/// each function of a round.
const LATE_ROUNDS: usize = 21;
const LATE_SLICE: u64 = 1 << 20;

/// The production case: the two threads timed were not the first of the
/// process to record, on a simulated 64-CPU machine. Before them:
///
/// - `*_late_slots`: two threads recorded into a counter and stay alive, so
///   they hold the process's first per-thread slots (the group runs before
///   any other records);
/// - `*_late_owners`: eight busy threads recorded into the very histogram or
///   timer and stay alive, so they own all of its owned stripes and the
///   timed threads write shared ones, as the 9th to 64th busy worker of a
///   64-CPU machine does.
///
/// `hdrhistogram` (one per thread) is the baseline, as in `2threads`. Besides
/// criterion's medians, an interleaved check times every function in turn
/// for [`LATE_ROUNDS`] rounds and prints the median of each one's per-round
/// ratio to the baseline: a slow spell of this shared host then hits both
/// sides of a ratio alike.
fn histogram_2threads_late(c: &mut Criterion, rounds: usize) -> Vec<(String, f64)> {
    let values = latencies();
    let vals = &values[..];
    let slots = (
        tachymeter_core::Histogram::new(),
        tachymeter_core::Timer::new(),
    );
    let owners = (
        tachymeter_core::Histogram::new(),
        tachymeter_core::Timer::new(),
    );
    let early_slots = {
        let counter = tachymeter_core::Counter::new();
        EarlyThreads::start(2, move |_| counter.inc(1))
    };
    let early_owners = {
        let (h, t, values) = (owners.0.clone(), owners.1.clone(), values.clone());
        // One metric after the other: each thread's shared writes then
        // reach the promotion count in both.
        EarlyThreads::start(EARLY_OWNERS, move |_| {
            for i in 0..EARLY_VALUES as usize {
                h.update(values[i & MASK]);
            }
            for i in 0..EARLY_VALUES as usize {
                t.update(Duration::from_nanos(values[i & MASK]));
            }
        })
    };
    let (mut hdr_main, mut hdr_helper) = (hdr(3, vals), hdr(3, vals));
    let mut hdr_op = |i: usize| {
        let _ = black_box(hdr_main.record(black_box(vals[i & MASK])));
    };
    let mut hdr_helper_op = |i: usize| {
        let _ = black_box(hdr_helper.record(black_box(vals[(i + HELPER_OFFSET) & MASK])));
    };
    let histogram = |h: &tachymeter_core::Histogram, i: usize| h.update(black_box(vals[i & MASK]));
    let timer = |t: &tachymeter_core::Timer, i: usize| {
        t.update(Duration::from_nanos(black_box(vals[i & MASK])))
    };
    let mut ours: Vec<(String, Op<'_>)> = Vec::new();
    for (name, (h, t)) in [("late_slots", &slots), ("late_owners", &owners)] {
        ours.push((
            format!("metrics_core_histogram_{name}"),
            Box::new(move |i| histogram(h, i)),
        ));
        ours.push((
            format!("metrics_core_timer_{name}"),
            Box::new(move |i| timer(t, i)),
        ));
    }

    let mut g = c.benchmark_group("histogram/2threads_late");
    bench_2threads(
        &mut g,
        "hdrhistogram",
        &mut hdr_op,
        &mut hdr_helper_op,
        no_reset,
    );
    for (name, op) in &ours {
        bench_2threads(&mut g, name, op, move |i| op(i + HELPER_OFFSET), no_reset);
    }
    g.finish();

    // The interleaved check: per round, the baseline then each of ours.
    let mut ratios = vec![Vec::with_capacity(rounds); ours.len()];
    for _ in 0..rounds {
        let base = run_2threads(LATE_SLICE, &mut hdr_op, &mut hdr_helper_op);
        for ((_, op), ratios) in ours.iter().zip(&mut ratios) {
            let t = run_2threads(LATE_SLICE, &mut |i| op(i), &mut |i| op(i + HELPER_OFFSET));
            ratios.push(t.as_secs_f64() / base.as_secs_f64());
        }
    }
    drop((early_slots, early_owners));
    ours.iter()
        .zip(ratios)
        .filter(|(_, r)| !r.is_empty())
        .map(|((name, _), mut r)| {
            r.sort_by(f64::total_cmp);
            (name.clone(), r[r.len() / 2])
        })
        .collect()
}

fn main() {
    let started = SystemTime::now();
    // A 64-CPU machine (unless told otherwise), as the late group describes;
    // before anything records, since the core reads it once.
    if std::env::var_os(tachymeter_core::PARALLELISM_VAR).is_none() {
        std::env::set_var(tachymeter_core::PARALLELISM_VAR, "64");
    }
    let mut c = criterion_config(Duration::from_secs(2));
    // First: its early threads must take the process's first slots. The
    // interleaved check only when benching (`cargo test --benches` runs each
    // function once, unoptimised).
    let bench = std::env::args().any(|arg| arg == "--bench");
    let late = histogram_2threads_late(&mut c, if bench { LATE_ROUNDS } else { 0 });
    counter_1thread(&mut c);
    counter_2threads(&mut c);
    histogram_1thread(&mut c);
    histogram_2threads(&mut c);
    c.final_summary();

    print_ratios(
        &[
            RatioCheck::new(
                "Counter::inc, 1 thread / raw atomic",
                "counter/1thread",
                "tachymeter_core",
                "raw_atomic",
                1.1,
            ),
            RatioCheck::new(
                "Counter::inc, 2 threads / shared raw atomic",
                "counter/2threads",
                "tachymeter_core",
                "raw_atomic",
                0.5,
            ),
            RatioCheck::new(
                "Histogram::update, 1 thread / hdrhistogram",
                "histogram/1thread",
                "metrics_core_histogram",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Timer::update, 1 thread / hdrhistogram",
                "histogram/1thread",
                "metrics_core_timer",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Histogram::update, 2 threads / per-thread hdrhistogram",
                "histogram/2threads",
                "metrics_core_histogram",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Timer::update, 2 threads / per-thread hdrhistogram",
                "histogram/2threads",
                "metrics_core_timer",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Histogram::update, 2 late threads (first slots taken)",
                "histogram/2threads_late",
                "metrics_core_histogram_late_slots",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Timer::update, 2 late threads (first slots taken)",
                "histogram/2threads_late",
                "metrics_core_timer_late_slots",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Histogram::update, 2 late threads (owned stripes taken)",
                "histogram/2threads_late",
                "metrics_core_histogram_late_owners",
                "hdrhistogram",
                2.0,
            ),
            RatioCheck::new(
                "Timer::update, 2 late threads (owned stripes taken)",
                "histogram/2threads_late",
                "metrics_core_timer_late_owners",
                "hdrhistogram",
                2.0,
            ),
        ],
        started,
    );
    if late.is_empty() {
        return;
    }
    println!(
        "\nlate group, interleaved check ({LATE_ROUNDS} rounds, median of per-round ratios to hdrhistogram)"
    );
    for (name, ratio) in late {
        let verdict = if ratio <= 2.0 { "ok" } else { "MISSED" };
        println!("  {name:<44} {ratio:>5.2}x (target <= 2.0x) {verdict}");
    }
}
