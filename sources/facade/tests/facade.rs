//! Code that only knows the `metrics` crate records into a registry, and
//! what it recorded reads back exactly from the Prometheus exposition and
//! the log report.

use metrics::{Key, Label, Recorder, Unit};
use std::time::Duration;
use tachymeter_core::{MetricKey, MetricSnapshot, Registry};
use tachymeter_facade::FacadeRecorder;
use tachymeter_prometheus::{Format, PrometheusExporter};

/// A library's code: it knows `metrics`, nothing else.
fn library_work() {
    metrics::describe_histogram!("lookup.latency", Unit::Milliseconds, "lookup time");
    metrics::describe_histogram!("payload.bytes", Unit::Bytes, "payload size");
    for shelf in ["a", "b", "a"] {
        metrics::counter!("books.stored", "shelf" => shelf).increment(1);
        metrics::histogram!("lookup.latency").record(2.5);
    }
    metrics::gauge!("queue.depth").increment(5.0);
    metrics::gauge!("queue.depth").decrement(2.0);
    metrics::histogram!("request.duration.seconds").record(0.25);
    metrics::histogram!("payload.bytes").record(1024.4);
    metrics::counter!("jobs").absolute(7);
    metrics::counter!("jobs").absolute(3); // never lowers a count
}

#[test]
fn values_read_back_exactly_in_prometheus_and_the_log_report() {
    let registry = Registry::new();
    let recorder = FacadeRecorder::new(&registry);
    metrics::with_local_recorder(&recorder, library_work);

    let text = PrometheusExporter::new(&registry).render(Format::Text);
    for line in [
        "books_stored_total{shelf=\"a\"} 2\n",
        "books_stored_total{shelf=\"b\"} 1\n",
        "queue_depth 3.0\n",
        "jobs_total 7\n",
        "lookup_latency_seconds_count 3\n",
        "lookup_latency_seconds_sum 0.0075\n",
        "request_duration_seconds_count 1\n",
        "request_duration_seconds_sum 0.25\n",
        "payload_bytes_sum 1024.0\n",
        "# HELP lookup_latency_seconds lookup time\n",
        "# HELP payload_bytes payload size\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    let report = tachymeter_log::format(&registry.snapshot());
    assert!(
        report.contains("counter books.stored{shelf=\"a\"}\n  count: 2\n"),
        "{report}"
    );
    assert!(report.contains("gauge queue.depth\n  value: 3"), "{report}");
    let lookup: Vec<&str> = report
        .lines()
        .skip_while(|l| *l != "timer lookup.latency \u{2014} lookup time")
        .take(3)
        .collect();
    assert_eq!(
        lookup[1].split_whitespace().collect::<Vec<_>>(),
        ["count:", "3"]
    );
    assert!(lookup[2].contains("2.5"), "{report}"); // min, in milliseconds
}

#[test]
fn handles_are_cached_per_key() {
    let registry = Registry::new();
    let recorder = FacadeRecorder::new(&registry);
    let key = Key::from_parts("hits", vec![Label::new("route", "/a")]);
    let metadata = metrics::Metadata::new("test", metrics::Level::INFO, None);
    let first = recorder.register_counter(&key, &metadata);
    first.increment(1);
    // Unregistered behind the recorder's back: the cached handle still
    // records into the counter it was given, no new lookup is made.
    let removed = registry.unregister(MetricKey::new("hits").with_label("route", "/a"));
    assert!(removed.is_some());
    recorder.register_counter(&key, &metadata).increment(1);
    assert!(registry
        .get(MetricKey::new("hits").with_label("route", "/a"))
        .is_none());
    match removed {
        Some(tachymeter_core::Metric::Counter(c)) => assert_eq!(c.count(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_series_cap_applies() {
    let registry = Registry::builder().max_series(3).build();
    let recorder = FacadeRecorder::new(&registry);
    metrics::with_local_recorder(&recorder, || {
        for user in 0..50 {
            metrics::counter!("logins", "user" => user.to_string()).increment(1);
        }
    });
    let snapshot = registry.snapshot();
    let logins: Vec<i64> = snapshot
        .metrics
        .iter()
        .filter(|e| e.key.name() == "logins")
        .filter_map(|e| match &e.snapshot {
            MetricSnapshot::Counter(c) => Some(c.count),
            _ => None,
        })
        .collect();
    // A bounded number of series, and not one login lost.
    assert!(logins.len() <= 4, "{logins:?}");
    assert_eq!(logins.iter().sum::<i64>(), 50);
    assert!(registry.folded_series() > 0);
}

#[test]
fn bad_values_and_clashing_names_are_counted() {
    let registry = Registry::new();
    registry.gauge("taken").unwrap();
    let recorder = FacadeRecorder::new(&registry);
    metrics::with_local_recorder(&recorder, || {
        metrics::histogram!("size").record(f64::NAN);
        metrics::histogram!("size").record(-3.0);
        metrics::histogram!("wait.seconds").record(-1.0);
        metrics::histogram!("wait.seconds").record(f64::INFINITY);
        metrics::histogram!("wait.seconds").record(0.5);
        metrics::counter!("taken").increment(1);
    });
    assert_eq!(
        registry.counter("facade.dropped-values").unwrap().count(),
        3
    );
    assert_eq!(registry.counter("facade.rejected").unwrap().count(), 1);
    let size = registry.histogram("size").unwrap().snapshot();
    assert_eq!((size.count, size.max), (1, 0));
    let wait = registry.timer("wait.seconds").unwrap().snapshot();
    assert_eq!((wait.count(), wait.durations.max), (1, 500_000_000));
    assert_eq!(
        wait.durations.max,
        Duration::from_millis(500).as_nanos() as u64
    );
}

#[test]
fn install_takes_the_process_recorder_once() {
    let registry = Registry::new();
    tachymeter_facade::install(&registry).unwrap();
    metrics::counter!("installed").increment(1);
    assert_eq!(registry.counter("installed").unwrap().count(), 1);
    let again = tachymeter_facade::install(&Registry::new()).unwrap_err();
    assert!(again.to_string().contains("already installed"), "{again}");
}
