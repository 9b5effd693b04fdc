//! `LogReporter` with a writer sink, by hand and on a `PeriodicReporter`.

use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{ManualClock, Registry};
use tachymeter_log::{LogReporter, Quiet, Sink};
use tachymeter_report::Report;
use tachymeter_testkit::{FailingWriter, SharedWriter};

/// A registry on a clock that never moves, so a periodic reporter never
/// reaches a scheduled tick: only `report_now` and `stop` report.
fn registry() -> Registry {
    Registry::builder()
        .clock(Arc::new(ManualClock::new()))
        .build()
}

#[test]
fn a_writer_gets_each_report_whole_with_its_title() {
    let registry = registry();
    let requests = registry.counter("requests").unwrap();
    requests.inc(2);
    let out = SharedWriter::default();
    let mut reporter = LogReporter::builder()
        .title("metrics")
        .timestamp(false)
        .sink(Sink::writer(out.clone()))
        .build();

    reporter.report(&registry.snapshot()).unwrap();
    requests.inc(1);
    reporter.report(&registry.snapshot()).unwrap();

    assert_eq!(
        out.text(),
        "\
metrics
counter requests
  count: 2
metrics
counter requests
  count: 3
"
    );
}

#[test]
fn a_writer_report_starts_with_a_title_and_the_time_by_default() {
    let registry = registry();
    registry.counter("requests").unwrap().inc(2);
    let out = SharedWriter::default();
    let mut reporter = LogReporter::builder()
        .sink(Sink::writer(out.clone()))
        .build();
    reporter.report(&registry.snapshot()).unwrap();
    let text = out.text();
    let (first, rest) = text.split_once('\n').unwrap();
    let stamp = first
        .strip_prefix("metrics ")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{text}");
    assert_eq!(rest, "counter requests\n  count: 2\n");
}

#[test]
fn nothing_to_say_writes_nothing() {
    let out = SharedWriter::default();
    let mut reporter = LogReporter::builder()
        .sink(Sink::writer(out.clone()))
        .build();
    reporter.report(&Registry::new().snapshot()).unwrap();
    assert_eq!(out.text(), "");
}

#[test]
fn the_timestamp_follows_the_title() {
    let reporter = LogReporter::builder()
        .title("metrics at")
        .timestamp(true)
        .build();
    let registry = Registry::new();
    registry.gauge("queue").unwrap().update(1);
    let text = reporter.render(&registry.snapshot());
    let stamp = text
        .lines()
        .next()
        .and_then(|t| t.strip_prefix("metrics at "))
        .unwrap();
    // YYYY-MM-DDTHH:MM:SSZ
    assert_eq!(stamp.len(), 20, "{stamp}");
    for (i, c) in stamp.char_indices() {
        let expected = match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        };
        assert!(expected, "{stamp}");
    }
    assert!(stamp >= "2024", "{stamp}");

    // Without a title of its own, the default one.
    let untitled = LogReporter::builder().timestamp(true).build();
    let text = untitled.render(&registry.snapshot());
    assert_eq!(
        text.lines().next().unwrap().len(),
        "metrics ".len() + 20,
        "{text}"
    );
}

#[test]
fn a_failing_writer_is_a_failed_report_for_the_periodic_reporter() {
    let registry = registry();
    registry.counter("requests").unwrap().inc(1);

    let mut by_hand = LogReporter::builder()
        .sink(Sink::writer(FailingWriter))
        .build();
    let error = by_hand.report(&registry.snapshot()).unwrap_err();
    assert_eq!(error.to_string(), "disk full");

    let reporter = LogReporter::builder()
        .sink(Sink::writer(FailingWriter))
        .start(&registry, Duration::from_secs(3600))
        .unwrap();
    assert!(reporter.report_now());
    let failures = registry.counter("reporter.log.failures").unwrap();
    let reports = registry.counter("reporter.log.reports").unwrap();
    assert_eq!((failures.count(), reports.count()), (1, 0));

    // The final report on stop fails too.
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(
        (outcome.failures, outcome.reports, outcome.panics),
        (2, 0, 0)
    );
}

#[test]
fn a_periodic_reporter_writes_on_demand_and_on_stop() {
    let registry = registry();
    registry.counter("requests").unwrap().inc(4);
    let out = SharedWriter::default();
    // Every series: the reporter's own are left out unless asked for.
    let reporter = LogReporter::builder()
        .sink(Sink::writer(out.clone()))
        .name("text")
        .quiet(Quiet::default())
        .start(&registry, Duration::from_secs(3600))
        .unwrap();

    assert!(reporter.report_now());
    let first = out.text();
    assert!(first.contains("counter requests\n  count: 4\n"), "{first}");
    // The reporter's own metrics are in the registry too, under its name.
    assert!(
        first.contains("timer reporter.text.duration \u{2014} Time each report took"),
        "{first}"
    );

    let outcome = reporter.stop();
    assert_eq!((outcome.reports, outcome.failures), (2, 0));
    let both = out.text();
    assert_eq!(both.matches("counter requests\n").count(), 2);
    // The second report counts the first.
    assert!(
        both[first.len()..].contains(
            "counter reporter.text.reports \u{2014} Reports made (reporter text)\n  count: 1\n"
        ),
        "{both}"
    );
}
