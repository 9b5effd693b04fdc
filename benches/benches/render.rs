//! Rendering cost: a registry of 1,000 counters, and of 1,000 timers,
//! rendered as a Prometheus exposition (snapshot included), against
//! prometheus-client encoding 1,000 counters and 1,000 histograms holding
//! the same values; and 1,000 timers as protobuf native histograms against
//! prometheus-client's 1,000 native histograms, protobuf too.

use criterion::Criterion;
use prometheus_client::encoding::prometheus_protobuf::encode_to_vec;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::histogram::{
    exponential_buckets, Histogram as PcHistogram, NativeHistogramConfig,
};
use prometheus_client::registry::Registry as PcRegistry;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};
use tachymeter_benches::{criterion_config, log_uniform, print_ratios, RatioCheck};
use tachymeter_core::Registry;
use tachymeter_prometheus::{Format, PrometheusExporter};

const N: usize = 1_000;
/// Values per timer: log-uniform durations from 100 µs to 1 s.
const VALUES: usize = 200;

fn counters(c: &mut Criterion) {
    let ours = Registry::new();
    let mut theirs = PcRegistry::default();
    for i in 0..N {
        let name = format!("requests_{i}");
        ours.counter(name.as_str()).unwrap().inc(i as u64);
        let counter = PcCounter::<u64>::default();
        counter.inc_by(i as u64);
        theirs.register(name, "requests", counter);
    }
    let exporter = PrometheusExporter::new(&ours);
    let mut g = c.benchmark_group("render/1000_counters");
    g.bench_function("metrics_prometheus_text", |b| {
        b.iter(|| black_box(exporter.render(Format::Text)))
    });
    g.bench_function("metrics_prometheus_openmetrics", |b| {
        b.iter(|| black_box(exporter.render(Format::OpenMetrics)))
    });
    g.bench_function("prometheus_client", |b| {
        b.iter(|| {
            let mut out = String::new();
            encode(&mut out, black_box(&theirs)).unwrap();
            out
        })
    });
    g.finish();
}

/// 1,000 timers in our registry, and 1,000 histograms of 14 exponential
/// buckets in prometheus-client's, with the same values.
fn classic_pair() -> (Registry, PcRegistry, Vec<PcHistogram>) {
    let ours = Registry::new();
    let mut theirs = PcRegistry::default();
    let mut handles = Vec::with_capacity(N);
    for i in 0..N {
        let name = format!("latency_{i}");
        let timer = ours.timer(name.as_str()).unwrap();
        let histogram = PcHistogram::new(exponential_buckets(0.0001, 2.0, 14));
        for ns in log_uniform(VALUES, 100_000, 1_000_000_000, i as u64 + 1) {
            timer.update(Duration::from_nanos(ns));
            histogram.observe(ns as f64 / 1e9);
        }
        theirs.register(name, "latency", histogram.clone());
        handles.push(histogram);
    }
    (ours, theirs, handles)
}

fn timers(c: &mut Criterion) {
    let (ours, theirs, _) = classic_pair();
    // The default shape: histograms with OpenTelemetry's 14 duration
    // bounds (theirs have 14 exponential ones); summaries when asked.
    let exporter = PrometheusExporter::new(&ours);
    let summaries = PrometheusExporter::builder(&ours).summaries().build();
    let mut g = c.benchmark_group("render/1000_timers");
    g.bench_function("metrics_prometheus_text_histograms", |b| {
        b.iter(|| black_box(exporter.render(Format::Text)))
    });
    g.bench_function("metrics_prometheus_openmetrics_histograms", |b| {
        b.iter(|| black_box(exporter.render(Format::OpenMetrics)))
    });
    g.bench_function("metrics_prometheus_text_summaries", |b| {
        b.iter(|| black_box(summaries.render(Format::Text)))
    });
    g.bench_function("prometheus_client_histograms", |b| {
        b.iter(|| {
            let mut out = String::new();
            encode(&mut out, black_box(&theirs)).unwrap();
            out
        })
    });
    g.finish();
}

/// 1,000 timers in our registry, and 1,000 native histograms of schema 5
/// (as ours exports by default) in prometheus-client's, with the same
/// values.
fn native_pair() -> (PrometheusExporter, PcRegistry) {
    let ours = Registry::new();
    let mut theirs = PcRegistry::default();
    for i in 0..N {
        let name = format!("latency_{i}");
        let timer = ours.timer(name.as_str()).unwrap();
        let histogram = PcHistogram::new_native(NativeHistogramConfig::with_schema(5));
        for ns in log_uniform(VALUES, 100_000, 1_000_000_000, i as u64 + 1) {
            timer.update(Duration::from_nanos(ns));
            histogram.observe(ns as f64 / 1e9);
        }
        theirs.register(name, "latency", histogram);
    }
    (PrometheusExporter::new(&ours), theirs)
}

