//! Registry behaviour: get-or-register, type clashes, prefixes, labels, the
//! series cap and healthchecks.

use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{
    default_registry, Counter, Healthcheck, ManualClock, Metric, MetricKey, MetricKind,
    MetricSnapshot, Registry, RegistryError, Timer,
};

#[test]
fn get_or_register_returns_the_same_metric() {
    let r = Registry::new();
    r.counter("a").unwrap().inc(2);
    r.counter("a").unwrap().inc(3);
    assert_eq!(r.counter("a").unwrap().count(), 5);
    assert_eq!(r.len(), 1);
}

#[test]
fn a_type_clash_is_an_error_that_says_what_to_do() {
    let r = Registry::new();
    r.counter("x").unwrap();
    let err = r.timer("x").unwrap_err();
    assert_eq!(
        err,
        RegistryError::TypeClash {
            name: "x".into(),
            existing: MetricKind::Counter,
            requested: MetricKind::Timer
        }
    );
    assert!(err.to_string().contains("use another name"));
    // Labels do not make a name another type's.
    assert!(r.gauge(MetricKey::new("x").with_label("a", "b")).is_err());
    // The counter is untouched.
    assert!(matches!(r.get("x"), Some(Metric::Counter(_))));
}

#[test]
fn register_refuses_duplicates_and_unregister_removes() {
    let r = Registry::new();
    r.register("t", Timer::new()).unwrap();
    assert!(matches!(
        r.register("t", Timer::new()),
        Err(RegistryError::Duplicate { .. })
    ));
    assert!(r.unregister("t").is_some());
    assert!(r.get("t").is_none());
    assert!(r.unregister("t").is_none());
    r.counter("t").unwrap(); // the name is free again, for any type
}

#[test]
fn iteration_and_snapshots_are_in_name_order() {
    let r = Registry::new();
    for name in ["zeta", "alpha", "mid"] {
        r.counter(name).unwrap();
    }
    r.counter(MetricKey::new("mid").with_label("b", "2"))
        .unwrap();
    r.counter(MetricKey::new("mid").with_label("a", "1"))
        .unwrap();
    let names: Vec<String> = r.metrics().iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        names,
        ["alpha", "mid", r#"mid{a="1"}"#, r#"mid{b="2"}"#, "zeta"]
    );
    let snap: Vec<String> = r
        .snapshot()
        .metrics
        .iter()
        .map(|e| e.key.to_string())
        .collect();
    assert_eq!(names, snap);
}

#[test]
fn prefixed_registries_share_storage_and_only_clear_their_own() {
    let root = Registry::new();
    let api = root.prefixed("api.");
    let v1 = api.prefixed("v1.");
    v1.counter("hits").unwrap().inc(1);
    api.counter("errors").unwrap();
    root.counter("api_other").unwrap();
    assert_eq!(root.counter("api.v1.hits").unwrap().count(), 1);
    assert_eq!(api.len(), 2);
    v1.unregister_all();
    assert_eq!(api.len(), 1);
    assert_eq!(root.len(), 2);
    api.unregister_all();
    assert_eq!(root.len(), 1, "the parent keeps what is outside the prefix");
}

#[test]
fn labels_make_distinct_series() {
    let r = Registry::new();
    let get = MetricKey::new("requests").with_label("method", "GET");
    let put = MetricKey::new("requests").with_label("method", "PUT");
    r.counter(get.clone()).unwrap().inc(1);
    r.counter(put).unwrap().inc(2);
    assert_eq!(r.counter(get).unwrap().count(), 1);
    assert_eq!(r.len(), 2);
}

#[test]
fn the_series_cap_folds_new_series_and_counts_the_fold() {
    let r = Registry::builder().max_series(10).build();
    // A hostile label value: one new series per request.
    for i in 0..1000 {
        let key = MetricKey::new("requests").with_label("path", format!("/item/{i}"));
        r.counter(key).unwrap().inc(1);
    }
    // New names past the cap fold too.
    for i in 0..100 {
        r.timer(format!("user.{i}"))
            .unwrap()
            .update(Duration::from_millis(1));
    }
    assert!(r.len() <= 10 + 2, "{} series", r.len());
    assert_eq!(r.folded_series(), 990 + 100);
    let overflow = r
        .counter(MetricKey::new("requests").with_label("overflow", "true"))
        .unwrap();
    assert_eq!(overflow.count(), 990, "nothing recorded is lost");
    let timers = r
        .timer(MetricKey::new("registry.overflow.timer").with_label("overflow", "true"))
        .unwrap();
    assert_eq!(timers.count(), 100);
    // Existing series keep working.
    r.counter(MetricKey::new("requests").with_label("path", "/item/0"))
        .unwrap()
        .inc(1);
    assert_eq!(r.folded_series(), 1090);
}

