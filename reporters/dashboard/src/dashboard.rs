//! [`Dashboard`]: samples the registry into a bounded history, and serves
//! the page and its data.

use crate::data::{data, Settings};
use crate::history::History;
use crate::page::page;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Uri};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tachymeter_core::{Registry, RegistrySnapshot};
use tachymeter_report::{
    PeriodicReporter, Render, RenderService, Rendered, Report, ReportError, StopOutcome,
};

/// Time between samples unless set: each plot gains a point this often.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How far back the plots reach unless set.
pub const DEFAULT_HISTORY: Duration = Duration::from_secs(15 * 60);

/// Samples the history holds at most, whatever the history and interval
/// (a day at 5 s).
pub const MAX_SAMPLES: usize = 17_281;

/// Samples one poll's answer carries at most: a page opened on a long
/// history gets it in several answers (an hour at 5 s each).
pub const MAX_SAMPLES_PER_ANSWER: usize = 720;

/// A live page of a registry's metrics: for each timer and histogram, its
/// rate and p50 / p99 / p99.9 over the history as line plots and its
/// current distribution; for counters and meters, their rates; for gauges,
/// their values; all filterable by name, updated every interval.
///
/// It samples the registry on a thread of its own (a
/// [`PeriodicReporter`]) into a bounded in-process history, and serves
/// the page through [`service`](Self::service). The page and its script are
/// served by this crate (no network needed), and follow the browser's
/// light or dark mode.
///
/// # Memory
///
/// Each sample adds 16 bytes per timer or histogram and 4 per counter,
/// meter or gauge; the oldest sample goes once the history is full. With
/// the defaults (15 minutes at 5 s, 181 samples), 200 timers hold 0.6 MB
/// of points. Each timer and histogram also keeps its bucket counts at the
/// previous sample, to plot the quantiles of each interval alone: about
/// 0.5 KiB per power of two its values span.
///
/// ```
/// use axum::{routing::get, Router};
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// let dashboard = tachymeter_dashboard::Dashboard::start(&registry)?;
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .route_service("/debug/dashboard", dashboard.service());
/// # Ok::<(), tachymeter_dashboard::ReportError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dashboard {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    history: Arc<Mutex<History>>,
    interval: Duration,
    capacity: usize,
    title: String,
    /// When it started (Unix milliseconds): a page seeing another value
    /// knows the service restarted.
    started: u64,
    /// Stops sampling when the last handle and service are dropped.
    sampler: Mutex<Option<PeriodicReporter>>,
}

/// Settings of a [`Dashboard`]; from [`Dashboard::builder`].
///
/// ```
/// use std::time::Duration;
/// use tachymeter_core::Registry;
/// use tachymeter_dashboard::Dashboard;
///
/// let registry = Registry::new();
/// let dashboard = Dashboard::builder(&registry)
///     .interval(Duration::from_secs(2))
///     .history(Duration::from_secs(10 * 60))
///     .title("books")
///     .start()?;
/// # Ok::<(), tachymeter_dashboard::ReportError>(())
/// ```
#[derive(Debug)]
pub struct DashboardBuilder {
    registry: Registry,
    interval: Duration,
    history: Duration,
    title: String,
}

impl Dashboard {
    /// Starts sampling `registry` with the default interval and history.
    ///
    /// # Errors
    ///
    /// When the sampling thread cannot start.
    pub fn start(registry: &Registry) -> Result<Dashboard, ReportError> {
        Self::builder(registry).start()
    }

    /// Settings, then [`DashboardBuilder::start`].
    pub fn builder(registry: &Registry) -> DashboardBuilder {
        DashboardBuilder {
            registry: registry.clone(),
            interval: DEFAULT_INTERVAL,
            history: DEFAULT_HISTORY,
            title: "metrics".to_string(),
        }
    }

    /// A Tower service for a route such as `/debug/dashboard`: `GET` gets
    /// the page; `GET ?data` (and `?data&after=N`, the samples after the
    /// `N`th, at most [`MAX_SAMPLES_PER_ANSWER`] of them) the JSON the page
    /// polls. Other methods get `405`; it is a [`RenderService`], with its
    /// bound on concurrent renders.
    pub fn service(&self) -> RenderService<DashboardRender> {
        RenderService::new(DashboardRender {
            dashboard: self.clone(),
        })
    }

    /// Takes a sample now, besides those taken every interval (the next
    /// one still comes on time), and returns once it is in the history.
    pub fn sample_now(&self) {
        let sampler = self
            .inner
            .sampler
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match sampler.as_ref() {
            // On the sampling thread, in turn with the scheduled samples.
            Some(sampler) => {
                sampler.report_now();
            }
            None => sample(&self.inner.history, &self.inner.registry.snapshot()),
        }
    }

