//! The exporter judged by a second implementation: every request decoded by
//! the official OTLP messages of PyPI's `opentelemetry-proto`, in a receiver
//! that answers as each test asks.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tachymeter_core::{MetricKey, MetricSnapshot, Registry, Unit};
use tachymeter_otlp::{Env, OtlpReporter};
use tachymeter_report::{ExponentialBuckets, Report};
use tachymeter_testkit::{own_count, Export, OtlpReceiver, HOSTILE_PIECES};

const WAIT: Duration = Duration::from_secs(20);

fn reporter(receiver: &OtlpReceiver, registry: &Registry, vars: &[(&str, &str)]) -> OtlpReporter {
    Env::from_vars(vars)
        .builder_to(&receiver.endpoint())
        .map_encoder(|e| e.service_name("books"))
        .timeout(Duration::from_secs(2))
        .build(registry)
        .unwrap()
}

/// The request of an export.
fn request(export: &Export) -> &Value {
    export
        .request
        .as_ref()
        .unwrap_or_else(|| panic!("not decoded: {:?}", export.error))
}

/// Every metric of a request, by name.
fn metrics(export: &Export) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for rm in request(export)["resource_metrics"].as_array().unwrap() {
        for sm in rm["scope_metrics"].as_array().unwrap() {
            for m in sm["metrics"].as_array().unwrap() {
                out.insert(m["name"].as_str().unwrap().to_string(), m.clone());
            }
        }
    }
    out
}

/// The data points of a request (the reporter's own counters included).
fn points(export: &Export) -> i64 {
    metrics(export)
        .values()
        .map(|m| {
            ["sum", "gauge", "exponential_histogram"]
                .iter()
                .map(|kind| m[kind]["data_points"].as_array().map_or(0, Vec::len))
                .sum::<usize>() as i64
        })
        .sum()
}

/// A 64-bit integer field, which OTLP's JSON writes as a string (0 when
/// left out, as protobuf leaves out zeros).
fn int(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.as_i64().unwrap(),
        Value::Null => 0,
        other => panic!("not an integer: {other}"),
    }
}

