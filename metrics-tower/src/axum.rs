//! [`RouteMetricsLayer`]: one set of request metrics per axum route,
//! labelled by the matched route template and the method.

use crate::future::ResponseFuture;
use crate::recorder::{Measure, RequestMetrics};
use axum::extract::MatchedPath;
use http::{Method, Request, Response};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use tachymeter_core::{Gauge, MetricKey, Registry, RegistryError, Unit};
use tower_layer::Layer;
use tower_service::Service;

/// The `route` label of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The methods that get their own `method` label; any other is `other`, so
/// a client cannot create series by inventing methods.
const METHODS: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
    Method::PATCH,
];
const OTHER_METHOD: usize = METHODS.len();

fn method_index(method: &Method) -> usize {
    METHODS
        .iter()
        .position(|m| m == method)
        .unwrap_or(OTHER_METHOD)
}

fn method_label(index: usize) -> &'static str {
    METHODS.get(index).map_or("other", Method::as_str)
}

/// A method label by OpenTelemetry's conventions: `_OTHER` for a method
/// outside the standard ones.
fn conventions_method(index: usize) -> &'static str {
    METHODS.get(index).map_or("_OTHER", Method::as_str)
}

/// The name of OpenTelemetry's request duration metric.
pub const REQUEST_DURATION: &str = "http.server.request.duration";

/// The name of OpenTelemetry's in-flight requests metric.
pub const ACTIVE_REQUESTS: &str = "http.server.active_requests";

/// Records every request of an axum `Router` like
/// [`HttpMetricsLayer`](crate::HttpMetricsLayer), in one series per route
/// template and method: `name{method="GET",route="/books/{id}"}`,
/// `name-2xx{…}`, … (see [`RequestMetrics`] for the series).
///
/// The route is axum's [`MatchedPath`], never the raw path or query (which
/// could carry ids or tokens and make a series per request); requests no
/// route matched all go to `route="unmatched"`, and methods outside the
/// standard nine to `method="other"`. So the number of series is bounded by
/// the router's routes.
///
/// Add it with `Router::layer` (it then sees the matched route): it wraps
/// the routes added before it, so add `/metrics` and the like after it to
/// keep scrapes out of the request metrics (see the crate docs). Each
/// route's metrics are registered on its first request; after that a
/// request costs a read-locked hash lookup of the route template on top of
/// what [`HttpMetricsLayer`](crate::HttpMetricsLayer) costs.
///
/// ```
/// use axum::{routing::get, Router};
/// use tachymeter_core::Registry;
/// use tachymeter_tower::RouteMetricsLayer;
///
/// # fn main() -> Result<(), tachymeter_core::RegistryError> {
/// let registry = Registry::new();
/// let app: Router = Router::new()
///     .route("/books/{id}", get(|| async { "a book" }))
///     .layer(RouteMetricsLayer::new(&registry, "http")?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RouteMetricsLayer {
    routes: Arc<Routes>,
}

struct Routes {
    registry: Registry,
    name: String,
    measure: Measure,
    /// OpenTelemetry's names and labels, and the `url.scheme` label.
    conventions: Option<Conventions>,
    unmatched: Methods,
    by_route: RwLock<HashMap<String, Arc<Methods>>>,
}

/// What requests recorded by OpenTelemetry's conventions share.
struct Conventions {
    scheme: String,
    /// `http.server.active_requests` per method label.
    active: [Gauge; METHODS.len() + 1],
}

/// One lazily registered set of metrics per method label.
type Methods = [OnceLock<RequestMetrics>; METHODS.len() + 1];

impl RouteMetricsLayer {
    /// Records under `name`, timing responses to their head.
    pub fn new(registry: &Registry, name: &str) -> Result<Self, RegistryError> {
        Self::measuring(registry, name, Measure::Headers)
    }

    /// Records under `name`, timing as `measure` says. Registers the
    /// unmatched series at once, so a name clash is an error here and never
    /// on a request.
    pub fn measuring(
        registry: &Registry,
        name: &str,
        measure: Measure,
    ) -> Result<Self, RegistryError> {
        let routes = Routes {
            registry: registry.clone(),
            name: name.to_string(),
            measure,
            conventions: None,
            unmatched: Default::default(),
            by_route: RwLock::new(HashMap::new()),
        };
        Self::with(routes)
    }

