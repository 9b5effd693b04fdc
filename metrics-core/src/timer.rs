//! [`Timer`]: a histogram of durations plus the rate of events.

use crate::clock::{system_clock, Clock};
use crate::exemplar::Trace;
use crate::histogram::{Histogram, HistogramConfig};
use crate::rates::{Rates, Spread};
use crate::snapshot::{MeterSnapshot, TimerSnapshot};
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Durations (recorded in nanoseconds into a [`Histogram`]) and the rate at
/// which they happen (1/5/15-minute and mean, as a [`Meter`](crate::Meter)).
///
/// `update` costs what a histogram update costs: it does not read the clock.
/// The rates are ticked when read, spreading the events counted since the
/// previous read evenly over the 5 s ticks in between; read at least every
/// 5 s (any periodic reporter does) for exact tick attribution.
///
/// Durations never panic: a start instant in the future records zero, and a
/// duration beyond `u64::MAX` nanoseconds (584 years) is recorded as that
/// and counted as clamped.
///
/// ```
/// use tachymeter_core::Timer;
/// use std::time::Duration;
///
/// let timer = Timer::new();
/// timer.update(Duration::from_millis(3));
/// let answer = timer.time(|| 6 * 7); // times the closure, even if it panics
/// {
///     let _guard = timer.start(); // records when dropped
/// }
/// assert_eq!(answer, 42);
/// assert_eq!(timer.snapshot().count(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct Timer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    histogram: Histogram,
    rates: Rates,
}

impl Timer {
    /// A timer with the default histogram configuration on the system clock.
    pub fn new() -> Self {
        Self::with_config(HistogramConfig::default(), system_clock())
    }

