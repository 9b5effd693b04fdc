//! Reports read back from a real VictoriaMetrics through its OpenTSDB
//! telnet listener.

mod common;

use common::{by_key, count, inserted, rejected, tags, SeriesKey, WAIT};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{ManualClock, MetricKey, Registry};
use tachymeter_opentsdb::sanitize;
use tachymeter_report::{fields, DurationUnit, Value};
use tachymeter_testkit::VictoriaMetrics;

const NEVER: Duration = Duration::from_secs(3600);

/// Equal to VictoriaMetrics' precision: it keeps 12 significant digits.
fn close(got: f64, want: f64) -> bool {
    got == want || (got - want).abs() <= 1e-11 * want.abs()
}

#[test]
fn every_kind_reads_back_with_the_values_recorded() {
    let vm = VictoriaMetrics::start().unwrap();
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    let counter = registry
        .counter(MetricKey::new("k.counter").with_label("route", "/books"))
        .unwrap();
    counter.inc(5);
    counter.dec(2);
    registry.gauge("k.gauge").unwrap().update(-7);
    registry.gauge_f64("k.ratio").unwrap().update(0.25);
    registry.meter("k.meter").unwrap().mark(4);
    clock.advance(Duration::from_secs(10));
    let histogram = registry.histogram("k.histogram").unwrap();
    for v in [1, 2, 3, 10] {
        histogram.update(v);
    }
    let timer = registry.timer("k.timer").unwrap();
    timer.update(Duration::from_millis(1));
    timer.update(Duration::from_millis(3));

    let reporter = tachymeter_opentsdb::builder(vm.opentsdb_addr().to_string())
        .map_encoder(|e| e.prefix("kinds").tag("host", "test"))
        .start(&registry, NEVER)
        .unwrap();
    assert!(reporter.report_now());
    assert_eq!(count(&registry, "reporter.opentsdb.failures"), 0);
    assert_eq!(count(&registry, "reporter.opentsdb.connects"), 1);

    // What was sent, from the same numbers (nothing recorded since).
    let snapshot = registry.snapshot();
    let mut expected = BTreeMap::new();
    for entry in snapshot
        .metrics
        .iter()
        .filter(|e| e.key.name().starts_with("k."))
    {
        let mut tags = tags(&[("host", "test")]);
        for (k, v) in entry.key.labels() {
            tags.insert(k.clone(), v.clone());
        }
        for field in &fields(&entry.snapshot, DurationUnit::Milliseconds) {
            if field.value.is_finite() {
                let name = format!("kinds.{}.{}", entry.key.name(), field.path_suffix());
                expected.insert((name, tags.clone()), field.value);
            }
        }
    }
    // Every field of every kind, percentiles included.
    assert_eq!(expected.len(), 1 + 1 + 1 + 5 + 10 + 14);

    let series = vm
        .wait_for_export(
            r#"{__name__=~"kinds[.]k[.].*"}"#,
            |s| s.len() >= expected.len(),
            WAIT,
        )
        .unwrap();
    let got = by_key(&series);
    assert!(got.keys().eq(expected.keys()), "{:?}", got.keys());
    for (key, want) in &expected {
        let values = &got[key];
        assert_eq!(values.len(), 1, "{key:?}: {values:?}");
        match want {
            Value::Float(w) => assert!(close(values[0], *w), "{key:?}: {values:?} vs {w}"),
            other => assert_eq!(values[0], other.as_f64(), "{key:?}"),
        }
    }
    // The numbers recorded, exactly.
    let value = |name: &str| {
        let key = got
            .keys()
            .find(|(n, _)| n == &format!("kinds.k.{name}"))
            .unwrap_or_else(|| panic!("no {name}"));
        got[key][0]
    };
    assert_eq!(value("counter.count"), 3.0);
    assert_eq!(value("gauge.value"), -7.0);
    assert_eq!(value("ratio.value"), 0.25);
    assert_eq!(value("meter.count"), 4.0);
    assert_eq!(value("meter.mean"), 0.4);
    assert_eq!(value("histogram.count"), 4.0);
    assert_eq!(value("histogram.min"), 1.0);
    assert_eq!(value("histogram.max"), 10.0);
    assert_eq!(value("histogram.mean"), 4.0);
    assert_eq!(value("timer.count"), 2.0);
    assert_eq!(value("timer.min"), 1.0);
    assert_eq!(value("timer.max"), 3.0);
    assert_eq!(value("timer.mean"), 2.0);
    let route = got
        .keys()
        .find(|(n, _)| n == "kinds.k.counter.count")
        .unwrap();
    assert_eq!(route.1, tags(&[("host", "test"), ("route", "/books")]));

    // Every line the reporter wrote was inserted, none refused.
    let lines = count(&registry, "reporter.opentsdb.sent-points");
    assert!(lines as usize > expected.len());
    assert_eq!(inserted(&vm), lines as f64);
    assert_eq!(rejected(&vm), 0.0);
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(outcome.failures, 0);
}

/// Pieces of hostile names: separators of the line, the tags and other
/// formats, control characters, other scripts, reserved words.
const PIECES: [&str; 32] = [
    " ", ",", "=", "\"", "'", "\\", "\n", "\r\n", ":", "|", ";", "\t", "{", "}", "/", ".", "-",
    "_", "é", "日本", "Ω", "😀", "١", "\u{0}", "\u{301}", "__name__", "put ", "host", "a", "b",
    "x y", "",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }

    fn text(&mut self, min: usize, max: usize) -> String {
        let n = min + self.next(max - min + 1);
        (0..n).map(|_| PIECES[self.next(PIECES.len())]).collect()
    }
}

