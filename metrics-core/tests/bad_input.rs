//! Bad input has a documented outcome, and nothing panics.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tachymeter_core::{
    nanos_to_duration, Counter, FunctionalGauge, GaugeF64, Histogram, HistogramConfig, ManualClock,
    Timer,
};

#[test]
fn float_gauges_keep_nan_and_infinities_as_given() {
    let g = GaugeF64::new();
    g.update(f64::NAN);
    assert!(g.value().is_nan());
    g.update(f64::INFINITY);
    assert_eq!(g.value(), f64::INFINITY);
    g.update(f64::NEG_INFINITY);
    assert_eq!(g.value(), f64::NEG_INFINITY);
    g.update(-0.0);
    assert_eq!(g.value().to_bits(), (-0.0f64).to_bits());
}

#[test]
fn a_panicking_functional_gauge_reads_as_nan() {
    let g = FunctionalGauge::new(|| panic!("broken closure"));
    assert!(g.value().is_nan());
}

#[test]
fn values_above_the_maximum_are_clamped_and_counted() {
    let config = HistogramConfig::default().max_value(1000);
    let h = Histogram::with_config(config, Arc::new(ManualClock::new()));
    h.update(5);
    h.update(1001);
    h.update(u64::MAX);
    let s = h.snapshot();
    assert_eq!(s.count, 3);
    assert_eq!(s.clamped, 2);
    assert_eq!(s.max, 1000);
    assert_eq!(s.sum, 2005);
    assert!(s.all_time.percentile(1.0) <= 1000.0);
}

#[test]
fn durations_that_cannot_be_negative_or_absurd_are_handled() {
    let t = Timer::new();
    // A start in the future records zero instead of panicking.
    t.update_since(Instant::now() + Duration::from_secs(3600));
    // Longer than u64 nanoseconds: recorded as the maximum and counted.
    t.update(Duration::MAX);
    let s = t.snapshot();
    assert_eq!(s.count(), 2);
    assert_eq!(s.durations.min, 0);
    assert_eq!(s.durations.max, u64::MAX);
    assert_eq!(s.durations.clamped, 1);
    assert_eq!(nanos_to_duration(f64::NAN), Duration::ZERO);
    assert_eq!(nanos_to_duration(-5.0), Duration::ZERO);
    assert_eq!(nanos_to_duration(1e30), Duration::from_nanos(u64::MAX));
}

#[test]
fn a_panic_inside_timed_code_is_still_timed() {
    let clock = Arc::new(ManualClock::new());
    let t = Timer::with_config(HistogramConfig::default(), clock.clone());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        t.time(|| {
            clock.advance(Duration::from_millis(7));
            panic!("handler failed");
        })
    }));
    assert!(result.is_err());
    let s = t.snapshot();
    assert_eq!(s.count(), 1);
    assert_eq!(s.durations.max, 7_000_000);
}

#[test]
fn a_guard_records_once_whether_stopped_or_dropped() {
    let clock = Arc::new(ManualClock::new());
    let t = Timer::with_config(HistogramConfig::default(), clock.clone());
    let guard = t.start();
    clock.advance(Duration::from_millis(2));
    assert_eq!(guard.stop(), Duration::from_millis(2));
    {
        let _guard = t.start();
        clock.advance(Duration::from_millis(3));
    }
    let s = t.snapshot();
    assert_eq!(s.count(), 2);
    assert_eq!(s.durations.sum, 5_000_000);
}

#[test]
fn decrementing_below_zero_goes_negative_and_marks_the_counter_non_monotonic() {
    let c = Counter::new();
    c.inc(1);
    assert!(c.snapshot().monotonic);
    c.dec(3);
    let s = c.snapshot();
    assert_eq!(s.count, -2);
    assert!(!s.monotonic);
}

#[test]
fn an_increment_past_i64_max_saturates_a_monotonic_counter() {
    let c = Counter::new();
    c.inc(10);
    c.inc(u64::MAX);
    let s = c.snapshot();
    assert_eq!(s.count, i64::MAX, "never a wrapped, smaller count");
    assert!(s.monotonic, "saturating keeps it monotonic");
    c.inc(u64::MAX);
    c.inc(5);
    assert_eq!(c.count(), i64::MAX, "it stays there");
    c.clear();
    assert_eq!(c.count(), 0);
    c.inc(3);
    assert_eq!(c.count(), 3, "clear ends the saturation");

    // Ordinary increments that add up past i64::MAX saturate too.
    let big = Counter::new();
    big.inc(i64::MAX as u64);
    big.inc(i64::MAX as u64);
    assert_eq!(big.count(), i64::MAX);
}

#[test]
fn decrements_are_bounded_and_wrap_without_panicking() {
    let c = Counter::new();
    c.dec(u64::MAX); // subtracts i64::MAX, never adds
    assert_eq!(c.count(), -i64::MAX);
    c.dec(2);
    assert_eq!(
        c.count(),
        i64::MAX,
        "a counter that goes down wraps at the i64 bounds"
    );
    assert!(!c.snapshot().monotonic);

    let m = tachymeter_core::Meter::new();
    m.mark(u64::MAX);
    assert_eq!(
        m.count(),
        i64::MAX as u64,
        "a mark above i64::MAX counts i64::MAX"
    );
}

#[test]
fn out_of_range_quantiles_are_clamped_and_nan_is_nan() {
    let h = Histogram::new();
    for v in 1..=100 {
        h.update(v);
    }
    let s = h.snapshot();
    assert_eq!(s.percentile(-3.0), s.percentile(0.0));
    assert_eq!(s.percentile(7.0), s.percentile(1.0));
    assert_eq!(s.percentile(1.0), 100.0);
    assert_eq!(s.percentile(0.0), 1.0);
    assert!(s.percentile(f64::NAN).is_nan());
}

#[test]
fn configuration_out_of_range_is_clamped() {
    let c = HistogramConfig::default()
        .significant_figures(0)
        .max_value(0)
        .window(Duration::ZERO, 0);
    let h = Histogram::with_config(c, Arc::new(ManualClock::new()));
    h.update(10);
    let s = h.snapshot();
    assert_eq!((s.count, s.clamped, s.max), (1, 1, 1));
    let precise = HistogramConfig::default().significant_figures(200);
    assert!(precise.relative_error() <= 1e-4);
}
