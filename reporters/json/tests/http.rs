//! The JSON snapshot over HTTP: called directly, and served by axum.
#![cfg(feature = "http")]

use axum::Router;
use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::sync::Arc;
use tachymeter_core::{ManualClock, MetricKey, Registry};
use tachymeter_json::to_json;
use tower_service::Service;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A registry on a clock that stands still, so two renders agree exactly.
fn registry() -> Result<Registry, tachymeter_core::RegistryError> {
    let registry = Registry::builder()
        .clock(Arc::new(ManualClock::new()))
        .build();
    registry.counter("jobs")?.inc(3);
    registry
        .timer(MetricKey::new("http.latency").with_label("route", "/a\"b"))?
        .update(std::time::Duration::from_millis(2));
    registry.gauge_f64("nan")?.update(f64::NAN);
    Ok(registry)
}

fn request(method: Method) -> Request<()> {
    Request::builder()
        .method(method)
        .uri("/debug/metrics")
        .body(())
        .unwrap()
}

async fn body_bytes(body: tachymeter_report::ResponseBody) -> Bytes {
    body.collect().await.unwrap().to_bytes()
}

#[tokio::test]
async fn get_renders_the_snapshot_as_json() -> TestResult {
    let registry = registry()?;
    let mut service = tachymeter_json::service(&registry);
    let Ok(response) = service.call(request(Method::GET)).into_inner();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let length: usize = response.headers()[CONTENT_LENGTH].to_str()?.parse()?;
    let body = body_bytes(response.into_body()).await;
    assert_eq!(body.len(), length);
    let text = std::str::from_utf8(&body)?;
    assert_eq!(text, format!("{}\n", to_json(&registry.snapshot())));
    let doc: Value = serde_json::from_str(text)?;
    assert_eq!(doc["jobs"]["count"], 3);
    assert_eq!(doc[r#"http.latency{route="/a\"b"}"#]["count"], 1);
    assert_eq!(doc["nan"]["value"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn each_request_sees_a_fresh_snapshot() -> TestResult {
    let registry = registry()?;
    let jobs = registry.counter("jobs")?;
    let mut service = tachymeter_json::service(&registry);
    for expected in [3, 4, 5] {
        let Ok(response) = service.call(request(Method::GET)).into_inner();
        let doc: Value = serde_json::from_slice(&body_bytes(response.into_body()).await)?;
        assert_eq!(doc["jobs"]["count"], expected);
        jobs.inc(1);
    }
    Ok(())
}

#[tokio::test]
async fn head_has_headers_only_and_other_methods_are_refused() -> TestResult {
    let mut service = tachymeter_json::service(&registry()?);
    let Ok(head) = service.call(request(Method::HEAD)).into_inner();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[CONTENT_TYPE], "application/json");
    assert!(body_bytes(head.into_body()).await.is_empty());

    let Ok(post) = service.call(request(Method::POST)).into_inner();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()[ALLOW], "GET, HEAD");
    Ok(())
}

#[tokio::test]
async fn served_by_axum_over_a_real_connection() -> TestResult {
    let registry = registry()?;
    let app = Router::new().route_service("/debug/metrics", tachymeter_json::service(&registry));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let connection = tokio::spawn(connection);
    let request = Request::get("/debug/metrics")
        .header(http::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    let body = response.into_body().collect().await?.to_bytes();
    let doc: Value = serde_json::from_slice(&body)?;
    assert_eq!(
        doc["jobs"],
        serde_json::json!({"type": "counter", "count": 3})
    );

    drop(sender);
    connection.await??;
    server.abort();
    Ok(())
}
