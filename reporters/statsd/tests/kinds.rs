//! Every kind of metric read back from the reference StatsD daemon.

mod support;

use std::time::Duration;
use support::*;
use tachymeter_core::{HistogramSnapshot, MetricSnapshot, Registry};
use tachymeter_report::{PeriodicReporter, Report};
use tachymeter_testkit::own_count;

const HOUR: Duration = Duration::from_secs(3600);

fn reporter(statsd: &tachymeter_testkit::Statsd, registry: &Registry) -> PeriodicReporter {
    tachymeter_statsd::builder(statsd.udp_addr().to_string())
        .map_encoder(|e| e.prefix("k"))
        .start(registry, HOUR)
        .expect("start the reporter")
}

fn relative_error(registry: &Registry, name: &str) -> f64 {
    let snapshot = registry.snapshot();
    let entry = snapshot
        .metrics
        .iter()
        .find(|e| e.key.name() == name)
        .expect("registered");
    let h: &HistogramSnapshot = match &entry.snapshot {
        MetricSnapshot::Timer(t) => &t.durations,
        MetricSnapshot::Histogram(h) => h,
        other => panic!("{other:?}"),
    };
    h.relative_error
}

/// Asserts the timer (or histogram) `name` was flushed once with StatsD's
/// statistics of `values` within `error`.
fn assert_timer(statsd: &tachymeter_testkit::Statsd, name: &str, values: &[f64], error: f64) {
    let path = |stat: &str| format!("stats.timers.{name}.{stat}");
    let [count, mean, lower, upper, upper_90, median] = statsd_stats(values);
    assert_eq!(sum(statsd, &path("count")), count, "{name} count");
    let flushed = points(statsd);
    // The one flush that had values.
    let value = |stat: &str| {
        flushed
            .iter()
            .find(|(p, _)| *p == path(stat))
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {}", path(stat)))
    };
    assert_close(&path("mean"), value("mean"), mean, error);
    assert_close(&path("lower"), value("lower"), lower, error);
    assert_close(&path("upper"), value("upper"), upper, error);
    assert_close(&path("upper_90"), value("upper_90"), upper_90, error);
    assert_close(&path("median"), value("median"), median, error);
}

#[test]
fn every_kind_reads_back_exactly() {
    let statsd = daemon();
    let registry = Registry::new();
    let reporter = reporter(&statsd, &registry);
    let counter = registry.counter("requests").unwrap();
    let meter = registry.meter("bytes").unwrap();
    let gauge = registry.gauge("queue").unwrap();
    let level = registry.gauge_f64("level").unwrap();
    let timer = registry.timer("latency").unwrap();
    let histogram = registry.histogram("sizes").unwrap();

    // Three reports: counts go up and down, gauges change sign.
    let mut truth = 0i64;
    let steps: [(i64, u64, i64, f64); 3] =
        [(5, 3, -7, -2.5), (-12, 0, 42, 0.125), (30, 9, -1, -0.0)];
    for (i, (change, marks, value, float)) in steps.into_iter().enumerate() {
        if change >= 0 {
            counter.inc(change as u64);
        } else {
            counter.dec(change.unsigned_abs());
        }
        truth += change;
        meter.mark(marks);
        gauge.update(value);
        level.update(float);
        assert!(reporter.report_now());
        flush_marker(&statsd, i as u64 + 1);
        assert_eq!(
            sum(&statsd, "stats.counters.k.requests.count"),
            truth as f64
        );
        assert_eq!(last(&statsd, "stats.gauges.k.queue"), Some(value as f64));
        assert_eq!(last(&statsd, "stats.gauges.k.level"), Some(float));
    }
    assert_eq!(sum(&statsd, "stats.counters.k.bytes.count"), 12.0);

    // Timers and histograms: 200 values each, in one report.
    let durations: Vec<Duration> = (1..=200u64)
        .map(|i| Duration::from_micros(i * i * 37 + 250))
        .collect();
    for d in &durations {
        timer.update(*d);
    }
    let sizes: Vec<u64> = (1..=200u64).map(|i| i * 1_000 + i % 7).collect();
    for s in &sizes {
        histogram.update(*s);
    }
    assert!(reporter.report_now());
    flush_marker(&statsd, 4);
    let millis: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    assert_timer(
        &statsd,
        "k.latency",
        &millis,
        relative_error(&registry, "latency"),
    );
    let raw: Vec<f64> = sizes.iter().map(|&s| s as f64).collect();
    assert_timer(&statsd, "k.sizes", &raw, relative_error(&registry, "sizes"));

    // Nothing new: the sums stay, later flushes add nothing.
    assert!(reporter.report_now());
    flush_marker(&statsd, 5);
    assert_eq!(
        sum(&statsd, "stats.counters.k.requests.count"),
        truth as f64
    );
    assert_eq!(sum(&statsd, "stats.timers.k.latency.count"), 200.0);
    let outcome = reporter.stop();
    assert_eq!(outcome.failures, 0);
    assert_eq!(own_count(&registry, "statsd", "send-failures"), 0);
    assert!(own_count(&registry, "statsd", "sent-points") >= 5);
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);
}

