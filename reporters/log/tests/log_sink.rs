//! The `log` sink, seen by a logger installed for this test binary.
#![cfg(feature = "log")]

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use tachymeter_core::{ManualClock, Registry};
use tachymeter_log::{Level, LogReporter, Sink, TARGET};
use tachymeter_report::Report;

/// Every record logged: level, target, message.
static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        RECORDS.lock().unwrap().push((
            record.level(),
            record.target().to_string(),
            record.args().to_string(),
        ));
    }

    fn flush(&self) {}
}

/// Installs the logger once, then runs tests one at a time (the logger is
/// global) with no records left from an earlier one.
fn exclusive() -> MutexGuard<'static, ()> {
    static INSTALL: OnceLock<()> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    INSTALL.get_or_init(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    RECORDS.lock().unwrap().clear();
    guard
}

/// The records with target `metrics`.
fn reports() -> Vec<(log::Level, String)> {
    RECORDS
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, target, _)| target == TARGET)
        .map(|(level, _, message)| (*level, message.clone()))
        .collect()
}

#[test]
fn one_record_per_report_at_the_chosen_level() {
    let _guard = exclusive();
    let registry = Registry::new();
    let requests = registry.counter("requests").unwrap();
    requests.inc(2);
    let mut reporter = LogReporter::builder()
        .sink(Sink::log())
        .level(Level::Debug)
        .build();

    reporter.report(&registry.snapshot()).unwrap();
    requests.inc(1);
    reporter.report(&registry.snapshot()).unwrap();

    // The message is the report without its last newline, after a first
    // line of its own: the logger's header shares that line, and every
    // block starts on a line of its own.
    assert_eq!(
        reports(),
        [
            (
                log::Level::Debug,
                "metrics\ncounter requests\n  count: 2".to_string()
            ),
            (
                log::Level::Debug,
                "metrics\ncounter requests\n  count: 3".to_string()
            ),
        ]
    );
}

#[test]
fn the_one_call_start_logs_at_info() {
    let _guard = exclusive();
    // A clock that never moves: no scheduled tick, only report_now and stop.
    let registry = Registry::builder()
        .clock(Arc::new(ManualClock::new()))
        .build();
    registry.gauge("queue").unwrap().update(7);

    let reporter = tachymeter_log::log(&registry, Duration::from_secs(3600)).unwrap();
    assert!(reporter.report_now());
    let first = reports();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, log::Level::Info);
    // The reporter's own series are left out by default: the gauge is all.
    assert_eq!(first[0].1, "metrics\ngauge queue\n  value: 7");

    assert!(reporter.stop().final_report_sent);
    let both = reports();
    assert_eq!(both.len(), 2);
    assert!(both.iter().all(|(level, _)| *level == log::Level::Info));
}
