//! [`Description`]: what a metric means, and the unit of its values.

#[cfg(feature = "serde")]
use serde::Serialize;

/// The unit of a metric's values, as reporters name it (OpenMetrics'
/// `# UNIT`, a Prometheus name suffix, the log report).
///
/// Timers need none: their durations are exported in seconds (or the
/// reporter's duration unit) whatever their description says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Unit {
    /// Seconds.
    Seconds,
    /// Bytes.
    Bytes,
    /// A ratio, 0 to 1.
    Ratio,
    /// Percent, 0 to 100.
    Percent,
    /// Things counted: requests, jobs, items.
    Items,
}

impl Unit {
    /// Its name in metric names and OpenMetrics: `seconds`, `bytes`,
    /// `ratio`, `percent`, `items`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Bytes => "bytes",
            Unit::Ratio => "ratio",
            Unit::Percent => "percent",
            Unit::Items => "items",
        }
    }
}

/// What a metric means: a sentence for people reading the exposition or
/// the report (Prometheus' `# HELP`), and the unit of its values.
///
/// ```
/// use tachymeter_core::{Registry, Unit};
///
/// let registry = Registry::new();
/// registry.describe("upload.size", "Size of each uploaded file", Some(Unit::Bytes));
/// registry.histogram("upload.size")?.update(2_048);
/// let snapshot = registry.snapshot();
/// let description = snapshot.metrics[0].description.as_ref().unwrap();
/// assert_eq!((description.text.as_str(), description.unit), ("Size of each uploaded file", Some(Unit::Bytes)));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Description {
    /// One sentence saying what the metric counts or measures.
    pub text: String,
    /// The unit of its values, if it has one.
    pub unit: Option<Unit>,
}
