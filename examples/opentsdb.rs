//! Records a small simulated workload and writes it to OpenTSDB every few
//! seconds as telnet `put` lines.
//!
//! ```text
//! OPENTSDB_ADDR=127.0.0.1:4242 cargo run --example opentsdb
//! ```
//!
//! Without an OpenTSDB at hand, VictoriaMetrics takes the same lines:
//!
//! ```text
//! victoria-metrics -storageDataPath=/tmp/vm -httpListenAddr=127.0.0.1:8428 \
//!     -opentsdbListenAddr=127.0.0.1:4242
//! OPENTSDB_ADDR=127.0.0.1:4242 cargo run --example opentsdb
//! curl -s localhost:8428/api/v1/export -d 'match[]={__name__=~"example[.].*"}'
//! ```
//!
//! `REPORT_INTERVAL_SECS` (default 5) sets the time between reports and
//! `REPORTS` (default 3) how many are sent before it stops (with one final
//! report).

use std::process::ExitCode;
use std::time::{Duration, Instant};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_examples::env_u64;

fn main() -> ExitCode {
    let Some(addr) = std::env::var("OPENTSDB_ADDR")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!(
            "set OPENTSDB_ADDR to OpenTSDB's telnet address (host:port, e.g. 127.0.0.1:4242).\n\
             Without OpenTSDB, a local VictoriaMetrics takes the same lines: \
             `apt-get install victoria-metrics`, then run \
             `victoria-metrics -storageDataPath=/tmp/vm -opentsdbListenAddr=127.0.0.1:4242`."
        );
        return ExitCode::FAILURE;
    };
    let interval = Duration::from_secs(env_u64("REPORT_INTERVAL_SECS", 5).max(1));
    let reports = env_u64("REPORTS", 3);
    match run(&addr, interval, reports) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(addr: &str, interval: Duration, reports: u64) -> Result<(), tachymeter_report::ReportError> {
    let registry = Registry::new();
    let reporter = tachymeter_opentsdb::builder(addr)
        .map_encoder(|e| e.prefix("example"))
        .start(&registry, interval)?;
    println!(
        "writing to OpenTSDB at {addr} every {} s, {reports} reports",
        interval.as_secs()
    );

    let queues = ["mail", "thumbnails"];
    let timers = queues
        .iter()
        .map(|q| registry.timer(MetricKey::new("jobs.duration").with_label("queue", *q)))
        .collect::<Result<Vec<_>, _>>()?;
    let done = registry.counter("jobs.done")?;
    let failed = registry.meter("jobs.failed")?;
    let backlog = registry.gauge("jobs.backlog")?;

    // A job every 10 ms: a few milliseconds of simulated work.
    let until = Instant::now() + interval * u32::try_from(reports).unwrap_or(u32::MAX);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    while Instant::now() < until {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let work = Duration::from_micros(500 + seed % 4_000);
        std::thread::sleep(work);
        timers[(seed % 2) as usize].update(work);
        done.inc(1);
        if seed.is_multiple_of(50) {
            failed.mark(1);
        }
        backlog.update((seed % 100) as i64);
        std::thread::sleep(Duration::from_millis(10).saturating_sub(work));
    }

    let outcome = reporter.stop();
    let own = |what: &str| {
        registry
            .counter(format!("reporter.opentsdb.{what}"))
            .map(|c| c.count())
            .unwrap_or(0)
    };
    println!(
        "done: {} reports sent, {} failed; {} lines written, {} connects",
        outcome.reports,
        outcome.failures,
        own("lines"),
        own("connects")
    );
    Ok(())
}
