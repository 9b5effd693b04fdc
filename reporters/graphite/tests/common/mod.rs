//! Shared by the real-server tests: hostile series and the documented
//! sanitising rules written out independently.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tachymeter_core::{MetricKey, Registry};
use tachymeter_graphite::GraphiteReporter;
use tachymeter_report::{Report, ReportError};
pub use tachymeter_testkit::HOSTILE_PIECES;

/// How long a test waits for data to show up in a server.
pub const WAIT: Duration = Duration::from_secs(20);

/// The current Unix time in seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One sanitised path segment or tag key: ASCII letters, digits, `-` and
/// `_` kept, every other character `_`.
pub fn segment(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A sanitised tag value: as a segment, but `.` kept.
pub fn tag_value(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c == '.' {
                c
            } else {
                segment(&c.to_string()).remove(0)
            }
        })
        .collect()
}

/// A sanitised label key used as a path segment; empty is `_`.
pub fn key_segment(raw: &str) -> String {
    if raw.is_empty() {
        "_".to_string()
    } else {
        segment(raw)
    }
}

/// A sanitised tag key: `name` is `_name`, a leading `__` is `_`.
pub fn tag_key(raw: &str) -> String {
    let key = key_segment(raw);
    if key == "name" {
        return "_name".to_string();
    }
    let trimmed = key.trim_start_matches('_');
    if key.len() - trimmed.len() >= 2 {
        format!("_{trimmed}")
    } else {
        key
    }
}

/// The sanitised dot-separated name, empty segments left out.
pub fn name_path(raw: &str) -> String {
    raw.split('.')
        .filter(|s| !s.is_empty())
        .map(segment)
        .collect::<Vec<_>>()
        .join(".")
}

/// A hostile series: its key, and the count recorded in it.
pub struct Hostile {
    pub key: MetricKey,
    pub count: i64,
}

/// One counter per hostile piece, in the name, in a label key and in a
/// label value, each sanitising to a path of its own; the count of the
/// `i`-th is `i + 1`.
pub fn hostile_counters(registry: &Registry) -> Vec<Hostile> {
    HOSTILE_PIECES
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let key = MetricKey::new(format!("n{i:02}-{piece}-x"))
                .with_label(format!("k{i:02}{piece}"), format!("{piece}v"))
                .with_label("only", *piece);
            let count = i as i64 + 1;
            registry.counter(key.clone()).unwrap().inc(count as u64);
            Hostile { key, count }
        })
        .collect()
}

/// The path the rules give `key` with labels as segments (no clash).
pub fn untagged_path(prefix: &str, key: &MetricKey, suffix: &str) -> String {
    let mut labels: Vec<(String, String)> = key
        .labels()
        .iter()
        .map(|(k, v)| (key_segment(k), segment(v)))
        .collect();
    labels.sort();
    let mut path = format!("{prefix}.{}", name_path(key.name()));
    for (k, v) in labels {
        path.push_str(&format!(".{k}.{v}"));
    }
    path.push('.');
    path.push_str(suffix);
    path
}

/// The name and sorted tags the rules give `key` with tags on (no clash).
pub fn tagged_series(prefix: &str, key: &MetricKey, suffix: &str) -> Series {
    let mut tags: Vec<(String, String)> = key
        .labels()
        .iter()
        .map(|(k, v)| (tag_key(k), tag_value(v)))
        .collect();
    tags.sort();
    Series {
        name: format!("{prefix}.{}.{suffix}", name_path(key.name())),
        tags,
    }
}

/// A series as VictoriaMetrics stores it: name and sorted labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Series {
    pub name: String,
    pub tags: Vec<(String, String)>,
}

/// Reports `registry` once through `reporter`, returning the Unix seconds
/// around the call and the outcome.
pub fn report_once(
    reporter: &mut GraphiteReporter,
    registry: &Registry,
) -> (i64, i64, Result<(), ReportError>) {
    let snapshot = registry.snapshot();
    let before = unix_now();
    let outcome = reporter.report(&snapshot);
    (before, unix_now(), outcome)
}

