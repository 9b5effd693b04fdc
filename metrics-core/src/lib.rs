//! Metric primitives for services: counters, gauges, meters (1/5/15-minute
//! rates), histograms and timers with percentiles, healthchecks, a registry
//! and snapshots. No I/O, no async runtime, no background thread.
//!
//! Data flows one way: code records into metrics (nanoseconds, no lock, no
//! allocation once warm), a reporter takes a [`RegistrySnapshot`] (never
//! blocking the recording threads) and encodes it for its backend.
//!
//! ```
//! use tachymeter_core::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let requests = registry.counter("requests")?;
//! let latency = registry.timer("latency")?;
//!
//! requests.inc(1);
//! latency.update(Duration::from_micros(250));
//!
//! for entry in registry.snapshot().metrics {
//!     println!("{} {:?}", entry.key, entry.snapshot);
//! }
//! # Ok::<(), tachymeter_core::RegistryError>(())
//! ```
//!
//! With the `serde` feature every snapshot type implements
//! `serde::Serialize`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buckets;
mod clock;
mod counter;
mod default_registry;
mod description;
mod error;
mod ewma;
mod exemplar;
mod exemplar_labels;
mod family;
mod functional;
mod gauge;
mod healthcheck;
mod histogram;
mod key;
mod label_table;
mod meter;
mod metric;
mod offset;
mod per_thread;
mod rates;
mod registry;
mod series;
mod shard;
mod snapshot;
mod sum;
mod timer;
mod window;

pub use clock::{Clock, ManualClock, SystemClock};
pub use counter::Counter;
pub use default_registry::default_registry;
pub use description::{Description, Unit};
pub use error::RegistryError;
pub use ewma::{Ewma, TICK_INTERVAL};
pub use exemplar::{Exemplar, Trace, HISTOGRAM_EXEMPLARS};
pub use exemplar_labels::{
    ExemplarLabelError, ExemplarLabels, MAX_EXEMPLAR_LABELS, MAX_EXEMPLAR_LABEL_BYTES,
};
pub use family::{Family, Member};
pub use functional::{FunctionalCounter, FunctionalGauge};
pub use gauge::{Gauge, GaugeF64};
pub use healthcheck::Healthcheck;
pub use histogram::{Histogram, HistogramConfig};
pub use key::MetricKey;
pub use meter::Meter;
pub use metric::{Metric, MetricKind};
pub use per_thread::{parallelism, PARALLELISM_VAR};
pub use registry::{Registry, RegistryBuilder};
pub use series::{DEFAULT_MAX_SERIES, MAX_OVERFLOW_NAMES, OVERFLOW_LABEL};
pub use snapshot::{
    nanos_to_duration, Bucket, CounterSnapshot, Distribution, HistogramSnapshot, MeterSnapshot,
    MetricEntry, MetricSnapshot, RegistrySnapshot, TimerSnapshot,
};
pub use timer::{Timer, TimerGuard};

/// Internals exposed only to the loom model checks (`--cfg loom`).
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_internals {
    pub use crate::offset::Offset;
    pub use crate::per_thread::stripe_lock::{Held, StripeLock};
    pub use crate::sum::Sum128;
}
