//! Hostile names and labels: always a valid log, each series its own tag,
//! kept for the reporter's life.

mod common;

use common::{parse, registry, TestResult};
use hdrhistogram::serialization::interval_log::Tag;
use std::collections::HashMap;
use std::time::Duration;
use tachymeter_core::MetricKey;
use tachymeter_hdrlog::{tag, HdrLogReporter, Report, MAX_TAG_LEN};
use tachymeter_testkit::SharedWriter;

fn hostile_keys() -> Vec<MetricKey> {
    vec![
        MetricKey::new(""),
        MetricKey::new(" "),
        MetricKey::new("_"),
        MetricKey::new("a b"),
        MetricKey::new("a_b"),
        MetricKey::new("a,b"),
        MetricKey::new("new\nline"),
        MetricKey::new("carriage\rreturn"),
        MetricKey::new("tab\there"),
        MetricKey::new("Tag=x,1.0,2.0,3.0,HISTFAAAAA"),
        MetricKey::new("#[StartTime: 1 (seconds since epoch)]"),
        MetricKey::new("\"StartTimestamp\""),
        MetricKey::new("ünïcødé ✓ 名前"),
        MetricKey::new("\u{2028}\u{2029}\u{85}\u{a0}\u{feff}"),
        MetricKey::new("\0nul"),
        MetricKey::new("x".repeat(3 * MAX_TAG_LEN)),
        MetricKey::new("http")
            .with_label("route", "/a, b")
            .with_label("q", "\"x\"\n"),
        MetricKey::new("http").with_label("route", "/a__b"),
        MetricKey::new("{}").with_label("", "="),
    ]
}

#[test]
fn hostile_names_give_a_valid_log_with_one_tag_per_series() -> TestResult {
    let (clock, registry) = registry();
    let keys = hostile_keys();
    // Series `i` gets `i + 1` values each report: its lines are known by
    // their counts.
    let timers = keys
        .iter()
        .map(|k| registry.timer(k.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone()).build(&registry)?;
    for _ in 0..3 {
        for (i, timer) in timers.iter().enumerate() {
            for _ in 0..=i {
                timer.update(Duration::from_micros(10));
            }
        }
        clock.advance(Duration::from_secs(10));
        reporter.report(&registry.snapshot())?;
    }
    let text = out.text();
    let log = parse(&text)?;
    // Every line is the header's or an interval's: nothing a name held
    // broke a line.
    let header_lines = text.lines().take_while(|l| !l.starts_with("Tag=")).count();
    assert_eq!(text.lines().count(), header_lines + 3 * keys.len());
    assert_eq!(log.lines.len(), 3 * keys.len());

    let mut tags_by_count: HashMap<u64, Vec<&str>> = HashMap::new();
    for line in &log.lines {
        assert!(Tag::new(&line.tag).is_some(), "{:?}", line.tag);
        assert!(
            !line.tag.is_empty()
                && line
                    .tag
                    .chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && c != ','),
            "{:?}",
            line.tag
        );
        tags_by_count
            .entry(line.histogram.len())
            .or_default()
            .push(&line.tag);
    }
    // Each series: one tag, the same in all three reports.
    let mut all_tags = Vec::new();
    for i in 0..keys.len() as u64 {
        let tags = &tags_by_count[&(i + 1)];
        assert_eq!(tags.len(), 3, "{tags:?}");
        assert!(tags.iter().all(|t| *t == tags[0]), "{tags:?}");
        all_tags.push(tags[0]);
    }
    let mut distinct = all_tags.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), keys.len(), "{all_tags:?}");

    // Names that need no cleaning keep their spelling; the others clean to
    // it and get `_2`, `_3`, … after the name.
    let tag_of = |key: &MetricKey| all_tags[keys.iter().position(|k| k == key).unwrap()];
    assert_eq!(tag_of(&MetricKey::new("_")), "_");
    assert_eq!(tag_of(&MetricKey::new("a_b")), "a_b");
    let mut numbered = [tag_of(&MetricKey::new("")), tag_of(&MetricKey::new(" "))];
    numbered.sort_unstable();
    assert_eq!(numbered, ["__2", "__3"]);
    let mut numbered = [
        tag_of(&MetricKey::new("a b")),
        tag_of(&MetricKey::new("a,b")),
    ];
    numbered.sort_unstable();
    assert_eq!(numbered, ["a_b_2", "a_b_3"]);
    assert_eq!(tag_of(&MetricKey::new("ünïcødé ✓ 名前")), "ünïcødé___名前");
    let long = tag_of(&MetricKey::new("x".repeat(3 * MAX_TAG_LEN)));
    assert_eq!(long, "x".repeat(MAX_TAG_LEN));
    let http = MetricKey::new("http").with_label("route", "/a__b");
    assert_eq!(tag_of(&http), "http{route=/a__b}");
    let hostile_http = MetricKey::new("http")
        .with_label("route", "/a, b")
        .with_label("q", "\"x\"\n");
    assert_eq!(tag(&hostile_http), "http{q=\"x\"_;route=/a__b}");
    Ok(())
}

#[test]
fn a_tag_is_kept_when_a_cleaner_name_comes_later() -> TestResult {
    let (clock, registry) = registry();
    let out = SharedWriter::default();
    let mut reporter = HdrLogReporter::builder(out.clone()).build(&registry)?;
    registry.histogram("a b")?.update(1);
    clock.advance(Duration::from_secs(10));
    reporter.report(&registry.snapshot())?;
    registry.histogram("a b")?.update(1);
    registry.histogram("a_b")?.update(2);
    registry.histogram("a_b")?.update(2);
    clock.advance(Duration::from_secs(10));
    reporter.report(&registry.snapshot())?;
    let log = parse(&out.text())?;
    let lines: Vec<(&str, u64)> = log
        .lines
        .iter()
        .map(|l| (l.tag.as_str(), l.histogram.len()))
        .collect();
    // `a b` was written as `a_b` first and keeps it.
    assert_eq!(lines, [("a_b", 1), ("a_b", 1), ("a_b_2", 2)]);
    Ok(())
}
