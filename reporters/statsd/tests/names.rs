//! Hostile names and label values: nothing breaks a line, nothing is
//! injected, the daemon stores exactly the documented names, and datagrams
//! stay within the limit.

mod support;

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::time::Duration;
use support::*;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_report::Report;
use tachymeter_testkit::{own_count, HOSTILE_PIECES};

/// The documented cleaning, written again: `[A-Za-z0-9_.-]` stays (dots
/// only where allowed), anything else is `_`.
fn clean(text: &str, dots: bool) -> String {
    text.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' => c,
            '.' if dots => c,
            _ => '_',
        })
        .collect()
}

/// Series and the value recorded in each.
type Recorded = Vec<(MetricKey, i64)>;

/// Series with hostile names and labels, recorded into `registry`; returns
/// the counters and the gauges.
fn record(registry: &Registry) -> (Recorded, Recorded) {
    let mut counters = Vec::new();
    let mut gauges = Vec::new();
    for (i, piece) in HOSTILE_PIECES.iter().enumerate() {
        let i = i as i64;
        let name = MetricKey::new(format!("n{i}{piece}end"));
        registry.counter(name.clone()).unwrap().inc(i as u64 + 1);
        counters.push((name, i + 1));
        let labelled =
            MetricKey::new("lab").with_label(format!("k{i}{piece}"), format!("v{piece}{i}"));
        registry
            .counter(labelled.clone())
            .unwrap()
            .inc(100 + i as u64);
        counters.push((labelled, 100 + i));
        let gauge = MetricKey::new(format!("g{piece}{i}"));
        registry.gauge(gauge.clone()).unwrap().update(-i - 1);
        gauges.push((gauge, -i - 1));
    }
    // Long, but fits a datagram; and far too long for one.
    let long = MetricKey::new(format!("long{}", "é".repeat(600)));
    registry.counter(long.clone()).unwrap().inc(7);
    counters.push((long, 7));
    registry
        .counter(format!("huge{}", "x".repeat(5000)))
        .unwrap()
        .inc(1);
    (counters, gauges)
}

/// A metric name cleaned, its empty segments dropped (`_` if none is left).
fn clean_name(name: &str) -> String {
    let segments: Vec<String> = name
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| clean(s, false))
        .collect();
    if segments.is_empty() {
        "_".to_string()
    } else {
        segments.join(".")
    }
}

fn plain_name(key: &MetricKey) -> String {
    // The common tag `env` sorts first.
    let mut name = format!("h.{}.env.a_b_c", clean_name(key.name()));
    for (k, v) in key.labels() {
        name.push_str(&format!(".{}.{}", clean(k, false), clean(v, false)));
    }
    name
}

fn tagged_name(key: &MetricKey) -> String {
    // StatsD turns `|#k:v,k2:v2` into `;k=v;k2=v2`; `env` sorts first.
    let mut name = format!("d.{};env=a_b_c", clean_name(key.name()));
    for (k, v) in key.labels() {
        name.push_str(&format!(";{}={}", clean(k, true), clean(v, true)));
    }
    name
}

fn check(prefix: &str, dogstatsd: bool, expect: fn(&MetricKey) -> String) {
    let statsd = daemon();
    let registry = Registry::new();
    let (counters, gauges) = record(&registry);
    let mut reporter = tachymeter_statsd::builder(statsd.udp_addr().to_string())
        .map_encoder(|e| {
            e.prefix(prefix)
                .dogstatsd_tags(dogstatsd)
                .tag("env", "a b,c")
        })
        .build(&registry)
        .unwrap();
    // Only the hostile series: the reporter's own go into the next reports.
    reporter.report(&registry.snapshot()).unwrap();
    flush_marker(&statsd, 1);
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);
    assert_eq!(own_count(&registry, "statsd", "dropped-too-long"), 1);

    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for (key, value) in counters.iter().chain(&gauges) {
        assert!(want.insert(expect(key), *value).is_none(), "{key} collides");
    }
    let seen = names(&statsd, prefix);
    let want_names: Vec<&String> = want.keys().collect();
    assert_eq!(seen.iter().collect::<Vec<_>>(), want_names);
    let path = |kind: &str, name: &str, stat: &str| match name.split_once(';') {
        Some((n, tags)) => format!("stats.{kind}.{n}{stat};{tags}"),
        None => format!("stats.{kind}.{name}{stat}"),
    };
    for (key, value) in &counters {
        let p = path("counters", &expect(key), ".count");
        assert_eq!(sum(&statsd, &p), *value as f64, "{p}");
    }
    for (key, value) in &gauges {
        let p = path("gauges", &expect(key), "");
        assert_eq!(last(&statsd, &p), Some(*value as f64), "{p}");
    }
}

