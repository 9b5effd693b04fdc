//! The document's shape: exact output, every type, awkward keys, non-finite
//! floats, and the full form.

use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{ManualClock, MetricKey, Registry, RegistryError};
use tachymeter_json::{
    to_json, to_json_full, to_json_pretty, write_json, write_json_pretty, JsonSnapshot,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// One series of each type, on a clock that moves only when told: 5 s after
/// creation, so every rate has ticked exactly once.
fn fixed_registry() -> Result<Registry, RegistryError> {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    registry.counter("jobs.done")?.inc(42);
    registry
        .gauge(MetricKey::new("queue.depth").with_label("queue", "mail"))?
        .update(-3);
    registry.gauge_f64("cache.hit_ratio")?.update(0.25);
    registry.meter("events")?.mark(10);
    let sizes = registry.histogram("response.bytes")?;
    for v in [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] {
        sizes.update(v);
    }
    let latency =
        registry.timer(MetricKey::new("http.latency").with_label("route", "/books/{id}"))?;
    for ms in [1, 5, 10, 40] {
        latency.update(Duration::from_millis(ms));
    }
    clock.advance(Duration::from_secs(5));
    Ok(registry)
}

/// The fixed registry's document, as the crate docs show it.
const FIXED_PRETTY: &str = r#"{
  "cache.hit_ratio": {
    "type": "gauge_f64",
    "value": 0.25
  },
  "events": {
    "type": "meter",
    "count": 10,
    "1m.rate": 2.0,
    "5m.rate": 2.0,
    "15m.rate": 2.0,
    "mean.rate": 2.0
  },
  "http.latency{route=\"/books/{id}\"}": {
    "type": "timer",
    "count": 4,
    "min": 1000000,
    "max": 40000000,
    "mean": 14000000.0,
    "stddev": 15346009.253222806,
    "median": 5013503.5,
    "75%": 10027007.5,
    "95%": 40000000.0,
    "99%": 40000000.0,
    "99.9%": 40000000.0,
    "1m.rate": 0.8,
    "5m.rate": 0.8,
    "15m.rate": 0.8,
    "mean.rate": 0.8
  },
  "jobs.done": {
    "type": "counter",
    "count": 42
  },
  "queue.depth{queue=\"mail\"}": {
    "type": "gauge",
    "value": -3
  },
  "response.bytes": {
    "type": "histogram",
    "count": 10,
    "min": 10,
    "max": 100,
    "mean": 55.0,
    "stddev": 28.722813232690143,
    "median": 50.0,
    "75%": 80.0,
    "95%": 100.0,
    "99%": 100.0,
    "99.9%": 100.0
  }
}"#;

#[test]
fn exact_compact_document_for_every_type() -> TestResult {
    let snapshot = fixed_registry()?.snapshot();
    assert_eq!(
        to_json(&snapshot),
        concat!(
            r#"{"cache.hit_ratio":{"type":"gauge_f64","value":0.25},"#,
            r#""events":{"type":"meter","count":10,"1m.rate":2.0,"5m.rate":2.0,"15m.rate":2.0,"mean.rate":2.0},"#,
            r#""http.latency{route=\"/books/{id}\"}":{"type":"timer","count":4,"min":1000000,"max":40000000,"#,
            r#""mean":14000000.0,"stddev":15346009.253222806,"median":5013503.5,"75%":10027007.5,"#,
            r#""95%":40000000.0,"99%":40000000.0,"99.9%":40000000.0,"#,
            r#""1m.rate":0.8,"5m.rate":0.8,"15m.rate":0.8,"mean.rate":0.8},"#,
            r#""jobs.done":{"type":"counter","count":42},"#,
            r#""queue.depth{queue=\"mail\"}":{"type":"gauge","value":-3},"#,
            r#""response.bytes":{"type":"histogram","count":10,"min":10,"max":100,"mean":55.0,"#,
            r#""stddev":28.722813232690143,"median":50.0,"75%":80.0,"95%":100.0,"99%":100.0,"99.9%":100.0}}"#,
        )
    );
    Ok(())
}

#[test]
fn exact_pretty_document_matches_the_docs() -> TestResult {
    let snapshot = fixed_registry()?.snapshot();
    assert_eq!(to_json_pretty(&snapshot), FIXED_PRETTY);
    let mut out = Vec::new();
    write_json_pretty(&snapshot, &mut out)?;
    assert_eq!(String::from_utf8(out)?, FIXED_PRETTY);
    Ok(())
}

