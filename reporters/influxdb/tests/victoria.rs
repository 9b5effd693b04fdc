//! The reporter against VictoriaMetrics, a second, independent line
//! protocol parser: its InfluxDB `/write` (1.x) and `/api/v2/write` (2.x)
//! endpoints. VictoriaMetrics stores field `f` of measurement `m` as the
//! series `m_f`, with the tags as labels (and `db` from the 1.x URL).

mod common;

use common::{hostile_counters, WAIT};
use std::collections::BTreeMap;
use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_influxdb::Endpoint;
use tachymeter_report::Report;
use tachymeter_testkit::own_count;
use tachymeter_testkit::{http, VictoriaMetrics};

const DB: &str = "metrics";

/// Every series VictoriaMetrics holds but the reporter's own, once
/// `wanted` of them are there: `(name, labels) -> last value`.
fn stored(
    vm: &VictoriaMetrics,
    wanted: usize,
) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let all = vm
        .wait_for_export(
            r#"{__name__!~"reporter[.].*"}"#,
            |series| series.len() >= wanted,
            WAIT,
        )
        .unwrap();
    all.iter()
        .map(|s| {
            let mut labels: BTreeMap<String, String> = s["metric"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let name = labels.remove("__name__").unwrap();
            let value = s["values"].as_array().unwrap().last().unwrap();
            ((name, labels), value.as_f64().unwrap())
        })
        .collect()
}

/// Lines VictoriaMetrics could not parse (`vm_rows_invalid_total`).
fn invalid_lines(vm: &VictoriaMetrics) -> f64 {
    let text = http::get(&vm.url("/metrics")).unwrap().text();
    text.lines()
        .find_map(|l| l.strip_prefix(r#"vm_rows_invalid_total{type="influx"} "#))
        .map(|v| v.trim().parse().unwrap())
        .expect("vm_rows_invalid_total in /metrics")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn v1_write_reads_back_every_kind() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    registry
        .counter(MetricKey::new("jobs").with_label("queue", "mail"))
        .unwrap()
        .inc(42);
    registry.gauge("depth").unwrap().update(-17);
    registry.gauge_f64("load").unwrap().update(2.5);
    let histogram = registry.histogram("sizes").unwrap();
    for v in [3, 5, 10] {
        histogram.update(v);
    }
    registry
        .timer("latency")
        .unwrap()
        .update(Duration::from_micros(1500));
    let mut reporter = Endpoint::v1(&vm.url(""), DB)
        .builder()
        .map_encoder(|e| e.tag("host", "web-1"))
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();

    // 1 + 1 + 1 + 10 (histogram) + 14 (timer) series.
    let all = stored(&vm, 27);
    assert_eq!(all.len(), 27, "{all:#?}");
    let get = |name: &str, extra: &[(&str, &str)]| {
        let mut l = labels(&[("db", DB), ("host", "web-1")]);
        l.extend(labels(extra));
        all[&(name.to_string(), l)]
    };
    assert_eq!(get("jobs_count", &[("queue", "mail")]), 42.0);
    assert_eq!(get("depth_value", &[]), -17.0);
    assert_eq!(get("load_value", &[]), 2.5);
    assert_eq!(get("sizes_count", &[]), 3.0);
    assert_eq!(get("sizes_min", &[]), 3.0);
    assert_eq!(get("sizes_max", &[]), 10.0);
    assert_eq!(get("sizes_mean", &[]), 6.0);
    assert_eq!(get("latency_count", &[]), 1.0);
    assert_eq!(get("latency_max", &[]), 1.5);
    assert_eq!(invalid_lines(&vm), 0.0);
}

#[test]
fn v2_write_with_a_token_is_accepted() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    registry.counter("jobs").unwrap().inc(5);
    let mut reporter = Endpoint::v2(&vm.url(""), "acme", "metrics", "s3cr3t")
        .builder()
        .build(&registry)
        .unwrap();
    assert!(reporter
        .target()
        .contains("/api/v2/write?org=acme&bucket=metrics"));
    reporter.report(&registry.snapshot()).unwrap();
    let all = stored(&vm, 1);
    assert_eq!(all[&("jobs_count".to_string(), BTreeMap::new())], 5.0);
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 0);
}

#[test]
fn hostile_names_are_neither_rejected_nor_injected() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    let global = [("host name", "web 1,=\\"), ("time", "global")];
    let expected: BTreeMap<_, _> = hostile_counters(&registry, 500, &global)
        .into_iter()
        .map(|((name, mut tags), value)| {
            tags.insert("db".to_string(), DB.to_string());
            ((format!("{name}_count"), tags), value as f64)
        })
        .collect();
    let mut reporter = Endpoint::v1(&vm.url(""), DB)
        .builder()
        .map_encoder(|e| {
            e.tag(global[0].0, global[0].1)
                .tag(global[1].0, global[1].1)
        })
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();

    let got = stored(&vm, expected.len());
    let missing: Vec<_> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    assert_eq!(got, expected);
    assert_eq!(invalid_lines(&vm), 0.0);
}