/// A point's attributes, as key → string value.
fn attributes(point: &Value) -> Vec<(String, String)> {
    point["attributes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|kv| {
                    (
                        kv["key"].as_str().unwrap_or_default().to_string(),
                        kv["value"]["string_value"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_kind_arrives_with_its_exact_values() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    registry.describe("jobs", "Jobs done", Some(Unit::Items));
    registry.describe("upload", "Uploaded sizes", Some(Unit::Bytes));
    registry
        .counter(MetricKey::new("jobs").with_label("queue", "mail"))
        .unwrap()
        .inc(3);
    registry.counter("stock").unwrap().dec(2);
    registry.gauge("threads").unwrap().update(-7);
    registry.gauge_f64("load").unwrap().update(0.25);
    registry.gauge_f64("broken").unwrap().update(f64::NAN);
    registry.meter("logins").unwrap().mark(4);
    let upload = registry.histogram("upload").unwrap();
    for v in [0, 100, 200, 300] {
        upload.update(v);
    }
    registry
        .timer("latency")
        .unwrap()
        .update(Duration::from_millis(250));
    let mut reporter = reporter(&receiver, &registry, &[]);
    reporter.report(&registry.snapshot()).unwrap();

    let exports = receiver.wait_exports(1, WAIT).unwrap();
    let export = &exports[0];
    assert_eq!(export.headers["content-type"], "application/x-protobuf");
    assert!(export.headers["user-agent"].starts_with("tachymeter-otlp/"));
    let rm = &request(export)["resource_metrics"][0];
    let resource = attributes(&rm["resource"]);
    assert!(
        resource.contains(&("service.name".into(), "books".into())),
        "{resource:?}"
    );
    let scope = &rm["scope_metrics"][0]["scope"];
    assert_eq!(scope["name"], "tachymeter-otlp");
    assert_eq!(scope["version"], env!("CARGO_PKG_VERSION"));

    let m = metrics(export);
    let jobs = &m["jobs"];
    assert_eq!(
        (jobs["description"].as_str(), jobs["unit"].as_str()),
        (Some("Jobs done"), Some("{item}"))
    );
    let sum = &jobs["sum"];
    assert_eq!(
        (
            sum["is_monotonic"].as_bool(),
            int(&sum["aggregation_temporality"])
        ),
        (Some(true), 2)
    );
    let point = &sum["data_points"][0];
    assert_eq!(int(&point["as_int"]), 3);
    assert_eq!(
        attributes(point),
        [("queue".to_string(), "mail".to_string())]
    );
    assert!(int(&point["start_time_unix_nano"]) <= int(&point["time_unix_nano"]));
    // Decremented: an up-down counter.
    assert_eq!(m["stock"]["sum"]["is_monotonic"], Value::Null);
    assert_eq!(int(&m["stock"]["sum"]["data_points"][0]["as_int"]), -2);
    assert_eq!(int(&m["threads"]["gauge"]["data_points"][0]["as_int"]), -7);
    assert_eq!(m["load"]["gauge"]["data_points"][0]["as_double"], 0.25);
    assert_eq!(
        m["broken"]["gauge"]["data_points"],
        Value::Null,
        "NaN is left out"
    );
    assert_eq!(own_count(&registry, "otlp", "dropped-non-finite"), 1);
    assert_eq!(int(&m["logins"]["sum"]["data_points"][0]["as_int"]), 4);
    for rate in ["m1_rate", "m5_rate", "m15_rate", "mean_rate"] {
        let gauge = &m[&format!("logins.{rate}")];
        assert_eq!(gauge["unit"], "1/s");
        assert!(
            gauge["gauge"]["data_points"][0]["as_double"].is_number()
                || gauge["gauge"]["data_points"][0]["as_double"].is_null()
        );
    }

    let upload = &m["upload"]["exponential_histogram"];
    assert_eq!(int(&upload["aggregation_temporality"]), 2);
    let p = &upload["data_points"][0];
    assert_eq!(m["upload"]["unit"], "By");
    assert_eq!(
        (
            int(&p["count"]),
            p["sum"].as_f64(),
            p["min"].as_f64(),
            p["max"].as_f64()
        ),
        (4, Some(600.0), Some(0.0), Some(300.0))
    );
    let buckets: i64 = p["positive"]["bucket_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .sum();
    assert_eq!(int(&p["zero_count"]) + buckets, 4);
    assert_eq!(int(&p["zero_count"]), 1);

    let latency = &m["latency"];
    assert_eq!(latency["unit"], "s");
    let p = &latency["exponential_histogram"]["data_points"][0];
    assert_eq!(
        (int(&p["count"]), p["sum"].as_f64(), p["max"].as_f64()),
        (1, Some(0.25), Some(0.25))
    );
    assert_eq!(own_count(&registry, "otlp", "sent-points"), points(export));
}

/// The quantile a backend reads from exponential buckets: the bucket where
/// the cumulative count reaches `q * count`, interpolated linearly.
fn quantile(point: &Value, q: f64) -> f64 {
    let scale = int(&point["scale"]) as i32;
    let base = 2f64.powf(2f64.powi(-scale));
    let zero = int(&point["zero_count"]) as f64;
    let offset = int(&point["positive"]["offset"]) as i32;
    let counts: Vec<f64> = point["positive"]["bucket_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| int(c) as f64)
        .collect();
    let total = zero + counts.iter().sum::<f64>();
    let rank = q * total;
    let mut seen = zero;
    for (i, count) in counts.iter().enumerate() {
        if *count > 0.0 && seen + count >= rank {
            let lower = base.powi(offset + i as i32);
            return lower + (lower * base - lower) * (rank - seen) / count;
        }
        seen += count;
    }
    f64::NAN
}

#[test]
fn quantiles_from_the_decoded_buckets_are_within_the_stated_bound() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let mut exact = Vec::new();
    let timer = registry.timer("wide").unwrap();
    let narrow = registry.histogram("narrow").unwrap();
    let mut narrow_values = Vec::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // 1 µs to about 17 minutes: 30 powers of two, so a coarse scale.
        let nanos = 1_000 + (x >> (24 + x % 30));
        timer.update(Duration::from_nanos(nanos));
        exact.push(nanos as f64 / 1e9);
        let v = 1_000 + x % 1_000;
        narrow.update(v);
        narrow_values.push(v as f64);
    }
    let snapshot = registry.snapshot();
    let error_of = |name: &str| {
        let entry = snapshot
            .metrics
            .iter()
            .find(|e| e.key.name() == name)
            .unwrap();
        match &entry.snapshot {
            MetricSnapshot::Timer(t) => t.durations.relative_error,
            MetricSnapshot::Histogram(h) => h.relative_error,
            other => panic!("{other:?}"),
        }
    };
    let mut reporter = reporter(&receiver, &registry, &[]);
    reporter.report(&snapshot).unwrap();
    let exports = receiver.wait_exports(1, WAIT).unwrap();
    let m = metrics(&exports[0]);
    for (name, values) in [("wide", &mut exact), ("narrow", &mut narrow_values)] {
        values.sort_by(f64::total_cmp);
        let point = &m[name]["exponential_histogram"]["data_points"][0];
        let scale = int(&point["scale"]) as i32;
        let dense = point["positive"]["bucket_counts"].as_array().unwrap().len();
        assert!(
            dense <= tachymeter_otlp::DEFAULT_MAX_BUCKETS,
            "{name}: {dense} buckets"
        );
        let bound = ExponentialBuckets::relative_error(scale, error_of(name));
        for q in [0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let rank = ((q * values.len() as f64).ceil() as usize).max(1);
            let want = values[rank - 1];
            let got = quantile(point, q);
            let error = (got - want).abs() / want;
            assert!(
                error <= bound + 1e-9,
                "{name} scale {scale} q {q}: {got} vs {want}, {error} > {bound}"
            );
        }
        // The narrow one gets a fine scale, the wide one a coarse one.
        if name == "narrow" {
            assert!(scale >= 6, "{scale}");
        } else {
            assert!(scale <= 3, "{scale}");
        }
    }
}

#[test]
fn cumulative_points_keep_their_start_and_delta_points_add_up() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let jobs = registry.counter("jobs").unwrap();
    let sizes = registry.histogram("sizes").unwrap();
    let mut cumulative = reporter(&receiver, &registry, &[]);
    let mut delta = reporter(
        &receiver,
        &registry,
        &[("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")],
    );
    for round in 1..=4u64 {
        jobs.inc(round);
        sizes.update(round * 100);
        let snapshot = registry.snapshot();
        cumulative.report(&snapshot).unwrap();
        delta.report(&snapshot).unwrap();
    }
    let exports = receiver.wait_exports(8, WAIT).unwrap();
    let (mut starts, mut times, mut deltas) = (Vec::new(), Vec::new(), Vec::new());
    let (mut delta_starts, mut delta_times, mut histogram_counts) =
        (Vec::new(), Vec::new(), Vec::new());
    for export in &exports {
        let m = metrics(export);
        let sum = &m["jobs"]["sum"];
        let point = &sum["data_points"][0];
        let h = &m["sizes"]["exponential_histogram"];
        if int(&sum["aggregation_temporality"]) == 2 {
            starts.push(int(&point["start_time_unix_nano"]));
            times.push(int(&point["time_unix_nano"]));
            assert_eq!(int(&h["aggregation_temporality"]), 2);
        } else {
            assert_eq!(int(&sum["aggregation_temporality"]), 1);
            assert_eq!(int(&h["aggregation_temporality"]), 1);
            deltas.push(int(&point["as_int"]));
            delta_starts.push(int(&point["start_time_unix_nano"]));
            delta_times.push(int(&point["time_unix_nano"]));
            histogram_counts.push(int(&h["data_points"][0]["count"]));
            assert_eq!(
                h["data_points"][0]["min"],
                Value::Null,
                "no min in a delta point"
            );
        }
    }
    assert_eq!(starts.len(), 4);
    assert!(starts.iter().all(|&s| s == starts[0]), "{starts:?}");
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    // Each delta point starts where the previous one ended, and they add up.
    assert_eq!(deltas, [1, 2, 3, 4]);
    assert_eq!(histogram_counts, [1, 1, 1, 1]);
    assert_eq!(&delta_starts[1..], &delta_times[..3]);
}

#[test]
fn retries_lose_nothing_and_count_nothing_twice() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let jobs = registry.counter("jobs").unwrap();
    let mut delta =
        Env::from_vars(&[("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")])
            .builder_to(&receiver.endpoint())
            .timeout(Duration::from_millis(800))
            .build(&registry)
            .unwrap();
    // Report 1: refused twice with retryable statuses, then taken.
    receiver
        .answer(json!([{"status": 503, "retry_after": "1"}, {"status": 429}]))
        .unwrap();
    jobs.inc(5);
    delta.report(&registry.snapshot()).unwrap();
    // Report 2: no answer in time (the receiver hangs), then a 502 on the
    // retry: undelivered, so its count waits for the next report.
    receiver
        .answer(json!([{"status": 504, "hang": 1.5}, {"status": 502}, {"status": 502}]))
        .unwrap();
    jobs.inc(7);
    assert!(delta.report(&registry.snapshot()).is_err());
    // Report 3: taken; it carries report 2's count too.
    jobs.inc(11);
    delta.report(&registry.snapshot()).unwrap();
    // Report 4: 400 is never retried.
    receiver
        .answer(json!([{"status": 400, "message": "bad data"}]))
        .unwrap();
    jobs.inc(1);
    assert!(delta.report(&registry.snapshot()).is_err());

    let exports = receiver.wait_exports(6, WAIT).unwrap();
    let statuses: Vec<u16> = exports.iter().map(|e| e.status).collect();
    assert_eq!(statuses[..3], [503, 429, 200]);
    assert_eq!(statuses.last(), Some(&400));
    assert_eq!(
        statuses.iter().filter(|&&s| s == 400).count(),
        1,
        "{statuses:?}"
    );
    let taken: i64 = exports
        .iter()
        .filter(|e| e.status == 200)
        .map(|e| int(&metrics(e)["jobs"]["sum"]["data_points"][0]["as_int"]))
        .sum();
    assert_eq!(taken, 5 + 7 + 11, "{statuses:?}");
    assert!(own_count(&registry, "otlp", "retries") >= 3);
    let refused = exports.last().unwrap();
    assert_eq!(
        own_count(&registry, "otlp", "dropped-refused"),
        points(refused)
    );
}

#[test]
fn the_retry_waits_for_retry_after() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    registry.counter("jobs").unwrap().inc(1);
    let mut reporter = reporter(&receiver, &registry, &[]);
    receiver
        .answer(json!([{"status": 503, "retry_after": "1"}]))
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    let exports = receiver.wait_exports(2, WAIT).unwrap();
    let at: Vec<f64> = exports.iter().map(|e| e.received_at).collect();
    assert!(at[1] - at[0] >= 0.95, "retried after {} s", at[1] - at[0]);
}

