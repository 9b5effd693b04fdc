//! What each line holds: exactly the values new since the series' previous
//! line, over the right span of time; what is remembered and forgotten.

mod common;

use common::{base_time, parse, registry, secs, TestResult};
use std::time::Duration;
use tachymeter_core::MetricKey;
use tachymeter_hdrlog::{error_bound, DurationUnit, HdrLogReporter, PeriodicReporter, Report};
use tachymeter_report::Quiet;
use tachymeter_testkit::{SharedWriter, TempDir};

const TEN: Duration = Duration::from_secs(10);

/// The values of a decoded line, each bucket's value once per count.
fn values(line: &common::Line) -> Vec<u64> {
    line.histogram
        .iter_recorded()
        .flat_map(|v| std::iter::repeat_n(v.value_iterated_to(), v.count_at_value() as usize))
        .collect()
}

/// Whether `read` (lowest to highest) matches `exact` one by one, within
/// the documented bound.
fn close(read: &[u64], exact: &[u64], bound: f64) -> bool {
    let mut exact = exact.to_vec();
    exact.sort_unstable();
    read.len() == exact.len()
        && read
            .iter()
            .zip(&exact)
            .all(|(&r, &e)| (r as f64 - e as f64).abs() <= e as f64 * bound)
}

#[test]
fn each_line_holds_exactly_the_new_values() -> TestResult {
    let (clock, registry) = registry();
    let timer = registry.timer("t")?;
    let sizes = registry.histogram("h")?;
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone())
        .base_time(base_time())
        .build(&registry)?;
    let bound = error_bound(sizes.snapshot().relative_error);

    let first_t = [1_000_000u64, 2_500_000, 3_000_000, 40_000_000, 7];
    for ns in first_t {
        timer.update(Duration::from_nanos(ns));
    }
    for v in [10, 20, 30] {
        sizes.update(v);
    }
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;

    let second_t = [5_000u64, 123_456_789];
    for ns in second_t {
        timer.update(Duration::from_nanos(ns));
    }
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;

    let third_h = [1u64, 1, 1_000_000, 77];
    for v in third_h {
        sizes.update(v);
    }
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;

    let log = parse(&out.text())?;
    let base = base_time().duration_since(std::time::UNIX_EPOCH)?;
    assert_eq!(
        (log.start_time.clone(), log.base_time.clone()),
        (vec![base], vec![base])
    );
    let summary: Vec<(&str, Duration, Duration, u64)> = log
        .lines
        .iter()
        .map(|l| (l.tag.as_str(), l.start, l.length, l.histogram.len()))
        .collect();
    assert_eq!(
        summary,
        [
            // In the registry's order.
            ("h", secs(0.0), TEN, 3),
            ("t", secs(0.0), TEN, 5),
            ("t", TEN, TEN, 2),
            // Nothing new in the second interval: no line, and the third
            // starts where the second ended.
            ("h", secs(20.0), TEN, 4),
        ]
    );
    assert!(close(&values(&log.lines[0]), &[10, 20, 30], bound));
    assert!(close(&values(&log.lines[1]), &first_t, bound));
    assert!(close(&values(&log.lines[2]), &second_t, bound));
    assert!(close(&values(&log.lines[3]), &third_h, bound));
    // Exact where the bucket is one value wide, or narrowed to the exact
    // minimum and maximum.
    assert_eq!(values(&log.lines[3])[..2], [1, 1]);
    assert_eq!(log.lines[1].histogram.min(), 7);
    Ok(())
}

#[test]
fn a_first_line_starts_when_the_series_was_created() -> TestResult {
    let (clock, registry) = registry();
    let early = registry.histogram("early")?;
    clock.advance(TEN);
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone())
        .base_time(base_time())
        .build(&registry)?;
    clock.advance(Duration::from_secs(5));
    let late = registry.histogram("late")?;
    early.update(1);
    late.update(2);
    clock.advance(Duration::from_secs(5));
    reporter.report(&registry.snapshot())?;
    let log = parse(&out.text())?;
    // Created before the reporter: from the reporter's start.
    let early_line = &log.of("early")[0];
    assert_eq!((early_line.start, early_line.length), (secs(0.0), TEN));
    let late_line = &log.of("late")[0];
    assert_eq!((late_line.start, late_line.length), (secs(5.0), secs(5.0)));
    Ok(())
}

#[test]
fn empty_intervals_are_written_when_asked() -> TestResult {
    let (clock, registry) = registry();
    registry.histogram("idle")?;
    registry.timer("busy")?.update(Duration::from_millis(3));
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone())
        .write_empty(true)
        .build(&registry)?;
    for _ in 0..2 {
        clock.advance(TEN);
        reporter.report(&registry.snapshot())?;
    }
    let log = parse(&out.text())?;
    let counts: Vec<(&str, u64)> = log
        .lines
        .iter()
        .map(|l| (l.tag.as_str(), l.histogram.len()))
        .collect();
    assert_eq!(counts, [("busy", 1), ("idle", 0), ("busy", 0), ("idle", 0)]);
    Ok(())
}

