//! Failed and cut writes: the report fails, the log stays valid, and no
//! value is lost or counted twice.

mod common;

use common::{base_time, parse, registry, TestResult};
use std::io;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_hdrlog::{HdrLogReporter, PeriodicReporter, Report};
use tachymeter_testkit::{FailingWriter, FlakyWriter, SharedWriter};

/// Three reports of two series through a writer that fails once after
/// `budget` bytes; the log and how many values each tag got in all.
fn run(budget: usize, chunk: usize) -> Result<(String, [u64; 2], u32), Box<dyn std::error::Error>> {
    let (clock, registry) = registry();
    let a = registry.timer("a")?;
    let b = registry.histogram("b")?;
    let out = SharedWriter::default();
    let writer = FlakyWriter::new(out.clone(), budget).chunk(chunk);
    let mut reporter = HdrLogReporter::builder(writer)
        .base_time(base_time())
        .build(&registry)?;
    let mut failures = 0;
    for round in 1..=3u64 {
        for v in 0..round * 10 {
            a.update(Duration::from_micros(v + 1));
            b.update(v * 1000);
        }
        clock.advance(Duration::from_secs(10));
        if reporter.report(&registry.snapshot()).is_err() {
            failures += 1;
        }
    }
    // A last report, so that what a failure left behind goes out.
    reporter.report(&registry.snapshot())?;
    let text = out.text();
    let log = parse(&text)?;
    let total = |tag: &str| log.of(tag).iter().map(|l| l.histogram.len()).sum::<u64>();
    Ok((text, [total("a"), total("b")], failures))
}

#[test]
fn a_write_cut_anywhere_leaves_a_valid_log_and_loses_nothing() -> TestResult {
    let (clean, totals, failures) = run(usize::MAX, usize::MAX)?;
    assert_eq!((totals, failures), ([60, 60], 0));
    // Every cut in the first report (header and lines): the report fails,
    // and the log read back is valid with every value exactly once.
    let first_report = clean.lines().take_while(|l| !l.starts_with("Tag=")).count();
    let first_len = clean
        .split_inclusive('\n')
        .take(first_report + 2)
        .map(str::len)
        .sum::<usize>();
    for budget in 0..=first_len {
        for chunk in [7, usize::MAX] {
            let (text, totals, failures) =
                run(budget, chunk).map_err(|e| format!("cut at {budget}: {e}"))?;
            assert_eq!(failures, 1, "cut at {budget}");
            assert_eq!(totals, [60, 60], "cut at {budget}:\n{text}");
            assert_eq!(text.matches("#[StartTime: ").count(), 1, "cut at {budget}");
        }
    }
    Ok(())
}

#[test]
fn a_failing_writer_fails_each_report_with_its_error() -> TestResult {
    let registry = Registry::new();
    registry.histogram("h")?.update(1);
    let mut reporter = HdrLogReporter::builder(FailingWriter).build(&registry)?;
    let error = reporter.report(&registry.snapshot()).unwrap_err();
    assert_eq!(error.to_string(), "disk full");
    assert!(error.downcast_ref::<io::Error>().is_some());
    // As a periodic reporter: counted as failures, never a panic.
    let reporter = HdrLogReporter::builder(FailingWriter)
        .name("broken")
        .start(&registry, Duration::from_secs(3600))?;
    let outcome = PeriodicReporter::stop(reporter);
    assert_eq!((outcome.failures, outcome.panics), (1, 0));
    Ok(())
}
