//! What goes on the wire: the request line, authentication and body, read
//! by a plain TCP listener that never answers (so each report times out).

mod common;

use common::WAIT;
use metrics_core::Registry;
use metrics_influxdb::{InfluxReporter, Precision};
use metrics_report::Report;
use metrics_testkit::LineSink;
use std::time::Duration;

fn wait_for(sink: &LineSink, wanted: &str) -> String {
    let wanted = wanted.to_ascii_lowercase();
    sink.wait_for_line(|l| l.to_ascii_lowercase().starts_with(&wanted), WAIT)
        .unwrap()
}

#[test]
fn v2_sends_the_token_org_bucket_and_precision() {
    let sink = LineSink::start().unwrap();
    let registry = Registry::new();
    registry.counter("jobs").unwrap().inc(5);
    let mut reporter =
        InfluxReporter::v2(&format!("http://{}", sink.addr()), "ac me", "b/1", "s3cr3t")
            .precision(Precision::Microseconds)
            .timeout(Duration::from_millis(200))
            .build(&registry)
            .unwrap();
    let err = reporter.report(&registry.snapshot()).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    wait_for(
        &sink,
        "POST /api/v2/write?org=ac+me&bucket=b%2F1&precision=us HTTP/1.1",
    );
    wait_for(&sink, "authorization: Token s3cr3t");
    wait_for(&sink, "content-type: text/plain; charset=utf-8");
    let line = wait_for(&sink, "jobs count=5i ");
    let timestamp: i64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(timestamp > 1_600_000_000_000_000, "microseconds: {line}");
}

#[test]
fn v1_sends_basic_credentials() {
    let sink = LineSink::start().unwrap();
    let registry = Registry::new();
    let mut reporter = InfluxReporter::v1(&format!("http://{}", sink.addr()), "db")
        .credentials("user", "pa:ss")
        .timeout(Duration::from_millis(200))
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap_err();
    wait_for(&sink, "POST /write?db=db&precision=ms HTTP/1.1");
    // base64("user:pa:ss")
    wait_for(&sink, "authorization: Basic dXNlcjpwYTpzcw==");
}