#[test]
fn many_values_are_sampled_with_an_exact_count() {
    let statsd = daemon();
    let registry = Registry::new();
    let mut reporter = tachymeter_statsd::builder(statsd.udp_addr().to_string())
        .map_encoder(|e| e.prefix("s").max_timer_values(64))
        .build(&registry)
        .unwrap();
    let timer = registry.timer("work").unwrap();
    // 10,007 durations spread evenly over 1..11 ms, recorded in a shuffled order.
    let n = 10_007u64;
    let durations: Vec<Duration> = (0..n)
        .map(|i| (i * 7_919) % n)
        .map(|i| Duration::from_nanos(1_000_000 + i * 1_000_000_000 / n / 100))
        .collect();
    for d in &durations {
        timer.update(*d);
    }
    reporter.report(&registry.snapshot()).unwrap();
    flush_marker(&statsd, 1);
    assert_eq!(sum(&statsd, "stats.timers.s.work.count"), n as f64);
    let mut millis: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    millis.sort_by(f64::total_cmp);
    let [_, mean, lower, upper, _, _] = statsd_stats(&millis);
    let got = |stat: &str| last(&statsd, &format!("stats.timers.s.work.{stat}")).unwrap();
    // Equal groups keep the mean: within 1 %.
    assert_close("mean", got("mean"), mean, 0.01);
    // Percentiles are off in rank by one group's share at most:
    // 2 / (64 - log2(10,007)) < 4 %.
    let at = |q: f64| millis[((q * n as f64) as usize).min(n as usize - 1)];
    for (stat, q) in [("median", 0.5), ("upper_90", 0.9)] {
        let (low, high) = (at(q - 0.04), at(q + 0.04));
        let value = got(stat);
        assert!(
            low <= value && value <= high,
            "{stat} {value} outside {low}..{high}"
        );
    }
    assert!(got("lower") >= lower && got("upper") <= upper);
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);
}

#[test]
fn small_datagrams_carry_everything() {
    let statsd = daemon();
    let registry = Registry::new();
    let mut reporter = tachymeter_statsd::builder(statsd.udp_addr().to_string())
        .map_encoder(|e| e.prefix("p").max_packet_size(64))
        .build(&registry)
        .unwrap();
    for i in 0..40u64 {
        registry.counter(format!("c{i}")).unwrap().inc(i + 1);
    }
    let timer = registry.timer("t").unwrap();
    for i in 0..250u64 {
        timer.update(Duration::from_micros(100 + i * 13));
    }
    reporter.report(&registry.snapshot()).unwrap();
    // 40 counters and 250 values in lines of at most 64 bytes.
    let points = own_count(&registry, "statsd", "sent-points");
    assert!(points > 60, "{points} lines");
    flush_marker(&statsd, 1);
    for i in 0..40u64 {
        let path = format!("stats.counters.p.c{i}.count");
        assert_eq!(sum(&statsd, &path), (i + 1) as f64, "{path}");
    }
    assert_eq!(sum(&statsd, "stats.timers.p.t.count"), 250.0);
    assert_eq!(own_count(&registry, "statsd", "dropped-too-long"), 0);
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);
}

/// A meter that grew past i64::MAX in one report: the reference daemon
/// receives all of it over two reports, never a count cut at i64::MAX.
#[test]
fn a_meter_growth_past_i64_max_arrives_whole_over_two_reports() {
    let statsd = daemon();
    let registry = Registry::new();
    let reporter = reporter(&statsd, &registry);
    let meter = registry.meter("huge").unwrap();
    meter.mark(u64::MAX); // i64::MAX at once
    meter.mark(u64::MAX); // twice: 2^64 - 2 in all
    let total = meter.count();
    assert!(total > i64::MAX as u64);
    assert!(reporter.report_now());
    flush_marker(&statsd, 1);
    assert!(reporter.report_now());
    flush_marker(&statsd, 2);
    // The daemon sums as floats: compare at their precision.
    let received = sum(&statsd, "stats.counters.k.huge.count");
    assert_eq!(received, total as f64, "all of it, over two reports");
    for dropped in ["dropped-too-long", "dropped-non-finite"] {
        assert_eq!(own_count(&registry, "statsd", dropped), 0, "{dropped}");
    }
}

/// A StatsD name carries one metric for the reporter's life: `req\n`,
/// registered after `req ` was sent as `req_`, gets `req__2` (when names
/// were settled afresh in each report, the daemon's `req_` summed both:
/// 105, with nothing counted as dropped).
#[test]
fn a_later_metric_never_adds_into_a_name_already_sent() {
    let statsd = daemon();
    let registry = Registry::new();
    let reporter = reporter(&statsd, &registry);
    registry.counter("req ").unwrap().inc(100);
    assert!(reporter.report_now());
    flush_marker(&statsd, 1);
    // `req\n` sorts before `req `.
    registry.counter("req\n").unwrap().inc(5);
    assert!(reporter.report_now());
    flush_marker(&statsd, 2);
    assert_eq!(sum(&statsd, "stats.counters.k.req_.count"), 100.0);
    assert_eq!(sum(&statsd, "stats.counters.k.req__2.count"), 5.0);
}
