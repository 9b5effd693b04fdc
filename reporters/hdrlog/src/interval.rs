//! One interval of a series as an HdrHistogram, and the error that adds.

use hdrhistogram::Histogram;
use tachymeter_core::Distribution;

/// The significant figures of the HdrHistograms written: each value is
/// kept within 2^-10 (0.098 %) of what was recorded into it.
pub const HDR_SIGNIFICANT_FIGURES: u8 = 3;

/// How far the HdrHistogram quantisation of [`HDR_SIGNIFICANT_FIGURES`]
/// moves a value, at most, relative to it: 2^-10.
const HDR_RELATIVE_ERROR: f64 = 1.0 / 1024.0;

/// The bound on the relative error of a percentile read from the log, for
/// a histogram whose own
/// [`relative_error`](tachymeter_core::HistogramSnapshot::relative_error)
/// is `relative_error`: `relative_error + 2^-10 * (1 + relative_error)`.
///
/// Each bucket is written as one value within `relative_error` of every
/// value in it, and HdrHistogram's 3 significant figures move that by at
/// most 2^-10 of itself. So a percentile `p` that a reader of the log
/// computes (HdrHistogram reports the highest value equivalent to the
/// bucket it lands in) satisfies `|p - v| <= v * error_bound(relative_error)`,
/// where `v` is the exact recorded value of the same rank. With the default
/// precision (2 significant figures, 2^-7) that is 0.88 %.
///
/// Timer durations written in a coarser unit than nanoseconds
/// ([`HdrLogReporterBuilder::duration_unit`](crate::HdrLogReporterBuilder::duration_unit))
/// are rounded to the nearest unit, which adds up to half a unit.
///
/// ```
/// let bound = tachymeter_hdrlog::error_bound(1.0 / 128.0);
/// assert!((bound - 0.008_797).abs() < 1e-6);
/// ```
pub fn error_bound(relative_error: f64) -> f64 {
    relative_error + HDR_RELATIVE_ERROR * (1.0 + relative_error)
}

/// `interval`'s values as an HdrHistogram: each bucket's count recorded at
/// the middle of the bucket's values (its bounds narrowed to the exact
/// all-time minimum and maximum), divided by `divisor` and rounded.
///
/// Fails only if a value cannot be recorded, which the bounds rule out.
pub(crate) fn to_hdr(
    interval: &Distribution,
    divisor: u64,
) -> Result<Histogram<u64>, hdrhistogram::errors::RecordError> {
    let divisor = u128::from(divisor.max(1));
    let scale = |v: u64| -> u64 {
        let scaled = (u128::from(v) + divisor / 2) / divisor;
        u64::try_from(scaled).unwrap_or(u64::MAX)
    };
    let value = |low: u64, high: u64| -> u64 {
        // Every value of the bucket lies in [lowest, highest] too.
        let (lo, hi) = (low.max(interval.lowest), high.min(interval.highest));
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (low, high) };
        scale(lo + (hi - lo) / 2)
    };
    let largest = interval
        .buckets()
        .last()
        .map_or(0, |b| value(b.low, b.high));
    // The bounds must span at least 2; sized to the largest value, so that
    // an interval of small values stays small.
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, largest.max(2), HDR_SIGNIFICANT_FIGURES)
            .expect("1..=max(2, n) with 3 significant figures is a valid range");
    for bucket in interval.buckets() {
        histogram.record_n(value(bucket.low, bucket.high), bucket.count)?;
    }
    Ok(histogram)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tachymeter_core::Histogram as Recorder;

    #[test]
    fn counts_are_kept_and_values_within_the_bound() {
        let recorder = Recorder::new();
        let values: Vec<u64> = (0..2000u64).map(|i| i * i * 37 + i).collect();
        for &v in &values {
            recorder.update(v);
        }
        let snapshot = recorder.snapshot();
        let bound = error_bound(snapshot.relative_error);
        let hdr = to_hdr(&snapshot.all_time, 1).unwrap();
        assert_eq!(hdr.len(), values.len() as u64);
        for q in [0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let rank = ((q * values.len() as f64).ceil() as usize).max(1);
            let exact = values[rank - 1] as f64;
            let read = hdr.value_at_quantile(q) as f64;
            assert!(
                (read - exact).abs() <= exact * bound,
                "q {q}: {read} vs {exact}"
            );
        }
    }

    #[test]
    fn extremes_and_units() {
        // A lone value: its bucket narrowed to the exact min and max is it
        // (and HdrHistogram keeps values below 2048 exactly).
        let one = Recorder::new();
        one.update(1_003);
        let hdr = to_hdr(&one.snapshot().all_time, 1).unwrap();
        assert_eq!((hdr.len(), hdr.min(), hdr.max()), (1, 1_003, 1_003));
        let one = Recorder::new();
        one.update(1_000_003);
        let micros = to_hdr(&one.snapshot().all_time, 1_000).unwrap();
        assert_eq!((micros.min(), micros.max()), (1_000, 1_000));

        let wide = Recorder::new();
        wide.update(0);
        wide.update(u64::MAX);
        let hdr = to_hdr(&wide.snapshot().all_time, 1).unwrap();
        assert_eq!((hdr.len(), hdr.min()), (2, 0));
        let bound = error_bound(wide.snapshot().relative_error);
        assert!((hdr.max() as f64 - u64::MAX as f64).abs() <= u64::MAX as f64 * bound);

        let empty = to_hdr(&Recorder::new().snapshot().all_time, 1).unwrap();
        assert_eq!(empty.len(), 0);
    }
}
