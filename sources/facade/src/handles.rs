//! The `metrics` handles over the registry's metrics.

use metrics::{CounterFn, GaugeFn, HistogramFn};
use std::time::Duration;
use tachymeter_core::{Counter, GaugeF64, Histogram, Timer};

/// A `metrics` counter over a registry [`Counter`].
pub(crate) struct CounterHandle(pub(crate) Counter);

impl CounterFn for CounterHandle {
    fn increment(&self, value: u64) {
        self.0.inc(value);
    }

    /// Raises the count to `value` if it is below (a racing increment may
    /// be counted on top).
    fn absolute(&self, value: u64) {
        let count = self.0.count();
        if let Some(missing) = u64::try_from(count)
            .ok()
            .and_then(|count| value.checked_sub(count))
            .filter(|m| *m > 0)
        {
            self.0.inc(missing);
        }
    }
}

/// A `metrics` gauge over a registry [`GaugeF64`].
pub(crate) struct GaugeHandle(pub(crate) GaugeF64);

impl GaugeFn for GaugeHandle {
    fn increment(&self, value: f64) {
        self.0.add(value);
    }

    fn decrement(&self, value: f64) {
        self.0.add(-value);
    }

    fn set(&self, value: f64) {
        self.0.update(value);
    }
}

/// A `metrics` histogram over a registry [`Histogram`] or [`Timer`].
pub(crate) struct HistogramHandle {
    kind: Kind,
    /// Counts the values that could not be recorded.
    dropped: Counter,
}

enum Kind {
    Plain(Histogram),
    /// Values in a unit of this many nanoseconds.
    Timer(Timer, f64),
}

impl HistogramHandle {
    pub(crate) fn plain(histogram: Histogram, dropped: Counter) -> Self {
        HistogramHandle {
            kind: Kind::Plain(histogram),
            dropped,
        }
    }

    pub(crate) fn timer(timer: Timer, nanos_per_unit: f64, dropped: Counter) -> Self {
        HistogramHandle {
            kind: Kind::Timer(timer, nanos_per_unit),
            dropped,
        }
    }
}

impl HistogramFn for HistogramHandle {
    fn record(&self, value: f64) {
        match &self.kind {
            Kind::Plain(_) | Kind::Timer(..) if value.is_nan() => self.dropped.inc(1),
            // Whole numbers; below zero is 0, above the range saturates.
            Kind::Plain(h) => h.update(value.round().max(0.0) as u64),
            Kind::Timer(..) if value < 0.0 || value.is_infinite() => self.dropped.inc(1),
            Kind::Timer(t, nanos) => {
                t.update(Duration::from_nanos((value * nanos).round() as u64));
            }
        }
    }
}
