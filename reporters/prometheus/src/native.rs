//! Prometheus native histograms: a histogram's log-linear buckets mapped
//! onto Prometheus' exponential ones.

#[cfg(feature = "protobuf")]
use crate::proto::{pack_delta, BucketSpan};
#[cfg(feature = "protobuf")]
use tachymeter_core::Distribution;
use tachymeter_report::ExponentialBuckets;

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
        ExponentialBuckets::relative_error(i32::from(self.schema), histogram_error)
    }
}

/// A distribution's values as native buckets ([`ExponentialBuckets`],
/// whose bucket `i` is Prometheus' bucket `i + 1`), reusing its buffers
/// from one series to the next.
#[cfg(feature = "protobuf")]
#[derive(Debug, Default)]
pub(crate) struct NativeBuckets {
    buckets: ExponentialBuckets,
    pub(crate) schema: i32,
    pub(crate) zero_count: u64,
}

#[cfg(feature = "protobuf")]
impl NativeBuckets {
    /// Maps `d`'s buckets, whose raw values divided by `per_unit` are in
    /// the exported unit, at `config`'s schema, coarser if it caps the
    /// bucket count.
    pub(crate) fn map(&mut self, d: &Distribution, per_unit: f64, config: &NativeHistograms) {
        self.buckets.map(d, per_unit, i32::from(config.schema));
        while config.max_buckets > 0
            && self.written_len() > config.max_buckets
            && self.buckets.scale() > i32::from(SCHEMA_MIN)
        {
            self.buckets.coarsen();
        }
        self.schema = self.buckets.scale();
        self.zero_count = self.buckets.zero_count();
    }

    /// How many buckets [`write`](Self::write) writes: the non-empty ones
    /// and the empty ones it fills gaps with. This is what a scraper's
    /// bucket limit counts.
    fn written_len(&self) -> usize {
        let counts = self.buckets.counts();
        counts.len()
            + counts
                .windows(2)
                .map(|w| (w[1].0 - w[0].0 - 1) as usize)
                .filter(|&gap| gap <= 2)
                .sum::<usize>()
    }

    /// Writes the buckets as spans and deltas (see [`SpanWriter`]).
    pub(crate) fn write(&self, spans: &mut Vec<BucketSpan>, deltas: &mut Vec<u8>) {
        let mut writer = SpanWriter::new(spans, deltas);
        for &(index, count) in self.buckets.counts() {
            writer.push(index + 1, count);
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
        deltas: &mut Vec<u8>,
    ) {
        if config.max_buckets > 0 {
            self.map(d, per_unit, config);
            self.write(spans, deltas);
            return;
        }
        let mut writer = SpanWriter::new(spans, deltas);
        let schema = i32::from(config.schema);
        self.zero_count = self.buckets.each(d, per_unit, schema, |index, count| {
            writer.push(index + 1, count)
        });
        self.schema = schema;
    }
}

/// Writes native buckets, given by increasing index, as spans and deltas.
/// Gaps of up to two empty buckets are written as zero counts inside a
/// span, which takes fewer bytes than a new span; deltas run on across
/// spans.
#[cfg(feature = "protobuf")]
struct SpanWriter<'a> {
    spans: &'a mut Vec<BucketSpan>,
    /// Packed (see [`pack_delta`]).
    deltas: &'a mut Vec<u8>,
    /// The last bucket written (its index and count), empty ones included.
    previous: Option<i32>,
    previous_count: u64,
}

#[cfg(feature = "protobuf")]
impl<'a> SpanWriter<'a> {
    fn new(spans: &'a mut Vec<BucketSpan>, deltas: &'a mut Vec<u8>) -> Self {
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
                    pack_delta(0u64.wrapping_sub(self.previous_count) as i64, self.deltas);
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
        pack_delta(count.wrapping_sub(self.previous_count) as i64, self.deltas);
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
    fn decode(spans: &[BucketSpan], packed: &[u8]) -> Vec<(i32, u64)> {
        let deltas = crate::proto::unpack_deltas(packed);
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
            let mut counts = Vec::new();
            let mut index = -((x % 300) as i32);
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                index += 1 + (x % 6) as i32;
                counts.push((index, 1 + x % 1_000));
            }
            let (mut spans, mut deltas) = (Vec::new(), Vec::new());
            let mut writer = SpanWriter::new(&mut spans, &mut deltas);
            for &(index, count) in &counts {
                writer.push(index, count);
            }
            assert_eq!(decode(&spans, &deltas), counts);
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
    fn a_cap_lowers_the_schema_until_the_buckets_fit() {
        let h = Histogram::new();
        for v in 1..=100_000u64 {
            h.update(v * 997);
        }
        let all = h.snapshot().all_time;
        let mut native = NativeBuckets::default();
        native.map(&all, 1.0, &NativeHistograms::default());
        assert_eq!(native.schema, 5);
        let uncapped = native.buckets.counts().len();
        assert!(uncapped > 40, "{uncapped}");
        native.map(&all, 1.0, &NativeHistograms::default().max_buckets(40));
        let (mut spans, mut deltas) = (Vec::new(), Vec::new());
        native.write(&mut spans, &mut deltas);
        let written = crate::proto::unpack_deltas(&deltas).len();
        assert!(written <= 40, "{written} written");
        assert_eq!(native.written_len(), written);
        assert!(native.schema < 5);
        let total: u64 = native.buckets.counts().iter().map(|c| c.1).sum();
        assert_eq!(total, 100_000);
    }

    #[test]
    fn the_default_bound_is_under_three_percent() {
        let bound = NativeHistograms::default().relative_error(1.0 / 128.0);
        assert!((0.0298..0.0300).contains(&bound), "{bound}");
        assert_eq!(NativeHistograms::default().schema(99).schema, 8);
        assert_eq!(NativeHistograms::default().schema(-99).schema, -4);
    }
}
