//! A program with no web framework, a batch worker, serving its metrics
//! (its own, and the process's) at `/metrics` on a port of its own, for
//! Prometheus to scrape, and a live dashboard at `/debug/dashboard`.
//!
//! ```text
//! cargo run --release --example worker
//! curl -s localhost:9100/metrics
//! open http://localhost:9100/debug/dashboard
//! ```
//!
//! `METRICS_ADDR` (default `127.0.0.1:9100`) sets the address and `JOBS`
//! (default 600, 50 ms each: half a minute) how many jobs it runs before
//! it stops, and its server with it.

use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_examples::env_u64;
use tachymeter_prometheus::PrometheusExporter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("METRICS_ADDR").unwrap_or_else(|_| "127.0.0.1:9100".to_string());
    let jobs = env_u64("JOBS", 600);

    let registry = Registry::new();
    tachymeter_process::register(&registry)?;
    let done = registry.counter("jobs.done")?;
    let took = registry.timer("job")?;

    let dashboard = tachymeter_dashboard::Dashboard::builder(&registry)
        .title("worker")
        .start()?;
    let server = PrometheusExporter::new(&registry)
        .server()
        .route("/debug/dashboard", dashboard.service())
        .serve(&addr)
        .map_err(|e| {
            format!("cannot listen on {addr} ({e}); set METRICS_ADDR to another address")
        })?;
    println!(
        "worker running {jobs} jobs — metrics at http://{addr}/metrics, \
         a live dashboard at http://{addr}/debug/dashboard",
        addr = server.local_addr()
    );
    for _ in 0..jobs {
        took.time(|| std::thread::sleep(Duration::from_millis(50)));
        done.inc(1);
    }
    println!("{} jobs done; stopping", done.count());
    server.stop();
    Ok(())
}
