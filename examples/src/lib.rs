//! Shared pieces of the runnable examples (see the `[[example]]` targets in
//! `Cargo.toml`): a plain text report of a registry snapshot and
//! environment-variable parsing.

pub mod books;

use metrics_core::{nanos_to_duration, MetricSnapshot, RegistrySnapshot};
use std::fmt::Write as _;

/// The README's code, compiled and run as a doc test so it cannot rot.
#[doc = include_str!("../../README.md")]
mod readme {}

/// The whole number in the environment variable `name`, or `default` (with
/// a message on standard error if it is set but not a number).
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("{name}={v:?} is not a whole number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

/// A plain, aligned text report sorted by name: counters and gauges one
/// line each, meters, histograms and timers as indented blocks.
pub fn format_report(snapshot: &RegistrySnapshot) -> String {
    let ms = |nanos: f64| format!("{:.3}ms", nanos_to_duration(nanos).as_secs_f64() * 1e3);
    let width = snapshot
        .metrics
        .iter()
        .map(|e| e.key.to_string().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for entry in &snapshot.metrics {
        let key = entry.key.to_string();
        let block: Vec<(&str, String)> = match &entry.snapshot {
            MetricSnapshot::Counter(c) => {
                let _ = writeln!(out, "{key:<width$}  count {:>10}", c.count);
                continue;
            }
            MetricSnapshot::Gauge { value } => {
                let _ = writeln!(out, "{key:<width$}  value {value:>10}");
                continue;
            }
            MetricSnapshot::GaugeF64 { value } => {
                let _ = writeln!(out, "{key:<width$}  value {value:>10}");
                continue;
            }
            MetricSnapshot::Meter(m) => vec![
                ("count", m.count.to_string()),
                ("1-min rate", format!("{:.2}/s", m.rate1)),
                ("5-min rate", format!("{:.2}/s", m.rate5)),
                ("15-min rate", format!("{:.2}/s", m.rate15)),
                ("mean rate", format!("{:.2}/s", m.rate_mean)),
            ],
            MetricSnapshot::Histogram(h) => vec![
                ("count", h.count.to_string()),
                ("min", h.min.to_string()),
                ("max", h.max.to_string()),
                ("mean", format!("{:.1}", h.mean)),
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
                    ("5-min rate", format!("{:.2}/s", t.rate.rate5)),
                    ("15-min rate", format!("{:.2}/s", t.rate.rate15)),
                    ("mean rate", format!("{:.2}/s", t.rate.rate_mean)),
                ]
            }
            other => vec![("value", format!("{other:?}"))],
        };
        let _ = writeln!(out, "{key}");
        for (label, value) in block {
            let _ = writeln!(out, "  {label:<12} {value:>14}");
        }
    }
    if snapshot.folded_series > 0 {
        let _ = writeln!(out, "folded series: {}", snapshot.folded_series);
    }
    out
}
