//! Shared by the real-Prometheus tests: serving an exporter on loopback.

use axum::Router;
use tachymeter_prometheus::PrometheusExporter;
use tachymeter_testkit::ServedRouter;

/// Serves `exporter` at `/metrics`; the `host:port`.
pub fn serve_exporter(exporter: &PrometheusExporter) -> String {
    let router = Router::new().route_service("/metrics", exporter.service());
    ServedRouter::start(router).unwrap().detach().to_string()
}
