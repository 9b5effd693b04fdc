//! Time sources. Every time-dependent behaviour (meter ticks, sliding windows,
//! timers) reads time through a [`Clock`], so tests can drive it by hand.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A monotonic time source.
///
/// The library only ever compares instants taken from the same clock, so a
/// clock may start anywhere; it must never go backwards. Tests use a
/// [`ManualClock`] instead of sleeping.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tachymeter_core::{ManualClock, Registry};
///
/// let clock = Arc::new(ManualClock::new());
/// let registry = Registry::builder().clock(clock.clone()).build();
/// let meter = registry.meter("logins")?;
/// meter.mark(60);
/// clock.advance(Duration::from_secs(60));
/// assert!((meter.rate_mean() - 1.0).abs() < 1e-9); // 60 events in 60 s
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock ([`Instant::now`]), every registry's unless
/// built with another.
///
/// ```
/// use tachymeter_core::{Clock, SystemClock};
///
/// let (a, b) = (SystemClock.now(), SystemClock.now());
/// assert!(b >= a);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to: for tests of rates and windows
/// without sleeping.
///
/// ```
/// use tachymeter_core::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.advance(Duration::from_secs(5));
/// assert_eq!(clock.now() - t0, Duration::from_secs(5));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    offset_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock standing still at an arbitrary instant.
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `by` (saturating after about 584 years).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + Duration::from_nanos(self.offset_nanos.load(Ordering::Acquire))
    }
}

/// The shared handle to the system clock, allocated once.
pub(crate) fn system_clock() -> Arc<dyn Clock> {
    static SYSTEM: OnceLock<Arc<dyn Clock>> = OnceLock::new();
    SYSTEM.get_or_init(|| Arc::new(SystemClock)).clone()
}

/// Nanoseconds from `earlier` to `later`, 0 if `later` is before `earlier`,
/// saturating at `u64::MAX`.
pub(crate) fn nanos_between(earlier: Instant, later: Instant) -> u64 {
    u64::try_from(later.saturating_duration_since(earlier).as_nanos()).unwrap_or(u64::MAX)
}
