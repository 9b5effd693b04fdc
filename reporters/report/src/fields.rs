//! The numbers of a metric, named the way go-metrics' reporters name them,
//! for the push reporters (Graphite, InfluxDB, OpenTSDB, StatsD).

use crate::Encoded;
use tachymeter_core::{HistogramSnapshot, MeterSnapshot, MetricSnapshot};

/// The unit timer durations are reported in.
///
/// ```
/// use tachymeter_report::DurationUnit;
///
/// assert_eq!(DurationUnit::default(), DurationUnit::Milliseconds);
/// assert_eq!(DurationUnit::Microseconds.suffix(), "µs");
/// assert_eq!(DurationUnit::Seconds.nanos(), 1e9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DurationUnit {
    /// `ns`.
    Nanoseconds,
    /// `µs`.
    Microseconds,
    /// `ms` (the default).
    #[default]
    Milliseconds,
    /// `s`.
    Seconds,
}

impl DurationUnit {
    /// The unit's symbol: `ns`, `µs`, `ms` or `s`.
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Nanoseconds => "ns",
            DurationUnit::Microseconds => "µs",
            DurationUnit::Milliseconds => "ms",
            DurationUnit::Seconds => "s",
        }
    }

    /// Nanoseconds in one unit.
    pub fn nanos(self) -> f64 {
        match self {
            DurationUnit::Nanoseconds => 1.0,
            DurationUnit::Microseconds => 1e3,
            DurationUnit::Milliseconds => 1e6,
            DurationUnit::Seconds => 1e9,
        }
    }
}

/// The quantiles reported for histograms and timers (go-metrics' set).
pub const QUANTILES: [f64; 5] = [0.5, 0.75, 0.95, 0.99, 0.999];

/// Which number of a metric a [`Field`] holds.
///
/// ```
/// use tachymeter_report::{fields, DurationUnit, Stat, Value};
///
/// let registry = tachymeter_core::Registry::new();
/// registry.counter("jobs")?.inc(4);
/// let snapshot = registry.snapshot();
/// let f = fields(&snapshot.metrics[0].snapshot, DurationUnit::Milliseconds);
/// let first = f.as_slice()[0];
/// assert_eq!((first.stat, first.value), (Stat::Count, Value::Signed(4)));
/// assert_eq!((first.field_name(), first.path_suffix()), ("count", "count"));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stat {
    /// A counter's count, or how many events a meter, histogram or timer saw.
    Count,
    /// A gauge's value.
    Value,
    /// The smallest value (exact, all time).
    Min,
    /// The largest value (exact, all time).
    Max,
    /// The mean (exact, all time).
    Mean,
    /// The population standard deviation (exact, all time).
    StdDev,
    /// The median of the recent window.
    P50,
    /// The 75th percentile of the recent window.
    P75,
    /// The 95th percentile of the recent window.
    P95,
    /// The 99th percentile of the recent window.
    P99,
    /// The 99.9th percentile of the recent window.
    P999,
    /// The one-minute moving average rate, events per second.
    Rate1,
    /// The five-minute moving average rate, events per second.
    Rate5,
    /// The fifteen-minute moving average rate, events per second.
    Rate15,
    /// Events per second since creation.
    MeanRate,
}

impl Stat {
    /// The percentiles, in the order of [`QUANTILES`].
    pub const PERCENTILES: [Stat; 5] = [Stat::P50, Stat::P75, Stat::P95, Stat::P99, Stat::P999];

