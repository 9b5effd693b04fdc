//! A real Prometheus server scrapes `GET /metrics` of an axum app on
//! loopback (it asks for OpenMetrics first), and its query API returns what
//! the app recorded: counts, a timer's summary, folded status counters and
//! label values full of characters that need escaping.

mod common;

use common::serve_exporter;
use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_prometheus::PrometheusExporter;
use tachymeter_testkit::{Prometheus, PrometheusOptions};

const HOSTILE_VALUES: &[&str] = &[
    "quote\"d",
    "back\\slash",
    "new\nline",
    "tab\tbed",
    "#hash {brace}",
    "line\u{2028}separator",
    "emoji 😀",
];

const HOSTILE_NAMES: &[&str] = &[
    "a.b",
    "a-b",
    "a_b",
    "a:b",
    "x",
    "x_count",
    "x_total",
    "9",
    "",
    "emoji 😀",
    "new\nline",
    "quote\"d",
    "__",
    "get.book",
    "get-book",
];

/// Serves `registry`'s `/metrics` and starts a Prometheus scraping it
/// every second.
fn scraped_by_prometheus(registry: &Registry) -> Prometheus {
    let addr = serve_exporter(&PrometheusExporter::new(registry));
    Prometheus::start_with(PrometheusOptions::new(addr).scrape_interval(Duration::from_secs(1)))
        .expect("Prometheus starts (./test.sh installs it)")
}

/// Every target is up and its last scrape had no error.
fn assert_targets_up(prometheus: &Prometheus) {
    let targets = prometheus.targets().unwrap();
    assert!(
        targets
            .iter()
            .all(|t| t.health == "up" && t.last_error.is_empty()),
        "{targets:?}"
    );
}

#[test]
fn a_real_prometheus_scrapes_what_the_app_recorded() {
    let registry = Registry::new();
    registry.counter("books.requests").unwrap().inc(7);
    let timer = registry.timer("get-book").unwrap();
    for ms in 1..=20 {
        timer.update(Duration::from_millis(ms));
    }
    for (suffix, n) in [
        ("1xx", 0),
        ("2xx", 12),
        ("3xx", 0),
        ("4xx", 3),
        ("5xx", 1),
        ("other", 0),
    ] {
        registry
            .counter(format!("get-book-{suffix}"))
            .unwrap()
            .inc(n);
    }
    for (i, value) in HOSTILE_VALUES.iter().enumerate() {
        registry
            .counter(MetricKey::new("tagged").with_label("what", *value))
            .unwrap()
            .inc(i as u64 + 1);
    }
    registry.gauge_f64("ratio").unwrap().update(f64::NAN);
    // Names that collide once sanitised, as every kind: the scrape (in
    // OpenMetrics) must still parse, or the target would be down.
    for name in HOSTILE_NAMES {
        if let Ok(t) = registry.timer(format!("t{name}")) {
            t.update(Duration::from_millis(1));
        }
        if let Ok(c) = registry.counter(format!("c{name}")) {
            c.inc(1);
        }
        let _ = registry.gauge(format!("{name}_seconds"));
        let _ = registry.histogram(format!("h{name}"));
    }

    let prometheus = scraped_by_prometheus(&registry);

    let wait = Duration::from_secs(60);
    let requests = prometheus
        .wait_for("books_requests_total", |s| !s.is_empty(), wait)
        .unwrap();
    assert_eq!(requests[0].value, 7.0);
    assert_targets_up(&prometheus);

    let count = prometheus.query("get_book_seconds_count").unwrap();
    assert_eq!(count[0].value, 20.0);
    let sum = prometheus.query("get_book_seconds_sum").unwrap();
    assert!((sum[0].value - 0.21).abs() < 1e-9, "{sum:?}");
    // A classic histogram by default, with OpenTelemetry's duration
    // bounds: 1–20 ms are all at or below 25 ms, none at or below 0.5 ms.
    let bucket = |le: &str| {
        let q = format!("get_book_seconds_bucket{{le=\"{le}\"}}");
        prometheus.query(&q).unwrap()[0].value
    };
    assert_eq!(
        (bucket("0.005"), bucket("0.025"), bucket("+Inf")),
        (4.0, 20.0, 20.0)
    );
    let p99 = prometheus
        .query("histogram_quantile(0.99, get_book_seconds_bucket)")
        .unwrap();
    assert!(p99[0].value > 0.01 && p99[0].value <= 0.025, "{p99:?}");

    let classes = prometheus.query("get_book_responses_total").unwrap();
    let by_code = |code: &str| {
        classes
            .iter()
            .find(|s| s.label("code") == Some(code))
            .map(|s| s.value)
    };
    assert_eq!(classes.len(), 6, "{classes:?}");
    assert_eq!(
        (by_code("2xx"), by_code("4xx"), by_code("5xx")),
        (Some(12.0), Some(3.0), Some(1.0))
    );

    let tagged = prometheus.query("tagged_total").unwrap();
    assert_eq!(tagged.len(), HOSTILE_VALUES.len(), "{tagged:?}");
    for (i, value) in HOSTILE_VALUES.iter().enumerate() {
        let sample = tagged
            .iter()
            .find(|s| s.label("what") == Some(value))
            .unwrap_or_else(|| panic!("no series with what={value:?} in {tagged:?}"));
        assert_eq!(sample.value, i as f64 + 1.0);
    }
    let ratio = prometheus.query("ratio").unwrap();
    assert!(ratio[0].value.is_nan(), "{ratio:?}");
}