#[test]
fn members_keep_the_snapshot_order_not_string_order() -> TestResult {
    let registry = Registry::new();
    // Snapshot order is by name, then labels: `a{…}` before `a.b`, though
    // as strings "a.b" < "a{".
    registry.counter("a.b")?.inc(1);
    registry
        .counter(MetricKey::new("a").with_label("x", "1"))?
        .inc(2);
    registry.counter("a")?.inc(3);
    let snapshot = registry.snapshot();
    let order: Vec<String> = snapshot.metrics.iter().map(|m| m.key.to_string()).collect();
    assert_eq!(order, ["a", r#"a{x="1"}"#, "a.b"]);
    assert_eq!(
        to_json(&snapshot),
        concat!(
            r#"{"a":{"type":"counter","count":3},"#,
            r#""a{x=\"1\"}":{"type":"counter","count":2},"#,
            r#""a.b":{"type":"counter","count":1}}"#,
        )
    );
    Ok(())
}

#[test]
fn each_type_has_the_go_metrics_fields() -> TestResult {
    let doc: Map<String, Value> = serde_json::from_str(&to_json(&fixed_registry()?.snapshot()))?;
    let fields = |key: &str| -> Vec<&str> {
        doc[key]
            .as_object()
            .map_or(vec![], |o| o.keys().map(String::as_str).collect())
    };
    let sorted = |parts: &[&[&'static str]]| -> Vec<&'static str> {
        let mut f = parts.concat();
        f.sort_unstable();
        f
    };
    let histogram: &[&str] = &[
        "type", "count", "min", "max", "mean", "stddev", "median", "75%", "95%", "99%", "99.9%",
    ];
    let rates: &[&str] = &["1m.rate", "5m.rate", "15m.rate", "mean.rate"];
    assert_eq!(fields("jobs.done"), sorted(&[&["type", "count"]]));
    assert_eq!(
        fields(r#"queue.depth{queue="mail"}"#),
        sorted(&[&["type", "value"]])
    );
    assert_eq!(fields("cache.hit_ratio"), sorted(&[&["type", "value"]]));
    assert_eq!(fields("events"), sorted(&[&["type", "count"], rates]));
    assert_eq!(fields("response.bytes"), sorted(&[histogram]));
    assert_eq!(
        fields(r#"http.latency{route="/books/{id}"}"#),
        sorted(&[histogram, rates])
    );
    Ok(())
}

#[test]
fn awkward_label_values_round_trip_as_member_names() -> TestResult {
    let registry = Registry::new();
    let keys = [
        MetricKey::new("q").with_label("v", r#"say "hi""#),
        MetricKey::new("q").with_label("v", r"C:\temp\"),
        MetricKey::new("q").with_label("v", "two\nlines\tand\r\u{0}nul"),
        MetricKey::new("q").with_label("v", "🦀 ünïcödé"),
        MetricKey::new("name with \"quotes\" and \\ and 🦀"),
    ];
    for (i, key) in keys.iter().enumerate() {
        registry.counter(key.clone())?.inc(i as u64 + 1);
    }
    let text = to_json(&registry.snapshot());
    assert!(!text.contains('\n'), "one line: {text}");
    let doc: Map<String, Value> = serde_json::from_str(&text)?;
    let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    expected.sort();
    let mut found: Vec<String> = doc.keys().cloned().collect();
    found.sort();
    assert_eq!(found, expected);
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(doc[&key.to_string()]["count"], json!(i + 1), "{key}");
    }
    Ok(())
}

#[test]
fn non_finite_floats_and_empty_windows_are_null() -> TestResult {
    let registry = Registry::new();
    registry.gauge_f64("nan")?.update(f64::NAN);
    registry.gauge_f64("inf")?.update(f64::INFINITY);
    registry.gauge_f64("neg_inf")?.update(f64::NEG_INFINITY);
    registry.timer("idle")?;
    registry.histogram("empty")?;
    let text = to_json(&registry.snapshot());
    let doc: Value = serde_json::from_str(&text)?;
    for gauge in ["nan", "inf", "neg_inf"] {
        assert_eq!(doc[gauge], json!({"type": "gauge_f64", "value": null}));
    }
    assert_eq!(
        doc["idle"],
        json!({
            "type": "timer", "count": 0, "min": 0, "max": 0, "mean": 0.0, "stddev": 0.0,
            "median": null, "75%": null, "95%": null, "99%": null, "99.9%": null,
            "1m.rate": 0.0, "5m.rate": 0.0, "15m.rate": 0.0, "mean.rate": 0.0,
        })
    );
    assert_eq!(
        doc["empty"],
        json!({
            "type": "histogram", "count": 0, "min": 0, "max": 0, "mean": 0.0, "stddev": 0.0,
            "median": null, "75%": null, "95%": null, "99%": null, "99.9%": null,
        })
    );
    Ok(())
}

#[test]
fn a_panicking_functional_gauge_is_null() -> TestResult {
    let registry = Registry::new();
    registry.functional_gauge("broken", || panic!("no reading"))?;
    registry.functional_gauge("fine", || 1.5)?;
    let doc: Value = serde_json::from_str(&to_json(&registry.snapshot()))?;
    assert_eq!(doc["broken"], json!({"type": "gauge_f64", "value": null}));
    assert_eq!(doc["fine"], json!({"type": "gauge_f64", "value": 1.5}));
    Ok(())
}

#[test]
fn percentiles_read_the_recent_window() -> TestResult {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    let h = registry.histogram("h")?;
    h.update(7);
    // A read 10 s in checkpoints the window; 70 s later the value is
    // older than the 60 s window.
    clock.advance(Duration::from_secs(10));
    let doc: Value = serde_json::from_str(&to_json(&registry.snapshot()))?;
    assert_eq!(doc["h"]["median"], 7.0);
    clock.advance(Duration::from_secs(70));
    let doc: Value = serde_json::from_str(&to_json(&registry.snapshot()))?;
    // All time: one value; recent window: none.
    assert_eq!(doc["h"]["count"], 1);
    assert_eq!(doc["h"]["max"], 7);
    assert_eq!(doc["h"]["median"], Value::Null);
    Ok(())
}

#[test]
fn an_empty_registry_is_an_empty_object() {
    let snapshot = Registry::new().snapshot();
    assert_eq!(to_json(&snapshot), "{}");
    assert_eq!(to_json_pretty(&snapshot), "{}");
}

#[test]
fn write_json_writes_the_compact_document() -> TestResult {
    let snapshot = fixed_registry()?.snapshot();
    let mut out = Vec::new();
    write_json(&snapshot, &mut out)?;
    assert_eq!(String::from_utf8(out)?, to_json(&snapshot));
    Ok(())
}

#[test]
fn write_json_reports_the_writer_error() -> TestResult {
    let error = write_json(
        &fixed_registry()?.snapshot(),
        tachymeter_testkit::FailingWriter,
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "disk full");
    Ok(())
}

#[test]
fn json_snapshot_embeds_in_other_documents() -> TestResult {
    let snapshot = fixed_registry()?.snapshot();
    let embedded = serde_json::to_value(json!({ "metrics": JsonSnapshot::new(&snapshot) }))?;
    let direct: Value = serde_json::from_str(&to_json(&snapshot))?;
    assert_eq!(embedded["metrics"], direct);
    Ok(())
}

#[test]
fn the_full_form_has_everything() -> TestResult {
    let registry = Registry::builder().max_series(1).build();
    registry.counter("a")?.inc(1);
    registry.counter("b")?.inc(1); // folded
    registry.gauge_f64("c")?.update(f64::NAN); // folded too
    let full: Value = serde_json::from_str(&to_json_full(&registry.snapshot()))?;
    assert_eq!(full["folded_series"], 2);
    let metrics = full["metrics"].as_array().ok_or("metrics is a list")?;
    assert_eq!(metrics[0]["key"], json!({"name": "a", "labels": []}));
    assert_eq!(
        metrics[0]["snapshot"],
        json!({"type": "counter", "count": 1, "monotonic": true})
    );
    // The flat form shows the fold as overflow series only.
    let flat: Value = serde_json::from_str(&to_json(&registry.snapshot()))?;
    let names: Vec<&String> = flat.as_object().ok_or("an object")?.keys().collect();
    assert!(
        names.iter().any(|n| n.contains(r#"overflow="true""#)),
        "{names:?}"
    );
    assert!(flat.get("folded_series").is_none());
    Ok(())
}
