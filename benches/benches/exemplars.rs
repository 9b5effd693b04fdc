//! What an exemplar costs on the recording path: a timer and a counter
//! recorded with a trace (and a timer with a trace and two labels) against
//! the same recorded plainly, in the same run (one thread).

use criterion::Criterion;
use std::hint::black_box;
use std::time::{Duration, SystemTime};
use tachymeter_benches::{criterion_config, print_ratios, RatioCheck};
use tachymeter_core::{Registry, Trace};

fn exemplars(c: &mut Criterion) {
    let registry = Registry::new();
    let timer = registry.timer("t").unwrap();
    let counter = registry.counter("c").unwrap();
    let trace = Trace::new([0x4b; 16], [0x0f; 8]);
    let mut g = c.benchmark_group("exemplars/timer");
    let mut ns = 1_000u64;
    g.bench_function("update", |b| {
        b.iter(|| {
            ns = ns.wrapping_mul(6364136223846793005).wrapping_add(1) % 1_000_000_000 + 1_000;
            timer.update(black_box(Duration::from_nanos(ns)))
        })
    });
    g.bench_function("update_with_exemplar", |b| {
        b.iter(|| {
            ns = ns.wrapping_mul(6364136223846793005).wrapping_add(1) % 1_000_000_000 + 1_000;
            timer.update_with_exemplar(black_box(Duration::from_nanos(ns)), black_box(trace))
        })
    });
    let labelled = trace
        .with_label("tenant", "acme")
        .and_then(|t| t.with_label("user", "4711"))
        .unwrap();
    g.bench_function("update_with_labelled_exemplar", |b| {
        b.iter(|| {
            ns = ns.wrapping_mul(6364136223846793005).wrapping_add(1) % 1_000_000_000 + 1_000;
            timer.update_with_exemplar(black_box(Duration::from_nanos(ns)), black_box(labelled))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("exemplars/counter");
    g.bench_function("inc", |b| b.iter(|| counter.inc(black_box(1))));
    g.bench_function("inc_with_exemplar", |b| {
        b.iter(|| counter.inc_with_exemplar(black_box(1), black_box(trace)))
    });
    g.finish();
}

fn main() {
    let started = SystemTime::now();
    let mut c = criterion_config(Duration::from_secs(3));
    exemplars(&mut c);
    c.final_summary();
    print_ratios(
        &[
            RatioCheck::new(
                "timer record with an exemplar / without",
                "exemplars/timer",
                "update_with_exemplar",
                "update",
                10.0,
            ),
            RatioCheck::new(
                "timer record with an exemplar of two labels / without",
                "exemplars/timer",
                "update_with_labelled_exemplar",
                "update",
                10.0,
            ),
            RatioCheck::new(
                "counter increment with an exemplar / without",
                "exemplars/counter",
                "inc_with_exemplar",
                "inc",
                30.0,
            ),
        ],
        started,
    );
}
