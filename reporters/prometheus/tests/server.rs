//! `PrometheusExporter::serve`: `/metrics` on an address of its own, with
//! no web framework, scraped by a real Prometheus, and stopped cleanly.
#![cfg(feature = "server")]

use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_prometheus::PrometheusExporter;
use tachymeter_testkit::http::Request;
use tachymeter_testkit::{Prometheus, PrometheusOptions};

#[test]
fn serves_metrics_to_a_real_prometheus_and_stops() {
    let registry = Registry::new();
    registry.counter("jobs.done").unwrap().inc(3);
    let server = PrometheusExporter::new(&registry)
        .serve("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();

    // Text to a plain GET, OpenMetrics when asked, 404 elsewhere.
    let url = format!("http://{addr}/metrics");
    let text = Request::get(&url).send_expect(200).unwrap();
    assert!(
        text.text().contains("jobs_done_total 3\n"),
        "{}",
        text.text()
    );
    let om = Request::get(&url)
        .header("Accept", "application/openmetrics-text; version=1.0.0")
        .send_expect(200)
        .unwrap();
    assert!(om.text().ends_with("# EOF\n"));
    Request::get(&format!("http://{addr}/other"))
        .send_expect(404)
        .unwrap();

    let prometheus = Prometheus::start_with(
        PrometheusOptions::new(addr.to_string()).scrape_interval(Duration::from_secs(1)),
    )
    .expect("Prometheus starts (./test.sh installs it)");
    let samples = prometheus
        .wait_for(
            r#"jobs_done_total{job="test"}"#,
            |s| s.len() == 1 && s[0].value == 3.0,
            Duration::from_secs(30),
        )
        .unwrap();
    assert_eq!(samples[0].value, 3.0);
    drop(prometheus);

    // Stopped: nothing listens there any more.
    server.stop();
    assert!(Request::get(&url)
        .timeout(Duration::from_secs(2))
        .send()
        .is_err());
}

#[test]
fn an_address_in_use_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let error = PrometheusExporter::new(&Registry::new())
        .serve(taken.local_addr().unwrap())
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
}

#[test]
fn other_routes_are_served_beside_metrics() {
    let registry = Registry::new();
    registry.counter("jobs.done").unwrap().inc(2);
    let server = PrometheusExporter::new(&registry)
        .server()
        .route("/debug/metrics", tachymeter_json::service(&registry))
        .route("/metrics", tachymeter_json::service(&registry))
        .serve("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let json = Request::get(&format!("http://{addr}/debug/metrics"))
        .send_expect(200)
        .unwrap();
    assert_eq!(
        json.text(),
        "{\"jobs.done\":{\"type\":\"counter\",\"count\":2}}\n"
    );
    // The first service given a path keeps it.
    let text = Request::get(&format!("http://{addr}/metrics"))
        .send_expect(200)
        .unwrap();
    assert!(
        text.text().contains("jobs_done_total 2\n"),
        "{}",
        text.text()
    );
    Request::get(&format!("http://{addr}/debug"))
        .send_expect(404)
        .unwrap();
    server.stop();
}
