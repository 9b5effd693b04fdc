//! Responses that never send a body, served by a real hyper server over
//! loopback: `HEAD` on a `GET` route, 204 and 304 with a body set, and a
//! 1xx status. Each ends with its head, is timed, and is never counted as
//! aborted; a body really cut short still is.

use axum::{body::Body, http::StatusCode, routing::get, Router};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tachymeter_core::{Metric, Registry};
use tachymeter_testkit::ServedRouter;
use tachymeter_tower::{HttpMetricsLayer, Measure};

fn counter(registry: &Registry, name: &str) -> i64 {
    match registry.get(name) {
        Some(Metric::Counter(c)) => c.count(),
        other => panic!("{name}: expected a counter, found {other:?}"),
    }
}

fn in_flight(registry: &Registry, name: &str) -> i64 {
    match registry.get(name) {
        Some(Metric::Gauge(g)) => g.value(),
        other => panic!("{name}: expected a gauge, found {other:?}"),
    }
}

fn timed(registry: &Registry, name: &str) -> u64 {
    match registry.get(name) {
        Some(Metric::Timer(t)) => t.count(),
        other => panic!("{name}: expected a timer, found {other:?}"),
    }
}

/// Sends one request on its own connection and reads the answer to its end.
fn exchange(addr: SocketAddr, method: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Waits (bounded) until no request is in flight.
fn settle(registry: &Registry, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while in_flight(registry, name) != 0 {
        assert!(Instant::now() < deadline, "requests still in flight");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn heads_without_a_body_end_the_request_and_are_timed() {
    let registry = Registry::new();
    let with_body = |status: StatusCode| {
        move || async move {
            axum::response::Response::builder()
                .status(status)
                .body(Body::from("a body that is never sent"))
                .unwrap()
        }
    };
    let app = Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/no-content", get(with_body(StatusCode::NO_CONTENT)))
        .route("/not-modified", get(with_body(StatusCode::NOT_MODIFIED)))
        .layer(HttpMetricsLayer::measuring(&registry, "web", Measure::Body).unwrap());
    let server = ServedRouter::start(app).unwrap();
    let addr = server.addr();

    const ROUNDS: u64 = 20;
    for _ in 0..ROUNDS {
        let head = exchange(addr, "HEAD", "/");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(!head.contains("hello"), "a HEAD answer has no body: {head}");
        let no_content = exchange(addr, "GET", "/no-content");
        assert!(no_content.starts_with("HTTP/1.1 204"), "{no_content}");
        let not_modified = exchange(addr, "GET", "/not-modified");
        assert!(not_modified.starts_with("HTTP/1.1 304"), "{not_modified}");
        let get = exchange(addr, "GET", "/");
        assert!(get.ends_with("hello"), "{get}");
    }
    settle(&registry, "web-in-flight");
    assert_eq!(
        counter(&registry, "web-aborted"),
        0,
        "no body was cut short"
    );
    assert_eq!(counter(&registry, "web-2xx"), 3 * ROUNDS as i64);
    assert_eq!(counter(&registry, "web-3xx"), ROUNDS as i64);
    assert_eq!(
        timed(&registry, "web"),
        4 * ROUNDS,
        "every request is timed"
    );
}
