//! Expositions checked by structure (every series once, one TYPE per
//! family, contiguous families, histogram buckets cumulative) and by the
//! real `promtool check metrics`, with hostile names and values.

use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_prometheus::{Buckets, Format, PrometheusExporter};
use tachymeter_testkit::{Promtool, HOSTILE_PIECES};

/// Names and label values that break naive encoders, beside
/// [`HOSTILE_PIECES`]: those the text format gives a meaning to.
const PROMETHEUS_HOSTILE: &[&str] = &[
    "",
    " ",
    "a b",
    "back\\slash",
    "quote\"d",
    "new\nline",
    "carriage\rreturn",
    "tab\tbed",
    "#hash",
    "{brace}",
    "}",
    "=",
    ",",
    "line\u{2028}separator",
    "emoji 😀",
    "ünïcödé",
    "9starts_with_digit",
    "__reserved",
    "le",
    "quantile",
    "code",
    "x_total",
    "x_count",
    "x",
    "a.b",
    "a-b",
    "a_b",
    "a:b",
];

fn hostile_registry() -> Registry {
    let registry = Registry::new();
    let hostile = [PROMETHEUS_HOSTILE, HOSTILE_PIECES].concat();
    for (i, name) in hostile.iter().enumerate() {
        let value = hostile[(i * 7 + 3) % hostile.len()];
        let other = hostile[(i * 5 + 1) % hostile.len()];
        let labelled = |n: &str| {
            MetricKey::new(n)
                .with_label(*name, value)
                .with_label(other, *name)
        };
        // Each hostile string as a name of every kind, and as label names and
        // values; a clash of kinds under one name is refused by the registry,
        // which is fine here.
        if let Ok(c) = registry.counter(format!("c{name}")) {
            c.inc(i as u64);
        }
        if let Ok(c) = registry.counter(labelled("requests")) {
            c.inc(1);
        }
        if let Ok(g) = registry.gauge_f64(labelled("level")) {
            g.update([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e300][i % 5]);
        }
        if let Ok(t) = registry.timer(labelled("latency")) {
            t.update(Duration::from_micros(i as u64 * 37 + 1));
        }
        let _ = registry.gauge(*name);
        let _ = registry.timer(format!("t{name}"));
        if let Ok(h) = registry.histogram(format!("{name}h")) {
            h.update(i as u64 * 1000);
        }
        let _ = registry.meter(format!("m{name}"));
    }
    // A decremented counter (exported as a gauge) and status counters.
    let down = registry.counter("down").unwrap();
    down.inc(1);
    down.dec(3);
    for suffix in ["1xx", "2xx", "3xx", "4xx", "5xx", "other"] {
        registry
            .counter(MetricKey::new(format!("get-book-{suffix}")).with_label("code", "mine"))
            .unwrap()
            .inc(2);
    }
    registry
}

/// Checks what promtool does not: each series once, each family's TYPE
/// once and before its samples, families contiguous, counters not negative,
/// histogram buckets cumulative and ending in `+Inf` equal to `_count`.
fn check_structure(text: &str, format: Format) {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut series = HashSet::new();
    let mut last_bucket: HashMap<String, (f64, f64)> = HashMap::new();
    assert!(text.ends_with('\n'), "no final line feed");
    let lines: Vec<&str> = text.lines().collect();
    if format == Format::OpenMetrics {
        assert_eq!(lines.last(), Some(&"# EOF"), "OpenMetrics ends with # EOF");
    }
    for line in lines {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                types.insert(name.into(), kind.into()).is_none(),
                "second TYPE for {name}"
            );
            if let Some(previous) = current.replace(name.into()) {
                finished.insert(previous);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (id, value) = line.rsplit_once(' ').unwrap();
        let sample = id.split('{').next().unwrap();
        let family = current.clone().expect("a sample before any TYPE");
        assert!(
            sample.starts_with(&family),
            "sample {sample} outside its family {family}"
        );
        assert!(!finished.contains(&family));
        assert!(series.insert(id.to_string()), "duplicate series {id}");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let kind = &types[&family];
        if kind == "counter" {
            assert!(value >= 0.0, "negative counter: {line}");
        }
        if sample.ends_with("_bucket") {
            let le_at = id.rfind("le=\"").unwrap() + 4;
            let le = &id[le_at..le_at + id[le_at..].find('"').unwrap()];
            let le: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            let key = id[..le_at].to_string();
            if let Some((prev_le, prev_count)) = last_bucket.get(&key) {
                assert!(
                    le > *prev_le && value >= *prev_count,
                    "buckets not cumulative: {line}"
                );
            }
            last_bucket.insert(key, (le, value));
        }
        if sample.ends_with("_count") && kind == "histogram" {
            let inf = last_bucket
                .iter()
                .filter(|(k, (le, _))| {
                    le.is_infinite() && k.starts_with(&format!("{family}_bucket"))
                })
                .any(|(_, (_, c))| *c == value);
            assert!(inf, "no +Inf bucket equal to {line}");
        }
    }
}

