//! A second implementation judges the log: HdrHistogram's Python reader
//! (PyPI `hdrhistogram`, module `hdrh`, installed in a virtual environment
//! by the testkit) reads it with `tests/hdrh_read.py`. Counts per series
//! and interval must be exact, and its percentiles within the documented
//! bound of the exact values recorded.

mod common;

use common::{base_time, parse, registry, TestResult};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};
use tachymeter_core::{Metric, MetricKey};
use tachymeter_hdrlog::{error_bound, tag, HdrLogReporter, Report};
use tachymeter_testkit::{ensure_hdrh, TempDir};

/// xorshift64*: the same "random" values on every run.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // In (0, 1].
        ((x >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Log-normal: `exp(mu + sigma * z)`, `z` standard normal (Box-Muller).
    fn log_normal(&mut self, mu: f64, sigma: f64) -> u64 {
        let (u1, u2) = (self.next_f64(), self.next_f64());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        (mu + sigma * z).exp().round().max(1.0) as u64
    }
}

/// hdrh's rank for percentile `p` (0..=100) of `n` values:
/// `max(1, int(p * n / 100 + 0.5))`.
fn hdrh_rank(p: f64, n: usize) -> usize {
    ((p * n as f64 / 100.0 + 0.5) as usize).max(1)
}

#[test]
fn python_hdrh_reads_exact_counts_and_close_percentiles() -> TestResult {
    let python = ensure_hdrh()?;
    let (clock, registry) = registry();
    let keys = [
        MetricKey::new("http.latency").with_label("route", "/books/{id}"),
        MetricKey::new("response.bytes"),
        MetricKey::new("db query, \"slow\"\n").with_label("host", "réplica 2"),
    ];
    let latency = registry.timer(keys[0].clone())?;
    let bytes = registry.histogram(keys[1].clone())?;
    let hostile = registry.timer(keys[2].clone())?;
    let dir = TempDir::new("hdrlog-hdrh")?;
    let path = dir.path().join("judged.hlog");
    let mut reporter = HdrLogReporter::create(&path)?
        .base_time(base_time())
        .build(&registry)?;

    // Values per series (by key index) and interval, in the unit written.
    let mut recorded: BTreeMap<(usize, usize), Vec<u64>> = BTreeMap::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let counts = [[1000, 2500, 777], [640, 1000, 2001], [1500, 0, 333]];
    for interval in 0..3 {
        for (series, per_interval) in counts.iter().enumerate() {
            let n = per_interval[interval];
            let values = recorded.entry((series, interval)).or_default();
            for _ in 0..n {
                let v = match series {
                    0 => rng.log_normal((2e6f64).ln(), 0.8),
                    1 => rng.log_normal((5000f64).ln(), 1.2),
                    _ => rng.log_normal((40e6f64).ln(), 1.5),
                };
                match series {
                    0 => latency.update(Duration::from_nanos(v)),
                    1 => bytes.update(v),
                    _ => hostile.update(Duration::from_nanos(v)),
                }
                values.push(v);
            }
        }
        clock.advance(Duration::from_secs(10));
        reporter.report(&registry.snapshot())?;
    }

    let output = Command::new(&python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hdrh_read.py"))
        .arg(&path)
        .output()?;
    assert!(
        output.status.success(),
        "hdrh_read.py failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Vec<Value> = serde_json::from_slice(&output.stdout)?;
    // The Rust reader sees the same lines.
    let log = parse(&std::fs::read_to_string(&path)?)?;
    assert_eq!(read.len(), log.lines.len());
    // No line for the hostile series' empty second interval.
    assert_eq!(read.len(), 8);

    let base = base_time().duration_since(UNIX_EPOCH)?.as_secs_f64();
    let relative_error = match registry.get(keys[1].clone()) {
        Some(Metric::Histogram(h)) => h.snapshot().relative_error,
        other => return Err(format!("{other:?}").into()),
    };
    let bound = error_bound(relative_error);
    let mut seen = 0;
    for (i, line) in read.iter().enumerate() {
        let tag_read = line["tag"].as_str().ok_or("no tag")?;
        let series = keys
            .iter()
            .position(|k| tag(k) == tag_read)
            .ok_or_else(|| format!("unknown tag {tag_read:?}"))?;
        let start = line["start"].as_f64().ok_or("no start")? - base;
        let interval = (start / 10.0).round() as usize;
        assert!((start - 10.0 * interval as f64).abs() < 1e-3, "{line}");
        assert!((line["length"].as_f64().ok_or("no length")? - 10.0).abs() < 1e-3);
        let mut exact = recorded[&(series, interval)].clone();
        exact.sort_unstable();
        let n = exact.len();
        assert_eq!(line["count"].as_u64(), Some(n as u64), "{line}");
        assert_eq!(log.lines[i].histogram.len(), n as u64);
        assert_eq!(log.lines[i].tag, tag_read);
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9)] {
            let value = line[name].as_f64().ok_or("no percentile")?;
            let want = exact[hdrh_rank(p, n) - 1] as f64;
            assert!(
                (value - want).abs() <= want * bound,
                "{tag_read} interval {interval} {name}: hdrh {value}, exact {want}, bound {bound}"
            );
        }
        for (name, want) in [("min", exact[0]), ("max", exact[n - 1])] {
            let value = line[name].as_f64().ok_or("no min or max")?;
            let want = want as f64;
            assert!(
                (value - want).abs() <= want * bound,
                "{tag_read} interval {interval} {name}: hdrh {value}, exact {want}"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 8);
    assert_eq!(
        tag(&keys[2]),
        "db_query__\"slow\"_{host=réplica_2}",
        "the hostile tag, read back by hdrh as written"
    );
    Ok(())
}
