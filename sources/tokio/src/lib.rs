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

use tachymeter_core::{Registry, RegistryError};
use tokio::runtime::{Handle, RuntimeMetrics};

/// Registers the metrics of the runtime `handle` belongs to (see the
/// [crate] docs). Registering again keeps the gauges already there.
///
/// # Errors
///
/// When one of the names is taken by another kind of metric.
pub fn register(registry: &Registry, handle: &Handle) -> Result<(), RegistryError> {
    let gauge = |name: &str, read: fn(&RuntimeMetrics) -> f64| {
        let metrics = handle.metrics();
        registry.functional_gauge(name, move || read(&metrics))
    };
    gauge("tokio_workers", |m| m.num_workers() as f64)?;
    gauge("tokio_alive_tasks", |m| m.num_alive_tasks() as f64)?;
    gauge("tokio_global_queue_depth", |m| {
        m.global_queue_depth() as f64
    })?;
    #[cfg(target_has_atomic = "64")]
    {
        gauge("tokio_busy_seconds_total", |m| {
            (0..m.num_workers())
                .map(|w| m.worker_total_busy_duration(w).as_secs_f64())
                .sum()
        })?;
        gauge("tokio_parks_total", |m| {
            (0..m.num_workers())
                .map(|w| m.worker_park_count(w) as f64)
                .sum()
        })?;
    }
    #[cfg(all(feature = "unstable", tokio_unstable))]
    {
        gauge("tokio_blocking_threads", |m| {
            m.num_blocking_threads() as f64
        })?;
        gauge("tokio_idle_blocking_threads", |m| {
            m.num_idle_blocking_threads() as f64
        })?;
        gauge("tokio_blocking_queue_depth", |m| {
            m.blocking_queue_depth() as f64
        })?;
        gauge("tokio_spawned_tasks_total", |m| {
            m.spawned_tasks_count() as f64
        })?;
        gauge("tokio_remote_schedules_total", |m| {
            m.remote_schedule_count() as f64
        })?;
        gauge("tokio_forced_yields_total", |m| {
            m.budget_forced_yield_count() as f64
        })?;
    }
    Ok(())
}
