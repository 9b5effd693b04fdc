//! [`FacadeRecorder`]: the `metrics` facade's [`Recorder`] over a
//! [`Registry`].

use crate::handles::{CounterHandle, GaugeHandle, HistogramHandle};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use tachymeter_core::{MetricKey, Registry};

/// Records what code instrumented with the `metrics` crate
/// (`counter!`, `gauge!`, `histogram!`) records, into a [`Registry`]:
///
/// | `metrics` | registry |
/// |---|---|
/// | `counter!` | [`Counter`](tachymeter_core::Counter); `absolute(n)` raises it to `n` |
/// | `gauge!` | [`GaugeF64`](tachymeter_core::GaugeF64) |
/// | `histogram!` of durations | [`Timer`](tachymeter_core::Timer) |
/// | any other `histogram!` | [`Histogram`](tachymeter_core::Histogram) of the values rounded to whole numbers |
///
/// A histogram holds durations when `describe_histogram!` gave it a time
/// unit (seconds, milliseconds, microseconds or nanoseconds, in which its
/// values are then read), or, without a description, when its name ends in
/// `seconds` (`http_request_duration_seconds`, `db.query.seconds`), the
/// Prometheus convention, its values being seconds. Describe a histogram
/// before its first use: the kind is chosen when it is first registered.
///
/// `describe_*!` describes the name in the registry (its text, and its
/// unit where the registry has one), so reporters show it.
///
/// Labels become the series' labels, and the registry's series cap and
/// overflow apply as to any other series. Values a histogram cannot hold
/// are dropped and counted in the counter `facade.dropped-values` (NaN, and
/// for durations negative or infinite values); a negative plain value is
/// recorded as 0. A name already registered as another kind of metric
/// gets a handle that records nothing, counted in `facade.rejected`.
///
/// Handles are looked up once per key and cached: a `counter!` called
/// again with the same name and labels costs a hash lookup under a read
/// lock, never a registry lookup.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_facade::FacadeRecorder;
///
/// let registry = Registry::new();
/// let recorder = FacadeRecorder::new(&registry);
/// metrics::with_local_recorder(&recorder, || {
///     metrics::counter!("books.stored", "shelf" => "a").increment(2);
///     metrics::histogram!("put.seconds").record(0.003);
/// });
/// let key = tachymeter_core::MetricKey::new("books.stored").with_label("shelf", "a");
/// assert_eq!(registry.counter(key)?.count(), 2);
/// assert_eq!(registry.timer("put.seconds")?.count(), 1);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug)]
pub struct FacadeRecorder {
    registry: Registry,
    units: RwLock<HashMap<String, Unit>>,
    counters: Cache<Counter>,
    gauges: Cache<Gauge>,
    histograms: Cache<Histogram>,
    dropped: tachymeter_core::Counter,
    rejected: tachymeter_core::Counter,
}

type Cache<H> = RwLock<HashMap<Key, H>>;

impl FacadeRecorder {
    /// A recorder into `registry`.
    ///
    /// # Panics
    ///
    /// Never; if its own counters' names are taken by other kinds of
    /// metrics, they count into detached counters instead.
    pub fn new(registry: &Registry) -> Self {
        // Described, so Prometheus' HELP says what they count.
        let own = |name: &str, about: &str| {
            registry.describe(name, about, None);
            registry
                .counter(name)
                .unwrap_or_else(|_| tachymeter_core::Counter::new())
        };
        FacadeRecorder {
            registry: registry.clone(),
            units: RwLock::default(),
            counters: RwLock::default(),
            gauges: RwLock::default(),
            histograms: RwLock::default(),
            dropped: own(
                "facade.dropped-values",
                "Values the metrics facade dropped: NaN, and negative or infinite durations",
            ),
            rejected: own(
                "facade.rejected",
                "Handles the metrics facade gave out that record nothing: the name is another kind of metric",
            ),
        }
    }

    /// The registry it records into.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The unit `describe_histogram!` gave `name`, if a time unit.
    fn time_unit(&self, name: &str) -> Option<f64> {
        let units = self.units.read().unwrap_or_else(PoisonError::into_inner);
        match units.get(name) {
            Some(unit) => nanos_per(unit),
            None if name.ends_with("seconds") => Some(1e9),
            None => None,
        }
    }

    fn describe(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.registry.describe(
            key.as_str(),
            &description,
            unit.as_ref().and_then(registry_unit),
        );
        if let Some(unit) = unit {
            self.units
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key.as_str().to_string(), unit);
        }
    }
}

/// The registry's unit for a `metrics` unit, where it has one (a timer's
/// durations need none).
fn registry_unit(unit: &Unit) -> Option<tachymeter_core::Unit> {
    Some(match unit {
        Unit::Bytes => tachymeter_core::Unit::Bytes,
        Unit::Percent => tachymeter_core::Unit::Percent,
        Unit::Count => tachymeter_core::Unit::Items,
        Unit::Seconds => tachymeter_core::Unit::Seconds,
        _ => return None,
    })
}

/// Nanoseconds per `unit`, for a time unit.
fn nanos_per(unit: &Unit) -> Option<f64> {
    match unit {
        Unit::Seconds => Some(1e9),
        Unit::Milliseconds => Some(1e6),
        Unit::Microseconds => Some(1e3),
        Unit::Nanoseconds => Some(1.0),
        _ => None,
    }
}

/// The registry key of a `metrics` key: its name and labels.
fn metric_key(key: &Key) -> MetricKey {
    key.labels().fold(MetricKey::new(key.name()), |k, label| {
        k.with_label(label.key(), label.value())
    })
}

/// The cached handle of `key`, or the one `make` gives, cached.
fn cached<H: Clone>(cache: &Cache<H>, key: &Key, make: impl FnOnce() -> H) -> H {
    if let Some(handle) = cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
    {
        return handle.clone();
    }
    let mut cache = cache.write().unwrap_or_else(PoisonError::into_inner);
    cache.entry(key.clone()).or_insert_with(make).clone()
}

impl Recorder for FacadeRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(key, unit, description);
    }

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        cached(&self.counters, key, || {
            match self.registry.counter(metric_key(key)) {
                Ok(counter) => Counter::from_arc(Arc::new(CounterHandle(counter))),
                Err(_) => {
                    self.rejected.inc(1);
                    Counter::noop()
                }
            }
        })
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        cached(&self.gauges, key, || {
            match self.registry.gauge_f64(metric_key(key)) {
                Ok(gauge) => Gauge::from_arc(Arc::new(GaugeHandle(gauge))),
                Err(_) => {
                    self.rejected.inc(1);
                    Gauge::noop()
                }
            }
        })
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        cached(&self.histograms, key, || {
            let k = metric_key(key);
            let handle = match self.time_unit(key.name()) {
                Some(nanos) => self
                    .registry
                    .timer(k)
                    .map(|timer| HistogramHandle::timer(timer, nanos, self.dropped.clone())),
                None => self
                    .registry
                    .histogram(k)
                    .map(|h| HistogramHandle::plain(h, self.dropped.clone())),
            };
            match handle {
                Ok(handle) => Histogram::from_arc(Arc::new(handle)),
                Err(_) => {
                    self.rejected.inc(1);
                    Histogram::noop()
                }
            }
        })
    }
}
