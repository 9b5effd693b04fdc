//! Classic Prometheus histogram buckets: which bounds each histogram family
//! gets ([`Buckets`], chosen per family by [`Select`] or by its unit), and
//! how its recorded distribution fills them.

use crate::names::Family;
use crate::write::f64_value;
use std::borrow::Cow;
use tachymeter_core::{Exemplar, HistogramSnapshot, Unit};

/// OpenTelemetry's advisory bucket bounds for durations, in seconds
/// (`http.server.request.duration`'s): what timers get by default.
pub const DURATION_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The most bounds a range-fitting choice ([`Buckets::Decades`],
/// [`Buckets::PowersOf`]) gives one series.
const MAX_FITTED: usize = 60;

/// The `le` bounds of exported Prometheus histograms, in the exported unit
/// (seconds for timers). Chosen at export time: recording never depends on
/// them, and they can change without losing data.
///
/// By default a family's bounds follow its unit: timers (and histograms
/// described in seconds) get [`DURATION_BOUNDS`], histograms described in
/// bytes `PowersOf(4.0)` (1, 4, 16, … 1 Ki, 4 Ki, …), other histograms
/// [`Decades`](Buckets::Decades).
///
/// ```
/// use std::time::Duration;
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{Buckets, Format, PrometheusExporter, Select};
///
/// let registry = Registry::new();
/// registry.timer("get-book")?.update(Duration::from_millis(30));
/// registry.histogram("db.rows")?.update(300);
/// let exporter = PrometheusExporter::builder(&registry)
///     .buckets_for(Select::name("get-book"), Buckets::Explicit(vec![0.01, 0.05, 0.1]))
///     .build();
/// let text = exporter.render(Format::Text);
/// assert!(text.contains("get_book_seconds_bucket{le=\"0.05\"} 1\n"));
/// assert!(text.contains("db_rows_bucket{le=\"500.0\"} 1\n")); // decades fit the range
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
    /// The powers of this factor (above 1; `PowersOf(2.0)`: 1, 2, 4, 8, …)
    /// from the one at or below the all-time minimum to the one at or
    /// above the all-time maximum (at most 60 bounds; the factor is raised
    /// as needed to fit). The set of bounds only grows.
    PowersOf(f64),
}

impl Buckets {
    /// The same bounds, explicit ones sorted, deduplicated and finite, so
    /// a render can use them as they are.
    pub(crate) fn normalized(self) -> Self {
        match self {
            Buckets::Explicit(bounds) => {
                let mut b: Vec<f64> = bounds.into_iter().filter(|b| b.is_finite()).collect();
                b.sort_by(f64::total_cmp);
                b.dedup();
                Buckets::Explicit(b)
            }
            other => other,
        }
    }

    /// The finite bounds, increasing, for `h` whose raw values divided by
    /// `per_unit` are in the exported unit. Explicit bounds must have been
    /// [`normalized`](Self::normalized).
    pub(crate) fn bounds(&self, h: &HistogramSnapshot, per_unit: f64) -> Cow<'_, [f64]> {
        let range = || {
            let low = (h.min.max(1) as f64) / per_unit;
            let high = (h.max.max(1) as f64) / per_unit;
            (low, high)
        };
        match self {
            Buckets::Explicit(bounds) => Cow::Borrowed(bounds),
            _ if h.count == 0 => Cow::Borrowed(&[]),
            Buckets::Decades => {
                let (low, high) = range();
                let start = 3 * low.log10().floor() as i32;
                Cow::Owned(fit(low, high, start, |i| {
                    let (exp, m) = (i.div_euclid(3), [1.0, 2.5, 5.0][i.rem_euclid(3) as usize]);
                    // Parsed, so that 2.5e-3 is the shortest decimal.
                    format!("{m}e{exp}").parse().unwrap_or(f64::INFINITY)
                }))
            }
            Buckets::PowersOf(factor) => {
                let (low, high) = range();
                let mut factor = if factor.is_finite() && *factor > 1.0 {
                    *factor
                } else {
                    2.0
                };
                // Enough factor for the range to fit in the cap.
                while (high / low).log(factor) > (MAX_FITTED - 2) as f64 {
                    factor *= factor;
                }
                let start = low.log(factor).floor() as i32;
                Cow::Owned(fit(low, high, start, |i| factor.powi(i)))
            }
        }
    }
}

