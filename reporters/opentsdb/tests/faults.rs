//! A server that crashes, one that never reads, and one that is not there.

mod common;

use common::{count, rejected, WAIT};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_report::PeriodicReporter;
use tachymeter_testkit::{port, BlackHole, VictoriaMetrics};

const NEVER: Duration = Duration::from_secs(3600);
/// Longer than any test: the reports after a failure always wait.
const BACKOFF: Duration = Duration::from_secs(600);

/// Reports until a report succeeds (the reporter may be backing off, or
/// the count not there yet) and VictoriaMetrics holds a count of at least
/// `at_least`; the largest count it holds.
fn deliver(
    vm: &VictoriaMetrics,
    reporter: &PeriodicReporter,
    registry: &Registry,
    at_least: i64,
) -> f64 {
    let largest = |series: &[serde_json::Value]| {
        series
            .iter()
            .flat_map(|s| s["values"].as_array().unwrap())
            .filter_map(|v| v.as_f64())
            .fold(f64::MIN, f64::max)
    };
    vm.process()
        .poll(
            "a successful report holding the count",
            WAIT,
            || {
                let before = count(registry, "reporter.opentsdb.reports");
                reporter.report_now();
                if count(registry, "reporter.opentsdb.reports") == before {
                    return Ok(Err("the report failed".to_string()));
                }
                vm.force_flush()?;
                let largest = largest(&vm.export(r#"{__name__="crash.events.count"}"#)?);
                Ok(if largest >= at_least as f64 {
                    Ok(largest)
                } else {
                    Err(format!("largest count {largest}"))
                })
            },
            |last| last,
        )
        .unwrap()
}

#[test]
fn recovers_from_three_crashes_and_sends_the_true_total() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    let events = registry.counter("events").unwrap();
    let running = Arc::new(AtomicBool::new(true));
    let app = {
        let (events, running) = (events.clone(), running.clone());
        thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                events.inc(1);
                thread::yield_now();
            }
        })
    };
    let reporter = tachymeter_opentsdb::builder(vm.opentsdb_addr().to_string())
        .map_encoder(|e| e.prefix("crash").tag("host", "test"))
        .timeout(Duration::from_millis(500))
        .start(&registry, NEVER)
        .unwrap();
    deliver(&vm, &reporter, &registry, 1);

    for _ in 0..3 {
        vm.kill();
        // Reports while it is down fail and are counted (the first may
        // still go into the dead connection before it is seen closed).
        let failures = count(&registry, "reporter.opentsdb.failures");
        for _ in 0..3 {
            assert!(reporter.report_now());
            if count(&registry, "reporter.opentsdb.failures") > failures {
                break;
            }
        }
        assert!(count(&registry, "reporter.opentsdb.failures") > failures);
        vm.restart().unwrap();
        let since_restart = events.count();
        assert!(deliver(&vm, &reporter, &registry, since_restart) >= since_restart as f64);
    }

    running.store(false, Ordering::Relaxed);
    app.join().unwrap();
    let truth = events.count();
    assert_eq!(deliver(&vm, &reporter, &registry, truth), truth as f64);
    // One connection at first and one after each restart.
    assert_eq!(count(&registry, "reporter.opentsdb.connects"), 4);
    assert!(count(&registry, "reporter.opentsdb.connect-failures") >= 3);
    assert_eq!(rejected(&vm), 0.0);
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert!(outcome.failures >= 3);
}

#[test]
fn a_black_hole_ends_each_report_by_the_write_timeout() {
    let hole = BlackHole::start().unwrap();
    let registry = Registry::new();
    // About 4.7 MB a report, in lines under OpenTSDB's 1,024 bytes (and
    // series under the registry's cap): the socket buffers fill up within
    // a few reports.
    let long = "x".repeat(900);
    for i in 0..5_000 {
        registry.gauge(format!("g{i}.{long}")).unwrap().update(i);
    }
    // A backoff far longer than the test, so the report after the failure
    // waits whatever the machine's load.
    let reporter = tachymeter_opentsdb::builder(hole.addr().to_string())
        .timeout(Duration::from_millis(300))
        .backoff(BACKOFF, BACKOFF)
        .start(&registry, NEVER)
        .unwrap();
    // The socket buffers take a few reports; then a write times out.
    let mut reports = 0;
    while count(&registry, "reporter.opentsdb.send-failures") == 0 {
        assert!(reports < 32, "no write timed out in {reports} reports");
        // Finished within the reporter's wait (twice the timeout + 1 s).
        assert!(reporter.report_now());
        reports += 1;
    }
    assert_eq!(count(&registry, "reporter.opentsdb.send-failures"), 1);
    assert_eq!(count(&registry, "reporter.opentsdb.failures"), 1);
    assert_eq!(count(&registry, "reporter.opentsdb.connects"), 1);
    // The next report waits for the backoff instead of writing or
    // connecting again: it fails at once.
    assert!(reporter.report_now());
    assert_eq!(count(&registry, "reporter.opentsdb.failures"), 2);
    assert_eq!(count(&registry, "reporter.opentsdb.send-failures"), 1);
    assert_eq!(count(&registry, "reporter.opentsdb.connects"), 1);
    assert!(hole.accepted() <= 1);
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert!(outcome.failures >= 1);
}

#[test]
fn a_dead_port_fails_fast_and_backs_off() {
    let port = port::free_tcp_port().unwrap();
    let registry = Registry::new();
    registry.counter("c").unwrap().inc(1);
    let timeout = Duration::from_secs(10);
    let reporter = tachymeter_opentsdb::builder(format!("127.0.0.1:{port}"))
        .timeout(timeout)
        .backoff(BACKOFF, BACKOFF)
        .start(&registry, NEVER)
        .unwrap();
    for _ in 0..5 {
        assert!(reporter.report_now());
    }
    assert_eq!(count(&registry, "reporter.opentsdb.failures"), 5);
    assert_eq!(count(&registry, "reporter.opentsdb.connects"), 0);
    // One refused attempt; the reports after it wait for the backoff.
    assert_eq!(count(&registry, "reporter.opentsdb.connect-failures"), 1);
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(outcome.failures, 6);
}
