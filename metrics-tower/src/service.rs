//! [`MetricsService`]: the service every layer of this crate wraps around
//! the inner one.

use crate::future::{RequestGuard, ResponseFuture};
use crate::kind::{self, Kind};
use crate::recorder::RequestMetrics;
use crate::trace::request_trace;
use http::{Request, Response};
use std::fmt;
use std::marker::PhantomData;
use std::task::{Context, Poll};
use tower_service::Service;

/// Records each request into a [`RequestMetrics`], then calls the inner
/// service. Responses, errors and the response body pass through unchanged
/// (the body is wrapped to see its end when the metrics need it).
///
/// `K` names which layer built it ([`Timed`](crate::Timed),
/// [`CountedByStatusXX`](crate::CountedByStatusXX), …) and says whether the
/// body is watched ([`Kind`]); what is recorded comes from the metrics it
/// holds. [`MetricsService::new`] takes metrics of one's own, and makes a
/// [`kind::All`](crate::kind::All) service, which watches the body.
///
/// See [`RequestMetrics`] for an example; the layers of this crate build
/// one for each service they wrap.
pub struct MetricsService<S, K> {
    inner: S,
    metrics: RequestMetrics,
    _kind: PhantomData<fn() -> K>,
}

impl<S> MetricsService<S, kind::All> {
    /// Wraps `inner`, recording into `metrics` and watching each response
    /// body to its end (whatever the metrics need).
    pub fn new(inner: S, metrics: RequestMetrics) -> Self {
        Self::of_kind(inner, metrics)
    }
}

impl<S, K> MetricsService<S, K> {
    /// Wraps `inner`; the layers of this crate give `metrics` that `K` can
    /// record (a head kind's end with the response head).
    pub(crate) fn of_kind(inner: S, metrics: RequestMetrics) -> Self {
        Self {
            inner,
            metrics,
            _kind: PhantomData,
        }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The metrics it records into.
    pub fn metrics(&self) -> &RequestMetrics {
        &self.metrics
    }
}

impl<S: Clone, K> Clone for MetricsService<S, K> {
    fn clone(&self) -> Self {
        Self::of_kind(self.inner.clone(), self.metrics.clone())
    }
}

impl<S: fmt::Debug, K> fmt::Debug for MetricsService<S, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsService")
            .field("inner", &self.inner)
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl<S, K, ReqBody, ResBody> Service<Request<ReqBody>> for MetricsService<S, K>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: http_body::Body,
    K: Kind,
{
    type Response = Response<K::Body<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, K>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        call(&mut self.inner, self.metrics.clone(), request)
    }
}

/// Starts the request's metrics and calls `inner`; a panic in the call
/// itself is counted too.
pub(crate) fn call<S, K, ReqBody>(
    inner: &mut S,
    metrics: RequestMetrics,
    request: Request<ReqBody>,
) -> ResponseFuture<S::Future, K>
where
    S: Service<Request<ReqBody>>,
{
    let head = request.method() == http::Method::HEAD;
    // A sampled trace becomes the exemplar of the request's timer and
    // status counter.
    let trace = request_trace(&request);
    let mut guard = RequestGuard::start(metrics, head, trace);
    let future = guard.inner(|| inner.call(request));
    ResponseFuture::new(future, guard)
}
