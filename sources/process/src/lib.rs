//! The process's own health, in a tachymeter registry: CPU time, memory,
//! file descriptors, threads and start time, under the names every
//! Prometheus client uses (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, …), so dashboards made for them work.
//!
//! Each is read from `/proc` when a snapshot is taken (by a report or a
//! scrape), never on the recording path: the CPU time a
//! [functional counter](tachymeter_core::FunctionalCounter) (exported as a
//! counter, and never going down), the others
//! [functional gauges](tachymeter_core::FunctionalGauge), NaN when they
//! cannot be read. Each is described, so HELP says what it is.
//!
//! | series | what |
//! |---|---|
//! | `process_cpu_seconds_total` | user and system CPU time, seconds |
//! | `process_resident_memory_bytes` | resident set size |
//! | `process_virtual_memory_bytes` | virtual memory size |
//! | `process_open_fds` | open file descriptors |
//! | `process_max_fds` | the soft limit on them (+Inf when unlimited) |
//! | `process_threads` | threads |
//! | `process_start_time_seconds` | start time, seconds since the Unix epoch |
//!
//! Linux only: elsewhere [`register`] registers nothing and succeeds.
//!
//! ```
//! use tachymeter_core::Registry;
//!
//! let registry = Registry::new();
//! tachymeter_process::register(&registry)?;
//! # #[cfg(target_os = "linux")]
//! assert!(registry.get("process_resident_memory_bytes").is_some());
//! # Ok::<(), tachymeter_core::RegistryError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(target_os = "linux")]
mod linux;

use tachymeter_core::{Registry, RegistryError};

/// The names of the series [`register`] adds (on Linux).
pub const SERIES: [&str; 7] = [
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_threads",
    "process_start_time_seconds",
];

/// Registers the process metrics in `registry` (see the [crate] docs).
/// Registering again keeps the gauges already there.
///
/// # Errors
///
/// When one of the [`SERIES`] names is taken by another kind of metric.
pub fn register(registry: &Registry) -> Result<(), RegistryError> {
    #[cfg(target_os = "linux")]
    linux::register(registry)?;
    #[cfg(not(target_os = "linux"))]
    let _ = registry;
    Ok(())
}
