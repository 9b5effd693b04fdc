//! [`Timer`]: a histogram of durations plus the rate of events.

use crate::clock::{system_clock, Clock};
use crate::histogram::{Histogram, HistogramConfig};
use crate::rates::{Rates, Spread};
use crate::snapshot::{MeterSnapshot, TimerSnapshot};
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

    /// Records the time from `start` to now (zero if `start` is later).
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
            timer: self,
            start: self.now(),
            recorded: false,
        }
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

/// Times from [`Timer::start`] until dropped or [`stop`](Self::stop)ped.
#[derive(Debug)]
#[must_use = "the guard records when it is dropped; dropping it at once records ~0"]
pub struct TimerGuard<'a> {
    timer: &'a Timer,
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
