//! Records a small simulated workload and writes it to InfluxDB every few
//! seconds as line protocol.
//!
//! ```text
//! # InfluxDB 1.x (e.g. `influxd` on its default port, then
//! # `curl -XPOST localhost:8086/query --data-urlencode 'q=CREATE DATABASE metrics'`):
//! INFLUXDB_URL=http://127.0.0.1:8086 INFLUXDB_DB=metrics cargo run --example influxdb
//!
//! # InfluxDB 2.x:
//! INFLUXDB_URL=http://127.0.0.1:8086 INFLUXDB_ORG=acme INFLUXDB_BUCKET=metrics \
//!     INFLUXDB_TOKEN=… cargo run --example influxdb
//! ```
//!
//! `REPORT_INTERVAL_SECS` (default 5) sets the time between reports and
//! `REPORTS` (default 3) how many are sent before it stops (with one final
//! report).

use std::process::ExitCode;
use std::time::{Duration, Instant};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_examples::env_u64;
use tachymeter_influxdb::{Encoder, Http, Push};

/// The reporter the environment asks for, or what to set.
fn from_env() -> Result<Push<Encoder, Http>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let url = var("INFLUXDB_URL");
    let v1 = var("INFLUXDB_DB");
    let v2 = (
        var("INFLUXDB_ORG"),
        var("INFLUXDB_BUCKET"),
        var("INFLUXDB_TOKEN"),
    );
    match (url, v1, v2) {
        (Some(url), Some(db), _) => Ok(tachymeter_influxdb::v1(&url, &db)),
        (Some(url), None, (Some(org), Some(bucket), Some(token))) => {
            Ok(tachymeter_influxdb::v2(&url, &org, &bucket, &token))
        }
        _ => Err(
            "set INFLUXDB_URL (e.g. http://127.0.0.1:8086) and either INFLUXDB_DB \
                  (InfluxDB 1.x) or INFLUXDB_ORG, INFLUXDB_BUCKET and INFLUXDB_TOKEN \
                  (InfluxDB 2.x).\n\
                  A local InfluxDB 1.x: `apt-get install influxdb`, run `influxd`, then \
                  `curl -XPOST localhost:8086/query --data-urlencode 'q=CREATE DATABASE metrics'`."
                .to_string(),
        ),
    }
}

fn main() -> ExitCode {
    let builder = match from_env() {
        Ok(builder) => builder,
        Err(what) => {
            eprintln!("{what}");
            return ExitCode::FAILURE;
        }
    };
    let interval = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 5).max(1));
    let reports = env_u64("REPORTS", 3);
    match run(builder, interval, reports) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    builder: Push<Encoder, Http>,
    interval: Duration,
    reports: u64,
) -> Result<(), tachymeter_report::ReportError> {
    let registry = Registry::new();
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "example".to_string());
    let reporter = builder
        .map_encoder(|e| e.tag("host", &host).prefix("example."))
        .start(&registry, interval)?;

    // A simulated handler per route: a timer, a counter of answers by
    // status, a gauge of work in flight.
    let routes = ["get-book", "put-book"];
    let timers = routes
        .iter()
        .map(|route| registry.timer(MetricKey::new("http.latency").with_label("route", *route)))
        .collect::<Result<Vec<_>, _>>()?;
    let queue = registry.gauge("queue.depth")?;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let until = Instant::now() + interval * u32::try_from(reports).unwrap_or(u32::MAX);
    println!(
        "writing every {interval:?} for {reports} reports; metrics under `example.` tagged host={host}"
    );
    while Instant::now() < until {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let route = (seed % 2) as usize;
        let work = Duration::from_micros(200 + seed % 5_000);
        queue.update((seed % 50) as i64);
        std::thread::sleep(work);
        timers[route].update(work);
        let status = match seed % 10 {
            0 => "500",
            _ => "200",
        };
        registry
            .counter(MetricKey::new("http.responses").with_label("status", status))?
            .inc(1);
    }

    let outcome = reporter.stop();
    let own = |what: &str| {
        registry
            .counter(format!("reporter.influxdb.{what}"))
            .map(|c| c.count())
            .unwrap_or(0)
    };
    println!(
        "done: {} reports ({} failed), {} points sent, {} refused, {} dropped from a full buffer",
        outcome.reports,
        outcome.failures,
        own("sent-points"),
        own("dropped-rejected"),
        own("dropped-overflow"),
    );
    if outcome.failures > 0 {
        return Err(format!(
            "{} reports failed: is InfluxDB up at INFLUXDB_URL, and does the database \
             (or bucket) exist?",
            outcome.failures
        )
        .into());
    }
    Ok(())
}
