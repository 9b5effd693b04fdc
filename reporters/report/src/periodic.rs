//! A [`Report`] run every interval on its own thread.

use crate::{BuildError, Own, Quiet, Report, Schedule, MAX_WAIT};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tachymeter_core::{Clock, Counter, Registry, Timer};

/// How long [`PeriodicReporter::stop`] and
/// [`PeriodicReporter::report_now`] wait for a report by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a [`Report`] every interval on a thread of its own.
///
/// - The recording path never waits for it: each report reads a
///   [`Registry::snapshot`], which never blocks writers.
/// - A report that returns an error or panics is logged (through the `log`
///   facade) and counted, and the schedule goes on.
/// - A report that runs past the next ticks does not cause catch-up
///   reports: the missed ticks are skipped and counted.
/// - [`stop`](Self::stop), or dropping the reporter, sends one final report
///   and waits for it at most the [`timeout`](PeriodicReporterBuilder::timeout).
///
/// Its own counts are metrics in the same registry, so every reporter shows
/// them: `reporter.<name>.reports` (reports sent), `.failures` (reports
/// that returned an error), `.panics`, `.skipped-ticks`, and the timer
/// `reporter.<name>.duration`.
///
/// Ticks follow the registry's [`Clock`](tachymeter_core::Clock); waiting
/// between them is real time.
///
/// ```
/// use tachymeter_core::{Registry, RegistrySnapshot};
/// use tachymeter_report::{PeriodicReporter, ReportError};
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = PeriodicReporter::builder(&registry, Duration::from_secs(10))
///     .name("count")
///     .start(|snapshot: &RegistrySnapshot| -> Result<(), ReportError> {
///         println!("{} series", snapshot.metrics.len());
///         Ok(())
///     })?;
/// assert!(reporter.report_now()); // one report now, off schedule
/// let outcome = reporter.stop(); // and one final report
/// assert_eq!((outcome.reports, outcome.failures), (2, 0));
/// # Ok::<(), ReportError>(())
/// ```
#[derive(Debug)]
#[must_use = "a reporter stops (after one final report) when dropped: keep it for as long as it should report"]
pub struct PeriodicReporter {
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
    timeout: Duration,
    own: OwnMetrics,
}

/// Configures a [`PeriodicReporter`]; see [`PeriodicReporter::builder`].
///
/// See [`PeriodicReporter`] for an example.
#[derive(Debug)]
pub struct PeriodicReporterBuilder {
    registry: Registry,
    interval: Duration,
    name: String,
    timeout: Duration,
    quiet: Quiet,
    own_metrics: bool,
}

/// What [`PeriodicReporter::stop`] saw.
///
/// See [`PeriodicReporter`] for an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopOutcome {
    /// The final report finished (successfully or not) within the timeout.
    /// When `false`, the thread is left to finish on its own.
    pub final_report_sent: bool,
    /// Reports that succeeded, the final one included.
    pub reports: u64,
    /// Reports that returned an error.
    pub failures: u64,
    /// Reports that panicked.
    pub panics: u64,
    /// Ticks skipped because a report was still running.
    pub skipped_ticks: u64,
}

#[derive(Debug, Clone)]
struct OwnMetrics {
    reports: Counter,
    failures: Counter,
    panics: Counter,
    skipped: Counter,
    duration: Timer,
}

#[derive(Debug, Default)]
struct State {
    stop: bool,
    /// Out-of-schedule reports asked for, and done.
    asked: u64,
    done: u64,
    finished: bool,
}

#[derive(Debug, Default)]
struct Control {
    state: Mutex<State>,
    changed: Condvar,
}

impl Control {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while it was held.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `until` holds or `timeout` passes; whether it holds.
    fn wait_for(&self, timeout: Duration, until: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout.min(MAX_WAIT);
        let mut state = self.lock();
        while !until(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

impl PeriodicReporter {
    /// Starts configuring a reporter of `registry` every `interval`.
    pub fn builder(registry: &Registry, interval: Duration) -> PeriodicReporterBuilder {
        PeriodicReporterBuilder {
            registry: registry.clone(),
            interval,
            name: "reporter".to_string(),
            timeout: DEFAULT_TIMEOUT,
            quiet: Quiet::default(),
            own_metrics: true,
        }
    }

    /// Runs a report now, outside the schedule, and waits for it (at most
    /// the timeout). Whether it finished in time.
    pub fn report_now(&self) -> bool {
        let ticket = {
            let mut state = self.control.lock();
            if state.finished {
                return false;
            }
            state.asked += 1;
            state.asked
        };
        self.control.changed.notify_all();
        self.control
            .wait_for(self.timeout, |s| s.done >= ticket || s.finished)
            && self.control.lock().done >= ticket
    }

    /// Stops the schedule, sends one final report and waits for it (at most
    /// the timeout).
    pub fn stop(mut self) -> StopOutcome {
        self.shutdown()
    }

    fn shutdown(&mut self) -> StopOutcome {
        self.control.lock().stop = true;
        self.control.changed.notify_all();
        let finished = self.control.wait_for(self.timeout, |s| s.finished);
        if finished {
            if let Some(thread) = self.thread.take() {
                // The thread catches report panics, so it ends normally.
                let _ = thread.join();
            }
        } else {
            // Left running: it cannot be killed, and it ends after its report.
            self.thread = None;
        }
        let count = |c: &Counter| u64::try_from(c.count()).unwrap_or(0);
        StopOutcome {
            final_report_sent: finished,
            reports: count(&self.own.reports),
            failures: count(&self.own.failures),
            panics: count(&self.own.panics),
            skipped_ticks: count(&self.own.skipped),
        }
    }
}

impl Drop for PeriodicReporter {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.shutdown();
        }
    }
}

impl PeriodicReporterBuilder {
    /// Names the reporter: its thread is `metrics-<name>` and its own
    /// metrics are `reporter.<name>.*`. Default `reporter`.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// How long [`stop`](PeriodicReporter::stop), dropping, and
    /// [`report_now`](PeriodicReporter::report_now) wait for a report.
    /// Default 5 s ([`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Which series the reports leave out (default none; see [`Quiet`]).
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_report::{PeriodicReporter, Quiet};
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// let reporter = PeriodicReporter::builder(&registry, Duration::from_secs(10))
    ///     .quiet(Quiet::default().zero(true).own(true))
    ///     .start(|snapshot: &tachymeter_core::RegistrySnapshot| {
    ///         // Neither the idle series nor `reporter.reporter.*`.
    ///         assert!(snapshot.metrics.is_empty());
    ///         Ok(())
    ///     })?;
    /// assert!(reporter.stop().final_report_sent);
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn quiet(mut self, quiet: Quiet) -> Self {
        self.quiet = quiet;
        self
    }