/// `bound(i)` for consecutive `i` (increasing bounds), from the last at or
/// below `low` to the first at or above `high`, at most [`MAX_FITTED`];
/// `start` is a guess of the first `i`.
fn fit(low: f64, high: f64, start: i32, bound: impl Fn(i32) -> f64) -> Vec<f64> {
    let mut i = start.clamp(-4000, 4000);
    while bound(i) > low && i > -4000 {
        i -= 1;
    }
    while bound(i + 1) <= low && i < 4000 {
        i += 1;
    }
    let mut out = Vec::new();
    while out.len() < MAX_FITTED {
        let b = bound(i);
        out.push(b);
        if b >= high || !b.is_finite() {
            break;
        }
        i += 1;
    }
    out.retain(|b| b.is_finite());
    out
}

/// Which histogram families a per-metric choice applies to
/// ([`PrometheusExporterBuilder::buckets_for`](crate::PrometheusExporterBuilder::buckets_for)):
/// by registry name, by the start of it, or by unit (a timer's is
/// seconds; a histogram's the one its description gives).
///
/// ```
/// use tachymeter_core::Unit;
/// use tachymeter_prometheus::Select;
///
/// let uploads = Select::name("upload.size");
/// let http = Select::prefix("http.");
/// let sizes = Select::Unit(Unit::Bytes);
/// # drop((uploads, http, sizes));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    /// The metric registered under this name (every label set of it).
    Name(String),
    /// Metrics whose registry name starts with this.
    Prefix(String),
    /// Metrics in this unit.
    Unit(Unit),
}

impl Select {
    /// [`Select::Name`].
    pub fn name(name: impl Into<String>) -> Self {
        Select::Name(name.into())
    }

    /// [`Select::Prefix`].
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Select::Prefix(prefix.into())
    }

    /// Whether `family` is one it selects.
    pub(crate) fn selects(&self, family: &Family) -> bool {
        match self {
            Select::Name(name) => family.source == *name,
            Select::Prefix(prefix) => family.source.starts_with(prefix.as_str()),
            Select::Unit(unit) => family.unit == Some(unit.as_str()),
        }
    }
}

/// How the exporter exports histograms and timers in the text formats,
/// unless a per-metric choice says otherwise.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fallback {
    /// Histograms with bounds chosen by unit.
    ByUnit,
    /// Histograms with these bounds.
    All(Buckets),
    /// Summaries.
    Summaries,
}

/// The exporter's choices of classic buckets: per metric, then the default.
#[derive(Debug, Clone)]
pub(crate) struct Choices {
    /// First match wins; `None` asks for a summary.
    pub(crate) rules: Vec<(Select, Option<Buckets>)>,
    pub(crate) fallback: Fallback,
    durations: Buckets,
    bytes: Buckets,
    other: Buckets,
}

impl Choices {
    pub(crate) fn new() -> Self {
        Choices {
            rules: Vec::new(),
            fallback: Fallback::ByUnit,
            durations: Buckets::Explicit(DURATION_BOUNDS.to_vec()),
            bytes: Buckets::PowersOf(4.0),
            other: Buckets::Decades,
        }
    }

    /// `family`'s classic buckets (`None`: a summary), and whether the
    /// program chose them (rather than the unit).
    pub(crate) fn of(&self, family: &Family) -> (Option<&Buckets>, bool) {
        if let Some((_, buckets)) = self.rules.iter().find(|(s, _)| s.selects(family)) {
            return (buckets.as_ref(), true);
        }
        match &self.fallback {
            Fallback::All(buckets) => (Some(buckets), true),
            Fallback::Summaries => (None, true),
            Fallback::ByUnit => {
                let buckets = match family.unit {
                    Some("seconds") => &self.durations,
                    Some("bytes") => &self.bytes,
                    _ => &self.other,
                };
                (Some(buckets), false)
            }
        }
    }
}

