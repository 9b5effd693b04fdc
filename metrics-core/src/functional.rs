//! Metrics read from a closure each time they are read:
//! [`FunctionalGauge`] (any value) and [`FunctionalCounter`] (a total that
//! only goes up), for values something else keeps: the CPU time of the
//! process, a runtime's busy time, a pool's size.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A gauge computed by a closure each time it is read (go-metrics'
/// `FunctionalGauge`).
///
/// If the closure panics, the read returns NaN instead of taking the
/// reporter down with it.
///
/// ```
/// use tachymeter_core::FunctionalGauge;
///
/// let g = FunctionalGauge::new(|| 42.0);
/// assert_eq!(g.value(), 42.0);
/// let broken = FunctionalGauge::new(|| panic!("boom"));
/// assert!(broken.value().is_nan());
/// ```
#[derive(Clone)]
pub struct FunctionalGauge {
    f: Arc<dyn Fn() -> f64 + Send + Sync>,
}

impl FunctionalGauge {
    /// A gauge whose value is `f()` at read time.
    pub fn new(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Self { f: Arc::new(f) }
    }

    /// Calls the closure; NaN if it panicked.
    pub fn value(&self) -> f64 {
        catch_unwind(AssertUnwindSafe(|| (self.f)())).unwrap_or(f64::NAN)
    }
}

impl fmt::Debug for FunctionalGauge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionalGauge").finish_non_exhaustive()
    }
}

/// A monotonic total computed by a closure each time it is read: CPU
/// seconds, bytes read, parks of a runtime, anything another part of the
/// program already counts. Exported as a counter (`_total` in Prometheus, a
/// monotonic `Sum` in OTLP).
///
/// It never goes down: a read below the highest one so far (the closure's
/// source reset or went back), NaN, or a panic in the closure gives that
/// highest value again, so a reader never sees a counter reset that did not
/// happen. Negative values read as zero.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use tachymeter_core::FunctionalCounter;
///
/// let parks = Arc::new(AtomicU64::new(3));
/// let source = Arc::clone(&parks);
/// let c = FunctionalCounter::new(move || source.load(Ordering::Relaxed) as f64);
/// assert_eq!(c.value(), 3.0);
/// parks.store(1, Ordering::Relaxed); // went back: the counter stays
/// assert_eq!(c.value(), 3.0);
/// assert_eq!(FunctionalCounter::new(|| panic!("boom")).value(), 0.0);
/// ```
#[derive(Clone)]
pub struct FunctionalCounter {
    f: Arc<dyn Fn() -> f64 + Send + Sync>,
    /// The highest value read so far, as `f64` bits (non-negative floats
    /// order as their bits do).
    high: Arc<AtomicU64>,
}

impl FunctionalCounter {
    /// A counter whose value is `f()` at read time, never below an earlier
    /// read.
    pub fn new(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Self {
            f: Arc::new(f),
            high: Arc::new(AtomicU64::new(0f64.to_bits())),
        }
    }

    /// Calls the closure: its value, or the highest one read before if
    /// that is more (or the closure gave NaN or panicked).
    pub fn value(&self) -> f64 {
        let read = catch_unwind(AssertUnwindSafe(|| (self.f)())).unwrap_or(f64::NAN);
        if read.is_nan() {
            return f64::from_bits(self.high.load(Ordering::Relaxed));
        }
        // `+ 0.0` turns -0.0 into 0.0, whose bits order correctly.
        let read = read.max(0.0) + 0.0;
        let before = self.high.fetch_max(read.to_bits(), Ordering::Relaxed);
        f64::from_bits(before.max(read.to_bits()))
    }
}

impl fmt::Debug for FunctionalCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionalCounter")
            .field("high", &f64::from_bits(self.high.load(Ordering::Relaxed)))
            .finish_non_exhaustive()
    }
}
