//! [`Family`]: one metric name with fixed label names, whose series are
//! found by their label values: `orders.with(["pro"]).inc(1)`.

use crate::counter::Counter;
use crate::error::RegistryError;
use crate::gauge::{Gauge, GaugeF64};
use crate::histogram::Histogram;
use crate::key::MetricKey;
use crate::meter::Meter;
use crate::metric::MetricKind;
use crate::registry::Registry;
use crate::series::OVERFLOW_LABEL;
use crate::timer::Timer;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, RwLock};

/// A metric name with `N` label names fixed when it is registered, whose
/// series are found by their label values: prometheus-client's `Family`,
/// metrics-rs' `counter!("name", "tier" => tier)`.
///
/// [`with`](Self::with) looks a series up by its values: once a set of
/// values has been seen, that costs a hash of the values and a shared
/// read lock, allocates nothing and cannot fail. The first time, it
/// registers the series in the registry, where the registry's series cap
/// applies as to any other: past the cap, new values share the name's
/// overflow series (`overflow="true"`), and the family remembers at most
/// as many value sets as the cap (more are looked up in the registry each
/// time, so hostile label values cannot grow its memory without bound).
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
/// A handle from `with` is the series' own: keep it where one label set
/// is recorded often. Unregistering a series behind the family's back
/// leaves the family's handle counting where no report sees it; remove it
/// with [`remove`](Self::remove) instead.
pub struct Family<M: Member, const N: usize> {
    inner: Arc<Inner<M, N>>,
}

struct Inner<M, const N: usize> {
    registry: Registry,
    name: String,
    labels: [String; N],
    hasher: RandomState,
    /// Series by the hash of their values (a hash shared by two value sets
    /// keeps both).
    series: RwLock<Series<M, N>>,
}

type Series<M, const N: usize> =
    HashMap<u64, Vec<([Box<str>; N], M)>, BuildHasherDefault<Prehashed>>;

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
                hasher: RandomState::new(),
                series: RwLock::new(HashMap::default()),
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
    pub fn with(&self, values: [&str; N]) -> M {
        let hash = self.hash(&values);
        {
            let series = self.inner.series.read().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = find(&series, hash, &values) {
                return found.clone();
            }
        }
        self.register(hash, values)
    }

    /// Unregisters the series of these values and forgets it; what it held
    /// is no longer reported. Whether there was one.
    pub fn remove(&self, values: [&str; N]) -> bool {
        let hash = self.hash(&values);
        let mut series = self.inner.series.write().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = series.get_mut(&hash) {
            bucket.retain(|(v, _)| !same(v, &values));
            if bucket.is_empty() {
                series.remove(&hash);
            }
        }
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
    fn register(&self, hash: u64, values: [&str; N]) -> M {
        let inner = &*self.inner;
        let mut series = inner.series.write().unwrap_or_else(|e| e.into_inner());
        // Another thread may have registered it in between.
        if let Some(found) = find(&series, hash, &values) {
            return found.clone();
        }
        let metric = M::register(&inner.registry, self.key(&values)).unwrap_or_else(|_| {
            let overflow = MetricKey::new(format!("registry.overflow.{}", M::KIND))
                .with_label(OVERFLOW_LABEL, "true");
            M::register(&inner.registry, overflow).unwrap_or_else(|_| M::detached())
        });
        if series.len() < inner.registry.max_series() {
            series
                .entry(hash)
                .or_default()
                .push((values.map(Box::from), metric.clone()));
        }
        metric
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

    fn hash(&self, values: &[&str; N]) -> u64 {
        let mut hasher = self.inner.hasher.build_hasher();
        for value in values {
            hasher.write(value.as_bytes());
            // Never in UTF-8: ["ab", "c"] and ["a", "bc"] hash apart.
            hasher.write_u8(0xff);
        }
        hasher.finish()
    }
}

fn find<'s, M, const N: usize>(
    series: &'s Series<M, N>,
    hash: u64,
    values: &[&str; N],
) -> Option<&'s M> {
    series
        .get(&hash)?
        .iter()
        .find(|(v, _)| same(v, values))
        .map(|(_, m)| m)
}

fn same<const N: usize>(stored: &[Box<str>; N], values: &[&str; N]) -> bool {
    stored.iter().zip(values).all(|(s, v)| **s == **v)
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

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
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
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        timer_family: Timer
    );
}
