//! The values sent for a timer or histogram: StatsD wants every recorded
//! value, the registry keeps buckets, and a report may only send so many.
//!
//! The values recorded since the last report are the growth of each bucket
//! of the all-time distribution; each stands as its bucket's midpoint kept
//! within the exact minimum and maximum, so it is within the histogram's
//! relative error of the value recorded, and sorting is preserved: StatsD's
//! `lower`, `upper`, `upper_90`, `median` and `mean` come out within that
//! error too.
//!
//! Beyond the limit, the sorted values are cut into consecutive groups and
//! each group is sent once, as its mean, with the sample rate `@1/size`
//! (StatsD adds `1/rate` to the count). Sizes are powers of two so that
//! `1/rate` is exact in floating point and the count StatsD sums is exact:
//! most groups have one size, and the remainder is split into a few smaller
//! powers of two placed in the middle of the values, where they skew the
//! unweighted mean and percentiles StatsD computes least.

/// One value to send: what it is, how many recorded values it stands for (a
/// power of two), and how many of the sorted values it and the samples
/// before it cover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    pub(crate) value: f64,
    pub(crate) weight: u64,
    pub(crate) end: u64,
}

/// Samples for `runs` (value, how many times; ascending values), at most
/// `max` of them (`max` is raised to 64, the fewest that always suffice).
pub(crate) fn samples(runs: &[(f64, u64)], max: usize) -> Vec<Sample> {
    let total: u64 = runs.iter().map(|&(_, n)| n).sum();
    let sizes = group_sizes(total, max.max(64) as u64);
    let mut out = Vec::with_capacity(sizes.len());
    let mut runs = runs.iter().copied().filter(|&(_, n)| n > 0);
    let mut current = runs.next();
    let mut end = 0;
    for size in sizes {
        let mut need = size;
        let mut sum = 0.0;
        while need > 0 {
            let Some((value, left)) = current.as_mut() else {
                break;
            };
            let take = need.min(*left);
            sum += *value * take as f64;
            need -= take;
            *left -= take;
            if *left == 0 {
                current = runs.next();
            }
        }
        end += size;
        out.push(Sample {
            value: sum / size as f64,
            weight: size,
            end,
        });
    }
    out
}

/// Group sizes covering `total` values in at most `max` (≥ 64) groups:
/// `w = 2^k` for the smallest `k` that fits, `total / w` groups of `w`, and
/// the remainder as its binary digits in the middle.
fn group_sizes(total: u64, max: u64) -> Vec<u64> {
    if total == 0 {
        return Vec::new();
    }
    let fits = |k: u32| {
        let (q, r) = split(total, k);
        q + u64::from(r.count_ones()) <= max
    };
    let k = (0..64).find(|&k| fits(k)).unwrap_or(63);
    let (q, r) = split(total, k);
    let w = 1u64 << k;
    let mut sizes = Vec::with_capacity((q + u64::from(r.count_ones())) as usize);
    sizes.extend(std::iter::repeat_n(w, (q / 2) as usize));
    sizes.extend((0..k).rev().map(|bit| 1u64 << bit).filter(|b| r & b != 0));
    sizes.extend(std::iter::repeat_n(w, (q - q / 2) as usize));
    sizes
}

/// `(total / 2^k, total % 2^k)`.
fn split(total: u64, k: u32) -> (u64, u64) {
    (total >> k, total & ((1u64 << k) - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_limit_every_value_is_sent() {
        let s = samples(&[(1.0, 2), (5.0, 0), (7.5, 1)], 100);
        let values: Vec<_> = s.iter().map(|s| (s.value, s.weight, s.end)).collect();
        assert_eq!(values, [(1.0, 1, 1), (1.0, 1, 2), (7.5, 1, 3)]);
        assert!(samples(&[], 100).is_empty());
        assert!(samples(&[(3.0, 0)], 100).is_empty());
    }

    #[test]
    fn over_the_limit_counts_stay_exact() {
        for total in [65u64, 100, 1000, 4097, 10_000, 123_457, u64::MAX] {
            for max in [64usize, 100, 256] {
                let s = samples(&[(2.0, total / 2), (4.0, total - total / 2)], max);
                assert!(s.len() <= max, "{total} {max}: {}", s.len());
                let sum = s.iter().fold(0u64, |a, s| a.wrapping_add(s.weight));
                assert_eq!(sum, total);
                assert_eq!(s.last().map(|s| s.end), Some(total));
                assert!(s.iter().all(|s| s.weight.is_power_of_two()));
                assert!(s.windows(2).all(|p| p[0].end < p[1].end));
            }
        }
    }

    #[test]
    fn groups_are_means_of_consecutive_values() {
        // 200 values 0..200 (one each), 64 at most: groups of 4 = 50.
        let runs: Vec<_> = (0..200).map(|v| (v as f64, 1)).collect();
        let s = samples(&runs, 64);
        assert_eq!(s.len(), 50);
        assert_eq!(s[0].value, 1.5);
        assert_eq!(s[49].value, 197.5);
        let mean = s.iter().map(|s| s.value).sum::<f64>() / s.len() as f64;
        assert_eq!(mean, 99.5);
    }

    #[test]
    fn remainders_sit_in_the_middle() {
        // 1000 values, 64 at most: 62 groups of 16, then 8 → 63 samples.
        let s = samples(&[(1.0, 1000)], 64);
        let weights: Vec<_> = s.iter().map(|s| s.weight).collect();
        assert_eq!(weights.len(), 63);
        assert_eq!(weights[31], 8);
        assert!(weights.iter().enumerate().all(|(i, &w)| i == 31 || w == 16));
    }
}
