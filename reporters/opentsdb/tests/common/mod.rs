//! What the tests against a real VictoriaMetrics share.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_testkit::{http, VictoriaMetrics};

/// The longest wait for data to show up.
pub const WAIT: Duration = Duration::from_secs(20);

/// A series as VictoriaMetrics exports it: name and tags.
pub type SeriesKey = (String, BTreeMap<String, String>);

/// The value of one of VictoriaMetrics' own counters on its `/metrics` page
/// (`name` with its labels, as printed); 0 while it is absent (some appear
/// only after their first increment).
pub fn vm_counter(vm: &VictoriaMetrics, name: &str) -> f64 {
    let page = http::get(&vm.url("/metrics")).unwrap().text();
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// Rows VictoriaMetrics refused as invalid OpenTSDB lines.
pub fn rejected(vm: &VictoriaMetrics) -> f64 {
    vm_counter(vm, r#"vm_rows_invalid_total{type="opentsdb"}"#)
}

/// OpenTSDB rows VictoriaMetrics inserted.
pub fn inserted(vm: &VictoriaMetrics) -> f64 {
    vm_counter(vm, r#"vm_rows_inserted_total{type="opentsdb"}"#)
}

/// The count of the counter `name` in `registry`.
pub fn count(registry: &Registry, name: &str) -> i64 {
    registry.counter(name).unwrap().count()
}

/// Name and tags of an exported series.
pub fn key(series: &Value) -> SeriesKey {
    let mut tags: BTreeMap<String, String> = series["metric"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let name = tags.remove("__name__").unwrap();
    (name, tags)
}

/// The last value of an exported series.
pub fn last(series: &Value) -> f64 {
    series["values"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_f64()
        .unwrap()
}

/// Every exported series: its key and its values.
pub fn by_key(series: &[Value]) -> BTreeMap<SeriesKey, Vec<f64>> {
    series
        .iter()
        .map(|s| {
            let values = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            (key(s), values)
        })
        .collect()
}

/// Tags from `(key, value)` pairs.
pub fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
