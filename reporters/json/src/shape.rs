//! The flat, go-metrics-style JSON shape of a snapshot.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use tachymeter_core::{
    Description, HistogramSnapshot, MeterSnapshot, MetricKey, MetricSnapshot, RegistrySnapshot,
};
use tachymeter_report::QUANTILES;

/// go-metrics' JSON field names of the quantiles every histogram and timer
/// reports ([`QUANTILES`]).
const QUANTILE_FIELDS: [&str; QUANTILES.len()] = ["median", "75%", "95%", "99%", "99.9%"];

/// A snapshot in the flat shape described in the [crate docs](crate), as a
/// [`serde::Serialize`] value: to embed it in a document of your own, or
/// to write it with another serde format.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_json::JsonSnapshot;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(2);
/// let snapshot = registry.snapshot();
/// let document = serde_json::json!({ "host": "a1", "metrics": JsonSnapshot::new(&snapshot) });
/// assert_eq!(document["metrics"]["jobs"]["count"], 2);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct JsonSnapshot<'a> {
    snapshot: &'a RegistrySnapshot,
}

impl<'a> JsonSnapshot<'a> {
    /// Wraps `snapshot`.
    pub fn new(snapshot: &'a RegistrySnapshot) -> Self {
        Self { snapshot }
    }
}

impl Serialize for JsonSnapshot<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let metrics = &self.snapshot.metrics;
        let mut map = serializer.serialize_map(Some(metrics.len()))?;
        for entry in metrics {
            let about = entry.description.as_deref();
            map.serialize_entry(&KeyString(&entry.key), &Metric(&entry.snapshot, about))?;
        }
        map.end()
    }
}

/// A key as its `Display` string, written without an intermediate `String`.
struct KeyString<'a>(&'a MetricKey);

impl Serialize for KeyString<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

/// A float, or `None` (JSON `null`) when it is NaN or infinite.
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// One metric's object: its snapshot, and its description if it has one.
struct Metric<'a>(&'a MetricSnapshot, Option<&'a Description>);

impl Serialize for Metric<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let about = self.1;
        match self.0 {
            MetricSnapshot::Counter(c) => {
                let mut s = serializer.serialize_struct("Counter", 2)?;
                s.serialize_field("type", "counter")?;
                describe(&mut s, about)?;
                s.serialize_field("count", &c.count)?;
                s.end()
            }
            MetricSnapshot::CounterF64 { value } => {
                let mut s = serializer.serialize_struct("Counter", 2)?;
                s.serialize_field("type", "counter")?;
                describe(&mut s, about)?;
                s.serialize_field("count", value)?;
                s.end()
            }
            MetricSnapshot::Gauge { value } => {
                let mut s = serializer.serialize_struct("Gauge", 2)?;
                s.serialize_field("type", "gauge")?;
                describe(&mut s, about)?;
                s.serialize_field("value", value)?;
                s.end()
            }
            MetricSnapshot::GaugeF64 { value } => {
                let mut s = serializer.serialize_struct("GaugeF64", 2)?;
                s.serialize_field("type", "gauge_f64")?;
                describe(&mut s, about)?;
                s.serialize_field("value", &finite(*value))?;
                s.end()
            }
            MetricSnapshot::Meter(m) => {
                let mut s = serializer.serialize_struct("Meter", 6)?;
                s.serialize_field("type", "meter")?;
                describe(&mut s, about)?;
                s.serialize_field("count", &m.count)?;
                rates(&mut s, m)?;
                s.end()
            }
            MetricSnapshot::Histogram(h) => {
                let mut s = serializer.serialize_struct("Histogram", 11)?;
                s.serialize_field("type", "histogram")?;
                describe(&mut s, about)?;
                distribution(&mut s, h)?;
                s.end()
            }
            MetricSnapshot::Timer(t) => {
                let mut s = serializer.serialize_struct("Timer", 15)?;
                s.serialize_field("type", "timer")?;
                describe(&mut s, about)?;
                distribution(&mut s, &t.durations)?;
                rates(&mut s, &t.rate)?;
                s.end()
            }
            // A kind added to tachymeter-core later: its full form, which
            // carries its own "type".
            other => other.serialize(serializer),
        }
    }
}

/// `description` and `unit`, for a described metric.
fn describe<S: SerializeStruct>(s: &mut S, about: Option<&Description>) -> Result<(), S::Error> {
    if let Some(d) = about {
        s.serialize_field("description", &d.text)?;
        if let Some(unit) = d.unit {
            s.serialize_field("unit", unit.as_str())?;
        }
    }
    Ok(())
}

/// `count`, `min`, `max`, `mean`, `stddev` and the recent percentiles.
fn distribution<S: SerializeStruct>(s: &mut S, h: &HistogramSnapshot) -> Result<(), S::Error> {
    s.serialize_field("count", &h.count)?;
    s.serialize_field("min", &h.min)?;
    s.serialize_field("max", &h.max)?;
    s.serialize_field("mean", &finite(h.mean))?;
    s.serialize_field("stddev", &finite(h.stddev))?;
    for (field, value) in QUANTILE_FIELDS.into_iter().zip(h.percentiles(&QUANTILES)) {
        s.serialize_field(field, &finite(value))?;
    }
    Ok(())
}

/// The four rates, in events per second.
fn rates<S: SerializeStruct>(s: &mut S, m: &MeterSnapshot) -> Result<(), S::Error> {
    s.serialize_field("1m.rate", &finite(m.rate1))?;
    s.serialize_field("5m.rate", &finite(m.rate5))?;
    s.serialize_field("15m.rate", &finite(m.rate15))?;
    s.serialize_field("mean.rate", &finite(m.rate_mean))
}
