//! The periodic reporter: failures and panics are counted and the schedule
//! goes on, missed ticks are skipped, and stopping sends a final report
//! within the timeout. Out-of-schedule reports (`report_now`) and a long
//! interval keep these tests free of timing; one test waits (bounded) for
//! real scheduled ticks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tachymeter_core::{ManualClock, Registry, RegistrySnapshot};
use tachymeter_report::{BuildError, Due, PeriodicReporter, Report, ReportError, Schedule};

const HOUR: Duration = Duration::from_secs(3600);

fn count(registry: &Registry, name: &str) -> i64 {
    registry.counter(name).unwrap().count()
}

/// Counts reports; fails the ones whose number is in `fail`, panics on the
/// ones in `panic`.
struct Scripted {
    calls: Arc<AtomicU64>,
    fail: Vec<u64>,
    panic: Vec<u64>,
}

impl Report for Scripted {
    fn report(&mut self, _: &RegistrySnapshot) -> Result<(), ReportError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.panic.contains(&n) {
            panic!("report {n} panics");
        }
        if self.fail.contains(&n) {
            return Err(format!("report {n} fails").into());
        }
        Ok(())
    }
}

#[test]
fn failures_and_panics_are_counted_and_reporting_goes_on() {
    let registry = Registry::new();
    let calls = Arc::new(AtomicU64::new(0));
    let reporter = PeriodicReporter::builder(&registry, HOUR)
        .name("scripted")
        .start(Scripted {
            calls: Arc::clone(&calls),
            fail: vec![2],
            panic: vec![3],
        })
        .unwrap();
    for _ in 0..4 {
        assert!(reporter.report_now());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(count(&registry, "reporter.scripted.reports"), 2);
    assert_eq!(count(&registry, "reporter.scripted.failures"), 1);
    assert_eq!(count(&registry, "reporter.scripted.panics"), 1);

    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        5,
        "stop sends one final report"
    );
    assert_eq!(
        (outcome.reports, outcome.failures, outcome.panics),
        (3, 1, 1)
    );
    let timer = registry.timer("reporter.scripted.duration").unwrap();
    assert_eq!(timer.count(), 5, "every report is timed, failed ones too");
}

#[test]
fn reports_see_a_fresh_snapshot_including_the_reporters_own_counts() {
    let registry = Registry::new();
    let hits = registry.counter("hits").unwrap();
    let (tx, rx) = mpsc::channel();
    let reporter = PeriodicReporter::builder(&registry, HOUR)
        .name("seen")
        .start(move |s: &RegistrySnapshot| {
            let names: Vec<String> = s.metrics.iter().map(|m| m.key.to_string()).collect();
            tx.send(names).map_err(ReportError::new)
        })
        .unwrap();
    hits.inc(1);
    assert!(reporter.report_now());
    let names = rx.recv().unwrap();
    assert!(names.contains(&"hits".to_string()));
    assert!(names.contains(&"reporter.seen.reports".to_string()));
    drop(reporter);
    assert!(
        rx.recv().is_ok(),
        "dropping the reporter sends a final report"
    );
}

#[test]
fn a_hanging_report_does_not_hang_stop() {
    let registry = Registry::new();
    let (release, hold) = mpsc::channel::<()>();
    let started = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&started);
    let reporter = PeriodicReporter::builder(&registry, HOUR)
        .name("hangs")
        .timeout(Duration::from_millis(200))
        .start(move |_: &RegistrySnapshot| {
            seen.fetch_add(1, Ordering::SeqCst);
            // Blocks until the test lets it go (or the sender is dropped).
            let _ = hold.recv();
            Ok(())
        })
        .unwrap();
    assert!(
        !reporter.report_now(),
        "report_now gives up after the timeout"
    );
    let outcome = reporter.stop();
    assert!(
        !outcome.final_report_sent,
        "stop gives up after the timeout"
    );
    assert_eq!(started.load(Ordering::SeqCst), 1);
    drop(release);
}

#[test]
fn a_name_taken_by_another_kind_is_an_error_at_start() {
    let registry = Registry::new();
    registry.gauge("reporter.clash.reports").unwrap();
    let err = PeriodicReporter::builder(&registry, HOUR)
        .name("clash")
        .start(|_: &RegistrySnapshot| Ok(()))
        .unwrap_err();
    assert!(err.to_string().contains("reporter.clash.reports"), "{err}");
}

#[test]
fn a_zero_interval_is_an_error_that_says_what_to_pass() {
    let registry = Registry::new();
    let err = PeriodicReporter::builder(&registry, Duration::ZERO)
        .start(|_: &RegistrySnapshot| Ok(()))
        .unwrap_err();
    assert!(matches!(err, BuildError::ZeroInterval), "{err:?}");
    assert!(err.to_string().contains("interval is zero"), "{err}");
    assert!(err.to_string().contains("Duration::from_secs"), "{err}");
    assert!(
        registry.is_empty(),
        "nothing registered for a reporter that never ran"
    );
}

#[test]
fn scheduled_ticks_run_reports() {
    let registry = Registry::new();
    let (tx, rx) = mpsc::channel();
    let reporter = PeriodicReporter::builder(&registry, Duration::from_millis(5))
        .name("ticks")
        .start(move |_: &RegistrySnapshot| {
            let _ = tx.send(());
            Ok(())
        })
        .unwrap();
    // Waits for events, not for time: three scheduled reports, each within
    // a generous bound.
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(30))
            .expect("a scheduled report within 30 s");
    }
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert!(outcome.reports >= 4);
}

#[test]
fn the_schedule_skips_missed_ticks_on_an_injected_clock() {
    let clock = ManualClock::new();
    let start = tachymeter_core::Clock::now(&clock);
    let mut schedule = Schedule::new(start, Duration::from_secs(10));
    // (reports, skipped) after advancing the clock by `by` seconds.
    let mut totals = (0u64, 0u64);
    let mut step = |by: u64| {
        clock.advance(Duration::from_secs(by));
        if let Some(Due { skipped }) = schedule.due(tachymeter_core::Clock::now(&clock)) {
            totals.0 += 1;
            totals.1 += skipped;
        }
        (totals, schedule.next())
    };
    // On time for a minute: 6 reports, none skipped.
    for _ in 0..59 {
        step(1);
    }
    assert_eq!(step(1).0, (6, 0));
    // One report ran 45 s: woken at 105 s, the ticks at 70..100 were missed.
    let (seen, next) = step(45);
    assert_eq!(seen, (7, 3));
    assert_eq!(next, start + Duration::from_secs(110));
    // Back on the grid.
    assert_eq!(step(5).0, (8, 3));
}

#[test]
fn a_huge_gap_does_not_overflow_the_schedule() {
    let start = Instant::now();
    let mut schedule = Schedule::new(start, Duration::from_nanos(1));
    let due = schedule
        .due(start + Duration::from_secs(100 * 365 * 24 * 3600))
        .unwrap();
    assert!(due.skipped > 1_000_000_000);
    assert!(schedule.next() > start);
}
