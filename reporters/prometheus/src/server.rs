//! [`MetricsServer`]: `GET /metrics` on an address of its own, for services
//! without a web framework (feature `server`).

use crate::PrometheusExporter;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tachymeter_report::{Render, RenderService, ResponseBody};
use tokio::sync::oneshot;
use tower_service::Service;

/// How long stopping waits for requests being answered.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Serves an exporter's `GET /metrics` (and any routes added with
/// [`MetricsServerBuilder::route`]; other paths get 404) on an address of
/// its own, from a thread of its own running a small tokio
/// runtime, with the same format negotiation and bound on concurrent
/// renders as [`PrometheusExporter::service`]. It stops (no new
/// connections; requests being answered get up to two seconds) when
/// [`stop`](Self::stop)ped or dropped.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::PrometheusExporter;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(1);
/// let server = PrometheusExporter::new(&registry).serve("127.0.0.1:0")?;
/// println!("metrics at http://{}/metrics", server.local_addr());
/// server.stop();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "the server stops when dropped: keep it for as long as it should serve"]
pub struct MetricsServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Answers one request on a route.
type Handler = Arc<dyn Fn(Request<Incoming>) -> Response<ResponseBody> + Send + Sync>;

/// A [`MetricsServer`] to be, with `/metrics` and any other routes; from
/// [`PrometheusExporter::server`].
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::PrometheusExporter;
///
/// let registry = Registry::new();
/// let server = PrometheusExporter::new(&registry)
///     .server()
///     .route("/debug/metrics", tachymeter_json::service(&registry))
///     .serve("127.0.0.1:0")?;
/// server.stop();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "nothing is served until `serve` is called"]
pub struct MetricsServerBuilder {
    routes: Vec<(String, Handler)>,
}

impl std::fmt::Debug for MetricsServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|(path, _)| path))
            .finish()
    }
}

impl PrometheusExporter {
    /// Serves `GET /metrics` on `addr` (e.g. `"0.0.0.0:9100"`, or port 0
    /// for any free one) until the returned [`MetricsServer`] is stopped or
    /// dropped. [`server`](Self::server) adds other routes.
    ///
    /// # Errors
    ///
    /// When `addr` cannot be bound, or the thread or its runtime cannot
    /// start.
    pub fn serve(&self, addr: impl ToSocketAddrs) -> io::Result<MetricsServer> {
        self.server().serve(addr)
    }

    /// A server of `/metrics` to which other rendered routes can be added
    /// (the JSON snapshot, a dashboard page), then
    /// [`serve`](MetricsServerBuilder::serve)d.
    pub fn server(&self) -> MetricsServerBuilder {
        MetricsServerBuilder { routes: Vec::new() }.route("/metrics", self.service())
    }
}

impl MetricsServerBuilder {
    /// Answers requests for exactly `path` with `service` (a
    /// [`RenderService`], as `tachymeter_json::service` and the dashboard
    /// give). A path given twice keeps its first service.
    pub fn route<R>(mut self, path: &str, service: RenderService<R>) -> Self
    where
        R: Render + Send + Sync + 'static,
    {
        let handler: Handler = Arc::new(move |request| {
            let Ok(response) = service.clone().call(request).into_inner();
            response
        });
        self.routes.push((path.to_string(), handler));
        self
    }

    /// Serves the routes on `addr` until the returned [`MetricsServer`] is
    /// stopped or dropped; any other path gets `404`.
    ///
    /// # Errors
    ///
    /// When `addr` cannot be bound, or the thread or its runtime cannot
    /// start.
    pub fn serve(self, addr: impl ToSocketAddrs) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let routes: Arc<[(String, Handler)]> = self.routes.into();
        let (shutdown, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("metrics-server".to_string())
            .spawn(move || {
                runtime.block_on(accept(listener, routes, stopped));
                runtime.shutdown_timeout(STOP_GRACE);
            })?;
        Ok(MetricsServer {
            addr: local,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl MetricsServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, and returns once the requests being
    /// answered are (at most two seconds later).
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Accepts connections until `stopped` fires, each served on a task of
/// its own.
async fn accept(
    listener: TcpListener,
    routes: Arc<[(String, Handler)]>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors, a reset before accept: keep serving.
                Err(_) => continue,
            },
        };
        let routes = Arc::clone(&routes);
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
                let route = routes.iter().find(|(path, _)| request.uri().path() == path);
                let response = match route {
                    Some((_, handler)) => handler(request),
                    None => {
                        let mut response = Response::new(ResponseBody::default());
                        *response.status_mut() = StatusCode::NOT_FOUND;
                        response
                    }
                };
                std::future::ready(Ok::<_, std::convert::Infallible>(response))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
}
