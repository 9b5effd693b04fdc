//! What goes on the wire, and what the reporter makes of an answer: the
//! request line, authentication and body, read by a plain TCP listener
//! that never answers (so each report times out) or gives one canned
//! answer.

mod common;

use common::WAIT;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_influxdb::{Endpoint, Precision};
use tachymeter_report::Report;
use tachymeter_testkit::own_count;
use tachymeter_testkit::LineSink;

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
    let mut reporter = Endpoint::v2(&format!("http://{}", sink.addr()), "ac me", "b/1", "s3cr3t")
        .precision(Precision::Microseconds)
        .builder()
        .timeout(Duration::from_millis(200))
        .build(&registry)
        .unwrap();
    let err = reporter.report(&registry.snapshot()).unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    wait_for(
        &sink,
        "POST /api/v2/write?org=ac%20me&bucket=b%2F1&precision=us HTTP/1.1",
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
    let mut reporter = Endpoint::v1(&format!("http://{}", sink.addr()), "db")
        .credentials("user", "pa:ss")
        .builder()
        .timeout(Duration::from_millis(200))
        .build(&registry)
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap_err();
    wait_for(&sink, "POST /write?db=db&precision=ms HTTP/1.1");
    // base64("user:pa:ss")
    wait_for(&sink, "authorization: Basic dXNlcjpwYTpzcw==");
}

/// Answers one request with `400` and `body`, after reading it whole;
/// gives back the lines of the request's body.
fn answer_once(body: &'static str) -> (String, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(n) = header.strip_prefix("content-length:") {
                length = n.trim().parse().unwrap();
            }
        }
        let mut request = vec![0; length];
        reader.read_exact(&mut request).unwrap();
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
        String::from_utf8(request)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    });
    (url, server)
}

#[test]
fn unparsed_lines_of_a_partial_write_are_not_counted_as_sent() {
    // InfluxDB 1.x stores the lines it can parse and says `dropped=0`,
    // naming each line it could not.
    let (url, server) = answer_once(
        r#"{"error":"partial write: unable to parse 'a count=1i 1': bad timestamp\nunable to parse 'b count=2i 1': bad timestamp dropped=0"}"#,
    );
    let registry = Registry::new();
    registry.counter("a").unwrap().inc(1);
    registry.counter("b").unwrap().inc(2);
    registry.counter("c").unwrap().inc(3);
    let mut reporter = Endpoint::v1(&url, "db")
        .builder()
        .timeout(WAIT)
        .build(&registry)
        .unwrap();
    let points = registry.len() as i64;
    let err = reporter.report(&registry.snapshot()).unwrap_err();
    assert!(err.to_string().contains("refused 2 points"), "{err}");
    let sent = server.join().unwrap();
    assert_eq!(sent.len() as i64, points);
    assert_eq!(own_count(&registry, "influxdb", "dropped-refused"), 2);
    assert_eq!(own_count(&registry, "influxdb", "sent-points"), points - 2);
    assert_eq!(reporter.transport().buffered(), 0);
}
