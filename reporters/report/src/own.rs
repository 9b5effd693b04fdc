//! [`Own`]: where a reporter counts what it does, under one set of names.

use tachymeter_core::{Counter, Gauge, Registry, RegistryError, Timer};

/// The name of a reporter's own metric: `reporter.<reporter>.<what>`, the
/// convention every reporter's counts follow.
///
/// ```
/// assert_eq!(
///     tachymeter_report::own_metric_name("graphite", "connects"),
///     "reporter.graphite.connects"
/// );
/// ```
pub fn own_metric_name(reporter: &str, what: &str) -> String {
    format!("reporter.{reporter}.{what}")
}

/// Whether `name` is a reporter's own metric, `reporter.<reporter>.<what>`.
///
/// ```
/// assert!(tachymeter_report::is_own_metric("reporter.log.reports"));
/// assert!(!tachymeter_report::is_own_metric("reporters.hired"));
/// ```
pub fn is_own_metric(name: &str) -> bool {
    name.starts_with("reporter.")
}

/// Where a reporter's own counts go: metrics `reporter.<name>.<what>` in the
/// registry it reports, each described (Prometheus' HELP says what it
/// counts), so every backend shows how its reporting goes; or,
/// [`off`](Self::off), nowhere (the counts are kept in metrics no registry
/// holds).
///
/// The same event has the same name in every reporter:
///
/// | name | kind | counts |
/// |---|---|---|
/// | `sent-points` | counter | points (lines, data points) the backend took |
/// | `dropped-non-finite` | counter | values left out: NaN or ±Inf, which the format cannot carry |
/// | `dropped-too-long` | counter | points left out: longer than the backend takes |
/// | `dropped-too-many-tags` | counter | metrics left out: more tags than the backend takes |
/// | `dropped-clash` | counter | points left out: their series is another metric's once names are cleaned |
/// | `saturated-values` | counter | values written as the largest the format holds |
/// | `dropped-unsent` | counter | points of a failed send that will not be sent again |
/// | `dropped-refused` | counter | points the backend answered it would not take |
/// | `dropped-overflow` | counter | oldest points dropped from a full buffer |
/// | `buffered-points` | gauge | points waiting for the next send |
/// | `connects` | counter | connections opened (TCP, UDP) |
/// | `connect-failures` | counter | connection attempts (or address lookups) that failed |
/// | `send-failures` | counter | writes or requests that failed or timed out |
/// | `backed-off` | counter | sends not tried: a backoff after a failure was running |
/// | `retries` | counter | requests sent again after a failure |
/// | `skipped-series` | counter | series a report left out (the HdrHistogram log's) |
/// | `reports`, `failures`, `panics`, `skipped-ticks`, `duration` | counters, timer | the [`PeriodicReporter`](crate::PeriodicReporter)'s |
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::Own;
///
/// let registry = Registry::new();
/// let own = Own::new(&registry, "graphite");
/// own.counter("connects")?.inc(1);
/// assert_eq!(registry.counter("reporter.graphite.connects")?.count(), 1);
///
/// let off = Own::off("graphite");
/// off.counter("connects")?.inc(1); // counted nowhere
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Own {
    registry: Option<Registry>,
    name: String,
}

impl Own {
    /// Counts in `registry`, under `reporter.<name>.`.
    pub fn new(registry: &Registry, name: &str) -> Self {
        Own {
            registry: Some(registry.clone()),
            name: name.to_string(),
        }
    }

    /// Counts nowhere.
    pub fn off(name: &str) -> Self {
        Own {
            registry: None,
            name: name.to_string(),
        }
    }

    /// The reporter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The counter `reporter.<name>.<what>`, described when `what` is one
    /// of the names above.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn counter(&self, what: &str) -> Result<Counter, RegistryError> {
        match self.described(what) {
            Some((registry, name)) => registry.counter(name),
            None => Ok(Counter::new()),
        }
    }

    /// The gauge `reporter.<name>.<what>`, described as
    /// [`counter`](Self::counter)'s.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn gauge(&self, what: &str) -> Result<Gauge, RegistryError> {
        match self.described(what) {
            Some((registry, name)) => registry.gauge(name),
            None => Ok(Gauge::new()),
        }
    }

    /// The timer `reporter.<name>.<what>`, described as
    /// [`counter`](Self::counter)'s.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn timer(&self, what: &str) -> Result<Timer, RegistryError> {
        match self.described(what) {
            Some((registry, name)) => registry.timer(name),
            None => Ok(Timer::new()),
        }
    }

    /// The registry and the metric's name, its description given (HELP in
    /// Prometheus says what the series counts), unless counting is off.
    fn described(&self, what: &str) -> Option<(&Registry, String)> {
        let registry = self.registry.as_ref()?;
        let name = own_metric_name(&self.name, what);
        if let Some((_, about)) = ABOUT.iter().find(|(w, _)| *w == what) {
            let text = format!("{about} (reporter {})", self.name);
            registry.describe(&name, &text, None);
        }
        Some((registry, name))
    }
}

/// What each of the own metrics above counts, as HELP says it.
const ABOUT: [(&str, &str); 21] = [
    ("sent-points", "Points the backend took"),
    (
        "dropped-non-finite",
        "Values left out for being NaN or infinite",
    ),
    (
        "dropped-too-long",
        "Points left out for being longer than the backend takes",
    ),
    (
        "dropped-too-many-tags",
        "Metrics left out for having more tags than the backend takes",
    ),
    (
        "dropped-clash",
        "Points left out because their cleaned name is another metric's",
    ),
    (
        "saturated-values",
        "Values written as the largest the format holds",
    ),
    (
        "dropped-unsent",
        "Points of a failed send that will not be sent again",
    ),
    (
        "dropped-refused",
        "Points the backend answered it would not take",
    ),
    (
        "dropped-overflow",
        "Oldest points dropped from a full buffer",
    ),
    ("buffered-points", "Points waiting for the next send"),
    ("connects", "Connections opened"),
    (
        "connect-failures",
        "Connection attempts or address lookups that failed",
    ),
    (
        "send-failures",
        "Writes or requests that failed or timed out",
    ),
    (
        "backed-off",
        "Sends not tried because a backoff after a failure was running",
    ),
    ("retries", "Requests sent again after a failure"),
    ("reports", "Reports made"),
    ("failures", "Reports that returned an error"),
    ("panics", "Reports that panicked"),
    (
        "skipped-ticks",
        "Report times skipped because the report before was still running",
    ),
    ("duration", "Time each report took"),
    ("skipped-series", "Series left out of the report"),
];
