//! Records a small simulated workload and pushes it to Graphite (carbon's
//! plaintext port) every few seconds.
//!
//! ```text
//! GRAPHITE_ADDR=127.0.0.1:2003 GRAPHITE_PREFIX=demo cargo run --example graphite
//! ```
//!
//! `GRAPHITE_ADDR` (`host:port`, required) is carbon's plaintext receiver;
//! `GRAPHITE_PREFIX` (optional) is put before every path.
//! `REPORT_INTERVAL_SECS` (default 5) sets the time between reports and
//! `REPORTS` (default 6) how many are sent before it exits.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_examples::env_u64;

fn main() -> ExitCode {
    let Ok(addr) = std::env::var("GRAPHITE_ADDR") else {
        eprintln!(
            "Set GRAPHITE_ADDR to carbon's plaintext receiver (host:port), e.g.\n\
             \n    GRAPHITE_ADDR=127.0.0.1:2003 cargo run --example graphite\n\n\
             A local Graphite: `docker run -d -p 2003:2003 -p 8080:80 graphiteapp/graphite-statsd`\n\
             (web UI on http://localhost:8080), or Debian's graphite-carbon package\n\
             (`apt-get install graphite-carbon` then `carbon-cache start`)."
        );
        return ExitCode::from(2);
    };
    let prefix = std::env::var("GRAPHITE_PREFIX").unwrap_or_default();
    match run(&addr, &prefix) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(addr: &str, prefix: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let interval = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 5).max(1));
    let reports = env_u64("REPORTS", 6);
    let registry = Registry::new();

    // The one line that starts pushing.
    let reporter = tachymeter_graphite::builder(addr)
        .map_encoder(|e| e.prefix(prefix))
        .start(&registry, interval)?;
    println!(
        "pushing to {addr} every {} s, {reports} times{}",
        interval.as_secs(),
        if prefix.is_empty() {
            String::new()
        } else {
            format!(", paths under {prefix:?}")
        }
    );

    let running = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = ["get-book", "put-book"]
        .into_iter()
        .enumerate()
        .map(|(i, route)| {
            let latency =
                registry.timer(MetricKey::new("http.latency").with_label("route", route))?;
            let errors =
                registry.counter(MetricKey::new("http.errors").with_label("route", route))?;
            let running = Arc::clone(&running);
            Ok(thread::spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15_u64 + i as u64;
                while running.load(Ordering::Relaxed) {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let start = Instant::now();
                    thread::sleep(Duration::from_micros(100 + seed % 5_000));
                    latency.update_since(start);
                    if seed.is_multiple_of(20) {
                        errors.inc(1);
                    }
                }
            }))
        })
        .collect::<Result<_, tachymeter_core::RegistryError>>()?;

    thread::sleep(interval * u32::try_from(reports).unwrap_or(u32::MAX));
    running.store(false, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    let outcome = reporter.stop();
    let own = |what: &str| {
        registry
            .counter(format!("reporter.graphite.{what}"))
            .map(|c| c.count())
            .unwrap_or(0)
    };
    println!(
        "done: {} reports sent, {} failed; {} connections, {} failed attempts, {} failed writes",
        outcome.reports,
        outcome.failures,
        own("connects"),
        own("connect-failures"),
        own("write-failures"),
    );
    Ok(())
}
