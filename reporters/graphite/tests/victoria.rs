//! The reporter against VictoriaMetrics' Graphite listener: a second,
//! independent parser, and the one that reads Graphite 1.1 tags back.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::time::SystemTime;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_report::{encode_once, Payload, Report};
use tachymeter_testkit::{http, VictoriaMetrics};

/// A counter of VictoriaMetrics' own about Graphite rows
/// (`vm_rows_inserted_total` or `vm_rows_invalid_total`).
fn graphite_rows(vm: &VictoriaMetrics, metric: &str) -> u64 {
    let text = http::get(&vm.url("/metrics")).unwrap().text();
    let prefix = format!("{metric}{{type=\"graphite\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0)
}

/// Every series VictoriaMetrics has whose name starts with `prefix.`, with
/// its last value, once there are `expected` of them.
fn series(vm: &VictoriaMetrics, prefix: &str, expected: usize) -> BTreeMap<Series, f64> {
    let matcher = format!("{{__name__=~\"{}\\\\..*\"}}", prefix);
    let found = vm
        .wait_for_export(&matcher, |s| s.len() >= expected, WAIT)
        .unwrap();
    found
        .iter()
        .map(|s| {
            let metric = s["metric"].as_object().unwrap();
            let mut tags: Vec<(String, String)> = metric
                .iter()
                .filter(|(k, _)| k.as_str() != "__name__")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            tags.sort();
            let name = metric["__name__"].as_str().unwrap().to_string();
            let values = s["values"].as_array().unwrap();
            assert_eq!(values.len(), 1, "one report, one value: {s}");
            (Series { name, tags }, values[0].as_f64().unwrap())
        })
        .collect()
}

/// Whether VictoriaMetrics read `sent` back: it keeps about 12 significant
/// digits of a float (whisper keeps all of them; see the carbon tests).
fn same(read: f64, sent: f64) -> bool {
    read == sent || (read - sent).abs() <= sent.abs() * 1e-11
}

/// Waits until VictoriaMetrics has parsed `rows` Graphite rows.
fn wait_for_rows(vm: &VictoriaMetrics, rows: u64) {
    vm.process()
        .poll(
            "VictoriaMetrics to count the Graphite rows",
            WAIT,
            || {
                let seen = graphite_rows(vm, "vm_rows_inserted_total")
                    + graphite_rows(vm, "vm_rows_invalid_total");
                Ok(if seen >= rows {
                    Ok(())
                } else {
                    Err(format!("{seen} rows"))
                })
            },
            |last| last,
        )
        .unwrap();
}

#[test]
fn every_kind_reads_back_with_tags() {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    record_kinds(&registry, &[("host", "web-1"), ("route", "/books/{id}")]);
    let mut reporter = tachymeter_graphite::builder(vm.graphite_addr().to_string())
        .map_encoder(|e| e.prefix("app").tags(true))
        .build(&Registry::new())
        .unwrap();
    let snapshot = registry.snapshot();
    reporter.report(&snapshot).unwrap();

    let fields = finite_fields(&snapshot);
    let stored = series(&vm, "app", fields.len());
    assert_eq!(stored.len(), fields.len(), "{stored:#?}");
    let tags = vec![
        ("host".to_string(), "web-1".to_string()),
        ("route".to_string(), "_books__id_".to_string()),
    ];
    let mut checked = 0;
    for (key, suffix, value) in &fields {
        let want = Series {
            name: format!("app.{}.{suffix}", key.name()),
            tags: tags.clone(),
        };
        let read = stored
            .get(&want)
            .unwrap_or_else(|| panic!("{want:?} missing from {stored:#?}"));
        assert!(same(*read, *value), "{want:?}: read {read}, sent {value}");
        if let Some(truth) = truth(key.name(), suffix) {
            assert!(truth.holds(*read, relative_error()), "{want:?}: {read}");
            checked += 1;
        }
    }
    assert_eq!(checked, 29);
    assert_eq!(graphite_rows(&vm, "vm_rows_invalid_total"), 0);
}

/// Reports the hostile counters, and two that sanitise alike, to a fresh
/// VictoriaMetrics, and checks that the series it stored are exactly the
/// expected ones, with the values recorded, and that no row was invalid.
fn hostile_round_trip(tags: bool, expected: impl Fn(&MetricKey) -> Series) {
    let vm = VictoriaMetrics::start().unwrap();
    let registry = Registry::new();
    let hostile = hostile_counters(&registry);
    // Reserved tag keys, and two series that sanitise alike.
    let reserved = MetricKey::new("reserved")
        .with_label("name", "n")
        .with_label("__name__", "m")
        .with_label("", "empty key");
    registry.counter(reserved.clone()).unwrap().inc(500);
    registry.counter("dup key").unwrap().inc(100);
    registry.counter("dup_key").unwrap().inc(200);

    let mut reporter = tachymeter_graphite::builder(vm.graphite_addr().to_string())
        .map_encoder(|e| e.prefix("hostile").tags(tags))
        .build(&Registry::new())
        .unwrap();
    let snapshot = registry.snapshot();
    // What the reporter's encoder writes, on a copy of it.
    let mut encoder = reporter.encoder().clone();
    let lines = encode_once(&mut encoder, &snapshot, SystemTime::now())
        .0
        .points();
    reporter.report(&snapshot).unwrap();

    let mut want: BTreeMap<Series, f64> = hostile
        .iter()
        .map(|h| (expected(&h.key), h.count as f64))
        .collect();
    want.insert(expected(&reserved), 500.0);
    let plain = |name: &str| Series {
        name: name.to_string(),
        tags: Vec::new(),
    };
    want.insert(plain("hostile.dup_key.count"), 200.0);
    want.insert(plain("hostile.dup_key_2.count"), 100.0);
    assert_eq!(want.len(), hostile.len() + 3, "the expected series clash");
    assert_eq!(lines, want.len() as u64);

    wait_for_rows(&vm, lines);
    let stored = series(&vm, "hostile", want.len());
    assert_eq!(stored, want);
    assert_eq!(graphite_rows(&vm, "vm_rows_invalid_total"), 0);
    assert_eq!(graphite_rows(&vm, "vm_rows_inserted_total"), lines);
}

#[test]
fn hostile_names_with_tags_are_neither_rejected_nor_injected() {
    hostile_round_trip(true, |key| tagged_series("hostile", key, "count"));
}

#[test]
fn hostile_names_as_segments_are_neither_rejected_nor_injected() {
    hostile_round_trip(false, |key| Series {
        name: untagged_path("hostile", key, "count"),
        tags: Vec::new(),
    });
}
