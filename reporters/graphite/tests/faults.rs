//! Backends that hang or are gone: every report ends by its timeout, the
//! reporter backs off and counts what happened.

mod common;

use common::*;
use std::io::ErrorKind;
use std::time::{Duration, Instant, UNIX_EPOCH};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_report::{encode_once, Payload, SendError};
use tachymeter_testkit::{own_count, BlackHole};

const TIMEOUT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(3600);

/// Enough metrics for a report of about 25 MB, far more than the socket
/// buffers of a connection nobody reads take.
fn big_registry() -> Registry {
    let registry = Registry::new();
    let long = "x".repeat(190);
    for i in 0..2000 {
        let key = MetricKey::new(format!("big.{long}.t{i}"))
            .with_label("a", long.as_str())
            .with_label("b", long.as_str())
            .with_label("c", long.as_str());
        registry
            .timer(key)
            .unwrap()
            .update(Duration::from_millis(i));
    }
    registry
}

/// Longer than any test: the reports after a failure always wait.
const BACKOFF: Duration = Duration::from_secs(600);

#[test]
fn a_backend_that_never_reads_ends_the_report_by_its_write_timeout_then_backs_off() {
    let hole = BlackHole::start().unwrap();
    let data = big_registry();
    let counters = Registry::new();
    // A backoff far longer than the test, so the reports after the failure
    // wait whatever the machine's load.
    let mut reporter = tachymeter_graphite::builder(hole.addr().to_string())
        .timeout(TIMEOUT)
        .backoff(BACKOFF, BACKOFF)
        .build(&counters)
        .unwrap();
    // What the reporter's encoder writes, on a copy of it.
    let mut encoder = reporter.encoder().clone();
    let (text, _) = encode_once(&mut encoder, &data.snapshot(), UNIX_EPOCH);
    let lines = text.points() as i64;
    let text = text.as_str();
    assert!(text.len() > 20 << 20, "{} bytes", text.len());

    let (_, _, outcome) = report_once(&mut reporter, &data);
    let error = outcome.unwrap_err();
    match error.downcast_ref::<SendError>() {
        Some(SendError::Write {
            written, source, ..
        }) => {
            assert_eq!(source.kind(), ErrorKind::TimedOut, "{source}");
            assert!(*written > 0 && *written < text.len(), "{written}");
        }
        _ => panic!("expected a write timeout, got {error}"),
    }
    assert_eq!(own_count(&counters, "graphite", "connects"), 1);
    assert_eq!(own_count(&counters, "graphite", "send-failures"), 1);
    let dropped = own_count(&counters, "graphite", "dropped-unsent");
    assert!(dropped > 0 && dropped < lines, "{dropped} of {lines}");
    // Every line is counted once: written whole, or dropped.
    assert_eq!(
        own_count(&counters, "graphite", "sent-points") + dropped,
        lines
    );

    // Reports right after it wait for the backoff instead of connecting.
    let small = Registry::new();
    small.counter("x").unwrap().inc(1);
    for _ in 0..5 {
        let (_, _, outcome) = report_once(&mut reporter, &small);
        let error = outcome.unwrap_err();
        assert!(
            matches!(
                error.downcast_ref::<SendError>(),
                Some(SendError::BackingOff { .. })
            ),
            "{error}"
        );
    }
    assert_eq!(own_count(&counters, "graphite", "backed-off"), 5);
    assert_eq!(own_count(&counters, "graphite", "connects"), 1);
    assert_eq!(
        own_count(&counters, "graphite", "dropped-unsent"),
        dropped + 5
    );
    let deadline = Instant::now() + WAIT;
    while hole.accepted() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(hole.accepted(), 1);
}

#[test]
fn stop_returns_while_the_backend_never_reads() {
    let hole = BlackHole::start().unwrap();
    let data = big_registry();
    let reporter = tachymeter_graphite::builder(hole.addr().to_string())
        .timeout(TIMEOUT)
        .start(&data, LONG)
        .unwrap();
    // The final report is the first: it connects, fills the buffers and
    // times out, within the time stop() waits.
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!((outcome.reports, outcome.failures), (0, 1));
    assert_eq!(own_count(&data, "graphite", "send-failures"), 1);
    assert_eq!(own_count(&data, "graphite", "connects"), 1);
}

#[test]
fn a_dead_port_fails_fast_with_backoff_and_is_counted() {
    let port = tachymeter_testkit::port::free_tcp_port().unwrap();
    let registry = Registry::new();
    registry.counter("x").unwrap().inc(1);
    let reporter = tachymeter_graphite::builder(format!("127.0.0.1:{port}"))
        .timeout(Duration::from_secs(1))
        .backoff(BACKOFF, BACKOFF)
        .start(&registry, LONG)
        .unwrap();
    for _ in 0..4 {
        assert!(reporter.report_now());
    }
    // One refused attempt; the reports after it wait for the backoff.
    assert_eq!(own_count(&registry, "graphite", "connect-failures"), 1);
    assert_eq!(own_count(&registry, "graphite", "backed-off"), 3);
    assert_eq!(own_count(&registry, "graphite", "connects"), 0);
    assert!(own_count(&registry, "graphite", "dropped-unsent") > 0);
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!((outcome.reports, outcome.failures), (0, 5));
}

#[test]
fn a_name_taken_by_an_own_counter_is_an_error_at_start() {
    let registry = Registry::new();
    registry.gauge("reporter.graphite.connects").unwrap();
    let builder = || tachymeter_graphite::builder("127.0.0.1:1");
    assert!(builder().build(&registry).is_err());
    assert!(builder().start(&registry, LONG).is_err());
    assert!(builder().name("carbon-2").build(&registry).is_ok());
}
