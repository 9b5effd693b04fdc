//! The "books" service on axum, every route instrumented, its metrics at
//! `/metrics` (Prometheus) and `/debug/metrics` (JSON), a live dashboard
//! at `/debug/dashboard`, and the log reporter printing all of them every
//! 10 s.
//!
//! ```text
//! cargo run --release --example books
//! curl -s localhost:3000/books/1
//! curl -s -X PUT localhost:3000/books/2 -H 'content-type: application/json' \
//!      -d '{"title":"Dune","author":"Frank Herbert"}'
//! curl -s -o /dev/null -w '%{http_code}\n' localhost:3000/books/404
//! curl -s localhost:3000/metrics
//! curl -s localhost:3000/debug/metrics
//! open http://localhost:3000/debug/dashboard
//! ```
//!
//! Prometheus started with `--enable-feature=native-histograms` gets each
//! route's timer as a native histogram (protobuf exposition), so the p99 of
//! many instances is one query, within 3 % of the exact one:
//!
//! ```text
//! histogram_quantile(0.99, sum(rate(get_book_seconds[5m])))
//! ```
//!
//! Without the flag Prometheus gets OpenMetrics, timers as summaries.
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set (an OpenTelemetry Collector's
//! `http://collector:4318`; for Prometheus 3's receiver set
//! `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://prometheus:9090/api/v1/otlp/v1/metrics`
//! instead), it also pushes every metric over OTLP, as `OTEL_SERVICE_NAME`
//! (default `books`), every `OTEL_METRIC_EXPORT_INTERVAL` milliseconds
//! (default 60,000).
//!
//! `BOOKS_ADDR` (default `127.0.0.1:3000`) sets the address and
//! `REPORT_INTERVAL_SECS` (default 10) the time between reports.
//! `BOOKS_HDRLOG=latency.hlog` also writes each timer's interval to an
//! HdrHistogram log. `BOOKS_METRICS=off` serves the same routes without
//! any metrics (the baseline of `benches/load.sh`).

use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_examples::books::{app, app_without_metrics, sample_store};
use tachymeter_examples::{env_u64, push_over_otlp, report_to_stdout};
use tachymeter_hdrlog::HdrLogReporter;
use tachymeter_otlp::Env;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = std::env::var("BOOKS_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_string());
    let every = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 10).max(1));

    let registry = Registry::new();
    let store = sample_store();
    let instrumented = !matches!(std::env::var("BOOKS_METRICS").as_deref(), Ok("off"));
    let app = if instrumented {
        app(&registry, store)?
    } else {
        println!("BOOKS_METRICS=off: serving without metrics");
        app_without_metrics(store)
    };

    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} ({e}); set BOOKS_ADDR to another address"))?;
    println!(
        "books listening on http://{addr} — try: curl -s localhost:{port}/books/1 — \
         metrics at http://{addr}/metrics and /debug/metrics, a live dashboard at \
         http://{addr}/debug/dashboard — a report every {} s",
        every.as_secs(),
        addr = listener.local_addr()?,
        port = listener.local_addr()?.port(),
    );

    // The runtime's own health, and what libraries record through the
    // `metrics` facade, in the same registry.
    tachymeter_tokio::register(&registry, &tokio::runtime::Handle::current())?;
    tachymeter_facade::install(&registry)?;

    // The log reporter runs on its own thread; stopping it prints a final
    // report.
    let reporter = report_to_stdout(&registry, every)?;
    // OTLP, when the standard variables name an endpoint.
    let otel = Env::process();
    let otlp = push_over_otlp(&registry, &otel, "books")?;
    if otlp.is_some() {
        println!(
            "pushing metrics over OTLP to {} every {} s, as service {:?}",
            otel.endpoint(),
            otel.interval().as_secs_f64(),
            otel.service_name().unwrap_or("books")
        );
    }
    // With BOOKS_HDRLOG=path, each timer's latencies per interval go to an
    // HdrHistogram log too, for offline analysis of the tail.
    let hdrlog = match std::env::var_os("BOOKS_HDRLOG") {
        Some(path) => {
            println!("writing HdrHistogram interval logs to {}", path.display());
            Some(HdrLogReporter::create(&path)?.start(&registry, every)?)
        }
        None => None,
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    reporter.stop();
    if let Some(otlp) = otlp {
        otlp.stop();
    }
    if let Some(hdrlog) = hdrlog {
        hdrlog.stop();
    }
    Ok(())
}
