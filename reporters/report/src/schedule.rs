//! When reports are due: fixed ticks from a start instant, with missed
//! ticks skipped rather than replayed.

use std::time::{Duration, Instant};

/// The longest interval or timeout the reporters use (one year): longer
/// ones are taken as this, so no deadline computation can overflow.
pub const MAX_WAIT: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Report deadlines every `interval` from a start instant.
///
/// A report that overruns one or more later ticks does not cause a burst of
/// catch-up reports: the ticks that passed while it ran are skipped and
/// counted, and the schedule stays on its original grid.
///
/// ```
/// use tachymeter_report::{Due, Schedule};
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let mut schedule = Schedule::new(start, Duration::from_secs(10));
/// assert_eq!(schedule.next(), start + Duration::from_secs(10));
/// // Not yet due.
/// assert_eq!(schedule.due(start + Duration::from_secs(9)), None);
/// // Woken 35 s in: the ticks at 20 s and 30 s were missed.
/// let due = schedule.due(start + Duration::from_secs(35)).unwrap();
/// assert_eq!(due, Due { skipped: 2 });
/// assert_eq!(schedule.next(), start + Duration::from_secs(40));
/// ```
#[derive(Debug, Clone)]
pub struct Schedule {
    next: Instant,
    interval: Duration,
}

/// A report is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// Ticks that passed without a report since the last one was due.
    pub skipped: u64,
}

impl Schedule {
    /// Ticks at `start + interval`, `start + 2 × interval`, … An interval of
    /// zero is taken as one millisecond, and one longer than [`MAX_WAIT`] as
    /// `MAX_WAIT`.
    pub fn new(start: Instant, interval: Duration) -> Self {
        let interval = interval.clamp(Duration::from_millis(1), MAX_WAIT);
        Self {
            next: start + interval,
            interval,
        }
    }

    /// The interval between ticks.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The next deadline.
    pub fn next(&self) -> Instant {
        self.next
    }

    /// Whether a report is due at `now`; if so, the schedule moves to the
    /// first tick after `now`, and the ticks in between are `skipped`.
    pub fn due(&mut self, now: Instant) -> Option<Due> {
        if now < self.next {
            return None;
        }
        let behind = now.duration_since(self.next);
        let skipped = behind.as_nanos() / self.interval.as_nanos();
        let skipped = u64::try_from(skipped).unwrap_or(u64::MAX);
        // Move to the first tick strictly after `now`.
        let steps = u32::try_from(skipped.saturating_add(1)).unwrap_or(u32::MAX);
        self.next = self
            .interval
            .checked_mul(steps)
            .and_then(|d| self.next.checked_add(d))
            .unwrap_or(now + self.interval);
        Some(Due { skipped })
    }
}