    /// The field name go-metrics' InfluxDB reporter used: `count`, `value`,
    /// `min`, `max`, `mean`, `stddev`, `p50` … `p999`, `m1`, `m5`, `m15`,
    /// `mean_rate`.
    pub fn field_name(self) -> &'static str {
        match self {
            Stat::Count => "count",
            Stat::Value => "value",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Mean => "mean",
            Stat::StdDev => "stddev",
            Stat::P50 => "p50",
            Stat::P75 => "p75",
            Stat::P95 => "p95",
            Stat::P99 => "p99",
            Stat::P999 => "p999",
            Stat::Rate1 => "m1",
            Stat::Rate5 => "m5",
            Stat::Rate15 => "m15",
            Stat::MeanRate => "mean_rate",
        }
    }

    /// The last path component go-metrics' Graphite reporter used (and its
    /// OpenTSDB reporter, as the metric name's suffix): `count`, `value`,
    /// `min`, `max`, `mean`, `std-dev`, `50-percentile` … `999-percentile`,
    /// `one-minute`, `five-minute`, `fifteen-minute`, and `mean-rate`, except
    /// for a meter, whose mean rate is `mean`.
    pub fn path_suffix(self, of_meter: bool) -> &'static str {
        match self {
            Stat::Count => "count",
            Stat::Value => "value",
            Stat::Min => "min",
            Stat::Max => "max",
            Stat::Mean => "mean",
            Stat::StdDev => "std-dev",
            Stat::P50 => "50-percentile",
            Stat::P75 => "75-percentile",
            Stat::P95 => "95-percentile",
            Stat::P99 => "99-percentile",
            Stat::P999 => "999-percentile",
            Stat::Rate1 => "one-minute",
            Stat::Rate5 => "five-minute",
            Stat::Rate15 => "fifteen-minute",
            Stat::MeanRate if of_meter => "mean",
            Stat::MeanRate => "mean-rate",
        }
    }
}

/// A number as it was recorded: whole numbers stay whole.
///
/// ```
/// use tachymeter_report::Value;
///
/// assert_eq!(Value::Unsigned(3).as_f64(), 3.0);
/// assert!(!Value::Float(f64::NAN).is_finite());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A count, or a histogram's min or max.
    Unsigned(u64),
    /// A counter's count or an integer gauge's value.
    Signed(i64),
    /// Everything else. NaN when undefined (the percentiles of an empty
    /// recent window, or a float gauge holding NaN); a float gauge may also
    /// hold ±Inf. Each reporter says what it does with them.
    Float(f64),
}

impl Value {
    /// The value as an `f64` (large integers round).
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Unsigned(v) => v as f64,
            Value::Signed(v) => v as f64,
            Value::Float(v) => v,
        }
    }

    /// Whether the value is a finite number (every integer is).
    pub fn is_finite(self) -> bool {
        match self {
            Value::Float(v) => v.is_finite(),
            _ => true,
        }
    }
}

/// One number of a metric: which one, and its value.
///
/// See [`Stat`] for an example.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Which number.
    pub stat: Stat,
    /// Its value.
    pub value: Value,
    of_meter: bool,
}

impl Field {
    /// Its go-metrics InfluxDB field name ([`Stat::field_name`]).
    pub fn field_name(&self) -> &'static str {
        self.stat.field_name()
    }

    /// Its go-metrics Graphite path component ([`Stat::path_suffix`]).
    pub fn path_suffix(&self) -> &'static str {
        self.stat.path_suffix(self.of_meter)
    }
}

/// The most fields a metric has (a timer's).
const MAX_FIELDS: usize = 14;

/// The fields of one metric, in go-metrics' order; see [`fields`].
///
/// ```
/// let timer = tachymeter_core::Timer::new();
/// timer.update(std::time::Duration::from_millis(3));
/// let snapshot = tachymeter_core::MetricSnapshot::Timer(timer.snapshot());
/// let f = tachymeter_report::fields(&snapshot, tachymeter_report::DurationUnit::Milliseconds);
/// assert_eq!(f.as_slice().len(), 14); // count, min, max, …, the four rates
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    items: [Field; MAX_FIELDS],
    len: usize,
}

impl Fields {
    fn push(&mut self, stat: Stat, value: Value) {
        self.items[self.len] = Field {
            stat,
            value,
            of_meter: self.items[0].of_meter,
        };
        self.len += 1;
    }

