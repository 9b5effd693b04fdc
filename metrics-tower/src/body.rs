//! [`MetricsBody`]: the response body, watched to its end.

use crate::recorder::RequestMetrics;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;
use tachymeter_core::Trace;

/// Ends the request when the body ends, or counts it aborted if dropped
/// first.
#[derive(Debug)]
struct BodyGuard {
    metrics: Option<RequestMetrics>,
    start: Option<Instant>,
    trace: Option<Trace>,
}

impl BodyGuard {
    fn finish(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            metrics.on_body_end(self.start, self.trace);
        }
    }
}

impl Drop for BodyGuard {
    fn drop(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            metrics.on_body_aborted();
        }
    }
}

pin_project! {
    /// The response body of the middleware of this crate whose metrics need
    /// the body's end (see [`Kind`](crate::Kind)): the inner body,
    /// unchanged, plus the end of the request's metrics (in-flight count,
    /// body-end timing, aborts) when it ends or is dropped.
    ///
    /// See [`InFlightLayer`](crate::InFlightLayer) for an example: the
    /// request ends when this body does.
    #[derive(Debug)]
    pub struct MetricsBody<B> {
        #[pin]
        inner: B,
        guard: BodyGuard,
    }
}

impl<B: Body> MetricsBody<B> {
    /// Watches `inner`; with `bodiless` (a `HEAD` request, a 1xx, 204 or
    /// 304 response) the request ends now, since no body will be sent.
    pub(crate) fn new(
        inner: B,
        metrics: RequestMetrics,
        (start, trace): (Option<Instant>, Option<Trace>),
        bodiless: bool,
    ) -> Self {
        let mut guard = BodyGuard {
            metrics: Some(metrics),
            start,
            trace,
        };
        // A body that is already over may never be polled.
        if bodiless || inner.is_end_stream() {
            guard.finish();
        }
        Self { inner, guard }
    }
}

impl<B> MetricsBody<B> {
    pub(crate) fn untracked(inner: B) -> Self {
        Self {
            inner,
            guard: BodyGuard {
                metrics: None,
                start: None,
                trace: None,
            },
        }
    }

    /// The wrapped body.
    pub fn get_ref(&self) -> &B {
        &self.inner
    }
}

impl<B: Body> Body for MetricsBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        match &frame {
            // The end, or the last frame of a body that knows it is over
            // (servers stop polling such a body).
            None => this.guard.finish(),
            Some(Ok(_)) if this.inner.is_end_stream() => this.guard.finish(),
            Some(Ok(_)) => {}
            // A failed body did not reach its end: the guard's drop counts it.
            Some(Err(_)) => {}
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
