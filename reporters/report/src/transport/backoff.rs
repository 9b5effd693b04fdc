//! [`Backoff`]: how long a transport waits after a failure before it tries
//! again, doubling from [`INITIAL_BACKOFF`] up to [`MAX_BACKOFF`].

use crate::MAX_WAIT;
use std::time::{Duration, Instant};

/// The first wait after a failed connection attempt or write; it doubles
/// after each further failure up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(500);

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Exponential backoff between attempts.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
    next_attempt: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self::between(INITIAL_BACKOFF, MAX_BACKOFF)
    }

    pub(crate) fn between(initial: Duration, max: Duration) -> Self {
        let max = max.min(MAX_WAIT);
        let initial = initial.min(max);
        Backoff {
            initial,
            max,
            current: initial,
            next_attempt: None,
        }
    }

    /// Time left before an attempt is allowed at `now`.
    pub(crate) fn wait_at(&self, now: Instant) -> Option<Duration> {
        let next = self.next_attempt?;
        (now < next).then(|| next - now)
    }

    pub(crate) fn failed(&mut self, now: Instant) {
        self.next_attempt = Some(now + self.current);
        self.current = (self.current * 2).min(self.max);
    }

    pub(crate) fn succeeded(&mut self) {
        *self = Backoff::between(self.initial, self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let start = Instant::now();
        let mut backoff = Backoff::new();
        assert_eq!(backoff.wait_at(start), None);
        backoff.failed(start);
        assert_eq!(backoff.wait_at(start), Some(INITIAL_BACKOFF));
        assert_eq!(backoff.wait_at(start + INITIAL_BACKOFF), None);
        let mut waits = Vec::new();
        for _ in 0..10 {
            backoff.failed(start);
            waits.push(backoff.wait_at(start).unwrap());
        }
        assert_eq!(waits[0], INITIAL_BACKOFF * 2);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), MAX_BACKOFF);
        backoff.succeeded();
        assert_eq!(backoff.wait_at(start), None);

        let mut custom = Backoff::between(Duration::from_secs(2), Duration::from_secs(5));
        custom.failed(start);
        assert_eq!(custom.wait_at(start), Some(Duration::from_secs(2)));
        custom.failed(start);
        custom.failed(start);
        assert_eq!(custom.wait_at(start), Some(Duration::from_secs(5)));
        custom.succeeded();
        custom.failed(start);
        assert_eq!(custom.wait_at(start), Some(Duration::from_secs(2)));
    }
}
