//! A Tower service that renders metrics on each request (`GET /metrics`).

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, VARY};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// What a render function returns: a body and its content type.
///
/// See [`Render`] for an example.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The `Content-Type` of `body`.
    pub content_type: HeaderValue,
    /// The rendered metrics.
    pub body: Bytes,
}

/// Renders metrics for one request; implemented by every
/// `Fn(&HeaderMap) -> Rendered` closure.
///
/// ```
/// use http::{header::HeaderValue, HeaderMap};
/// use tachymeter_report::{Render, Rendered};
///
/// let hello = |_: &HeaderMap| Rendered {
///     content_type: HeaderValue::from_static("text/plain"),
///     body: "hello".into(),
/// };
/// assert_eq!(hello.render(&HeaderMap::new()).body, "hello");
/// ```
pub trait Render {
    /// The rendering for a request with these headers.
    fn render(&self, headers: &HeaderMap) -> Rendered;

    /// The rendering for a request to `uri` with these headers, for
    /// renderers that read the path or query; by default
    /// [`render`](Self::render), which does not.
    fn render_request(&self, uri: &Uri, headers: &HeaderMap) -> Rendered {
        let _ = uri;
        self.render(headers)
    }
}

impl<F: Fn(&HeaderMap) -> Rendered> Render for F {
    fn render(&self, headers: &HeaderMap) -> Rendered {
        self(headers)
    }
}

/// A Tower service answering each request with a fresh rendering of the
/// metrics, for `GET /metrics` on an application's router or on a listener
/// of its own.
///
/// - `GET` gets the rendering (the render function sees the request's
///   headers, e.g. to pick a format from `Accept`); `HEAD` gets its headers
///   only; any other method gets `405 Method Not Allowed`.
/// - At most `max_concurrent` renders run at once (default 4); a request
///   beyond that gets `503 Service Unavailable` with `Retry-After: 1` at
///   once, so a scrape storm cannot pile up work.
///
/// Rendering is synchronous and takes microseconds to a few milliseconds;
/// it reads snapshots and never blocks the recording path.
///
/// ```
/// use bytes::Bytes;
/// use http::{HeaderValue, Request, StatusCode};
/// use tachymeter_report::{RenderService, Rendered};
/// use tower_service::Service;
///
/// let mut service = RenderService::new(|_headers: &http::HeaderMap| Rendered {
///     content_type: HeaderValue::from_static("text/plain"),
///     body: Bytes::from_static(b"up 1\n"),
/// });
/// let request = Request::get("/metrics").body(()).unwrap();
/// let Ok(response) = service.call(request).into_inner();
/// assert_eq!(response.status(), StatusCode::OK);
/// ```
pub struct RenderService<F> {
    render: Arc<F>,
    in_flight: Arc<AtomicUsize>,
    max_concurrent: usize,
}

impl<F: Render> RenderService<F> {
    /// Renders with `render` on each `GET`.
    pub fn new(render: F) -> Self {
        Self {
            render: Arc::new(render),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_concurrent: 4,
        }
    }

    /// At most `max` renders at once (at least 1); beyond that, `503`.
    pub fn max_concurrent(mut self, max: usize) -> Self {
        self.max_concurrent = max.max(1);
        self
    }
}

impl<F> Clone for RenderService<F> {
    fn clone(&self) -> Self {
        Self {
            render: Arc::clone(&self.render),
            in_flight: Arc::clone(&self.in_flight),
            max_concurrent: self.max_concurrent,
        }
    }
}

impl<F> std::fmt::Debug for RenderService<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderService")
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .field("max_concurrent", &self.max_concurrent)
            .finish_non_exhaustive()
    }
}

/// Decrements the in-flight count however the render ends.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Release);
    }
}

impl<F: Render, B> tower_service::Service<Request<B>> for RenderService<F> {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Ready<Result<Response<ResponseBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let head = *request.method() == Method::HEAD;
        if *request.method() != Method::GET && !head {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return ready(Ok(response));
        }
        if self.in_flight.fetch_add(1, Ordering::Acquire) >= self.max_concurrent {
            self.in_flight.fetch_sub(1, Ordering::Release);
            let mut response = plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many concurrent metric renders; retry shortly\n",
            );
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return ready(Ok(response));
        }
        let slot = Slot(&self.in_flight);
        let rendered = self.render.render_request(request.uri(), request.headers());
        drop(slot);
        let length = HeaderValue::from(rendered.body.len());
        let body = if head { Bytes::new() } else { rendered.body };
        let mut response = Response::new(ResponseBody::new(body));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, rendered.content_type);
        response.headers_mut().insert(CONTENT_LENGTH, length);
        // The format may follow `Accept`: a cache must not serve one
        // scraper's format to another.
        response
            .headers_mut()
            .insert(VARY, HeaderValue::from_static("accept"));
        ready(Ok(response))
    }
}

fn plain(status: StatusCode, message: &'static str) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::new(Bytes::from_static(message.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The body of a [`RenderService`] response: one chunk of bytes.
#[derive(Debug, Default)]
pub struct ResponseBody {
    data: Option<Bytes>,
}

impl ResponseBody {
    fn new(data: Bytes) -> Self {
        Self {
            data: (!data.is_empty()).then_some(data),
        }
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.data.take().map(|d| Ok(http_body::Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
