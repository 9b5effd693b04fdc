//! Prometheus native histograms: a histogram's log-linear buckets mapped
//! onto Prometheus' exponential ones.

#[cfg(feature = "protobuf")]
use crate::proto::BucketSpan;
#[cfg(feature = "protobuf")]
use tachymeter_core::{Bucket, Distribution};

/// The finest and coarsest schemas Prometheus reads.
const SCHEMA_MAX: i8 = 8;
const SCHEMA_MIN: i8 = -4;

/// The zero bucket's half-width: the smallest threshold that is not zero,
/// so that an empty histogram is still read as a native one. Only the value
/// 0 falls in it.
#[cfg(feature = "protobuf")]
pub(crate) const ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39; // 2^-128

/// How histograms and timers are exported as Prometheus native histograms
/// in the protobuf exposition (the one Prometheus asks for when started
/// with `--enable-feature=native-histograms`).
///
/// Native buckets are exponential: schema `s` splits every power of two
/// into `2^s` buckets, each `2^(2^-s)` times as wide as the one below
/// (schema 5: 2.19 % wide). Each bucket of the histogram is counted in the
/// native bucket that holds its midpoint (rounded down to an integer), so a quantile Prometheus computes
/// from the exported buckets (`histogram_quantile`, also over a `sum` of
/// many instances) is within
/// [`relative_error`](Self::relative_error) of the exact quantile of every
/// value recorded: 2.99 % at the defaults (schema 5, and a histogram of two
/// significant figures).
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{NativeHistograms, PrometheusExporter};
///
/// let registry = Registry::new();
/// let native = NativeHistograms::default().schema(6).max_buckets(200);
/// assert!((native.relative_error(1.0 / 128.0) - 0.0188).abs() < 1e-4);
/// let exporter = PrometheusExporter::builder(&registry)
///     .native_histograms(Some(native))
///     .build();
/// # drop(exporter);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeHistograms {
    schema: i8,
    max_buckets: usize,
}

impl Default for NativeHistograms {
    /// Schema 5 (32 buckets per power of two), no cap on the bucket count.
    fn default() -> Self {
        Self {
            schema: 5,
            max_buckets: 0,
        }
    }
}

impl NativeHistograms {
    /// The schema, from -4 (coarsest: each bucket 65 536 times as wide as
    /// the one below) to 8 (finest: 0.27 % wide); clamped to that range.
    /// Default 5.
    pub fn schema(mut self, schema: i8) -> Self {
        self.schema = schema.clamp(SCHEMA_MIN, SCHEMA_MAX);
        self
    }

    /// At most this many native buckets per series (0, the default: no
    /// cap), counting the empty buckets written inside a span (gaps of up
    /// to two), as Prometheus' `native_histogram_bucket_limit` does. A
    /// series with more is exported at the finest coarser schema that fits, halving the resolution each step down to
    /// schema -4, so the error bound is then that of the schema used. The
    /// histogram itself bounds the count without a cap: a timer's values
    /// spanning 1 µs to 10 s fill at most 24 powers of two, 768 buckets at
    /// schema 5.
    pub fn max_buckets(mut self, max: usize) -> Self {
        self.max_buckets = max;
        self
    }

    /// The bound on the relative error of a quantile Prometheus computes
    /// from these buckets, for a histogram whose own relative error is
    /// `histogram_error` ([`HistogramSnapshot::relative_error`]):
    /// `(1 + histogram_error) * 2^(2^-schema) - 1`.
    ///
    /// The value of the quantile's rank lies in a histogram bucket whose
    /// midpoint is within `histogram_error` of it, and the estimate lies in
    /// the native bucket holding that midpoint.
    ///
    /// [`HistogramSnapshot::relative_error`]: tachymeter_core::HistogramSnapshot::relative_error
    pub fn relative_error(&self, histogram_error: f64) -> f64 {
        (1.0 + histogram_error) * 2f64.powf(2f64.powi(-i32::from(self.schema))) - 1.0
    }
}

