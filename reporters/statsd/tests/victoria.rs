//! A second judge: DogStatsD tags go through the daemon's Graphite output
//! into VictoriaMetrics as labels, with the values recorded.

use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_report::Report;
use tachymeter_testkit::{Statsd, StatsdOptions, VictoriaMetrics};

#[test]
fn tags_arrive_as_labels_with_their_values() {
    let victoria = VictoriaMetrics::start().unwrap();
    let statsd = Statsd::start_with(
        StatsdOptions::new()
            .flush_interval(Duration::from_millis(500))
            .graphite(victoria.graphite_addr()),
    )
    .unwrap();
    let registry = Registry::new();
    let route = |r: &str| MetricKey::new("req").with_label("route", r);
    registry.counter(route("/books/{id}")).unwrap().inc(7);
    registry.counter(route("/authors")).unwrap().inc(3);
    registry.gauge("queue").unwrap().update(-12);
    let timer = registry.timer("lat").unwrap();
    for ms in [2, 4, 6] {
        timer.update(Duration::from_millis(ms));
    }
    let mut reporter = tachymeter_statsd::builder(statsd.udp_addr().to_string())
        .map_encoder(|e| e.prefix("v").dogstatsd_tags(true).tag("env", "prod eu"))
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();

    let wait = Duration::from_secs(20);
    let expected = [
        (
            r#"{__name__="stats.counters.v.req.count",route="_books__id_"}"#,
            7.0,
        ),
        (
            r#"{__name__="stats.counters.v.req.count",route="_authors"}"#,
            3.0,
        ),
        (r#"{__name__="stats.gauges.v.queue"}"#, -12.0),
        (r#"{__name__="stats.timers.v.lat.count"}"#, 3.0),
    ];
    for (matcher, want) in expected {
        let series = victoria
            .wait_for_export(
                matcher,
                |series| {
                    series.iter().any(|s| {
                        s["values"]
                            .as_array()
                            .is_some_and(|v| v.iter().any(|v| v.as_f64() == Some(want)))
                    })
                },
                wait,
            )
            .unwrap();
        assert_eq!(series.len(), 1, "{series:?}");
        assert_eq!(series[0]["metric"]["env"], "prod_eu", "{series:?}");
    }
    // Only the series sent: two routes of one counter, nothing injected.
    let all = victoria
        .export(r#"{__name__=~"stats[.](counters|gauges|timers)[.]v[.].*"}"#)
        .unwrap();
    let mut names: Vec<String> = all
        .iter()
        .map(|s| s["metric"]["__name__"].as_str().unwrap_or("").to_string())
        .filter(|n| !n.contains(".v.reporter."))
        .collect();
    names.sort();
    names.dedup();
    let timers = names
        .iter()
        .filter(|n| n.starts_with("stats.timers.v.lat."))
        .count();
    assert!(timers >= 10, "{names:?}");
    names.retain(|n| !n.starts_with("stats.timers.v.lat."));
    assert_eq!(
        names,
        [
            "stats.counters.v.req.count",
            "stats.counters.v.req.rate",
            "stats.gauges.v.queue"
        ]
    );
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);
}