    /// A timer with the given histogram configuration (values in
    /// nanoseconds) and clock.
    pub fn with_config(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                histogram: Histogram::with_config(config, clock.clone()),
                rates: Rates::new(clock),
            }),
        }
    }

    /// Records one duration.
    #[inline]
    pub fn update(&self, elapsed: Duration) {
        // In u64 (not `as_nanos`' u128): cheaper, and overflow is rare.
        let nanos = elapsed
            .as_secs()
            .checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(u64::from(elapsed.subsec_nanos())));
        self.inner
            .histogram
            .record(nanos.unwrap_or(u64::MAX), nanos.is_none());
    }

    /// Records one duration and keeps `trace` as its exemplar (see
    /// [`Histogram::update_with_exemplar`](crate::Histogram::update_with_exemplar)),
    /// read back in the snapshot's `durations.exemplars`, in nanoseconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tachymeter_core::{Timer, Trace};
    ///
    /// let timer = Timer::new();
    /// let trace = Trace::new([3; 16], [4; 8]);
    /// timer.update_with_exemplar(Duration::from_millis(250), trace);
    /// let exemplars = timer.snapshot().durations.exemplars;
    /// assert_eq!((exemplars[0].value, exemplars[0].trace), (250_000_000, trace));
    /// ```
    pub fn update_with_exemplar(&self, elapsed: Duration, trace: Trace) {
        self.update(elapsed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.inner.histogram.keep_exemplar(nanos, trace);
    }

    /// Records the time from `start` to now (zero if `start` is later).
    ///
    /// ```
    /// use std::time::Instant;
    ///
    /// let timer = tachymeter_core::Timer::new();
    /// let start = Instant::now();
    /// // ... the work being timed ...
    /// timer.update_since(start);
    /// assert_eq!(timer.count(), 1);
    /// ```
    pub fn update_since(&self, start: Instant) {
        self.update(self.now().saturating_duration_since(start));
    }

    /// Runs `f` and records how long it took, also when `f` panics.
    pub fn time<T>(&self, f: impl FnOnce() -> T) -> T {
        let _guard = self.start();
        f()
    }

    /// Starts timing; the returned guard records when dropped or stopped.
    pub fn start(&self) -> TimerGuard<'_> {
        TimerGuard {
            timer: Cow::Borrowed(self),
            start: self.now(),
            recorded: false,
        }
    }

    /// Starts timing with a guard that owns a handle to this timer, so it
    /// can be kept in a struct, sent to another thread or held across an
    /// `.await`; it records when dropped or stopped.
    ///
    /// ```
    /// use tachymeter_core::{Timer, TimerGuard};
    ///
    /// struct Job {
    ///     _timing: TimerGuard<'static>, // records when the job is dropped
    /// }
    ///
    /// let timer = Timer::new();
    /// let job = Job { _timing: timer.start_owned() };
    /// std::thread::spawn(move || drop(job)).join().unwrap();
    /// assert_eq!(timer.count(), 1);
    /// ```
    pub fn start_owned(&self) -> TimerGuard<'static> {
        TimerGuard {
            timer: Cow::Owned(self.clone()),
            start: self.now(),
            recorded: false,
        }
    }

    /// Runs the future `work` and records how long it took to complete.
    /// A future dropped before it completes (a cancelled request, a lost
    /// `select!` branch) records nothing, since its duration is not one of
    /// the operation: count cancellations apart if they matter, as the
    /// middleware of `tachymeter-tower` does.
    ///
    /// ```
    /// use tachymeter_core::Timer;
    ///
    /// async fn query(timer: &Timer) -> u32 {
    ///     timer.time_future(async { 6 * 7 }).await
    /// }
    /// # let timer = Timer::new();
    /// # let answer = std::pin::pin!(query(&timer))
    /// #     .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    /// # use std::future::Future;
    /// # assert_eq!(answer, std::task::Poll::Ready(42));
    /// # assert_eq!(timer.count(), 1);
    /// ```
    pub async fn time_future<F: Future>(&self, work: F) -> F::Output {
        let start = self.now();
        let output = work.await;
        self.update_since(start);
        output
    }

    /// The instant on this timer's clock.
    pub fn now(&self) -> Instant {
        self.inner.rates.clock().now()
    }

    /// Durations recorded so far.
    pub fn count(&self) -> u64 {
        self.inner.histogram.count()
    }

    /// A consistent point-in-time copy (see [`Histogram::snapshot`]).
    pub fn snapshot(&self) -> TimerSnapshot {
        let reading = self.inner.histogram.read();
        let count = reading.stats.count;
        let r = self.inner.rates.read(count, Spread::Even);
        TimerSnapshot {
            durations: self.inner.histogram.build(reading),
            rate: MeterSnapshot {
                count,
                rate1: r.rate1,
                rate5: r.rate5,
                rate15: r.rate15,
                rate_mean: r.rate_mean,
            },
        }
    }

    /// Heap bytes this timer uses now (see [`Histogram::memory_bytes`]).
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Inner>() + self.inner.histogram.memory_bytes()
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

/// Times from [`Timer::start`] (borrowing the timer) or
/// [`Timer::start_owned`] (`TimerGuard<'static>`, holding a handle) until
/// dropped or [`stop`](Self::stop)ped.
///
/// ```
/// let timer = tachymeter_core::Timer::new();
/// {
///     let _guard = timer.start(); // records when the block ends
/// }
/// let elapsed = timer.start().stop(); // or when stopped, returning the time
/// assert_eq!(timer.count(), 2);
/// # let _ = elapsed;
/// ```
#[derive(Debug)]
#[must_use = "the guard records when it is dropped; dropping it at once records ~0"]
pub struct TimerGuard<'a> {
    timer: Cow<'a, Timer>,
    start: Instant,
    recorded: bool,
}

impl TimerGuard<'_> {
    /// Records now and returns the duration recorded.
    pub fn stop(mut self) -> Duration {
        self.record()
    }

    fn record(&mut self) -> Duration {
        let elapsed = self.timer.now().saturating_duration_since(self.start);
        if !self.recorded {
            self.recorded = true;
            self.timer.update(elapsed);
        }
        elapsed
    }
}

impl Drop for TimerGuard<'_> {
    fn drop(&mut self) {
        self.record();
    }
}
