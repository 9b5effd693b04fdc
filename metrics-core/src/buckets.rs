//! The log-linear bucket layout behind [`Histogram`](crate::Histogram), and
//! the reader-side bucket counts merged from it.
//!
//! With `m` mantissa bits, values below `2^m` get one bucket each (exact);
//! every power of two above is split into `2^m` equal buckets, an "octave".
//! Reporting a bucket's midpoint is then within `2^-(m+1)` relative error of
//! every value in it. Octave `0` holds the exact values, octave `o >= 1`
//! holds `[2^(m+o-1), 2^(m+o))`.

use crate::snapshot::Bucket;

/// The shape of a histogram's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    bits: u32,
    max: u64,
    octaves: usize,
}

impl Layout {
    /// The smallest `m` whose midpoint error `2^-(m+1)` is at most
    /// `10^-sig_figs`, for values up to `max`.
    pub(crate) fn new(sig_figs: u8, max: u64) -> Self {
        let target = 10f64.powi(i32::from(sig_figs));
        let mut bits = 0;
        while 2f64.powi(bits as i32 + 1) < target {
            bits += 1;
        }
        let mut layout = Self {
            bits,
            max,
            octaves: 0,
        };
        layout.octaves = layout.index(max).0 + 1;
        layout
    }

    pub(crate) fn sub_buckets(&self) -> usize {
        1 << self.bits
    }

    pub(crate) fn octaves(&self) -> usize {
        self.octaves
    }

    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// The largest relative error of a reported bucket midpoint.
    pub(crate) fn relative_error(&self) -> f64 {
        2f64.powi(-(self.bits as i32 + 1))
    }

    /// `(octave, sub-bucket)` of a value no larger than `max`.
    #[inline]
    pub(crate) fn index(&self, value: u64) -> (usize, usize) {
        if value >> self.bits == 0 {
            return (0, value as usize);
        }
        let exponent = 63 - value.leading_zeros();
        let shift = exponent - self.bits;
        let sub = (value >> shift) as usize & (self.sub_buckets() - 1);
        (shift as usize + 1, sub)
    }

    /// The smallest and largest value of a bucket.
    pub(crate) fn bounds(&self, octave: usize, sub: usize) -> (u64, u64) {
        if octave == 0 {
            return (sub as u64, sub as u64);
        }
        let shift = octave as u32 - 1;
        let low = ((self.sub_buckets() + sub) as u64) << shift;
        let width = 1u64 << shift;
        (low, low + (width - 1))
    }
}

/// Bucket counts merged from a histogram's shards, one optional chunk per
/// octave (octaves nobody recorded into cost nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counts {
    sub_buckets: usize,
    chunks: Vec<Option<Box<[u64]>>>,
}

impl Counts {
    pub(crate) fn empty(layout: &Layout) -> Self {
        Self {
            sub_buckets: layout.sub_buckets(),
            chunks: vec![None; layout.octaves()],
        }
    }

    /// Adds one octave's counts; returns how many values they hold.
    pub(crate) fn add_chunk(
        &mut self,
        octave: usize,
        counts: impl ExactSizeIterator<Item = u64>,
    ) -> u64 {
        let Some(slot) = self.chunks.get_mut(octave) else {
            return 0;
        };
        let len = counts.len();
        let chunk = slot.get_or_insert_with(|| vec![0; len].into_boxed_slice());
        let mut added = 0u64;
        for (dst, n) in chunk.iter_mut().zip(counts) {
            *dst += n;
            added += n;
        }
        added
    }

    /// Values counted in all buckets.
    pub(crate) fn total(&self) -> u64 {
        self.chunks.iter().flatten().flat_map(|c| c.iter()).sum()
    }

    /// What `self` counts beyond `earlier` (bucket by bucket; counts only
    /// grow, so `earlier` is never above `self`).
    pub(crate) fn since(&self, earlier: &Counts) -> Counts {
        let chunks = self
            .chunks
            .iter()
            .zip(&earlier.chunks)
            .map(|(now, before)| match (now, before) {
                (Some(now), Some(before)) => Some(
                    now.iter()
                        .zip(before.iter())
                        .map(|(a, b)| a.saturating_sub(*b))
                        .collect(),
                ),
                (now, _) => now.clone(),
            })
            .collect();
        Counts {
            sub_buckets: self.sub_buckets,
            chunks,
        }
    }

