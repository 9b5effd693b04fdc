//! The reporter against a real InfluxDB 1.x: what it writes is read back
//! through `/query`.

mod common;

use common::{buffered, field_types, hostile_counters, series, Series};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_influxdb::{Endpoint, Precision};
use tachymeter_report::Report;
use tachymeter_testkit::own_count;
use tachymeter_testkit::InfluxDb;

const DB: &str = "metrics";

fn influx() -> InfluxDb {
    let influx = InfluxDb::start().expect("influxd");
    influx.create_database(DB).expect("create database");
    influx
}

fn url(influx: &InfluxDb) -> String {
    influx.url("")
}

fn find<'a>(all: &'a [Series], name: &str) -> &'a Series {
    all.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no series {name:?} in {all:#?}"))
}

fn int(series: &Series, field: &str) -> i64 {
    let value = &series.rows.last().unwrap()[field];
    value
        .as_i64()
        .unwrap_or_else(|| panic!("{field} = {value} is not an integer"))
}

fn float(series: &Series, field: &str) -> f64 {
    series.rows.last().unwrap()[field].as_f64().unwrap()
}

#[test]
fn every_kind_reads_back_with_the_values_recorded() {
    let influx = influx();
    let registry = Registry::new();
    registry
        .counter(MetricKey::new("jobs").with_label("queue", "mail"))
        .unwrap()
        .inc(42);
    registry.gauge("depth").unwrap().update(-17);
    registry.gauge_f64("load").unwrap().update(2.5);
    registry.meter("events").unwrap().mark(7);
    let histogram = registry.histogram("sizes").unwrap();
    for v in 1..=1000 {
        histogram.update(v);
    }
    let timer = registry.timer("latency").unwrap();
    for ms in 1..=100 {
        timer.update(Duration::from_millis(ms));
    }
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .map_encoder(|e| e.tag("host", "web-1"))
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();

    let all = series(&influx, DB);
    assert_eq!(all.len(), 6, "{all:#?}");
    let jobs = find(&all, "jobs");
    assert_eq!(int(jobs, "count"), 42);
    let tags: Vec<_> = jobs.tags.iter().collect();
    assert_eq!(
        tags,
        [
            (&"host".to_string(), &"web-1".to_string()),
            (&"queue".to_string(), &"mail".to_string())
        ]
    );
    assert_eq!(int(find(&all, "depth"), "value"), -17);
    assert_eq!(float(find(&all, "load"), "value"), 2.5);

    let events = find(&all, "events");
    assert_eq!(int(events, "count"), 7);
    assert!(float(events, "mean_rate") > 0.0);
    for rate in ["m1", "m5", "m15"] {
        assert!(float(events, rate) >= 0.0);
    }

    let error = registry
        .snapshot()
        .metrics
        .iter()
        .find_map(|m| match &m.snapshot {
            tachymeter_core::MetricSnapshot::Histogram(h) => Some(h.relative_error),
            _ => None,
        });
    let error = error.unwrap();
    let close = |got: f64, want: f64| (got - want).abs() <= want * error * 2.0 + 1.0;
    let sizes = find(&all, "sizes");
    assert_eq!(int(sizes, "count"), 1000);
    assert_eq!(int(sizes, "min"), 1);
    assert_eq!(int(sizes, "max"), 1000);
    assert_eq!(float(sizes, "mean"), 500.5);
    let stddev = ((1000.0f64 * 1000.0 - 1.0) / 12.0).sqrt();
    assert!((float(sizes, "stddev") - stddev).abs() < 1e-6);
    for (field, want) in [
        ("p50", 500.0),
        ("p75", 750.0),
        ("p95", 950.0),
        ("p99", 990.0),
    ] {
        let got = float(sizes, field);
        assert!(close(got, want), "{field} = {got}, want {want} ± {error}");
    }

    let latency = find(&all, "latency");
    assert_eq!(int(latency, "count"), 100);
    assert_eq!(float(latency, "min"), 1.0);
    assert_eq!(float(latency, "max"), 100.0);
    assert!((float(latency, "mean") - 50.5).abs() < 1e-9);
    let p50 = float(latency, "p50");
    assert!(
        (p50 - 50.0).abs() <= 50.0 * error * 2.0 + 1.0,
        "p50 = {p50}"
    );

    // Integers stay integers, floats floats.
    let types = field_types(&influx, DB, "sizes");
    assert_eq!(types["count"], "integer");
    assert_eq!(types["min"], "integer");
    assert_eq!(types["max"], "integer");
    assert_eq!(types["mean"], "float");
    assert_eq!(types["p999"], "float");
    let types = field_types(&influx, DB, "latency");
    assert_eq!(types["count"], "integer");
    assert_eq!(types["min"], "float");
    assert_eq!(types["mean_rate"], "float");
    assert_eq!(field_types(&influx, DB, "jobs")["count"], "integer");
    assert_eq!(field_types(&influx, DB, "depth")["value"], "integer");
    assert_eq!(field_types(&influx, DB, "load")["value"], "float");

    let sent = own_count(&registry, "influxdb", "sent-points");
    assert_eq!(sent, registry.len() as i64, "every metric is one point");
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
}

