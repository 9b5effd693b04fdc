//! [`Quiet`]: which series a periodic report leaves out.

use crate::{is_own_metric, Previous};
use tachymeter_core::{MetricSnapshot, RegistrySnapshot};

/// Which series a [`PeriodicReporter`](crate::PeriodicReporter) leaves out
/// of its reports, for quieter logs and fewer points. By default none:
/// every series in every report.
///
/// - [`zero`](Self::zero): series that hold nothing: counters and meters at
///   0, gauges at 0, histograms and timers with no value.
/// - [`unchanged`](Self::unchanged): series whose count (or gauge value) is
///   the same as in the previous report, which had them. The first report
///   has every series.
/// - [`own`](Self::own): the reporters' own metrics, `reporter.<name>.*`.
///
/// Left-out series are not lost: a counter's count is cumulative, so the
/// next report that has it carries everything.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::Quiet;
///
/// let registry = Registry::new();
/// registry.counter("idle")?;
/// registry.counter("busy")?.inc(3);
/// let mut quiet = Quiet::default().zero(true);
/// let shown = quiet.apply(registry.snapshot());
/// let names: Vec<&str> = shown.metrics.iter().map(|e| e.key.name()).collect();
/// assert_eq!(names, ["busy"]);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quiet {
    zero: bool,
    unchanged: bool,
    own: bool,
    /// What each series showed in the last report that had it.
    last: Previous<u128>,
}

impl Quiet {
    /// Leaves out series that hold nothing (see [`Quiet`]).
    pub fn zero(mut self, on: bool) -> Self {
        self.zero = on;
        self
    }

    /// Leaves out series unchanged since the previous report (see
    /// [`Quiet`]).
    pub fn unchanged(mut self, on: bool) -> Self {
        self.unchanged = on;
        self
    }

    /// Leaves out the reporters' own metrics, `reporter.<name>.*`.
    pub fn own(mut self, on: bool) -> Self {
        self.own = on;
        self
    }

    /// Whether it leaves anything out.
    pub fn is_on(&self) -> bool {
        self.zero || self.unchanged || self.own
    }

    /// `snapshot` without the series left out; remembers what each series
    /// showed, for the next report's [`unchanged`](Self::unchanged).
    pub fn apply(&mut self, mut snapshot: RegistrySnapshot) -> RegistrySnapshot {
        if !self.is_on() {
            return snapshot;
        }
        if self.unchanged {
            // Every series of the registry, shown or not: an unchanged one
            // stays remembered, a removed one is forgotten.
            self.last.finish(&snapshot);
        }
        let (zero, unchanged, own, last) = (self.zero, self.unchanged, self.own, &mut self.last);
        snapshot.metrics.retain(|entry| {
            if own && is_own_metric(entry.key.name()) {
                return false;
            }
            let shows = shown(&entry.snapshot);
            if zero && shows == 0 {
                return false;
            }
            if unchanged {
                let before = last.get(&entry.key).copied();
                last.insert(&entry.key, shows);
                if before == Some(shows) {
                    return false;
                }
            }
            true
        });
        snapshot
    }
}

/// What a series shows, as a number that is 0 when it holds nothing and
/// changes whenever its count or value does.
fn shown(snapshot: &MetricSnapshot) -> u128 {
    match snapshot {
        MetricSnapshot::Counter(c) => u128::from(c.count as u64),
        MetricSnapshot::Meter(m) => u128::from(m.count),
        MetricSnapshot::Gauge { value } => u128::from(*value as u64),
        MetricSnapshot::GaugeF64 { value } | MetricSnapshot::CounterF64 { value }
            if *value == 0.0 =>
        {
            0
        }
        // Any bits but 0 for a value that is not zero (NaN included).
        MetricSnapshot::GaugeF64 { value } | MetricSnapshot::CounterF64 { value } => {
            u128::from(value.to_bits()) | 1 << 64
        }
        MetricSnapshot::Histogram(h) => u128::from(h.count),
        MetricSnapshot::Timer(t) => u128::from(t.durations.count),
        #[allow(unreachable_patterns)]
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tachymeter_core::Registry;

    fn names(quiet: &mut Quiet, registry: &Registry) -> Vec<String> {
        quiet
            .apply(registry.snapshot())
            .metrics
            .iter()
            .map(|e| e.key.name().to_string())
            .collect()
    }

    #[test]
    fn zero_series_are_left_out() {
        let registry = Registry::new();
        registry.counter("c0").unwrap();
        registry.counter("c1").unwrap().inc(1);
        registry.gauge("g0").unwrap();
        registry.gauge("g-").unwrap().update(-1);
        registry.gauge_f64("f0").unwrap().update(-0.0);
        registry.gauge_f64("fnan").unwrap().update(f64::NAN);
        registry.histogram("h0").unwrap();
        registry
            .timer("t1")
            .unwrap()
            .update(std::time::Duration::ZERO);
        registry.meter("m0").unwrap();
        let mut quiet = Quiet::default().zero(true);
        assert_eq!(names(&mut quiet, &registry), ["c1", "fnan", "g-", "t1"]);
    }

    #[test]
    fn unchanged_series_are_left_out_until_they_change() {
        let registry = Registry::new();
        let c = registry.counter("c").unwrap();
        let g = registry.gauge("g").unwrap();
        let mut quiet = Quiet::default().unchanged(true);
        assert_eq!(names(&mut quiet, &registry), ["c", "g"]);
        assert!(names(&mut quiet, &registry).is_empty());
        c.inc(1);
        assert_eq!(names(&mut quiet, &registry), ["c"]);
        g.update(5);
        assert_eq!(names(&mut quiet, &registry), ["g"]);
        // Gone and back: shown again.
        registry.unregister("c");
        assert!(names(&mut quiet, &registry).is_empty());
        registry.counter("c").unwrap();
        assert_eq!(names(&mut quiet, &registry), ["c"]);
    }

    #[test]
    fn own_metrics_are_left_out() {
        let registry = Registry::new();
        registry.counter("reporter.log.reports").unwrap().inc(1);
        registry.counter("requests").unwrap().inc(1);
        let mut quiet = Quiet::default().own(true);
        assert_eq!(names(&mut quiet, &registry), ["requests"]);
        assert!(!Quiet::default().is_on());
    }
}