    /// The non-empty buckets as compact bytes: for each, the number of empty
    /// buckets skipped since the previous one, then its count, both as
    /// LEB128 varints. A window checkpoint costs a few bytes per bucket.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut next = 0usize;
        for (o, chunk) in self.chunks.iter().enumerate() {
            let Some(chunk) = chunk else { continue };
            for (s, n) in chunk.iter().enumerate() {
                if *n > 0 {
                    let pos = o * self.sub_buckets + s;
                    put_varint(&mut out, (pos - next) as u64);
                    put_varint(&mut out, *n);
                    next = pos + 1;
                }
            }
        }
        out.shrink_to_fit();
        out
    }

    /// Adds (or, with `subtract`, takes away, saturating at zero) counts
    /// produced by [`encode`](Self::encode) from the same layout.
    pub(crate) fn apply_encoded(&mut self, mut bytes: &[u8], subtract: bool) {
        let mut pos = 0usize;
        while let (Some(skip), Some(n)) = (take_varint(&mut bytes), take_varint(&mut bytes)) {
            pos = pos.saturating_add(skip as usize);
            let (o, s) = (pos / self.sub_buckets, pos % self.sub_buckets);
            let sub_buckets = self.sub_buckets;
            if let Some(slot) = self.chunks.get_mut(o) {
                let chunk = slot.get_or_insert_with(|| vec![0; sub_buckets].into_boxed_slice());
                if let Some(c) = chunk.get_mut(s) {
                    *c = if subtract {
                        c.saturating_sub(n)
                    } else {
                        c.saturating_add(n)
                    };
                }
            }
            pos = pos.saturating_add(1);
        }
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.chunks.len() * std::mem::size_of::<Option<Box<[u64]>>>()
            + self
                .chunks
                .iter()
                .flatten()
                .map(|c| c.len() * 8)
                .sum::<usize>()
    }

    /// For each rank (1-based, ascending), the bounds of the bucket holding
    /// the value of that rank; `None` past the last value. One pass over the
    /// counts, bounds computed only where a rank lands.
    pub(crate) fn at_ranks(&self, layout: &Layout, ranks: &[u64]) -> Vec<Option<(u64, u64)>> {
        let mut out = Vec::with_capacity(ranks.len());
        let mut pending = ranks.iter().peekable();
        let mut seen = 0u64;
        'walk: for (o, chunk) in self.chunks.iter().enumerate() {
            let Some(chunk) = chunk else { continue };
            let Some(&&next) = pending.peek() else { break };
            // Skip a whole chunk when the next rank lies beyond it.
            let in_chunk: u64 = chunk.iter().sum();
            if seen.saturating_add(in_chunk) < next {
                seen = seen.saturating_add(in_chunk);
                continue;
            }
            for (s, n) in chunk.iter().enumerate() {
                seen = seen.saturating_add(*n);
                while let Some(&&rank) = pending.peek() {
                    if rank > seen {
                        break;
                    }
                    out.push(Some(layout.bounds(o, s)));
                    pending.next();
                }
                if pending.peek().is_none() {
                    break 'walk;
                }
            }
        }
        out.resize(ranks.len(), None);
        out
    }

    /// The non-empty buckets in increasing order.
    pub(crate) fn buckets<'a>(&'a self, layout: &'a Layout) -> impl Iterator<Item = Bucket> + 'a {
        self.chunks
            .iter()
            .enumerate()
            .filter_map(|(o, c)| c.as_ref().map(|c| (o, c)))
            .flat_map(move |(o, chunk)| {
                chunk
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(move |(s, n)| {
                        let (low, high) = layout.bounds(o, s);
                        Bucket {
                            low,
                            high,
                            count: *n,
                        }
                    })
            })
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_picks_enough_bits() {
        assert_eq!(Layout::new(1, u64::MAX).sub_buckets(), 8);
        assert_eq!(Layout::new(2, u64::MAX).sub_buckets(), 64);
        assert_eq!(Layout::new(3, u64::MAX).sub_buckets(), 512);
        for d in 1..=4u8 {
            assert!(Layout::new(d, 1000).relative_error() <= 10f64.powi(-i32::from(d)));
        }
    }

    #[test]
    fn every_value_lands_in_a_bucket_that_contains_it() {
        let layout = Layout::new(2, u64::MAX);
        let mut values: Vec<u64> = (0..5000).collect();
        values.extend((0..64).map(|s| 1u64 << s));
        values.extend((1..64).map(|s| (1u64 << s) - 1));
        values.extend([u64::MAX, u64::MAX - 1, 123_456_789]);
        for v in values {
            let (o, s) = layout.index(v);
            assert!(o < layout.octaves(), "value {v}");
            let (low, high) = layout.bounds(o, s);
            assert!(low <= v && v <= high, "{v} not in [{low}, {high}]");
            let mid = low as f64 + (high - low) as f64 / 2.0;
            assert!((mid - v as f64).abs() <= v as f64 * layout.relative_error());
        }
    }

    #[test]
    fn buckets_tile_the_range_without_gaps() {
        let layout = Layout::new(1, 1 << 20);
        let mut next = 0u64;
        for o in 0..layout.octaves() {
            for s in 0..layout.sub_buckets() {
                let (low, high) = layout.bounds(o, s);
                assert_eq!(low, next, "octave {o} sub {s}");
                next = high + 1;
            }
        }
        assert!(next > 1 << 20);
    }

    #[test]
    fn encoding_round_trips_and_subtracts() {
        let layout = Layout::new(2, u64::MAX);
        let mut counts = Counts::empty(&layout);
        counts.add_chunk(0, [0u64, 3, 0, 1 << 40].into_iter());
        counts.add_chunk(30, (0..64u32).map(|i| u64::from(i) * 1000));
        counts.add_chunk(58, std::iter::once(u64::MAX));
        let bytes = counts.encode();
        let mut decoded = Counts::empty(&layout);
        decoded.apply_encoded(&bytes, false);
        let all = |c: &Counts| c.buckets(&layout).collect::<Vec<_>>();
        assert_eq!(all(&decoded), all(&counts));
        decoded.apply_encoded(&bytes, true);
        assert_eq!(decoded.total(), 0);
        // Truncated input is ignored, never a panic.
        decoded.apply_encoded(&bytes[..bytes.len() - 1], false);
    }
}