/// A distribution's values as native buckets, reusing its buffers from one
/// series to the next.
#[cfg(feature = "protobuf")]
#[derive(Debug, Default)]
pub(crate) struct NativeBuckets {
    /// (native bucket index, count), by increasing index.
    counts: Vec<(i32, u64)>,
    pub(crate) schema: i32,
    pub(crate) zero_count: u64,
    /// `2^(j / 2^schema)` for `j` in `0..=2^schema`: the bucket bounds
    /// within one power of two, for a positive schema.
    within_octave: Vec<f64>,
    /// For each of `2^(schema+1)` equal cells of `[1, 2)`, the first bound
    /// at or above the cell's start. Bounds are further apart than a cell
    /// is wide, so a value's bound is this one or the next.
    first_bound: Vec<u16>,
}

#[cfg(feature = "protobuf")]
impl NativeBuckets {
    /// Maps `d`'s buckets, whose raw values divided by `per_unit` are in
    /// the exported unit, at `config`'s schema, coarser if it caps the
    /// bucket count.
    pub(crate) fn map(&mut self, d: &Distribution, per_unit: f64, config: &NativeHistograms) {
        self.prepare(config);
        let mut counts = std::mem::take(&mut self.counts);
        self.zero_count = self.each(d, per_unit, |index, count| counts.push((index, count)));
        self.counts = counts;
        while config.max_buckets > 0
            && self.written_len() > config.max_buckets
            && self.schema > i32::from(SCHEMA_MIN)
        {
            self.coarsen();
        }
    }

    /// Calls `emit` with each native bucket `d`'s buckets fall in (index
    /// and count, by increasing index, each once); returns the count of the
    /// zero bucket.
    fn each(&self, d: &Distribution, per_unit: f64, mut emit: impl FnMut(i32, u64)) -> u64 {
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
        zero
    }

    /// Starts a histogram at `config`'s schema, with the tables of that
    /// schema.
    fn prepare(&mut self, config: &NativeHistograms) {
        self.counts.clear();
        self.zero_count = 0;
        self.schema = i32::from(config.schema);
        if self.schema > 0 && self.within_octave.len() != (1 << self.schema) + 1 {
            let scale = f64::from(1 << self.schema);
            self.within_octave = (0..=1 << self.schema)
                .map(|j| (f64::from(j) / scale).exp2())
                .collect();
            let cells = 2 << self.schema;
            self.first_bound = (0..cells)
                .map(|c| {
                    let start = 1.0 + f64::from(c) / f64::from(cells);
                    self.within_octave.partition_point(|&bound| bound < start) as u16
                })
                .collect();
        }
    }

    /// The index of the native bucket holding `x` (positive): bucket `i`
    /// holds `(2^((i-1)/2^s), 2^(i/2^s)]`. With `x = m * 2^e`, `m` in
    /// `[1, 2)`, read from the bits of `x`, that is `e * 2^s` plus the
    /// first bound within the power of two at or above `m`: no logarithm,
    /// one table lookup and one comparison.
    #[inline]
    fn index(&self, x: f64) -> i32 {
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        if biased == 0 || biased == 0x7ff {
            // Subnormal, infinite or NaN: never a midpoint divided by a
            // unit, but keep to the definition.
            return (x.log2() * f64::from(self.schema).exp2()).ceil() as i32;
        }
        let e = biased - 1023;
        let exact_power = bits & ((1 << 52) - 1) == 0;
        if self.schema <= 0 {
            // Each bucket spans `2^-s` powers of two, bounded by powers of
            // two: `x = 2^e` is the upper bound of the bucket ending at `e`.
            let width = 1 << -self.schema;
            return if exact_power {
                e.div_euclid(width) + i32::from(e.rem_euclid(width) != 0)
            } else {
                e.div_euclid(width) + 1
            };
        }
        let mantissa = bits & ((1 << 52) - 1);
        let m = f64::from_bits(mantissa | (1023 << 52));
        let mut j = usize::from(self.first_bound[(mantissa >> (51 - self.schema)) as usize]);
        if m > self.within_octave[j] {
            j += 1;
        }
        (e << self.schema) + j as i32
    }

