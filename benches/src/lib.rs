//! Helpers shared by the benches in `benches/`: deterministic inputs and a
//! same-run ratio summary read from criterion's results.

use criterion::Criterion;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// The criterion settings every bench uses: 30 samples, 1 s of warm-up and
/// `measurement` per function, so a full run fits in minutes on 2 cores.
pub fn criterion_config(measurement: Duration) -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measurement)
        .nresamples(20_000)
        .configure_from_args()
}

/// An `hdrhistogram` with `sigfig` significant figures holding `values`
/// (auto-resizing, so it has seen every value it will be given).
pub fn hdr(sigfig: u8, values: &[u64]) -> hdrhistogram::Histogram<u64> {
    let mut h = hdrhistogram::Histogram::<u64>::new(sigfig).expect("valid significant figures");
    for &v in values {
        h.record(v).expect("auto-resizing histogram");
    }
    h
}

/// A tiny deterministic xorshift64 generator (no `rand` dependency).
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a non-zero seed (zero is replaced by a constant).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A uniform `f64` in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` log-uniform integers in `[low, high]`, the same for a given seed.
pub fn log_uniform(n: usize, low: u64, high: u64, seed: u64) -> Vec<u64> {
    let mut rng = XorShift::new(seed);
    let (ln_low, ln_high) = ((low as f64).ln(), (high as f64).ln());
    (0..n)
        .map(|_| {
            let v = (ln_low + rng.next_f64() * (ln_high - ln_low)).exp();
            (v as u64).clamp(low, high)
        })
        .collect()
}

/// One line of the ratio summary: within criterion group `group`, the
/// median of `bench` over the median of `baseline` should be at most
/// `target`.
#[derive(Debug, Clone, Copy)]
pub struct RatioCheck {
    /// What the ratio means.
    pub label: &'static str,
    /// The criterion group both benches are in.
    pub group: &'static str,
    /// The bench being judged.
    pub bench: &'static str,
    /// The baseline it is compared against.
    pub baseline: &'static str,
    /// The largest acceptable ratio.
    pub target: f64,
}

impl RatioCheck {
    /// A check that `bench` / `baseline` in `group` stays at most `target`.
    pub const fn new(
        label: &'static str,
        group: &'static str,
        bench: &'static str,
        baseline: &'static str,
        target: f64,
    ) -> Self {
        Self {
            label,
            group,
            bench,
            baseline,
            target,
        }
    }
}

/// Where criterion writes its results: `$CRITERION_HOME`, else the
/// `criterion` folder of the target directory this binary was built in.
fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    // <target>/<profile>/deps/<bench binary>
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Criterion's directory name for a group or function id.
fn dir_name(id: &str) -> String {
    id.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_")
}

/// The median time (ns) criterion estimated for `group`/`function` in this
/// process's run; `None` if it was not run now (filtered out, or only
/// results of an older run exist).
pub fn median_ns(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let file = criterion_dir()?
        .join(dir_name(group))
        .join(dir_name(function))
        .join("new")
        .join("estimates.json");
    if std::fs::metadata(&file).ok()?.modified().ok()? < since {
        return None;
    }
    let text = std::fs::read_to_string(&file).ok()?;
    // `"median":{...,"point_estimate":<number>,...}`, read without a JSON crate.
    let median = &text[text.find("\"median\"")?..];
    let key = "\"point_estimate\":";
    let value = &median[median.find(key)? + key.len()..];
    let end = value.find([',', '}'])?;
    value[..end].trim().parse().ok()
}

/// Prints each check's medians, ratio and verdict.
pub fn print_ratios(checks: &[RatioCheck], since: SystemTime) {
    println!("\nratios (criterion medians from this run; target: ratio <= bound)");
    for c in checks {
        let bench = median_ns(c.group, c.bench, since);
        let baseline = median_ns(c.group, c.baseline, since);
        match (bench, baseline) {
            (Some(num), Some(den)) if den > 0.0 => {
                let ratio = num / den;
                let verdict = if ratio <= c.target { "ok" } else { "MISSED" };
                println!(
                    "  {:<52} {:>8.2} ns / {:>8.2} ns = {:>5.2}x (target <= {:.1}x) {}",
                    c.label, num, den, ratio, c.target, verdict
                );
            }
            _ => println!("  {:<52} not measured in this run", c.label),
        }
    }
}

/// Threads that recorded before the measured ones did and stay alive
/// (blocked) until dropped, as a service's main thread, a reporter's thread
/// or idle workers would: they hold the first per-thread slots, and own the
/// stripes of the metrics they recorded into.
#[derive(Debug)]
pub struct EarlyThreads {
    /// Each thread blocks on its receiver until this is dropped.
    release: Vec<std::sync::mpsc::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl EarlyThreads {
    /// Starts `n` threads one after another; thread `i` runs `first(i)`,
    /// then waits, before thread `i + 1` starts.
    pub fn start(n: usize, first: impl Fn(usize) + Send + Sync + 'static) -> Self {
        let first = std::sync::Arc::new(first);
        let (mut release, mut threads) = (Vec::new(), Vec::new());
        for i in 0..n {
            let first = first.clone();
            let (done, ran) = std::sync::mpsc::channel::<()>();
            let (go_on, wait) = std::sync::mpsc::channel::<()>();
            threads.push(std::thread::spawn(move || {
                first(i);
                let _ = done.send(());
                let _ = wait.recv();
            }));
            ran.recv().expect("an early thread ran its first records");
            release.push(go_on);
        }
        Self { release, threads }
    }
}

impl Drop for EarlyThreads {
    fn drop(&mut self) {
        self.release.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
