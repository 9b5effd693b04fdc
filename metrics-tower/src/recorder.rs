//! [`RequestMetrics`]: the metrics one middleware records into, and what
//! happens to them at each point of a request's life.

use crate::status::{suffixed, ClassCounters, ExactCounters, CLASS_SUFFIXES};
use std::sync::{Arc, RwLock};
use std::time::Instant;
use tachymeter_core::{Clock, Counter, Gauge, MetricKey, Registry, RegistryError, Timer, Trace};

/// Which duration a timer records.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_tower::{Measure, TimedLayer};
///
/// let registry = Registry::new();
/// // The handler's latency (the default) …
/// let handler = TimedLayer::new(&registry, "get-book")?;
/// // … or until the client has the whole body.
/// let delivery = TimedLayer::measuring(&registry, "get-book-delivered", Measure::Body)?;
/// # drop((handler, delivery));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Measure {
    /// From the request reaching the middleware to the inner service
    /// returning the response head (status and headers). The default: the
    /// handler's latency, unaffected by how fast the client reads.
    #[default]
    Headers,
    /// From the request reaching the middleware to the end of the response
    /// body. A body dropped before its end is counted in `<name>-aborted`
    /// and not timed. Responses that never send a body (to a `HEAD`
    /// request, or with a 1xx, 204 or 304 status) end with their head.
    Body,
}

/// The metrics a middleware records into, registered once when the layer is
/// built; requests only touch the handles.
///
/// Every part is optional; each layer type turns on its own parts. With all
/// of them ([`HttpMetricsLayer`](crate::HttpMetricsLayer)) a key `name`
/// gives:
///
/// | series | type | what |
/// |---|---|---|
/// | `name` | timer | duration of each response ([`Measure`]) |
/// | `name-1xx` … `name-5xx`, `name-other` | counters | responses by status class (`other`: outside 100–599) |
/// | `name-error` | counter | the inner service returned `Err` (not a 5xx: no response) |
/// | `name-cancelled` | counter | the request's future was dropped before a response (client gone, timeout) |
/// | `name-panic` | counter | the inner service panicked while polled |
/// | `name-aborted` | counter | the response body was dropped before its end (never for a `HEAD` request nor a 1xx, 204 or 304 response, which send no body) |
/// | `name-in-flight` | gauge | requests started and not yet finished (body included) |
///
/// Each request lands in exactly one of the status, `error`, `cancelled` and
/// `panic` counters.
///
/// ```
/// use http::{Request, Response};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::{Measure, MetricsService, RequestMetrics};
/// use tower::{service_fn, ServiceExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::new();
/// // A choice no named layer makes: a timer and exact status codes.
/// let metrics = RequestMetrics::builder(&registry, "get-book")
///     .timed(Measure::Headers)
///     .by_status_code()
///     .build()?;
/// let service = MetricsService::new(
///     service_fn(|_: Request<()>| async { Ok::<_, std::convert::Infallible>(Response::new(String::new())) }),
///     metrics,
/// );
/// service.oneshot(Request::new(())).await?;
/// assert_eq!(registry.counter("get-book-200")?.count(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    parts: Arc<Parts>,
}

#[derive(Debug, Default)]
pub(crate) struct Parts {
    timer: Option<Timer>,
    measure: Measure,
    requests: Option<Counter>,
    classes: Option<ClassCounters>,
    exact: Option<ExactCounters>,
    outcomes: Option<Outcomes>,
    in_flight: Option<Gauge>,
    conventions: Option<Conventions>,
}

/// OpenTelemetry's `http.server.request.duration` for one route and
/// method: a timer per status code (and per way of failing), registered on
/// its first request.
#[derive(Debug)]
struct Conventions {
    registry: Registry,
    clock: Arc<dyn Clock>,
    /// The method, route and scheme labels.
    key: MetricKey,
    timers: RwLock<Vec<(Ending, Timer)>>,
}

/// How a request ended, as far as its duration's labels go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Status(u16),
    Failed(Failure),
}

impl Conventions {
    /// Records the time since `start` under the labels of `ending`.
    fn record(&self, ending: Ending, start: Instant) {
        let timers = self.timers.read().unwrap_or_else(|e| e.into_inner());
        if let Some((_, timer)) = timers.iter().find(|(e, _)| *e == ending) {
            timer.update_since(start);
            return;
        }
        drop(timers);
        let key = match ending {
            Ending::Status(code) => {
                let key = self
                    .key
                    .clone()
                    .with_label("http.response.status_code", code.to_string());
                // A server error is an error; a client error is not.
                if code >= 500 {
                    key.with_label("error.type", code.to_string())
                } else {
                    key
                }
            }
            Ending::Failed(failure) => self.key.clone().with_label("error.type", failure.as_str()),
        };
        // The name was registered as a timer when the layer was built: this
        // cannot clash.
        if let Ok(timer) = self.registry.timer(key) {
            timer.update_since(start);
            let mut timers = self.timers.write().unwrap_or_else(|e| e.into_inner());
            if !timers.iter().any(|(e, _)| *e == ending) {
                timers.push((ending, timer));
            }
        }
    }
}

