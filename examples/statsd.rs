//! Records a small simulated workload and sends it to a StatsD daemon over
//! UDP every few seconds.
//!
//! ```text
//! # A local daemon (Node.js), printing what it flushes:
//! npm install --prefix /tmp/statsd statsd@0.9.0
//! echo '{ port: 8125, flushInterval: 5000, backends: ["./backends/console"] }' > /tmp/statsd/config.js
//! node /tmp/statsd/node_modules/statsd/stats.js /tmp/statsd/config.js
//!
//! STATSD_ADDR=127.0.0.1:8125 cargo run --example statsd
//! ```
//!
//! `STATSD_DOGSTATSD=1` sends labels as DogStatsD tags instead of name
//! segments. `REPORT_INTERVAL_SECS` (default 5) sets the time between
//! reports and `REPORTS` (default 3) how many are sent before it stops
//! (with one final report).

use std::process::ExitCode;
use std::time::{Duration, Instant};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_examples::env_u64;

fn main() -> ExitCode {
    let Some(addr) = std::env::var("STATSD_ADDR").ok().filter(|a| !a.is_empty()) else {
        eprintln!(
            "set STATSD_ADDR to the daemon's host:port (e.g. STATSD_ADDR=127.0.0.1:8125).\n\
             A local daemon: `npm install --prefix /tmp/statsd statsd@0.9.0`, write \
             `{{ port: 8125, backends: [\"./backends/console\"] }}` to /tmp/statsd/config.js, \
             then run `node /tmp/statsd/node_modules/statsd/stats.js /tmp/statsd/config.js`."
        );
        return ExitCode::FAILURE;
    };
    let interval = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 5).max(1));
    let reports = env_u64("REPORTS", 3);
    let dogstatsd = matches!(std::env::var("STATSD_DOGSTATSD").as_deref(), Ok("1"));
    match run(&addr, dogstatsd, interval, reports) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    addr: &str,
    dogstatsd: bool,
    interval: Duration,
    reports: u64,
) -> Result<(), tachymeter_report::ReportError> {
    let registry = Registry::new();
    let reporter = tachymeter_statsd::builder(addr)
        .map_encoder(|e| e.prefix("example").dogstatsd_tags(dogstatsd))
        .start(&registry, interval)?;

    let routes = ["get-book", "put-book"];
    let latency: Vec<_> = routes
        .iter()
        .map(|route| registry.timer(MetricKey::new("http.latency").with_label("route", *route)))
        .collect::<Result<_, _>>()?;
    let requests = registry.counter("http.requests")?;
    let in_flight = registry.gauge("http.in_flight")?;

    println!("sending to StatsD at {addr} every {interval:?}, {reports} reports");
    let end = Instant::now() + interval * reports as u32;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    while Instant::now() < end {
        // A request: a log-uniform duration from 50 µs to 10 ms.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let micros = 50.0 * 200f64.powf((seed % 1000) as f64 / 1000.0);
        in_flight.inc(1);
        std::thread::sleep(Duration::from_micros(micros as u64));
        latency[(seed % 2) as usize].update(Duration::from_micros(micros as u64));
        requests.inc(1);
        in_flight.dec(1);
    }
    let outcome = reporter.stop();
    println!(
        "{} reports sent, {} failed (see the log); {} requests recorded",
        outcome.reports,
        outcome.failures,
        requests.count()
    );
    Ok(())
}
