//! Records a small simulated workload into a registry and prints a report of
//! every metric, the way a periodic log reporter would.
//!
//! ```text
//! cargo run --release --example report
//! ```
//!
//! `REPORT_INTERVAL_SECS` (default 5, one rate tick) sets the time between
//! reports and `REPORTS` (default 2) how many are printed before it exits.

use metrics_core::{
    nanos_to_duration, Healthcheck, MetricKey, MetricSnapshot, Registry, RegistryError,
    RegistrySnapshot,
};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?} is not a whole number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

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
        print!("{}", format_report(&registry.snapshot()));
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

/// A plain, aligned text report: one block per metric, sorted by name.
fn format_report(snapshot: &RegistrySnapshot) -> String {
    let ms = |nanos: f64| format!("{:.3}ms", nanos_to_duration(nanos).as_secs_f64() * 1e3);
    let mut out = String::new();
    for entry in &snapshot.metrics {
        let _ = writeln!(out, "{}", entry.key);
        let lines: Vec<(&str, String)> = match &entry.snapshot {
            MetricSnapshot::Counter(c) => vec![("count", c.count.to_string())],
            MetricSnapshot::Gauge { value } => vec![("value", value.to_string())],
            MetricSnapshot::GaugeF64 { value } => vec![("value", value.to_string())],
            MetricSnapshot::Meter(m) => vec![
                ("count", m.count.to_string()),
                ("1-min rate", format!("{:.2}/s", m.rate1)),
                ("mean rate", format!("{:.2}/s", m.rate_mean)),
            ],
            MetricSnapshot::Histogram(h) => vec![
                ("count", h.count.to_string()),
                ("min", h.min.to_string()),
                ("max", h.max.to_string()),
                ("median", format!("{:.0}", h.percentile(0.5))),
                ("99%", format!("{:.0}", h.percentile(0.99))),
            ],
            MetricSnapshot::Timer(t) => {
                let d = &t.durations;
                let p = t.percentiles(&[0.5, 0.75, 0.95, 0.99, 0.999]);
                vec![
                    ("count", d.count.to_string()),
                    ("min", ms(d.min as f64)),
                    ("max", ms(d.max as f64)),
                    ("mean", ms(d.mean)),
                    ("stddev", ms(d.stddev)),
                    ("median", ms(p[0])),
                    ("75%", ms(p[1])),
                    ("95%", ms(p[2])),
                    ("99%", ms(p[3])),
                    ("99.9%", ms(p[4])),
                    ("1-min rate", format!("{:.2}/s", t.rate.rate1)),
                    ("mean rate", format!("{:.2}/s", t.rate.rate_mean)),
                ]
            }
            other => vec![("value", format!("{other:?}"))],
        };
        for (label, value) in lines {
            let _ = writeln!(out, "  {label:<12} {value:>14}");
        }
    }
    if snapshot.folded_series > 0 {
        let _ = writeln!(out, "folded series: {}", snapshot.folded_series);
    }
    out
}
