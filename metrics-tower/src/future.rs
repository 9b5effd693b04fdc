//! [`ResponseFuture`]: finishes the request's metrics when the inner future
//! resolves, and counts it as cancelled or panicked when dropped before.

use crate::kind::{self, Kind};
use crate::recorder::{Failure, RequestMetrics};
use http::{Response, StatusCode};
use pin_project_lite::pin_project;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tachymeter_core::Trace;

/// Owns a started request until a response (or error) arrives. Dropped
/// before that, it counts the request as cancelled — or as panicked when the
/// drop interrupts a poll of the inner service — and ends its in-flight
/// count, exactly once.
#[derive(Debug)]
pub(crate) struct RequestGuard {
    metrics: Option<RequestMetrics>,
    start: Option<Instant>,
    /// A `HEAD` request: its response never sends a body.
    head: bool,
    /// The request's sampled trace, for exemplars.
    trace: Option<Trace>,
    /// True while the inner service runs: a drop then means it panicked.
    in_inner: bool,
}

impl RequestGuard {
    pub(crate) fn start(metrics: RequestMetrics, head: bool, trace: Option<Trace>) -> Self {
        let start = metrics.start();
        Self {
            metrics: Some(metrics),
            start,
            head,
            trace,
            in_inner: false,
        }
    }

    /// Runs `f` (a call or poll of the inner service); a panic in it leaves
    /// the guard marked, so its drop counts a panic.
    #[inline]
    pub(crate) fn inner<T>(&mut self, f: impl FnOnce() -> T) -> T {
        self.in_inner = true;
        let out = f();
        self.in_inner = false;
        out
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            let failure = if self.in_inner {
                Failure::Panic
            } else {
                Failure::Cancelled
            };
            metrics.on_failure(failure, self.start);
        }
    }
}

pin_project! {
    /// The future of every middleware of this crate.
    ///
    /// See [`TimedLayer`](crate::TimedLayer) for an example.
    /// `K` says what becomes of the response body (see [`Kind`]).
    #[derive(Debug)]
    pub struct ResponseFuture<F, K = kind::All> {
        #[pin]
        inner: F,
        guard: RequestGuard,
        _kind: PhantomData<fn() -> K>,
    }
}

impl<F, K> ResponseFuture<F, K> {
    pub(crate) fn new(inner: F, guard: RequestGuard) -> Self {
        Self {
            inner,
            guard,
            _kind: PhantomData,
        }
    }
}

impl<F, K, B, E> Future for ResponseFuture<F, K>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body,
    K: Kind,
{
    type Output = Result<Response<K::Body<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let result = match this.guard.inner(|| this.inner.as_mut().poll(cx)) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        let start = this.guard.start;
        let Some(metrics) = this.guard.metrics.take() else {
            // Polled again after completion: pass through, record nothing.
            return Poll::Ready(result.map(|r| r.map(K::untracked)));
        };
        Poll::Ready(match result {
            Ok(response) => {
                let status = response.status();
                metrics.on_response(start, status.as_u16(), this.guard.trace);
                // Servers send no body after these heads, whatever the body
                // says: the request ends with the head.
                let bodiless = this.guard.head
                    || status.is_informational()
                    || status == StatusCode::NO_CONTENT
                    || status == StatusCode::NOT_MODIFIED;
                Ok(
                    response
                        .map(|body| K::finish(body, metrics, start, this.guard.trace, bodiless)),
                )
            }
            Err(error) => {
                metrics.on_failure(Failure::Error, start);
                Err(error)
            }
        })
    }
}