#[test]
fn hostile_names_are_neither_rejected_nor_injected() {
    let influx = influx();
    let registry = Registry::new();
    let global = [("host name", "web 1,=\\"), ("time", "global")];
    let mut expected = hostile_counters(&registry, 500, &global);
    // Names stored alike once cleaned: the first in snapshot order keeps
    // the name, the other gets `_2` on its measurement. `lat\t` sorts
    // first; in one measurement, the timer's float `min` would conflict
    // with the histogram's integer one and make InfluxDB refuse the batch.
    let lat = registry.histogram("lat\t").unwrap();
    lat.update(5);
    lat.update(7);
    registry
        .timer("lat\n")
        .unwrap()
        .update(Duration::from_millis(9));
    registry.counter("req\n").unwrap().inc(11);
    registry.counter("req\r").unwrap().inc(12);
    let stored_as = |name: &str| {
        (
            name.to_string(),
            common::stored_tags(&MetricKey::new(name), &global),
        )
    };
    expected.insert(stored_as("lat "), 2);
    expected.insert(stored_as("lat _2"), 1);
    expected.insert(stored_as("req "), 11);
    expected.insert(stored_as("req _2"), 12);
    // Too long a key for InfluxDB: left out, the rest of its batch stored.
    registry.counter("y".repeat(70_000)).unwrap().inc(13);
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .map_encoder(|e| {
            e.tag(global[0].0, global[0].1)
                .tag(global[1].0, global[1].1)
        })
        .map_transport(|t| t.batch(50))
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();

    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-clash"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-too-long"), 1);
    let all = series(&influx, DB);
    let lat = find(&all, "lat ");
    assert_eq!((int(lat, "min"), int(lat, "max")), (5, 7));
    assert!(!lat.rows[0].contains_key("mean_rate"), "{lat:?}");
    assert_eq!(field_types(&influx, DB, "lat ")["min"], "integer");
    assert_eq!(field_types(&influx, DB, "lat _2")["min"], "float");
    let got: std::collections::BTreeMap<_, _> = all
        .into_iter()
        .map(|s| {
            assert_eq!(s.rows.len(), 1, "{s:?}");
            let count = int(&s, "count");
            ((s.name, s.tags), count)
        })
        .collect();
    // Same series, same values: nothing refused, split or injected.
    let missing: Vec<_> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    assert_eq!(got, expected);
}

#[test]
fn nan_and_infinity_are_dropped_and_counted() {
    let influx = influx();
    let registry = Registry::new();
    registry.gauge_f64("nan").unwrap().update(f64::NAN);
    registry.gauge_f64("inf").unwrap().update(f64::INFINITY);
    registry
        .gauge_f64("ninf")
        .unwrap()
        .update(f64::NEG_INFINITY);
    registry.gauge_f64("fine").unwrap().update(0.25);
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();

    let all = series(&influx, DB);
    let names: Vec<_> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["fine"]);
    assert_eq!(float(&all[0], "value"), 0.25);
    assert_eq!(own_count(&registry, "influxdb", "dropped-non-finite"), 3);
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
}

#[test]
fn unknown_database_is_refused_once_not_retried() {
    let influx = influx();
    let registry = Registry::new();
    registry.counter("c").unwrap().inc(1);
    let mut reporter = Endpoint::v1(&url(&influx), "missing")
        .builder()
        .build(&registry)
        .unwrap();
    let points = registry.len() as i64;
    let err = reporter.report(&registry.snapshot()).unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert!(err.to_string().contains("database not found"), "{err}");
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), points);
    assert_eq!(own_count(&registry, "influxdb", "send-failures"), 0);
    assert_eq!(own_count(&registry, "influxdb", "retries"), 0);
    assert_eq!(own_count(&registry, "influxdb", "sent-points"), 0);
    assert_eq!(
        reporter.transport().buffered(),
        0,
        "refused points are not kept"
    );

    // Once the database exists, only the new report arrives.
    influx.create_database("missing").unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    assert_eq!(find(&series(&influx, "missing"), "c").rows.len(), 1);
}

