//! [`Previous`]: what each series was at the last report that had it.

use std::collections::HashMap;
use tachymeter_core::{MetricKey, RegistrySnapshot};

/// Series a filter left out of reports are forgotten after this many
/// reports without them (a series missing from a complete snapshot is
/// forgotten at once).
pub const MAX_ABSENT_REPORTS: u64 = 10_000;

/// What each series was at the last report that had it: what a reporter
/// that sends changes measures the next report from (StatsD's counter
/// deltas, an interval log's values since the last line, a dashboard's
/// rates, [`Quiet`](crate::Quiet)'s "unchanged").
///
/// A series is forgotten when a report's snapshot no longer lists it: at
/// once if the snapshot is complete (the series is gone from the registry),
/// after [`MAX_ABSENT_REPORTS`] reports if the snapshot was filtered (it
/// may only have been left out, and must not start over when it comes
/// back). So memory follows the registry's series.
///
/// ```
/// use tachymeter_core::{MetricSnapshot, Registry};
/// use tachymeter_report::Previous;
///
/// let registry = Registry::new();
/// let jobs = registry.counter("jobs")?;
/// let mut last: Previous<i64> = Previous::new();
/// for done in [3, 5] {
///     jobs.inc(done);
///     let snapshot = registry.snapshot();
///     for entry in &snapshot.metrics {
///         if let MetricSnapshot::Counter(c) = entry.snapshot {
///             let before = last.get(&entry.key).copied().unwrap_or(0);
///             println!("{} +{}", entry.key, c.count - before);
///             last.insert(&entry.key, c.count);
///         }
///     }
///     last.finish(&snapshot);
/// }
/// registry.unregister("jobs");
/// last.finish(&registry.snapshot());
/// assert!(last.is_empty());
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Previous<T> {
    series: HashMap<MetricKey, (T, u64)>,
    /// Reports finished so far.
    reports: u64,
}

impl<T> Default for Previous<T> {
    fn default() -> Self {
        Previous {
            series: HashMap::new(),
            reports: 0,
        }
    }
}

impl<T> Previous<T> {
    /// Nothing remembered.
    pub fn new() -> Self {
        Self::default()
    }

    /// What `key` was at the last report that had it.
    pub fn get(&self, key: &MetricKey) -> Option<&T> {
        self.series.get(key).map(|(value, _)| value)
    }

    /// The same, to change.
    pub fn get_mut(&mut self, key: &MetricKey) -> Option<&mut T> {
        self.series.get_mut(key).map(|(value, _)| value)
    }

    /// What `key` was, remembering `make()` for it first if nothing was.
    pub fn entry(&mut self, key: &MetricKey, make: impl FnOnce() -> T) -> &mut T {
        let reports = self.reports;
        if !self.series.contains_key(key) {
            self.series.insert(key.clone(), (make(), reports));
        }
        let (value, _) = self.series.get_mut(key).expect("inserted above");
        value
    }

    /// Remembers `value` for `key`.
    pub fn insert(&mut self, key: &MetricKey, value: T) {
        match self.series.get_mut(key) {
            Some(entry) => entry.0 = value,
            None => {
                self.series.insert(key.clone(), (value, self.reports));
            }
        }
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: &MetricKey) -> Option<T> {
        self.series.remove(key).map(|(value, _)| value)
    }

    /// Ends the report of `snapshot`: the series it lists are kept, the
    /// others forgotten as the type says.
    pub fn finish(&mut self, snapshot: &RegistrySnapshot) {
        self.reports += 1;
        let reports = self.reports;
        for entry in &snapshot.metrics {
            if let Some(kept) = self.series.get_mut(&entry.key) {
                kept.1 = reports;
            }
        }
        let oldest = if snapshot.is_complete() {
            reports
        } else {
            reports.saturating_sub(MAX_ABSENT_REPORTS)
        };
        self.series.retain(|_, (_, seen)| *seen >= oldest);
    }

    /// How many series are remembered.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Every series remembered, and what it was.
    pub fn iter(&self) -> impl Iterator<Item = (&MetricKey, &T)> {
        self.series.iter().map(|(key, (value, _))| (key, value))
    }

    /// The same, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&MetricKey, &mut T)> {
        self.series.iter_mut().map(|(key, (value, _))| (key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tachymeter_core::Registry;

    #[test]
    fn a_series_left_out_by_a_filter_is_kept_and_a_removed_one_forgotten() {
        let registry = Registry::new();
        registry.counter("a").unwrap();
        registry.counter("b").unwrap();
        let mut previous = Previous::new();
        let snapshot = registry.snapshot();
        for entry in &snapshot.metrics {
            previous.insert(&entry.key, 1);
        }
        previous.finish(&snapshot);
        // `b` left out by a filter: kept.
        let mut filtered = registry.snapshot();
        filtered.metrics.retain(|e| e.key.name() == "a");
        previous.finish(&filtered);
        assert_eq!(previous.get(&MetricKey::new("b")), Some(&1));
        // Removed from the registry: forgotten at the next report.
        registry.unregister("b");
        previous.finish(&registry.snapshot());
        assert_eq!(previous.get(&MetricKey::new("b")), None);
        assert_eq!(previous.len(), 1);
        // Left out for too long: forgotten too.
        let mut none = registry.snapshot();
        none.metrics.clear();
        for _ in 0..=MAX_ABSENT_REPORTS {
            previous.finish(&none);
        }
        assert!(previous.is_empty());
    }
}