    /// How many buckets [`write`](Self::write) writes: the non-empty ones
    /// and the empty ones it fills gaps with. This is what a scraper's
    /// bucket limit counts.
    fn written_len(&self) -> usize {
        self.counts.len()
            + self
                .counts
                .windows(2)
                .map(|w| (w[1].0 - w[0].0 - 1) as usize)
                .filter(|&gap| gap <= 2)
                .sum::<usize>()
    }

    /// Halves the resolution: bucket `i` at schema `s` lies in bucket
    /// `ceil(i / 2)` at schema `s - 1`.
    fn coarsen(&mut self) {
        self.schema -= 1;
        let mut merged = 0;
        for k in 0..self.counts.len() {
            let (index, count) = self.counts[k];
            let index = (index + 1).div_euclid(2);
            if merged > 0 && self.counts[merged - 1].0 == index {
                self.counts[merged - 1].1 += count;
            } else {
                self.counts[merged] = (index, count);
                merged += 1;
            }
        }
        self.counts.truncate(merged);
    }

    /// Writes the buckets as spans and deltas (see [`SpanWriter`]).
    pub(crate) fn write(&self, spans: &mut Vec<BucketSpan>, deltas: &mut Vec<i64>) {
        let mut writer = SpanWriter::new(spans, deltas);
        for &(index, count) in &self.counts {
            writer.push(index, count);
        }
    }

    /// [`map`](Self::map) then [`write`](Self::write), in one pass over
    /// `d`'s buckets when no cap may call for a coarser schema.
    pub(crate) fn map_into(
        &mut self,
        d: &Distribution,
        per_unit: f64,
        config: &NativeHistograms,
        spans: &mut Vec<BucketSpan>,
        deltas: &mut Vec<i64>,
    ) {
        if config.max_buckets > 0 {
            self.map(d, per_unit, config);
            self.write(spans, deltas);
            return;
        }
        self.prepare(config);
        let mut writer = SpanWriter::new(spans, deltas);
        self.zero_count = self.each(d, per_unit, |index, count| writer.push(index, count));
    }
}

/// The middle of `bucket`, rounded down to an integer: as far from its
/// highest value as from its lowest, give or take one, which keeps both
/// within the histogram's relative error of it. (Integer arithmetic, and a
/// signed conversion, cost less than converting both ends.)
#[cfg(feature = "protobuf")]
#[inline]
fn midpoint(bucket: Bucket) -> f64 {
    let mid = bucket.low / 2 + bucket.high / 2 + (bucket.low & bucket.high & 1);
    match i64::try_from(mid) {
        Ok(mid) => mid as f64,
        Err(_) => mid as f64,
    }
}

/// Writes native buckets, given by increasing index, as spans and deltas.
/// Gaps of up to two empty buckets are written as zero counts inside a
/// span, which takes fewer bytes than a new span; deltas run on across
/// spans.
#[cfg(feature = "protobuf")]
struct SpanWriter<'a> {
    spans: &'a mut Vec<BucketSpan>,
    deltas: &'a mut Vec<i64>,
    /// The last bucket written (its index and count), empty ones included.
    previous: Option<i32>,
    previous_count: u64,
}

#[cfg(feature = "protobuf")]
impl<'a> SpanWriter<'a> {
    fn new(spans: &'a mut Vec<BucketSpan>, deltas: &'a mut Vec<i64>) -> Self {
        spans.clear();
        deltas.clear();
        SpanWriter {
            spans,
            deltas,
            previous: None,
            previous_count: 0,
        }
    }

    #[inline]
    fn push(&mut self, index: i32, count: u64) {
        match self.previous {
            Some(p) if index - p <= 3 => {
                for _ in p + 1..index {
                    self.deltas
                        .push(0u64.wrapping_sub(self.previous_count) as i64);
                    self.previous_count = 0;
                }
                if let Some(span) = self.spans.last_mut() {
                    span.length += (index - p) as u32;
                }
            }
            Some(p) => self.spans.push(BucketSpan {
                offset: index - p - 1,
                length: 1,
            }),
            None => self.spans.push(BucketSpan {
                offset: index,
                length: 1,
            }),
        }
        // Two's complement: the signed difference of two counts below 2^63.
        self.deltas
            .push(count.wrapping_sub(self.previous_count) as i64);
        self.previous = Some(index);
        self.previous_count = count;
    }
}

