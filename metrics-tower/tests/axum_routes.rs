//! `RouteMetricsLayer` on a real axum router: series per route template and
//! method, never per raw path; unmatched requests and unknown methods fold.
#![cfg(feature = "axum")]

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tachymeter_core::{Metric, MetricKey, Registry};
use tachymeter_tower::RouteMetricsLayer;
use tower::ServiceExt;

fn key(name: &str, method: &str, route: &str) -> MetricKey {
    MetricKey::new(name)
        .with_label("method", method)
        .with_label("route", route)
}

fn count(registry: &Registry, key: MetricKey) -> i64 {
    match registry.get(key.clone()) {
        Some(Metric::Counter(c)) => c.count(),
        other => panic!("{key}: expected a counter, found {other:?}"),
    }
}

async fn send(app: &Router, method: Method, uri: &str) -> StatusCode {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    response.into_body().collect().await.unwrap();
    status
}

#[tokio::test]
async fn routes_are_labelled_by_template_and_method() {
    let registry = Registry::new();
    let app = Router::new()
        .route(
            "/books/{id}",
            get(|| async { "book" }).put(|| async { StatusCode::CREATED }),
        )
        .layer(RouteMetricsLayer::new(&registry, "http").unwrap());

    for id in ["1", "2", "secret-token-in-the-path", "4?q=x"] {
        assert_eq!(
            send(&app, Method::GET, &format!("/books/{id}")).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(&app, Method::PUT, "/books/1").await,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app, Method::GET, "/no/such/page").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, Method::GET, "/another/one").await,
        StatusCode::NOT_FOUND
    );
    let invented = Method::from_bytes(b"BREW").unwrap();
    send(&app, invented, "/books/1").await;

    assert_eq!(count(&registry, key("http-2xx", "GET", "/books/{id}")), 4);
    assert_eq!(count(&registry, key("http-2xx", "PUT", "/books/{id}")), 1);
    assert_eq!(count(&registry, key("http-4xx", "GET", "unmatched")), 2);
    assert_eq!(count(&registry, key("http-4xx", "other", "/books/{id}")), 1);
    // No series mentions a raw path.
    for (k, _) in registry.metrics() {
        let route = k
            .labels()
            .iter()
            .find(|(n, _)| n == "route")
            .map(|(_, v)| v.as_str());
        assert!(
            matches!(route, Some("/books/{id}") | Some("unmatched")),
            "unexpected series {k}"
        );
    }
    // In flight: nothing left.
    match registry.get(key("http-in-flight", "GET", "/books/{id}")) {
        Some(Metric::Gauge(g)) => assert_eq!(g.value(), 0),
        other => panic!("expected a gauge, found {other:?}"),
    }
}

#[test]
fn a_clashing_name_is_an_error_when_the_layer_is_built() {
    let registry = Registry::new();
    registry.counter("http").unwrap();
    assert!(RouteMetricsLayer::new(&registry, "http").is_err());
}

/// The count of the timer `key` (panics if it is not a timer).
fn timed(registry: &Registry, key: MetricKey) -> u64 {
    match registry.get(key.clone()) {
        Some(Metric::Timer(t)) => t.count(),
        other => panic!("{key}: expected a timer, found {other:?}"),
    }
}

fn duration(
    method: &str,
    route: Option<&str>,
    status: Option<u16>,
    error: Option<&str>,
) -> MetricKey {
    let mut key = MetricKey::new(tachymeter_tower::REQUEST_DURATION)
        .with_label("http.request.method", method)
        .with_label("url.scheme", "http");
    if let Some(route) = route {
        key = key.with_label("http.route", route);
    }
    if let Some(status) = status {
        key = key.with_label("http.response.status_code", status.to_string());
    }
    if let Some(error) = error {
        key = key.with_label("error.type", error);
    }
    key
}

#[tokio::test]
async fn semantic_conventions_name_and_label_by_opentelemetry() {
    let registry = Registry::new();
    let app = Router::new()
        .route(
            "/books/{id}",
            get(|| async { "book" }).post(|| async { StatusCode::SERVICE_UNAVAILABLE }),
        )
        .route(
            "/crash",
            get(|| async {
                panic!("handler bug");
                #[allow(unreachable_code)]
                StatusCode::OK
            }),
        )
        .layer(RouteMetricsLayer::semantic_conventions(&registry, "http").unwrap());

    for id in ["1", "2", "token-in-path"] {
        assert_eq!(
            send(&app, Method::GET, &format!("/books/{id}")).await,
            StatusCode::OK
        );
    }
    send(&app, Method::POST, "/books/9").await;
    send(&app, Method::GET, "/no/such/page").await;
    send(&app, Method::from_bytes(b"BREW").unwrap(), "/books/1").await;
    let crash = Request::builder()
        .uri("/crash")
        .body(Body::empty())
        .unwrap();
    let panicked = tokio::spawn(app.clone().oneshot(crash)).await;
    assert!(panicked.unwrap_err().is_panic());

    let route = Some("/books/{id}");
    assert_eq!(timed(&registry, duration("GET", route, Some(200), None)), 3);
    // A 5xx is an error: its status is its error.type.
    assert_eq!(
        timed(&registry, duration("POST", route, Some(503), Some("503"))),
        1
    );
    // Unmatched requests share one series with no route.
    assert_eq!(timed(&registry, duration("GET", None, Some(404), None)), 1);
    assert_eq!(
        timed(&registry, duration("_OTHER", route, Some(405), None)),
        1
    );
    assert_eq!(
        timed(
            &registry,
            duration("GET", Some("/crash"), None, Some("panic"))
        ),
        1
    );
    // Nothing left in flight, and no series names a raw path.
    for (key, metric) in registry.metrics() {
        if key.name() == tachymeter_tower::ACTIVE_REQUESTS {
            assert!(
                matches!(metric, Metric::Gauge(g) if g.value() == 0),
                "{key}"
            );
        } else {
            assert_eq!(key.name(), tachymeter_tower::REQUEST_DURATION, "{key}");
            let route = key.labels().iter().find(|(n, _)| n == "http.route");
            assert!(
                matches!(
                    route.map(|(_, v)| v.as_str()),
                    None | Some("/books/{id}") | Some("/crash")
                ),
                "{key}"
            );
        }
    }
}

#[tokio::test]
async fn routes_added_after_the_layer_are_not_counted() {
    let registry = Registry::new();
    let app = Router::new()
        .route("/books/{id}", get(|| async { "book" }))
        .layer(RouteMetricsLayer::new(&registry, "http").unwrap())
        .route("/metrics", get(|| async { "scraped" }));
    send(&app, Method::GET, "/books/1").await;
    for _ in 0..3 {
        assert_eq!(send(&app, Method::GET, "/metrics").await, StatusCode::OK);
    }
    assert_eq!(count(&registry, key("http-2xx", "GET", "/books/{id}")), 1);
    // Not even as unmatched requests: the three scrapes never reached it.
    let responses: i64 = registry
        .metrics()
        .iter()
        .filter(|(k, _)| k.name() == "http-2xx")
        .map(|(k, _)| count(&registry, k.clone()))
        .sum();
    assert_eq!(responses, 1);
}
