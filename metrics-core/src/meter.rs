//! [`Meter`]: a count of events and their 1/5/15-minute and mean rates.

use crate::clock::{system_clock, Clock};
use crate::per_thread::cells::Cells;
use crate::rates::{Rates, Spread};
use crate::snapshot::MeterSnapshot;
use std::sync::Arc;

/// Counts events and their rates in events per second: the 1, 5 and
/// 15-minute exponentially weighted averages (as in go-metrics and
/// Dropwizard) and the mean rate since creation.
///
/// The averages tick lazily, on `mark` and on read, for every whole 5 s
/// elapsed: there is no background thread, nothing to stop, and nothing
/// leaks when a meter is dropped. An idle meter's rates decay toward zero
/// when read. `mark` reads the clock once (to see whether a tick is due)
/// and never waits for a lock.
///
/// ```
/// use tachymeter_core::{ManualClock, Meter};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let clock = Arc::new(ManualClock::new());
/// let meter = Meter::with_clock(clock.clone());
/// meter.mark(10);
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(meter.count(), 10);
/// assert!((meter.rate1() - 2.0).abs() < 1e-9); // 10 events in 5 s
/// ```
#[derive(Clone, Debug)]
pub struct Meter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    count: Cells,
    rates: Rates,
}

impl Meter {
    /// A meter on the system clock.
    pub fn new() -> Self {
        Self::with_clock(system_clock())
    }

    /// A meter on the given clock.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                count: Cells::new(),
                rates: Rates::new(clock),
            }),
        }
    }

    /// Records `n` events now (at most `i64::MAX` at once; the count wraps
    /// past `u64::MAX`).
    #[inline]
    pub fn mark(&self, n: u64) {
        let inner = &*self.inner;
        inner.rates.tick_if_due(|| inner.count.sum() as u64);
        inner.count.add(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub(crate) fn cells(&self) -> &Cells {
        &self.inner.count
    }

    /// Events recorded so far.
    pub fn count(&self) -> u64 {
        self.inner.count.sum() as u64
    }

    /// The one-minute average rate, events per second.
    pub fn rate1(&self) -> f64 {
        self.snapshot().rate1
    }

    /// The five-minute average rate, events per second.
    pub fn rate5(&self) -> f64 {
        self.snapshot().rate5
    }

    /// The fifteen-minute average rate, events per second.
    pub fn rate15(&self) -> f64 {
        self.snapshot().rate15
    }

    /// Events per second since the meter was created.
    pub fn rate_mean(&self) -> f64 {
        self.snapshot().rate_mean
    }

    /// A point-in-time copy of the count and rates.
    pub fn snapshot(&self) -> MeterSnapshot {
        self.snapshot_of(self.count())
    }

    /// The snapshot for `count`, a sum of [`cells`](Self::cells) just taken.
    pub(crate) fn snapshot_of(&self, count: u64) -> MeterSnapshot {
        let r = self.inner.rates.read(count, Spread::First);
        MeterSnapshot {
            count,
            rate1: r.rate1,
            rate5: r.rate5,
            rate15: r.rate15,
            rate_mean: r.rate_mean,
        }
    }
}

impl Default for Meter {
    fn default() -> Self {
        Self::new()
    }
}
