//! The process metrics read from `/proc/self`.

use procfs::process::{LimitValue, Process};
use tachymeter_core::{Registry, RegistryError, Unit};

/// What one read of `/proc/self/stat` gives, in the exported units.
fn stat<T>(read: impl Fn(&procfs::process::Stat) -> T) -> Option<T> {
    Process::myself()
        .and_then(|p| p.stat())
        .ok()
        .map(|s| read(&s))
}

/// What each series means, and its unit where its name ends in it.
const ABOUT: [(&str, &str, Option<Unit>); 7] = [
    (
        "process_cpu_seconds_total",
        "User and system CPU time used, in seconds",
        Some(Unit::Seconds),
    ),
    (
        "process_resident_memory_bytes",
        "Resident memory size",
        Some(Unit::Bytes),
    ),
    (
        "process_virtual_memory_bytes",
        "Virtual memory size",
        Some(Unit::Bytes),
    ),
    ("process_open_fds", "Open file descriptors", None),
    (
        "process_max_fds",
        "The most file descriptors that may be open (soft limit)",
        None,
    ),
    ("process_threads", "Threads", None),
    (
        "process_start_time_seconds",
        "Start time, in seconds since the Unix epoch",
        Some(Unit::Seconds),
    ),
];

pub(crate) fn register(registry: &Registry) -> Result<(), RegistryError> {
    for (name, text, unit) in ABOUT {
        registry.describe(name, text, unit);
    }
    let ticks = procfs::ticks_per_second() as f64;
    let page = procfs::page_size() as f64;
    let nan = f64::NAN;
    registry.functional_counter("process_cpu_seconds_total", move || {
        stat(|s| (s.utime + s.stime) as f64 / ticks).unwrap_or(nan)
    })?;
    registry.functional_gauge("process_resident_memory_bytes", move || {
        stat(|s| s.rss as f64 * page).unwrap_or(nan)
    })?;
    registry.functional_gauge("process_virtual_memory_bytes", || {
        stat(|s| s.vsize as f64).unwrap_or(f64::NAN)
    })?;
    registry.functional_gauge("process_open_fds", || {
        Process::myself()
            .and_then(|p| p.fd_count())
            .map_or(f64::NAN, |n| n as f64)
    })?;
    registry.functional_gauge("process_max_fds", || {
        match Process::myself().and_then(|p| p.limits()) {
            Ok(limits) => match limits.max_open_files.soft_limit {
                LimitValue::Value(n) => n as f64,
                LimitValue::Unlimited => f64::INFINITY,
            },
            Err(_) => f64::NAN,
        }
    })?;
    registry.functional_gauge("process_threads", || {
        stat(|s| s.num_threads as f64).unwrap_or(f64::NAN)
    })?;
    // Fixed for the process's life: computed once.
    let start = procfs::boot_time_secs()
        .ok()
        .and_then(|boot| stat(|s| boot as f64 + s.starttime as f64 / ticks))
        .unwrap_or(nan);
    registry.functional_gauge("process_start_time_seconds", move || start)?;
    Ok(())
}
