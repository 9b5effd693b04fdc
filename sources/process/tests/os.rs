//! The process metrics against what the OS reports: `/proc` read here
//! independently, `ps`, and the shell's `ulimit`. One test, so that no
//! other test of this binary opens files or starts threads meanwhile.
#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tachymeter_core::{MetricSnapshot, Registry};
use tachymeter_prometheus::{Format, PrometheusExporter};

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

/// `ps -o <field>= -p <this process>`, as a number.
fn ps(field: &str) -> f64 {
    let out = Command::new("ps")
        .args([
            "-o",
            &format!("{field}="),
            "-p",
            &std::process::id().to_string(),
        ])
        .output()
        .expect("ps (procps) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let text = text.trim();
    // `times` may come as [[dd-]hh:]mm:ss in some versions; here seconds.
    text.parse()
        .unwrap_or_else(|_| panic!("ps -o {field}= gave {text:?}"))
}

fn entries(dir: &str) -> f64 {
    std::fs::read_dir(dir).unwrap().count() as f64
}

#[test]
fn values_match_what_the_os_reports() {
    let registry = Registry::new();
    tachymeter_process::register(&registry).unwrap();
    // Registering again keeps them.
    tachymeter_process::register(&registry).unwrap();

    // Threads: ours plus three parked ones, against /proc/self/task.
    let before = value(&registry, "process_threads");
    assert_eq!(before, entries("/proc/self/task"));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let parked: Vec<_> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || drop(rx.lock().map(|r| r.recv())))
        })
        .collect();
    let during = value(&registry, "process_threads");
    assert_eq!(during, entries("/proc/self/task"));
    assert!(during >= before + 3.0, "{before} then {during}");
    drop(tx);
    for t in parked {
        t.join().unwrap();
    }

    // Open file descriptors: twenty more files, against /proc/self/fd.
    let fds = value(&registry, "process_open_fds");
    let files: Vec<_> = (0..20)
        .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
        .collect();
    assert_eq!(value(&registry, "process_open_fds"), fds + 20.0);
    drop(files);
    assert_eq!(value(&registry, "process_open_fds"), fds);

    // The soft limit, as the shell this process starts sees it.
    let ulimit = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .unwrap();
    let ulimit = String::from_utf8_lossy(&ulimit.stdout).trim().to_string();
    let max = value(&registry, "process_max_fds");
    if ulimit == "unlimited" {
        assert!(max.is_infinite());
    } else {
        assert_eq!(max, ulimit.parse::<f64>().unwrap());
    }

    // Resident memory: against ps (KiB), and 64 MiB touched more.
    let rss = value(&registry, "process_resident_memory_bytes");
    let by_ps = ps("rss") * 1024.0;
    assert!(
        (rss - by_ps).abs() <= 8.0 * 1024.0 * 1024.0,
        "{rss} vs ps {by_ps}"
    );
    let block = vec![1u8; 64 << 20];
    let grown = value(&registry, "process_resident_memory_bytes");
    assert!(grown >= rss + 60.0 * 1024.0 * 1024.0, "{rss} then {grown}");
    assert!(value(&registry, "process_virtual_memory_bytes") >= grown);
    drop(block);

    // CPU: a busy quarter second counts, and ps agrees to its second.
    let cpu = value(&registry, "process_cpu_seconds_total");
    let spin = Instant::now();
    let mut x = 0u64;
    while spin.elapsed() < Duration::from_millis(250) {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    let after = value(&registry, "process_cpu_seconds_total");
    assert!(after >= cpu + 0.15, "{cpu} then {after}");
    assert!(
        (after - ps("times")).abs() <= 1.5,
        "{after} vs ps {}",
        ps("times")
    );

    // Start time: now minus the elapsed time ps reports.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let start = value(&registry, "process_start_time_seconds");
    assert!((start - (now - ps("etimes"))).abs() <= 2.0, "{start}");

    // The standard names, in the Prometheus exposition.
    let text = PrometheusExporter::new(&registry).render(Format::Text);
    for name in tachymeter_process::SERIES {
        assert!(text.contains(&format!("\n{name} ")), "no {name} in\n{text}");
    }
}
