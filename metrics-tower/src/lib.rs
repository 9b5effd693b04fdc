//! Tower middleware that records HTTP requests into
//! [`tachymeter_core`]: latency percentiles and rates, counts by
//! status class or code, errors, cancellations, panics and requests in
//! flight — one line per handler, for axum, hyper or any
//! `tower::Service<http::Request<_>>`.
//!
//! ```
//! use axum::{routing::get, Router};
//! use tachymeter_core::Registry;
//! use tachymeter_tower::HttpMetricsLayer;
//!
//! # fn main() -> Result<(), tachymeter_core::RegistryError> {
//! let registry = Registry::new();
//! let app: Router = Router::new().route(
//!     "/books/{id}",
//!     get(|| async { "a book" }).layer(HttpMetricsLayer::new(&registry, "get-book")?),
//! );
//! # Ok(()) }
//! ```
//!
//! | layer | records under `name` |
//! |---|---|
//! | [`TimedLayer`] | timer `name` |
//! | [`CountedLayer`] | counter `name` |
//! | [`CountedByStatusLayer`] | counters `name-200`, `name-404`, … and `name-error`, `-cancelled`, `-panic` |
//! | [`CountedByStatusXXLayer`] | counters `name-1xx` … `name-5xx`, `name-other`, and `name-error`, `-cancelled`, `-panic` |
//! | [`InFlightLayer`] | gauge `name` |
//! | [`HttpMetricsLayer`] | all of the above but exact codes and the plain counter: see [`RequestMetrics`] |
//!
//! Where the layer goes decides which requests it sees. On one route
//! (`get(handler).layer(..)`, as above) it sees that route alone. With
//! axum's `Router::layer` it wraps every route added *before* it, so add
//! `/metrics`, a dashboard or health checks *after* it, or scrapes are
//! timed and counted with the application's requests:
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{routing::get, Router};
//! use tachymeter_core::Registry;
//! use tachymeter_tower::RouteMetricsLayer;
//!
//! # fn main() -> Result<(), tachymeter_core::RegistryError> {
//! let registry = Registry::new();
//! let app: Router = Router::new()
//!     .route("/books/{id}", get(|| async { "a book" }))
//!     .layer(RouteMetricsLayer::new(&registry, "http")?) // sees /books/{id}
//!     .route("/metrics", get(|| async { "not counted" })); // added after: not seen
//! # Ok(()) }
//! # main().unwrap(); }
//! ```
//!
//! [`TimedLayer`] and [`CountedLayer`] record nothing after the response
//! head and return the inner response body unchanged; the others watch the
//! body to its end (a [`MetricsBody`]), which under axum costs one more
//! allocation per request, as axum boxes any body that is not its own.
//!
//! Exemplars: a request whose trace is sampled leaves it on the timer it
//! is timed in and the status class counter it is counted in (see
//! [`Trace`](tachymeter_core::Trace)), with no setup. The trace is the
//! request's W3C `traceparent` header (sampled flag set), or, with the
//! `opentelemetry` feature, the current OpenTelemetry span
//! (`opentelemetry::Context::current()`) when it is sampled: the span an
//! OpenTelemetry layer made current, or the entered `tracing` span under
//! `tracing-opentelemetry` (which makes an entered span's context current
//! by default since 0.32), so with tower-http's `TraceLayer` put the
//! metrics layers inside it. The feature reads `opentelemetry` 0.33: the
//! `tracing-opentelemetry` built on it is 0.34, and with another version
//! the span sits in another crate's context, unseen (`cargo tree -i
//! opentelemetry` should list one version). An unsampled or missing trace leaves
//! nothing, and costs one header lookup.
//!
//! Every layer is built with a registry and a name (or a
//! [`MetricKey`](tachymeter_core::MetricKey) with labels) and registers its
//! metrics at once, so a name clash is an error when the app starts, never
//! on a request. Requests only touch the registered handles: no lookup, no
//! lock, no allocation.
//!
//! Semantics, each tested:
//! - a request whose future is dropped before its response (client gone,
//!   timeout) counts once in `-cancelled`, and the in-flight gauge returns to
//!   exactly where it was;
//! - an inner service's `Err` counts in `-error`, not as a 5xx;
//! - a panic in the inner service counts in `-panic` (with or without
//!   tower-http's `CatchPanicLayer` outside; inside it, the panic becomes
//!   its 500 response);
//! - a response body dropped before its end counts in `-aborted`; a `HEAD`
//!   request and a 1xx, 204 or 304 response send no body and end with
//!   their head;
//! - any status code, 0 to 999, is counted; none panics.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "axum")]
mod axum;
mod body;
mod future;
pub mod kind;
mod layer;
mod recorder;
mod service;
mod status;
mod trace;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use crate::axum::{
    RouteMetrics, RouteMetricsLayer, ACTIVE_REQUESTS, REQUEST_DURATION, UNMATCHED_ROUTE,
};
pub use body::MetricsBody;
pub use future::ResponseFuture;
pub use kind::Kind;
pub use layer::{
    Counted, CountedByStatus, CountedByStatusLayer, CountedByStatusXX, CountedByStatusXXLayer,
    CountedLayer, HttpMetrics, HttpMetricsLayer, InFlight, InFlightLayer, MetricsLayer, Timed,
    TimedLayer,
};
pub use recorder::{Measure, RequestMetrics, RequestMetricsBuilder};
pub use service::MetricsService;
pub use status::{status_class, CLASS_SUFFIXES};
