//! [`MetricsLayer`] and the named layers: [`TimedLayer`], [`CountedLayer`],
//! [`CountedByStatusLayer`], [`CountedByStatusXXLayer`], [`InFlightLayer`]
//! and the combined [`HttpMetricsLayer`].

use crate::kind;
use crate::recorder::{Measure, RequestMetrics};
use crate::service::MetricsService;
use std::fmt;
use std::marker::PhantomData;
use tachymeter_core::{MetricKey, Registry, RegistryError};
use tower_layer::Layer;

/// A layer that records requests into a [`RequestMetrics`] registered when
/// the layer is built. Use one of the named aliases.
///
/// See the named aliases, [`TimedLayer`] to [`HttpMetricsLayer`], for
/// examples.
pub struct MetricsLayer<K> {
    metrics: RequestMetrics,
    _kind: PhantomData<fn() -> K>,
}

impl<K> MetricsLayer<K> {
    fn from_metrics(metrics: RequestMetrics) -> Self {
        Self {
            metrics,
            _kind: PhantomData,
        }
    }

    /// The metrics it records into.
    pub fn metrics(&self) -> &RequestMetrics {
        &self.metrics
    }
}

impl<K> Clone for MetricsLayer<K> {
    fn clone(&self) -> Self {
        Self::from_metrics(self.metrics.clone())
    }
}

impl<K> fmt::Debug for MetricsLayer<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsLayer")
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl<S, K> Layer<S> for MetricsLayer<K> {
    type Service = MetricsService<S, K>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService::of_kind(inner, self.metrics.clone())
    }
}

/// Times every response into the timer `key` (go-metrics/tigertonic
/// `Timed`): by default to the response head ([`Measure::Headers`]),
/// [`TimedLayer::measuring`] for the end of the body.
///
/// ```
/// use http::{Request, Response};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::TimedLayer;
/// use tower::{service_fn, ServiceBuilder, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// let service = ServiceBuilder::new()
///     .layer(TimedLayer::new(&registry, "get-book")?)
///     .service(service_fn(|_: Request<()>| async {
///         Ok::<_, std::convert::Infallible>(Response::new(String::from("a book")))
///     }));
/// service.oneshot(Request::new(())).await?;
/// assert_eq!(registry.timer("get-book")?.count(), 1);
/// # Ok(()) }
/// ```
pub type TimedLayer = MetricsLayer<kind::Timed>;
/// The service of a [`TimedLayer`].
pub type Timed<S> = MetricsService<S, kind::Timed>;

/// Counts every request (when it starts) in the counter `key`.
///
/// ```
/// use http::{Request, Response};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::CountedLayer;
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// let service = CountedLayer::new(&registry, "requests")?.layer(service_fn(|_: Request<()>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::new()))
/// }));
/// service.oneshot(Request::new(())).await?;
/// assert_eq!(registry.counter("requests")?.count(), 1);
/// # Ok(()) }
/// ```
pub type CountedLayer = MetricsLayer<kind::Counted>;
/// The service of a [`CountedLayer`].
pub type Counted<S> = MetricsService<S, kind::Counted>;

/// Counts responses per exact status code in `<key>-<code>`, created the
/// first time each code is seen (any code: none is refused), and requests
/// with no response in `<key>-error`, `-cancelled`, `-panic`.
/// ```
/// use http::{Request, Response, StatusCode};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::CountedByStatusLayer;
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// let layer = CountedByStatusLayer::new(&registry, "get-book")?;
/// let service = layer.layer(service_fn(|_: Request<()>| async {
///     let mut response = Response::new(String::new());
///     *response.status_mut() = StatusCode::IM_A_TEAPOT;
///     Ok::<_, std::convert::Infallible>(response)
/// }));
/// service.oneshot(Request::new(())).await?;
/// assert_eq!(registry.counter("get-book-418")?.count(), 1);
/// # Ok(()) }
/// ```
pub type CountedByStatusLayer = MetricsLayer<kind::CountedByStatus>;
/// The service of a [`CountedByStatusLayer`].
pub type CountedByStatus<S> = MetricsService<S, kind::CountedByStatus>;