/// Records every kind of metric under `kinds.*`, each with `labels`:
/// counts, a gauge of each type, a meter, a histogram of 1..=1000 and a
/// timer of 1..=100 ms, a NaN gauge and a histogram with nothing in it.
pub fn record_kinds(registry: &Registry, labels: &[(&str, &str)]) {
    let key = |name: &str| {
        labels
            .iter()
            .fold(MetricKey::new(name), |k, (l, v)| k.with_label(*l, *v))
    };
    let requests = registry.counter(key("kinds.requests")).unwrap();
    requests.inc(41);
    requests.dec(1);
    registry.gauge(key("kinds.queue")).unwrap().update(-17);
    registry.gauge_f64(key("kinds.ratio")).unwrap().update(0.1);
    registry
        .gauge_f64(key("kinds.nan"))
        .unwrap()
        .update(f64::NAN);
    registry.meter(key("kinds.events")).unwrap().mark(7);
    let sizes = registry.histogram(key("kinds.sizes")).unwrap();
    for v in 1..=1000 {
        sizes.update(v);
    }
    registry.histogram(key("kinds.idle")).unwrap();
    let latency = registry.timer(key("kinds.latency")).unwrap();
    for ms in 1..=100 {
        latency.update(Duration::from_millis(ms));
    }
}

/// The values [`record_kinds`] recorded, by path suffix, for the fields
/// known exactly; percentiles are `(truth, relative error)`.
pub fn truth(name: &str, suffix: &str) -> Option<Truth> {
    use Truth::{Exact, Near};
    let sizes = [500.0, 750.0, 950.0, 990.0, 999.0];
    let millis = [50.0, 75.0, 95.0, 99.0, 100.0];
    let percentile = |i: usize, of: &[f64; 5]| Near(of[i]);
    let pct = [
        "50-percentile",
        "75-percentile",
        "95-percentile",
        "99-percentile",
        "999-percentile",
    ];
    let stddev = |n: f64| ((n * n - 1.0) / 12.0).sqrt();
    Some(match (name, suffix) {
        ("kinds.requests", "count") => Exact(40.0),
        ("kinds.queue", "value") => Exact(-17.0),
        ("kinds.ratio", "value") => Exact(0.1),
        ("kinds.events", "count") => Exact(7.0),
        ("kinds.sizes", "count") => Exact(1000.0),
        ("kinds.sizes", "min") => Exact(1.0),
        ("kinds.sizes", "max") => Exact(1000.0),
        ("kinds.sizes", "mean") => Exact(500.5),
        ("kinds.sizes", "std-dev") => Near(stddev(1000.0)),
        ("kinds.sizes", p) if pct.contains(&p) => {
            percentile(pct.iter().position(|x| *x == p).unwrap(), &sizes)
        }
        ("kinds.idle", "count" | "min" | "max" | "mean" | "std-dev") => Exact(0.0),
        ("kinds.latency", "count") => Exact(100.0),
        ("kinds.latency", "min") => Exact(1.0),
        ("kinds.latency", "max") => Exact(100.0),
        ("kinds.latency", "mean") => Exact(50.5),
        ("kinds.latency", "std-dev") => Near(stddev(100.0)),
        ("kinds.latency", p) if pct.contains(&p) => {
            percentile(pct.iter().position(|x| *x == p).unwrap(), &millis)
        }
        _ => return None,
    })
}

/// A recorded value: exact, or within the histograms' relative error.
#[derive(Debug, Clone, Copy)]
pub enum Truth {
    Exact(f64),
    Near(f64),
}

impl Truth {
    /// Whether `read` (from a server) agrees, given the histograms'
    /// `relative_error`.
    pub fn holds(self, read: f64, relative_error: f64) -> bool {
        match self {
            Truth::Exact(v) => read == v,
            Truth::Near(v) => (read - v).abs() <= v * relative_error.max(1e-12),
        }
    }
}

/// Every finite number of each metric of `snapshot`: its key, path
/// suffix and value, in order.
pub fn finite_fields(
    snapshot: &tachymeter_core::RegistrySnapshot,
) -> Vec<(MetricKey, &'static str, f64)> {
    let mut out = Vec::new();
    for entry in &snapshot.metrics {
        let fields = tachymeter_report::fields(
            &entry.snapshot,
            tachymeter_report::DurationUnit::Milliseconds,
        );
        for field in &fields {
            if field.value.is_finite() {
                out.push((entry.key.clone(), field.path_suffix(), field.value.as_f64()));
            }
        }
    }
    out
}

/// The histograms' bound on a percentile's relative error.
pub fn relative_error() -> f64 {
    tachymeter_core::HistogramConfig::default().relative_error()
}
