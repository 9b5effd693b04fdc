//! The text of fixed registries on a manual clock, byte for byte.

use std::sync::Arc;
use std::time::Duration;
use tachymeter_core::{ManualClock, MetricKey, Registry, RegistrySnapshot};
use tachymeter_log::{format, DurationUnit, Format, RateUnit};

fn registry() -> (Arc<ManualClock>, Registry) {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    (clock, registry)
}

/// One timer holding 1.5 ms, read 5 s after creation.
fn one_timer_of_1500_micros() -> RegistrySnapshot {
    let (clock, registry) = registry();
    registry
        .timer("db")
        .unwrap()
        .update(Duration::from_micros(1500));
    clock.advance(Duration::from_secs(5));
    registry.snapshot()
}

#[test]
fn every_type_in_name_order() {
    let (clock, registry) = registry();
    registry.counter("get-book-2xx").unwrap().inc(12);
    registry.gauge("in-flight").unwrap().update(-3);
    registry.gauge_f64("load").unwrap().update(0.75);
    registry.meter("jobs").unwrap().mark(10);
    let sizes = registry.histogram("sizes").unwrap();
    for v in [1, 2, 3, 4, 100] {
        sizes.update(v);
    }
    let timer = registry.timer("get-book").unwrap();
    for micros in [1500, 2000, 30_000] {
        timer.update(Duration::from_micros(micros));
    }
    clock.advance(Duration::from_secs(5));

    // The 2 ms median is the middle of its bucket: within the histogram's
    // relative error (0.79 %) of the value; min and max are exact.
    assert_eq!(
        format(&registry.snapshot()),
        "\
timer get-book
  count:        3
  min:          1.500 ms
  max:         30.000 ms
  mean:        11.167 ms
  stddev:      13.319 ms
  median:       2.007 ms
  75%:         30.000 ms
  95%:         30.000 ms
  99%:         30.000 ms
  99.9%:       30.000 ms
  1-min rate:   0.600/s
  5-min rate:   0.600/s
  15-min rate:  0.600/s
  mean rate:    0.600/s
counter get-book-2xx
  count: 12
gauge in-flight
  value: -3
meter jobs
  count:       10
  1-min rate:   2.000/s
  5-min rate:   2.000/s
  15-min rate:  2.000/s
  mean rate:    2.000/s
gauge load
  value: 0.75
histogram sizes
  count:    5
  min:      1
  max:    100
  mean:    22.000
  stddev:  39.013
  median:   3.000
  75%:      4.000
  95%:    100.000
  99%:    100.000
  99.9%:  100.000
"
    );
}

#[test]
fn labels_are_part_of_the_key_and_of_the_order() {
    let (_clock, registry) = registry();
    let key = |route: &str| MetricKey::new("http.requests").with_label("route", route);
    registry.counter(key("/books")).unwrap().inc(2);
    registry.counter(key("/authors")).unwrap().inc(1);
    registry
        .counter(key("/books").with_label("method", "GET"))
        .unwrap()
        .inc(5);
    registry.counter("http.requests").unwrap().inc(8);
    assert_eq!(
        format(&registry.snapshot()),
        r#"counter http.requests
  count: 8
counter http.requests{method="GET",route="/books"}
  count: 5
counter http.requests{route="/authors"}
  count: 1
counter http.requests{route="/books"}
  count: 2
"#
    );
}

#[test]
fn an_empty_timer_and_histogram_have_na_percentiles() {
    let (_clock, registry) = registry();
    registry.timer("idle").unwrap();
    registry.histogram("nothing").unwrap();
    assert_eq!(
        format(&registry.snapshot()),
        "\
timer idle
  count:         0
  min:           0.000 ms
  max:           0.000 ms
  mean:          0.000 ms
  stddev:        0.000 ms
  median:      n/a
  75%:         n/a
  95%:         n/a
  99%:         n/a
  99.9%:       n/a
  1-min rate:    0.000/s
  5-min rate:    0.000/s
  15-min rate:   0.000/s
  mean rate:     0.000/s
histogram nothing
  count:    0
  min:      0
  max:      0
  mean:     0.000
  stddev:   0.000
  median: n/a
  75%:    n/a
  95%:    n/a
  99%:    n/a
  99.9%:  n/a
"
    );
}

#[test]
fn percentiles_come_from_the_recent_window() {
    let (clock, registry) = registry();
    let sizes = registry.histogram("sizes").unwrap();
    sizes.update(7);
    sizes.update(9);
    let recent = format(&registry.snapshot());
    assert!(recent.contains("  median: 7.000\n"), "{recent}");

    // Read every 10 s, as a reporter would, until the values are older than
    // the default 60 s window: the all-time fields stay, the percentiles
    // have nothing left to read.
    let mut last = String::new();
    for _ in 0..7 {
        clock.advance(Duration::from_secs(10));
        last = format(&registry.snapshot());
    }
    assert_eq!(
        last,
        "\
histogram sizes
  count:    2
  min:      7
  max:      9
  mean:     8.000
  stddev:   1.000
  median: n/a
  75%:    n/a
  95%:    n/a
  99%:    n/a
  99.9%:  n/a
"
    );
}

