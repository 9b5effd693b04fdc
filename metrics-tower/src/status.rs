//! Counters by status class (`<name>-2xx`, …) and by exact status code
//! (`<name>-404`, …), the latter created the first time a code is seen.

use std::sync::OnceLock;
use tachymeter_core::{Counter, MetricKey, Registry, RegistryError, Trace};

/// The suffixes of the class counters, in class order.
pub const CLASS_SUFFIXES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

/// The index in [`CLASS_SUFFIXES`] of a status code's class: `1xx` … `5xx`
/// for 100–599, `other` for anything else (no code panics).
///
/// ```
/// use tachymeter_tower::{status_class, CLASS_SUFFIXES};
///
/// assert_eq!(CLASS_SUFFIXES[status_class(204)], "2xx");
/// assert_eq!(CLASS_SUFFIXES[status_class(599)], "5xx");
/// assert_eq!(CLASS_SUFFIXES[status_class(0)], "other");
/// assert_eq!(CLASS_SUFFIXES[status_class(999)], "other");
/// ```
pub fn status_class(code: u16) -> usize {
    match code {
        100..=599 => usize::from(code / 100 - 1),
        _ => 5,
    }
}

/// `base` with `-suffix` appended to its name, labels kept.
pub(crate) fn suffixed(base: &MetricKey, suffix: &str) -> MetricKey {
    base.labels().iter().fold(
        MetricKey::new(format!("{}-{suffix}", base.name())),
        |key, (name, value)| key.with_label(name.as_str(), value.as_str()),
    )
}

/// One counter per status class.
#[derive(Debug, Clone)]
pub(crate) struct ClassCounters([Counter; 6]);

impl ClassCounters {
    pub(crate) fn register(registry: &Registry, base: &MetricKey) -> Result<Self, RegistryError> {
        let mut counters = Vec::with_capacity(6);
        for suffix in CLASS_SUFFIXES {
            counters.push(registry.counter(suffixed(base, suffix))?);
        }
        let counters: [Counter; 6] = counters
            .try_into()
            .unwrap_or_else(|_| unreachable!("six suffixes give six counters"));
        Ok(Self(counters))
    }

    #[inline]
    pub(crate) fn record(&self, code: u16, trace: Option<Trace>) {
        let counter = &self.0[status_class(code)];
        match trace {
            Some(trace) => counter.inc_with_exemplar(1, trace),
            None => counter.inc(1),
        }
    }
}

/// One counter per exact status code, registered the first time the code is
/// seen (once per code; after that, no lookup). Codes outside 0–999, and a
/// code whose name the registry refuses (taken by another metric type),
/// count in `<name>-other`.
#[derive(Debug)]
pub(crate) struct ExactCounters {
    registry: Registry,
    base: MetricKey,
    other: Counter,
    hundreds: [OnceLock<Hundred>; 10],
}

/// The counters of codes `h00` to `h99`; `None` where the registry refused.
type Hundred = Box<[OnceLock<Option<Counter>>]>;

impl ExactCounters {
    pub(crate) fn register(registry: &Registry, base: &MetricKey) -> Result<Self, RegistryError> {
        Ok(Self {
            registry: registry.clone(),
            base: base.clone(),
            other: registry.counter(suffixed(base, "other"))?,
            hundreds: Default::default(),
        })
    }

    #[inline]
    pub(crate) fn record(&self, code: u16) {
        let counter = self
            .hundreds
            .get(usize::from(code / 100))
            .map(|h| h.get_or_init(|| (0..100).map(|_| OnceLock::new()).collect()))
            .and_then(|h| {
                h[usize::from(code % 100)]
                    .get_or_init(|| {
                        let key = suffixed(&self.base, &code.to_string());
                        if self.registry.description(key.name()).is_none() {
                            let text = format!("{} responses with status {code}", self.base.name());
                            self.registry.describe(key.name(), &text, None);
                        }
                        self.registry.counter(key).ok()
                    })
                    .as_ref()
            });
        counter.unwrap_or(&self.other).inc(1);
    }
}
