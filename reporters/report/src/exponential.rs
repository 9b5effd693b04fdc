//! [`ExponentialBuckets`]: a histogram's log-linear buckets mapped onto
//! exponential ones, for OTLP's exponential histograms and Prometheus'
//! native histograms.

use tachymeter_core::{Bucket, Distribution};

/// The finest scale mapped: 256 buckets per power of two, each 0.27 %
/// wide, already finer than a histogram's own buckets (0.78 % at two
/// significant figures).
pub const MAX_SCALE: i32 = 8;

/// A distribution's values counted in exponential buckets: at scale `s`,
/// bucket `i` holds the values in `(base^i, base^(i+1)]`, `base =
/// 2^(2^-s)`, so every power of two is split into `2^s` buckets (OTLP's
/// definition; Prometheus numbers the same buckets from 1 higher). Zero
/// goes to a bucket of its own.
///
/// Each bucket of the histogram is counted in the exponential bucket that
/// holds its midpoint, so a quantile read from the exponential buckets is
/// within [`relative_error`](Self::relative_error) of the exact one. The
/// buffers are reused from one distribution to the next.
///
/// ```
/// use tachymeter_core::Histogram;
/// use tachymeter_report::ExponentialBuckets;
///
/// let h = Histogram::new();
/// for v in [0, 3, 3, 1_000] {
///     h.update(v);
/// }
/// let mut buckets = ExponentialBuckets::default();
/// buckets.map(&h.snapshot().all_time, 1.0, 3);
/// assert_eq!(buckets.zero_count(), 1);
/// // 3 lies in (2^(12/8), 2^(13/8)]: bucket 12 at scale 3.
/// assert_eq!(buckets.counts()[0], (12, 2));
/// buckets.coarsen();
/// assert_eq!((buckets.scale(), buckets.counts()[0]), (2, (6, 2)));
/// ```
#[derive(Debug, Default, Clone)]
pub struct ExponentialBuckets {
    /// (bucket index, count), by increasing index.
    counts: Vec<(i32, u64)>,
    scale: i32,
    zero_count: u64,
    /// `2^(j / 2^scale)` for `j` in `0..=2^scale`: the bucket bounds within
    /// one power of two, for a positive scale.
    within_octave: Vec<f64>,
    /// For each of `2^(scale+1)` equal cells of `[1, 2)`, the first bound
    /// at or above the cell's start. Bounds are further apart than a cell
    /// is wide, so a value's bound is this one or the next.
    first_bound: Vec<u16>,
}

impl ExponentialBuckets {
    /// Maps `d`'s buckets, whose raw values divided by `per_unit` are in
    /// the exported unit (1e9 for a timer's nanoseconds in seconds), at
    /// `scale` (at most [`MAX_SCALE`]).
    pub fn map(&mut self, d: &Distribution, per_unit: f64, scale: i32) {
        let mut counts = std::mem::take(&mut self.counts);
        counts.clear();
        self.zero_count = self.each(d, per_unit, scale, |index, count| {
            counts.push((index, count));
        });
        self.counts = counts;
    }

    /// [`map`](Self::map) without keeping the buckets: calls `emit` with
    /// each bucket (index and count, by increasing index, each once), for
    /// a writer that needs a single pass. Returns the zero bucket's count.
    pub fn each(
        &mut self,
        d: &Distribution,
        per_unit: f64,
        scale: i32,
        mut emit: impl FnMut(i32, u64),
    ) -> u64 {
        self.prepare(scale);
        let mut zero = 0;
        let mut pending: Option<(i32, u64)> = None;
        // A multiplication is cheaper than a division; it moves the point by
        // at most a rounding, which matters to no bound.
        let per_value = per_unit.recip();
        for bucket in d.buckets() {
            let mid = midpoint(bucket);
            if mid == 0.0 {
                zero += bucket.count;
                continue;
            }
            let index = self.index(mid * per_value);
            match &mut pending {
                Some((last, count)) if *last == index => *count += bucket.count,
                _ => {
                    if let Some((last, count)) = pending {
                        emit(last, count);
                    }
                    pending = Some((index, bucket.count));
                }
            }
        }
        if let Some((last, count)) = pending {
            emit(last, count);
        }
        self.zero_count = zero;
        zero
    }

    /// Halves the resolution: bucket `i` lies in bucket `i >> 1` one scale
    /// down.
    pub fn coarsen(&mut self) {
        self.scale -= 1;
        let mut merged = 0;
        for k in 0..self.counts.len() {
            let (index, count) = self.counts[k];
            let index = index >> 1;
            if merged > 0 && self.counts[merged - 1].0 == index {
                self.counts[merged - 1].1 += count;
            } else {
                self.counts[merged] = (index, count);
                merged += 1;
            }
        }
        self.counts.truncate(merged);
    }

