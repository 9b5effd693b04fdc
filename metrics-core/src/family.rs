//! [`Family`]: one metric name with fixed label names, whose series are
//! found by their label values: `orders.with(["pro"]).inc(1)`.

use crate::counter::Counter;
use crate::error::RegistryError;
use crate::gauge::{Gauge, GaugeF64};
use crate::histogram::Histogram;
use crate::key::MetricKey;
use crate::label_table::LabelTable;
use crate::meter::Meter;
use crate::metric::MetricKind;
use crate::registry::Registry;
use crate::series::OVERFLOW_LABEL;
use crate::timer::Timer;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

/// A metric name with `N` label names fixed when it is registered, whose
/// series are found by their label values: prometheus-client's `Family`,
/// metrics-rs' `counter!("name", "tier" => tier)`.
///
/// [`with`](Self::with) looks a series up by its values: once a set of
/// values has been seen, that costs a hash of the values and a few plain
/// loads (no lock, no write to memory other threads read), allocates
/// nothing and cannot fail. The first time, it registers the series in the
/// registry under a lock, where the registry's series cap applies as to
/// any other: past the cap, new values share the name's overflow series
/// (`overflow="true"`). The family remembers at most as many value sets as
/// the cap; later ones record into that overflow series too, so hostile
/// label values cannot grow its memory without bound.
///
/// ```
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// let orders = registry.counter_family("shop.orders", ["tier"])?;
/// orders.with(["pro"]).inc(1);
/// orders.with(["free"]).inc(2);
/// orders.with(["pro"]).inc(1);
/// assert_eq!(orders.with(["pro"]).count(), 2);
/// let key = tachymeter_core::MetricKey::new("shop.orders").with_label("tier", "pro");
/// assert_eq!(registry.counter(key)?.count(), 2); // the registry's own series
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
///
/// `with` lends the series' handle; `.clone()` it to keep it. Unregistering a series behind the family's back
/// leaves the family's handle counting where no report sees it; remove it
/// with [`remove`](Self::remove) instead.
pub struct Family<M: Member, const N: usize> {
    inner: Arc<Inner<M, N>>,
}

struct Inner<M, const N: usize> {
    registry: Registry,
    name: String,
    labels: [String; N],
    /// Random per family: label values cannot be chosen to collide.
    keys: [u64; 2],
    series: LabelTable<M, N>,
    /// The name's overflow series, for value sets past the cap.
    overflow: OnceLock<M>,
}

/// A metric type a [`Family`] can hold: [`Counter`], [`Gauge`],
/// [`GaugeF64`], [`Meter`], [`Histogram`] and [`Timer`].
pub trait Member: Clone + Send + Sync + 'static + sealed::Register {}

mod sealed {
    use super::*;

    /// How a family registers a member (not for use outside the crate).
    pub trait Register: Sized {
        const KIND: MetricKind;
        fn register(registry: &Registry, key: MetricKey) -> Result<Self, RegistryError>;
        fn detached() -> Self;
    }
}

macro_rules! member {
    ($($type:ident: $method:ident),*) => {$(
        impl sealed::Register for $type {
            const KIND: MetricKind = MetricKind::$type;
            fn register(registry: &Registry, key: MetricKey) -> Result<Self, RegistryError> {
                registry.$method(key)
            }
            fn detached() -> Self {
                $type::default()
            }
        }
        impl Member for $type {}
    )*};
}
member!(
    Counter: counter,
    Gauge: gauge,
    GaugeF64: gauge_f64,
    Meter: meter,
    Histogram: histogram,
    Timer: timer
);

impl<M: Member, const N: usize> Family<M, N> {
    /// The family `name` with these label names in `registry`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::TypeClash`] when `name` is already another kind of
    /// metric; [`RegistryError::DuplicateLabel`] when a label name is given
    /// twice.
    pub fn new(registry: &Registry, name: &str, labels: [&str; N]) -> Result<Self, RegistryError> {
        if let Some(existing) = registry.kind_of(name).filter(|k| *k != M::KIND) {
            return Err(RegistryError::TypeClash {
                name: name.to_string(),
                existing,
                requested: M::KIND,
            });
        }
        for (i, label) in labels.iter().enumerate() {
            if labels[..i].contains(label) {
                return Err(RegistryError::DuplicateLabel {
                    name: name.to_string(),
                    label: label.to_string(),
                });
            }
        }
        Ok(Family {
            inner: Arc::new(Inner {
                registry: registry.clone(),
                name: name.to_string(),
                labels: labels.map(str::to_string),
                keys: random_keys(),
                series: LabelTable::new(),
                overflow: OnceLock::new(),
            }),
        })
    }

    /// The series of these label values (in the order of the label
    /// names), registered the first time they are seen.
    ///
    /// A value set whose series cannot be registered (the name was taken
    /// by another kind of metric since the family was made) records into
    /// the registry's overflow series of its kind,
    /// `registry.overflow.<kind>{overflow="true"}`.
    #[inline]
    pub fn with(&self, values: [&str; N]) -> &M {
        let hash = self.hash(&values);
        match self.inner.series.get(hash, &values) {
            Some(found) => found,
            None => self.register(hash, &values),
        }
    }