    /// The fields as a slice.
    pub fn as_slice(&self) -> &[Field] {
        &self.items[..self.len]
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = &'a Field;
    type IntoIter = std::slice::Iter<'a, Field>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// The fields go-metrics reports for a metric, without allocating:
///
/// | metric | fields |
/// |---|---|
/// | counter | `Count` (signed: a counter may go down) |
/// | gauge | `Value` |
/// | meter | `Count`, `Rate1`, `Rate5`, `Rate15`, `MeanRate` |
/// | histogram | `Count`, `Min`, `Max`, `Mean`, `StdDev`, `P50` … `P999` |
/// | timer | the histogram's, durations in `unit`, then the meter's rates but `Count` |
///
/// A histogram's `Min` and `Max` are [`Value::Unsigned`]; a timer's are
/// floats in `unit`. Percentiles come from the recent window and are NaN
/// when it is empty. Rates are per second. A metric kind added to
/// tachymeter-core later has no fields here until this function learns it.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::{fields, DurationUnit, Stat, Value};
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.timer("db")?.update(Duration::from_millis(3));
/// let snapshot = registry.snapshot();
/// let fields = fields(&snapshot.metrics[0].snapshot, DurationUnit::Milliseconds);
/// let names: Vec<_> = fields.as_slice().iter().map(|f| f.path_suffix()).collect();
/// assert_eq!(names[..3], ["count", "min", "max"]);
/// assert_eq!(fields.as_slice()[0].value, Value::Unsigned(1));
/// assert_eq!(fields.as_slice()[1].stat, Stat::Min);
/// assert_eq!(fields.as_slice()[1].value, Value::Float(3.0));
/// assert_eq!(names.last(), Some(&"mean-rate"));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn fields(metric: &MetricSnapshot, unit: DurationUnit) -> Fields {
    let of_meter = matches!(metric, MetricSnapshot::Meter(_));
    let empty = Field {
        stat: Stat::Count,
        value: Value::Unsigned(0),
        of_meter,
    };
    let mut out = Fields {
        items: [empty; MAX_FIELDS],
        len: 0,
    };
    match metric {
        MetricSnapshot::Counter(c) => out.push(Stat::Count, Value::Signed(c.count)),
        MetricSnapshot::CounterF64 { value } => out.push(Stat::Count, Value::Float(*value)),
        MetricSnapshot::Gauge { value } => out.push(Stat::Value, Value::Signed(*value)),
        MetricSnapshot::GaugeF64 { value } => out.push(Stat::Value, Value::Float(*value)),
        MetricSnapshot::Meter(m) => {
            out.push(Stat::Count, Value::Unsigned(m.count));
            rates(&mut out, m);
        }
        MetricSnapshot::Histogram(h) => distribution(&mut out, h, None),
        MetricSnapshot::Timer(t) => {
            distribution(&mut out, &t.durations, Some(unit.nanos()));
            rates(&mut out, &t.rate);
        }
        _ => {}
    }
    out
}

/// The [`fields`] of `metric` a line format can carry: those with a finite
/// value. The others (an empty window's percentiles, a NaN gauge) are
/// counted in `encoded.non_finite`.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::{finite_fields, DurationUnit, Encoded};
///
/// let registry = Registry::new();
/// registry.histogram("empty")?;
/// let mut encoded = Encoded::default();
/// let snapshot = registry.snapshot();
/// let fields = finite_fields(&snapshot.metrics[0].snapshot, DurationUnit::Milliseconds, &mut encoded);
/// // count, min, max, mean and std-dev; the five percentiles are NaN.
/// assert_eq!((fields.as_slice().len(), encoded.non_finite), (5, 5));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn finite_fields(metric: &MetricSnapshot, unit: DurationUnit, encoded: &mut Encoded) -> Fields {
    let mut out = fields(metric, unit);
    let all = out.len;
    let mut kept = 0;
    for i in 0..all {
        if out.items[i].value.is_finite() {
            out.items[kept] = out.items[i];
            kept += 1;
        }
    }
    out.len = kept;
    encoded.non_finite += (all - kept) as u64;
    out
}