/// promtool's lint complaints that hostile names are expected to raise.
const ALLOWED_LINTS: &[&str] = &[
    "no help text",
    "should not contain abbreviated units",
    "counter metrics should have \"_total\" suffix",
    "should have \"_total\" suffix",
    "metric names should be written in 'snake_case' not 'camelCase'",
    "non-histogram and non-summary metrics should not have",
    "should not have \"_total\" suffix",
];

fn promtool_accepts(text: &str) {
    let outcome = Promtool::check_metrics(text).expect("promtool runs");
    assert!(
        outcome.code == 0 || outcome.code == 3,
        "promtool rejected the exposition (exit {}):\n{}\n{text}",
        outcome.code,
        outcome.stderr
    );
    for complaint in outcome.stderr.lines() {
        assert!(
            ALLOWED_LINTS.iter().any(|a| complaint.contains(a)),
            "unexpected lint: {complaint}"
        );
    }
}

#[test]
fn hostile_names_and_values_give_valid_expositions_in_every_mode() {
    let registry = hostile_registry();
    let exporters = [
        PrometheusExporter::new(&registry),
        PrometheusExporter::builder(&registry)
            .buckets(Buckets::Decades)
            .build(),
        PrometheusExporter::builder(&registry)
            .buckets(Buckets::Explicit(vec![0.001, f64::NAN, 0.0001, 1.0, 0.001]))
            .fold_status_counters(false)
            .build(),
    ];
    for exporter in &exporters {
        for format in [Format::Text, Format::OpenMetrics] {
            let text = exporter.render(format);
            check_structure(&text, format);
            // promtool reads the text format; OpenMetrics goes to a real
            // Prometheus in the scrape test.
            if format == Format::Text {
                promtool_accepts(&text);
            }
        }
    }
}

#[test]
fn names_stay_the_same_from_one_render_to_the_next() {
    let registry = Registry::new();
    registry.counter("a.b").unwrap().inc(1);
    let exporter = PrometheusExporter::new(&registry);
    let first = exporter.render(Format::Text);
    // A new metric that sanitises to the same name takes the next free one,
    // and the first keeps its own.
    registry.counter("a-b").unwrap().inc(1);
    let second = exporter.render(Format::Text);
    assert!(first.contains("\na_b_total 1\n"), "{first}");
    assert!(second.contains("\na_b_total 1\n") && second.contains("\na_b_2_total 1\n"));
    // Neither is described: no HELP, never the name again.
    assert!(!second.contains("# HELP"), "{second}");
}

