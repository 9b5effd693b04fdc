//! Shared by the real-Prometheus tests: serving an exporter on loopback.

use axum::Router;
use tachymeter_prometheus::PrometheusExporter;

/// Serves `router` on 127.0.0.1 from a background runtime; the address.
pub fn serve(router: Router) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    addr
}

/// Serves `exporter` at `/metrics`; the `host:port`.
pub fn serve_exporter(exporter: &PrometheusExporter) -> String {
    serve(Router::new().route_service("/metrics", exporter.service())).to_string()
}