    /// Unregisters the series of these values and forgets it; what it held
    /// is no longer reported. Whether there was one.
    pub fn remove(&self, values: [&str; N]) -> bool {
        self.inner.series.remove(self.hash(&values), &values);
        self.inner.registry.unregister(self.key(&values)).is_some()
    }

    /// The metric name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The label names, in the order [`with`](Self::with) takes values.
    pub fn label_names(&self) -> [&str; N] {
        std::array::from_fn(|i| self.inner.labels[i].as_str())
    }

    #[cold]
    fn register(&self, hash: u64, values: &[&str; N]) -> &M {
        let inner = &*self.inner;
        let make = || {
            M::register(&inner.registry, self.key(values)).unwrap_or_else(|_| {
                // The series is another kind now: the kind's overflow.
                let overflow = MetricKey::new(format!("registry.overflow.{}", M::KIND))
                    .with_label(OVERFLOW_LABEL, "true");
                M::register(&inner.registry, overflow).unwrap_or_else(|_| M::detached())
            })
        };
        let max = inner.registry.max_series();
        match inner.series.insert(hash, values, max, make) {
            Some(metric) => metric,
            None => inner.overflow.get_or_init(|| {
                let key = MetricKey::new(inner.name.as_str()).with_label(OVERFLOW_LABEL, "true");
                M::register(&inner.registry, key).unwrap_or_else(|_| M::detached())
            }),
        }
    }

    fn key(&self, values: &[&str; N]) -> MetricKey {
        let inner = &*self.inner;
        inner
            .labels
            .iter()
            .zip(values)
            .fold(MetricKey::new(inner.name.as_str()), |key, (name, value)| {
                key.with_label(name.as_str(), *value)
            })
    }

    /// A keyed hash of the values: 8 bytes at a time through a folded
    /// multiply (the product's halves XORed), each value's length mixed
    /// in after it, so `["ab", "c"]` and `["a", "bc"]` differ.
    #[inline]
    fn hash(&self, values: &[&str; N]) -> u64 {
        let [mut h, key] = self.inner.keys;
        for value in values {
            let bytes = value.as_bytes();
            let mut chunks = bytes.chunks_exact(8);
            for chunk in &mut chunks {
                let mut word = [0; 8];
                word.copy_from_slice(chunk);
                h = fold(h ^ u64::from_le_bytes(word), key);
            }
            h = fold(h ^ tail(chunks.remainder()), key);
            h = fold(h ^ bytes.len() as u64, key);
        }
        h
    }
}

/// The last 0–7 bytes of a value as one word, read with loads alone
/// (bytes copied to the stack would stall the load that reads them back).
/// With the value's length mixed in after, different tails give different
/// words: 4–7 bytes as two overlapping halves, 1–3 as first, middle, last.
#[inline]
fn tail(rest: &[u8]) -> u64 {
    let n = rest.len();
    let half = |at: usize| {
        rest.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    match n {
        0 => 0,
        1..=3 => u64::from(rest[0]) << 16 | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]),
        _ => half(0) | half(n - 4) << 32,
    }
}

/// `x` times `key` (odd), the two halves of the product XORed.
#[inline]
fn fold(x: u64, key: u64) -> u64 {
    let product = u128::from(x) * u128::from(key | 1);
    (product as u64) ^ ((product >> 64) as u64)
}

/// Two random words from the standard library's randomly keyed hasher.
fn random_keys() -> [u64; 2] {
    let state = RandomState::new();
    [state.hash_one(0x5eed_u64), state.hash_one(0xfa11_u64)]
}

impl<M: Member, const N: usize> Clone for Family<M, N> {
    fn clone(&self) -> Self {
        Family {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<M: Member, const N: usize> fmt::Debug for Family<M, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.inner.name)
            .field("labels", &self.inner.labels)
            .field("kind", &M::KIND)
            .finish_non_exhaustive()
    }
}

macro_rules! family_method {
    ($($(#[$doc:meta])* $method:ident: $type:ident),*) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        ///
        /// As [`Family::new`].
        pub fn $method<const N: usize>(
            &self,
            name: &str,
            labels: [&str; N],
        ) -> Result<Family<$type, N>, RegistryError> {
            Family::new(self, name, labels)
        }
    )*};
}

impl Registry {
    family_method!(
        /// A family of counters: `name` with these label names (see
        /// [`Family`]).
        counter_family: Counter,
        /// A family of `i64` gauges (see [`Family`]).
        gauge_family: Gauge,
        /// A family of `f64` gauges (see [`Family`]).
        gauge_f64_family: GaugeF64,
        /// A family of meters (see [`Family`]).
        meter_family: Meter,
        /// A family of histograms (see [`Family`]).
        histogram_family: Histogram,
        /// A family of timers (see [`Family`]).
        ///
        /// ```
        /// use std::time::Duration;
        ///
        /// let registry = tachymeter_core::Registry::new();
        /// let queries = registry.timer_family("db.query", ["table", "op"])?;
        /// queries.with(["books", "select"]).update(Duration::from_micros(180));
        /// let kept = queries.with(["books", "insert"]).clone(); // a handle of its own
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        timer_family: Timer
    );
}
