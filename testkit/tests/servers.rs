//! Starts every server for real, writes one point the server's native way,
//! reads it back, and checks the process is gone after the handle is dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tachymeter_testkit::{
    http, BlackHole, Carbon, InfluxDb, Prometheus, Promtool, Pushgateway, Statsd, StatsdOptions,
    VictoriaMetrics,
};

const WAIT: Duration = Duration::from_secs(20);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn assert_gone(pid: u32) {
    let proc_dir = format!("/proc/{pid}");
    assert!(
        !Path::new(&proc_dir).exists(),
        "process {pid} still exists after drop"
    );
}

/// A scrape target serving a fixed text-format body on every path.
struct Target {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Target {
    fn serve(body: &'static str) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => respond(stream, body),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Target {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

fn respond(mut stream: TcpStream, body: &str) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

#[test]
fn prometheus_scrapes_a_target() {
    let target = Target::serve("# TYPE up_test gauge\nup_test 1\n");
    let started = Instant::now();
    let prometheus = Prometheus::start(&target.addr.to_string()).unwrap();
    let pid = prometheus.process().pid();

    let samples = prometheus
        .wait_for("up_test", |s| !s.is_empty(), Duration::from_secs(30))
        .unwrap();
    assert_eq!(samples.len(), 1, "{samples:?}");
    assert_eq!(samples[0].name(), Some("up_test"));
    assert_eq!(samples[0].label("job"), Some("test"));
    assert_eq!(
        samples[0].label("instance"),
        Some(target.addr.to_string().as_str())
    );
    assert_eq!(samples[0].value, 1.0);
    eprintln!("first scrape visible after {:?}", started.elapsed());

    let targets = prometheus.targets().unwrap();
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert_eq!(targets[0].health, "up", "{targets:?}");
    assert_eq!(targets[0].last_error, "");
    assert_eq!(
        targets[0].scrape_url,
        format!("http://{}/metrics", target.addr)
    );

    // Special values come back as floats.
    let special = prometheus.query("vector(+Inf)").unwrap();
    assert_eq!(special[0].value, f64::INFINITY);
    assert!(prometheus.query("vector(NaN)").unwrap()[0].value.is_nan());
    // An invalid expression is an error carrying Prometheus's message.
    let err = prometheus.query("up_test{").unwrap_err().to_string();
    assert!(err.contains("400") && err.contains("parse error"), "{err}");

    drop(prometheus);
    assert_gone(pid);
}

#[test]
fn a_server_that_cannot_start_reports_its_log() {
    // Prometheus rejects this target when loading its configuration.
    let started = Instant::now();
    let err = Prometheus::start("127.0.0.1:1/x").unwrap_err().to_string();
    assert!(err.contains("prometheus exited unexpectedly"), "{err}");
    assert!(err.contains("is not a valid hostname"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
}

#[test]
fn promtool_checks_metrics() {
    let ok =
        Promtool::check_metrics("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n").unwrap();
    assert!(ok.is_ok(), "{ok:?}");

    let parse_error = Promtool::check_metrics("a{b=\"c} 1\n").unwrap();
    assert!(parse_error.is_parse_error(), "{parse_error:?}");
    assert!(!parse_error.stderr.is_empty());

    // A counter without the `_total` suffix is a lint problem.
    let lint = Promtool::check_metrics("# HELP a A.\n# TYPE a counter\na 1\n").unwrap();
    assert!(lint.has_lint_problems(), "{lint:?}");
    assert!(lint.stderr.contains("_total"), "{lint:?}");
}

#[test]
fn pushgateway_keeps_a_pushed_metric() {
    let pushgateway = Pushgateway::start().unwrap();
    let pid = pushgateway.process().pid();
    let url = pushgateway.url("/metrics/job/testkit/instance/i1");

    let response = http::put(
        &url,
        "text/plain; version=0.0.4",
        "# TYPE pushed_value gauge\npushed_value 42\n",
    )
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());

    let text = pushgateway.metrics_text().unwrap();
    assert!(
        text.contains("pushed_value{instance=\"i1\",job=\"testkit\"} 42"),
        "{text}"
    );
    let api = pushgateway.api_metrics().unwrap();
    assert_eq!(api["status"], "success");
    let group = &api["data"][0];
    assert_eq!(group["labels"]["job"], "testkit");
    assert_eq!(group["labels"]["instance"], "i1");
    assert_eq!(group["pushed_value"]["metrics"][0]["value"], "42");

    // A body without the final newline is rejected.
    let bad = http::put(&url, "text/plain", "pushed_value 1").unwrap();
    assert_eq!(bad.status, 400, "{}", bad.text());

    drop(pushgateway);
    assert_gone(pid);
}

#[test]
fn influxdb_stores_a_line() {
    let influx = InfluxDb::start().unwrap();
    let pid = influx.process().pid();
    influx.create_database("testkit").unwrap();
    let ts = now();
    influx
        .write("testkit", "s", &format!("cpu,host=h1 value=0.5 {ts}\n"))
        .unwrap();

    let body = influx
        .query("testkit", "SELECT value, host FROM cpu")
        .unwrap();
    let series = &body["results"][0]["series"][0];
    assert_eq!(series["name"], "cpu", "{body}");
    assert_eq!(
        series["columns"],
        serde_json::json!(["time", "value", "host"])
    );
    assert_eq!(series["values"], serde_json::json!([[ts, 0.5, "h1"]]));

    // Errors in the body and bad writes are errors.
    let err = influx.query("missing", "SELECT * FROM cpu").unwrap_err();
    assert!(err.to_string().contains("database not found"), "{err}");
    let err = influx
        .write("testkit", "s", "not line protocol")
        .unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");

    // Killed and restarted: same port, same data, a new process.
    influx.kill();
    assert_gone(pid);
    assert!(influx.query("testkit", "SELECT value FROM cpu").is_err());
    influx.restart().unwrap();
    let restarted = influx.process().pid();
    assert_ne!(restarted, pid);
    let body = influx
        .query("testkit", "SELECT value, host FROM cpu")
        .unwrap();
    assert_eq!(
        body["results"][0]["series"][0]["values"],
        serde_json::json!([[ts, 0.5, "h1"]])
    );

    drop(influx);
    assert_gone(restarted);
}

#[test]
fn black_hole_accepts_and_never_reads() {
    let hole = BlackHole::start().unwrap();
    let mut stream = TcpStream::connect(hole.addr()).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // A read waits for an answer that never comes.
    stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut buffer = [0u8; 16];
    let err = stream.read(&mut buffer).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    // Writes block once the socket buffers are full: bounded by the timeout.
    let chunk = vec![b'x'; 1 << 16];
    let mut written = 0usize;
    let err = loop {
        match stream.write(&chunk) {
            Ok(n) => written += n,
            Err(e) => break e,
        }
        assert!(written < 1 << 30, "a black hole took 1 GiB");
    };
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    assert_eq!(hole.accepted(), 1);
}

#[test]
fn carbon_stores_a_line_in_whisper() {
    let carbon = Carbon::start().unwrap();
    let pid = carbon.process().pid();
    let ts = now() - 2;
    let mut stream = TcpStream::connect(carbon.line_addr()).unwrap();
    stream
        .write_all(format!("a.b.c 7 {ts}\n").as_bytes())
        .unwrap();
    drop(stream);

    let point = carbon
        .wait_for_point("a.b.c", |_, v| v == 7.0, WAIT)
        .unwrap();
    assert_eq!(point, (ts, 7.0));
    assert!(carbon.whisper_file("a.b.c").ends_with("a/b/c.wsp"));
    let points = carbon.fetch("a.b.c", ts - 5, ts + 1).unwrap();
    assert_eq!(points.len(), 6, "{points:?}");
    assert!(points.contains(&(ts, Some(7.0))), "{points:?}");
    assert_eq!(points.iter().filter(|(_, v)| v.is_some()).count(), 1);

    drop(carbon);
    assert_gone(pid);
}

#[test]
fn victoria_metrics_ingests_three_protocols() {
    let vm = VictoriaMetrics::start().unwrap();
    let pid = vm.process().pid();
    let ts = now() - 1;

    let mut influx = TcpStream::connect(vm.influx_addr()).unwrap();
    influx
        .write_all(format!("tk_influx,host=h1 value=1.5 {}\n", ts * 1_000_000_000).as_bytes())
        .unwrap();
    drop(influx);
    let mut graphite = TcpStream::connect(vm.graphite_addr()).unwrap();
    graphite
        .write_all(format!("tk.graphite;env=test 2.5 {ts}\n").as_bytes())
        .unwrap();
    drop(graphite);
    let mut opentsdb = TcpStream::connect(vm.opentsdb_addr()).unwrap();
    opentsdb
        .write_all(format!("put tk_opentsdb {ts} 3.5 host=h2\n").as_bytes())
        .unwrap();
    drop(opentsdb);

    let series = vm
        .wait_for_export(r#"{__name__=~"tk.*"}"#, |series| series.len() == 3, WAIT)
        .unwrap();
    let find = |name: &str| {
        series
            .iter()
            .find(|s| s["metric"]["__name__"] == name)
            .unwrap_or_else(|| panic!("no {name} in {series:?}"))
    };
    let influx = find("tk_influx_value");
    assert_eq!(influx["metric"]["host"], "h1");
    assert_eq!(influx["values"], serde_json::json!([1.5]));
    assert_eq!(influx["timestamps"], serde_json::json!([ts * 1000]));
    let graphite = find("tk.graphite");
    assert_eq!(graphite["metric"]["env"], "test");
    assert_eq!(graphite["values"], serde_json::json!([2.5]));
    let opentsdb = find("tk_opentsdb");
    assert_eq!(opentsdb["metric"]["host"], "h2");
    assert_eq!(opentsdb["values"], serde_json::json!([3.5]));

    drop(vm);
    assert_gone(pid);
}

#[test]
fn statsd_flushes_a_counter_to_graphite() {
    let statsd =
        Statsd::start_with(StatsdOptions::new().flush_interval(Duration::from_millis(500)))
            .unwrap();
    let pid = statsd.process().pid();
    statsd.send("x:1|c").unwrap();

    let line = statsd
        .wait_for_line(|l| l.starts_with("stats.counters.x.count "), WAIT)
        .unwrap();
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 3, "{line}");
    assert_eq!(fields[1], "1", "{line}");
    let ts: i64 = fields[2].parse().unwrap();
    assert!((ts - now()).abs() <= 5, "{line}");
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);

    statsd.send("not a metric").unwrap();
    let deadline = Instant::now() + WAIT;
    while statsd.bad_lines_seen().unwrap() == 0 {
        assert!(Instant::now() < deadline, "bad line never counted");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(statsd.bad_lines_seen().unwrap(), 1);

    drop(statsd);
    assert_gone(pid);
}

#[test]
fn statsd_flushes_to_a_real_carbon() {
    let carbon = Carbon::start().unwrap();
    let statsd = Statsd::start_with(StatsdOptions::new().carbon(&carbon)).unwrap();
    assert!(statsd.received_lines().is_err());
    statsd.send("tk_gauge:5|g").unwrap();
    let (_, value) = carbon
        .wait_for_point("stats.gauges.tk_gauge", |_, v| v == 5.0, WAIT)
        .unwrap();
    assert_eq!(value, 5.0);
}
