//! A plain hyper 1.x server (no axum) wrapped in the combined metrics
//! layer, with a report printed every 10 s.
//!
//! ```text
//! cargo run --release --example hello_hyper
//! curl -s localhost:3001/
//! ```
//!
//! `HELLO_ADDR` (default `127.0.0.1:3001`) sets the address and
//! `REPORT_INTERVAL_SECS` (default 10) the time between reports.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_examples::{env_u64, report_to_stdout};
use tachymeter_tower::HttpMetricsLayer;
use tower::{service_fn, ServiceBuilder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = std::env::var("HELLO_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_string());
    let every = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 10).max(1));
    let registry = Registry::new();

    // The one line that instruments the service.
    let service = ServiceBuilder::new()
        .layer(HttpMetricsLayer::new(&registry, "hello")?)
        .service(service_fn(|_request: Request<Incoming>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
        }));

    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({e}); set HELLO_ADDR to another address"))?;
    println!("hello_hyper listening on http://{}", listener.local_addr()?);

    // Reports every `every` on its own thread, for as long as it is held.
    let _reporter = report_to_stdout(&registry, every)?;

    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}