#[test]
fn partial_write_counts_only_the_refused_points() {
    let influx = influx();
    // `c` already holds a float `count` in the current shard: the
    // counter's integer conflicts.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    influx
        .write(DB, "s", &format!("c count=1.5 {now}\n"))
        .unwrap();
    let registry = Registry::new();
    registry.counter("c").unwrap().inc(3);
    registry.counter("d").unwrap().inc(4);
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .build(&registry)
        .unwrap();
    let points = registry.len() as i64;
    let err = reporter.report(&registry.snapshot()).unwrap_err();
    assert!(err.to_string().contains("partial write"), "{err}");
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 1);
    assert_eq!(own_count(&registry, "influxdb", "sent-points"), points - 1);
    assert_eq!(int(find(&series(&influx, DB), "d"), "count"), 4);
}

#[test]
fn kill_and_restart_lose_nothing() {
    let influx = influx();
    let registry = Registry::new();
    let done = registry.counter("work.done").unwrap();
    let recorded = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let worker = {
        let (recorded, running) = (recorded.clone(), running.clone());
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                done.inc(1);
                recorded.fetch_add(1, Ordering::Relaxed);
                std::thread::yield_now();
            }
        })
    };
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .precision(Precision::Nanoseconds)
        .builder()
        .timeout(Duration::from_secs(2))
        .build(&registry)
        .unwrap();
    let mut reports = 0;
    for round in 0..3 {
        reporter.report(&registry.snapshot()).unwrap();
        reports += 1;
        influx.kill();
        let failed_before = own_count(&registry, "influxdb", "send-failures");
        for _ in 0..2 {
            let err = reporter.report(&registry.snapshot()).unwrap_err();
            assert!(
                err.to_string().contains("kept for the next report"),
                "{err}"
            );
            reports += 1;
        }
        assert!(own_count(&registry, "influxdb", "send-failures") > failed_before);
        assert!(reporter.transport().buffered() >= 2, "round {round}");
        assert_eq!(
            buffered(&registry, "influxdb"),
            reporter.transport().buffered() as i64
        );
        influx.restart().unwrap();
        reporter.report(&registry.snapshot()).unwrap();
        reports += 1;
        assert_eq!(
            reporter.transport().buffered(),
            0,
            "round {round}: delivered"
        );
    }
    running.store(false, Ordering::Relaxed);
    worker.join().unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    reports += 1;

    let all = series(&influx, DB);
    let work = find(&all, "work.done");
    assert_eq!(work.rows.len(), reports, "one point per report, none lost");
    assert_eq!(int(work, "count"), recorded.load(Ordering::Relaxed) as i64);
    assert!(own_count(&registry, "influxdb", "retries") >= 6);
    assert_eq!(own_count(&registry, "influxdb", "dropped-overflow"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
}

#[test]
fn a_full_buffer_drops_the_oldest_points() {
    let influx = influx();
    let registry = Registry::new();
    let step = registry.counter("step").unwrap();
    let points = registry.len() + 12; // and the reporter's own metrics
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .precision(Precision::Nanoseconds)
        .builder()
        .map_transport(|t| t.buffer(2 * points))
        .build(&registry)
        .unwrap();
    assert_eq!(registry.len(), points);
    influx.kill();
    for report in 1..=3 {
        step.inc(1);
        reporter.report(&registry.snapshot()).unwrap_err();
        assert_eq!(reporter.transport().buffered(), points * report.min(2));
    }
    assert_eq!(
        own_count(&registry, "influxdb", "dropped-overflow"),
        points as i64
    );
    influx.restart().unwrap();
    step.inc(1);
    reporter.report(&registry.snapshot()).unwrap();
    assert_eq!(
        own_count(&registry, "influxdb", "dropped-overflow"),
        2 * points as i64
    );

    // The last two reports' points were written, the first two's dropped.
    let all = series(&influx, DB);
    let counts: Vec<_> = find(&all, "step")
        .rows
        .iter()
        .map(|row| row["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [3, 4]);
}

/// InfluxDB fixes a field's type per measurement: metrics whose names clean
/// to one measurement must not give a field two types in one report (the
/// server answered 400 `field type conflict` and dropped points).
#[test]
fn one_measurement_never_gets_a_field_with_two_types() {
    let influx = influx();
    let registry = Registry::new();
    let key = |name: &str, k: &str| MetricKey::new(name).with_label("k", k);
    registry.gauge(key("m\n", "1")).unwrap().update(5);
    registry.gauge_f64(key("m ", "2")).unwrap().update(2.5);
    registry.histogram(key("x\n", "1")).unwrap().update(3);
    registry
        .timer(key("x ", "2"))
        .unwrap()
        .update(Duration::from_millis(3));
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-clash"), 2);

    let all = series(&influx, DB);
    let m = find(&all, "m ");
    assert_eq!(int(m, "value"), 5);
    assert_eq!(field_types(&influx, DB, "m ")["value"], "integer");
    let x = find(&all, "x ");
    assert_eq!(int(x, "min"), 3);
    assert_eq!(field_types(&influx, DB, "x ")["min"], "integer");

    // The next report again writes the same points, and is taken whole.
    reporter.report(&registry.snapshot()).unwrap();
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-clash"), 4);
}

/// A series key carries one metric for the reporter's life: `req\n`,
/// registered after `req ` was written as `req\ `, gets `req _2` (when
/// names were settled afresh in each report, `req\ ` read 100, then 5: a
/// counter reset that never happened).
#[test]
fn a_later_metric_never_takes_a_series_already_written() {
    let influx = influx();
    let registry = Registry::new();
    registry.counter("req ").unwrap().inc(100);
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .precision(Precision::Nanoseconds)
        .builder()
        .build(&Registry::new())
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    registry.counter("req\n").unwrap().inc(5);
    reporter.report(&registry.snapshot()).unwrap();
    let all = series(&influx, DB);
    let counts = |name: &str| -> Vec<i64> {
        find(&all, name)
            .rows
            .iter()
            .map(|row| row["count"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(counts("req "), [100, 100]);
    assert_eq!(counts("req _2"), [5]);
}

/// A name that needs no cleaning keeps its own series: `_` stays `_`, and
/// the empty name (cleaned to `_`) is the one numbered; the same for an
/// empty label key against a label key `_`.
#[test]
fn a_name_cleaned_to_underscore_never_takes_the_name_underscore() {
    let influx = influx();
    let registry = Registry::new();
    registry.counter("").unwrap().inc(1);
    registry.counter("_").unwrap().inc(2);
    registry
        .counter(MetricKey::new("m").with_label("", "v"))
        .unwrap()
        .inc(3);
    registry
        .counter(MetricKey::new("m").with_label("_", "v"))
        .unwrap()
        .inc(4);
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    let all = series(&influx, DB);
    let count = |name: &str, tags: &[(&str, &str)]| {
        let wanted: std::collections::BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let found = all
            .iter()
            .find(|s| s.name == name && s.tags == wanted)
            .unwrap_or_else(|| panic!("no series {name:?} {tags:?} in {all:#?}"));
        int(found, "count")
    };
    assert_eq!(count("_", &[]), 2, "`_` keeps its name");
    assert_eq!(count("__2", &[]), 1, "the empty name is numbered");
    assert_eq!(count("m", &[("_", "v")]), 4, "the key `_` keeps its series");
    assert_eq!(count("m_2", &[("_", "v")]), 3, "the empty key is numbered");
}

/// Measurement names InfluxDB 1.x keeps for itself are written with a
/// trailing `_`, as reserved tag keys are: each reads back.
#[test]
fn reserved_measurement_names_are_renamed_and_read_back() {
    let influx = influx();
    let registry = Registry::new();
    let reserved = [
        "_name",
        "_series",
        "_tags",
        "_tagKeys",
        "_fieldKeys",
        "_measurements",
        "_tagKey",
    ];
    for (i, name) in reserved.iter().enumerate() {
        registry.counter(*name).unwrap().inc(i as u64 + 1);
    }
    let mut reporter = Endpoint::v1(&url(&influx), DB)
        .builder()
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    for (i, name) in reserved.iter().enumerate() {
        let body = influx
            .query(DB, &format!("SELECT \"count\" FROM \"{name}_\""))
            .unwrap();
        let value = &body["results"][0]["series"][0]["values"][0][1];
        assert_eq!(value.as_i64(), Some(i as i64 + 1), "{name}_: {body}");
    }
}
