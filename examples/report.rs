//! Records a small simulated workload into a registry and prints a report of
//! every metric, the way a periodic log reporter would.
//!
//! ```text
//! cargo run --release --example report
//! ```
//!
//! `REPORT_INTERVAL_SECS` (default 5, one rate tick) sets the time between
//! reports and `REPORTS` (default 2) how many are printed before it exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tachymeter_core::{Healthcheck, MetricKey, Registry, RegistryError};
use tachymeter_examples::env_u64;

/// A simulated request handler: sleeps a log-uniform time, answers a status.
fn handle(seed: &mut u64) -> (Duration, u16) {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    let micros = 50.0 * 200f64.powf((*seed % 1000) as f64 / 1000.0); // 50 µs .. 10 ms
    let status = match *seed % 100 {
        0..=89 => 200,
        90..=97 => 404,
        _ => 500,
    };
    (Duration::from_micros(micros as u64), status)
}

fn main() -> Result<(), RegistryError> {
    let interval = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 5).max(1));
    let reports = env_u64("REPORTS", 2);
    let registry = Registry::new();
    registry.register_healthcheck("always-ok", Healthcheck::new(|| Ok(())));
    let running = Arc::new(AtomicBool::new(true));

    // Two worker threads serve two routes; handles are looked up once.
    let workers: Vec<_> = ["get-book", "put-book"]
        .into_iter()
        .enumerate()
        .map(|(i, route)| {
            let timer =
                registry.timer(MetricKey::new("http.latency").with_label("route", route))?;
            let by_class: Vec<_> = ["2xx", "4xx", "5xx"]
                .iter()
                .map(|class| registry.counter(format!("{route}-{class}")))
                .collect::<Result<_, _>>()?;
            let in_flight = registry.gauge("http.in_flight")?;
            let running = running.clone();
            Ok(thread::spawn(move || {
                let mut seed = 0x2545_F491_4F6C_DD1D + i as u64;
                while running.load(Ordering::Relaxed) {
                    in_flight.inc(1);
                    let start = Instant::now();
                    let (work, status) = handle(&mut seed);
                    thread::sleep(work);
                    timer.update_since(start);
                    in_flight.dec(1);
                    let class = match status {
                        200..=299 => 0,
                        400..=499 => 1,
                        _ => 2,
                    };
                    by_class[class].inc(1);
                }
            }))
        })
        .collect::<Result<_, RegistryError>>()?;

    for _ in 0..reports {
        thread::sleep(interval);
        print!("{}", tachymeter_log::format(&registry.snapshot()));
        for (name, result) in registry.run_healthchecks() {
            println!(
                "healthcheck {name}: {}",
                result.err().unwrap_or_else(|| "ok".into())
            );
        }
    }
    running.store(false, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}
