//! The runtime metrics against a runtime with a known load: two workers,
//! tasks kept alive, workers held busy, tasks queued from outside.

use std::sync::{Arc, Barrier};
use std::time::Duration;
use tachymeter_core::{MetricSnapshot, Registry};

fn value(registry: &Registry, name: &str) -> f64 {
    let snapshot = registry.snapshot();
    let entry = snapshot
        .metrics
        .iter()
        .find(|e| e.key.name() == name)
        .unwrap_or_else(|| panic!("no {name}"));
    // The `_total` series are counters, the others gauges.
    match (name.ends_with("_total"), &entry.snapshot) {
        (true, MetricSnapshot::CounterF64 { value })
        | (false, MetricSnapshot::GaugeF64 { value }) => *value,
        (_, other) => panic!("{name}: {other:?}"),
    }
}

/// Polls `name` until `holds` its value: a worker publishes its busy time
/// and parks when it next parks, a finished task leaves the alive count
/// when the runtime releases it. At most five seconds.
fn eventually(registry: &Registry, name: &str, holds: impl Fn(f64) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !holds(value(registry, name)) {
        assert!(
            std::time::Instant::now() < deadline,
            "{name} = {}",
            value(registry, name)
        );
        std::thread::yield_now();
    }
}

#[test]
fn a_known_load_reads_back() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let registry = Registry::new();
    tachymeter_tokio::register(&registry, runtime.handle()).unwrap();
    assert_eq!(value(&registry, "tokio_workers"), 2.0);
    assert_eq!(value(&registry, "tokio_alive_tasks"), 0.0);

    // Ten tasks waiting on a signal: alive, and not queued.
    let (tx, rx) = tokio::sync::watch::channel(false);
    let waiting: Vec<_> = (0..10)
        .map(|_| {
            let mut rx = rx.clone();
            runtime.spawn(async move { rx.wait_for(|go| *go).await.map(drop) })
        })
        .collect();
    assert_eq!(value(&registry, "tokio_alive_tasks"), 10.0);

    // Both workers held (blocking them on purpose), then five tasks spawned
    // from outside the runtime: they wait in the global queue.
    let held = Arc::new(Barrier::new(3));
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let held = held.clone();
            runtime.spawn(async move {
                held.wait(); // both workers are in
                held.wait(); // until the test lets go
            })
        })
        .collect();
    held.wait();
    let queued: Vec<_> = (0..5).map(|_| runtime.spawn(async {})).collect();
    assert_eq!(value(&registry, "tokio_global_queue_depth"), 5.0);
    assert_eq!(value(&registry, "tokio_alive_tasks"), 10.0 + 2.0 + 5.0);
    std::thread::sleep(Duration::from_millis(50)); // busy workers, for the busy time
    held.wait();
    runtime.block_on(async {
        for task in holders.into_iter().chain(queued) {
            task.await.unwrap();
        }
    });
    assert_eq!(value(&registry, "tokio_global_queue_depth"), 0.0);
    #[cfg(target_has_atomic = "64")]
    {
        eventually(&registry, "tokio_busy_seconds_total", |v| v >= 0.09);
        eventually(&registry, "tokio_parks_total", |v| v >= 1.0);
    }

    tx.send(true).unwrap();
    runtime.block_on(async {
        for task in waiting {
            task.await.unwrap().unwrap();
        }
    });
    eventually(&registry, "tokio_alive_tasks", |v| v == 0.0);
}

/// Built with `RUSTFLAGS="--cfg tokio_unstable"` and `--features unstable`
/// (as `./test.sh` does): the unstable series are there and count.
#[cfg(all(feature = "unstable", tokio_unstable))]
#[test]
fn unstable_metrics_count_spawns_and_blocking_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let registry = Registry::new();
    tachymeter_tokio::register(&registry, runtime.handle()).unwrap();
    let spawned = value(&registry, "tokio_spawned_tasks_total");
    runtime.block_on(async {
        for _ in 0..4 {
            tokio::spawn(async {}).await.unwrap();
        }
        tokio::task::spawn_blocking(|| ()).await.unwrap();
    });
    assert!(value(&registry, "tokio_spawned_tasks_total") >= spawned + 4.0);
    assert!(value(&registry, "tokio_blocking_threads") >= 1.0);
    for name in [
        "tokio_idle_blocking_threads",
        "tokio_blocking_queue_depth",
        "tokio_remote_schedules_total",
        "tokio_forced_yields_total",
    ] {
        assert!(value(&registry, name) >= 0.0, "{name}");
    }
}