#[test]
fn the_exposition_for_each_kind() {
    let clock = std::sync::Arc::new(tachymeter_core::ManualClock::new());
    let registry = Registry::builder().clock(clock).build();
    registry.describe("jobs.done", "Jobs finished", None);
    registry.counter("jobs.done").unwrap().inc(42);
    registry.functional_counter("cpu.seconds", || 1.5).unwrap();
    registry.gauge("queue-depth").unwrap().update(-3);
    registry.meter("events").unwrap().mark(7);
    let t = registry
        .timer(MetricKey::new("get-book").with_label("route", "/books/{id}"))
        .unwrap();
    t.update(Duration::from_millis(2));
    t.update(Duration::from_millis(4));
    for (suffix, n) in [
        ("1xx", 0),
        ("2xx", 5),
        ("3xx", 0),
        ("4xx", 1),
        ("5xx", 0),
        ("other", 0),
    ] {
        registry
            .counter(format!("get-book-{suffix}"))
            .unwrap()
            .inc(n);
    }
    let exporter = PrometheusExporter::new(&registry);
    let expected = "\
# TYPE cpu_seconds_total counter
cpu_seconds_total 1.5
# TYPE events_total counter
events_total 7
# HELP get_book_responses_total get-book responses by status class
# TYPE get_book_responses_total counter
get_book_responses_total{code=\"1xx\"} 0
get_book_responses_total{code=\"2xx\"} 5
get_book_responses_total{code=\"3xx\"} 0
get_book_responses_total{code=\"4xx\"} 1
get_book_responses_total{code=\"5xx\"} 0
get_book_responses_total{code=\"other\"} 0
# TYPE get_book_seconds histogram
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.005\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.01\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.025\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.05\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.075\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.1\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.25\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.5\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"0.75\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"1.0\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"2.5\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"5.0\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"7.5\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"10.0\"} 2
get_book_seconds_bucket{route=\"/books/{id}\",le=\"+Inf\"} 2
get_book_seconds_sum{route=\"/books/{id}\"} 0.006
get_book_seconds_count{route=\"/books/{id}\"} 2
# HELP jobs_done_total Jobs finished
# TYPE jobs_done_total counter
jobs_done_total 42
# TYPE queue_depth gauge
queue_depth -3
";
    assert_eq!(exporter.render(Format::Text), expected);
    // Summaries, when asked for: the quantiles of the recent window.
    let summaries = PrometheusExporter::builder(&registry)
        .quantiles(&[0.5, 0.99])
        .summaries()
        .build()
        .render(Format::Text);
    assert!(
        summaries.contains(
            "\
# TYPE get_book_seconds summary
get_book_seconds{route=\"/books/{id}\",quantile=\"0.5\"} 0.0020070395
get_book_seconds{route=\"/books/{id}\",quantile=\"0.99\"} 0.004
get_book_seconds_sum{route=\"/books/{id}\"} 0.006
get_book_seconds_count{route=\"/books/{id}\"} 2
"
        ),
        "{summaries}"
    );
    let om = exporter.render(Format::OpenMetrics);
    assert!(
        om.contains("# TYPE jobs_done counter\njobs_done_total 42\n"),
        "{om}"
    );
    assert!(om.contains("# TYPE get_book_seconds histogram\n# UNIT get_book_seconds seconds\n"));
    assert!(om.ends_with("queue_depth -3\n# EOF\n"));
}

#[test]
fn histogram_buckets_count_only_values_at_or_below_each_bound() {
    let registry = Registry::new();
    let h = registry.histogram("sizes").unwrap();
    for v in [1u64, 10, 10, 100, 1000] {
        h.update(v);
    }
    let exporter = PrometheusExporter::builder(&registry)
        .buckets(Buckets::Explicit(vec![10.0, 100.0, 500.0]))
        .build();
    let text = exporter.render(Format::Text);
    for line in [
        "sizes_bucket{le=\"10.0\"} 3",
        "sizes_bucket{le=\"100.0\"} 4",
        "sizes_bucket{le=\"500.0\"} 4",
        "sizes_bucket{le=\"+Inf\"} 5",
        "sizes_sum 1121.0",
        "sizes_count 5",
    ] {
        assert!(text.contains(&format!("{line}\n")), "no {line} in\n{text}");
    }
}

#[test]
fn encoding_another_snapshot_never_disturbs_rendering() {
    let registry = Registry::new();
    for i in 0..70 {
        registry.counter(format!("c{i}")).unwrap().inc(1);
    }
    let exporter = PrometheusExporter::new(&registry);
    let before = exporter.render(Format::Text);
    let other = Registry::new();
    other.gauge("c1").unwrap().update(5);
    let encoded = exporter.encode(&other.snapshot(), Format::Text);
    assert!(encoded.contains("\nc1 5\n"), "{encoded}");
    assert_eq!(exporter.render(Format::Text), before);
}

#[test]
fn status_counters_fold_from_the_first_scrape_and_never_take_a_users_name() {
    let registry = Registry::new();
    // What CountedByStatus registers before the first request.
    registry.counter("api-other").unwrap();
    registry.counter("api_responses").unwrap().inc(9);
    for suffix in ["1xx", "2xx", "3xx", "4xx", "5xx"] {
        registry.counter(format!("api-{suffix}")).unwrap();
    }
    let exporter = PrometheusExporter::new(&registry);
    let first = exporter.render(Format::Text);
    assert!(first.contains("\napi_responses_total 9\n"), "{first}");
    assert!(
        first.contains("api_responses_2_total{code=\"other\"} 0\n"),
        "{first}"
    );
    registry.counter("api-404").unwrap().inc(1);
    let second = exporter.render(Format::Text);
    assert!(
        second.contains("api_responses_by_code_total{code=\"404\"} 1\n"),
        "{second}"
    );
    assert!(
        second.contains("api_responses_2_total{code=\"other\"} 0\n"),
        "{second}"
    );
}

#[test]
fn the_structure_check_can_fail() {
    for bad in [
        "# TYPE a counter\na_total 1\na_total 1\n",
        "# TYPE a counter\na_total -1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n",
        "# TYPE a gauge\na 1\n# TYPE a gauge\na 2\n",
    ] {
        let caught = std::panic::catch_unwind(|| check_structure(bad, Format::Text));
        assert!(caught.is_err(), "accepted:\n{bad}");
    }
}

#[test]
fn a_name_that_is_already_valid_keeps_it() {
    let registry = Registry::new();
    registry.counter("a.b").unwrap().inc(1);
    registry.counter("a_b").unwrap().inc(2);
    let text = PrometheusExporter::new(&registry).render(Format::Text);
    assert!(text.contains("\na_b_total 2\n"), "{text}");
    assert!(text.contains("\na_b_2_total 1\n"), "{text}");
}

#[test]
fn descriptions_give_help_and_units_give_unit_and_suffix() {
    use tachymeter_core::Unit;
    let registry = Registry::new();
    registry.describe(
        "upload",
        "Size of each \"upload\"\nin bytes",
        Some(Unit::Bytes),
    );
    registry.describe("queue.depth", "Jobs waiting", None);
    registry.describe("sent", "Bytes sent", Some(Unit::Bytes));
    registry.describe("get-book", "Time to answer", Some(Unit::Bytes)); // timers stay seconds
    registry.histogram("upload").unwrap().update(2_048);
    registry.gauge("queue.depth").unwrap().update(3);
    registry.counter("sent").unwrap().inc(10);
    registry
        .timer("get-book")
        .unwrap()
        .update(std::time::Duration::from_millis(3));
    let exporter = PrometheusExporter::new(&registry);
    let text = exporter.render(Format::Text);
    for line in [
        "# HELP upload_bytes Size of each \"upload\"\\nin bytes\n",
        "# HELP queue_depth Jobs waiting\n",
        "# HELP sent_bytes_total Bytes sent\n",
        "sent_bytes_total 10\n",
        "# HELP get_book_seconds Time to answer\n",
        "upload_bytes_count 1\n",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
    let om = exporter.render(Format::OpenMetrics);
    for line in [
        "# UNIT upload_bytes bytes\n",
        "# UNIT sent_bytes bytes\n",
        "# UNIT get_book_seconds seconds\n",
        "# HELP upload_bytes Size of each \\\"upload\\\"\\nin bytes\n",
    ] {
        assert!(om.contains(line), "no {line:?} in\n{om}");
    }
    assert!(!om.contains("# UNIT queue_depth"), "{om}");
    promtool_accepts(&text);
    check_structure(&text, Format::Text);
    check_structure(&om, Format::OpenMetrics);
    // A description given later changes HELP at the next render, never a
    // name already exported.
    registry.describe("queue.depth", "Jobs not yet started", Some(Unit::Items));
    let text = exporter.render(Format::Text);
    assert!(
        text.contains("# HELP queue_depth Jobs not yet started\n"),
        "{text}"
    );
    assert!(text.contains("\nqueue_depth 3\n"), "{text}");
}

#[test]
fn opentelemetry_http_names_read_as_prometheus_names() {
    // What `RouteMetricsLayer::semantic_conventions` registers.
    let registry = Registry::new();
    registry
        .timer(
            MetricKey::new("http.server.request.duration")
                .with_label("http.request.method", "GET")
                .with_label("http.route", "/books/{id}")
                .with_label("http.response.status_code", "200")
                .with_label("url.scheme", "http"),
        )
        .unwrap()
        .update(Duration::from_millis(3));
    registry
        .gauge(
            MetricKey::new("http.server.active_requests")
                .with_label("http.request.method", "GET")
                .with_label("url.scheme", "http"),
        )
        .unwrap();
    let text = PrometheusExporter::new(&registry).render(Format::Text);
    assert!(
        text.contains(
            "http_server_request_duration_seconds_count{http_request_method=\"GET\",\
             http_response_status_code=\"200\",http_route=\"/books/{id}\",url_scheme=\"http\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "http_server_active_requests{http_request_method=\"GET\",url_scheme=\"http\"} 0\n"
        ),
        "{text}"
    );
    promtool_accepts(&text);
}

#[test]
fn exemplars_go_on_openmetrics_bucket_and_total_lines_only() {
    let registry = Registry::new();
    let trace = tachymeter_core::Trace::from_traceparent(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    )
    .unwrap();
    let timer = registry.timer("get-book").unwrap();
    timer.update_with_exemplar(Duration::from_millis(30), trace);
    timer.update(Duration::from_millis(3));
    registry
        .counter("orders")
        .unwrap()
        .inc_with_exemplar(1, trace);
    let labelled = trace.with_label("tenant", "acme").unwrap();
    registry
        .counter("refunds")
        .unwrap()
        .inc_with_exemplar(2, labelled);
    let exporter = PrometheusExporter::new(&registry);
    let om = exporter.render(Format::OpenMetrics);
    let with = |line: &str| {
        om.lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("no {line} in\n{om}"))
            .to_string()
    };
    let ids = "{trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"}";
    // 30 ms lies in (0.025, 0.05]: that bucket alone carries it.
    assert!(
        with("get_book_seconds_bucket{le=\"0.05\"} 2 # ").starts_with(&format!(
            "get_book_seconds_bucket{{le=\"0.05\"}} 2 # {ids} 0.03 "
        )),
        "{om}"
    );
    assert_eq!(
        with("get_book_seconds_bucket{le=\"0.025\"}"),
        "get_book_seconds_bucket{le=\"0.025\"} 1"
    );
    assert_eq!(
        with("get_book_seconds_bucket{le=\"+Inf\"}"),
        "get_book_seconds_bucket{le=\"+Inf\"} 2"
    );
    assert!(with("orders_total 1 # ").starts_with(&format!("orders_total 1 # {ids} 1.0 ")));
    // An exemplar's own labels follow the ids.
    let own = ids.replace('}', ",tenant=\"acme\"}");
    assert!(with("refunds_total 2 # ").starts_with(&format!("refunds_total 2 # {own} 2.0 ")));
    // The exemplar's time, in seconds.
    let stamp: f64 = with("orders_total")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(stamp > 1.6e9, "{stamp}");
    // The text format has no place for them.
    assert!(!exporter.render(Format::Text).contains("trace_id"));
}