#[derive(Debug)]
struct Outcomes {
    error: Counter,
    cancelled: Counter,
    panic: Counter,
    aborted: Counter,
}

/// Chooses the parts of a [`RequestMetrics`]; see
/// [`RequestMetrics::builder`].
///
/// See [`RequestMetrics`] for an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestMetricsBuilder {
    registry: Registry,
    key: MetricKey,
    timer: Option<Measure>,
    counted: bool,
    by_class: bool,
    by_code: bool,
    outcomes: bool,
    in_flight: bool,
}

impl RequestMetricsBuilder {
    /// A timer under the key itself, measuring `measure`.
    pub fn timed(mut self, measure: Measure) -> Self {
        self.timer = Some(measure);
        self
    }

    /// A counter of requests under the key itself (counted when they start).
    pub fn counted(mut self) -> Self {
        self.counted = true;
        self
    }

    /// Counters `<name>-1xx` … `<name>-5xx` and `<name>-other`.
    pub fn by_status_class(mut self) -> Self {
        self.by_class = true;
        self
    }

    /// A counter `<name>-<code>` per status code seen.
    pub fn by_status_code(mut self) -> Self {
        self.by_code = true;
        self
    }

    /// Counters `<name>-error`, `-cancelled`, `-panic` and `-aborted`.
    pub fn outcomes(mut self) -> Self {
        self.outcomes = true;
        self
    }

    /// A gauge `<name>-in-flight`, or under the key itself when it is the
    /// only part.
    pub fn in_flight(mut self) -> Self {
        self.in_flight = true;
        self
    }

    /// Registers the chosen metrics. An error if a name is taken by another
    /// metric type (choose another name) — found when the layer is built,
    /// never on a request.
    pub fn build(self) -> Result<RequestMetrics, RegistryError> {
        let r = &self.registry;
        let key = &self.key;
        self.describe();
        let in_flight_key = match self.in_flight_suffix() {
            "" => key.clone(),
            suffix => suffixed(key, suffix),
        };
        let parts = Parts {
            timer: self.timer.map(|_| r.timer(key.clone())).transpose()?,
            measure: self.timer.unwrap_or_default(),
            requests: self.counted.then(|| r.counter(key.clone())).transpose()?,
            classes: self
                .by_class
                .then(|| ClassCounters::register(r, key))
                .transpose()?,
            exact: self
                .by_code
                .then(|| ExactCounters::register(r, key))
                .transpose()?,
            outcomes: if self.outcomes {
                Some(Outcomes {
                    error: r.counter(suffixed(key, "error"))?,
                    cancelled: r.counter(suffixed(key, "cancelled"))?,
                    panic: r.counter(suffixed(key, "panic"))?,
                    aborted: r.counter(suffixed(key, "aborted"))?,
                })
            } else {
                None
            },
            in_flight: self.in_flight.then(|| r.gauge(in_flight_key)).transpose()?,
            conventions: None,
        };
        Ok(RequestMetrics {
            parts: Arc::new(parts),
        })
    }
}

impl RequestMetricsBuilder {
    /// The in-flight gauge's suffix: none when it is the only part.
    fn in_flight_suffix(&self) -> &'static str {
        let alone = self.timer.is_none()
            && !self.counted
            && !self.by_class
            && !self.by_code
            && !self.outcomes;
        if alone {
            ""
        } else {
            "in-flight"
        }
    }

    /// Describes each chosen series (Prometheus' HELP, OTLP's
    /// description), unless the program described it already.
    fn describe(&self) {
        let name = self.key.name();
        let describe = |suffix: &str, text: String| {
            let series = if suffix.is_empty() {
                name.to_string()
            } else {
                format!("{name}-{suffix}")
            };
            if self.registry.description(&series).is_none() {
                self.registry.describe(&series, &text, None);
            }
        };
        match self.timer {
            Some(Measure::Headers) => describe(
                "",
                format!("Time from each {name} request to its response head"),
            ),
            Some(Measure::Body) => describe(
                "",
                format!("Time from each {name} request to the end of its response body"),
            ),
            None if self.counted => describe("", format!("{name} requests started")),
            None => {}
        }
        if self.by_class {
            for suffix in CLASS_SUFFIXES {
                let text = match suffix {
                    "other" => format!("{name} responses with a status outside 100-599"),
                    class => format!("{name} responses with a {class} status"),
                };
                describe(suffix, text);
            }
        }
        if self.outcomes {
            for (suffix, text) in [
                (
                    "error",
                    "requests whose service returned an error, not a response",
                ),
                (
                    "cancelled",
                    "requests dropped before their response (client gone, timeout)",
                ),
                ("panic", "requests whose service panicked"),
                ("aborted", "responses whose body was dropped before its end"),
            ] {
                describe(suffix, format!("{name} {text}"));
            }
        }
        if self.in_flight {
            let text = format!("{name} requests started and not yet finished");
            describe(self.in_flight_suffix(), text);
        }
    }
}