    /// The non-empty buckets: (index, count), by increasing index.
    pub fn counts(&self) -> &[(i32, u64)] {
        &self.counts
    }

    /// The scale of the buckets.
    pub fn scale(&self) -> i32 {
        self.scale
    }

    /// The values that are 0.
    pub fn zero_count(&self) -> u64 {
        self.zero_count
    }

    /// How many buckets from the first non-empty one to the last, the
    /// empty ones between included: what a dense encoding (OTLP's) writes.
    pub fn dense_len(&self) -> usize {
        match (self.counts.first(), self.counts.last()) {
            (Some(first), Some(last)) => (last.0 - first.0) as usize + 1,
            _ => 0,
        }
    }

    /// The bound on the relative error of a quantile read from buckets of
    /// `scale`, for a histogram whose own relative error is
    /// `histogram_error` ([`HistogramSnapshot::relative_error`]):
    /// `(1 + histogram_error) * 2^(2^-scale) - 1`. The value of the
    /// quantile's rank lies in a histogram bucket whose midpoint is within
    /// `histogram_error` of it, and that midpoint in the exponential bucket
    /// the estimate is read from.
    ///
    /// [`HistogramSnapshot::relative_error`]: tachymeter_core::HistogramSnapshot::relative_error
    pub fn relative_error(scale: i32, histogram_error: f64) -> f64 {
        (1.0 + histogram_error) * (-f64::from(scale)).exp2().exp2() - 1.0
    }

    /// Starts a distribution at `scale`, with the tables of that scale.
    fn prepare(&mut self, scale: i32) {
        self.zero_count = 0;
        self.scale = scale.min(MAX_SCALE);
        if self.scale > 0 && self.within_octave.len() != (1 << self.scale) + 1 {
            let cells = f64::from(1 << self.scale);
            self.within_octave = (0..=1 << self.scale)
                .map(|j| (f64::from(j) / cells).exp2())
                .collect();
            let cells = 2 << self.scale;
            self.first_bound = (0..cells)
                .map(|c| {
                    let start = 1.0 + f64::from(c) / f64::from(cells);
                    self.within_octave.partition_point(|&bound| bound < start) as u16
                })
                .collect();
        }
    }

    /// The index of the bucket holding `x` (positive), `(base^i,
    /// base^(i+1)]`. With `x = m * 2^e`, `m` in `[1, 2)`, read from the bits
    /// of `x`, that is `e * 2^s` plus the first bound within the power of
    /// two at or above `m`, less one: no logarithm, one table lookup and one
    /// comparison.
    #[inline]
    fn index(&self, x: f64) -> i32 {
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        if biased == 0 || biased == 0x7ff {
            // Subnormal, infinite or NaN: never a midpoint divided by a
            // unit, but keep to the definition.
            return (x.log2() * f64::from(self.scale).exp2()).ceil() as i32 - 1;
        }
        let e = biased - 1023;
        let exact_power = bits & ((1 << 52) - 1) == 0;
        if self.scale <= 0 {
            // Each bucket spans `2^-s` powers of two, bounded by powers of
            // two: `x = 2^e` is the upper bound of the bucket ending at `e`.
            let width = 1 << -self.scale;
            return if exact_power {
                e.div_euclid(width) + i32::from(e.rem_euclid(width) != 0) - 1
            } else {
                e.div_euclid(width)
            };
        }
        let mantissa = bits & ((1 << 52) - 1);
        let m = f64::from_bits(mantissa | (1023 << 52));
        let mut j = usize::from(self.first_bound[(mantissa >> (51 - self.scale)) as usize]);
        if m > self.within_octave[j] {
            j += 1;
        }
        (e << self.scale) + j as i32 - 1
    }
}

