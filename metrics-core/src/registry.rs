//! [`Registry`]: metrics by name, get-or-register, snapshots of everything.

use crate::clock::{system_clock, Clock};
use crate::counter::Counter;
use crate::description::{Description, Unit};
use crate::error::RegistryError;
use crate::functional::{FunctionalCounter, FunctionalGauge};
use crate::gauge::{Gauge, GaugeF64};
use crate::healthcheck::Healthcheck;
use crate::histogram::{Histogram, HistogramConfig};
use crate::key::MetricKey;
use crate::meter::Meter;
use crate::metric::{Metric, MetricKind};
use crate::per_thread::cells::Cells;
use crate::series::{
    is_overflow, Series, DEFAULT_MAX_SERIES, FOLDS_KEPT, MAX_OVERFLOW_NAMES, OVERFLOW_LABEL,
};
use crate::snapshot::{MetricEntry, MetricSnapshot, RegistrySnapshot};
use crate::timer::Timer;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Builds a [`Registry`] with a clock, a series cap and histogram defaults.
///
/// ```
/// use tachymeter_core::{HistogramConfig, Registry};
///
/// let registry = Registry::builder()
///     .max_series(500)
///     .histogram_config(HistogramConfig::default().significant_figures(3))
///     .build();
/// assert_eq!(registry.max_series(), 500);
/// ```
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    clock: Arc<dyn Clock>,
    max_series: usize,
    histogram: HistogramConfig,
}

impl RegistryBuilder {
    /// The clock for every meter, histogram and timer the registry creates.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How many series (name + labels) the registry holds before new ones
    /// fold into overflow series. At least 1.
    pub fn max_series(mut self, max: usize) -> Self {
        self.max_series = max.max(1);
        self
    }

    /// The configuration of the histograms and timers the registry creates.
    pub fn histogram_config(mut self, config: HistogramConfig) -> Self {
        self.histogram = config;
        self
    }

    /// The registry.
    pub fn build(self) -> Registry {
        Registry {
            shared: Arc::new(Shared {
                metrics: RwLock::new(Series::default()),
                healthchecks: RwLock::new(BTreeMap::new()),
                descriptions: RwLock::new(BTreeMap::new()),
                clock: self.clock,
                max_series: self.max_series,
                histogram: self.histogram,
                folded: AtomicU64::new(0),
                generation: AtomicU64::new(0),
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                handles: Mutex::new(None),
            }),
            prefix: Arc::from(""),
        }
    }
}

/// Metrics by name (and labels), for reporters to snapshot.
///
/// The get-or-register methods (`counter`, `timer`, …) return a handle the
/// caller keeps: the recording path never looks a name up. A name belongs to
/// one metric type; asking for it as another type is an error, never a
/// replacement or a panic.
///
/// A user-controlled value in a name or label cannot grow memory without
/// bound: once the registry holds [`max_series`](RegistryBuilder::max_series)
/// series, a get-or-register request for a new series gets an overflow
/// series instead, and the fold is counted
/// ([`folded_series`](Self::folded_series)): the overflow series of its
/// name (its labels replaced by `overflow="true"`) for the first
/// [`MAX_OVERFLOW_NAMES`] names that overflow, the registry-wide
/// `registry.overflow.<kind>{overflow="true"}` after that. Nothing recorded
/// is lost, it is only no longer told apart. So a registry never holds more
/// than `max_series + MAX_OVERFLOW_NAMES + 7` series (seven kinds), and
/// [`register`](Self::register) refuses a new series when it is full.
///
/// Clones share the same metrics.
///
/// ```
/// use tachymeter_core::{MetricKey, Registry};
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let hits = registry.counter("cache.hits")?;
/// hits.inc(1);
/// let latency = registry.timer(MetricKey::new("http.latency").with_label("route", "/books"))?;
/// latency.update(Duration::from_millis(12));
///
/// assert!(registry.timer("cache.hits").is_err()); // already a counter
///
/// let names: Vec<String> = registry.snapshot().metrics.iter().map(|m| m.key.to_string()).collect();
/// assert_eq!(names, ["cache.hits", r#"http.latency{route="/books"}"#]);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Registry {
    shared: Arc<Shared>,
    prefix: Arc<str>,
}