/// The tag key the reporter makes of a label key: sanitised, leading
/// underscores cut to one.
fn tag_key(key: &str) -> String {
    let key = sanitize(key);
    let rest = key.trim_start_matches('_');
    if rest.len() < key.len() {
        format!("_{rest}")
    } else {
        key.into_owned()
    }
}

#[test]
fn hostile_names_are_never_refused_and_never_inject_a_point() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut truth: BTreeMap<MetricKey, i64> = BTreeMap::new();
    for i in 0..120 {
        let name = rng.text(1, 4);
        if name.is_empty() {
            continue;
        }
        let mut key = MetricKey::new(name);
        for _ in 0..rng.next(4) {
            key = key.with_label(rng.text(0, 2), rng.text(0, 3));
        }
        let by = i as i64 + 1;
        registry.counter(key.clone()).unwrap().inc(by as u64);
        *truth.entry(key).or_default() += by;
    }
    let reporter = tachymeter_opentsdb::builder(vm.opentsdb_addr().to_string())
        .map_encoder(|e| {
            e.prefix("hostile")
                .tag("host", "test")
                .tag("env x", "a=b c\n")
        })
        .start(&registry, NEVER)
        .unwrap();
    assert!(reporter.report_now());
    assert_eq!(count(&registry, "reporter.opentsdb.failures"), 0);

    // The series expected: one per metric. Those whose name and tags
    // sanitise alike are not merged: all but one get `_2`, `_3`, … on
    // their metric name.
    let global = [("env_x", "a_b_c_"), ("host", "test")];
    let mut expected: Vec<(SeriesKey, f64)> = Vec::new();
    let mut bases = std::collections::BTreeSet::new();
    let mut alike = 0;
    for (key, total) in &truth {
        let mut tags = BTreeMap::new();
        for (k, v) in key.labels() {
            let (k, v) = (tag_key(k), sanitize(v).into_owned());
            if !k.is_empty() && !v.is_empty() {
                tags.entry(k).or_insert(v);
            }
        }
        for (k, v) in global {
            tags.entry(k.to_string()).or_insert(v.to_string());
        }
        let name = format!("hostile.{}", sanitize(key.name()));
        if !bases.insert((name.clone(), tags.clone())) {
            alike += 1;
        }
        expected.push(((name, tags), *total as f64));
    }
    // The generator makes some, so the rule is exercised.
    assert!(alike > 0);
    assert!(expected.len() > 60, "{}", expected.len());

    let series = vm
        .wait_for_export(
            r#"{__name__=~"hostile[.].*",__name__!~"hostile[.]reporter[.].*"}"#,
            |s| s.len() >= expected.len(),
            WAIT,
        )
        .unwrap();
    let got = by_key(&series);
    // Only OpenTSDB's characters reached the server.
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || "-_./".contains(c)
            || (!c.is_ascii() && c.is_alphabetic() && !c.is_numeric())
    };
    for (name, tags) in got.keys() {
        let texts = tags.iter().flat_map(|(k, v)| [k, v]);
        for text in texts.chain([name]) {
            assert!(text.chars().all(allowed), "{text:?}");
            assert!(!text.is_empty());
        }
    }
    // One series per metric, holding its own total, under its sanitised
    // name, or that name numbered.
    assert_eq!(got.len(), expected.len());
    let totals: std::collections::BTreeSet<u64> =
        expected.iter().map(|(_, t)| t.to_bits()).collect();
    assert_eq!(totals.len(), expected.len(), "totals tell metrics apart");
    for ((base, tags), total) in &expected {
        let found: Vec<_> = got
            .iter()
            .filter(|(_, values)| values[..] == [*total])
            .collect();
        assert_eq!(found.len(), 1, "{base} {tags:?} = {total}: {found:?}");
        let ((name, got_tags), _) = found[0];
        assert_eq!(got_tags, tags);
        let metric = name.strip_suffix(".count").unwrap();
        let numbered = metric
            .strip_prefix(base.as_str())
            .and_then(|n| n.strip_prefix('_'))
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 2));
        assert!(metric == base || numbered, "{name} for {base}");
    }
    assert_eq!(rejected(&vm), 0.0);
    assert_eq!(
        inserted(&vm),
        count(&registry, "reporter.opentsdb.sent-points") as f64
    );
    assert_eq!(
        count(&registry, "reporter.opentsdb.dropped-too-many-tags"),
        0
    );
    drop(reporter);
}

/// A series carries one metric for the reporter's life: `a_b`, registered
/// after `a b` was sent as `a_b`, gets `a_b_2` rather than taking `a_b`
/// over.
#[test]
fn a_later_metric_never_takes_a_series_already_sent() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    let reporter = tachymeter_opentsdb::builder(vm.opentsdb_addr().to_string())
        .map_encoder(|e| e.prefix("clash").tag("host", "test"))
        .start(&registry, NEVER)
        .unwrap();
    registry.counter("a b").unwrap().inc(111);
    assert!(reporter.report_now());
    registry.counter("a_b").unwrap().inc(222);
    assert!(reporter.report_now());
    let series = vm
        .wait_for_export(r#"{__name__=~"clash[.]a.*"}"#, |s| s.len() >= 2, WAIT)
        .unwrap();
    let got = by_key(&series);
    let values = |name: &str| got[&(name.to_string(), tags(&[("host", "test")]))].clone();
    assert!(values("clash.a_b.count").iter().all(|&v| v == 111.0));
    assert!(values("clash.a_b_2.count").iter().all(|&v| v == 222.0));
    assert_eq!(got.len(), 2, "{:?}", got.keys());
    assert_eq!(rejected(&vm), 0.0);
}