#[test]
fn blocks_align_whatever_the_name_and_value_lengths() {
    let (clock, registry) = registry();
    registry.counter("a").unwrap().inc(1);
    registry
        .counter("a-much-longer-counter-name")
        .unwrap()
        .inc(1_234_567_890);
    let meter = registry.meter("m").unwrap();
    meter.mark(123_456);
    let timer = registry.timer("t").unwrap();
    timer.update(Duration::from_micros(20));
    timer.update(Duration::from_secs(12));
    clock.advance(Duration::from_secs(5));
    let text = format(&registry.snapshot());
    assert_eq!(
        text,
        "\
counter a
  count: 1
counter a-much-longer-counter-name
  count: 1234567890
meter m
  count:       123456
  1-min rate:   24691.200/s
  5-min rate:   24691.200/s
  15-min rate:  24691.200/s
  mean rate:    24691.200/s
timer t
  count:           2
  min:             0.020 ms
  max:         12000.000 ms
  mean:         6000.010 ms
  stddev:       5999.990 ms
  median:          0.020 ms
  75%:         12000.000 ms
  95%:         12000.000 ms
  99%:         12000.000 ms
  99.9%:       12000.000 ms
  1-min rate:      0.400/s
  5-min rate:      0.400/s
  15-min rate:     0.400/s
  mean rate:       0.400/s
"
    );

    // Within each block every number has its decimal point (or its end,
    // for a whole number) in one column.
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("  ") {
            None => blocks.push(Vec::new()),
            Some(_) => blocks.last_mut().unwrap().push(point_column(line)),
        }
    }
    assert_eq!(blocks.len(), 4);
    for columns in blocks {
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{columns:?}");
    }
}

/// The column of the decimal point of the number on a field line, or of
/// the end of a whole number.
fn point_column(line: &str) -> usize {
    let colon = line.find(':').unwrap();
    let start = colon + 1 + line[colon + 1..].find(|c: char| c != ' ').unwrap();
    let number = line[start..].split([' ', '/']).next().unwrap();
    start + number.find('.').unwrap_or(number.len())
}

#[test]
fn durations_in_each_unit() {
    let snapshot = one_timer_of_1500_micros();
    let min = |unit| {
        Format::new()
            .duration_unit(unit)
            .render(&snapshot)
            .lines()
            .find(|l| l.starts_with("  min:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        min(DurationUnit::Nanoseconds),
        "  min:         1500000.000 ns"
    );
    assert_eq!(
        min(DurationUnit::Microseconds),
        "  min:         1500.000 µs"
    );
    assert_eq!(min(DurationUnit::Milliseconds), "  min:         1.500 ms");
    assert_eq!(min(DurationUnit::Seconds), "  min:         0.002 s");
    assert_eq!(
        Format::new()
            .duration_unit(DurationUnit::Seconds)
            .decimals(6)
            .render(&snapshot),
        "\
timer db
  count:       1
  min:         0.001500 s
  max:         0.001500 s
  mean:        0.001500 s
  stddev:      0.000000 s
  median:      0.001500 s
  75%:         0.001500 s
  95%:         0.001500 s
  99%:         0.001500 s
  99.9%:       0.001500 s
  1-min rate:  0.200000/s
  5-min rate:  0.200000/s
  15-min rate: 0.200000/s
  mean rate:   0.200000/s
"
    );
}

#[test]
fn rates_per_minute_and_no_decimals() {
    let snapshot = one_timer_of_1500_micros();
    assert_eq!(
        Format::new()
            .duration_unit(DurationUnit::Microseconds)
            .rate_unit(RateUnit::PerMinute)
            .decimals(0)
            .render(&snapshot),
        "\
timer db
  count:          1
  min:         1500 µs
  max:         1500 µs
  mean:        1500 µs
  stddev:         0 µs
  median:      1500 µs
  75%:         1500 µs
  95%:         1500 µs
  99%:         1500 µs
  99.9%:       1500 µs
  1-min rate:    12/min
  5-min rate:    12/min
  15-min rate:   12/min
  mean rate:     12/min
"
    );
}

#[test]
fn folded_series_are_mentioned_first() {
    let registry = Registry::builder().max_series(1).build();
    registry.counter("kept").unwrap().inc(1);
    registry.counter("kept-too").unwrap().inc(1);
    registry.counter("and-this").unwrap().inc(1);
    assert_eq!(
        format(&registry.snapshot()),
        r#"2 new series were folded into overflow series because the registry was full
counter kept
  count: 1
counter registry.overflow.counter{overflow="true"}
  count: 2
"#
    );
}

#[test]
fn gauges_print_every_digit_and_nan_as_na() {
    let (_clock, registry) = registry();
    registry.gauge_f64("a").unwrap().update(f64::NAN);
    registry.gauge_f64("b").unwrap().update(f64::NEG_INFINITY);
    registry.gauge_f64("c").unwrap().update(0.000_012_5);
    registry
        .functional_gauge("d", || panic!("a broken gauge"))
        .unwrap();
    assert_eq!(
        format(&registry.snapshot()),
        "\
gauge a
  value: n/a
gauge b
  value: -inf
gauge c
  value: 0.0000125
gauge d
  value: n/a
"
    );
}

#[test]
fn an_empty_snapshot_is_empty_text() {
    assert_eq!(format(&Registry::new().snapshot()), "");
}

#[test]
fn a_description_and_its_unit_follow_the_name() {
    let registry = tachymeter_core::Registry::new();
    registry.describe(
        "upload",
        "Size of each upload,\nas sent",
        Some(tachymeter_core::Unit::Bytes),
    );
    registry.describe(
        "wait",
        "Time in the queue",
        Some(tachymeter_core::Unit::Bytes),
    );
    registry.histogram("upload").unwrap().update(10);
    registry
        .timer("wait")
        .unwrap()
        .update(std::time::Duration::from_millis(1));
    let text = tachymeter_log::format(&registry.snapshot());
    assert!(
        text.contains("histogram upload \u{2014} Size of each upload, as sent [bytes]\n  count:"),
        "{text}"
    );
    // A timer's unit is its durations': no other is shown.
    assert!(
        text.contains("timer wait \u{2014} Time in the queue\n  count:"),
        "{text}"
    );
}
