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

/// Where a reporter's own counts go: metrics `reporter.<name>.<what>` in the
/// registry it reports, so every backend shows how its reporting goes; or,
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

    /// The counter `reporter.<name>.<what>`.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn counter(&self, what: &str) -> Result<Counter, RegistryError> {
        match &self.registry {
            Some(registry) => registry.counter(own_metric_name(&self.name, what)),
            None => Ok(Counter::new()),
        }
    }

    /// The gauge `reporter.<name>.<what>`.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn gauge(&self, what: &str) -> Result<Gauge, RegistryError> {
        match &self.registry {
            Some(registry) => registry.gauge(own_metric_name(&self.name, what)),
            None => Ok(Gauge::new()),
        }
    }

    /// The timer `reporter.<name>.<what>`.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn timer(&self, what: &str) -> Result<Timer, RegistryError> {
        match &self.registry {
            Some(registry) => registry.timer(own_metric_name(&self.name, what)),
            None => Ok(Timer::new()),
        }
    }
}
