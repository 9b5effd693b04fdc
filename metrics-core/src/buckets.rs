//! The log-linear bucket layout behind [`Histogram`](crate::Histogram), and
//! the reader-side bucket counts merged from it.
//!
//! With `m` mantissa bits, values below `2^m` get one bucket each (exact);
//! every power of two above is split into `2^m` equal buckets, an "octave".
//! Reporting a bucket's midpoint is then within `2^-(m+1)` relative error of
//! every value in it. Octave `0` holds the exact values, octave `o >= 1`
//! holds `[2^(m+o-1), 2^(m+o))`.

use crate::snapshot::Bucket;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

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

/// Bucket counts merged from a histogram's shards. Only octaves somebody
/// recorded into take room: their chunks of `sub_buckets` counts sit back
/// to back in one buffer, in increasing octave order, their totals in
/// another (so a walk that passes whole octaves by their totals reads a
/// line or two, not a line per octave), and bit `o` of `present` says
/// whether octave `o` has one.
#[derive(Debug)]
pub(crate) struct Counts {
    sub_buckets: usize,
    octaves: usize,
    present: u64,
    data: Vec<u64>,
    totals: Vec<u64>,
    /// What the last [`at_most`](Self::at_most) found (not part of the
    /// value: a copy starts without it).
    at_most: Mutex<AtMost>,
    /// Bit `o` set once octave `o` changed since the last `at_most` (set
    /// through `&mut self`, so without an atomic operation).
    changed: AtomicU64,
}

/// What [`Counts::at_most`] found, for the next call with the same limits:
/// each limit's count within its own octave. Counts updated in place (as a
/// histogram's read updates the octaves recorded into) mark their octaves
/// changed, and only the limits in those are summed again.
#[derive(Debug, Default)]
struct AtMost {
    limits: Vec<u64>,
    within: Vec<u64>,
}

impl Clone for Counts {
    fn clone(&self) -> Self {
        Self {
            sub_buckets: self.sub_buckets,
            octaves: self.octaves,
            present: self.present,
            data: self.data.clone(),
            totals: self.totals.clone(),
            at_most: Mutex::default(),
            changed: AtomicU64::new(0),
        }
    }
}

impl PartialEq for Counts {
    fn eq(&self, other: &Self) -> bool {
        (self.sub_buckets, self.octaves, self.present)
            == (other.sub_buckets, other.octaves, other.present)
            && self.data == other.data
            && self.totals == other.totals
    }
}

impl Eq for Counts {}

impl Counts {
    pub(crate) fn empty(layout: &Layout) -> Self {
        Self::with_chunks(layout, 0)
    }

    /// Empty, with room for `chunks` octaves' counts.
    pub(crate) fn with_chunks(layout: &Layout, chunks: usize) -> Self {
        // A layout has at most 62 octaves (at least 3 mantissa bits), so one
        // bit per octave fits.
        debug_assert!(layout.octaves() <= 64);
        Self {
            sub_buckets: layout.sub_buckets(),
            octaves: layout.octaves().min(64),
            present: 0,
            data: Vec::with_capacity(chunks * layout.sub_buckets()),
            totals: Vec::with_capacity(chunks),
            at_most: Mutex::default(),
            changed: AtomicU64::new(0),
        }
    }

    /// Whether no octave has counts (not even zeros).
    pub(crate) fn is_empty(&self) -> bool {
        self.present == 0
    }

    /// Notes that octave `octave`'s counts are about to change.
    fn touch(&mut self, octave: usize) {
        *self.changed.get_mut() |= 1 << octave.min(63);
    }

    fn has(&self, octave: usize) -> bool {
        (self.present >> octave) & 1 == 1
    }

    /// How many chunks come before octave `octave`'s (present or not).
    pub(crate) fn rank(&self, octave: usize) -> usize {
        (self.present & ((1u64 << octave) - 1)).count_ones() as usize
    }

    /// Octave `octave`'s bucket counts, if it has a chunk.
    fn buckets_of(&self, octave: usize) -> Option<&[u64]> {
        let start = self.rank(octave) * self.sub_buckets;
        self.has(octave)
            .then(|| &self.data[start..start + self.sub_buckets])
    }

