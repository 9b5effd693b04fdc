//! Histogram accuracy: exact statistics, percentiles within the stated
//! relative error, and a sliding window that follows shifts.

use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{Histogram, HistogramConfig, ManualClock, Timer};

/// A small deterministic generator (xorshift64*), so no test depends on a
/// random crate or on luck.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// 1e6 log-normal latencies in nanoseconds around 1 ms, with a long tail.
fn lognormal_values(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| (1e6 * (1.5 * rng.normal()).exp()).round() as u64)
        .collect()
}

fn exact_percentile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

const QUANTILES: [f64; 9] = [0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0];

#[test]
fn percentiles_of_a_million_lognormal_values_are_within_the_stated_error() {
    for figures in [1u8, 2, 3] {
        let config = HistogramConfig::default().significant_figures(figures);
        let h = Histogram::with_config(config, Arc::new(ManualClock::new()));
        let mut values = lognormal_values(1_000_000, 0x9E37_79B9_7F4A_7C15 + u64::from(figures));
        for v in &values {
            h.update(*v);
        }
        values.sort_unstable();
        let s = h.snapshot();
        assert_eq!(s.count, 1_000_000);
        let bound = config.relative_error();
        assert!(bound <= 10f64.powi(-i32::from(figures)));
        for q in QUANTILES {
            let exact = exact_percentile(&values, q) as f64;
            for (what, got) in [
                ("all-time", s.all_time.percentile(q)),
                ("recent", s.percentile(q)),
            ] {
                let err = (got - exact).abs() / exact;
                assert!(
                    err <= bound,
                    "{figures} figures, {what} p{q}: got {got}, exact {exact}, error {err} > {bound}"
                );
            }
        }
    }
}

