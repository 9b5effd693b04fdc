//! JSON Lines reports, and their failures as a periodic reporter counts them.

use serde_json::Value;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{ManualClock, Registry};
use tachymeter_json::{to_json, write_json_every, JsonReport};
use tachymeter_report::Report;
use tachymeter_testkit::{FailingWriter, FlakyWriter, SharedWriter};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn each_report_is_one_newline_terminated_line() -> TestResult {
    let registry = Registry::new();
    let jobs = registry.counter("jobs")?;
    registry.gauge_f64("nan")?.update(f64::NAN);
    let out = SharedWriter::default();
    let mut report = JsonReport::new(out.clone());
    for _ in 0..3 {
        jobs.inc(1);
        report.report(&registry.snapshot())?;
    }
    let text = out.text();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        let doc: Value = serde_json::from_str(line)?;
        assert_eq!(doc["jobs"]["count"], i + 1);
        assert_eq!(doc["nan"]["value"], Value::Null);
    }
    assert_eq!(lines[2], to_json(&registry.snapshot()));
    Ok(())
}

#[test]
fn a_boxed_writer_is_accepted() -> TestResult {
    let out = SharedWriter::default();
    let boxed: Box<dyn Write + Send> = Box::new(out.clone());
    let mut report = JsonReport::new(boxed);
    report.report(&Registry::new().snapshot())?;
    assert_eq!(out.text(), "{}\n");
    Ok(())
}

#[test]
fn a_line_cut_short_never_corrupts_the_next_one() -> TestResult {
    let registry = Registry::new();
    registry.counter("jobs")?.inc(1);
    let out = SharedWriter::default();
    let mut report = JsonReport::new(FlakyWriter::new(out.clone(), 5));
    let error = report.report(&registry.snapshot()).unwrap_err();
    assert_eq!(error.to_string(), "connection reset");
    report.report(&registry.snapshot())?;
    report.report(&registry.snapshot())?;
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    let whole = to_json(&registry.snapshot());
    assert_eq!(lines, [&whole[..5], &whole, &whole]);
    Ok(())
}

#[test]
fn a_failure_before_any_byte_leaves_no_blank_line() -> TestResult {
    /// Fails its first write, then takes everything.
    struct FailsOnce {
        out: SharedWriter,
        failed: bool,
    }
    impl Write for FailsOnce {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.failed {
                self.failed = true;
                return Err(io::Error::other("not yet"));
            }
            self.out.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    let registry = Registry::new();
    let out = SharedWriter::default();
    let mut report = JsonReport::new(FailsOnce {
        out: out.clone(),
        failed: false,
    });
    assert!(report.report(&registry.snapshot()).is_err());
    report.report(&registry.snapshot())?;
    assert_eq!(out.text(), "{}\n");
    Ok(())
}

#[test]
fn write_json_every_writes_a_line_per_report_and_one_at_stop() -> TestResult {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock).build();
    let jobs = registry.counter("jobs")?;
    let out = SharedWriter::default();
    // An interval that never comes: reports happen only when asked.
    let reporter = write_json_every(&registry, Duration::from_secs(3600), out.clone())?;
    jobs.inc(1);
    assert!(reporter.report_now());
    jobs.inc(1);
    assert!(reporter.report_now());
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(outcome.reports, 3);
    assert_eq!(outcome.failures, 0);

    let text = out.text();
    let lines: Vec<Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(lines.len(), 3);
    let counts: Vec<&Value> = lines.iter().map(|l| &l["jobs"]["count"]).collect();
    assert_eq!(counts, [1, 2, 2]);
    // The reporter's own metrics are in the same registry.
    assert_eq!(lines[2]["reporter.json.reports"]["count"], 2);
    Ok(())
}

#[test]
fn a_failing_writer_is_counted_as_a_failure() -> TestResult {
    let registry = Registry::new();
    let reporter = write_json_every(&registry, Duration::from_secs(3600), FailingWriter)?;
    assert!(reporter.report_now());
    assert_eq!(registry.counter("reporter.json.failures")?.count(), 1);
    assert_eq!(registry.counter("reporter.json.reports")?.count(), 0);
    assert!(reporter.report_now());
    assert_eq!(registry.counter("reporter.json.failures")?.count(), 2);
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(outcome.failures, 3);
    assert_eq!(outcome.reports, 0);
    Ok(())
}

#[test]
fn a_description_and_its_unit_are_fields_of_the_metric() -> TestResult {
    let registry = Registry::new();
    registry.describe(
        "upload",
        "Size of each upload",
        Some(tachymeter_core::Unit::Bytes),
    );
    registry.histogram("upload")?.update(10);
    registry.counter("plain")?.inc(1);
    let doc: Value = serde_json::from_str(&to_json(&registry.snapshot()))?;
    assert_eq!(doc["upload"]["description"], "Size of each upload");
    assert_eq!(doc["upload"]["unit"], "bytes");
    assert_eq!(doc["upload"]["count"], 1);
    assert!(doc["plain"].get("description").is_none());
    Ok(())
}