    /// The present chunks in increasing octave order: octave, counts, total.
    fn chunks(&self) -> impl Iterator<Item = (usize, &[u64], u64)> + '_ {
        set_bits(self.present)
            .zip(self.data.chunks_exact(self.sub_buckets))
            .zip(&self.totals)
            .map(|((octave, chunk), &total)| (octave, chunk, total))
    }

    /// Octave `octave`'s counts and total, inserted as zeros if absent;
    /// `None` past the layout.
    fn chunk_mut(&mut self, octave: usize) -> Option<(&mut [u64], &mut u64)> {
        if octave >= self.octaves {
            return None;
        }
        self.touch(octave);
        let (rank, sub_buckets) = (self.rank(octave), self.sub_buckets);
        let start = rank * sub_buckets;
        if !self.has(octave) {
            // Exactly: counts kept long (a window's checkpoint) stay tight.
            self.data.reserve_exact(sub_buckets);
            self.data
                .splice(start..start, std::iter::repeat_n(0, sub_buckets));
            self.totals.reserve_exact(1);
            self.totals.insert(rank, 0);
            self.present |= 1 << octave;
        }
        Some((
            &mut self.data[start..start + sub_buckets],
            &mut self.totals[rank],
        ))
    }

    /// Adds one octave's counts (at most `sub_buckets` of them, the rest
    /// taken as zero), in any order; returns how many values they hold.
    #[cfg(test)]
    pub(crate) fn add_chunk(&mut self, octave: usize, counts: impl Iterator<Item = u64>) -> u64 {
        let mut added = 0u64;
        let Some((buckets, total)) = self.chunk_mut(octave) else {
            return 0;
        };
        for (dst, n) in buckets.iter_mut().zip(counts) {
            *dst = dst.wrapping_add(n);
            added = added.wrapping_add(n);
        }
        *total = total.wrapping_add(added);
        added
    }

    /// Adds octave `octave`'s chunk, above every chunk present, with its
    /// buckets filled by `fill` (which adds into zeroed buckets and returns
    /// how many values it added); returns that. Nothing for an octave
    /// outside the layout or not above the others.
    pub(crate) fn push_chunk(
        &mut self,
        octave: usize,
        fill: impl FnOnce(&mut [u64]) -> u64,
    ) -> u64 {
        if octave >= self.octaves || self.present >> octave != 0 {
            return 0;
        }
        self.touch(octave);
        let (start, sub_buckets) = (self.data.len(), self.sub_buckets);
        self.data.resize(start + sub_buckets, 0);
        let added = fill(&mut self.data[start..]);
        self.totals.push(added);
        self.present |= 1 << octave;
        added
    }

    /// Octave `octave`'s counts (present already) become `new`, holding
    /// `total` values; what each bucket gained (counts only grow) is added
    /// to `recent` too, where given.
    pub(crate) fn update_chunk(
        &mut self,
        octave: usize,
        new: &[u64],
        total: u64,
        recent: Option<&mut Counts>,
    ) {
        if octave >= self.octaves || !self.has(octave) {
            return;
        }
        self.touch(octave);
        let (rank, sub_buckets) = (self.rank(octave), self.sub_buckets);
        let buckets = &mut self.data[rank * sub_buckets..(rank + 1) * sub_buckets];
        if let Some(recent) = recent {
            for (sub, (old, &n)) in buckets.iter_mut().zip(new).enumerate() {
                if *old != n {
                    recent.add(octave, sub, n.wrapping_sub(*old));
                }
            }
        }
        buckets.copy_from_slice(&new[..sub_buckets]);
        self.totals[rank] = total;
    }

    /// Adds `n` to bucket `sub` of octave `octave` (inserting the octave if
    /// absent; nothing past the layout).
    pub(crate) fn add(&mut self, octave: usize, sub: usize, n: u64) {
        if let Some((buckets, total)) = self.chunk_mut(octave) {
            if let Some(count) = buckets.get_mut(sub) {
                *count = count.wrapping_add(n);
                *total = total.wrapping_add(n);
            }
        }
    }

    /// Bit `o` set for each octave `o` with a chunk.
    pub(crate) fn octaves_present(&self) -> u64 {
        self.present
    }

    /// Values counted in all buckets.
    pub(crate) fn total(&self) -> u64 {
        self.totals.iter().fold(0u64, |sum, t| sum.wrapping_add(*t))
    }

    /// What `self` counts beyond `earlier` (bucket by bucket; counts only
    /// grow, so `earlier` is never above `self`).
    pub(crate) fn since(&self, earlier: &Counts) -> Counts {
        let mut left = self.clone();
        left.subtract(earlier);
        left
    }

    /// Takes `earlier`'s counts away, bucket by bucket (saturating at
    /// zero), recomputing the totals of the octaves it touches.
    fn subtract(&mut self, earlier: &Counts) {
        let sub_buckets = self.sub_buckets;
        for octave in set_bits(self.present & earlier.present) {
            let Some(before) = earlier.buckets_of(octave) else {
                continue;
            };
            self.touch(octave);
            let rank = self.rank(octave);
            let buckets = &mut self.data[rank * sub_buckets..(rank + 1) * sub_buckets];
            let mut left = 0u64;
            for (n, b) in buckets.iter_mut().zip(before) {
                *n = n.saturating_sub(*b);
                left = left.wrapping_add(*n);
            }
            self.totals[rank] = left;
        }
    }

    /// The non-empty buckets as compact bytes: for each, the number of empty
    /// buckets skipped since the previous one, then its count, both as
    /// LEB128 varints. A window checkpoint costs a few bytes per bucket.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut next = 0usize;
        for (o, chunk, _) in self.chunks() {
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
        let sub_buckets = self.sub_buckets;
        let mut pos = 0usize;
        while let (Some(skip), Some(n)) = (take_varint(&mut bytes), take_varint(&mut bytes)) {
            pos = pos.saturating_add(skip as usize);
            let (o, s) = (pos / sub_buckets, pos % sub_buckets);
            if let Some((chunk, total)) = self.chunk_mut(o) {
                let old = chunk[s];
                let new = if subtract {
                    old.saturating_sub(n)
                } else {
                    old.saturating_add(n)
                };
                chunk[s] = new;
                *total = total.wrapping_sub(old).wrapping_add(new);
            }
            pos = pos.saturating_add(1);
        }
    }

    /// Heap bytes held.
    pub(crate) fn bytes(&self) -> usize {
        (self.data.capacity() + self.totals.capacity()) * std::mem::size_of::<u64>()
    }

    /// Walks `ranks` (1-based, ascending, each with a tag) and calls `found`
    /// with each tag and the bounds of the bucket holding the value of that
    /// rank, `None` past the last value. One pass over the counts, skipping
    /// whole chunks by their totals; bounds computed only where a rank lands.
    pub(crate) fn at_ranks<T>(
        &self,
        layout: &Layout,
        ranks: impl Iterator<Item = (u64, T)>,
        mut found: impl FnMut(T, Option<(u64, u64)>),
    ) {
        let mut pending = ranks.peekable();
        let mut seen = 0u64;
        'walk: for (o, chunk, in_chunk) in self.chunks() {
            let Some(&(mut next, _)) = pending.peek() else {
                break;
            };
            // What the rest of the chunk holds: skip it when the next rank
            // lies beyond.
            let mut left = in_chunk;
            if seen.saturating_add(left) < next {
                seen = seen.saturating_add(left);
                continue;
            }
            for (s, &n) in chunk.iter().enumerate() {
                seen = seen.saturating_add(n);
                left = left.wrapping_sub(n);
                if seen < next {
                    continue;
                }
                while let Some((_, tag)) = pending.next_if(|(rank, _)| *rank <= seen) {
                    found(tag, Some(layout.bounds(o, s)));
                }
                match pending.peek() {
                    None => break 'walk,
                    Some(&(rank, _)) => next = rank,
                }
                if seen.saturating_add(left) < next {
                    seen = seen.saturating_add(left);
                    continue 'walk;
                }
            }
        }
        for (_, tag) in pending {
            found(tag, None);
        }
    }

    /// For each of `limits` (ascending), how many values lie in buckets
    /// wholly at or below it, into `out`. Whole octaves are passed by their
    /// totals; within its octave, a limit's count is the one found by the
    /// last call with the same limits unless that octave changed since (a
    /// render of a busy histogram reads again only where it was recorded
    /// into), else summed on whichever side of the limit is shorter.
    pub(crate) fn at_most(&self, layout: &Layout, limits: &[u64], out: &mut Vec<u64>) {
        out.clear();
        let mut memo = self.at_most.lock().unwrap_or_else(|e| e.into_inner());
        let memo = &mut *memo;
        // Changes come through `&mut self`, so none happens while this runs.
        let changed = self.changed.load(Relaxed);
        let fresh = memo.limits != limits;
        if fresh {
            memo.limits.clear();
            memo.limits.extend_from_slice(limits);
            memo.within.clear();
            memo.within.resize(limits.len(), 0);
        }
        let mut chunks = self.chunks().peekable();
        // Values in the octaves passed.
        let mut before = 0u64;
        for (&limit, within) in limits.iter().zip(&mut memo.within) {
            let (octave, sub) = layout.index(limit);
            while let Some(&(o, _, total)) = chunks.peek() {
                if o >= octave {
                    break;
                }
                before = before.saturating_add(total);
                chunks.next();
            }
            if fresh || (changed >> octave.min(63)) & 1 == 1 {
                *within = match chunks.peek() {
                    Some(&(o, chunk, total)) if o == octave => {
                        let upto = sub + usize::from(layout.bounds(octave, sub).1 <= limit);
                        let upto = upto.min(chunk.len());
                        // Counts of one octave add up to their total, at
                        // most the histogram's count: no overflow, and the
                        // sums vectorise.
                        if upto <= chunk.len() - upto {
                            chunk[..upto].iter().sum::<u64>()
                        } else {
                            total - chunk[upto..].iter().sum::<u64>()
                        }
                    }
                    _ => 0,
                };
            }
            out.push(before.saturating_add(*within));
        }
        self.changed.store(0, Relaxed);
    }

    /// The bounds of the lowest and of the highest non-empty bucket.
    pub(crate) fn outer_buckets(&self, layout: &Layout) -> Option<((u64, u64), (u64, u64))> {
        let mut nonempty = self.chunks().filter(|c| c.2 > 0);
        let first = nonempty.next()?;
        let last = nonempty.fold(first, |_, c| c);
        let (o, chunk, _) = first;
        let low = chunk.iter().position(|n| *n > 0)?;
        let (o2, chunk2, _) = last;
        let high = chunk2.iter().rposition(|n| *n > 0)?;
        Some((layout.bounds(o, low), layout.bounds(o2, high)))
    }

    /// The non-empty buckets in increasing order.
    pub(crate) fn buckets<'a>(&'a self, layout: &'a Layout) -> impl Iterator<Item = Bucket> + 'a {
        NonEmpty {
            layout,
            chunks: self.data.chunks_exact(self.sub_buckets),
            octaves: self.present,
            octave: 0,
            chunk: &[],
            block: 0,
            nonempty: 0,
        }
    }
}