#[test]
fn count_sum_min_max_mean_and_stddev_are_exact() {
    let h = Histogram::new();
    let values = lognormal_values(100_000, 7);
    for v in &values {
        h.update(*v);
    }
    let s = h.snapshot();
    let n = values.len() as f64;
    let sum: u128 = values.iter().map(|v| u128::from(*v)).sum();
    let mean = sum as f64 / n;
    let var = values
        .iter()
        .map(|v| (*v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    assert_eq!(s.count, values.len() as u64);
    assert_eq!(s.sum, sum);
    assert_eq!(s.min, *values.iter().min().unwrap());
    assert_eq!(s.max, *values.iter().max().unwrap());
    assert!((s.mean - mean).abs() <= mean * 1e-12);
    assert!(
        (s.stddev - var.sqrt()).abs() <= var.sqrt() * 1e-9,
        "{} vs {}",
        s.stddev,
        var.sqrt()
    );
    assert_eq!(s.clamped, 0);
}

#[test]
fn stddev_stays_exact_for_large_values_with_a_small_spread() {
    // A naive sum of squares loses this entirely in f64.
    let h = Histogram::new();
    let base = 1_000_000_000_000u64;
    for i in 0..1000u64 {
        h.update(base + i % 3);
    }
    let s = h.snapshot();
    // The same spread computed on small numbers, where f64 is exact enough.
    let offsets: Vec<f64> = (0..1000u64).map(|i| (i % 3) as f64).collect();
    let mean = offsets.iter().sum::<f64>() / 1000.0;
    let exact = (offsets.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / 1000.0).sqrt();
    assert!(
        (s.stddev - exact).abs() < 1e-6,
        "stddev {} vs {exact}",
        s.stddev
    );
}

#[test]
fn the_sum_does_not_overflow_u64() {
    let h = Histogram::new();
    for _ in 0..3 {
        h.update(u64::MAX);
    }
    let s = h.snapshot();
    assert_eq!(s.sum, 3 * u128::from(u64::MAX));
    assert_eq!(s.max, u64::MAX);
    assert_eq!(s.mean, u64::MAX as f64);
}

#[test]
fn snapshot_count_equals_the_sum_of_its_buckets() {
    let h = Histogram::new();
    for v in lognormal_values(10_000, 3) {
        h.update(v);
    }
    let s = h.snapshot();
    assert_eq!(s.all_time.buckets().map(|b| b.count).sum::<u64>(), s.count);
    assert_eq!(s.all_time.count, s.count);
    let buckets: Vec<_> = s.all_time.buckets().collect();
    assert!(buckets.windows(2).all(|w| w[0].high < w[1].low));
}

#[test]
fn an_empty_histogram_reports_zeros_and_nan_percentiles() {
    let s = Histogram::new().snapshot();
    assert_eq!((s.count, s.sum, s.min, s.max), (0, 0, 0, 0));
    assert_eq!((s.mean, s.stddev), (0.0, 0.0));
    assert!(s.percentile(0.5).is_nan());
    assert!(s.all_time.percentile(0.99).is_nan());
}

/// Records `value` `n` times, then moves the clock by `step` and snapshots,
/// like a reporter every 10 s.
fn run(h: &Histogram, clock: &ManualClock, value: u64, seconds: u64) {
    for _ in 0..seconds / 10 {
        for _ in 0..100 {
            h.update(value);
        }
        clock.advance(Duration::from_secs(10));
        h.snapshot();
    }
}

#[test]
fn the_window_follows_a_shift_within_one_window_length() {
    let clock = Arc::new(ManualClock::new());
    let h = Histogram::with_config(HistogramConfig::default(), clock.clone());
    run(&h, &clock, 1_000, 300);
    let before = h.snapshot();
    assert!((before.percentile(0.5) - 1_000.0).abs() < 10.0);

    // Halfway through a window after the shift, the window holds both: it
    // slides, it does not reset.
    run(&h, &clock, 1_000_000, 30);
    let half = h.snapshot();
    assert!(
        (half.percentile(0.1) - 1_000.0).abs() < 10.0,
        "{}",
        half.percentile(0.1)
    );
    assert!((half.percentile(0.9) - 1_000_000.0).abs() < 10_000.0);
    assert!(half.recent.span <= Duration::from_secs(60));

    // One window length after the shift, only the new values remain.
    run(&h, &clock, 1_000_000, 30);
    let after = h.snapshot();
    assert!(
        (after.percentile(0.0) - 1_000_000.0).abs() < 10_000.0,
        "{}",
        after.percentile(0.0)
    );
    assert_eq!(after.recent.count, 600);
    assert_eq!(after.recent.span, Duration::from_secs(60));
    // All time still remembers everything.
    assert_eq!(after.count, 3000 + 600);
    assert!((after.all_time.percentile(0.5) - 1_000.0).abs() < 10.0);
}

#[test]
fn an_idle_window_empties_and_says_how_far_back_it_reaches() {
    let clock = Arc::new(ManualClock::new());
    let h = Histogram::with_config(HistogramConfig::default(), clock.clone());
    h.update(5);
    clock.advance(Duration::from_secs(10));
    assert_eq!(h.snapshot().recent.count, 1);
    // Not read for ten minutes: the view reaches back to the last read.
    clock.advance(Duration::from_secs(600));
    let s = h.snapshot();
    assert_eq!(s.recent.count, 0);
    assert_eq!(s.recent.span, Duration::from_secs(600));
    assert!(s.percentile(0.5).is_nan());
    assert_eq!(s.count, 1);
}

#[test]
fn timer_percentiles_are_in_nanoseconds_and_rates_come_from_counts() {
    let clock = Arc::new(ManualClock::new());
    let t = Timer::with_config(HistogramConfig::default(), clock.clone());
    for ms in 1..=100u64 {
        t.update(Duration::from_millis(ms));
    }
    clock.advance(Duration::from_secs(10));
    let s = t.snapshot();
    assert_eq!(s.count(), 100);
    assert_eq!(s.rate.count, 100);
    let p50 = s.percentile(0.5);
    assert!((p50 - 50e6).abs() <= 50e6 * 0.008, "{p50}");
    assert!((s.rate.rate_mean - 10.0).abs() < 1e-9);
    // 100 events over two 5 s ticks, spread evenly: 10/s.
    assert!((s.rate.rate1 - 10.0).abs() < 1e-9, "{}", s.rate.rate1);
}

#[test]
fn memory_per_timer_stays_under_64_kib_for_a_typical_latency_spread() {
    let clock = Arc::new(ManualClock::new());
    let t = Timer::with_config(HistogramConfig::default(), clock.clone());
    for v in lognormal_values(100_000, 11) {
        t.update(Duration::from_nanos(v));
        if v % 1000 == 0 {
            clock.advance(Duration::from_secs(1));
            t.snapshot();
        }
    }
    let bytes = t.memory_bytes();
    println!("timer uses {bytes} bytes");
    assert!(bytes <= 64 * 1024, "timer uses {bytes} bytes");
}

/// A read reuses what the previous one merged while nothing was recorded,
/// and sees every value recorded since as soon as there is one: zero
/// included, which changes no sum.
#[test]
fn a_read_after_new_values_sees_them_even_zeros() {
    let h = Histogram::new();
    h.update(5);
    assert_eq!(h.snapshot().count, 1);
    let idle = h.snapshot();
    assert_eq!((idle.count, idle.sum), (1, 5));
    h.update(0);
    let s = h.snapshot();
    assert_eq!((s.count, s.min, s.sum), (2, 0, 5));
    assert_eq!(s.all_time.buckets().map(|b| b.count).sum::<u64>(), 2);
    // From another thread (another stripe) too.
    let h2 = h.clone();
    std::thread::spawn(move || h2.update(0)).join().unwrap();
    assert_eq!(h.snapshot().count, 3);
    assert_eq!(h.snapshot().count, 3);
}