    /// Heap bytes the history's points hold now (see the type's memory
    /// notes for what else it keeps).
    pub fn memory_bytes(&self) -> usize {
        lock(&self.inner.history).point_bytes()
    }

    /// Stops sampling (the page still serves the history it has). Dropping
    /// every handle and service stops it too.
    pub fn stop(&self) -> Option<StopOutcome> {
        let sampler = self
            .inner
            .sampler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        sampler.map(PeriodicReporter::stop)
    }

    /// The page, or with `data` in the query the JSON, for a request to
    /// `uri`.
    fn render(&self, uri: &Uri) -> Rendered {
        let query = uri.query().unwrap_or("");
        let mut wants_data = false;
        let mut after = 0;
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "data" => wants_data = true,
                "after" => after = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        if !wants_data {
            return Rendered {
                content_type: HeaderValue::from_static("text/html; charset=utf-8"),
                body: page(&self.inner.title),
            };
        }
        let inner = &self.inner;
        let snapshot = inner.registry.snapshot();
        let history = lock(&inner.history);
        let data = data(
            &snapshot,
            &history,
            after,
            Settings {
                interval_ms: inner.interval.as_millis() as u64,
                capacity: inner.capacity,
                started: inner.started,
                now: unix_ms(),
                max_samples: MAX_SAMPLES_PER_ANSWER,
            },
        );
        // The answer owns its points: the sampler need not wait for the
        // encoding.
        drop(history);
        let body = serde_json::to_vec(&data).unwrap_or_else(|e| {
            // Only a map with non-string keys can fail, and there is none.
            format!("{{\"error\":\"{e}\"}}").into_bytes()
        });
        Rendered {
            content_type: HeaderValue::from_static("application/json"),
            body: Bytes::from(body),
        }
    }
}

impl DashboardBuilder {
    /// Time between samples (at least 100 ms; default 5 s). The page polls
    /// as often.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(100));
        self
    }

    /// How far back the plots reach (default 15 minutes). The history
    /// holds `history / interval + 1` samples (at least 3, at most
    /// [`MAX_SAMPLES`]).
    pub fn history(mut self, history: Duration) -> Self {
        self.history = history;
        self
    }

    /// The page's title (default `metrics`), e.g. the service's name.
    pub fn title(mut self, title: &str) -> Self {
        self.title = title.to_string();
        self
    }

    /// Takes a first sample and starts sampling every interval.
    ///
    /// # Errors
    ///
    /// When the sampling thread cannot start.
    pub fn start(self) -> Result<Dashboard, ReportError> {
        let samples = self.history.as_nanos() / self.interval.as_nanos().max(1);
        let capacity = (samples as usize).saturating_add(1).clamp(3, MAX_SAMPLES);
        let history = Arc::new(Mutex::new(History::new(capacity)));
        sample(&history, &self.registry.snapshot());
        let sampler = PeriodicReporter::builder(&self.registry, self.interval)
            .name("dashboard")
            .start(Sampler {
                history: Arc::clone(&history),
            })?;
        Ok(Dashboard {
            inner: Arc::new(Inner {
                registry: self.registry,
                history,
                interval: self.interval,
                capacity,
                title: self.title,
                started: unix_ms(),
                sampler: Mutex::new(Some(sampler)),
            }),
        })
    }
}

/// Renders a [`Dashboard`]'s page and data for its [`RenderService`].
#[derive(Debug)]
pub struct DashboardRender {
    dashboard: Dashboard,
}

impl Render for DashboardRender {
    fn render(&self, _headers: &HeaderMap) -> Rendered {
        self.dashboard.render(&Uri::from_static("/"))
    }

    fn render_request(&self, uri: &Uri, _headers: &HeaderMap) -> Rendered {
        self.dashboard.render(uri)
    }
}

/// Adds each snapshot to the history, on the sampling thread: scheduled
/// samples and [`Dashboard::sample_now`]'s come in turn, in order.
struct Sampler {
    history: Arc<Mutex<History>>,
}

impl Report for Sampler {
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        sample(&self.history, snapshot);
        Ok(())
    }
}

fn sample(history: &Mutex<History>, snapshot: &RegistrySnapshot) {
    lock(history).record(snapshot, unix_ms(), Instant::now());
}

/// The history, even if a panic poisoned its lock (it is left consistent:
/// `record` does not panic half-way on any input).
fn lock(history: &Mutex<History>) -> std::sync::MutexGuard<'_, History> {
    history.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