/// The non-empty buckets of [`Counts`], in increasing order. Within an
/// octave, empty buckets are skipped 64 at a time by a mask of the
/// non-empty ones: no branch per empty bucket to mispredict when few are
/// filled.
struct NonEmpty<'a> {
    layout: &'a Layout,
    chunks: std::slice::ChunksExact<'a, u64>,
    /// The octaves of the chunks not started yet.
    octaves: u64,
    /// The chunk being read, its octave, which block of 64 buckets, and
    /// that block's non-empty buckets not returned yet.
    octave: usize,
    chunk: &'a [u64],
    block: usize,
    nonempty: u64,
}

impl NonEmpty<'_> {
    /// The mask of the non-empty buckets of block `block` of the chunk.
    fn mask(&self, block: usize) -> u64 {
        let start = block * 64;
        let end = (start + 64).min(self.chunk.len());
        self.chunk[start..end]
            .iter()
            .enumerate()
            .fold(0u64, |mask, (i, &n)| mask | (u64::from(n > 0) << i))
    }
}

impl Iterator for NonEmpty<'_> {
    type Item = Bucket;

    #[inline]
    fn next(&mut self) -> Option<Bucket> {
        loop {
            if self.nonempty != 0 {
                let i = self.block * 64 + self.nonempty.trailing_zeros() as usize;
                self.nonempty &= self.nonempty - 1;
                let (low, high) = self.layout.bounds(self.octave, i);
                return Some(Bucket {
                    low,
                    high,
                    count: self.chunk[i],
                });
            }
            if (self.block + 1) * 64 < self.chunk.len() {
                self.block += 1;
            } else {
                self.chunk = self.chunks.next()?;
                self.octave = self.octaves.trailing_zeros() as usize;
                self.octaves &= self.octaves.wrapping_sub(1);
                self.block = 0;
            }
            self.nonempty = self.mask(self.block);
        }
    }
}