#[test]
fn a_partial_success_is_counted_not_retried() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    for name in ["a", "b", "c"] {
        registry.counter(name).unwrap().inc(1);
    }
    let mut reporter = reporter(&receiver, &registry, &[]);
    receiver
        .answer(json!([{"rejected": 2, "message": "names too long"}]))
        .unwrap();
    let error = reporter.report(&registry.snapshot()).unwrap_err();
    assert!(error.to_string().contains("names too long"), "{error}");
    let exports = receiver.exports().unwrap();
    assert_eq!(exports.len(), 1, "never retried");
    assert_eq!(own_count(&registry, "otlp", "dropped-refused"), 2);
    assert_eq!(
        own_count(&registry, "otlp", "sent-points"),
        points(&exports[0]) - 2
    );
}

#[test]
fn hostile_names_and_label_values_arrive_unchanged() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let mut expected = Vec::new();
    for (i, piece) in HOSTILE_PIECES.iter().enumerate() {
        let key = MetricKey::new(format!("n{i}{piece}"))
            .with_label(format!("k{piece}"), format!("{piece}v"))
            .with_label("only", *piece);
        registry.counter(key.clone()).unwrap().inc(i as u64 + 1);
        expected.push(key);
    }
    let mut reporter = reporter(&receiver, &registry, &[]);
    reporter.report(&registry.snapshot()).unwrap();
    let exports = receiver.wait_exports(1, WAIT).unwrap();
    let m = metrics(&exports[0]);
    for (i, key) in expected.iter().enumerate() {
        let metric = m
            .get(key.name())
            .unwrap_or_else(|| panic!("{:?} missing", key.name()));
        let point = &metric["sum"]["data_points"][0];
        assert_eq!(int(&point["as_int"]), i as i64 + 1);
        let mut want: Vec<(String, String)> = key
            .labels()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut got = attributes(point);
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn gzip_and_headers_come_from_the_variables() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    registry.counter("jobs").unwrap().inc(9);
    let mut reporter = reporter(
        &receiver,
        &registry,
        &[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret,tenant=t1"),
            ("OTEL_SERVICE_NAME", "orders"),
        ],
    );
    reporter.report(&registry.snapshot()).unwrap();
    let exports = receiver.wait_exports(1, WAIT).unwrap();
    let export = &exports[0];
    assert_eq!(export.headers["content-encoding"], "gzip");
    assert_eq!(export.headers["api-key"], "s=cret");
    assert_eq!(export.headers["tenant"], "t1");
    let m = metrics(export);
    assert_eq!(int(&m["jobs"]["sum"]["data_points"][0]["as_int"]), 9);
    // The program's service name wins over the variable.
    let resource = attributes(&request(export)["resource_metrics"][0]["resource"]);
    assert!(resource.contains(&("service.name".into(), "books".into())));
}

