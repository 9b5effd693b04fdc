//! Reading back what the StatsD daemon flushed to its Graphite output.
#![allow(dead_code)]

use std::time::{Duration, Instant};
use tachymeter_testkit::{Statsd, StatsdOptions};

/// How long any wait for the daemon may take.
pub const WAIT: Duration = Duration::from_secs(15);

/// A daemon flushing every 200 ms to its own line sink.
pub fn daemon() -> Statsd {
    Statsd::start_with(StatsdOptions::new().flush_interval(Duration::from_millis(200)))
        .expect("start StatsD")
}

/// Every flushed point: (path with tags, value).
pub fn points(statsd: &Statsd) -> Vec<(String, f64)> {
    statsd
        .received_lines()
        .expect("read the daemon's output")
        .iter()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let path = fields.next()?.to_string();
            let value = fields.next()?.parse().ok()?;
            Some((path, value))
        })
        .collect()
}

/// The sum over all flushes of a path's values.
pub fn sum(statsd: &Statsd, path: &str) -> f64 {
    points(statsd)
        .iter()
        .filter(|(p, _)| p == path)
        .map(|(_, v)| v)
        .sum()
}

/// The last flushed value of a path.
pub fn last(statsd: &Statsd, path: &str) -> Option<f64> {
    points(statsd)
        .into_iter()
        .rev()
        .find(|(p, _)| p == path)
        .map(|(_, v)| v)
}

/// The distinct counter names the daemon flushed (`stats.counters.<name>.count`
/// with any tags), gauge names and timer names, each under `prefix.`.
pub fn names(statsd: &Statsd, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = points(statsd)
        .into_iter()
        .filter_map(|(path, _)| {
            let (path, tags) = match path.split_once(';') {
                Some((p, t)) => (p.to_string(), format!(";{t}")),
                None => (path, String::new()),
            };
            let name = if let Some(rest) = path.strip_prefix("stats.counters.") {
                rest.strip_suffix(".count")?.to_string()
            } else if let Some(rest) = path.strip_prefix("stats.gauges.") {
                rest.to_string()
            } else if let Some(rest) = path.strip_prefix("stats.timers.") {
                rest.strip_suffix(".count")?.to_string()
            } else {
                return None;
            };
            name.starts_with(&format!("{prefix}."))
                .then(|| format!("{name}{tags}"))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Sends a marker count straight to the daemon (after whatever the reporter
/// sent, on the same host) and waits until the daemon has flushed the
/// marker's `total`: everything sent before it was flushed too.
pub fn flush_marker(statsd: &Statsd, total: u64) {
    statsd.send("marker:1|c").expect("send the marker");
    wait_until(
        || sum(statsd, "stats.counters.marker.count") >= total as f64,
        || format!("the daemon to flush marker number {total}"),
    );
}

/// Polls `done` until it holds, for at most [`WAIT`].
pub fn wait_until(mut done: impl FnMut() -> bool, what: impl Fn() -> String) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "waited {WAIT:?} for {}", what());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The exact statistics StatsD computes over `values` (its default 90th
/// percentile threshold): (count, mean, lower, upper, upper_90, median).
pub fn statsd_stats(values: &[f64]) -> [f64; 6] {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let upper_90 = v[((0.9 * n as f64).round() as usize).max(1) - 1];
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    [n as f64, mean, v[0], v[n - 1], upper_90, median]
}

/// Asserts `got` is within `relative` of `want`.
pub fn assert_close(what: &str, got: f64, want: f64, relative: f64) {
    assert!(
        (got - want).abs() <= want.abs() * relative + 1e-9,
        "{what}: got {got}, want {want} within {:.3} %",
        relative * 100.0
    );
}
