//! Pushes to a real Pushgateway, read back; a dead and a silent Pushgateway
//! give errors within the timeout.
#![cfg(feature = "push")]

use std::time::{Duration, Instant};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_prometheus::{PrometheusExporter, PushError, Pushgateway as Pusher};
use tachymeter_report::PeriodicReporter;
use tachymeter_testkit::Pushgateway;

/// The pushed series `name` of the group whose labels include `labels`, as
/// the Pushgateway exposes it, e.g. `batch_rows_total{instance="…",job="…"} 1000`.
fn pushed_lines(server: &Pushgateway, name: &str) -> Vec<String> {
    server
        .metrics_text()
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_push_is_read_back_with_its_grouping_key() {
    let server = Pushgateway::start().expect("the Pushgateway starts (./test.sh installs it)");
    let registry = Registry::new();
    registry.counter("batch.rows").unwrap().inc(1000);
    registry
        .counter(MetricKey::new("batch.errors").with_label("table", "a \"b\"\n"))
        .unwrap()
        .inc(2);
    registry
        .timer("batch.step")
        .unwrap()
        .update(Duration::from_millis(250));
    let exporter = PrometheusExporter::new(&registry);
    let pusher = Pusher::new(&server.base_url(), "nightly/batch", &exporter)
        .grouping("path", "/var/data")
        .grouping("instance", "db-1");
    pusher.push().unwrap();

    let rows = pushed_lines(&server, "batch_rows_total");
    assert_eq!(rows.len(), 1, "{rows:?}");
    // The `/` in the job and in the path came through the base64 form.
    for label in [
        "job=\"nightly/batch\"",
        "path=\"/var/data\"",
        "instance=\"db-1\"",
    ] {
        assert!(rows[0].contains(label), "{label} missing from {}", rows[0]);
    }
    assert!(rows[0].ends_with(" 1000"), "{}", rows[0]);
    let errors = pushed_lines(&server, "batch_errors_total");
    assert!(errors[0].contains(r#"table="a \"b\"\n""#), "{errors:?}");
    let count = pushed_lines(&server, "batch_step_seconds_count");
    assert!(count[0].ends_with(" 1"), "{count:?}");

    // A second push replaces the group's values.
    registry.counter("batch.rows").unwrap().inc(500);
    pusher.push().unwrap();
    assert!(pushed_lines(&server, "batch_rows_total")[0].ends_with(" 1500"));
}

#[test]
fn push_add_and_delete() {
    let server = Pushgateway::start().expect("the Pushgateway starts (./test.sh installs it)");
    let registry = Registry::new();
    registry.gauge("queue.depth").unwrap().update(4);
    let pusher = Pusher::new(
        &server.base_url(),
        "worker",
        &PrometheusExporter::new(&registry),
    );
    pusher.push_add().unwrap();
    assert_eq!(pushed_lines(&server, "queue_depth").len(), 1);
    pusher.delete().unwrap();
    assert!(pushed_lines(&server, "queue_depth").is_empty());
}

#[test]
fn a_rejected_push_says_why() {
    let server = Pushgateway::start().expect("the Pushgateway starts (./test.sh installs it)");
    // The same name as a counter in one group and a gauge in another: the
    // Pushgateway refuses the second push.
    let counters = Registry::new();
    counters.counter("shared").unwrap().inc(1);
    Pusher::new(&server.base_url(), "a", &PrometheusExporter::new(&counters))
        .push()
        .unwrap();
    let gauges = Registry::new();
    gauges.gauge("shared_total").unwrap().update(1);
    let pusher = Pusher::new(&server.base_url(), "b", &PrometheusExporter::new(&gauges));
    match pusher.push() {
        Err(PushError::Rejected { status, message }) => {
            assert_eq!(status, 400, "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_dead_or_silent_pushgateway_fails_within_the_timeout() {
    let registry = Registry::new();
    let exporter = PrometheusExporter::new(&registry);
    // Nobody listens on a port just released.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let pusher =
        Pusher::new(&format!("http://{dead}"), "j", &exporter).timeout(Duration::from_millis(500));
    assert!(matches!(pusher.push(), Err(PushError::Unreachable(_))));

    // A listener that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let pusher =
        Pusher::new(&format!("http://{addr}"), "j", &exporter).timeout(Duration::from_millis(500));
    let start = Instant::now();
    let outcome = pusher.push();
    assert!(
        matches!(outcome, Err(PushError::Unreachable(_))),
        "{outcome:?}"
    );
    // Generous: the point is that it ends, not how fast.
    assert!(start.elapsed() < Duration::from_secs(30));
    drop(silent);
}

#[test]
fn periodic_pushes_count_their_failures() {
    let server = Pushgateway::start().expect("the Pushgateway starts (./test.sh installs it)");
    let registry = Registry::new();
    registry.counter("ticks").unwrap().inc(3);
    let exporter = PrometheusExporter::new(&registry);
    let reporter: PeriodicReporter = Pusher::new(&server.base_url(), "periodic", &exporter)
        .every(Duration::from_secs(3600))
        .unwrap();
    assert!(reporter.report_now());
    assert_eq!(pushed_lines(&server, "ticks_total").len(), 1);
    drop(server);
    assert!(reporter.report_now());
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!((outcome.reports, outcome.failures), (1, 2), "{outcome:?}");
}
