//! The moving averages agree with the go-metrics / Dropwizard reference
//! sequence: `update(3); tick()` gives 0.6, then one value per minute (12
//! ticks) of decay.

use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{Ewma, ManualClock, Meter};

const ONE_MINUTE: [f64; 15] = [
    0.22072766470286553,
    0.08120116994196772,
    0.029872241020718428,
    0.01098938333324054,
    0.004042768199451294,
    0.0014872513059998212,
    0.0005471291793327122,
    0.00020127757674150815,
    7.404588245200814e-05,
    2.7239957857491083e-05,
    1.0021020474147462e-05,
    3.6865274119969525e-06,
    1.3561976441886433e-06,
    4.989172314621449e-07,
    1.8354139230109722e-07,
];

const FIVE_MINUTE: [f64; 15] = [
    0.49123845184678905,
    0.4021920276213837,
    0.32928698165641596,
    0.269597378470333,
    0.2207276647028654,
    0.18071652714732128,
    0.14795817836496392,
    0.12113791079679326,
    0.09917933293295193,
    0.08120116994196763,
    0.06648189501740036,
    0.05443077197364752,
    0.04456414692860035,
    0.03648603757513079,
    0.02987224102071838,
];

const FIFTEEN_MINUTE: [f64; 15] = [
    0.5613041910189706,
    0.5251039914257684,
    0.4912384518467888,
    0.459557003018789,
    0.4299187863442732,
    0.4021920276213831,
    0.37625345116383313,
    0.3519877317060185,
    0.3292869816564153,
    0.3080502714195546,
    0.2881831806538789,
    0.26959737847033216,
    0.2522102307052083,
    0.23594443252115815,
    0.2207276647028646,
];

fn check(ewma: Ewma, expected: &[f64; 15]) {
    ewma.update(3);
    ewma.tick();
    assert!(
        (ewma.rate() - 0.6).abs() < 1e-9,
        "initial rate {}",
        ewma.rate()
    );
    for (minute, want) in expected.iter().enumerate() {
        for _ in 0..12 {
            ewma.tick();
        }
        let got = ewma.rate();
        assert!(
            (got - want).abs() < 1e-9,
            "minute {}: got {got}, want {want}",
            minute + 1
        );
    }
}

#[test]
fn one_minute_matches_reference() {
    check(Ewma::one_minute(), &ONE_MINUTE);
}

#[test]
fn five_minute_matches_reference() {
    check(Ewma::five_minute(), &FIVE_MINUTE);
}

#[test]
fn fifteen_minute_matches_reference() {
    check(Ewma::fifteen_minute(), &FIFTEEN_MINUTE);
}

#[test]
fn rate_is_zero_before_the_first_tick() {
    let e = Ewma::one_minute();
    e.update(100);
    assert_eq!(e.rate(), 0.0);
}

#[test]
fn meter_ticks_lazily_and_follows_the_same_sequence() {
    let clock = Arc::new(ManualClock::new());
    let meter = Meter::with_clock(clock.clone());
    meter.mark(3);
    clock.advance(Duration::from_secs(5));
    let s = meter.snapshot();
    assert_eq!(s.count, 3);
    for rate in [s.rate1, s.rate5, s.rate15] {
        assert!((rate - 0.6).abs() < 1e-9, "{rate}");
    }
    for minute in 0..15 {
        clock.advance(Duration::from_secs(60));
        let s = meter.snapshot();
        assert!(
            (s.rate1 - ONE_MINUTE[minute]).abs() < 1e-9,
            "m1 minute {minute}"
        );
        assert!(
            (s.rate5 - FIVE_MINUTE[minute]).abs() < 1e-9,
            "m5 minute {minute}"
        );
        assert!(
            (s.rate15 - FIFTEEN_MINUTE[minute]).abs() < 1e-9,
            "m15 minute {minute}"
        );
    }
}

#[test]
fn marks_tick_the_meter_themselves() {
    // Marks spread over time land in their own intervals even if nobody
    // reads in between: the sequence equals ticking an Ewma by hand.
    let clock = Arc::new(ManualClock::new());
    let meter = Meter::with_clock(clock.clone());
    let reference = Ewma::one_minute();
    for interval in 0..24u64 {
        let n = interval % 5;
        meter.mark(n);
        reference.update(n);
        clock.advance(Duration::from_secs(5));
        reference.tick();
    }
    assert!((meter.rate1() - reference.rate()).abs() < 1e-9);
    assert_eq!(meter.count(), (0..24u64).map(|i| i % 5).sum::<u64>());
}

#[test]
fn idle_meter_decays_toward_zero_and_long_idle_is_cheap() {
    let clock = Arc::new(ManualClock::new());
    let meter = Meter::with_clock(clock.clone());
    meter.mark(600);
    clock.advance(Duration::from_secs(5));
    let busy = meter.rate1();
    assert!((busy - 120.0).abs() < 1e-9);
    clock.advance(Duration::from_secs(120));
    let later = meter.rate1();
    assert!(later < busy / 5.0 && later > 0.0, "{later}");
    // A year idle is computed in closed form, not by ticking six million times.
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert!(meter.rate1() < 1e-12);
    assert!(meter.rate15() < 1e-12);
    assert_eq!(meter.count(), 600);
}

#[test]
fn mean_rate_is_count_over_elapsed_time() {
    let clock = Arc::new(ManualClock::new());
    let meter = Meter::with_clock(clock.clone());
    assert_eq!(meter.rate_mean(), 0.0);
    meter.mark(50);
    clock.advance(Duration::from_secs(10));
    assert!((meter.rate_mean() - 5.0).abs() < 1e-9);
}