/// Counts responses per class in `<key>-1xx` … `<key>-5xx` (tigertonic's
/// names) and `<key>-other` (a code outside 100–599), and requests with no
/// response in `<key>-error`, `-cancelled`, `-panic`.
/// ```
/// use http::{Request, Response, StatusCode};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::CountedByStatusXXLayer;
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// let layer = CountedByStatusXXLayer::new(&registry, "get-book")?;
/// let service = layer.layer(service_fn(|_: Request<()>| async {
///     let mut response = Response::new(String::new());
///     *response.status_mut() = StatusCode::NOT_FOUND;
///     Ok::<_, std::convert::Infallible>(response)
/// }));
/// service.oneshot(Request::new(())).await?;
/// assert_eq!(registry.counter("get-book-4xx")?.count(), 1);
/// assert_eq!(registry.counter("get-book-2xx")?.count(), 0);
/// # Ok(()) }
/// ```
pub type CountedByStatusXXLayer = MetricsLayer<kind::CountedByStatusXX>;
/// The service of a [`CountedByStatusXXLayer`].
pub type CountedByStatusXX<S> = MetricsService<S, kind::CountedByStatusXX>;

/// Keeps the gauge `key` at the number of requests in progress: from the
/// call until the response body ends or is dropped (or the request fails
/// or is cancelled).
/// ```
/// use http::{Request, Response};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::InFlightLayer;
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// let gauge = registry.gauge("in-flight")?;
/// let check = gauge.clone();
/// let service = InFlightLayer::new(&registry, "in-flight")?.layer(service_fn(move |_: Request<()>| {
///     let during = check.value();
///     async move { Ok::<_, std::convert::Infallible>(Response::new(during.to_string())) }
/// }));
/// let response = service.oneshot(Request::new(())).await?;
/// assert_eq!(response.into_body().get_ref(), "1"); // counted while it ran
/// assert_eq!(gauge.value(), 0); // and no more once its body is over
/// # Ok(()) }
/// ```
pub type InFlightLayer = MetricsLayer<kind::InFlight>;
/// The service of an [`InFlightLayer`].
pub type InFlight<S> = MetricsService<S, kind::InFlight>;

/// Everything at once under one name: the timer, the class counters, the
/// error / cancelled / panic / aborted counters and the in-flight gauge (see
/// [`RequestMetrics`] for the series).
/// ```
/// use http::{Request, Response};
/// use tachymeter_core::Registry;
/// use http_body_util::BodyExt;
/// use tachymeter_tower::{HttpMetricsLayer, Measure};
/// use tower::{service_fn, Layer, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// // Timed to the end of the body rather than to the head.
/// let layer = HttpMetricsLayer::measuring(&registry, "get-book", Measure::Body)?;
/// let service = layer.layer(service_fn(|_: Request<()>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::from("a book")))
/// }));
/// let response = service.oneshot(Request::new(())).await?;
/// response.into_body().collect().await?; // the client reads it all
/// assert_eq!(registry.timer("get-book")?.count(), 1);
/// assert_eq!(registry.counter("get-book-2xx")?.count(), 1);
/// assert_eq!(registry.gauge("get-book-in-flight")?.value(), 0);
/// # Ok(()) }
/// ```
pub type HttpMetricsLayer = MetricsLayer<kind::All>;
/// The service of an [`HttpMetricsLayer`].
pub type HttpMetrics<S> = MetricsService<S, kind::All>;

impl TimedLayer {
    /// Times responses to their head into the timer `key`; the response
    /// body passes through unchanged.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key)
            .timed(Measure::Headers)
            .build()?;
        Ok(Self::from_metrics(metrics))
    }

    /// Times responses as `measure` says into the timer `key`; its
    /// service watches the response body, to time its end.
    pub fn measuring(
        registry: &Registry,
        key: impl Into<MetricKey>,
        measure: Measure,
    ) -> Result<MetricsLayer<kind::TimedMeasuring>, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key)
            .timed(measure)
            .build()?;
        Ok(MetricsLayer::from_metrics(metrics))
    }
}

impl CountedLayer {
    /// Counts requests in the counter `key`.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key).counted().build()?;
        Ok(Self::from_metrics(metrics))
    }
}

impl CountedByStatusLayer {
    /// Counts responses by exact status under `key`.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key)
            .by_status_code()
            .outcomes()
            .build()?;
        Ok(Self::from_metrics(metrics))
    }
}

impl CountedByStatusXXLayer {
    /// Counts responses by status class under `key`.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key)
            .by_status_class()
            .outcomes()
            .build()?;
        Ok(Self::from_metrics(metrics))
    }
}

impl InFlightLayer {
    /// Keeps the gauge `key` at the requests in progress.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key).in_flight().build()?;
        Ok(Self::from_metrics(metrics))
    }
}

impl HttpMetricsLayer {
    /// All the metrics under `key`, timing responses to their head.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        Self::measuring(registry, key, Measure::Headers)
    }

    /// All the metrics under `key`, timing as `measure` says.
    pub fn measuring(
        registry: &Registry,
        key: impl Into<MetricKey>,
        measure: Measure,
    ) -> Result<Self, RegistryError> {
        Ok(Self::from_metrics(RequestMetrics::all(
            registry, key, measure,
        )?))
    }
}