/// The middle of `bucket`, rounded down to an integer: as far from its
/// highest value as from its lowest, give or take one, which keeps both
/// within the histogram's relative error of it. (Integer arithmetic, and a
/// signed conversion, cost less than converting both ends.)
#[inline]
fn midpoint(bucket: Bucket) -> f64 {
    let mid = bucket.low / 2 + bucket.high / 2 + (bucket.low & bucket.high & 1);
    match i64::try_from(mid) {
        Ok(mid) => mid as f64,
        Err(_) => mid as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tachymeter_core::Histogram;

    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn indices_are_those_of_the_definition() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for scale in -4..=MAX_SCALE {
            let h = Histogram::new();
            h.update(1);
            let mut buckets = ExponentialBuckets::default();
            buckets.map(&h.snapshot().all_time, 1.0, scale);
            let cells = f64::from(scale).exp2();
            let mut values: Vec<f64> = (0..20_000)
                .map(|_| {
                    let r = next(&mut x);
                    (r >> 11) as f64 / (1u64 << (r % 64)) as f64 + 1e-12
                })
                .collect();
            // Exact bounds: powers of two, and their neighbours.
            for e in -40..40 {
                let p = f64::from(e).exp2();
                values.extend([p, p.next_up(), p.next_down()]);
            }
            for v in values {
                let by_log = (v.log2() * cells).ceil() as i32 - 1;
                let i = buckets.index(v);
                // Only a value within rounding of a bound may differ.
                let lower = (f64::from(i) / cells).exp2();
                let upper = (f64::from(i + 1) / cells).exp2();
                assert!(
                    i == by_log
                        || (v / upper - 1.0).abs() < 1e-12
                        || (v / lower - 1.0).abs() < 1e-12,
                    "scale {scale}: {v} in {i}, by log2 {by_log}"
                );
                assert!(
                    lower * (1.0 - 1e-12) <= v && v <= upper * (1.0 + 1e-12),
                    "{v}: {i}"
                );
            }
        }
    }

    #[test]
    fn coarsening_merges_pairs_of_buckets() {
        let mut buckets = ExponentialBuckets {
            counts: vec![(-4, 1), (-3, 2), (-2, 3), (-1, 4), (0, 5), (1, 6), (4, 7)],
            scale: 3,
            ..Default::default()
        };
        buckets.coarsen();
        assert_eq!(buckets.scale(), 2);
        // (base^i, base^(i+1)] lies in bucket i >> 1 one scale down.
        assert_eq!(buckets.counts(), [(-2, 3), (-1, 7), (0, 11), (2, 7)]);
        assert_eq!(buckets.dense_len(), 5);
    }

    #[test]
    fn zero_goes_to_the_zero_bucket() {
        let h = Histogram::new();
        h.update(0);
        h.update(0);
        h.update(1);
        let mut buckets = ExponentialBuckets::default();
        buckets.map(&h.snapshot().all_time, 1.0, 5);
        assert_eq!(buckets.zero_count(), 2);
        // 1 is the upper bound of bucket -1.
        assert_eq!(buckets.counts(), [(-1, 1)]);
    }

    /// The quantile as a reader computes it: the bucket where the
    /// cumulative count reaches `q * count`, interpolated linearly.
    fn quantile(buckets: &ExponentialBuckets, q: f64) -> f64 {
        let total: u64 = buckets.counts().iter().map(|c| c.1).sum::<u64>() + buckets.zero_count();
        let rank = q * total as f64;
        let mut seen = buckets.zero_count() as f64;
        let base = 2f64.powf(2f64.powi(-buckets.scale()));
        for &(index, count) in buckets.counts() {
            if seen + count as f64 >= rank {
                let lower = base.powi(index);
                let upper = lower * base;
                return lower + (upper - lower) * (rank - seen) / count as f64;
            }
            seen += count as f64;
        }
        f64::NAN
    }

    #[test]
    fn quantiles_are_within_the_stated_bound() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for scale in [-2, 0, 3, 5, 8] {
            for round in 0..20 {
                let h = Histogram::new();
                let mut values = Vec::new();
                for _ in 0..5_000 {
                    let r = next(&mut x);
                    // Spread over many octaves, some values exact.
                    let v = (r >> (20 + r % 40)).max(1) + round;
                    h.update(v);
                    values.push(v);
                }
                values.sort_unstable();
                let s = h.snapshot();
                let bound = ExponentialBuckets::relative_error(scale, s.relative_error);
                let mut buckets = ExponentialBuckets::default();
                buckets.map(&s.all_time, 1e9, scale);
                for q in [0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
                    let rank = ((q * values.len() as f64).ceil() as usize).max(1);
                    let exact = values[rank - 1] as f64 / 1e9;
                    let error = (quantile(&buckets, q) - exact).abs() / exact;
                    assert!(
                        error <= bound + 1e-12,
                        "scale {scale} q {q}: {error} > {bound}"
                    );
                }
            }
        }
    }

    #[test]
    fn one_pass_gives_what_map_keeps() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let h = Histogram::new();
        for _ in 0..3_000 {
            let r = next(&mut x);
            h.update(r >> (20 + r % 44));
        }
        let all = h.snapshot().all_time;
        let mut buckets = ExponentialBuckets::default();
        buckets.map(&all, 1e9, 5);
        let kept = buckets.counts().to_vec();
        let mut emitted = Vec::new();
        buckets.each(&all, 1e9, 5, |i, c| emitted.push((i, c)));
        assert_eq!(emitted, kept);
        let total: u64 = kept.iter().map(|c| c.1).sum::<u64>() + buckets.zero_count();
        assert_eq!(total, 3_000);
    }

    #[test]
    fn the_bound_at_scale_5_is_under_three_percent() {
        let bound = ExponentialBuckets::relative_error(5, 1.0 / 128.0);
        assert!((0.0298..0.0300).contains(&bound), "{bound}");
    }
}