    /// Records by OpenTelemetry's semantic conventions for HTTP servers
    /// instead of this crate's names, for backends that expect them (OTLP,
    /// and dashboards built on them):
    ///
    /// | series | type | labels |
    /// |---|---|---|
    /// | `http.server.request.duration` | timer, to the response head (seconds when exported) | `http.request.method`, `http.route`, `url.scheme`, `http.response.status_code`, `error.type` |
    /// | `http.server.active_requests` | gauge | `http.request.method`, `url.scheme` |
    ///
    /// `http.request.method` is one of the nine standard methods, any other
    /// `_OTHER`; `http.route` is axum's matched route template, left out for
    /// requests no route matched (one series for all of them);
    /// `http.response.status_code` is the status sent; `error.type` is the
    /// status for a 5xx, `error` when the inner service returned `Err`,
    /// `cancelled` when the request was dropped before its response (client
    /// gone, timeout) and `panic` when the inner service panicked (these
    /// three have no status code). `url.scheme` is `scheme` (`http`, or
    /// `https` behind TLS). So the series stay bounded by the router's
    /// routes, whatever clients send.
    ///
    /// Over Prometheus the duration is
    /// `http_server_request_duration_seconds{http_request_method="GET",…}`
    /// (a histogram, or a native one when the scraper asks); over OTLP each
    /// keeps its own name.
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// use tachymeter_core::Registry;
    /// use tachymeter_tower::RouteMetricsLayer;
    ///
    /// # fn main() -> Result<(), tachymeter_core::RegistryError> {
    /// let registry = Registry::new();
    /// let app: Router = Router::new()
    ///     .route("/books/{id}", get(|| async { "a book" }))
    ///     .layer(RouteMetricsLayer::semantic_conventions(&registry, "http")?);
    /// # Ok(()) }
    /// ```
    pub fn semantic_conventions(registry: &Registry, scheme: &str) -> Result<Self, RegistryError> {
        registry.describe(
            REQUEST_DURATION,
            "Duration of HTTP server requests",
            Some(Unit::Seconds),
        );
        registry.describe(
            ACTIVE_REQUESTS,
            "Number of active HTTP server requests",
            None,
        );
        let active = |m: usize| {
            registry.gauge(
                MetricKey::new(ACTIVE_REQUESTS)
                    .with_label("http.request.method", conventions_method(m))
                    .with_label("url.scheme", scheme),
            )
        };
        let mut gauges = Vec::with_capacity(METHODS.len() + 1);
        for m in 0..=METHODS.len() {
            gauges.push(active(m)?);
        }
        let routes = Routes {
            registry: registry.clone(),
            name: REQUEST_DURATION.to_string(),
            measure: Measure::Headers,
            conventions: Some(Conventions {
                scheme: scheme.to_string(),
                active: gauges
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("one per method")),
            }),
            unmatched: Default::default(),
            by_route: RwLock::new(HashMap::new()),
        };
        Self::with(routes)
    }

    fn with(routes: Routes) -> Result<Self, RegistryError> {
        let first = routes.register(UNMATCHED_ROUTE, method_index(&Method::GET))?;
        let _ = routes.unmatched[method_index(&Method::GET)].set(first);
        Ok(Self {
            routes: Arc::new(routes),
        })
    }
}

impl Routes {
    fn register(&self, route: &str, method: usize) -> Result<RequestMetrics, RegistryError> {
        if let Some(c) = &self.conventions {
            let mut key = MetricKey::new(self.name.as_str())
                .with_label("http.request.method", conventions_method(method))
                .with_label("url.scheme", c.scheme.as_str());
            if route != UNMATCHED_ROUTE {
                key = key.with_label("http.route", route);
            }
            return RequestMetrics::conventions(&self.registry, key, c.active[method].clone());
        }
        let key = MetricKey::new(self.name.as_str())
            .with_label("method", method_label(method))
            .with_label("route", route);
        RequestMetrics::all(&self.registry, key, self.measure)
    }

    fn metrics(&self, route: Option<&str>, method: &Method) -> RequestMetrics {
        let m = method_index(method);
        let Some(route) = route else {
            return self.get_or_register(&self.unmatched, UNMATCHED_ROUTE, m);
        };
        let known = self
            .by_route
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(route)
            .cloned();
        let methods = known.unwrap_or_else(|| {
            self.by_route
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(route.to_string())
                .or_default()
                .clone()
        });
        self.get_or_register(&methods, route, m)
    }

    fn get_or_register(&self, methods: &Methods, route: &str, m: usize) -> RequestMetrics {
        methods[m]
            .get_or_init(|| {
                // The name's types were fixed when the layer was built, so
                // this cannot clash; should it fail anyway, count the
                // request as unmatched rather than lose it.
                self.register(route, m).unwrap_or_else(|_| {
                    self.unmatched[method_index(&Method::GET)]
                        .get()
                        .cloned()
                        .unwrap_or_else(|| unreachable!("registered in the constructor"))
                })
            })
            .clone()
    }
}

impl fmt::Debug for RouteMetricsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteMetricsLayer")
            .field("name", &self.routes.name)
            .field("measure", &self.routes.measure)
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for RouteMetricsLayer {
    type Service = RouteMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RouteMetrics {
            inner,
            routes: self.routes.clone(),
        }
    }
}

/// The service of a [`RouteMetricsLayer`].
///
/// See [`RouteMetricsLayer`] for an example.
#[derive(Clone)]
pub struct RouteMetrics<S> {
    inner: S,
    routes: Arc<Routes>,
}

impl<S: fmt::Debug> fmt::Debug for RouteMetrics<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteMetrics")
            .field("inner", &self.inner)
            .field("name", &self.routes.name)
            .finish_non_exhaustive()
    }
}

impl<S> RouteMetrics<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RouteMetrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: http_body::Body,
{
    type Response = Response<crate::MetricsBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, crate::kind::All>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        let metrics = self.routes.metrics(route, request.method());
        crate::service::call(&mut self.inner, metrics, request)
    }
}
