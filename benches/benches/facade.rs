//! The `metrics` facade: `counter!` with a fixed name and labels, and
//! `histogram!`, recorded through tachymeter-facade's recorder against
//! metrics-exporter-prometheus's recorder, in the same run. Each recorder
//! is set as the thread's local recorder, as `install` sets it for the
//! process.

use criterion::Criterion;
use metrics_exporter_prometheus::PrometheusBuilder;
use std::hint::black_box;
use std::time::{Duration, SystemTime};
use tachymeter_benches::{criterion_config, print_ratios, RatioCheck};
use tachymeter_core::Registry;
use tachymeter_facade::FacadeRecorder;

fn facade(c: &mut Criterion) {
    let registry = Registry::new();
    let ours = FacadeRecorder::new(&registry);
    let theirs = PrometheusBuilder::new().build_recorder();
    let mut g = c.benchmark_group("facade/counter");
    g.bench_function("tachymeter_facade", |b| {
        metrics::with_local_recorder(&ours, || {
            b.iter(|| {
                metrics::counter!("requests", "route" => "/books/{id}").increment(black_box(1))
            })
        })
    });
    g.bench_function("metrics_exporter_prometheus", |b| {
        metrics::with_local_recorder(&theirs, || {
            b.iter(|| {
                metrics::counter!("requests", "route" => "/books/{id}").increment(black_box(1))
            })
        })
    });
    g.finish();
    let mut g = c.benchmark_group("facade/histogram");
    g.bench_function("tachymeter_facade", |b| {
        metrics::with_local_recorder(&ours, || {
            b.iter(|| metrics::histogram!("latency.seconds").record(black_box(0.003)))
        })
    });
    g.bench_function("metrics_exporter_prometheus", |b| {
        metrics::with_local_recorder(&theirs, || {
            b.iter(|| metrics::histogram!("latency.seconds").record(black_box(0.003)))
        })
    });
    g.finish();
}

fn main() {
    let started = SystemTime::now();
    let mut c = criterion_config(Duration::from_secs(3));
    facade(&mut c);
    c.final_summary();
    print_ratios(
        &[
            RatioCheck::new(
                "counter! with fixed labels, facade / metrics-exporter-prometheus",
                "facade/counter",
                "tachymeter_facade",
                "metrics_exporter_prometheus",
                1.0,
            ),
            RatioCheck::new(
                "histogram!, facade / metrics-exporter-prometheus",
                "facade/histogram",
                "tachymeter_facade",
                "metrics_exporter_prometheus",
                1.0,
            ),
        ],
        started,
    );
}
