//! [`Encode`]: a snapshot into what one backend takes, and [`Encoded`], the
//! one account of what was written and what was left out, and why.

use crate::Payload;
use std::time::SystemTime;
use tachymeter_core::RegistrySnapshot;

/// Turns a [`RegistrySnapshot`] into a backend's wire format: the half of a
/// push reporter that knows the backend (names, escaping, what cannot be
/// sent). The other half is a [`Transport`](crate::Transport); a
/// [`Push`](crate::Push) joins the two.
///
/// An encoder writes [`Lines`](crate::Lines),
/// [`Datagrams`](crate::Datagrams) or a [`Body`](crate::Body) (its
/// [`Output`](Self::Output)), and keeps whatever it needs between reports
/// in `self` (the names it settled, what it sent last for deltas).
///
/// ```
/// use std::time::SystemTime;
/// use tachymeter_core::{MetricSnapshot, Registry, RegistrySnapshot};
/// use tachymeter_report::{Encode, Encoded, Lines, Payload};
///
/// /// `name count` for every counter.
/// struct Counts;
///
/// impl Encode for Counts {
///     type Output = Lines;
///
///     fn encode(&mut self, snapshot: &RegistrySnapshot, _: SystemTime, out: &mut Lines) -> Encoded {
///         for entry in &snapshot.metrics {
///             if let MetricSnapshot::Counter(c) = &entry.snapshot {
///                 out.push(&format!("{} {}", entry.key.name(), c.count));
///             }
///         }
///         Encoded::default()
///     }
/// }
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(2);
/// let mut out = Lines::default();
/// Counts.encode(&registry.snapshot(), SystemTime::now(), &mut out);
/// assert_eq!(out.as_str(), "jobs 2\n");
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub trait Encode: Send + 'static {
    /// What it writes.
    type Output: crate::Payload;

    /// Writes `snapshot`, taken at `time`, into `out` (empty), and says what
    /// it left out.
    fn encode(
        &mut self,
        snapshot: &RegistrySnapshot,
        time: SystemTime,
        out: &mut Self::Output,
    ) -> Encoded;

    /// Told, after each send, that the first `points` points of the last
    /// output reached the backend (all of them unless the send failed
    /// partway). An encoder that sends changes since what it last
    /// delivered (StatsD) remembers them now; others need not care.
    fn delivered(&mut self, snapshot: &RegistrySnapshot, out: &Self::Output, points: u64) {
        let _ = (snapshot, out, points);
    }
}

/// What one [`Encode::encode`] left out, by reason; each is counted in the
/// reporter's own counter of the same name (see [`Own`](crate::Own)).
///
/// ```
/// use tachymeter_report::Encoded;
///
/// let encoded = Encoded { non_finite: 2, ..Encoded::default() };
/// assert_eq!(encoded.dropped(), 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Encoded {
    /// Values not written because the format cannot carry NaN or ±Inf
    /// (`dropped-non-finite`).
    pub non_finite: u64,
    /// Points not written because they would be longer than the backend
    /// takes (`dropped-too-long`).
    pub too_long: u64,
    /// Metrics not written because they have more tags than the backend
    /// takes (`dropped-too-many-tags`).
    pub too_many_tags: u64,
    /// Points not written because, once names are cleaned, their series
    /// is another metric's (`dropped-clash`).
    pub clash: u64,
    /// Values written as the largest the format holds, being larger
    /// (`saturated-values`; written, not dropped).
    pub saturated: u64,
}

impl Encoded {
    /// Everything left out.
    pub fn dropped(&self) -> u64 {
        self.non_finite + self.too_long + self.too_many_tags + self.clash
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: Encoded) {
        self.non_finite += other.non_finite;
        self.too_long += other.too_long;
        self.too_many_tags += other.too_many_tags;
        self.clash += other.clash;
        self.saturated += other.saturated;
    }
}

/// An encoder's output for one snapshot, with its account: what tests and
/// hand-run reports call.
///
/// ```
/// use std::time::SystemTime;
/// use tachymeter_core::{Registry, RegistrySnapshot};
/// use tachymeter_report::{encode_once, Encode, Encoded, Lines};
///
/// struct Size;
///
/// impl Encode for Size {
///     type Output = Lines;
///
///     fn encode(&mut self, s: &RegistrySnapshot, _: SystemTime, out: &mut Lines) -> Encoded {
///         out.push(&s.metrics.len().to_string());
///         Encoded::default()
///     }
/// }
///
/// let (lines, _) = encode_once(&mut Size, &Registry::new().snapshot(), SystemTime::now());
/// assert_eq!(lines.as_str(), "0\n");
/// ```
pub fn encode_once<E: Encode>(
    encoder: &mut E,
    snapshot: &RegistrySnapshot,
    time: SystemTime,
) -> (E::Output, Encoded) {
    let mut out = E::Output::default();
    out.clear();
    let encoded = encoder.encode(snapshot, time, &mut out);
    (out, encoded)
}