#[derive(Debug)]
struct Shared {
    metrics: RwLock<Series>,
    healthchecks: RwLock<BTreeMap<String, Healthcheck>>,
    /// By metric name (all label sets of a name share it).
    descriptions: RwLock<BTreeMap<String, Arc<Description>>>,
    clock: Arc<dyn Clock>,
    max_series: usize,
    histogram: HistogramConfig,
    folded: AtomicU64,
    /// Bumped after every change to the set of series.
    generation: AtomicU64,
    /// Tells this registry's snapshots from other registries'.
    id: u64,
    /// The handles of every series in key order, as of a generation, so a
    /// snapshot taken into a buffer that lists the same series copies no
    /// key.
    handles: Mutex<Option<(u64, Arc<[Metric]>)>>,
}

/// Gives each registry its [`Shared::id`] (0 is "unknown").
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    // The maps stay valid whatever panicked while a guard was held.
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// The kind of the series already registered under `name`, if any.
fn family_kind(map: &BTreeMap<MetricKey, Metric>, name: &str) -> Option<MetricKind> {
    map.range(MetricKey::new(name)..)
        .next()
        .filter(|(k, _)| k.name() == name)
        .map(|(_, m)| m.kind())
}

macro_rules! get_or_register {
    ($(#[$doc:meta])* $method:ident, $variant:ident, $make:expr) => {
        $(#[$doc])*
        pub fn $method(&self, key: impl Into<MetricKey>) -> Result<$variant, RegistryError> {
            self.get_or_register(key.into(), MetricKind::$variant, $make, |m| match m {
                Metric::$variant(x) => Some(x.clone()),
                _ => None,
            })
        }
    };
}

impl Registry {
    /// An empty registry on the system clock with the default cap
    /// ([`DEFAULT_MAX_SERIES`]) and histogram configuration.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for a registry with its own clock, cap or histogram
    /// configuration.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder {
            clock: system_clock(),
            max_series: DEFAULT_MAX_SERIES,
            histogram: HistogramConfig::default(),
        }
    }

    get_or_register!(
        /// The counter registered under `key`, registering a new one if there
        /// is none.
        ///
        /// ```
        /// use tachymeter_core::{MetricKey, Registry};
        ///
        /// let registry = Registry::new();
        /// registry.counter("jobs")?.inc(1);
        /// registry.counter(MetricKey::new("jobs").with_label("queue", "mail"))?.inc(2);
        /// assert_eq!(registry.counter("jobs")?.count(), 1); // the same counter again
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        counter, Counter, |_| Metric::Counter(Counter::new())
    );
    get_or_register!(
        /// The `i64` gauge registered under `key`, registering a new one if
        /// there is none.
        ///
        /// ```
        /// let registry = tachymeter_core::Registry::new();
        /// registry.gauge("queue.depth")?.update(12);
        /// assert_eq!(registry.gauge("queue.depth")?.value(), 12);
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        gauge, Gauge, |_| Metric::Gauge(Gauge::new())
    );
    get_or_register!(
        /// The `f64` gauge registered under `key`, registering a new one if
        /// there is none.
        gauge_f64, GaugeF64, |_| Metric::GaugeF64(GaugeF64::new())
    );
    get_or_register!(
        /// The meter registered under `key`, registering a new one (on the
        /// registry's clock) if there is none.
        ///
        /// ```
        /// let registry = tachymeter_core::Registry::new();
        /// registry.meter("logins")?.mark(1);
        /// assert_eq!(registry.meter("logins")?.count(), 1);
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        meter, Meter, |s: &Shared| Metric::Meter(Meter::with_clock(s.clock.clone()))
    );
    get_or_register!(
        /// The histogram registered under `key`, registering a new one (with
        /// the registry's histogram configuration and clock) if there is none.
        ///
        /// ```
        /// let registry = tachymeter_core::Registry::new();
        /// let sizes = registry.histogram("upload.bytes")?;
        /// sizes.update(2_048);
        /// assert_eq!(sizes.snapshot().max, 2_048);
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        histogram, Histogram, |s: &Shared| Metric::Histogram(Histogram::with_config(s.histogram, s.clock.clone()))
    );
    get_or_register!(
        /// The timer registered under `key`, registering a new one (with the
        /// registry's histogram configuration and clock) if there is none.
        ///
        /// ```
        /// let registry = tachymeter_core::Registry::new();
        /// let queries = registry.timer("db.query")?;
        /// let rows = queries.time(|| 42); // runs the closure, records how long it took
        /// assert_eq!((rows, queries.count()), (42, 1));
        /// # Ok::<(), tachymeter_core::RegistryError>(())
        /// ```
        timer, Timer, |s: &Shared| Metric::Timer(Timer::with_config(s.histogram, s.clock.clone()))
    );

    /// The functional gauge registered under `key`, registering `f` as a new
    /// one if there is none (an existing gauge keeps its closure).
    pub fn functional_gauge(
        &self,
        key: impl Into<MetricKey>,
        f: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<FunctionalGauge, RegistryError> {
        self.get_or_register(
            key.into(),
            MetricKind::FunctionalGauge,
            |_| Metric::FunctionalGauge(FunctionalGauge::new(f)),
            |m| match m {
                Metric::FunctionalGauge(g) => Some(g.clone()),
                _ => None,
            },
        )
    }

    /// The functional counter registered under `key`, registering `f` as a
    /// new one if there is none (an existing counter keeps its closure).
    ///
    /// ```
    /// let registry = tachymeter_core::Registry::new();
    /// let started = std::time::Instant::now();
    /// registry.functional_counter("uptime.seconds", move || started.elapsed().as_secs_f64())?;
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn functional_counter(
        &self,
        key: impl Into<MetricKey>,
        f: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<FunctionalCounter, RegistryError> {
        self.get_or_register(
            key.into(),
            MetricKind::FunctionalCounter,
            |_| Metric::FunctionalCounter(FunctionalCounter::new(f)),
            |m| match m {
                Metric::FunctionalCounter(c) => Some(c.clone()),
                _ => None,
            },
        )
    }

    fn get_or_register<T>(
        &self,
        key: MetricKey,
        kind: MetricKind,
        make: impl FnOnce(&Shared) -> Metric,
        pick: impl Fn(&Metric) -> Option<T>,
    ) -> Result<T, RegistryError> {
        let key = key.with_prefix(&self.prefix);
        let clash = |existing: MetricKind, name: &str| RegistryError::TypeClash {
            name: name.to_string(),
            existing,
            requested: kind,
        };
        if let Some(m) = read(&self.shared.metrics).map.get(&key) {
            return pick(m).ok_or_else(|| clash(m.kind(), key.name()));
        }
        let mut series = write(&self.shared.metrics);
        let family = family_kind(&series.map, key.name());
        if let Some(existing) = family.filter(|k| *k != kind) {
            return Err(clash(existing, key.name()));
        }
        let key = if series.map.contains_key(&key) || series.ordinary() < self.shared.max_series {
            key
        } else {
            let own = MetricKey::new(key.name()).with_label(OVERFLOW_LABEL, "true");
            let overflow = if family.is_some()
                && (series.map.contains_key(&own) || series.overflow < MAX_OVERFLOW_NAMES)
            {
                own
            } else {
                let name = format!("registry.overflow.{kind}");
                if let Some(existing) = family_kind(&series.map, &name).filter(|k| *k != kind) {
                    return Err(clash(existing, &name));
                }
                MetricKey::new(name).with_label(OVERFLOW_LABEL, "true")
            };
            if series.first_fold(&key, self.shared.max_series.max(FOLDS_KEPT)) {
                self.shared.folded.fetch_add(1, Ordering::Relaxed);
            }
            overflow
        };
        if let Some(m) = series.map.get(&key) {
            return pick(m).ok_or_else(|| clash(m.kind(), key.name()));
        }
        let metric = make(&self.shared);
        let picked = pick(&metric).ok_or_else(|| clash(metric.kind(), key.name()));
        series.insert(key, metric);
        self.changed();
        picked
    }

    /// Registers a metric built by the caller (for a custom configuration).
    /// An error if the key is taken, its name has another type, or the
    /// registry already holds [`max_series`](RegistryBuilder::max_series)
    /// series.
    ///
    /// ```
    /// use tachymeter_core::{HistogramConfig, Registry, Timer};
    /// use std::sync::Arc;
    ///
    /// let registry = Registry::new();
    /// let precise = Timer::with_config(
    ///     HistogramConfig::default().significant_figures(3),
    ///     registry.clock().clone(),
    /// );
    /// registry.register("db.query", precise.clone())?;
    /// assert!(registry.register("db.query", Timer::new()).is_err());
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn register(
        &self,
        key: impl Into<MetricKey>,
        metric: impl Into<Metric>,
    ) -> Result<(), RegistryError> {
        let key = key.into().with_prefix(&self.prefix);
        let metric = metric.into();
        let mut series = write(&self.shared.metrics);
        if series.map.contains_key(&key) {
            return Err(RegistryError::Duplicate { key });
        }
        if let Some(existing) = family_kind(&series.map, key.name()).filter(|k| *k != metric.kind())
        {
            return Err(RegistryError::TypeClash {
                name: key.name().to_string(),
                existing,
                requested: metric.kind(),
            });
        }
        if !is_overflow(&key) && series.ordinary() >= self.shared.max_series {
            return Err(RegistryError::Full {
                key,
                max_series: self.shared.max_series,
            });
        }
        series.insert(key, metric);
        self.changed();
        Ok(())
    }

    /// The metric registered under `key`.
    ///
    /// ```
    /// use tachymeter_core::{Metric, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.counter("jobs")?.inc(2);
    /// match registry.get("jobs") {
    ///     Some(Metric::Counter(jobs)) => assert_eq!(jobs.count(), 2),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(registry.get("nothing").is_none());
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn get(&self, key: impl Into<MetricKey>) -> Option<Metric> {
        let key = key.into().with_prefix(&self.prefix);
        read(&self.shared.metrics).map.get(&key).cloned()
    }

    /// The kind of the series registered under `name` (any labels), if any.
    pub(crate) fn kind_of(&self, name: &str) -> Option<MetricKind> {
        let name = format!("{}{name}", self.prefix);
        family_kind(&read(&self.shared.metrics).map, &name)
    }

    /// Removes the metric under `key` and returns it. Handles held elsewhere
    /// keep working but are no longer reported.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    ///
    /// let registry = Registry::new();
    /// let jobs = registry.counter("jobs")?;
    /// assert!(registry.unregister("jobs").is_some());
    /// jobs.inc(1); // still works, no longer reported
    /// assert!(registry.snapshot().metrics.is_empty());
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn unregister(&self, key: impl Into<MetricKey>) -> Option<Metric> {
        let key = key.into().with_prefix(&self.prefix);
        let removed = write(&self.shared.metrics).remove(&key);
        if removed.is_some() {
            self.changed();
        }
        removed
    }

    /// Removes every metric this registry sees: all of them, or for a
    /// [`prefixed`](Self::prefixed) registry only those under its prefix.
    pub fn unregister_all(&self) {
        let prefix = &*self.prefix;
        let mut series = write(&self.shared.metrics);
        let before = series.map.len();
        series.map.retain(|k, _| !k.name().starts_with(prefix));
        if series.map.len() != before {
            series.overflow = series.map.keys().filter(|k| is_overflow(k)).count();
            self.changed();
        }
    }

    fn changed(&self) {
        self.shared.generation.fetch_add(1, Ordering::Release);
    }

    /// A number that changes whenever a series is added or removed, so a
    /// reader that prepares work per series (an exporter caching names)
    /// knows when to prepare again. Read it before
    /// [`metrics`](Self::metrics): if it is unchanged later, that list is
    /// still complete.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    ///
    /// let registry = Registry::new();
    /// let before = registry.generation();
    /// registry.counter("hits")?;
    /// assert_ne!(registry.generation(), before);
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// A view of this registry that adds `prefix` to every name it is given.
    /// Both share the same metrics; the view's iteration, snapshots and
    /// [`unregister_all`](Self::unregister_all) see only names under its
    /// prefix.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    ///
    /// let root = Registry::new();
    /// let http = root.prefixed("http.");
    /// http.counter("requests")?.inc(1);
    /// root.counter("jobs")?.inc(1);
    /// assert_eq!(root.counter("http.requests")?.count(), 1);
    /// http.unregister_all();
    /// assert_eq!(root.len(), 1); // "jobs" is still there
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn prefixed(&self, prefix: &str) -> Registry {
        Registry {
            shared: self.shared.clone(),
            prefix: format!("{}{prefix}", self.prefix).into(),
        }
    }

    /// Every metric this registry sees, in name (then label) order.
    pub fn metrics(&self) -> Vec<(MetricKey, Metric)> {
        let prefix = &*self.prefix;
        read(&self.shared.metrics)
            .map
            .iter()
            .filter(|(k, _)| k.name().starts_with(prefix))
            .map(|(k, m)| (k.clone(), m.clone()))
            .collect()
    }

    /// How many series this registry sees.
    pub fn len(&self) -> usize {
        if self.prefix.is_empty() {
            read(&self.shared.metrics).map.len()
        } else {
            self.metrics().len()
        }
    }

    /// Whether it sees none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Snapshots every metric this registry sees, in name order. The
    /// registry's lock is held only to copy the handles, never while reading
    /// the metrics, so writers and registrations are never held up.
    pub fn snapshot(&self) -> RegistrySnapshot {
        let mut snapshot = RegistrySnapshot::default();
        self.snapshot_into(&mut snapshot);
        snapshot
    }

    /// [`snapshot`](Self::snapshot), into `snapshot`, reusing its memory:
    /// when it already lists this registry's series (no series added or
    /// removed since), only the values are read again, no key is copied.
    /// What a reporter that reports often keeps between reports.
    ///
    /// ```
    /// use tachymeter_core::{MetricSnapshot, Registry, RegistrySnapshot};
    ///
    /// let registry = Registry::new();
    /// let jobs = registry.counter("jobs")?;
    /// let mut snapshot = RegistrySnapshot::default();
    /// for done in 1..=3 {
    ///     jobs.inc(1);
    ///     registry.snapshot_into(&mut snapshot);
    ///     assert!(matches!(snapshot.metrics[0].snapshot, MetricSnapshot::Counter(c) if c.count == done));
    /// }
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn snapshot_into(&self, snapshot: &mut RegistrySnapshot) {
        snapshot.folded_series = self.folded_series();
        if !self.prefix.is_empty() {
            let metrics = self.metrics();
            let keys = metrics.iter().map(|(k, _)| k.clone()).collect();
            let handles: Vec<Metric> = metrics.into_iter().map(|(_, m)| m).collect();
            self.list(snapshot, keys, (0, 0));
            values_into(&handles, &mut snapshot.metrics);
            return;
        }
        let (generation, handles) = self.handles();
        let listing = (self.shared.id, generation);
        if snapshot.listing == listing && snapshot.metrics.len() == handles.len() {
            values_into(&handles, &mut snapshot.metrics);
            return;
        }
        // Keys and handles from one read of the map.
        let series = read(&self.shared.metrics);
        let listing = (self.shared.id, self.generation());
        let keys = series.map.keys().cloned().collect();
        let handles: Vec<Metric> = series.map.values().cloned().collect();
        drop(series);
        self.list(snapshot, keys, listing);
        values_into(&handles, &mut snapshot.metrics);
    }

    /// Every series' handle in key order, as of the generation returned.
    fn handles(&self) -> (u64, Arc<[Metric]>) {
        let mut cached = self
            .shared
            .handles
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let generation = self.generation();
        if let Some((g, handles)) = &*cached {
            if *g == generation {
                return (generation, Arc::clone(handles));
            }
        }
        // Under the read lock the map and its generation agree: a change
        // bumps the generation while holding the write lock.
        let series = read(&self.shared.metrics);
        let generation = self.generation();
        let handles: Arc<[Metric]> = series.map.values().cloned().collect();
        drop(series);
        *cached = Some((generation, Arc::clone(&handles)));
        (generation, handles)
    }

    /// Makes `snapshot` list `keys` (values to be read), with their
    /// descriptions.
    fn list(&self, snapshot: &mut RegistrySnapshot, keys: Vec<MetricKey>, listing: (u64, u64)) {
        let descriptions = read(&self.shared.descriptions);
        snapshot.metrics.clear();
        snapshot
            .metrics
            .extend(keys.into_iter().map(|key| MetricEntry {
                description: descriptions.get(key.name()).cloned(),
                key,
                snapshot: MetricSnapshot::Gauge { value: 0 },
            }));
        snapshot.listing = listing;
        snapshot.listed = snapshot.metrics.len();
    }

    /// Says what the metrics named `name` (all their label sets) mean, and
    /// in what unit: reporters show it (Prometheus `# HELP` and, with a
    /// unit, OpenMetrics `# UNIT`; the log report; JSON). Describing a
    /// name again replaces its description. Describe a metric before it is
    /// first exported: its exported name is settled then, and a unit may
    /// add a suffix to it. At most as many names as the series cap are
    /// described; past that, new descriptions are ignored.
    ///
    /// ```
    /// use tachymeter_core::{Registry, Unit};
    ///
    /// let registry = Registry::new();
    /// registry.describe("queue.depth", "Jobs waiting to run", Some(Unit::Items));
    /// assert_eq!(registry.description("queue.depth").unwrap().text, "Jobs waiting to run");
    /// ```
    pub fn describe(&self, name: &str, text: &str, unit: Option<Unit>) {
        let name = format!("{}{name}", self.prefix);
        let mut descriptions = write(&self.shared.descriptions);
        if descriptions.len() >= self.shared.max_series && !descriptions.contains_key(&name) {
            return;
        }
        descriptions.insert(
            name,
            Arc::new(Description {
                text: text.to_string(),
                unit,
            }),
        );
        drop(descriptions);
        // Exporters prepare names and headers per generation.
        self.changed();
    }

    /// The description of the metrics named `name`, if any.
    pub fn description(&self, name: &str) -> Option<Arc<Description>> {
        read(&self.shared.descriptions)
            .get(&format!("{}{name}", self.prefix))
            .cloned()
    }

    /// The cap on series.
    pub fn max_series(&self) -> usize {
        self.shared.max_series
    }

    /// How many new series were folded into an overflow series because the
    /// registry was full. Asking again for a series already folded does not
    /// count it again (exactly for the first 1,024 or `max_series` folded
    /// series, whichever is more; past that, each request for another one
    /// counts).
    pub fn folded_series(&self) -> u64 {
        self.shared.folded.load(Ordering::Relaxed)
    }

    /// The clock the registry's metrics use.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// Adds (or replaces) the healthcheck `name` (prefix included).
    pub fn register_healthcheck(&self, name: &str, check: Healthcheck) {
        write(&self.shared.healthchecks).insert(format!("{}{name}", self.prefix), check);
    }

    /// Removes the healthcheck `name`.
    pub fn unregister_healthcheck(&self, name: &str) -> Option<Healthcheck> {
        write(&self.shared.healthchecks).remove(&format!("{}{name}", self.prefix))
    }

    /// Runs every healthcheck this registry sees, in name order; each result
    /// is `Ok(())` or the check's error message.
    ///
    /// ```
    /// use tachymeter_core::{Healthcheck, Registry};
    ///
    /// let registry = Registry::new();
    /// registry.register_healthcheck("db", Healthcheck::new(|| Err("no connection".into())));
    /// let results = registry.run_healthchecks();
    /// assert_eq!(results, vec![("db".to_string(), Err("no connection".to_string()))]);
    /// ```
    pub fn run_healthchecks(&self) -> Vec<(String, Result<(), String>)> {
        let prefix = &*self.prefix;
        let checks: Vec<(String, Healthcheck)> = read(&self.shared.healthchecks)
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        checks
            .into_iter()
            .map(|(name, check)| (name, check.check()))
            .collect()
    }
}

/// Reads the values of `handles` into `entries` (one each, in order),
/// counters and meters summed together (see [`Cells::sum_many`]).
fn values_into(handles: &[Metric], entries: &mut [MetricEntry]) {
    // Counters' offsets before their cells are summed.
    let offsets: Vec<i64> = handles
        .iter()
        .filter_map(|m| match m {
            Metric::Counter(c) => Some(c.offset()),
            _ => None,
        })
        .collect();
    let cells: Vec<&Cells> = handles
        .iter()
        .filter_map(|m| match m {
            Metric::Counter(c) => Some(c.cells()),
            Metric::Meter(m) => Some(m.cells()),
            _ => None,
        })
        .collect();
    let sums = Cells::sum_many(&cells);
    let (mut sums, mut offsets) = (sums.into_iter(), offsets.into_iter());
    for (metric, entry) in handles.iter().zip(entries) {
        // A counter's or meter's values are written in place when the entry
        // already holds its kind: a whole `MetricSnapshot` (sized for a
        // timer) is built and moved only for the other kinds, or the first
        // time.
        match (metric, &mut entry.snapshot) {
            (Metric::Counter(c), MetricSnapshot::Counter(last)) => {
                if let (Some(offset), Some(sum)) = (offsets.next(), sums.next()) {
                    c.snapshot_into(c.count_from(offset, sum), last);
                }
            }
            (Metric::Counter(c), snapshot) => {
                if let (Some(offset), Some(sum)) = (offsets.next(), sums.next()) {
                    *snapshot = MetricSnapshot::Counter(c.snapshot_of(c.count_from(offset, sum)));
                }
            }
            (Metric::Meter(m), MetricSnapshot::Meter(last)) => {
                if let Some(sum) = sums.next() {
                    *last = m.snapshot_of(sum as u64);
                }
            }
            (Metric::Meter(m), snapshot) => {
                if let Some(sum) = sums.next() {
                    *snapshot = MetricSnapshot::Meter(m.snapshot_of(sum as u64));
                }
            }
            (_, snapshot) => {
                // The last values go first: a histogram's read then finds
                // its counts held by nobody else and updates them in place.
                *snapshot = MetricSnapshot::Gauge { value: 0 };
                *snapshot = metric.snapshot();
            }
        }
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}