/// Each bucket's exemplar, for each of `bounds` then `+Inf`: the latest
/// whose value lies above the bound before and at most its own (a value is
/// a whole number of raw units; a negative bound holds none).
pub(crate) fn bucket_exemplars<'e>(
    exemplars: &'e [Exemplar],
    bounds: &[f64],
    per_unit: f64,
) -> impl Iterator<Item = Option<&'e Exemplar>> + 'e {
    // Most histograms have none: nothing to compute, nothing allocated.
    let limits: Vec<Option<u64>> = if exemplars.is_empty() {
        Vec::new()
    } else {
        bounds
            .iter()
            .map(|b| (*b >= 0.0).then(|| (b * per_unit).floor() as u64))
            .collect()
    };
    let mut below = 0u64;
    limits
        .into_iter()
        .map(Some)
        .chain([None])
        .map(move |limit| {
            let limit = match limit {
                // A negative bound.
                Some(None) => return None,
                Some(Some(l)) => Some(l),
                None => None,
            };
            let pick = exemplars
                .iter()
                .filter(|e| e.value >= below && limit.is_none_or(|l| e.value <= l))
                .max_by_key(|e| e.unix_nanos);
            below = limit.map_or(u64::MAX, |l| l.saturating_add(1));
            pick
        })
}

/// Buffers for a classic histogram's lines, kept from one series to the
/// next: the counts, the `le` texts of the last bounds written (the same
/// for every series with the same explicit bounds), and the start every
/// `_bucket` line of a series shares.
#[derive(Debug, Default)]
pub(crate) struct Cumulative {
    limits: Vec<u64>,
    counts: Vec<u64>,
    /// Where the bounds the texts are of were, and their texts.
    le_of: (usize, usize),
    le: Vec<String>,
    /// `name_bucket{labels,le="`, written by the text exposition.
    pub(crate) head: String,
}

impl Cumulative {
    /// How many values are at most each bound (cumulative, in bound
    /// order). A bucket of the histogram counts under a bound only if its
    /// whole range is at or below it, so a count may leave out values
    /// within the histogram's relative error of the bound; it never
    /// includes a value above it.
    pub(crate) fn counts(
        &mut self,
        h: &HistogramSnapshot,
        bounds: &[f64],
        per_unit: f64,
    ) -> &[u64] {
        // No value is below a negative bound; the others are whole numbers
        // of the raw unit.
        let negative = bounds.iter().take_while(|b| **b < 0.0).count();
        self.limits.clear();
        self.limits.extend(
            bounds[negative..]
                .iter()
                .map(|b| (b * per_unit).floor() as u64),
        );
        h.all_time.counts_at_most(&self.limits, &mut self.counts);
        if negative > 0 {
            self.counts.splice(0..0, std::iter::repeat_n(0, negative));
        }
        &self.counts
    }

    /// The `le` texts of `bounds` and the counts at them. Texts of
    /// borrowed (explicit) bounds are written once and kept while the next
    /// series has the same; fitted bounds are each series' own.
    pub(crate) fn lines(
        &mut self,
        h: &HistogramSnapshot,
        bounds: Cow<'_, [f64]>,
        per_unit: f64,
    ) -> (&[String], &[u64]) {
        let of = match &bounds {
            Cow::Borrowed(b) => (b.as_ptr() as usize, b.len()),
            Cow::Owned(_) => (0, 0),
        };
        if of == (0, 0) || of != self.le_of {
            self.le.clear();
            self.le.extend(bounds.iter().map(|&b| {
                let mut text = String::new();
                f64_value(&mut text, b);
                text
            }));
            self.le_of = of;
        }
        self.counts(h, &bounds, per_unit);
        (&self.le, &self.counts)
    }
}
