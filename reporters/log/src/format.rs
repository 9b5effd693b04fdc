//! [`Format`]: a registry snapshot as aligned, human-readable text.

use std::fmt::Write as _;
use tachymeter_core::{
    HistogramSnapshot, MeterSnapshot, MetricEntry, MetricSnapshot, RegistrySnapshot,
};
pub use tachymeter_report::DurationUnit;

/// The quantiles of histograms and timers, with their field names.
const QUANTILES: [(&str, f64); 5] = [
    ("median", 0.5),
    ("75%", 0.75),
    ("95%", 0.95),
    ("99%", 0.99),
    ("99.9%", 0.999),
];

/// What an undefined value (NaN) prints as: the percentiles of an empty
/// recent window, or a float gauge holding NaN.
pub const NOT_AVAILABLE: &str = "n/a";

/// The unit meter and timer rates are printed in.
///
/// ```
/// use tachymeter_log::RateUnit;
///
/// assert_eq!(RateUnit::default(), RateUnit::PerSecond);
/// assert_eq!(RateUnit::PerMinute.suffix(), "/min");
/// assert_eq!(RateUnit::PerMinute.seconds(), 60.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RateUnit {
    /// Events per second, `/s` (the default).
    #[default]
    PerSecond,
    /// Events per minute, `/min`.
    PerMinute,
    /// Events per hour, `/h`.
    PerHour,
}

impl RateUnit {
    /// The suffix printed after a rate: `/s`, `/min` or `/h`.
    pub fn suffix(self) -> &'static str {
        match self {
            RateUnit::PerSecond => "/s",
            RateUnit::PerMinute => "/min",
            RateUnit::PerHour => "/h",
        }
    }

    /// Seconds in one unit.
    pub fn seconds(self) -> f64 {
        match self {
            RateUnit::PerSecond => 1.0,
            RateUnit::PerMinute => 60.0,
            RateUnit::PerHour => 3600.0,
        }
    }
}

/// Turns a [`RegistrySnapshot`] into text: one block per metric, in the
/// snapshot's order (by name, then labels).
///
/// Each block is a header line, `<type> <key>` (the key as
/// [`MetricKey`](tachymeter_core::MetricKey) displays it: `name{k="v"}`),
/// then one indented line per field. Within a block the field names are
/// padded to one width and the numbers are aligned on their decimal point.
///
/// | type | fields |
/// |---|---|
/// | `counter` | `count` |
/// | `gauge` | `value` |
/// | `meter` | `count`, `1-min rate`, `5-min rate`, `15-min rate`, `mean rate` |
/// | `histogram` | `count`, `min`, `max`, `mean`, `stddev`, `median`, `75%`, `95%`, `99%`, `99.9%` |
/// | `timer` | the histogram fields in the [`DurationUnit`], then the meter's four rates |
///
/// - Counts, integer gauges and a histogram's `min` and `max` are whole
///   numbers; a float gauge prints as many digits as it takes to read it
///   back; every other value (timer durations included) has
///   [`decimals`](Self::decimals) decimals (default 3).
/// - `count`, `min`, `max`, `mean` and `stddev` are exact over all time.
///   The percentiles come from the histogram's recent window (by default
///   the last 60 s; [`HistogramSnapshot::percentiles`]), the way go-metrics
///   reads them from its reservoir, so they show current latencies; each is
///   within the histogram's relative error of the exact value.
/// - A value that is NaN prints as `n/a` ([`NOT_AVAILABLE`]), without a
///   unit: a histogram or timer with nothing in its recent window (nothing
///   recorded yet, or nothing lately) has `n/a` percentiles.
/// - Rates are in events per [`RateUnit`] (default per second).
/// - When the registry was full and new series were folded into overflow
///   series (`folded_series` is not zero), a first line says how many.
///
/// An empty snapshot gives an empty string. Every line ends with `\n`.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_log::Format;
///
/// let registry = Registry::new();
/// registry.counter("requests")?.inc(12);
/// registry.gauge("in-flight")?.update(3);
///
/// let text = Format::new().render(&registry.snapshot());
/// assert_eq!(text, "\
/// gauge in-flight
///   value: 3
/// counter requests
///   count: 12
/// ");
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    duration_unit: DurationUnit,
    rate_unit: RateUnit,
    decimals: usize,
}