    /// Whether the reporter counts its reports in the registry as
    /// `reporter.<name>.*` (default `true`); with `false` they are counted
    /// nowhere.
    pub fn own_metrics(mut self, on: bool) -> Self {
        self.own_metrics = on;
        self
    }

    /// Registers the reporter's own metrics and starts its thread.
    ///
    /// Fails if the interval is zero, if one of the own metric names is
    /// already taken by another kind of metric, or if the thread cannot be
    /// spawned.
    pub fn start(self, report: impl Report) -> Result<PeriodicReporter, BuildError> {
        if self.interval.is_zero() {
            return Err(BuildError::ZeroInterval);
        }
        let registry = self.registry;
        let own = if self.own_metrics {
            Own::new(&registry, &self.name)
        } else {
            Own::off(&self.name)
        };
        let own = OwnMetrics {
            reports: own.counter("reports")?,
            failures: own.counter("failures")?,
            panics: own.counter("panics")?,
            skipped: own.counter("skipped-ticks")?,
            duration: own.timer("duration")?,
        };
        let control = Arc::new(Control::default());
        let worker = Worker {
            report,
            clock: Arc::clone(registry.clock()),
            registry,
            control: Arc::clone(&control),
            own: own.clone(),
            name: self.name.clone(),
            quiet: self.quiet,
        };
        let interval = self.interval;
        let thread = std::thread::Builder::new()
            .name(format!("metrics-{}", self.name))
            .spawn(move || worker.run(interval))
            .map_err(BuildError::Thread)?;
        Ok(PeriodicReporter {
            control,
            thread: Some(thread),
            timeout: self.timeout,
            own,
        })
    }
}

struct Worker<R> {
    report: R,
    registry: Registry,
    clock: Arc<dyn Clock>,
    control: Arc<Control>,
    own: OwnMetrics,
    name: String,
    quiet: Quiet,
}

impl<R: Report> Worker<R> {
    fn run(mut self, interval: Duration) {
        let mut schedule = Schedule::new(self.clock.now(), interval);
        loop {
            let state = self.control.lock();
            if state.stop {
                break;
            }
            if state.asked > state.done {
                let asked = state.asked;
                drop(state);
                self.report_once();
                self.control.lock().done = asked;
                self.control.changed.notify_all();
                continue;
            }
            let now = self.clock.now();
            if let Some(due) = schedule.due(now) {
                drop(state);
                self.own.skipped.inc(due.skipped);
                self.report_once();
                continue;
            }
            let wait = schedule.next().saturating_duration_since(now);
            // Woken early by stop or report_now; the loop re-checks.
            drop(
                self.control
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner()),
            );
        }
        self.report_once();
        let mut state = self.control.lock();
        state.finished = true;
        state.done = state.asked;
        drop(state);
        self.control.changed.notify_all();
    }

    /// One report, with its failure or panic logged and counted.
    fn report_once(&mut self) {
        let start = self.clock.now();
        let snapshot = self.quiet.apply(self.registry.snapshot());
        let report = &mut self.report;
        let outcome = catch_unwind(AssertUnwindSafe(|| report.report(&snapshot)));
        match outcome {
            Ok(Ok(())) => self.own.reports.inc(1),
            Ok(Err(error)) => {
                self.own.failures.inc(1);
                log::warn!("metrics reporter {:?}: report failed: {error}", self.name);
            }
            Err(panic) => {
                self.own.panics.inc(1);
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string payload".to_string());
                log::error!(
                    "metrics reporter {:?}: report panicked: {message}",
                    self.name
                );
            }
        }
        self.own.duration.update_since(start);
    }
}
