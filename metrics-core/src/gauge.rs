//! Gauges set from outside: [`Gauge`] (`i64`) and [`GaugeF64`]; a gauge
//! read from a closure is a [`FunctionalGauge`](crate::FunctionalGauge).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// An `i64` value set from outside: queue length, pool size, in-flight work.
///
/// ```
/// use tachymeter_core::Gauge;
///
/// let g = Gauge::new();
/// g.update(7);
/// g.inc(1);
/// g.dec(3);
/// assert_eq!(g.value(), 5);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Gauge {
    value: Arc<AtomicI64>,
}

impl Gauge {
    /// A gauge at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the value.
    #[inline]
    pub fn update(&self, value: i64) {
        self.value.store(value, Ordering::Relaxed);
    }

    /// Adds `n`, like [`Counter::inc`](crate::Counter::inc): at most
    /// `i64::MAX` at once, the value wrapping at the `i64` bounds.
    ///
    /// ```
    /// let in_flight = tachymeter_core::Gauge::new();
    /// in_flight.inc(2);
    /// in_flight.dec(3);
    /// assert_eq!(in_flight.value(), -1);
    /// ```
    #[inline]
    pub fn inc(&self, n: u64) {
        self.value.fetch_add(amount(n), Ordering::Relaxed);
    }

    /// Subtracts `n`, like [`Counter::dec`](crate::Counter::dec): at most
    /// `i64::MAX` at once, the value wrapping at the `i64` bounds.
    #[inline]
    pub fn dec(&self, n: u64) {
        self.value.fetch_sub(amount(n), Ordering::Relaxed);
    }

    /// The current value.
    pub fn value(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

/// `n` as an `i64` step, at most `i64::MAX`.
#[inline]
fn amount(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An `f64` value set from outside.
///
/// Any `f64` is stored as given, NaN and the infinities included: the gauge
/// reports what it was told. Each reporter documents what its wire format
/// does with them (Prometheus carries them; InfluxDB cannot, and drops and
/// counts them).
///
/// ```
/// use tachymeter_core::GaugeF64;
///
/// let load = GaugeF64::new();
/// load.update(0.75);
/// assert_eq!(load.value(), 0.75);
/// load.update(f64::NAN);
/// assert!(load.value().is_nan());
/// ```
#[derive(Clone, Debug)]
pub struct GaugeF64 {
    bits: Arc<AtomicU64>,
}

impl GaugeF64 {
    /// A gauge at `0.0`.
    pub fn new() -> Self {
        Self {
            bits: Arc::new(AtomicU64::new(0f64.to_bits())),
        }
    }

    /// Sets the value.
    #[inline]
    pub fn update(&self, value: f64) {
        self.bits.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` (negative to subtract), without a lock: concurrent
    /// adds all count.
    ///
    /// ```
    /// let queue = tachymeter_core::GaugeF64::new();
    /// queue.add(2.5);
    /// queue.add(-1.0);
    /// assert_eq!(queue.value(), 1.5);
    /// ```
    #[inline]
    pub fn add(&self, delta: f64) {
        let _ = self
            .bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + delta).to_bits())
            });
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
}

impl Default for GaugeF64 {
    fn default() -> Self {
        Self::new()
    }
}