impl Default for Format {
    /// Milliseconds, events per second, 3 decimals.
    fn default() -> Self {
        Self {
            duration_unit: DurationUnit::Milliseconds,
            rate_unit: RateUnit::PerSecond,
            decimals: 3,
        }
    }
}

impl Format {
    /// The default format: milliseconds, events per second, 3 decimals.
    pub fn new() -> Self {
        Self::default()
    }

    /// The unit of timer durations (default milliseconds).
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_log::{DurationUnit, Format};
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// registry.timer("db")?.update(Duration::from_micros(1500));
    /// let text = Format::new()
    ///     .duration_unit(DurationUnit::Microseconds)
    ///     .render(&registry.snapshot());
    /// assert!(text.contains("1500.000 µs\n"));
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.duration_unit = unit;
        self
    }

    /// The unit of rates (default per second).
    pub fn rate_unit(mut self, unit: RateUnit) -> Self {
        self.rate_unit = unit;
        self
    }

    /// Decimals of fractional values: durations, rates, means, standard
    /// deviations and percentiles. Default 3, at most 9.
    pub fn decimals(mut self, decimals: usize) -> Self {
        self.decimals = decimals.min(9);
        self
    }

    /// The text of `snapshot` (see the type's documentation for the layout).
    pub fn render(&self, snapshot: &RegistrySnapshot) -> String {
        let mut out = String::new();
        if snapshot.folded_series > 0 {
            let _ = writeln!(
                out,
                "{} new series were folded into overflow series because the registry was full",
                snapshot.folded_series
            );
        }
        let mut fields = Vec::new();
        for entry in &snapshot.metrics {
            fields.clear();
            let kind = self.fields(entry, &mut fields);
            let _ = write!(out, "{kind} {}", entry.key);
            if let Some(d) = &entry.description {
                // What it means and, but for a timer's, its unit.
                let _ = write!(out, " \u{2014} {}", d.text.replace('\n', " "));
                if let Some(unit) = d.unit.filter(|_| kind != "timer") {
                    let _ = write!(out, " [{}]", unit.as_str());
                }
            }
            out.push('\n');
            write_block(&mut out, &fields);
        }
        out
    }

    /// Pushes the fields of `entry` and returns its type word.
    fn fields(&self, entry: &MetricEntry, fields: &mut Vec<Field>) -> &'static str {
        match &entry.snapshot {
            MetricSnapshot::Counter(c) => {
                fields.push(Field::new("count", c.count.to_string(), ""));
                "counter"
            }
            MetricSnapshot::CounterF64 { value } => {
                fields.push(Field::new("count", value.to_string(), ""));
                "counter"
            }
            MetricSnapshot::Gauge { value } => {
                fields.push(Field::new("value", value.to_string(), ""));
                "gauge"
            }
            MetricSnapshot::GaugeF64 { value } => {
                let text = if value.is_nan() {
                    NOT_AVAILABLE.to_string()
                } else {
                    value.to_string()
                };
                fields.push(Field::new("value", text, ""));
                "gauge"
            }
            MetricSnapshot::Meter(m) => {
                fields.push(Field::new("count", m.count.to_string(), ""));
                self.rates(m, fields);
                "meter"
            }
            MetricSnapshot::Histogram(h) => {
                self.distribution(h, 1.0, "", fields);
                "histogram"
            }
            MetricSnapshot::Timer(t) => {
                let unit = self.duration_unit;
                self.distribution(&t.durations, unit.nanos(), unit.suffix(), fields);
                self.rates(&t.rate, fields);
                "timer"
            }
            _ => {
                fields.push(Field::new(
                    "value",
                    NOT_AVAILABLE.to_string(),
                    " (a metric type this version cannot print)",
                ));
                "metric"
            }
        }
    }

    /// Count, min, max, mean, stddev and percentiles, divided by `per_unit`.
    fn distribution(
        &self,
        h: &HistogramSnapshot,
        per_unit: f64,
        unit: &'static str,
        fields: &mut Vec<Field>,
    ) {
        fields.push(Field::new("count", h.count.to_string(), ""));
        let scaled = |v: f64| v / per_unit;
        if unit.is_empty() {
            fields.push(Field::new("min", h.min.to_string(), ""));
            fields.push(Field::new("max", h.max.to_string(), ""));
        } else {
            fields.push(self.float("min", scaled(h.min as f64), unit));
            fields.push(self.float("max", scaled(h.max as f64), unit));
        }
        fields.push(self.float("mean", scaled(h.mean), unit));
        fields.push(self.float("stddev", scaled(h.stddev), unit));
        let qs = QUANTILES.map(|(_, q)| q);
        for ((name, _), value) in QUANTILES.iter().zip(h.percentiles(&qs)) {
            fields.push(self.float(name, scaled(value), unit));
        }
    }

    fn rates(&self, m: &MeterSnapshot, fields: &mut Vec<Field>) {
        let per = self.rate_unit.seconds();
        let unit = self.rate_unit.suffix();
        fields.push(self.float("1-min rate", m.rate1 * per, unit));
        fields.push(self.float("5-min rate", m.rate5 * per, unit));
        fields.push(self.float("15-min rate", m.rate15 * per, unit));
        fields.push(self.float("mean rate", m.rate_mean * per, unit));
    }

    /// A fractional field; `unit` is a duration (printed after a space) or
    /// a rate (`/…`, printed right after the number).
    fn float(&self, name: &'static str, value: f64, unit: &'static str) -> Field {
        if value.is_nan() {
            return Field::new(name, NOT_AVAILABLE.to_string(), "");
        }
        let number = format!("{value:.*}", self.decimals);
        let unit = match unit {
            "" => String::new(),
            u if u.starts_with('/') => u.to_string(),
            u => format!(" {u}"),
        };
        Field { name, number, unit }
    }
}

