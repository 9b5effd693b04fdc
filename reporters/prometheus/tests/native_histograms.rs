//! A real Prometheus started with `--enable-feature=native-histograms`
//! scrapes three instances over the protobuf exposition. Quantiles it
//! computes over the sum of their native histograms are within the
//! documented bound of the exact quantiles of all values pooled, and the
//! other metric kinds give the same series as the text formats give a
//! Prometheus without the feature.

mod common;

use common::serve_exporter;
use std::collections::BTreeMap;
use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_prometheus::{Buckets, NativeHistograms, PrometheusExporter};
use tachymeter_testkit::{Prometheus, PrometheusOptions, Sample};

/// A seeded generator of log-normal values.
struct LogNormal {
    state: u64,
}

impl LogNormal {
    fn new(seed: u64) -> Self {
        LogNormal { state: seed | 1 }
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        ((self.state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A value with median `median` and log standard deviation `sigma`.
    fn sample(&mut self, median: f64, sigma: f64) -> u64 {
        let (u, v) = (self.uniform(), self.uniform());
        let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        (median * (sigma * normal).exp()).round().max(1.0) as u64
    }
}

/// The value of rank `ceil(q * n)` among `sorted`.
fn exact_quantile(sorted: &[u64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

fn one_value(samples: &[Sample]) -> Option<f64> {
    match samples {
        [only] => Some(only.value),
        _ => None,
    }
}

#[test]
fn fleet_quantiles_from_native_histograms_are_within_the_bound() {
    // Latency in nanoseconds and payload sizes in bytes, per instance:
    // log-normal around 2 ms, log-normal around 20 ms and wider, and
    // bimodal (most around 1 ms, a tail around 200 ms).
    let mut rng = LogNormal::new(0x5EED);
    let mut latencies: Vec<u64> = Vec::new();
    let mut sizes: Vec<u64> = Vec::new();
    let mut targets = Vec::new();
    let mut histogram_error = 0.0;
    for instance in 0..3 {
        let registry = Registry::new();
        let timer = registry.timer("http.request").unwrap();
        let payload = registry.histogram("payload.bytes").unwrap();
        let n = [20_000, 12_000, 16_000][instance];
        for i in 0..n {
            let nanos = match instance {
                0 => rng.sample(2e6, 0.5),
                1 => rng.sample(20e6, 0.8),
                _ if i % 10 < 7 => rng.sample(1e6, 0.3),
                _ => rng.sample(200e6, 0.4),
            };
            timer.update(Duration::from_nanos(nanos));
            latencies.push(nanos);
            let size = rng.sample([5_000.0, 800.0, 60_000.0][instance], 1.0);
            payload.update(size);
            sizes.push(size);
        }
        histogram_error = timer.snapshot().durations.relative_error;
        // The third instance also sends classic buckets, which a
        // Prometheus 2.42 with native histograms on leaves aside.
        let mut builder = PrometheusExporter::builder(&registry);
        if instance == 2 {
            builder = builder.buckets(Buckets::Decades);
        }
        targets.push((registry, serve_exporter(&builder.build())));
    }
    let mut options = PrometheusOptions::new(targets[0].1.clone()).native_histograms(true);
    for (_, target) in &targets[1..] {
        options = options.also_scrape(target.clone());
    }
    let prometheus =
        Prometheus::start_with(options).expect("Prometheus starts (./test.sh installs it)");

    let bound = NativeHistograms::default().relative_error(histogram_error);
    assert!(
        bound <= 0.03,
        "the documented default bound is 3 %: {bound}"
    );
    latencies.sort_unstable();
    sizes.sort_unstable();
    for (metric, values, per_unit) in [
        ("http_request_seconds", &latencies, 1e9),
        ("payload_bytes", &sizes, 1.0),
    ] {
        let count = values.len() as f64;
        let counted = prometheus
            .wait_for(
                &format!("histogram_count(sum({metric}))"),
                |s| one_value(s) == Some(count),
                Duration::from_secs(30),
            )
            .unwrap();
        assert_eq!(one_value(&counted), Some(count));
        let exact_sum: u64 = values.iter().sum();
        let sum = one_value(
            &prometheus
                .query(&format!("histogram_sum(sum({metric}))"))
                .unwrap(),
        )
        .unwrap();
        let exact_sum = exact_sum as f64 / per_unit;
        assert!(
            (sum - exact_sum).abs() <= exact_sum * 1e-12,
            "{metric}: sum {sum} against {exact_sum}"
        );
        for q in [0.5, 0.9, 0.99, 0.999] {
            let expr = format!("histogram_quantile({q}, sum({metric}))");
            let estimate = one_value(&prometheus.query(&expr).unwrap()).unwrap() * per_unit;
            let exact = exact_quantile(values, q);
            let error = (estimate - exact).abs() / exact;
            eprintln!("{expr}: error {:.3} %", error * 100.0);
            assert!(
                error <= bound + 1e-9,
                "{expr}: {estimate} against the exact {exact}: error {:.3} % above {:.3} %",
                error * 100.0,
                bound * 100.0
            );
        }
        // Per instance too, by the `instance` label.
        let per_instance = prometheus
            .query(&format!("histogram_count({metric})"))
            .unwrap();
        assert_eq!(per_instance.len(), 3, "{per_instance:?}");
    }
    // The registries lived until here, behind their listeners.
    drop(targets);
}

/// Series of the job as (name and labels, value), without the ones
/// Prometheus writes itself and the timer's.
fn series(prometheus: &Prometheus) -> BTreeMap<BTreeMap<String, String>, f64> {
    prometheus
        .query(r#"{job="test", __name__!~"up|scrape_.*|http_request_seconds.*"}"#)
        .unwrap()
        .into_iter()
        .map(|s| (s.labels, s.value))
        .collect()
}

#[test]
fn protobuf_gives_the_series_the_text_formats_give() {
    let registry = Registry::new();
    registry.counter("books.stored").unwrap().inc(7);
    registry.counter("stock").unwrap().dec(3);
    registry.gauge("up").unwrap().update(0);
    registry.gauge_f64("ratio").unwrap().update(0.25);
    registry.meter("logins").unwrap().mark(11);
    for suffix in ["1xx", "2xx", "3xx", "4xx", "5xx", "other", "404"] {
        registry
            .counter(format!("get-book-{suffix}"))
            .unwrap()
            .inc(2);
    }
    for (i, value) in ["quote\"d", "back\\slash", "new\nline", "emoji 😀", ""]
        .iter()
        .enumerate()
    {
        let key = MetricKey::new("by.label").with_label("v a:l", *value);
        registry.counter(key).unwrap().inc(i as u64 + 1);
    }
    for name in ["a.b", "a-b", "x_total", "9"] {
        registry.gauge(name).unwrap().update(1);
    }
    registry
        .timer("http.request")
        .unwrap()
        .update(Duration::from_millis(4));
    let target = serve_exporter(&PrometheusExporter::new(&registry));
    let native =
        Prometheus::start_with(PrometheusOptions::new(target.clone()).native_histograms(true))
            .expect("Prometheus starts (./test.sh installs it)");
    let text = Prometheus::start_with(PrometheusOptions::new(target)).unwrap();

    // Wait until both have scraped.
    for prometheus in [&native, &text] {
        prometheus
            .wait_for(
                r#"books_stored_total{job="test"}"#,
                |s| one_value(s) == Some(7.0),
                Duration::from_secs(30),
            )
            .unwrap();
    }
    // The timer is a summary in the text scrape, and one native histogram
    // in the protobuf one.
    let from_text = series(&text);
    let from_protobuf = series(&native);
    assert_eq!(from_protobuf, from_text);
    assert_eq!(from_protobuf.len(), 21, "{from_protobuf:?}");
    let requests = native
        .query("histogram_count(http_request_seconds)")
        .unwrap();
    assert_eq!(one_value(&requests), Some(1.0));
    let exported_up = native.query(r#"exported_up{job="test"}"#).unwrap();
    assert_eq!(one_value(&exported_up), Some(0.0));
    let up = native.query(r#"up{job="test"}"#).unwrap();
    assert_eq!(one_value(&up), Some(1.0));
}
