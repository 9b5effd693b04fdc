//! The books service end to end through its router: responses, and the
//! per-route timers and status counts in the report.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tachymeter_core::Registry;
use tachymeter_examples::books::{app, Book, Store};
use tower::ServiceExt;

async fn send(app: &axum::Router, method: Method, uri: &str, body: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn books_are_served_and_every_route_is_measured() {
    let registry = Registry::new();
    let app = app(&registry, Store::default()).unwrap();

    let dune = r#"{"title":"Dune","author":"Frank Herbert"}"#;
    assert_eq!(
        send(&app, Method::PUT, "/books/7", dune).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app, Method::PUT, "/books/7", dune).await.0,
        StatusCode::OK
    );
    let (status, body) = send(&app, Method::GET, "/books/7", "").await;
    assert_eq!(status, StatusCode::OK);
    let book: Book = serde_json::from_str(&body).unwrap();
    assert_eq!(book.title, "Dune");
    assert_eq!(
        send(&app, Method::GET, "/books/8", "").await.0,
        StatusCode::NOT_FOUND
    );
    assert!(send(&app, Method::PUT, "/books/9", "not json")
        .await
        .0
        .is_client_error());

    // The log reporter's text: a block per metric.
    let report = tachymeter_log::format(&registry.snapshot());
    for (name, field, value) in [
        ("counter get-book-2xx", "count:", "1"),
        ("counter get-book-4xx", "count:", "1"),
        ("counter put-book-2xx", "count:", "2"),
        ("counter put-book-4xx", "count:", "1"),
        ("gauge get-book-in-flight", "value:", "0"),
        ("timer get-book", "count:", "2"),
        ("timer put-book", "count:", "3"),
    ] {
        // A block starts `kind name`, then ` — description` when described.
        let block: Vec<&str> = report
            .lines()
            .skip_while(|l| l.split(" \u{2014} ").next() != Some(name))
            .take(2)
            .collect();
        assert_eq!(block.len(), 2, "no block {name} in\n{report}");
        let words: Vec<&str> = block[1].split_whitespace().collect();
        assert_eq!(words[..2], [field, value], "{name} in\n{report}");
    }

    // The same counts at /metrics (Prometheus, status classes as a `code`
    // label) and /debug/metrics (JSON).
    let (status, text) = send(&app, Method::GET, "/metrics", "").await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "get_book_responses_total{code=\"2xx\"} 1",
        "get_book_responses_total{code=\"4xx\"} 1",
        "put_book_responses_total{code=\"2xx\"} 2",
        "get_book_seconds_count 2",
        "put_book_seconds_count 3",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
    }
    // The service's own metrics: one book stored (put twice), the sizes
    // of the two accepted PUTs, and the process's.
    assert!(text.lines().any(|l| l == "books_stored 1"), "{text}");
    assert!(text.contains("books_put_bytes_count 2\n"), "{text}");
    assert!(text.contains("\nprocess_resident_memory_bytes "), "{text}");
    let (status, json) = send(&app, Method::GET, "/debug/metrics", "").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["put-book-2xx"]["count"], 2);
    assert_eq!(json["get-book"]["count"], 2);

    // A Prometheus with native histograms on asks for protobuf, and gets
    // it: each route's timer as a native histogram.
    let request = Request::get("/metrics")
        .header(
            "accept",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,\
             application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        tachymeter_prometheus::PROTOBUF_CONTENT_TYPE
    );
    assert_eq!(response.headers()["vary"], "accept");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.windows(16).any(|w| w == b"get_book_seconds"));
}

#[tokio::test]
async fn books_push_over_otlp_when_the_variables_say_where() {
    use tachymeter_testkit::OtlpReceiver;
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let app = app(&registry, Store::default()).unwrap();
    send(&app, Method::GET, "/books/1", "").await;
    let base = format!("http://{}", receiver.addr());
    let env = tachymeter_otlp::Env::read(|name| match name {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(base.clone()),
        "OTEL_METRIC_EXPORT_INTERVAL" => Some("60000".into()),
        _ => None,
    });
    let none = tachymeter_otlp::Env::read(|_| None);
    assert!(
        tachymeter_examples::push_over_otlp(&registry, &none, "books")
            .unwrap()
            .is_none()
    );
    let reporter = tachymeter_examples::push_over_otlp(&registry, &env, "books")
        .unwrap()
        .expect("an endpoint is set");
    // Stopping sends the final push.
    reporter.stop();
    let exports = receiver
        .wait_exports(1, std::time::Duration::from_secs(20))
        .unwrap();
    let request = exports[0].request.as_ref().expect("decoded");
    let text = request.to_string();
    assert!(text.contains("\"service.name\""), "{text}");
    assert!(text.contains("\"books\""), "{text}");
    assert!(text.contains("get-book"), "{text}");
}

#[tokio::test]
async fn books_metrics_pass_promtool_with_types_and_help_for_every_family() {
    use tachymeter_testkit::Promtool;
    let registry = Registry::new();
    let app = app(&registry, Store::default()).unwrap();
    // What the example adds besides the routes: the runtime's health, the
    // facade's counters and a running log reporter (with its own series).
    tachymeter_tokio::register(&registry, &tokio::runtime::Handle::current()).unwrap();
    // The facade's recorder (the example installs it for the process; its
    // own counters are what it adds to the registry).
    let _facade = tachymeter_facade::FacadeRecorder::new(&registry);
    let reporter = tachymeter_log::LogReporter::builder()
        .sink(tachymeter_log::Sink::writer(std::io::sink()))
        .start(&registry, std::time::Duration::from_secs(3600))
        .unwrap();
    assert!(reporter.report_now());
    send(&app, Method::GET, "/books/1", "").await;
    send(
        &app,
        Method::PUT,
        "/books/2",
        r#"{"title":"t","author":"a"}"#,
    )
    .await;

    let (_, text) = send(&app, Method::GET, "/metrics", "").await;
    let outcome = Promtool::check_metrics(&text).expect("promtool runs");
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (0, ""),
        "promtool check metrics:\n{}\n{text}",
        outcome.stderr
    );
    // The runtime's and the process's totals are counters, as every
    // Prometheus client has them.
    for family in [
        "process_cpu_seconds",
        "tokio_busy_seconds",
        "tokio_parks",
        "reporter_log_reports",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}_total counter\n")),
            "{family} is not a counter in\n{text}"
        );
    }
    // HELP says what a series is, never its name again.
    for line in text.lines().filter(|l| l.starts_with("# HELP ")) {
        let mut words = line.splitn(4, ' ').skip(2);
        let (name, help) = (words.next().unwrap(), words.next().unwrap_or(""));
        assert!(
            !help.is_empty() && help.replace(['.', '-'], "_") != name,
            "HELP repeats the name: {line}"
        );
    }
    reporter.stop();
}
