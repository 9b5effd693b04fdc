//! The 1/5/15-minute rates shared by [`Meter`](crate::Meter) and
//! [`Timer`](crate::Timer), ticked lazily from a clock.

use crate::clock::{nanos_between, Clock};
use crate::ewma::{EwmaState, TICK_INTERVAL};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

const TICK_NANOS: u64 = TICK_INTERVAL.as_nanos() as u64;

/// How events counted between two advances are spread over the ticks that
/// elapsed between them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Spread {
    /// All in the first elapsed tick: right when every mark also advances the
    /// ticker (a mark made after a tick boundary would have ticked first).
    First,
    /// Evenly: the best guess when nobody advanced the ticker in between.
    Even,
}

#[derive(Debug)]
struct Ticker {
    ticks_done: u64,
    counted: u64,
    m1: EwmaState,
    m5: EwmaState,
    m15: EwmaState,
}

/// The three averages, the start time and the tick schedule.
#[derive(Debug)]
pub(crate) struct Rates {
    clock: Arc<dyn Clock>,
    start: Instant,
    /// Nanoseconds after `start` at which the next tick is due.
    next_tick: AtomicU64,
    ticker: Mutex<Ticker>,
}

/// The rates at one instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateValues {
    pub(crate) rate1: f64,
    pub(crate) rate5: f64,
    pub(crate) rate15: f64,
    pub(crate) rate_mean: f64,
}

impl Rates {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        let start = clock.now();
        Self {
            clock,
            start,
            next_tick: AtomicU64::new(TICK_NANOS),
            ticker: Mutex::new(Ticker {
                ticks_done: 0,
                counted: 0,
                m1: EwmaState::minutes(1.0),
                m5: EwmaState::minutes(5.0),
                m15: EwmaState::minutes(15.0),
            }),
        }
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// On the recording path: ticks if a tick is due and nobody else is
    /// ticking. Never waits for the lock.
    #[inline]
    pub(crate) fn tick_if_due(&self, total: impl FnOnce() -> u64) {
        let elapsed = nanos_between(self.start, self.clock.now());
        if elapsed < self.next_tick.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(mut ticker) = self.ticker.try_lock() {
            self.advance(&mut ticker, elapsed, total(), Spread::First);
        }
    }

    /// On the reading path: ticks up to now and returns the rates.
    pub(crate) fn read(&self, total: u64, spread: Spread) -> RateValues {
        let elapsed = nanos_between(self.start, self.clock.now());
        let mut ticker = self.lock();
        self.advance(&mut ticker, elapsed, total, spread);
        let secs = elapsed as f64 / 1e9;
        RateValues {
            rate1: ticker.m1.rate(),
            rate5: ticker.m5.rate(),
            rate15: ticker.m15.rate(),
            rate_mean: if secs > 0.0 { total as f64 / secs } else { 0.0 },
        }
    }

    fn advance(&self, ticker: &mut Ticker, elapsed: u64, total: u64, spread: Spread) {
        let due = elapsed / TICK_NANOS;
        let ticks = due.saturating_sub(ticker.ticks_done);
        if ticks == 0 {
            return;
        }
        let delta = total.saturating_sub(ticker.counted);
        ticker.counted = ticker.counted.max(total);
        ticker.ticks_done = due;
        let (first, each) = match spread {
            Spread::First => (delta, 0.0),
            Spread::Even => {
                let each = delta / ticks;
                // The remainder goes to the first tick so no event is lost.
                (delta - each * (ticks - 1), each as f64)
            }
        };
        for ewma in [&mut ticker.m1, &mut ticker.m5, &mut ticker.m15] {
            ewma.tick_many(ticks, first, each);
        }
        self.next_tick
            .store((due + 1).saturating_mul(TICK_NANOS), Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Ticker> {
        self.ticker.lock().unwrap_or_else(|e| e.into_inner())
    }
}
