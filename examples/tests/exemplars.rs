//! Exemplars end to end: the books service, scraped by a real Prometheus
//! 2.42 with exemplar storage on, while requests with sampled and
//! unsampled W3C `traceparent` headers arrive. Prometheus must store
//! exemplars on the GET route's buckets and status counter whose trace ids
//! are sampled ones sent, whose values lie in their bucket, and none from
//! an unsampled request.

use std::collections::HashSet;
use std::time::{Duration, Instant};
use tachymeter_core::Registry;
use tachymeter_examples::books::{app, sample_store};
use tachymeter_prometheus::DURATION_BOUNDS;
use tachymeter_testkit::http::Request;
use tachymeter_testkit::{Prometheus, PrometheusOptions, ServedRouter};

/// A trace id for request `i` of a kind (`s` sampled, `u` unsampled): 32
/// hex digits, different for every request.
fn trace_id(kind: char, i: usize) -> String {
    let marker = if kind == 's' { "5a" } else { "0b" };
    format!("{marker}{i:030x}")
}

#[test]
fn prometheus_stores_the_sampled_traces_of_the_get_route() {
    let registry = Registry::new();
    let server = ServedRouter::start(app(&registry, sample_store()).unwrap()).unwrap();
    let addr = server.addr();
    let prometheus =
        Prometheus::start_with(PrometheusOptions::new(addr.to_string()).exemplar_storage(true))
            .unwrap();

    let url = format!("http://{addr}/books/1");
    let mut sampled = HashSet::new();
    let mut unsampled = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut stored = Vec::new();
    let mut i = 0;
    while Instant::now() < deadline {
        // Each round: sampled, unsampled and untraced requests.
        for _ in 0..5 {
            i += 1;
            let (s, u) = (trace_id('s', i), trace_id('u', i));
            let span = format!("{:016x}", i + 1);
            Request::get(&url)
                .header("traceparent", &format!("00-{s}-{span}-01"))
                .send_expect(200)
                .unwrap();
            Request::get(&url)
                .header("traceparent", &format!("00-{u}-{span}-00"))
                .send_expect(200)
                .unwrap();
            Request::get(&url).send_expect(200).unwrap();
            sampled.insert(s);
            unsampled.insert(u);
        }
        std::thread::sleep(Duration::from_millis(500));
        stored = prometheus
            .query_exemplars("{__name__=~\"get_book_seconds_bucket|get_book_responses_total\"}")
            .unwrap();
        let buckets = stored
            .iter()
            .filter(|s| s.labels["__name__"] == "get_book_seconds_bucket")
            .any(|s| !s.exemplars.is_empty());
        let counters = stored
            .iter()
            .filter(|s| s.labels["__name__"] == "get_book_responses_total")
            .any(|s| !s.exemplars.is_empty());
        if buckets && counters {
            break;
        }
    }
    assert!(
        stored
            .iter()
            .any(|s| s.labels["__name__"] == "get_book_seconds_bucket"),
        "no bucket exemplars stored: {stored:?}"
    );
    let mut checked = 0;
    for series in &stored {
        for e in &series.exemplars {
            let id = &e.labels["trace_id"];
            assert!(
                sampled.contains(id),
                "{id} was not a sampled trace: {series:?}"
            );
            assert!(!unsampled.contains(id), "{id} was unsampled");
            assert_eq!(e.labels["span_id"].len(), 16, "{e:?}");
            if series.labels["__name__"] == "get_book_seconds_bucket" {
                // In its bucket: above the bound before, at most its own.
                let le = &series.labels["le"];
                let upper = le.parse::<f64>().unwrap_or(f64::INFINITY);
                let lower = DURATION_BOUNDS
                    .iter()
                    .copied()
                    .filter(|b| *b < upper)
                    .fold(0.0, f64::max);
                assert!(
                    e.value > lower && e.value <= upper,
                    "{} is not in ({lower}, {upper}]",
                    e.value
                );
            } else {
                // On the 2xx class: every GET here answered 200.
                assert_eq!(series.labels.get("code").map(String::as_str), Some("2xx"));
                assert_eq!(e.value, 1.0);
            }
            checked += 1;
        }
    }
    assert!(checked >= 2, "{stored:?}");
}

#[test]
fn prometheus_stores_an_exemplar_s_own_labels_as_they_were_given() {
    let registry = Registry::new();
    let server = ServedRouter::start(app(&registry, sample_store()).unwrap()).unwrap();
    let prometheus = Prometheus::start_with(
        PrometheusOptions::new(server.addr().to_string()).exemplar_storage(true),
    )
    .unwrap();
    // Braces, `#`, `=`, commas and spaces inside the quotes, non-ASCII
    // text, and the longest label text.
    let tenant = "{a=b}, #1 café";
    let long = "x".repeat(tachymeter_core::MAX_EXEMPLAR_LABEL_BYTES - tenant.len() - 10);
    let trace = tachymeter_core::Trace::new([0x5a; 16], [0x0f; 8])
        .with_label("tenant", tenant)
        .unwrap()
        .with_label("long", &long)
        .unwrap();
    registry
        .counter("orders")
        .unwrap()
        .inc_with_exemplar(1, trace);
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored = loop {
        let stored = prometheus
            .query_exemplars("{__name__=\"orders_total\"}")
            .unwrap();
        if stored.iter().any(|s| !s.exemplars.is_empty()) || Instant::now() > deadline {
            break stored;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let e = stored
        .iter()
        .flat_map(|s| &s.exemplars)
        .next()
        .unwrap_or_else(|| panic!("no exemplar stored: {stored:?}"));
    assert_eq!(e.labels["trace_id"], "5a".repeat(16), "{e:?}");
    assert_eq!(e.labels["span_id"], "0f".repeat(8), "{e:?}");
    assert_eq!(e.labels["tenant"], tenant, "{e:?}");
    assert_eq!(e.labels["long"], long, "{e:?}");
    assert_eq!(e.labels.len(), 4, "{e:?}");
    assert_eq!(e.value, 1.0);
}
