//! A daemon that dies, comes back, or never listens: reports fail and are
//! counted, and nothing recorded is lost or sent twice.

mod support;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tachymeter_core::Registry;
use tachymeter_report::Report;
use tachymeter_testkit::own_count;
use tachymeter_testkit::port::free_udp_port;

#[test]
fn counts_survive_three_crashes_exactly() {
    let statsd = daemon();
    let registry = Registry::new();
    let reporter = tachymeter_statsd::builder(statsd.udp_addr().to_string())
        .map_encoder(|e| e.prefix("r"))
        .start(&registry, Duration::from_secs(3600))
        .unwrap();
    let counter = registry.counter("jobs").unwrap();
    let timer = registry.timer("job").unwrap();

    // The application records all along.
    let running = Arc::new(AtomicBool::new(true));
    let app = {
        let (running, counter, timer) = (running.clone(), counter.clone(), timer.clone());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while running.load(Ordering::Relaxed) {
                counter.inc(1 + i % 3);
                timer.update(Duration::from_micros(100 + i % 1000));
                i += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };

    let failures = || own_count(&registry, "statsd", "send-failures");
    let mut markers = 0;
    for round in 0..3 {
        // Delivered, and flushed by the daemon before it dies.
        assert!(reporter.report_now());
        assert_eq!(failures(), round);
        markers += 1;
        flush_marker(&statsd, markers);
        statsd.kill();
        // Down: the report fails, is counted, and keeps its deltas.
        assert!(reporter.report_now());
        assert_eq!(failures(), round + 1);
        statsd.restart().unwrap();
        // Back: the next report delivers what the failed one kept.
        assert!(reporter.report_now());
        assert_eq!(failures(), round + 1);
        markers += 1;
        flush_marker(&statsd, markers);
        assert!(sum(&statsd, "stats.counters.r.jobs.count") > 0.0);
    }
    running.store(false, Ordering::Relaxed);
    app.join().unwrap();
    assert!(reporter.report_now());
    flush_marker(&statsd, markers + 1);

    assert_eq!(
        sum(&statsd, "stats.counters.r.jobs.count"),
        counter.count() as f64
    );
    assert_eq!(
        sum(&statsd, "stats.timers.r.job.count"),
        timer.count() as f64
    );
    // The first connection, and one after each of the three failures.
    assert!(own_count(&registry, "statsd", "connects") >= 4);
    assert_eq!(own_count(&registry, "statsd", "failures"), 3);
    assert_eq!(statsd.bad_lines_seen().unwrap(), 0);
}

#[test]
fn a_dead_port_fails_every_report_and_keeps_one_delta() {
    let port = free_udp_port().unwrap();
    let registry = Registry::new();
    let mut reporter = tachymeter_statsd::builder(format!("127.0.0.1:{port}"))
        .build(&registry)
        .unwrap();
    let counter = registry.counter("c").unwrap();
    let timer = registry.timer("t").unwrap();
    for _ in 0..20 {
        counter.inc(5);
        timer.update(Duration::from_millis(2));
        assert!(reporter.report(&registry.snapshot()).is_err());
    }
    assert_eq!(own_count(&registry, "statsd", "send-failures"), 20);
    assert_eq!(own_count(&registry, "statsd", "sent-points"), 0);

    // A listener appears: one report, one datagram with the whole delta
    // (nothing was queued meanwhile).
    let socket = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    reporter.report(&registry.snapshot()).unwrap();
    assert!(own_count(&registry, "statsd", "sent-points") >= 2);
    let mut buffer = [0u8; 2048];
    assert_eq!(socket.recv(&mut buffer).unwrap(), 0, "the probe");
    let n = socket.recv(&mut buffer).unwrap();
    let text = std::str::from_utf8(&buffer[..n]).unwrap();
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(lines.contains(&"c:100|c"), "{text}");
    let timer_line = lines.iter().find(|l| l.starts_with("t:")).expect(text);
    assert_eq!(timer_line.matches("2|ms").count(), 20, "{text}");
    // The own counts of the failed reports went with it.
    assert!(
        lines.contains(&"reporter.statsd.send-failures:20|c"),
        "{text}"
    );
}
