//! [`Metric`]: a registered metric's handle, and [`MetricKind`], its type.

use crate::counter::Counter;
use crate::functional::{FunctionalCounter, FunctionalGauge};
use crate::gauge::{Gauge, GaugeF64};
use crate::histogram::Histogram;
use crate::meter::Meter;
use crate::snapshot::MetricSnapshot;
use crate::timer::Timer;
use std::fmt;

/// A registered metric: a cheap handle, clone it freely.
///
/// ```
/// use tachymeter_core::{Metric, MetricKind, Registry};
///
/// let registry = Registry::new();
/// registry.timer("db.query")?;
/// for (key, metric) in registry.metrics() {
///     assert_eq!((key.name(), metric.kind()), ("db.query", MetricKind::Timer));
///     if let Metric::Timer(timer) = metric {
///         assert_eq!(timer.count(), 0);
///     }
/// }
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Metric {
    /// A [`Counter`].
    Counter(Counter),
    /// A [`FunctionalCounter`].
    FunctionalCounter(FunctionalCounter),
    /// A [`Gauge`].
    Gauge(Gauge),
    /// A [`GaugeF64`].
    GaugeF64(GaugeF64),
    /// A [`FunctionalGauge`].
    FunctionalGauge(FunctionalGauge),
    /// A [`Meter`].
    Meter(Meter),
    /// A [`Histogram`].
    Histogram(Histogram),
    /// A [`Timer`].
    Timer(Timer),
}

/// The type of a [`Metric`].
///
/// ```
/// use tachymeter_core::{MetricKind, Registry};
///
/// let registry = Registry::new();
/// registry.meter("logins")?;
/// assert_eq!(registry.get("logins").map(|m| m.kind()), Some(MetricKind::Meter));
/// assert_eq!(MetricKind::Meter.as_str(), "meter");
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricKind {
    /// [`Counter`].
    Counter,
    /// [`FunctionalCounter`].
    FunctionalCounter,
    /// [`Gauge`].
    Gauge,
    /// [`GaugeF64`].
    GaugeF64,
    /// [`FunctionalGauge`].
    FunctionalGauge,
    /// [`Meter`].
    Meter,
    /// [`Histogram`].
    Histogram,
    /// [`Timer`].
    Timer,
}

impl MetricKind {
    /// A lower-case name: `counter`, `gauge`, `gauge_f64`, …
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::FunctionalCounter => "functional_counter",
            MetricKind::Gauge => "gauge",
            MetricKind::GaugeF64 => "gauge_f64",
            MetricKind::FunctionalGauge => "functional_gauge",
            MetricKind::Meter => "meter",
            MetricKind::Histogram => "histogram",
            MetricKind::Timer => "timer",
        }
    }
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Metric {
    /// Its type.
    pub fn kind(&self) -> MetricKind {
        match self {
            Metric::Counter(_) => MetricKind::Counter,
            Metric::FunctionalCounter(_) => MetricKind::FunctionalCounter,
            Metric::Gauge(_) => MetricKind::Gauge,
            Metric::GaugeF64(_) => MetricKind::GaugeF64,
            Metric::FunctionalGauge(_) => MetricKind::FunctionalGauge,
            Metric::Meter(_) => MetricKind::Meter,
            Metric::Histogram(_) => MetricKind::Histogram,
            Metric::Timer(_) => MetricKind::Timer,
        }
    }

    /// A point-in-time copy.
    pub fn snapshot(&self) -> MetricSnapshot {
        match self {
            Metric::Counter(c) => MetricSnapshot::Counter(c.snapshot()),
            Metric::FunctionalCounter(c) => MetricSnapshot::CounterF64 { value: c.value() },
            Metric::Gauge(g) => MetricSnapshot::Gauge { value: g.value() },
            Metric::GaugeF64(g) => MetricSnapshot::GaugeF64 { value: g.value() },
            Metric::FunctionalGauge(g) => MetricSnapshot::GaugeF64 { value: g.value() },
            Metric::Meter(m) => MetricSnapshot::Meter(m.snapshot()),
            Metric::Histogram(h) => MetricSnapshot::Histogram(h.snapshot()),
            Metric::Timer(t) => MetricSnapshot::Timer(t.snapshot()),
        }
    }
}

macro_rules! metric_from {
    ($($variant:ident),*) => {$(
        impl From<$variant> for Metric {
            fn from(m: $variant) -> Self {
                Metric::$variant(m)
            }
        }
    )*};
}
metric_from!(
    Counter,
    FunctionalCounter,
    Gauge,
    GaugeF64,
    FunctionalGauge,
    Meter,
    Histogram,
    Timer
);
