//! A tokio runtime's health, in a tachymeter registry, read from the
//! runtime's own counters when a snapshot is taken (by a report or a
//! scrape), never on the recording path.
//!
//! | series | what |
//! |---|---|
//! | `tokio_workers` | worker threads |
//! | `tokio_alive_tasks` | tasks spawned and not finished |
//! | `tokio_global_queue_depth` | tasks waiting in the runtime's shared queue |
//! | `tokio_busy_seconds_total` | time the workers spent running tasks, summed (64-bit targets) |
//! | `tokio_parks_total` | times the workers parked, summed (64-bit targets) |
//!
//! With the `unstable` feature, in a build with
//! `RUSTFLAGS="--cfg tokio_unstable"`, also `tokio_blocking_threads`,
//! `tokio_idle_blocking_threads`, `tokio_blocking_queue_depth`,
//! `tokio_spawned_tasks_total`, `tokio_remote_schedules_total` and
//! `tokio_forced_yields_total`.
//!
//! ```
//! use tachymeter_core::Registry;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let registry = Registry::new();
//! tachymeter_tokio::register(&registry, runtime.handle())?;
//! assert!(registry.get("tokio_alive_tasks").is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Several runtimes: register each in a [`prefixed`](Registry::prefixed)
//! registry, so that their series stay apart.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use tachymeter_core::{Registry, RegistryError, Unit};
use tokio::runtime::{Handle, RuntimeMetrics};

/// Registers the metrics of the runtime `handle` belongs to (see the
/// [crate] docs): gauges, and functional counters for the `_total`
/// series, each described. Registering again keeps the series already
/// there.
///
/// # Errors
///
/// When one of the names is taken by another kind of metric.
pub fn register(registry: &Registry, handle: &Handle) -> Result<(), RegistryError> {
    let gauge = |name: &str, about: &str, read: fn(&RuntimeMetrics) -> f64| {
        let metrics = handle.metrics();
        registry.describe(name, about, None);
        registry.functional_gauge(name, move || read(&metrics))
    };
    #[cfg(any(target_has_atomic = "64", all(feature = "unstable", tokio_unstable)))]
    let counter = |name: &str, about: &str, unit, read: fn(&RuntimeMetrics) -> f64| {
        let metrics = handle.metrics();
        registry.describe(name, about, unit);
        registry.functional_counter(name, move || read(&metrics))
    };
    gauge("tokio_workers", "Worker threads of the runtime", |m| {
        m.num_workers() as f64
    })?;
    gauge(
        "tokio_alive_tasks",
        "Tasks spawned on the runtime and not finished",
        |m| m.num_alive_tasks() as f64,
    )?;
    gauge(
        "tokio_global_queue_depth",
        "Tasks waiting in the runtime's shared queue",
        |m| m.global_queue_depth() as f64,
    )?;
    #[cfg(target_has_atomic = "64")]
    {
        counter(
            "tokio_busy_seconds_total",
            "Time the runtime's workers spent running tasks, summed over workers",
            Some(Unit::Seconds),
            |m| {
                (0..m.num_workers())
                    .map(|w| m.worker_total_busy_duration(w).as_secs_f64())
                    .sum()
            },
        )?;
        counter(
            "tokio_parks_total",
            "Times the runtime's workers parked, summed over workers",
            None,
            |m| {
                (0..m.num_workers())
                    .map(|w| m.worker_park_count(w) as f64)
                    .sum()
            },
        )?;
    }
    #[cfg(all(feature = "unstable", tokio_unstable))]
    {
        gauge(
            "tokio_blocking_threads",
            "Threads of the runtime's blocking pool",
            |m| m.num_blocking_threads() as f64,
        )?;
        gauge(
            "tokio_idle_blocking_threads",
            "Idle threads of the runtime's blocking pool",
            |m| m.num_idle_blocking_threads() as f64,
        )?;
        gauge(
            "tokio_blocking_queue_depth",
            "Tasks waiting for a thread of the blocking pool",
            |m| m.blocking_queue_depth() as f64,
        )?;
        counter(
            "tokio_spawned_tasks_total",
            "Tasks spawned on the runtime",
            None,
            |m| m.spawned_tasks_count() as f64,
        )?;
        counter(
            "tokio_remote_schedules_total",
            "Tasks scheduled from outside the runtime",
            None,
            |m| m.remote_schedule_count() as f64,
        )?;
        counter(
            "tokio_forced_yields_total",
            "Times a task was made to yield because its budget ran out",
            None,
            |m| m.budget_forced_yield_count() as f64,
        )?;
    }
    Ok(())
}