/// `per_unit`: `None` for a plain histogram, nanoseconds per unit for a
/// timer.
fn distribution(out: &mut Fields, h: &HistogramSnapshot, per_unit: Option<f64>) {
    out.push(Stat::Count, Value::Unsigned(h.count));
    let scale = per_unit.unwrap_or(1.0);
    match per_unit {
        None => {
            out.push(Stat::Min, Value::Unsigned(h.min));
            out.push(Stat::Max, Value::Unsigned(h.max));
        }
        Some(per) => {
            out.push(Stat::Min, Value::Float(h.min as f64 / per));
            out.push(Stat::Max, Value::Float(h.max as f64 / per));
        }
    }
    out.push(Stat::Mean, Value::Float(h.mean / scale));
    out.push(Stat::StdDev, Value::Float(h.stddev / scale));
    let values = h.percentiles(&QUANTILES);
    for (stat, value) in Stat::PERCENTILES.into_iter().zip(values) {
        out.push(stat, Value::Float(value / scale));
    }
}

fn rates(out: &mut Fields, m: &MeterSnapshot) {
    out.push(Stat::Rate1, Value::Float(m.rate1));
    out.push(Stat::Rate5, Value::Float(m.rate5));
    out.push(Stat::Rate15, Value::Float(m.rate15));
    out.push(Stat::MeanRate, Value::Float(m.rate_mean));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tachymeter_core::Registry;

    fn of(registry: &Registry) -> Vec<Fields> {
        let snapshot = registry.snapshot();
        snapshot
            .metrics
            .iter()
            .map(|e| fields(&e.snapshot, DurationUnit::Microseconds))
            .collect()
    }

    fn paths(f: &Fields) -> Vec<&'static str> {
        f.as_slice().iter().map(Field::path_suffix).collect()
    }

    fn names(f: &Fields) -> Vec<&'static str> {
        f.as_slice().iter().map(Field::field_name).collect()
    }

    #[test]
    fn every_kind_has_go_metrics_names() {
        let registry = Registry::new();
        registry.counter("a").unwrap().dec(2);
        registry.gauge("b").unwrap().update(-4);
        registry.gauge_f64("c").unwrap().update(f64::NAN);
        registry.meter("d").unwrap().mark(3);
        registry.histogram("e").unwrap().update(7);
        registry
            .timer("f")
            .unwrap()
            .update(Duration::from_micros(250));
        let all = of(&registry);

        assert_eq!(all[0].as_slice()[0].value, Value::Signed(-2));
        assert_eq!(paths(&all[0]), ["count"]);
        assert_eq!(all[1].as_slice()[0].value, Value::Signed(-4));
        assert_eq!(paths(&all[1]), ["value"]);
        assert!(!all[2].as_slice()[0].value.is_finite());
        assert_eq!(
            paths(&all[3]),
            [
                "count",
                "one-minute",
                "five-minute",
                "fifteen-minute",
                "mean"
            ]
        );
        assert_eq!(names(&all[3]), ["count", "m1", "m5", "m15", "mean_rate"]);
        assert_eq!(all[3].as_slice()[0].value, Value::Unsigned(3));
        let histogram = [
            "count",
            "min",
            "max",
            "mean",
            "std-dev",
            "50-percentile",
            "75-percentile",
            "95-percentile",
            "99-percentile",
            "999-percentile",
        ];
        assert_eq!(paths(&all[4]), histogram);
        assert_eq!(all[4].as_slice()[1].value, Value::Unsigned(7));
        assert_eq!(all[4].as_slice()[5].value, Value::Float(7.0));
        let timer: Vec<_> = histogram
            .iter()
            .copied()
            .chain(["one-minute", "five-minute", "fifteen-minute", "mean-rate"])
            .collect();
        assert_eq!(paths(&all[5]), timer);
        assert_eq!(
            names(&all[5]),
            [
                "count",
                "min",
                "max",
                "mean",
                "stddev",
                "p50",
                "p75",
                "p95",
                "p99",
                "p999",
                "m1",
                "m5",
                "m15",
                "mean_rate"
            ]
        );
        // Durations in the chosen unit.
        assert_eq!(all[5].as_slice()[1].value, Value::Float(250.0));
        assert_eq!(all[5].as_slice()[3].value, Value::Float(250.0));
    }

    #[test]
    fn empty_recent_window_gives_nan_percentiles() {
        let registry = Registry::new();
        registry.histogram("h").unwrap();
        let all = of(&registry);
        let f = all[0].as_slice();
        assert_eq!(f[0].value, Value::Unsigned(0));
        assert!(f[5..].iter().all(|f| !f.value.is_finite()));
    }
}