/// The positions of the bits set in `bits`, lowest first.
pub(crate) fn set_bits(mut bits: u64) -> impl Iterator<Item = usize> + Clone {
    std::iter::from_fn(move || {
        let next = (bits != 0).then(|| bits.trailing_zeros() as usize)?;
        bits &= bits - 1;
        Some(next)
    })
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

    /// Counts against a plain array of every bucket, with chunks added out
    /// of order, merged, subtracted and queried by rank.
    #[test]
    fn counts_match_a_dense_model() {
        // 8 buckets per octave, and 1,024: less than one block of 64, and
        // many.
        for figures in [1, 3] {
            counts_match_a_dense_model_with(Layout::new(figures, 1 << 40));
        }
    }

    /// A seeded generator: each call gives a number below its argument.
    fn below(mut x: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        }
    }

    /// Counts at limits answered from the last call's sums stay right as
    /// the counts change in place (octaves added, inserted below others,
    /// refilled, set from a difference) and as the limits change: each
    /// answer equals that of a copy, which starts without them.
    #[test]
    fn counts_at_limits_follow_changes_in_place() {
        let layout = Layout::new(2, 1 << 40);
        let (octaves, subs) = (layout.octaves(), layout.sub_buckets());
        let mut next = below(0x9E37_79B9_7F4A_7C15);
        let mut counts = Counts::empty(&layout);
        let mut limits = Vec::new();
        let (mut answers, mut expected) = (Vec::new(), Vec::new());
        for step in 0..400 {
            if step % 50 == 0 {
                limits = (0..12).map(|_| next(1 << 41)).collect();
                let near: Vec<u64> = limits.iter().map(|l| l + l / 5).collect();
                limits.extend(near);
                limits.sort_unstable();
            }
            let octave = next(octaves as u64) as usize;
            match step % 4 {
                0 => {
                    counts.add_chunk(octave, (0..subs).map(|_| next(3)));
                }
                1 => {
                    let old = counts.buckets_of(octave).map(<[u64]>::to_vec);
                    let grown: Vec<u64> = (0..subs)
                        .map(|s| old.as_ref().map_or(0, |o| o[s]) + next(5))
                        .collect();
                    let total = grown.iter().sum();
                    counts.update_chunk(octave, &grown, total, None);
                }
                2 => counts.add(octave, next(subs as u64) as usize, 1 + next(9)),
                _ => {
                    let mut earlier = Counts::empty(&layout);
                    earlier.add_chunk(octave, (0..subs).map(|_| next(2)));
                    counts.subtract(&earlier);
                }
            }
            counts.at_most(&layout, &limits, &mut answers);
            counts.clone().at_most(&layout, &limits, &mut expected);
            assert_eq!(answers, expected, "step {step}");
        }
    }

    fn counts_match_a_dense_model_with(layout: Layout) {
        let (octaves, subs) = (layout.octaves(), layout.sub_buckets());
        let mut next = below(0x2545_F491_4F6C_DD1D);
        for _ in 0..200 {
            let mut counts = Counts::empty(&layout);
            let mut earlier = Counts::empty(&layout);
            let mut dense = vec![0u64; octaves * subs];
            let mut before = vec![0u64; octaves * subs];
            for _ in 0..next(12) {
                let o = next(octaves as u64) as usize;
                let chunk: Vec<u64> = (0..subs).map(|_| next(3) * next(4)).collect();
                let half: Vec<u64> = chunk.iter().map(|n| next(n + 1)).collect();
                assert_eq!(
                    counts.add_chunk(o, chunk.iter().copied()),
                    chunk.iter().sum::<u64>()
                );
                earlier.add_chunk(o, half.iter().copied());
                for s in 0..subs {
                    dense[o * subs + s] += chunk[s];
                    before[o * subs + s] += half[s];
                }
            }
            let recent = counts.since(&earlier);
            let diff: Vec<u64> = dense.iter().zip(&before).map(|(a, b)| a - b).collect();
            for (counts, dense) in [(&counts, &dense), (&recent, &diff)] {
                let total: u64 = dense.iter().sum();
                assert_eq!(counts.total(), total);
                let listed: Vec<(u64, u64)> =
                    counts.buckets(&layout).map(|b| (b.low, b.count)).collect();
                let expected: Vec<(u64, u64)> = (0..dense.len())
                    .filter(|i| dense[*i] > 0)
                    .map(|i| (layout.bounds(i / subs, i % subs).0, dense[i]))
                    .collect();
                assert_eq!(listed, expected);
                let ranks: Vec<u64> = (1..=total + 2).step_by(1 + total as usize / 7).collect();
                let mut found = Vec::new();
                counts.at_ranks(&layout, ranks.iter().map(|r| (*r, *r)), |r, b| {
                    found.push((r, b))
                });
                let mut seen = 0;
                let mut expected = Vec::new();
                let mut pending = ranks.iter().peekable();
                for (i, n) in dense.iter().enumerate() {
                    seen += n;
                    while let Some(r) = pending.next_if(|r| **r <= seen) {
                        expected.push((*r, Some(layout.bounds(i / subs, i % subs))));
                    }
                }
                expected.extend(pending.map(|r| (*r, None)));
                assert_eq!(found, expected);
                // Cumulative counts at limits: buckets wholly at or below.
                let mut limits: Vec<u64> = (0..9).map(|_| next(layout.max() + 1)).collect();
                // Several in one octave, low and high in it: sums read on
                // from the last limit and back from the octave's end.
                let near: Vec<u64> = limits.iter().map(|l| l.saturating_add(l / 5)).collect();
                limits.extend(near);
                limits.extend([0, 1, layout.max(), u64::MAX]);
                limits.sort_unstable();
                let mut at_most = Vec::new();
                counts.at_most(&layout, &limits, &mut at_most);
                let model: Vec<u64> = limits
                    .iter()
                    .map(|&limit| {
                        (0..dense.len())
                            .filter(|i| layout.bounds(i / subs, i % subs).1 <= limit)
                            .map(|i| dense[i])
                            .sum()
                    })
                    .collect();
                assert_eq!(at_most, model, "limits {limits:?}");
            }
            let mut decoded = Counts::empty(&layout);
            decoded.apply_encoded(&recent.encode(), false);
            assert_eq!(decoded.total(), recent.total());
            assert!(decoded.buckets(&layout).eq(recent.buckets(&layout)));
        }
    }

    #[test]
    fn chunks_pushed_in_order_match_chunks_added() {
        let layout = Layout::new(2, u64::MAX);
        let (mut pushed, mut added) = (Counts::empty(&layout), Counts::empty(&layout));
        for (octave, n) in [(0usize, 3u64), (7, 5), (40, 1)] {
            let chunk: Vec<u64> = (0..64).map(|i| i * n).collect();
            let total = pushed.push_chunk(octave, |dst| {
                dst.iter_mut().zip(&chunk).for_each(|(d, c)| *d += c);
                chunk.iter().sum()
            });
            assert_eq!(total, added.add_chunk(octave, chunk.iter().copied()));
        }
        assert_eq!(pushed, added);
        // Below or at a present octave: refused, nothing changes.
        assert_eq!(pushed.push_chunk(7, |_| 99), 0);
        assert_eq!(pushed, added);
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
