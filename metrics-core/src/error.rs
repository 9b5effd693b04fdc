//! [`RegistryError`]: why a registry refused a request.

use crate::key::MetricKey;
use crate::metric::MetricKind;
use std::fmt;

/// Why a registry refused a request.
///
/// ```
/// use tachymeter_core::{MetricKind, Registry, RegistryError};
///
/// let registry = Registry::new();
/// registry.counter("jobs")?;
/// match registry.gauge("jobs") {
///     Err(RegistryError::TypeClash { existing, .. }) => assert_eq!(existing, MetricKind::Counter),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), RegistryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The name is already used by a metric of another type.
    TypeClash {
        /// The name (prefix included).
        name: String,
        /// The type it has.
        existing: MetricKind,
        /// The type asked for.
        requested: MetricKind,
    },
    /// [`Registry::register`](crate::Registry::register) was given a key that is already registered.
    Duplicate {
        /// The key (prefix included).
        key: MetricKey,
    },
    /// A [`Family`](crate::Family) was given the same label name twice.
    DuplicateLabel {
        /// The family's name.
        name: String,
        /// The label name given twice.
        label: String,
    },
    /// [`Registry::register`](crate::Registry::register) was given a new key while the registry holds
    /// [`max_series`](crate::RegistryBuilder::max_series) series.
    Full {
        /// The key (prefix included).
        key: MetricKey,
        /// The cap.
        max_series: usize,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::TypeClash {
                name,
                existing,
                requested,
            } => write!(
                f,
                "metric name `{name}` is already a {existing}, so it cannot be a {requested}: \
                 use another name, or unregister the {existing} first"
            ),
            RegistryError::Duplicate { key } => write!(
                f,
                "metric `{key}` is already registered: use the get-or-register methods \
                 (`counter`, `timer`, …) to share it, or unregister it first"
            ),
            RegistryError::DuplicateLabel { name, label } => write!(
                f,
                "family `{name}` was given the label name `{label}` twice: \
                 give each label name once"
            ),
            RegistryError::Full { key, max_series } => write!(
                f,
                "metric `{key}` was not registered: the registry holds its maximum of \
                 {max_series} series; raise `RegistryBuilder::max_series` or unregister \
                 series you no longer need"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}
