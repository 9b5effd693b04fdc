//! A server that accepts connections and never answers: reports end within
//! their bound, `stop()` returns, and the buffer stays within its capacity.

mod common;

use common::buffered;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_influxdb::Endpoint;
use tachymeter_testkit::own_count;
use tachymeter_testkit::BlackHole;

#[test]
fn a_black_hole_never_holds_the_reporter() {
    let hole = BlackHole::start().unwrap();
    let registry = Registry::new();
    for i in 0..5 {
        registry.counter(format!("c{i}")).unwrap().inc(1);
    }
    let capacity = 8;
    // `report_now` and `stop` wait up to twice the timeout plus a second:
    // the bound a report must end within.
    let reporter = Endpoint::v1(&format!("http://{}", hole.addr()), "db")
        .builder()
        .map_transport(|t| t.buffer(capacity))
        .timeout(Duration::from_millis(300))
        .name("hole")
        .start(&registry, Duration::from_secs(3600))
        .unwrap();
    let points = registry.len();
    assert!(points > capacity);
    for report in 1..=3 {
        assert!(reporter.report_now(), "report {report} ended in time");
        assert_eq!(buffered(&registry, "hole"), capacity as i64);
        assert_eq!(
            own_count(&registry, "hole", "dropped-overflow"),
            (report * points - capacity) as i64
        );
    }
    assert!(own_count(&registry, "hole", "send-failures") >= 3);
    assert_eq!(own_count(&registry, "hole", "sent-points"), 0);
    assert!(hole.accepted() > 0, "it did connect");

    let outcome = reporter.stop();
    assert!(
        outcome.final_report_sent,
        "stop() waited for a bounded report"
    );
    assert_eq!(outcome.failures, 4);
    assert_eq!(outcome.reports, 0);
}
