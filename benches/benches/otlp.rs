//! One OTLP request of 1,000 counters and 1,000 timers (200 log-uniform
//! durations each, 100 µs–1 s, and one more each before every request, as
//! a busy service's are): tachymeter-otlp's `Encoder` (snapshot included)
//! against OpenTelemetry's SDK collecting the same values from
//! 1,000 counters and 1,000 base-2 exponential histograms (160 buckets, its
//! default) and encoding them with the same `opentelemetry-proto`
//! messages, in the same run. And the other side of that trade: one record
//! into a timer against one record into the SDK's exponential histogram,
//! which maps each value to its bucket as it records it (we map buckets
//! when a report is encoded).

use criterion::Criterion;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{
    Aggregation, Instrument, InstrumentKind, PeriodicReader, SdkMeterProvider, Stream, Temporality,
};
use prost::Message;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tachymeter_benches::{criterion_config, log_uniform, print_ratios, RatioCheck};
use tachymeter_core::Registry;
use tachymeter_otlp::Encoder;
use tachymeter_report::{Body, Encode, Payload};

const N: usize = 1_000;
/// Values per timer.
const VALUES: usize = 200;

/// An exporter that only encodes: what the SDK's OTLP exporter does before
/// its request goes out.
#[derive(Debug, Default, Clone)]
struct EncodeOnly {
    bytes: Arc<AtomicUsize>,
}

impl PushMetricExporter for EncodeOnly {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let body = ExportMetricsServiceRequest::from(metrics).encode_to_vec();
        self.bytes.store(body.len(), Ordering::Relaxed);
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// The SDK reading through `reader`, its histograms exponential with the
/// bucket cap ours has (160).
fn sdk_provider(reader: PeriodicReader<EncodeOnly>) -> SdkMeterProvider {
    SdkMeterProvider::builder()
        .with_reader(reader)
        .with_view(|i: &Instrument| {
            (i.kind() == InstrumentKind::Histogram).then(|| {
                Stream::builder()
                    .with_aggregation(Aggregation::Base2ExponentialHistogram {
                        max_size: 160,
                        max_scale: 20,
                        record_min_max: true,
                    })
                    .build()
                    .expect("a valid stream")
            })
        })
        .build()
}

fn request(c: &mut Criterion) {
    let ours = Registry::new();
    let exporter = EncodeOnly::default();
    // The reader never fires on its own in a bench: one push per flush.
    let reader = PeriodicReader::builder(exporter.clone())
        .with_interval(Duration::from_secs(3600))
        .build();
    let provider = sdk_provider(reader);
    let meter = provider.meter("bench");
    let (mut our_timers, mut their_histograms) = (Vec::new(), Vec::new());
    for i in 0..N {
        let name = format!("requests_{i}");
        ours.counter(name.as_str()).unwrap().inc(i as u64);
        meter.u64_counter(name).build().add(i as u64, &[]);
        let name = format!("latency_{i}");
        let timer = ours.timer(name.as_str()).unwrap();
        let histogram = meter.f64_histogram(name).with_unit("s").build();
        for ns in log_uniform(VALUES, 100_000, 1_000_000_000, i as u64 + 1) {
            timer.update(Duration::from_nanos(ns));
            histogram.record(ns as f64 / 1e9, &[]);
        }
        our_timers.push(timer);
        their_histograms.push(histogram);
    }
    // One more value in every timer before each request: none is idle.
    let more = log_uniform(N, 100_000, 1_000_000_000, 99);
    let mut encoder = Encoder::new().service_name("bench");
    let mut body = Body::default();
    // Both bodies, once, to check they hold the same.
    encoder.encode(&ours.snapshot(), SystemTime::now(), &mut body);
    provider.force_flush().unwrap();
    println!(
        "one request: tachymeter-otlp {} bytes ({} points), OpenTelemetry SDK {} bytes",
        body.bytes().len(),
        body.points(),
        exporter.bytes.load(Ordering::Relaxed)
    );

    let mut g = c.benchmark_group("otlp/1000_counters_1000_timers");
    g.bench_function("tachymeter_otlp", |b| {
        b.iter(|| {
            for (timer, ns) in our_timers.iter().zip(&more) {
                timer.update(Duration::from_nanos(*ns));
            }
            body.clear();
            black_box(encoder.encode(&ours.snapshot(), SystemTime::now(), &mut body));
            black_box(body.bytes().len())
        })
    });
    g.bench_function("opentelemetry_sdk", |b| {
        b.iter(|| {
            for (histogram, ns) in their_histograms.iter().zip(&more) {
                histogram.record(*ns as f64 / 1e9, &[]);
            }
            provider.force_flush().unwrap();
            black_box(exporter.bytes.load(Ordering::Relaxed))
        })
    });
    g.finish();
}

fn record(c: &mut Criterion) {
    let ours = Registry::new().timer("latency").unwrap();
    let provider = sdk_provider(PeriodicReader::builder(EncodeOnly::default()).build());
    let theirs = provider
        .meter("bench")
        .f64_histogram("latency")
        .with_unit("s")
        .build();
    let values = log_uniform(4096, 100_000, 1_000_000_000, 7);
    let mut g = c.benchmark_group("otlp/record");
    let mut i = 0;
    g.bench_function("tachymeter_timer", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            ours.update(Duration::from_nanos(black_box(values[i])));
        })
    });
    g.bench_function("opentelemetry_sdk_histogram", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            theirs.record(black_box(values[i]) as f64 / 1e9, &[]);
        })
    });
    g.finish();
}

fn main() {
    let since = SystemTime::now();
    let mut c = criterion_config(Duration::from_secs(3));
    request(&mut c);
    record(&mut c);
    c.final_summary();
    print_ratios(
        &[
            RatioCheck::new(
                "one OTLP request, tachymeter-otlp / OpenTelemetry SDK",
                "otlp/1000_counters_1000_timers",
                "tachymeter_otlp",
                "opentelemetry_sdk",
                1.0,
            ),
            RatioCheck::new(
                "one record, tachymeter timer / SDK exponential histogram",
                "otlp/record",
                "tachymeter_timer",
                "opentelemetry_sdk_histogram",
                1.0,
            ),
        ],
        since,
    );
}