/// The text of `snapshot` in the default [`Format`] (milliseconds, per
/// second, 3 decimals).
///
/// ```
/// use tachymeter_core::{ManualClock, Registry};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let clock = Arc::new(ManualClock::new());
/// let registry = Registry::builder().clock(clock.clone()).build();
/// registry.meter("jobs")?.mark(10);
/// clock.advance(Duration::from_secs(5));
///
/// assert_eq!(tachymeter_log::format(&registry.snapshot()), "\
/// meter jobs
///   count:       10
///   1-min rate:   2.000/s
///   5-min rate:   2.000/s
///   15-min rate:  2.000/s
///   mean rate:    2.000/s
/// ");
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn format(snapshot: &RegistrySnapshot) -> String {
    Format::default().render(snapshot)
}

/// One line of a block: `name: number unit`.
#[derive(Debug)]
struct Field {
    name: &'static str,
    number: String,
    unit: String,
}

impl Field {
    fn new(name: &'static str, number: String, unit: &str) -> Self {
        Self {
            name,
            number,
            unit: unit.to_string(),
        }
    }

    /// The number split before its decimal point.
    fn parts(&self) -> (&str, &str) {
        self.number
            .split_at(self.number.find('.').unwrap_or(self.number.len()))
    }
}

/// Writes the fields of one block: names padded to one width, numbers
/// aligned on their decimal point, no trailing spaces.
fn write_block(out: &mut String, fields: &[Field]) {
    let name_width = fields.iter().map(|f| f.name.len() + 1).max().unwrap_or(0);
    let int_width = fields.iter().map(|f| f.parts().0.len()).max().unwrap_or(0);
    let frac_width = fields.iter().map(|f| f.parts().1.len()).max().unwrap_or(0);
    for field in fields {
        let (int, frac) = field.parts();
        let label = format!("{}:", field.name);
        let start = out.len();
        let _ = write!(
            out,
            "  {label:<name_width$} {int:>int_width$}{frac:<frac_width$}{}",
            field.unit
        );
        // A line without a unit or fraction ends in padding: drop it.
        let end = out[start..].trim_end().len() + start;
        out.truncate(end);
        out.push('\n');
    }
}
