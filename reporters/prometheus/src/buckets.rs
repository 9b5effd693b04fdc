//! Prometheus histogram buckets, chosen when exporting and filled from the
//! histogram's recorded distribution.

use tachymeter_core::HistogramSnapshot;

/// The `le` bounds of exported Prometheus histograms, in the exported unit
/// (seconds for timers). Chosen at export time: recording never depends on
/// them, and they can change without losing data.
///
/// ```
/// use std::time::Duration;
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{Buckets, Format, PrometheusExporter};
///
/// let registry = Registry::new();
/// registry.timer("get-book")?.update(Duration::from_millis(30));
/// let exporter = PrometheusExporter::builder(&registry)
///     .buckets(Buckets::Explicit(vec![0.01, 0.05, 0.1]))
///     .build();
/// let text = exporter.render(Format::Text);
/// assert!(text.contains("get_book_seconds_bucket{le=\"0.05\"} 1\n"));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Buckets {
    /// These bounds (NaN and infinite ones are ignored; `+Inf` is always
    /// added).
    Explicit(Vec<f64>),
    /// 1, 2.5 and 5 times each power of ten, from the one at or below the
    /// all-time minimum to the one at or above the all-time maximum (at
    /// most 60 bounds). As the all-time range only widens, the set of
    /// bounds only grows.
    Decades,
}

impl Buckets {
    /// The finite bounds, increasing, for `h` whose raw values divided by
    /// `per_unit` are in the exported unit.
    pub(crate) fn bounds(&self, h: &HistogramSnapshot, per_unit: f64) -> Vec<f64> {
        match self {
            Buckets::Explicit(bounds) => {
                let mut b: Vec<f64> = bounds.iter().copied().filter(|b| b.is_finite()).collect();
                b.sort_by(f64::total_cmp);
                b.dedup();
                b
            }
            Buckets::Decades => {
                if h.count == 0 {
                    return Vec::new();
                }
                let low = (h.min.max(1) as f64) / per_unit;
                let high = (h.max.max(1) as f64) / per_unit;
                let mut exp = low.log10().floor() as i32 - 1;
                let mut first = None;
                let mut out: Vec<f64> = Vec::new();
                while out.len() < 60 {
                    for m in [1.0, 2.5, 5.0] {
                        let b = format!("{m}e{exp}").parse::<f64>().unwrap_or(f64::INFINITY);
                        if b <= low {
                            first = Some(b);
                            continue;
                        }
                        if out.is_empty() {
                            out.extend(first);
                        }
                        if out.last().is_some_and(|&l| l >= high) {
                            return out;
                        }
                        out.push(b);
                    }
                    exp += 1;
                }
                out
            }
        }
    }
}

/// How many values are at most each bound (cumulative, in bound order). A
/// bucket of the histogram counts under a bound only if its whole range is
/// at or below it, so a count may leave out values within the histogram's
/// relative error of the bound; it never includes a value above it.
pub(crate) fn cumulative(h: &HistogramSnapshot, bounds: &[f64], per_unit: f64) -> Vec<u64> {
    let mut buckets = h.all_time.buckets().peekable();
    let mut below = 0;
    bounds
        .iter()
        .map(|&bound| {
            let raw = bound * per_unit;
            while let Some(b) = buckets.next_if(|b| (b.high as f64) <= raw) {
                below += b.count;
            }
            below
        })
        .collect()
}
