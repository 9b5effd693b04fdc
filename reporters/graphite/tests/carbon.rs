//! The reporter against a real carbon-cache, read back from whisper.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_report::Report;
use tachymeter_testkit::{own_count, Carbon};

/// Every metric path carbon has a whisper file for.
fn stored_paths(carbon: &Carbon) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if entry.path().is_dir() {
                walk(&entry.path(), &path, out);
            } else if let Some(metric) = path.strip_suffix(".wsp") {
                out.insert(metric.to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    let root = carbon.whisper_file("x");
    walk(root.parent().unwrap(), "", &mut out);
    out
}

/// Waits until carbon's whisper files are exactly `expected`.
fn wait_for_exactly(carbon: &Carbon, expected: &BTreeSet<String>) {
    carbon
        .process()
        .poll(
            "carbon's metrics to be exactly the expected set",
            WAIT,
            || {
                let stored = stored_paths(carbon);
                if &stored == expected {
                    Ok(Ok(()))
                } else {
                    let missing: Vec<_> = expected.difference(&stored).collect();
                    let extra: Vec<_> = stored.difference(expected).collect();
                    Ok(Err(format!("missing {missing:?}, unexpected {extra:?}")))
                }
            },
            |last| last,
        )
        .unwrap();
}

/// Carbon logged no line it could not parse.
fn assert_no_rejected_lines(carbon: &Carbon) {
    let log = std::fs::read_to_string(carbon.process().log_path()).unwrap();
    for bad in ["invalid line", "Error parsing", "Traceback"] {
        assert!(!log.contains(bad), "carbon logged {bad:?}:\n{log}");
    }
}

#[test]
fn every_kind_reads_back_with_the_values_recorded() {
    let carbon = Carbon::start().unwrap();
    let registry = Registry::new();
    record_kinds(&registry, &[]);
    registry
        .counter(MetricKey::new("kinds.requests").with_label("code", "200"))
        .unwrap()
        .inc(7);
    let own = Registry::new();
    let mut reporter = tachymeter_graphite::builder(carbon.line_addr().to_string())
        .map_encoder(|e| e.prefix("app"))
        .build(&own)
        .unwrap();

    let snapshot = registry.snapshot();
    let before = unix_now();
    reporter
        .report(&snapshot)
        .expect("a report to a running carbon");
    let after = unix_now();

    let fields = finite_fields(&snapshot);
    let mut expected = BTreeSet::new();
    let mut checked = 0;
    for (key, suffix, value) in &fields {
        let path = untagged_path("app", key, suffix);
        let (t, read) = carbon
            .wait_for_point(&path, |_, v| v == *value, WAIT)
            .unwrap();
        assert!((before..=after).contains(&t), "{path}: stamped {t}");
        if key.labels().is_empty() {
            if let Some(truth) = truth(key.name(), suffix) {
                assert!(
                    truth.holds(read, relative_error()),
                    "{path}: read {read}, recorded {truth:?}"
                );
                checked += 1;
            }
        }
        expected.insert(path);
    }
    // Every number but the rates (read back as reported) has a truth.
    assert_eq!(checked, 29);
    let labelled = MetricKey::new("kinds.requests").with_label("code", "200");
    assert!(fields.contains(&(labelled, "count", 7.0)));
    assert!(expected.contains("app.kinds.requests.code.200.count"));
    // Nothing else: no NaN gauge, no percentile of the idle histogram.
    wait_for_exactly(&carbon, &expected);
    // The NaN gauge and the idle histogram's five percentiles.
    assert_eq!(own_count(&own, "graphite", "dropped-non-finite"), 6);
    assert_eq!(own_count(&own, "graphite", "connects"), 1);
    assert_no_rejected_lines(&carbon);
}

#[test]
fn hostile_names_and_labels_are_neither_rejected_nor_injected() {
    let carbon = Carbon::start().unwrap();
    let registry = Registry::new();
    let hostile = hostile_counters(&registry);
    // Names that sanitise alike: the unchanged one keeps its path.
    let clashes = [
        ("dup key", 100, "hostile.dup_key_2.count"),
        ("dup_key", 200, "hostile.dup_key.count"),
        // No segment of their own: `_` under the prefix, never the prefix.
        ("", 300, "hostile._.count"),
        ("..", 400, "hostile.__2.count"),
    ];
    for (name, n, _) in clashes {
        registry.counter(name).unwrap().inc(n);
    }
    let mut reporter = tachymeter_graphite::builder(carbon.line_addr().to_string())
        .map_encoder(|e| e.prefix("hostile"))
        .build(&Registry::new())
        .unwrap();
    let (_, _, outcome) = report_once(&mut reporter, &registry);
    outcome.unwrap();

    let mut expected: Vec<(String, f64)> = hostile
        .iter()
        .map(|h| (untagged_path("hostile", &h.key, "count"), h.count as f64))
        .collect();
    expected.extend(clashes.iter().map(|(_, n, p)| (p.to_string(), *n as f64)));
    let paths: BTreeSet<String> = expected.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(paths.len(), expected.len(), "the expected paths clash");
    wait_for_exactly(&carbon, &paths);
    for (path, value) in &expected {
        let (_, read) = carbon.wait_for_point(path, |_, _| true, WAIT).unwrap();
        assert_eq!(read, *value, "{path}");
    }
    assert_no_rejected_lines(&carbon);
}

#[test]
fn recovers_from_three_crashes_and_ends_with_the_true_counts() {
    let carbon = Carbon::start().unwrap();
    let registry = Registry::new();
    let work = registry.counter("work").unwrap();
    let latency = registry.timer("latency").unwrap();
    let running = Arc::new(AtomicBool::new(true));
    let app = {
        let running = Arc::clone(&running);
        std::thread::spawn(move || {
            let mut n = 0u64;
            while running.load(Ordering::Relaxed) {
                work.inc(1);
                latency.update(Duration::from_micros(n % 1000));
                n += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            n
        })
    };
    let reporter = tachymeter_graphite::builder(carbon.line_addr().to_string())
        .map_encoder(|e| e.prefix("crash"))
        .timeout(Duration::from_secs(1))
        .start(&registry, Duration::from_secs(3600))
        .unwrap();
    let own = |what: &str| own_count(&registry, "graphite", what);
    // Reports until one gets through (a backoff may be running).
    let report_until_sent = || {
        let sent = own("reports");
        let deadline = Instant::now() + WAIT;
        while own("reports") == sent {
            assert!(Instant::now() < deadline, "no report got through");
            assert!(reporter.report_now());
            if own("reports") == sent {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };

    for round in 0..3 {
        report_until_sent();
        assert_eq!(own("connects"), round + 1);
        carbon.kill();
        let failures = own("failures");
        assert!(reporter.report_now());
        assert_eq!(own("failures"), failures + 1, "a report to a dead carbon");
        assert_eq!(own("connect-failures"), round + 1);
        carbon.restart().unwrap();
    }
    running.store(false, Ordering::Relaxed);
    let truth = app.join().unwrap();
    report_until_sent();
    assert_eq!(own("connects"), 4);
    assert_eq!(own("connect-failures"), 3);
    assert_eq!(own("send-failures"), 0);

    for path in ["crash.work.count", "crash.latency.count"] {
        let (_, read) = carbon
            .wait_for_point(path, |_, v| v == truth as f64, WAIT)
            .unwrap();
        assert_eq!(read, truth as f64, "{path}");
    }
    let backed_off = own("backed-off");
    let outcome = reporter.stop();
    assert!(outcome.final_report_sent);
    assert_eq!(outcome.failures, 3 + backed_off as u64);
}

/// Names that have no segment of their own (empty, only dots) stay under
/// the reporter's prefix, also when they clash: carbon creates nothing
/// beside the application's own directory.
#[test]
fn names_without_segments_stay_in_the_prefix_namespace() {
    let carbon = Carbon::start().unwrap();
    let registry = Registry::new();
    registry.counter("").unwrap().inc(1);
    registry.counter(".").unwrap().inc(2);
    registry.counter("..").unwrap().inc(3);
    let mut reporter = tachymeter_graphite::builder(carbon.line_addr().to_string())
        .map_encoder(|e| e.prefix("app"))
        .build(&Registry::new())
        .unwrap();
    let (_, _, outcome) = report_once(&mut reporter, &registry);
    outcome.unwrap();
    let expected: BTreeSet<String> = ["app._.count", "app.__2.count", "app.__3.count"]
        .into_iter()
        .map(String::from)
        .collect();
    wait_for_exactly(&carbon, &expected);
    let root = carbon.whisper_file("x");
    let top: BTreeSet<String> = std::fs::read_dir(root.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        top,
        BTreeSet::from(["app".to_string()]),
        "nothing beside app/"
    );
    assert_no_rejected_lines(&carbon);
}

/// A path carries one metric for the reporter's life: `a_b`, registered
/// after `a b` was sent as `a_b`, gets `a_b_2` rather than taking `a_b`
/// over (whisper's `a_b.count` held 111, then 222, when names were settled
/// afresh in each report).
#[test]
fn a_later_metric_never_takes_a_path_already_sent() {
    let carbon = Carbon::start().unwrap();
    let registry = Registry::new();
    registry.counter("a b").unwrap().inc(111);
    let mut reporter = tachymeter_graphite::builder(carbon.line_addr().to_string())
        .build(&Registry::new())
        .unwrap();
    let (from, _, outcome) = report_once(&mut reporter, &registry);
    outcome.unwrap();
    carbon
        .wait_for_point("a_b.count", |_, v| v == 111.0, WAIT)
        .unwrap();
    registry.counter("a_b").unwrap().inc(222);
    for _ in 0..3 {
        let (_, _, outcome) = report_once(&mut reporter, &registry);
        outcome.unwrap();
    }
    carbon
        .wait_for_point("a_b_2.count", |_, v| v == 222.0, WAIT)
        .unwrap();
    let stored: Vec<f64> = carbon
        .fetch("a_b.count", from - 1, unix_now() + 1)
        .unwrap()
        .into_iter()
        .filter_map(|(_, v)| v)
        .collect();
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|&v| v == 111.0), "a_b.count: {stored:?}");
    assert_no_rejected_lines(&carbon);
}
