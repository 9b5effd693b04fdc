//! The books service end to end through its router: responses, and the
//! per-route timers and status counts in the report.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use metrics_core::Registry;
use metrics_examples::books::{app, Book, Store};
use metrics_examples::format_report;
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

fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no line for {name} in\n{report}"))
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

    let report = format_report(&registry.snapshot());
    assert!(line(&report, "get-book-2xx").ends_with(" 1"), "{report}");
    assert!(line(&report, "get-book-4xx").ends_with(" 1"), "{report}");
    assert!(line(&report, "put-book-2xx").ends_with(" 2"), "{report}");
    assert!(line(&report, "put-book-4xx").ends_with(" 1"), "{report}");
    assert!(
        line(&report, "get-book-in-flight").ends_with(" 0"),
        "{report}"
    );
    // The timers: one block per route, with its count.
    for (timer, count) in [("get-book", 2), ("put-book", 3)] {
        let block: Vec<&str> = report.lines().skip_while(|l| *l != timer).take(2).collect();
        assert_eq!(block.len(), 2, "no timer block {timer} in\n{report}");
        assert!(
            block[1].trim_start().starts_with("count") && block[1].ends_with(&format!(" {count}"))
        );
    }
}