#[test]
fn a_dead_or_hanging_receiver_costs_failed_reports_not_recording() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let jobs = registry.counter("jobs").unwrap();
    receiver
        .answer(json!([{"status": 503, "hang": 3}, {"status": 503, "hang": 3}, {"status": 503, "hang": 3}]))
        .unwrap();
    let reporter = Env::from_vars(&[])
        .builder_to(&receiver.endpoint())
        .timeout(Duration::from_millis(200))
        .start(&registry, Duration::from_millis(50))
        .unwrap();
    // Recording goes on while reports time out.
    let recorded = std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..1_000_000 {
                jobs.inc(1);
            }
        });
        1_000_000
    });
    reporter.stop();
    assert_eq!(jobs.count(), recorded);
    assert!(own_count(&registry, "otlp", "send-failures") >= 1);
    assert!(own_count(&registry, "otlp", "failures") >= 1);
    // A receiver that is gone: each report fails fast and is counted.
    let dead = format!("http://{}/v1/metrics", receiver.addr());
    drop(receiver);
    let mut reporter = Env::from_vars(&[])
        .builder_to(&dead)
        .timeout(Duration::from_millis(300))
        .build(&registry)
        .unwrap();
    assert!(reporter.report(&registry.snapshot()).is_err());
}

#[test]
fn exemplars_arrive_on_counter_and_histogram_points_with_their_trace() {
    let receiver = OtlpReceiver::start().unwrap();
    let registry = Registry::new();
    let trace = tachymeter_core::Trace::new([0xab; 16], [0xcd; 8]);
    registry
        .timer("latency")
        .unwrap()
        .update_with_exemplar(Duration::from_millis(250), trace);
    registry
        .counter("errors")
        .unwrap()
        .inc_with_exemplar(2, trace.with_label("tenant", "acme").unwrap());
    registry.counter("plain").unwrap().inc(1);
    let mut reporter = reporter(&receiver, &registry, &[]);
    reporter.report(&registry.snapshot()).unwrap();
    let exports = receiver.wait_exports(1, WAIT).unwrap();
    let m = metrics(&exports[0]);
    // Bytes arrive base64-encoded in the decoded JSON.
    let (trace_b64, span_b64) = ("q6urq6urq6urq6urq6urqw==", "zc3Nzc3Nzc0=");
    let e = &m["latency"]["exponential_histogram"]["data_points"][0]["exemplars"][0];
    assert_eq!(
        (e["trace_id"].as_str(), e["span_id"].as_str()),
        (Some(trace_b64), Some(span_b64))
    );
    assert_eq!(e["as_double"], 0.25);
    assert!(int(&e["time_unix_nano"]) > 1_600_000_000_000_000_000);
    assert_eq!(e["filtered_attributes"], Value::Null);
    let e = &m["errors"]["sum"]["data_points"][0]["exemplars"][0];
    assert_eq!(
        (e["trace_id"].as_str(), int(&e["as_int"])),
        (Some(trace_b64), 2)
    );
    // The exemplar's own labels, as filtered attributes.
    let own = &e["filtered_attributes"][0];
    assert_eq!(
        (own["key"].as_str(), own["value"]["string_value"].as_str()),
        (Some("tenant"), Some("acme"))
    );
    assert_eq!(
        m["plain"]["sum"]["data_points"][0]["exemplars"],
        Value::Null
    );
}
