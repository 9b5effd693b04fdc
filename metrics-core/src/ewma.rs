//! [`Ewma`]: the exponentially weighted moving average of a rate, as in
//! go-metrics and Dropwizard (the load-average style 1/5/15-minute rates).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The interval between two ticks.
pub const TICK_INTERVAL: Duration = Duration::from_secs(5);
const TICK_SECS: f64 = 5.0;

/// The averaging state alone: no atomics, advanced by whoever owns it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EwmaState {
    alpha: f64,
    /// Events per second; `None` until the first tick.
    rate: Option<f64>,
}

impl EwmaState {
    pub(crate) fn minutes(minutes: f64) -> Self {
        Self {
            alpha: 1.0 - (-TICK_SECS / 60.0 / minutes).exp(),
            rate: None,
        }
    }

    /// One tick in which `count` events happened.
    pub(crate) fn tick(&mut self, count: u64) {
        let instant = count as f64 / TICK_SECS;
        self.rate = Some(match self.rate {
            Some(rate) => rate + self.alpha * (instant - rate),
            None => instant,
        });
    }

    /// `ticks` ticks at once, in closed form (no loop, whatever the idle
    /// time): `first` events in the first tick and `each` in every tick.
    pub(crate) fn tick_many(&mut self, ticks: u64, first: u64, each: f64) {
        if ticks == 0 {
            return;
        }
        self.tick(first);
        let remaining = ticks - 1;
        if remaining == 0 {
            return;
        }
        // r_k = c + (r_0 - c) * (1 - alpha)^k with a constant instant rate c.
        let c = each / TICK_SECS;
        let r0 = self.rate.unwrap_or(c);
        let decay = (1.0 - self.alpha).powf(remaining as f64);
        self.rate = Some(c + (r0 - c) * decay);
    }

    pub(crate) fn rate(&self) -> f64 {
        self.rate.unwrap_or(0.0)
    }
}

/// An exponentially weighted moving average of events per second.
///
/// Feed it with [`update`](Self::update) and call [`tick`](Self::tick) every
/// [`TICK_INTERVAL`] (5 s). `alpha = 1 - exp(-5/60/N)` for an `N`-minute
/// average; the first tick sets the rate to that interval's rate, later ticks
/// move it by `alpha`. Agrees with go-metrics and Dropwizard.
/// [`Meter`](crate::Meter) ticks its averages by itself; use `Ewma` directly
/// only to drive the ticks yourself.
///
/// ```
/// use tachymeter_core::Ewma;
///
/// let e = Ewma::one_minute();
/// e.update(3);
/// e.tick();
/// assert!((e.rate() - 0.6).abs() < 1e-12); // 3 events in 5 s
/// ```
#[derive(Debug)]
pub struct Ewma {
    uncounted: AtomicU64,
    state: Mutex<EwmaState>,
}

impl Ewma {
    /// A one-minute average.
    pub fn one_minute() -> Self {
        Self::minutes(1.0)
    }

    /// A five-minute average.
    pub fn five_minute() -> Self {
        Self::minutes(5.0)
    }

    /// A fifteen-minute average.
    pub fn fifteen_minute() -> Self {
        Self::minutes(15.0)
    }

    fn minutes(minutes: f64) -> Self {
        Self {
            uncounted: AtomicU64::new(0),
            state: Mutex::new(EwmaState::minutes(minutes)),
        }
    }

    /// Records `n` events in the current interval.
    #[inline]
    pub fn update(&self, n: u64) {
        self.uncounted.fetch_add(n, Ordering::Relaxed);
    }

    /// Closes the current 5-second interval.
    pub fn tick(&self) {
        let count = self.uncounted.swap(0, Ordering::Relaxed);
        self.lock().tick(count);
    }

    /// The average rate in events per second (0 before the first tick).
    pub fn rate(&self) -> f64 {
        self.lock().rate()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, EwmaState> {
        // The state is plain numbers: a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
