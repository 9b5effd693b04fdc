//! The render service: methods, HEAD, and the bound on concurrent renders.
#![cfg(feature = "http")]

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body as _;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tachymeter_report::{RenderService, Rendered, ResponseBody};
use tower_service::Service;

fn call<F: tachymeter_report::Render>(
    service: &mut RenderService<F>,
    method: Method,
) -> Response<ResponseBody> {
    let request = Request::builder()
        .method(method)
        .uri("/metrics")
        .body(())
        .unwrap();
    let Ok(response) = service.call(request).into_inner();
    response
}

fn rendered(_: &HeaderMap) -> Rendered {
    Rendered {
        content_type: HeaderValue::from_static("text/plain"),
        body: Bytes::from_static(b"up 1\n"),
    }
}

#[test]
fn get_renders_head_has_headers_only_and_others_are_refused() {
    let mut service = RenderService::new(rendered);
    let get = call(&mut service, Method::GET);
    assert_eq!(get.status(), StatusCode::OK);
    assert_eq!(get.headers()[CONTENT_TYPE], "text/plain");
    assert_eq!(get.headers()[CONTENT_LENGTH], "5");
    assert_eq!(get.body().size_hint().exact(), Some(5));

    let head = call(&mut service, Method::HEAD);
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[CONTENT_LENGTH], "5");
    assert!(head.body().is_end_stream());

    let post = call(&mut service, Method::POST);
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()[ALLOW], "GET, HEAD");
}

#[test]
fn renders_beyond_the_bound_get_503_at_once() {
    // The first render blocks until the test lets it go.
    let (started_tx, started) = mpsc::channel::<()>();
    let (release, hold) = mpsc::channel::<()>();
    let hold = Arc::new(Mutex::new(hold));
    let render = move |headers: &HeaderMap| {
        if headers.contains_key("x-block") {
            started_tx.send(()).unwrap();
            hold.lock().unwrap().recv().unwrap();
        }
        rendered(headers)
    };
    let service = RenderService::new(render).max_concurrent(1);
    let mut first = service.clone();
    let blocked = std::thread::spawn(move || {
        let request = Request::builder().header("x-block", "1").body(()).unwrap();
        let Ok(response) = first.call(request).into_inner();
        response.status()
    });
    started.recv().unwrap();

    let mut second = service.clone();
    let busy = call(&mut second, Method::GET);
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()[RETRY_AFTER], "1");

    release.send(()).unwrap();
    assert_eq!(blocked.join().unwrap(), StatusCode::OK);
    // The slot is free again.
    assert_eq!(call(&mut second, Method::GET).status(), StatusCode::OK);
}
