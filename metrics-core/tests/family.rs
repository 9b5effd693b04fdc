//! `Family`: labelled handles found by their values, exact under
//! concurrency, bounded by the registry's cap.

use std::time::Duration;
use tachymeter_core::{Metric, MetricKey, MetricKind, Registry, RegistryError};

fn key(name: &str, labels: &[(&str, &str)]) -> MetricKey {
    labels
        .iter()
        .fold(MetricKey::new(name), |k, (n, v)| k.with_label(*n, *v))
}

#[test]
fn values_find_the_registry_series_of_their_labels() {
    let registry = Registry::new();
    let orders = registry
        .counter_family("shop.orders", ["tier", "region"])
        .unwrap();
    orders.with(["pro", "eu"]).inc(2);
    orders.with(["pro", "us"]).inc(1);
    orders.with(["pro", "eu"]).inc(3);
    let eu = key("shop.orders", &[("tier", "pro"), ("region", "eu")]);
    assert_eq!(registry.counter(eu).unwrap().count(), 5);
    assert_eq!(registry.len(), 2);
    assert_eq!(orders.label_names(), ["tier", "region"]);
    assert_eq!(orders.name(), "shop.orders");
    // Values that join to the same text are different series.
    let joined = registry.counter_family("j", ["a", "b"]).unwrap();
    joined.with(["ab", "c"]).inc(1);
    joined.with(["a", "bc"]).inc(10);
    assert_eq!(joined.with(["ab", "c"]).count(), 1);
}

#[test]
fn every_kind_has_families() {
    let registry = Registry::new();
    registry
        .gauge_family("g", ["a"])
        .unwrap()
        .with(["1"])
        .update(-4);
    registry
        .gauge_f64_family("f", ["a"])
        .unwrap()
        .with(["1"])
        .update(0.5);
    registry
        .meter_family("m", ["a"])
        .unwrap()
        .with(["1"])
        .mark(3);
    registry
        .histogram_family("h", ["a"])
        .unwrap()
        .with(["1"])
        .update(9);
    let t = registry.timer_family("t", ["a"]).unwrap();
    t.with(["1"]).update(Duration::from_millis(2));
    let kinds: Vec<MetricKind> = registry.metrics().iter().map(|(_, m)| m.kind()).collect();
    assert_eq!(
        kinds,
        [
            MetricKind::GaugeF64,
            MetricKind::Gauge,
            MetricKind::Histogram,
            MetricKind::Meter,
            MetricKind::Timer
        ]
    );
    match registry.get(key("t", &[("a", "1")])) {
        Some(Metric::Timer(timer)) => assert_eq!(timer.count(), 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn counts_are_exact_from_many_threads_on_new_and_seen_values() {
    let registry = Registry::new();
    let family = registry.counter_family("jobs", ["queue"]).unwrap();
    let queues = ["mail", "pdf", "thumbs", "index"];
    std::thread::scope(|s| {
        for t in 0..4 {
            let family = family.clone();
            s.spawn(move || {
                for i in 0..20_000 {
                    family.with([queues[(i + t) % 4]]).inc(1);
                }
            });
        }
    });
    for queue in queues {
        assert_eq!(family.with([queue]).count(), 20_000, "{queue}");
    }
    assert_eq!(registry.len(), 4);
}

#[test]
fn past_the_cap_new_values_share_the_overflow_series_and_nothing_is_lost() {
    let registry = Registry::builder().max_series(5).build();
    let family = registry.counter_family("hits", ["path"]).unwrap();
    for i in 0..1_000 {
        family.with([&format!("/hostile/{i}")]).inc(1);
    }
    // Five series, the overflow among them; every increment counted.
    let total: i64 = registry
        .metrics()
        .iter()
        .map(|(_, m)| match m {
            Metric::Counter(c) => c.count(),
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(total, 1_000);
    assert!(registry.len() <= 6, "{}", registry.len());
    let overflow = key("hits", &[("overflow", "true")]);
    assert!(registry.counter(overflow).unwrap().count() >= 995);
}

#[test]
fn a_name_of_another_kind_or_a_label_given_twice_is_an_error_that_says_what_to_do() {
    let registry = Registry::new();
    registry.gauge("orders").unwrap();
    let clash = registry.counter_family("orders", ["tier"]).unwrap_err();
    assert!(matches!(clash, RegistryError::TypeClash { .. }), "{clash}");
    let twice = registry.counter_family("x", ["a", "a"]).unwrap_err();
    assert_eq!(
        twice.to_string(),
        "family `x` was given the label name `a` twice: give each label name once"
    );
}

#[test]
fn a_series_taken_by_another_kind_after_the_family_was_made_counts_in_the_overflow_series() {
    let registry = Registry::new();
    let family = registry.counter_family("late", ["a"]).unwrap();
    registry.gauge(key("late", &[("a", "x")])).unwrap();
    family.with(["y"]).inc(2);
    let overflow = key("registry.overflow.counter", &[("overflow", "true")]);
    assert_eq!(registry.counter(overflow).unwrap().count(), 2);
}

#[test]
fn remove_unregisters_and_forgets_a_series() {
    let registry = Registry::new();
    let family = registry.counter_family("c", ["a"]).unwrap();
    family.with(["x"]).inc(4);
    assert!(family.remove(["x"]));
    assert!(!family.remove(["x"]));
    assert_eq!(registry.len(), 0);
    // Seen again: a new series from zero.
    family.with(["x"]).inc(1);
    assert_eq!(
        registry.counter(key("c", &[("a", "x")])).unwrap().count(),
        1
    );
}

#[test]
fn a_prefixed_registry_prefixes_its_families() {
    let root = Registry::new();
    let http = root.prefixed("http.");
    http.counter_family("requests", ["route"])
        .unwrap()
        .with(["/"])
        .inc(1);
    assert_eq!(
        root.counter(key("http.requests", &[("route", "/")]))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn thousands_of_values_added_from_threads_at_once_each_keep_their_own_series() {
    let registry = Registry::new();
    let family = registry.counter_family("users", ["id"]).unwrap();
    let ids: Vec<String> = (0..3_000).map(|i| format!("user-{i}")).collect();
    std::thread::scope(|s| {
        for t in 0..3 {
            let (family, ids) = (&family, &ids);
            // Each thread walks the ids from its own start, so new values
            // are added while other threads read the table.
            s.spawn(move || {
                for k in 0..ids.len() {
                    let i = (k + t * 1_000) % ids.len();
                    family.with([ids[i].as_str()]).inc(i as u64 + 1);
                }
            });
        }
    });
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            family.with([id.as_str()]).count(),
            3 * (i as i64 + 1),
            "{id}"
        );
    }
    assert_eq!(registry.len(), 3_000);
}