fn native_histograms(c: &mut Criterion) {
    let (exporter, theirs) = native_pair();
    let mut g = c.benchmark_group("render/1000_native_histograms");
    g.bench_function("tachymeter_protobuf", |b| {
        b.iter(|| black_box(exporter.render_protobuf()))
    });
    g.bench_function("prometheus_client_protobuf", |b| {
        b.iter(|| black_box(encode_to_vec(black_box(&theirs)).unwrap()))
    });
    g.finish();
}

/// Rounds of the interleaved check.
const ROUNDS: usize = 41;

/// `ours` and `theirs` timed in turn, one of each per round (the first
/// alternating): a slow spell of the machine (tens of percent on a shared
/// VM) then hits both sides of a round alike. Prints the median of the
/// per-round ratios.
fn interleaved(what: &str, ours: impl FnMut(), theirs: impl FnMut()) {
    interleaved_between(what, || {}, ours, theirs);
}

/// [`interleaved`], calling `between` (not timed) at the start of each
/// round.
fn interleaved_between(
    what: &str,
    mut between: impl FnMut(),
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
) {
    let mut ratios = Vec::with_capacity(ROUNDS);
    for round in 0..=ROUNDS {
        between();
        let mut times = [Duration::ZERO; 2];
        for side in [round % 2, 1 - round % 2] {
            let start = Instant::now();
            if side == 0 {
                ours();
            } else {
                theirs();
            }
            times[side] = start.elapsed();
        }
        // The first round warms both up.
        if round > 0 {
            ratios.push(times[0].as_secs_f64() / times[1].as_secs_f64());
        }
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!(
        "interleaved check: {what}, median of {ROUNDS} paired rounds = {median:.2}x \
         (target <= 1.0x) {}",
        if median <= 1.0 { "ok" } else { "MISSED" }
    );
}

/// The interleaved checks of the two timer targets.
fn interleaved_checks() {
    println!();
    let (ours, theirs, handles) = classic_pair();
    let exporter = PrometheusExporter::new(&ours);
    interleaved(
        "1,000 timers as histograms, text / prometheus-client's",
        || drop(black_box(exporter.render(Format::Text))),
        || {
            let mut out = String::new();
            encode(&mut out, black_box(&theirs)).unwrap();
            black_box(out);
        },
    );
    // What a scrape of a busy service meets: every series has a new value
    // since the last one (ours then merge their stripes again).
    let timers: Vec<_> = (0..N)
        .map(|i| ours.timer(format!("latency_{i}").as_str()).unwrap())
        .collect();
    interleaved_between(
        "1,000 busy timers as histograms, text / prometheus-client's",
        || {
            for (timer, histogram) in timers.iter().zip(&handles) {
                timer.update(Duration::from_millis(3));
                histogram.observe(0.003);
            }
        },
        || drop(black_box(exporter.render(Format::Text))),
        || {
            let mut out = String::new();
            encode(&mut out, black_box(&theirs)).unwrap();
            black_box(out);
        },
    );
    let (exporter, theirs) = native_pair();
    interleaved(
        "1,000 timers as native histograms, protobuf / prometheus-client's",
        || drop(black_box(exporter.render_protobuf())),
        || drop(black_box(encode_to_vec(black_box(&theirs)).unwrap())),
    );
}

fn main() {
    let started = SystemTime::now();
    let mut c = criterion_config(Duration::from_secs(3));
    counters(&mut c);
    timers(&mut c);
    native_histograms(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        interleaved_checks();
    }
    print_ratios(
        &[
            RatioCheck::new(
                "1,000 counters, OpenMetrics / prometheus-client",
                "render/1000_counters",
                "metrics_prometheus_openmetrics",
                "prometheus_client",
                0.5,
            ),
            RatioCheck::new(
                "1,000 counters, text 0.0.4 / prometheus-client",
                "render/1000_counters",
                "metrics_prometheus_text",
                "prometheus_client",
                0.5,
            ),
            RatioCheck::new(
                "1,000 timers (histograms, the default), text / its 1,000 histograms",
                "render/1000_timers",
                "metrics_prometheus_text_histograms",
                "prometheus_client_histograms",
                1.0,
            ),
            RatioCheck::new(
                "1,000 timers (histograms, the default), OpenMetrics / its 1,000 histograms",
                "render/1000_timers",
                "metrics_prometheus_openmetrics_histograms",
                "prometheus_client_histograms",
                1.0,
            ),
            RatioCheck::new(
                "1,000 timers (summaries), text / its 1,000 histograms",
                "render/1000_timers",
                "metrics_prometheus_text_summaries",
                "prometheus_client_histograms",
                1.0,
            ),
            RatioCheck::new(
                "1,000 timers as native histograms, protobuf / prometheus-client's",
                "render/1000_native_histograms",
                "tachymeter_protobuf",
                "prometheus_client_protobuf",
                1.0,
            ),
        ],
        started,
    );
}