#[test]
fn a_removed_series_is_forgotten_and_starts_over() -> TestResult {
    let (clock, registry) = registry();
    let key = MetricKey::new("jobs").with_label("queue", "mail");
    let old = registry.histogram(key.clone())?;
    for v in 1..=5 {
        old.update(v);
    }
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone()).build(&registry)?;
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;
    assert_eq!(reporter.tracked_series(), 1);

    registry.unregister(key.clone());
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;
    assert_eq!(reporter.tracked_series(), 0);

    // Registered anew with fewer values than the old one had: all of them,
    // from its creation.
    clock.advance(TEN);
    let new = registry.histogram(key.clone())?;
    new.update(9);
    new.update(9);
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;
    // Replaced between two reports: its count went down, so it starts over.
    registry.unregister(key.clone());
    let newer = registry.histogram(key.clone())?;
    newer.update(4);
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;

    let log = parse(&out.text())?;
    let lines: Vec<(Duration, Duration, u64, u64)> = log
        .of("jobs{queue=mail}")
        .iter()
        .map(|l| (l.start, l.length, l.histogram.len(), l.histogram.max()))
        .collect();
    assert_eq!(
        lines,
        [
            (secs(0.0), TEN, 5, 5),
            (secs(30.0), TEN, 2, 9),
            (secs(40.0), TEN, 1, 4),
        ]
    );
    Ok(())
}

#[test]
fn a_series_left_out_of_a_report_but_registered_is_kept() -> TestResult {
    let (clock, registry) = registry();
    let sizes = registry.histogram("sizes")?;
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone()).build(&registry)?;
    let mut quiet = Quiet::default().unchanged(true);
    sizes.update(1);
    for added in [3, 0, 2] {
        for _ in 0..added {
            sizes.update(100);
        }
        clock.advance(TEN);
        reporter.report(&quiet.apply(registry.snapshot()))?;
        assert_eq!(reporter.tracked_series(), 1);
    }
    let log = parse(&out.text())?;
    let lines: Vec<(Duration, Duration, u64)> = log
        .lines
        .iter()
        .map(|l| (l.start, l.length, l.histogram.len()))
        .collect();
    // Left out of the second report (unchanged): the third line holds only
    // its two new values, over the two intervals since the first line.
    assert_eq!(lines, [(secs(0.0), TEN, 4), (TEN, secs(20.0), 2)]);
    Ok(())
}

#[test]
fn timer_values_in_the_unit_asked() -> TestResult {
    let (clock, registry) = registry();
    let timer = registry.timer("t")?;
    let sizes = registry.histogram("h")?;
    timer.update(Duration::from_micros(1_500));
    timer.update(Duration::from_micros(3));
    sizes.update(1_500);
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone())
        .duration_unit(DurationUnit::Microseconds)
        .build(&registry)?;
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;
    let text = out.text();
    assert!(text.contains("\n#[Timer values in microseconds; histogram values as recorded]\n"));
    let log = parse(&text)?;
    let t = &log.of("t")[0];
    let bound = error_bound(sizes.snapshot().relative_error);
    // 3 µs is narrowed to the exact minimum; 1.5 ms is its bucket's middle.
    assert_eq!(t.histogram.min(), 3);
    assert!((t.histogram.max() as f64 - 1_500.0).abs() <= 1_500.0 * bound);
    assert_eq!(t.max, t.histogram.max() as f64);
    let h = &log.of("h")[0].histogram;
    assert_eq!((h.min(), h.max()), (1_500, 1_500));
    Ok(())
}

#[test]
fn only_timers_and_histograms_are_written() -> TestResult {
    let (clock, registry) = registry();
    registry.counter("c")?.inc(3);
    registry.gauge("g")?.update(4);
    registry.meter("m")?.mark(5);
    registry.histogram("h")?.update(6);
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone()).build(&registry)?;
    clock.advance(TEN);
    reporter.report(&registry.snapshot())?;
    let log = parse(&out.text())?;
    let tags: Vec<&str> = log.lines.iter().map(|l| l.tag.as_str()).collect();
    assert_eq!(tags, ["h"]);
    Ok(())
}

#[test]
fn the_header_is_written_once_even_without_lines() -> TestResult {
    let (clock, registry) = registry();
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone())
        .comment("run 7")
        .build(&registry)?;
    reporter.report(&registry.snapshot())?;
    let header = out.text();
    assert!(header.starts_with("#[Logged with tachymeter-hdrlog "));
    assert!(header.contains("\n# run 7\n"));
    assert!(header.ends_with(
        "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
    ));
    let h = registry.histogram("h")?;
    for _ in 0..3 {
        h.update(1);
        clock.advance(TEN);
        reporter.report(&registry.snapshot())?;
    }
    let text = out.text();
    assert_eq!(text.matches("#[StartTime: ").count(), 1);
    assert_eq!(parse(&text)?.lines.len(), 3);
    Ok(())
}

#[test]
fn a_periodic_reporter_writes_a_file() -> TestResult {
    let dir = TempDir::new("hdrlog")?;
    let path = dir.path().join("latency.hlog");
    let registry = tachymeter_core::Registry::new();
    let latency = registry.timer("get-book")?;
    let reporter = HdrLogReporter::create(&path)?
        .name("latency-log")
        .start(&registry, Duration::from_secs(3600))?;
    for ms in 1..=20 {
        latency.update(Duration::from_millis(ms));
    }
    let outcome = PeriodicReporter::stop(reporter);
    assert!(outcome.final_report_sent);
    assert_eq!((outcome.reports, outcome.failures), (1, 0));
    let log = parse(&std::fs::read_to_string(&path)?)?;
    let lines = log.of("get-book");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].histogram.len(), 20);
    let bound = error_bound(latency.snapshot().durations.relative_error);
    let (min, max) = (
        lines[0].histogram.min() as f64,
        lines[0].histogram.max() as f64,
    );
    assert!((min - 1e6).abs() <= 1e6 * bound, "{min}");
    assert!((max - 20e6).abs() <= 20e6 * bound, "{max}");
    assert!(registry
        .get("reporter.latency-log.skipped-series")
        .is_some());
    Ok(())
}
