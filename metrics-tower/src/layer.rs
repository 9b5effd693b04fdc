//! [`MetricsLayer`] and the named layers: [`TimedLayer`], [`CountedLayer`],
//! [`CountedByStatusLayer`], [`CountedByStatusXXLayer`], [`InFlightLayer`]
//! and the combined [`HttpMetricsLayer`].

use crate::recorder::{Measure, RequestMetrics};
use crate::service::MetricsService;
use std::fmt;
use std::marker::PhantomData;
use tachymeter_core::{MetricKey, Registry, RegistryError};
use tower_layer::Layer;

/// Marker types naming what a [`MetricsLayer`] records.
pub mod kind {
    /// [`TimedLayer`](crate::TimedLayer).
    #[derive(Debug)]
    pub enum Timed {}
    /// [`CountedLayer`](crate::CountedLayer).
    #[derive(Debug)]
    pub enum Counted {}
    /// [`CountedByStatusLayer`](crate::CountedByStatusLayer).
    #[derive(Debug)]
    pub enum CountedByStatus {}
    /// [`CountedByStatusXXLayer`](crate::CountedByStatusXXLayer).
    #[derive(Debug)]
    pub enum CountedByStatusXX {}
    /// [`InFlightLayer`](crate::InFlightLayer).
    #[derive(Debug)]
    pub enum InFlight {}
    /// [`HttpMetricsLayer`](crate::HttpMetricsLayer).
    #[derive(Debug)]
    pub enum All {}
}

/// A layer that records requests into a [`RequestMetrics`] registered when
/// the layer is built. Use one of the named aliases.
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
        MetricsService::new(inner, self.metrics.clone())
    }
}

/// Times every response into the timer `key` (go-metrics/tigertonic
/// `Timed`): by default to the response head ([`Measure::Headers`]),
/// [`TimedLayer::measuring`] for the end of the body.
pub type TimedLayer = MetricsLayer<kind::Timed>;
/// The service of a [`TimedLayer`].
pub type Timed<S> = MetricsService<S, kind::Timed>;

/// Counts every request (when it starts) in the counter `key`.
pub type CountedLayer = MetricsLayer<kind::Counted>;
/// The service of a [`CountedLayer`].
pub type Counted<S> = MetricsService<S, kind::Counted>;

/// Counts responses per exact status code in `<key>-<code>`, created the
/// first time each code is seen (any code: none is refused), and requests
/// with no response in `<key>-error`, `-cancelled`, `-panic`.
pub type CountedByStatusLayer = MetricsLayer<kind::CountedByStatus>;
/// The service of a [`CountedByStatusLayer`].
pub type CountedByStatus<S> = MetricsService<S, kind::CountedByStatus>;

/// Counts responses per class in `<key>-1xx` … `<key>-5xx` (tigertonic's
/// names) and `<key>-other` (a code outside 100–599), and requests with no
/// response in `<key>-error`, `-cancelled`, `-panic`.
pub type CountedByStatusXXLayer = MetricsLayer<kind::CountedByStatusXX>;
/// The service of a [`CountedByStatusXXLayer`].
pub type CountedByStatusXX<S> = MetricsService<S, kind::CountedByStatusXX>;

/// Keeps the gauge `key` at the number of requests in progress: from the
/// call until the response body ends or is dropped (or the request fails
/// or is cancelled).
pub type InFlightLayer = MetricsLayer<kind::InFlight>;
/// The service of an [`InFlightLayer`].
pub type InFlight<S> = MetricsService<S, kind::InFlight>;

/// Everything at once under one name: the timer, the class counters, the
/// error / cancelled / panic / aborted counters and the in-flight gauge (see
/// [`RequestMetrics`] for the series).
pub type HttpMetricsLayer = MetricsLayer<kind::All>;
/// The service of an [`HttpMetricsLayer`].
pub type HttpMetrics<S> = MetricsService<S, kind::All>;

impl TimedLayer {
    /// Times responses to their head into the timer `key`.
    pub fn new(registry: &Registry, key: impl Into<MetricKey>) -> Result<Self, RegistryError> {
        Self::measuring(registry, key, Measure::Headers)
    }

    /// Times responses as `measure` says into the timer `key`.
    pub fn measuring(
        registry: &Registry,
        key: impl Into<MetricKey>,
        measure: Measure,
    ) -> Result<Self, RegistryError> {
        let metrics = RequestMetrics::builder(registry, key)
            .timed(measure)
            .build()?;
        Ok(Self::from_metrics(metrics))
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