#[test]
fn the_registry_clock_drives_its_meters_and_timers() {
    let clock = Arc::new(ManualClock::new());
    let r = Registry::builder().clock(clock.clone()).build();
    r.meter("m").unwrap().mark(10);
    clock.advance(Duration::from_secs(5));
    match r.get("m").unwrap().snapshot() {
        MetricSnapshot::Meter(s) => assert!((s.rate1 - 2.0).abs() < 1e-9),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn healthchecks_run_on_demand_and_a_panicking_one_is_unhealthy() {
    let r = Registry::new();
    r.register_healthcheck("ok", Healthcheck::new(|| Ok(())));
    r.register_healthcheck("boom", Healthcheck::new(|| panic!("disk gone")));
    let results = r.run_healthchecks();
    assert_eq!(results[0].0, "boom");
    assert_eq!(
        results[0].1,
        Err("healthcheck panicked: disk gone".to_string())
    );
    assert_eq!(results[1], ("ok".to_string(), Ok(())));
    assert!(r.unregister_healthcheck("boom").is_some());
    assert_eq!(r.run_healthchecks().len(), 1);
}

#[test]
fn the_default_registry_is_one_registry() {
    default_registry()
        .counter("registry_test.global")
        .unwrap()
        .inc(1);
    assert_eq!(
        default_registry()
            .counter("registry_test.global")
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn concurrent_get_or_register_yields_one_metric() {
    let r = Registry::new();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let r = r.clone();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    r.counter("shared").unwrap().inc(1);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(r.counter("shared").unwrap().count(), 8000);
    assert_eq!(r.len(), 1);
}

#[cfg(feature = "serde")]
#[test]
fn snapshots_serialise_to_json() {
    let r = Registry::new();
    r.counter(MetricKey::new("c").with_label("k", "v"))
        .unwrap()
        .inc(3);
    r.gauge_f64("g").unwrap().update(f64::NAN);
    r.timer("t").unwrap().update(Duration::from_micros(5));
    let json = serde_json::to_value(r.snapshot()).unwrap();
    let metrics = json["metrics"].as_array().unwrap();
    assert_eq!(metrics[0]["key"]["name"], "c");
    assert_eq!(metrics[0]["snapshot"]["type"], "counter");
    assert_eq!(metrics[0]["snapshot"]["count"], 3);
    assert!(
        metrics[1]["snapshot"]["value"].is_null(),
        "NaN becomes null in JSON"
    );
    assert_eq!(metrics[2]["snapshot"]["durations"]["count"], 1);
}

#[test]
fn a_label_with_an_empty_value_is_no_label() {
    let r = Registry::new();
    let bare = r.counter("x").unwrap();
    let empty = r.counter(MetricKey::new("x").with_label("a", "")).unwrap();
    bare.inc(1);
    empty.inc(1);
    assert_eq!(bare.count(), 2, "one series, not two");
    assert_eq!(r.len(), 1);
}

#[test]
fn the_cap_is_a_hard_bound_with_every_name_overflowing() {
    let r = Registry::builder().max_series(10).build();
    // Ten names fill it; then each of 40 names asks for a new labelled
    // series twice, and 50 new names ask too.
    for i in 0..10 {
        r.counter(format!("name.{i}")).unwrap().inc(1);
    }
    for round in 0..2 {
        for i in 0..40 {
            let key = MetricKey::new(format!("name.{}", i % 10)).with_label("n", i.to_string());
            r.counter(key).unwrap().inc(1);
        }
        for i in 0..50 {
            r.gauge(format!("fresh.{i}")).unwrap().update(round);
        }
    }
    assert!(
        r.len() <= 10 + tachymeter_core::MAX_OVERFLOW_NAMES + 7,
        "{} series",
        r.len()
    );
    // 40 labelled series and 50 names were folded, each counted once.
    assert_eq!(r.folded_series(), 40 + 50);
    let overflowed: i64 = r
        .snapshot()
        .metrics
        .iter()
        .filter(|m| m.key.labels().iter().any(|(k, _)| k == "overflow"))
        .map(|m| match m.snapshot {
            MetricSnapshot::Counter(c) => c.count,
            _ => 0,
        })
        .sum();
    assert_eq!(overflowed, 80, "every folded increment is kept");
}

#[test]
fn register_respects_the_cap() {
    let r = Registry::builder().max_series(2).build();
    r.register("a", Counter::new()).unwrap();
    r.counter("b").unwrap();
    let err = r.register("c", Counter::new()).unwrap_err();
    assert!(
        matches!(err, RegistryError::Full { max_series: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_series"), "{err}");
    assert_eq!(r.len(), 2);
}

#[test]
fn generation_moves_only_when_the_series_change() {
    let r = Registry::new();
    r.counter("a").unwrap();
    let g = r.generation();
    assert!(r.unregister("missing").is_none());
    r.prefixed("nothing.").unregister_all();
    r.counter("a").unwrap();
    assert_eq!(r.generation(), g, "no-op calls leave it alone");
    r.unregister("a");
    assert_ne!(r.generation(), g);
}
