//! [`PrometheusExporterBuilder`]: an exporter's quantiles, buckets, native
//! histograms and status folding.

use crate::buckets::{Buckets, Choices, Fallback, Select};
use crate::exporter::{Inner, DEFAULT_QUANTILES};
use crate::native::NativeHistograms;
use crate::write::f64_value;
use crate::PrometheusExporter;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use tachymeter_core::Registry;

/// Configures a [`PrometheusExporter`].
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::PrometheusExporter;
///
/// let registry = Registry::new();
/// let exporter = PrometheusExporter::builder(&registry)
///     .quantiles(&[0.5, 0.99])
///     .fold_status_counters(false)
///     .build();
/// # drop(exporter);
/// ```
#[derive(Debug, Clone)]
pub struct PrometheusExporterBuilder {
    registry: Registry,
    quantiles: Vec<f64>,
    choices: Choices,
    native: Option<NativeHistograms>,
    fold_status: bool,
    own_series: bool,
}

impl PrometheusExporterBuilder {
    pub(crate) fn new(registry: &Registry) -> Self {
        PrometheusExporterBuilder {
            registry: registry.clone(),
            quantiles: DEFAULT_QUANTILES.to_vec(),
            choices: Choices::new(),
            native: Some(NativeHistograms::default()),
            fold_status: true,
            own_series: true,
        }
    }

    /// The summary quantiles (each in `0..=1`; others are ignored). Default
    /// [`DEFAULT_QUANTILES`].
    pub fn quantiles(mut self, quantiles: &[f64]) -> Self {
        self.quantiles = quantiles.to_vec();
        self
    }

    /// Exports every histogram and timer with these bounds, instead of
    /// bounds chosen by unit (see [`Buckets`]); per-metric choices
    /// ([`buckets_for`](Self::buckets_for)) still win.
    pub fn buckets(mut self, buckets: Buckets) -> Self {
        self.choices.fallback = Fallback::All(buckets.normalized());
        self
    }

    /// Exports the histograms and timers `select` picks with these bounds.
    /// The first choice that picks a metric wins.
    ///
    /// ```
    /// use tachymeter_core::{Registry, Unit};
    /// use tachymeter_prometheus::{Buckets, PrometheusExporter, Select};
    ///
    /// let registry = Registry::new();
    /// let exporter = PrometheusExporter::builder(&registry)
    ///     .buckets_for(Select::name("upload.size"), Buckets::PowersOf(2.0))
    ///     .buckets_for(Select::prefix("db."), Buckets::Explicit(vec![0.001, 0.01, 0.1]))
    ///     .buckets_for(Select::Unit(Unit::Bytes), Buckets::PowersOf(16.0))
    ///     .build();
    /// # drop(exporter);
    /// ```
    pub fn buckets_for(mut self, select: Select, buckets: Buckets) -> Self {
        self.choices
            .rules
            .push((select, Some(buckets.normalized())));
        self
    }

    /// Exports every histogram and timer as a summary (the
    /// [`quantiles`](Self::quantiles) of its recent window, which cannot be
    /// added up across instances) instead of a histogram; per-metric
    /// choices still win.
    pub fn summaries(mut self) -> Self {
        self.choices.fallback = Fallback::Summaries;
        self
    }

    /// Exports the histograms and timers `select` picks as summaries.
    pub fn summaries_for(mut self, select: Select) -> Self {
        self.choices.rules.push((select, None));
        self
    }

    /// How histograms and timers are exported as native histograms in the
    /// protobuf exposition (feature `protobuf`, on by default), which
    /// Prometheus asks for when its native histograms are on; `None`
    /// exports them there as in the text formats instead. Default
    /// [`NativeHistograms::default`]. Where the program chose buckets
    /// ([`buckets`](Self::buckets), [`buckets_for`](Self::buckets_for)),
    /// a histogram carries both native and classic buckets, for a
    /// Prometheus that keeps both (bounds chosen by unit stay out of
    /// protobuf). A scraper that asks for protobuf but keeps no native
    /// histograms (a Prometheus 2.49 or later told to scrape protobuf with
    /// the feature off) keeps only the classic buckets, so choose buckets
    /// for it, or turn native histograms off to give it what the text
    /// formats give.
    pub fn native_histograms(mut self, native: Option<NativeHistograms>) -> Self {
        self.native = native;
        self
    }

    /// Whether tachymeter-tower's status counters are folded into families
    /// with a `code` label (default `true`).
    pub fn fold_status_counters(mut self, fold: bool) -> Self {
        self.fold_status = fold;
        self
    }

    /// Whether the reporters' own series (`reporter.<name>.*`: reports
    /// made, points sent, send failures) are exported (default `true`).
    /// `false` keeps `/metrics` to what the application records; the
    /// series stay in the registry for other reporters.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_prometheus::{Format, PrometheusExporter};
    ///
    /// let registry = Registry::new();
    /// registry.counter("reporter.log.reports")?.inc(1);
    /// let exporter = PrometheusExporter::builder(&registry).own_series(false).build();
    /// assert_eq!(exporter.render(Format::Text), "");
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn own_series(mut self, export: bool) -> Self {
        self.own_series = export;
        self
    }

    /// The exporter.
    pub fn build(self) -> PrometheusExporter {
        let mut quantiles: Vec<f64> = self
            .quantiles
            .into_iter()
            .filter(|q| (0.0..=1.0).contains(q))
            // -0.0 would print as "-0.0".
            .map(|q| q + 0.0)
            .collect();
        quantiles.sort_by(f64::total_cmp);
        quantiles.dedup();
        let quantile_labels = quantiles
            .iter()
            .map(|&q| {
                let mut label = String::new();
                f64_value(&mut label, q);
                label
            })
            .collect();
        PrometheusExporter {
            inner: Arc::new(Inner {
                registry: self.registry,
                quantiles,
                quantile_labels,
                choices: self.choices,
                native: self.native,
                fold_status: self.fold_status,
                own_series: self.own_series,
                state: Mutex::default(),
                capacity: AtomicUsize::new(256),
            }),
        }
    }
}