#[cfg(all(test, feature = "protobuf"))]
mod tests {
    use super::*;
    use tachymeter_core::Histogram;

    /// The (index, count) pairs that spans and deltas describe, empty
    /// buckets left out, as a reader decodes them.
    fn decode(spans: &[BucketSpan], deltas: &[i64]) -> Vec<(i32, u64)> {
        let (mut out, mut index, mut count, mut d) = (Vec::new(), 0i32, 0i64, deltas.iter());
        for (i, span) in spans.iter().enumerate() {
            index += span.offset + if i == 0 { 0 } else { 1 };
            for k in 0..span.length {
                if k > 0 {
                    index += 1;
                }
                count += d.next().expect("a delta per bucket");
                assert!(count >= 0);
                if count > 0 {
                    out.push((index, count as u64));
                }
            }
        }
        assert!(d.next().is_none(), "no delta left over");
        out
    }

    #[test]
    fn spans_and_deltas_read_back_as_the_counts() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..2_000 {
            let mut native = NativeBuckets::default();
            let mut index = -((x % 300) as i32);
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                index += 1 + (x % 6) as i32;
                native.counts.push((index, 1 + x % 1_000));
            }
            let (mut spans, mut deltas) = (Vec::new(), Vec::new());
            native.write(&mut spans, &mut deltas);
            assert_eq!(decode(&spans, &deltas), native.counts);
            // A gap of up to two empty buckets stays inside a span.
            assert!(spans.iter().skip(1).all(|s| s.offset > 2), "{spans:?}");
        }
    }

    #[test]
    fn one_pass_writes_what_two_passes_write() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for schema in [-2i8, 0, 3, 5, 8] {
            let config = NativeHistograms::default().schema(schema);
            let h = Histogram::new();
            h.update(0);
            for _ in 0..3_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                h.update(x >> (20 + x % 44));
            }
            let all = h.snapshot().all_time;
            let mut native = NativeBuckets::default();
            let (mut spans, mut deltas) = (Vec::new(), Vec::new());
            native.map(&all, 1e9, &config);
            native.write(&mut spans, &mut deltas);
            let zero = native.zero_count;
            let (mut spans1, mut deltas1) = (Vec::new(), Vec::new());
            native.map_into(&all, 1e9, &config, &mut spans1, &mut deltas1);
            assert_eq!((spans1, deltas1, native.zero_count), (spans, deltas, zero));
        }
    }

    #[test]
    fn coarsening_merges_pairs_of_buckets() {
        let mut native = NativeBuckets {
            counts: vec![(-3, 1), (-2, 2), (-1, 3), (0, 4), (1, 5), (2, 6), (5, 7)],
            schema: 3,
            ..Default::default()
        };
        native.coarsen();
        assert_eq!(native.schema, 2);
        // (2^((i-1)/2^s), 2^(i/2^s)] lies in bucket ceil(i/2) one schema down.
        assert_eq!(native.counts, vec![(-1, 3), (0, 7), (1, 11), (3, 7)]);
    }

    #[test]
    fn a_cap_lowers_the_schema_until_the_buckets_fit() {
        let h = Histogram::new();
        for v in 1..=100_000u64 {
            h.update(v * 997);
        }
        let all = h.snapshot().all_time;
        let mut native = NativeBuckets::default();
        native.map(&all, 1.0, &NativeHistograms::default());
        assert_eq!(native.schema, 5);
        let uncapped = native.counts.len();
        assert!(uncapped > 40, "{uncapped}");
        native.map(&all, 1.0, &NativeHistograms::default().max_buckets(40));
        let (mut spans, mut deltas) = (Vec::new(), Vec::new());
        native.write(&mut spans, &mut deltas);
        assert!(deltas.len() <= 40, "{} written", deltas.len());
        assert_eq!(native.written_len(), deltas.len());
        assert!(native.schema < 5);
        let total: u64 = native.counts.iter().map(|c| c.1).sum();
        assert_eq!(total, 100_000);
    }

    #[test]
    fn indices_are_those_of_the_definition() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for schema in -4..=8 {
            let h = Histogram::new();
            h.update(1);
            let mut native = NativeBuckets::default();
            let config = NativeHistograms::default().schema(schema);
            native.map(&h.snapshot().all_time, 1.0, &config);
            let scale = f64::from(schema).exp2();
            let mut values: Vec<f64> = (0..20_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 11) as f64 / (1u64 << (x % 64)) as f64 + 1e-12
                })
                .collect();
            // Exact bounds: powers of two, and their neighbours.
            for e in -40..40 {
                let p = f64::from(e).exp2();
                values.extend([p, p.next_up(), p.next_down()]);
            }
            for v in values {
                let by_log = (v.log2() * scale).ceil() as i32;
                let i = native.index(v);
                // Only a value within rounding of a bound may differ.
                let upper = (f64::from(i) / scale).exp2();
                let lower = (f64::from(i - 1) / scale).exp2();
                assert!(
                    i == by_log
                        || (v / upper - 1.0).abs() < 1e-12
                        || (v / lower - 1.0).abs() < 1e-12,
                    "schema {schema}: {v} in {i}, by log2 {by_log}"
                );
                assert!(
                    lower * (1.0 - 1e-12) <= v && v <= upper * (1.0 + 1e-12),
                    "{v}: {i}"
                );
            }
        }
    }

    #[test]
    fn zero_goes_to_the_zero_bucket() {
        let h = Histogram::new();
        h.update(0);
        h.update(0);
        h.update(1);
        let mut native = NativeBuckets::default();
        native.map(&h.snapshot().all_time, 1.0, &NativeHistograms::default());
        assert_eq!(native.zero_count, 2);
        // 1 is the upper bound of bucket 0.
        assert_eq!(native.counts, vec![(0, 1)]);
    }

    /// The quantile as Prometheus computes it from native buckets: the
    /// bucket where the cumulative count reaches `q * count`, interpolated
    /// linearly.
    fn prometheus_quantile(native: &NativeBuckets, q: f64) -> f64 {
        let total: u64 = native.counts.iter().map(|c| c.1).sum::<u64>() + native.zero_count;
        let rank = q * total as f64;
        let mut seen = native.zero_count as f64;
        let base = 2f64.powf(2f64.powi(-native.schema));
        for &(index, count) in &native.counts {
            if seen + count as f64 >= rank {
                let upper = base.powi(index);
                let lower = upper / base;
                return lower + (upper - lower) * (rank - seen) / count as f64;
            }
            seen += count as f64;
        }
        f64::NAN
    }

    #[test]
    fn quantiles_are_within_the_stated_bound() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for schema in [0i8, 3, 5, 8] {
            let config = NativeHistograms::default().schema(schema);
            for round in 0..20 {
                let h = Histogram::new();
                let mut values = Vec::new();
                for _ in 0..5_000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Spread over many octaves, some values exact.
                    let v = (x >> (20 + x % 40)).max(1) + round;
                    h.update(v);
                    values.push(v);
                }
                values.sort_unstable();
                let s = h.snapshot();
                let bound = config.relative_error(s.relative_error);
                let mut native = NativeBuckets::default();
                native.map(&s.all_time, 1e9, &config);
                for q in [0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
                    let rank = ((q * values.len() as f64).ceil() as usize).max(1);
                    let exact = values[rank - 1] as f64 / 1e9;
                    let estimate = prometheus_quantile(&native, q);
                    let error = (estimate - exact).abs() / exact;
                    assert!(
                        error <= bound + 1e-12,
                        "schema {schema} q {q}: {error} > {bound}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_default_bound_is_under_three_percent() {
        let bound = NativeHistograms::default().relative_error(1.0 / 128.0);
        assert!((0.0298..0.0300).contains(&bound), "{bound}");
        assert_eq!(NativeHistograms::default().schema(99).schema, 8);
        assert_eq!(NativeHistograms::default().schema(-99).schema, -4);
    }
}
