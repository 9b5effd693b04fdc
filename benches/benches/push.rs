//! The recording path while push reporters run against backends that fail:
//! `Counter::inc` and `Timer::update` alone, and with a reporter of each
//! kind pushing a 200-series registry every 50 ms to a black hole (accepts,
//! never reads), a dead port, or (StatsD) a socket nobody reads. All in the
//! same run, so the ratios show what a failing backend costs the
//! application: nothing but a share of the CPU the reporter thread uses.

use criterion::Criterion;
use std::hint::black_box;
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, SystemTime};
use tachymeter_benches::{criterion_config, log_uniform, print_ratios, RatioCheck};
use tachymeter_core::{Registry, Timer};
use tachymeter_report::PeriodicReporter;
use tachymeter_testkit::BlackHole;

const INTERVAL: Duration = Duration::from_millis(50);
const TIMEOUT: Duration = Duration::from_millis(250);
const VALUES: usize = 4096;

/// 150 counters, 30 timers and 20 gauges, all with values.
fn registry() -> Registry {
    let registry = Registry::new();
    for i in 0..150 {
        registry.counter(format!("app.counter.{i}")).unwrap().inc(i);
    }
    for i in 0..30 {
        let timer = registry.timer(format!("app.timer.{i}")).unwrap();
        for v in log_uniform(200, 1_000, 100_000_000, i + 1) {
            timer.update(Duration::from_nanos(v));
        }
    }
    for i in 0..20 {
        registry
            .gauge(format!("app.gauge.{i}"))
            .unwrap()
            .update(i as i64);
    }
    registry
}

/// A port nothing listens on.
fn dead_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

/// What each bench function runs beside the recording loop.
enum Backend {
    Alone,
    GraphiteBlackHole,
    GraphiteDeadPort,
    OpenTsdbBlackHole,
    InfluxBlackHole,
    StatsdUnread,
}

/// The reporter for `backend`, plus whatever must live as long as it.
struct Running {
    reporter: Option<PeriodicReporter>,
    _hole: Option<BlackHole>,
    _socket: Option<UdpSocket>,
}

fn start(backend: &Backend, registry: &Registry) -> Running {
    let mut running = Running {
        reporter: None,
        _hole: None,
        _socket: None,
    };
    let hole = || BlackHole::start().unwrap();
    running.reporter = match backend {
        Backend::Alone => None,
        Backend::GraphiteBlackHole => {
            let h = hole();
            let reporter = tachymeter_graphite::builder(h.addr().to_string())
                .timeout(TIMEOUT)
                .start(registry, INTERVAL);
            running._hole = Some(h);
            Some(reporter.unwrap())
        }
        Backend::GraphiteDeadPort => Some(
            tachymeter_graphite::builder(dead_port())
                .timeout(TIMEOUT)
                .start(registry, INTERVAL)
                .unwrap(),
        ),
        Backend::OpenTsdbBlackHole => {
            let h = hole();
            let reporter = tachymeter_opentsdb::builder(h.addr().to_string())
                .timeout(TIMEOUT)
                .start(registry, INTERVAL);
            running._hole = Some(h);
            Some(reporter.unwrap())
        }
        Backend::InfluxBlackHole => {
            let h = hole();
            let reporter = tachymeter_influxdb::v1(&format!("http://{}", h.addr()), "bench")
                .timeout(TIMEOUT)
                .start(registry, INTERVAL);
            running._hole = Some(h);
            Some(reporter.unwrap())
        }
        Backend::StatsdUnread => {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            let reporter = tachymeter_statsd::builder(socket.local_addr().unwrap().to_string())
                .start(registry, INTERVAL);
            running._socket = Some(socket);
            Some(reporter.unwrap())
        }
    };
    running
}

const BACKENDS: [(&str, Backend); 6] = [
    ("alone", Backend::Alone),
    ("graphite_black_hole", Backend::GraphiteBlackHole),
    ("graphite_dead_port", Backend::GraphiteDeadPort),
    ("opentsdb_black_hole", Backend::OpenTsdbBlackHole),
    ("influxdb_black_hole", Backend::InfluxBlackHole),
    ("statsd_unread", Backend::StatsdUnread),
];

fn counter_inc(c: &mut Criterion) {
    let mut group = c.benchmark_group("push/counter_inc");
    for (name, backend) in &BACKENDS {
        let registry = registry();
        let counter = registry.counter("app.counter.0").unwrap();
        let running = start(backend, &registry);
        group.bench_function(*name, |b| b.iter(|| counter.inc(black_box(1))));
        if let Some(reporter) = running.reporter {
            reporter.stop();
        }
    }
    group.finish();
}

fn timer_update(c: &mut Criterion) {
    let values: Vec<Duration> = log_uniform(VALUES, 1_000, 100_000_000, 7)
        .into_iter()
        .map(Duration::from_nanos)
        .collect();
    let mut group = c.benchmark_group("push/timer_update");
    for (name, backend) in &BACKENDS {
        let registry = registry();
        let timer: Timer = registry.timer("app.timer.0").unwrap();
        let running = start(backend, &registry);
        let mut i = 0usize;
        group.bench_function(*name, |b| {
            b.iter(|| {
                i = (i + 1) & (VALUES - 1);
                timer.update(black_box(values[i]))
            })
        });
        if let Some(reporter) = running.reporter {
            reporter.stop();
        }
    }
    group.finish();
}

fn main() {
    let started = SystemTime::now();
    let mut c = criterion_config(Duration::from_secs(3));
    counter_inc(&mut c);
    timer_update(&mut c);
    c.final_summary();
    let mut checks = Vec::new();
    for (group, what) in [
        ("push/counter_inc", "Counter::inc"),
        ("push/timer_update", "Timer::update"),
    ] {
        for (name, _) in BACKENDS.iter().skip(1) {
            let label: &'static str = Box::leak(format!("{what}, {name} / alone").into_boxed_str());
            checks.push(RatioCheck::new(label, group, name, "alone", 1.25));
        }
    }
    print_ratios(&checks, started);
}