/// How a request ended before producing a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Error,
    Cancelled,
    Panic,
}

impl Failure {
    /// Its `error.type`.
    fn as_str(self) -> &'static str {
        match self {
            Failure::Error => "error",
            Failure::Cancelled => "cancelled",
            Failure::Panic => "panic",
        }
    }
}

impl RequestMetrics {
    /// Chooses which metrics to record under `key` in `registry`.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_tower::{Measure, RequestMetrics};
    ///
    /// let registry = Registry::new();
    /// let metrics = RequestMetrics::builder(&registry, "get-book")
    ///     .timed(Measure::Body)
    ///     .by_status_class()
    ///     .build()?;
    /// assert!(registry.get("get-book-2xx").is_some());
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn builder(registry: &Registry, key: impl Into<MetricKey>) -> RequestMetricsBuilder {
        RequestMetricsBuilder {
            registry: registry.clone(),
            key: key.into(),
            timer: None,
            counted: false,
            by_class: false,
            by_code: false,
            outcomes: false,
            in_flight: false,
        }
    }

    /// Every part: what [`HttpMetricsLayer`](crate::HttpMetricsLayer) records.
    pub fn all(
        registry: &Registry,
        key: impl Into<MetricKey>,
        measure: Measure,
    ) -> Result<Self, RegistryError> {
        Self::builder(registry, key)
            .timed(measure)
            .by_status_class()
            .outcomes()
            .in_flight()
            .build()
    }

    /// OpenTelemetry's HTTP server metrics for requests labelled `key`
    /// (method, route, scheme): `http.server.request.duration{…,
    /// http.response.status_code, error.type}` timed to the response head,
    /// and `active` as `http.server.active_requests`.
    #[cfg(feature = "axum")]
    pub(crate) fn conventions(
        registry: &Registry,
        key: MetricKey,
        active: Gauge,
    ) -> Result<Self, RegistryError> {
        // A name taken by another kind is an error here, not on a request.
        registry.timer(key.clone())?;
        registry.unregister(key.clone());
        Ok(RequestMetrics {
            parts: Arc::new(Parts {
                in_flight: Some(active),
                conventions: Some(Conventions {
                    registry: registry.clone(),
                    clock: Arc::clone(registry.clock()),
                    key,
                    timers: RwLock::new(Vec::new()),
                }),
                ..Parts::default()
            }),
        })
    }

    /// A request starts: returns its start time (if anything is timed).
    #[inline]
    pub(crate) fn start(&self) -> Option<Instant> {
        let p = &*self.parts;
        if let Some(c) = &p.requests {
            c.inc(1);
        }
        if let Some(g) = &p.in_flight {
            g.inc(1);
        }
        match (&p.timer, &p.conventions) {
            (Some(timer), _) => Some(timer.now()),
            (None, Some(c)) => Some(c.clock.now()),
            (None, None) => None,
        }
    }

    /// The response head is ready. A sampled `trace` becomes the exemplar
    /// of the status class counter and of a timer timed to the head.
    #[inline]
    pub(crate) fn on_response(&self, start: Option<Instant>, code: u16, trace: Option<Trace>) {
        let p = &*self.parts;
        if let Some(c) = &p.classes {
            c.record(code, trace);
        }
        if let Some(c) = &p.exact {
            c.record(code);
        }
        if let (Some(c), Some(start)) = (&p.conventions, start) {
            c.record(Ending::Status(code), start);
        }
        if p.measure == Measure::Headers {
            self.record_time(start, trace);
        }
    }

    /// No response: the request failed.
    pub(crate) fn on_failure(&self, failure: Failure, start: Option<Instant>) {
        if let (Some(c), Some(start)) = (&self.parts.conventions, start) {
            c.record(Ending::Failed(failure), start);
        }
        if let Some(o) = &self.parts.outcomes {
            match failure {
                Failure::Error => o.error.inc(1),
                Failure::Cancelled => o.cancelled.inc(1),
                Failure::Panic => o.panic.inc(1),
            }
        }
        self.end();
    }

    /// The response body ended (or there was none to wait for).
    #[inline]
    pub(crate) fn on_body_end(&self, start: Option<Instant>, trace: Option<Trace>) {
        if self.parts.measure == Measure::Body {
            self.record_time(start, trace);
        }
        self.end();
    }

    /// The response body was dropped before its end.
    pub(crate) fn on_body_aborted(&self) {
        if let Some(o) = &self.parts.outcomes {
            o.aborted.inc(1);
        }
        self.end();
    }

    /// Times the request, with its sampled trace as the exemplar.
    #[inline]
    fn record_time(&self, start: Option<Instant>, trace: Option<Trace>) {
        match (&self.parts.timer, start, trace) {
            (Some(t), Some(start), Some(trace)) => {
                t.update_with_exemplar(t.now().saturating_duration_since(start), trace)
            }
            (Some(t), Some(start), None) => t.update_since(start),
            _ => {}
        }
    }

    #[inline]
    fn end(&self) {
        if let Some(g) = &self.parts.in_flight {
            g.dec(1);
        }
    }
}
