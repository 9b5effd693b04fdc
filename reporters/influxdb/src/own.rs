//! The reporter's own counts, kept as metrics in the registry it reports.

use tachymeter_core::{Counter, Gauge, Registry, RegistryError};
use tachymeter_report::own_metric_name;

/// `reporter.<name>.*`: what happened to the points and requests.
#[derive(Debug, Clone)]
pub(crate) struct OwnMetrics {
    /// Points the server stored.
    pub(crate) sent_points: Counter,
    /// Points dropped, oldest first, because the buffer was full.
    pub(crate) dropped_overflow: Counter,
    /// Points in batches the server refused (4xx other than 429).
    pub(crate) dropped_rejected: Counter,
    /// Points left out because their series clashes with another's.
    pub(crate) dropped_clashes: Counter,
    /// Points left out because their series key is too long.
    pub(crate) dropped_too_long: Counter,
    /// NaN and ±Inf fields left out.
    pub(crate) dropped_fields: Counter,
    /// Unsigned values above `i64::MAX` written as `i64::MAX`.
    pub(crate) saturated_fields: Counter,
    /// Requests refused with a 4xx other than 429.
    pub(crate) rejected_batches: Counter,
    /// Requests with no answer, a timeout, 429 or 5xx.
    pub(crate) failed_requests: Counter,
    /// Requests sent again after a failure.
    pub(crate) retries: Counter,
    /// Points waiting in the buffer after the last report.
    pub(crate) buffered_points: Gauge,
}

impl OwnMetrics {
    /// Registers them under `reporter.<name>.`; fails if a name is taken by
    /// another kind of metric.
    pub(crate) fn register(registry: &Registry, name: &str) -> Result<Self, RegistryError> {
        let key = |what: &str| own_metric_name(name, what);
        Ok(Self {
            sent_points: registry.counter(key("sent-points"))?,
            dropped_overflow: registry.counter(key("dropped-overflow"))?,
            dropped_rejected: registry.counter(key("dropped-rejected"))?,
            dropped_clashes: registry.counter(key("dropped-clashes"))?,
            dropped_too_long: registry.counter(key("dropped-too-long"))?,
            dropped_fields: registry.counter(key("dropped-fields"))?,
            saturated_fields: registry.counter(key("saturated-fields"))?,
            rejected_batches: registry.counter(key("rejected-batches"))?,
            failed_requests: registry.counter(key("failed-requests"))?,
            retries: registry.counter(key("retries"))?,
            buffered_points: registry.gauge(key("buffered-points"))?,
        })
    }
}
