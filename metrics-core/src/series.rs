//! [`Series`]: the series a registry holds, and what its cap on series
//! needs to know about them (overflow series, keys already folded).

use crate::key::MetricKey;
use crate::metric::Metric;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

/// The default cap on series in a registry.
pub const DEFAULT_MAX_SERIES: usize = 10_000;

/// The label that marks a series holding what did not fit under the cap.
pub const OVERFLOW_LABEL: &str = "overflow";

/// How many per-name overflow series (`name{overflow="true"}`) a full
/// registry creates; later names fold into `registry.overflow.<kind>`.
pub const MAX_OVERFLOW_NAMES: usize = 16;

/// At least how many folded keys a registry remembers (as 8-byte hashes),
/// to count each folded series once.
pub(crate) const FOLDS_KEPT: usize = 1024;

/// The registered series, and what the cap needs to know about them.
#[derive(Debug, Default)]
pub(crate) struct Series {
    pub(crate) map: BTreeMap<MetricKey, Metric>,
    /// Overflow series in `map` (their key has the overflow label).
    pub(crate) overflow: usize,
    /// Hashes of the keys folded so far, so that asking again for a folded
    /// series does not count it twice (at most [`FOLDS_KEPT`] or
    /// `max_series` kept, whichever is more; past that every request for a
    /// key not kept counts).
    folded: HashSet<u64>,
}

pub(crate) fn is_overflow(key: &MetricKey) -> bool {
    key.labels()
        .iter()
        .any(|(k, v)| k == OVERFLOW_LABEL && v == "true")
}

impl Series {
    /// Series that are not overflow series.
    pub(crate) fn ordinary(&self) -> usize {
        self.map.len() - self.overflow
    }

    pub(crate) fn insert(&mut self, key: MetricKey, metric: Metric) {
        if is_overflow(&key) {
            self.overflow += 1;
        }
        self.map.insert(key, metric);
    }

    pub(crate) fn remove(&mut self, key: &MetricKey) -> Option<Metric> {
        let removed = self.map.remove(key);
        if removed.is_some() && is_overflow(key) {
            self.overflow -= 1;
        }
        removed
    }

    /// Whether `key` is folded for the first time (as far as can be told).
    pub(crate) fn first_fold(&mut self, key: &MetricKey, max: usize) -> bool {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let hash = hasher.finish();
        if self.folded.contains(&hash) {
            false
        } else {
            if self.folded.len() < max {
                self.folded.insert(hash);
            }
            true
        }
    }
}