#[test]
fn hostile_names_become_path_segments() {
    check("h", false, plain_name);
}

#[test]
fn hostile_names_become_dogstatsd_tags() {
    check("d", true, tagged_name);
}

/// Asserts `line` is `name:value|type[|@rate]…[|#tags]` with a clean name,
/// and returns how many values it stands for (the sum of `1/rate`).
fn assert_well_formed(line: &str) -> f64 {
    let (body, tags) = match line.split_once("|#") {
        Some((body, tags)) => (body, Some(tags)),
        None => (line, None),
    };
    if let Some(tags) = tags {
        for tag in tags.split(',') {
            let (k, v) = tag.split_once(':').unwrap_or_else(|| panic!("{line:?}"));
            assert_eq!(k, clean(k, true), "{line:?}");
            assert_eq!(v, clean(v, true), "{line:?}");
        }
    }
    let mut fields = body.split(':');
    let name = fields.next().unwrap();
    assert!(!name.is_empty() && name == clean(name, true), "{line:?}");
    let mut values = 0;
    let mut weight = 0.0;
    for field in fields {
        let parts: Vec<&str> = field.split('|').collect();
        assert!(parts[0].parse::<f64>().is_ok(), "{line:?}");
        assert!(["c", "g", "ms"].contains(&parts[1]), "{line:?}");
        let rate: f64 = parts
            .get(2)
            .map_or(1.0, |rate| rate.strip_prefix('@').unwrap().parse().unwrap());
        assert!(rate > 0.0 && rate <= 1.0, "{line:?}");
        weight += 1.0 / rate;
        assert!(parts.len() <= 3, "{line:?}");
        values += 1;
    }
    assert!(values >= 1, "{line:?}");
    weight
}

#[test]
fn datagrams_stay_within_a_tiny_limit() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    for dogstatsd in [false, true] {
        let registry = Registry::new();
        record(&registry);
        let timer = registry
            .timer(MetricKey::new("t|1").with_label("route", "/a b"))
            .unwrap();
        for i in 0..300u64 {
            timer.update(Duration::from_micros(i * 37));
        }
        let mut reporter = tachymeter_statsd::builder(socket.local_addr().unwrap().to_string())
            .map_encoder(|e| e.max_packet_size(100).dogstatsd_tags(dogstatsd))
            .build(&registry)
            .unwrap();
        reporter.report(&registry.snapshot()).unwrap();
        let mut buffer = [0u8; 2048];
        assert_eq!(
            socket.recv(&mut buffer).unwrap(),
            0,
            "the probe comes first"
        );
        // Every datagram was sent before `report` returned: read them all,
        // until none is left.
        socket
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut timer_values = 0.0;
        while let Ok(n) = socket.recv(&mut buffer) {
            assert!(n <= 100, "{n} bytes");
            let text = std::str::from_utf8(&buffer[..n]).unwrap();
            for line in text.split('\n') {
                let weight = assert_well_formed(line);
                if line.starts_with("t_1") {
                    timer_values += weight;
                }
            }
        }
        // 300 values, over the default 256: sent as 150 pairs.
        assert_eq!(timer_values, 300.0);
        // Lines that cannot fit 100 bytes: the 600-character and the huge name.
        assert_eq!(own_count(&registry, "statsd", "dropped-too-long"), 2);
    }
}