/// Metrics named like the series Prometheus writes for every target must
/// not replace them: a healthy target stays `up 1` and its scrape series
/// keep Prometheus' values, while the app's own values are kept under
/// `exported_*`.
#[test]
fn names_prometheus_keeps_for_itself_never_replace_its_own_series() {
    let registry = Registry::new();
    registry.gauge("up").unwrap().update(0);
    registry.counter("up").unwrap_err(); // a gauge already
    registry
        .gauge_f64("scrape_duration_seconds")
        .unwrap()
        .update(99.0);
    registry.gauge("scrape_samples_scraped").unwrap().update(-5);
    registry.counter("scrape.series.added").unwrap().inc(4);
    let timer = registry.timer("scrape").unwrap(); // scrape_seconds
    timer.update(Duration::from_millis(2));
    let prometheus = scraped_by_prometheus(&registry);

    let wait = Duration::from_secs(60);
    let exported = prometheus
        .wait_for("exported_up", |s| !s.is_empty(), wait)
        .unwrap();
    assert_eq!(exported[0].value, 0.0, "the app's own value is kept");
    let up = prometheus.query("up").unwrap();
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(up[0].value, 1.0, "a healthy target stays up: {up:?}");

    let duration = prometheus.query("scrape_duration_seconds").unwrap();
    assert_eq!(duration.len(), 1, "{duration:?}");
    assert!(duration[0].value < 99.0, "Prometheus' own: {duration:?}");
    let scraped = prometheus.query("scrape_samples_scraped").unwrap();
    assert!(scraped[0].value > 0.0, "Prometheus' own: {scraped:?}");
    let added = prometheus.query("scrape_series_added").unwrap();
    assert!(added.iter().all(|s| s.value != 4.0), "{added:?}");

    for (name, value) in [
        ("exported_scrape_duration_seconds", 99.0),
        ("exported_scrape_samples_scraped", -5.0),
        ("exported_scrape_series_added_total", 4.0),
        ("exported_scrape_seconds_count", 1.0),
    ] {
        let series = prometheus.query(name).unwrap();
        assert_eq!(series.len(), 1, "{name}: {series:?}");
        assert_eq!(series[0].value, value, "{name}");
    }
    assert_targets_up(&prometheus);
}
