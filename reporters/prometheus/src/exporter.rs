//! [`PrometheusExporter`]: a registry's snapshot as a Prometheus text or
//! OpenMetrics exposition.

use crate::buckets::{cumulative, Buckets};
use crate::names::{Family, Names, Role, Shape};
use crate::native::NativeHistograms;
use crate::write::{f64_value, help, i64_value, label_value, u64_value};
use crate::Format;
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tachymeter_core::{
    CounterSnapshot, Description, HistogramSnapshot, Metric, MetricKey, MetricKind, MetricSnapshot,
    Registry, RegistrySnapshot, Unit,
};

/// The quantiles exported for summaries unless configured otherwise.
pub const DEFAULT_QUANTILES: [f64; 5] = [0.5, 0.75, 0.95, 0.99, 0.999];

/// Renders a registry in the Prometheus text format 0.0.4 or OpenMetrics
/// 1.0 ([`render`](Self::render)), or in the protobuf exposition with
/// native histograms ([`render_protobuf`](Self::render_protobuf), feature
/// `protobuf`), all with the same families, names and labels.
///
/// | registry metric | exported as |
/// |---|---|
/// | counter, meter | counter `name_total` (the meter's count; Prometheus computes rates) |
/// | counter once decremented or cleared | gauge `name` |
/// | gauge | gauge `name` |
/// | histogram | summary `name` (or a histogram, see [`buckets`](PrometheusExporterBuilder::buckets)); a native histogram in protobuf |
/// | timer | summary `name_seconds`, in seconds; a native histogram in protobuf |
/// | `name-1xx` … `name-5xx` (all five), and `name-other` with them (tachymeter-tower) | counter `name_responses_total{code="2xx"}` |
/// | `name-other` without them, and `name-404` … next to it (tachymeter-tower) | counter `name_responses_by_code_total{code="404"}` |
///
/// The status folding reads counter names: any counter named like
/// tachymeter-tower's (`-1xx` … `-5xx`, `-other`, `-` and three digits, in the
/// combinations above) is folded, so turn it off with
/// [`fold_status_counters`](PrometheusExporterBuilder::fold_status_counters)
/// if your own counters are named that way. Folded families never take a
/// name a registered metric would get.
///
/// A counter family (one registry name) is exported as a gauge once any of
/// its series has been decremented or cleared, for all its label sets.
///
/// Summary quantiles come from the histogram's recent window (NaN when it
/// is empty); `_sum` and `_count` are over all time.
///
/// Names: every character outside `[a-zA-Z0-9_]` becomes `_` (colons are
/// left to recording rules), a leading digit gets a `_` in front, and a label name
/// starting with `__` loses the extra `_`. When that makes two names equal,
/// or a name equal to another family's sample (`x_count` next to summary
/// `x`), the later family gets `_2`, `_3`, … appended. A registry label
/// named like one the exporter adds (`quantile`, `le`, `code`) is exported
/// as `exported_<name>`. So is a family named like a series Prometheus
/// writes itself for every target (`up`, and every `scrape_*` name such as
/// `scrape_duration_seconds`), which would otherwise replace Prometheus'
/// own: a gauge `up` becomes `exported_up`. Names are remembered, so they
/// stay the same from one scrape to the next. HELP gives the registry's own
/// name.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{Format, PrometheusExporter};
///
/// let registry = Registry::new();
/// registry.counter("cache.hits")?.inc(3);
/// registry.gauge("up")?.update(0);
/// let exporter = PrometheusExporter::new(&registry);
/// let text = exporter.render(Format::Text);
/// assert!(text.contains("# TYPE cache_hits_total counter\ncache_hits_total 3\n"));
/// assert!(text.contains("\nexported_up 0\n"));
/// assert!(exporter.render(Format::OpenMetrics).ends_with("# EOF\n"));
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PrometheusExporter {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    registry: Registry,
    /// The summary quantiles, increasing, and their `quantile` label values.
    pub(crate) quantiles: Vec<f64>,
    quantile_labels: Vec<String>,
    pub(crate) buckets: Option<Buckets>,
    /// Native histograms in the protobuf exposition, unless `None`.
    #[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
    pub(crate) native: Option<NativeHistograms>,
    fold_status: bool,
    state: Mutex<State>,
    /// The length of the last render, to allocate the next one at once.
    pub(crate) capacity: AtomicUsize,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// Names for [`PrometheusExporter::render`], which its plan indexes.
    pub(crate) names: Names,
    /// Names for [`PrometheusExporter::encode`]: kept apart, as an arbitrary
    /// snapshot must never disturb the render plan.
    encode_names: Names,
    renders: u64,
    pub(crate) plan: Option<Plan>,
}

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
    buckets: Option<Buckets>,
    native: Option<NativeHistograms>,
    fold_status: bool,
}

impl PrometheusExporterBuilder {
    /// The summary quantiles (each in `0..=1`; others are ignored). Default
    /// [`DEFAULT_QUANTILES`].
    pub fn quantiles(mut self, quantiles: &[f64]) -> Self {
        self.quantiles = quantiles.to_vec();
        self
    }

    /// Exports histograms and timers as Prometheus histograms with these
    /// bounds instead of summaries.
    pub fn buckets(mut self, buckets: Buckets) -> Self {
        self.buckets = Some(buckets);
        self
    }

    /// How histograms and timers are exported as native histograms in the
    /// protobuf exposition (feature `protobuf`, on by default), which
    /// Prometheus asks for when its native histograms are on; `None`
    /// exports them there as in the text formats instead. Default
    /// [`NativeHistograms::default`]. With [`buckets`](Self::buckets) too,
    /// each histogram carries both native and classic buckets, for a
    /// Prometheus that keeps both. A scraper that asks for protobuf but
    /// keeps no native histograms (a Prometheus 2.49 or later told to
    /// scrape protobuf with the feature off) keeps only the classic
    /// buckets, so set [`buckets`](Self::buckets) for it, or turn native
    /// histograms off to give it summaries.
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
                buckets: self.buckets,
                native: self.native,
                fold_status: self.fold_status,
                state: Mutex::default(),
                capacity: AtomicUsize::new(256),
            }),
        }
    }
}

/// Which registry series go into which family, with their labels
/// rendered: prepared once per change of the registry's series.
#[derive(Debug)]
pub(crate) struct Plan {
    generation: u64,
    /// (family index in `Names`, its series), in family name order.
    pub(crate) families: Vec<(usize, Vec<(Metric, SeriesText)>)>,
    /// The protobuf messages of the families, labels filled in, made on
    /// the first protobuf render: a render only sets their values.
    #[cfg(feature = "protobuf")]
    pub(crate) messages: Option<Vec<crate::proto::MetricFamily>>,
}

/// A series' labels and the start of its sample line, prepared once.
#[derive(Debug)]
pub(crate) struct SeriesText {
    /// `a="1",b="2"`, no braces.
    labels: String,
    /// The same labels as (exported name, value) pairs.
    #[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
    pub(crate) pairs: Vec<(String, String)>,
    /// `name_total{labels} ` and `name{labels} ` for counters (as a
    /// counter, as a gauge); `name{labels} ` for gauges.
    prefix: [String; 2],
}

impl PrometheusExporter {
    /// An exporter of `registry` with the defaults.
    pub fn new(registry: &Registry) -> Self {
        Self::builder(registry).build()
    }

    /// Starts configuring an exporter of `registry`.
    pub fn builder(registry: &Registry) -> PrometheusExporterBuilder {
        PrometheusExporterBuilder {
            registry: registry.clone(),
            quantiles: DEFAULT_QUANTILES.to_vec(),
            buckets: None,
            native: Some(NativeHistograms::default()),
            fold_status: true,
        }
    }

    /// The registry it exports.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Renders the registry's metrics in `format`, reading each metric as
    /// it goes (like [`Registry::snapshot`], without blocking writers).
    ///
    /// Names and labels are prepared once and reused until a series is
    /// added or removed ([`Registry::generation`]), so a render is mostly
    /// reading values and writing numbers.
    pub fn render(&self, format: Format) -> String {
        let mut state = self.lock();
        let state = &mut *state;
        self.refresh_plan(state);
        let mut out = String::with_capacity(self.inner.capacity.load(Ordering::Relaxed));
        let (mut snapshots, mut counts) = (Vec::new(), Vec::new());
        if let Some(plan) = &state.plan {
            for (family, series) in &plan.families {
                let family = &state.names.families[*family];
                if matches!(family.shape, Shape::Counter) {
                    // Counts alone: no full snapshot (a meter's rates) to
                    // take or move.
                    counts.clear();
                    counts.extend(
                        series
                            .iter()
                            .filter_map(|(m, text)| Some((text, Count::of_metric(m)?))),
                    );
                    self.write_counters(&mut out, family, &counts, format);
                } else {
                    snapshots.clear();
                    snapshots.extend(series.iter().map(|(m, text)| (text, m.snapshot())));
                    self.write_family(&mut out, family, &snapshots, format);
                }
            }
        }
        self.finish(&mut out, format);
        out
    }

    /// Prepares the plan again if the registry's series changed since it
    /// was made.
    pub(crate) fn refresh_plan(&self, state: &mut State) {
        let generation = self.inner.registry.generation();
        if state
            .plan
            .as_ref()
            .is_some_and(|p| p.generation == generation)
        {
            return;
        }
        let metrics = self.inner.registry.metrics();
        let keys = metrics
            .iter()
            .map(|(key, metric)| (key, shape_of_kind(metric.kind())));
        let registry = &self.inner.registry;
        let placed = self.place(&mut state.names, &mut state.renders, keys, |name| {
            registry.description(name)
        });
        let mut metrics: Vec<Option<Metric>> = metrics.into_iter().map(|(_, m)| Some(m)).collect();
        let families = placed
            .into_iter()
            .map(|(family, members)| {
                let series = members
                    .into_iter()
                    .filter_map(|(i, labels)| Some((metrics[i].take()?, labels)))
                    .collect();
                (family, series)
            })
            .collect();
        state.plan = Some(Plan {
            generation,
            families,
            #[cfg(feature = "protobuf")]
            messages: None,
        });
    }

    /// Renders `snapshot` in `format`.
    pub fn encode(&self, snapshot: &RegistrySnapshot, format: Format) -> String {
        let mut state = self.lock();
        let state = &mut *state;
        let keys = snapshot
            .metrics
            .iter()
            .map(|e| (&e.key, shape_of(&e.snapshot)));
        let described: HashMap<&str, &Arc<Description>> = snapshot
            .metrics
            .iter()
            .filter_map(|e| Some((e.key.name(), e.description.as_ref()?)))
            .collect();
        let placed = self.place(&mut state.encode_names, &mut state.renders, keys, |name| {
            described.get(name).map(|d| Arc::clone(d))
        });
        let mut out = String::with_capacity(self.inner.capacity.load(Ordering::Relaxed));
        for (family, members) in &placed {
            let members: Vec<(&SeriesText, &MetricSnapshot)> = members
                .iter()
                .map(|(i, text)| (text, &snapshot.metrics[*i].snapshot))
                .collect();
            self.write_family(
                &mut out,
                &state.encode_names.families[*family],
                &members,
                format,
            );
        }
        self.finish(&mut out, format);
        out
    }

    fn finish(&self, out: &mut String, format: Format) {
        if format == Format::OpenMetrics {
            out.push_str("# EOF\n");
        }
        // The next render starts with room for this one.
        self.inner.capacity.store(out.len() + 64, Ordering::Relaxed);
    }

    /// Groups series (by position in `keys`) into families, in family name
    /// order, with their labels rendered.
    fn place<'k>(
        &self,
        names: &mut Names,
        renders: &mut u64,
        keys: impl Iterator<Item = (&'k MetricKey, Option<(Shape, bool)>)> + Clone,
        describe: impl Fn(&str) -> Option<Arc<Description>>,
    ) -> Vec<(usize, Vec<(usize, SeriesText)>)> {
        *renders += 1;
        let render = *renders;
        let status = if self.inner.fold_status {
            StatusBases::find(keys.clone().filter_map(|(key, shape)| {
                (shape == Some((Shape::Counter, false))).then_some(key.name())
            }))
        } else {
            StatusBases::default()
        };
        let mut group_of: Vec<Option<usize>> = Vec::new();
        let mut groups: Vec<(usize, Vec<(usize, SeriesText)>)> = Vec::new();
        // Names that are already valid take them first, then the sanitised
        // ones, then the folded status families: a sanitised or folded
        // family never takes the name a registered metric has as is.
        let placed: Vec<_> = keys
            .enumerate()
            .filter_map(|(i, (key, shape))| {
                let (shape, seconds) = shape?;
                let (base, role, code) = status.place(key.name(), shape);
                Some((i, key, shape, seconds, base, role, code))
            })
            .collect();
        let rank = |p: &&(usize, &MetricKey, Shape, bool, &str, Role, Option<&str>)| match p.5 {
            Role::Plain if crate::names::metric_name(p.4) == p.4 => 0,
            Role::Plain => 1,
            _ => 2,
        };
        let plain_first = (0..3).flat_map(|r| placed.iter().filter(move |p| rank(p) == r));
        for &(i, key, shape, seconds, base, role, code) in plain_first {
            let description = describe(base);
            let unit = description.as_ref().and_then(|d| d.unit).map(Unit::as_str);
            let family = names.family_in(base, role, shape, seconds, unit);
            if group_of.len() <= family {
                group_of.resize(family + 1, None);
            }
            let group = *group_of[family].get_or_insert_with(|| {
                groups.push((family, Vec::new()));
                groups.len() - 1
            });
            let family = &mut names.families[family];
            if family.headers.is_empty() || family.seen != render {
                // Once per family and render: a description may have come.
                family.help = match (&description, role) {
                    (Some(d), Role::Plain) => d.text.clone(),
                    _ => format!("{}{}", family.source, help_suffix(family)),
                };
                family.headers = self.headers(family);
            }
            family.seen = render;
            let mut labels = String::new();
            let extra = code.map(|c| ("code", c));
            series_labels(&mut labels, family, key, extra);
            let pairs = key
                .labels()
                .iter()
                .map(|(name, value)| (family.label(name).to_string(), value.to_string()))
                .chain(extra.map(|(name, value)| (name.to_string(), value.to_string())))
                .collect();
            let prefix = match family.shape {
                Shape::Counter => ["_total", ""],
                _ => ["", ""],
            }
            .map(|suffix| {
                let mut line = String::new();
                sample_line(&mut line, &family.name, suffix, &labels, None);
                line
            });
            groups[group].1.push((
                i,
                SeriesText {
                    labels,
                    pairs,
                    prefix,
                },
            ));
        }
        groups.sort_by(|a, b| names.families[a.0].name.cmp(&names.families[b.0].name));
        // Pruning renumbers families: keep the groups' indices valid by
        // pruning only when no group refers to a family (never here), so
        // prune by name instead and look the indices up again.
        if names.wants_prune(render) {
            let kept: Vec<String> = groups
                .iter()
                .map(|(f, _)| names.families[*f].name.clone())
                .collect();
            names.prune(render);
            for ((family, _), name) in groups.iter_mut().zip(kept) {
                *family = names.index_of(&name).unwrap_or(*family);
            }
        }
        groups
    }

    /// A family's HELP/TYPE lines: text and OpenMetrics, then (counters)
    /// the same as a gauge.
    fn headers(&self, family: &Family) -> Vec<String> {
        let kinds: &[(&str, &str)] = match family.shape {
            Shape::Counter => &[("_total", "counter"), ("", "gauge")],
            Shape::Gauge => &[("", "gauge")],
            Shape::Distribution if self.inner.buckets.is_some() => &[("", "histogram")],
            Shape::Distribution => &[("", "summary")],
        };
        let mut headers = Vec::new();
        for (suffix, kind) in kinds {
            for format in [Format::Text, Format::OpenMetrics] {
                // OpenMetrics names a counter family without `_total`.
                let suffix = if format == Format::OpenMetrics {
                    ""
                } else {
                    suffix
                };
                let mut text = String::new();
                header(&mut text, family, suffix, kind, format);
                headers.push(text);
            }
        }
        headers
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // The name table stays valid whatever panicked while it was held.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a counter family: as a counter while every member is
    /// monotonic and not negative, otherwise as a gauge.
    fn write_counters(
        &self,
        out: &mut String,
        family: &Family,
        members: &[(&SeriesText, Count)],
        format: Format,
    ) {
        let om = usize::from(format == Format::OpenMetrics);
        let monotonic = members.iter().all(|(_, count)| count.is_monotonic());
        let gauge = usize::from(!monotonic);
        out.push_str(&family.headers[om + 2 * gauge]);
        for (text, count) in members {
            out.push_str(&text.prefix[gauge]);
            match count {
                Count::Counter(c) => i64_value(out, c.count),
                Count::Meter(n) => u64_value(out, *n),
            }
            out.push('\n');
        }
    }

    /// Writes one family's lines. `members` holds snapshots or references
    /// to them, so a render reuses one buffer for every family.
    fn write_family<S: Borrow<MetricSnapshot>>(
        &self,
        out: &mut String,
        family: &Family,
        members: &[(&SeriesText, S)],
        format: Format,
    ) {
        let om = usize::from(format == Format::OpenMetrics);
        match family.shape {
            Shape::Counter => {
                let counts: Vec<(&SeriesText, Count)> = members
                    .iter()
                    .filter_map(|(text, s)| Some((*text, Count::of_snapshot(s.borrow())?)))
                    .collect();
                self.write_counters(out, family, &counts, format);
            }
            Shape::Gauge => {
                out.push_str(&family.headers[om]);
                for (text, snapshot) in members {
                    let prefix = &text.prefix[0];
                    match snapshot.borrow() {
                        MetricSnapshot::Gauge { value } => {
                            out.push_str(prefix);
                            i64_value(out, *value);
                        }
                        MetricSnapshot::GaugeF64 { value } => {
                            out.push_str(prefix);
                            f64_value(out, *value);
                        }
                        _ => continue,
                    }
                    out.push('\n');
                }
            }
            Shape::Distribution => {
                out.push_str(&family.headers[om]);
                let per_unit = if family.seconds { 1e9 } else { 1.0 };
                for (text, snapshot) in members {
                    let labels = text.labels.as_str();
                    let h = match snapshot.borrow() {
                        MetricSnapshot::Histogram(h) => h,
                        MetricSnapshot::Timer(t) => &t.durations,
                        _ => continue,
                    };
                    match &self.inner.buckets {
                        Some(buckets) => {
                            self.write_histogram(out, labels, family, h, buckets, per_unit)
                        }
                        None => self.write_summary(out, labels, family, h, per_unit),
                    }
                    sample_line(out, &family.name, "_sum", labels, None);
                    f64_value(out, h.sum as f64 / per_unit);
                    out.push('\n');
                    sample_line(out, &family.name, "_count", labels, None);
                    u64_value(out, h.count);
                    out.push('\n');
                }
            }
        }
    }

    fn write_summary(
        &self,
        out: &mut String,
        labels: &str,
        family: &Family,
        h: &HistogramSnapshot,
        per_unit: f64,
    ) {
        let values = h.percentiles(&self.inner.quantiles);
        for (value, label) in values.into_iter().zip(&self.inner.quantile_labels) {
            sample_line(out, &family.name, "", labels, Some(("quantile", label)));
            f64_value(out, value / per_unit);
            out.push('\n');
        }
    }

    fn write_histogram(
        &self,
        out: &mut String,
        labels: &str,
        family: &Family,
        h: &HistogramSnapshot,
        buckets: &Buckets,
        per_unit: f64,
    ) {
        let bounds = buckets.bounds(h, per_unit);
        let counts = cumulative(h, &bounds, per_unit);
        let mut le = String::new();
        for (bound, count) in bounds.iter().zip(counts) {
            le.clear();
            f64_value(&mut le, *bound);
            sample_line(out, &family.name, "_bucket", labels, Some(("le", &le)));
            u64_value(out, count);
            out.push('\n');
        }
        sample_line(out, &family.name, "_bucket", labels, Some(("le", "+Inf")));
        u64_value(out, h.count);
        out.push('\n');
    }
}

/// `# HELP` and `# TYPE` lines (and `# UNIT` for OpenMetrics timers).
fn header(out: &mut String, family: &Family, suffix: &str, kind: &str, format: Format) {
    let om = format == Format::OpenMetrics;
    out.push_str("# HELP ");
    out.push_str(&family.name);
    out.push_str(suffix);
    out.push(' ');
    help(out, &family.help, om);
    out.push_str("\n# TYPE ");
    out.push_str(&family.name);
    out.push_str(suffix);
    out.push(' ');
    out.push_str(kind);
    out.push('\n');
    if let Some(unit) = family.unit.filter(|_| om) {
        out.push_str("# UNIT ");
        out.push_str(&family.name);
        out.push(' ');
        out.push_str(unit);
        out.push('\n');
    }
}

/// What HELP says after the registry name.
pub(crate) fn help_suffix(family: &Family) -> &'static str {
    match (family.role, family.seconds) {
        (Role::Plain, true) => " (timer, seconds)",
        (Role::Plain, false) => "",
        (Role::StatusClass, _) => " responses by status class",
        (Role::StatusCode, _) => " responses by status code",
    }
}

/// The series' labels as `a="1",b="2"` (no braces), into `buf`.
fn series_labels(
    buf: &mut String,
    family: &mut Family,
    key: &MetricKey,
    extra: Option<(&str, &str)>,
) {
    buf.clear();
    for (name, value) in key.labels() {
        if !buf.is_empty() {
            buf.push(',');
        }
        buf.push_str(family.label(name));
        buf.push_str("=\"");
        label_value(buf, value);
        buf.push('"');
    }
    if let Some((name, value)) = extra {
        if !buf.is_empty() {
            buf.push(',');
        }
        buf.push_str(name);
        buf.push_str("=\"");
        label_value(buf, value);
        buf.push('"');
    }
}

/// A sample's name and labels, up to and including the space before its
/// value. `extra` is a label the exporter adds (its value needs no escaping).
fn sample_line(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &str,
    extra: Option<(&str, &str)>,
) {
    out.push_str(name);
    out.push_str(suffix);
    if labels.is_empty() && extra.is_none() {
        out.push(' ');
        return;
    }
    out.push('{');
    out.push_str(labels);
    if let Some((n, v)) = extra {
        if !labels.is_empty() {
            out.push(',');
        }
        out.push_str(n);
        out.push_str("=\"");
        out.push_str(v);
        out.push('"');
    }
    out.push_str("} ");
}

/// The export shape of a registry metric, and whether it is in
/// nanoseconds.
fn shape_of_kind(kind: MetricKind) -> Option<(Shape, bool)> {
    Some(match kind {
        MetricKind::Counter | MetricKind::Meter => (Shape::Counter, false),
        MetricKind::Gauge | MetricKind::GaugeF64 | MetricKind::FunctionalGauge => {
            (Shape::Gauge, false)
        }
        MetricKind::Histogram => (Shape::Distribution, false),
        MetricKind::Timer => (Shape::Distribution, true),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// What a member of a counter family shows: a counter's count (with
/// whether it is monotonic) or a meter's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Count {
    Counter(CounterSnapshot),
    Meter(u64),
}

impl Count {
    /// Whether it can be exported as a counter: never decremented nor
    /// cleared, and not negative.
    pub(crate) fn is_monotonic(&self) -> bool {
        match self {
            Count::Counter(c) => c.monotonic && c.count >= 0,
            Count::Meter(_) => true,
        }
    }

    /// The value, as the protobuf exposition's double.
    #[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
    pub(crate) fn as_f64(&self) -> f64 {
        match self {
            Count::Counter(c) => c.count as f64,
            Count::Meter(n) => *n as f64,
        }
    }

    pub(crate) fn of_metric(metric: &Metric) -> Option<Count> {
        match metric {
            Metric::Counter(c) => Some(Count::Counter(c.snapshot())),
            Metric::Meter(m) => Some(Count::Meter(m.count())),
            _ => None,
        }
    }

    fn of_snapshot(snapshot: &MetricSnapshot) -> Option<Count> {
        match snapshot {
            MetricSnapshot::Counter(c) => Some(Count::Counter(*c)),
            MetricSnapshot::Meter(m) => Some(Count::Meter(m.count)),
            _ => None,
        }
    }
}

/// The export shape of a snapshot, and whether it is in nanoseconds.
fn shape_of(snapshot: &MetricSnapshot) -> Option<(Shape, bool)> {
    Some(match snapshot {
        MetricSnapshot::Counter(_) | MetricSnapshot::Meter(_) => (Shape::Counter, false),
        MetricSnapshot::Gauge { .. } | MetricSnapshot::GaugeF64 { .. } => (Shape::Gauge, false),
        MetricSnapshot::Histogram(_) => (Shape::Distribution, false),
        MetricSnapshot::Timer(_) => (Shape::Distribution, true),
        _ => return None,
    })
}

/// The bases of tachymeter-tower status counters in a snapshot.
#[derive(Debug, Default)]
struct StatusBases<'a> {
    /// Bases with all of `-1xx` … `-5xx`.
    classes: HashSet<&'a str>,
    /// Bases with `-other`.
    codes: HashSet<&'a str>,
}

/// `name` split into a base and a status suffix (`2xx`, `404`, `other`).
fn status_suffix(name: &str) -> Option<(&str, &str)> {
    let (base, suffix) = name.rsplit_once('-')?;
    let b = suffix.as_bytes();
    let class = b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && &b[1..] == b"xx";
    let code = b.len() == 3 && b.iter().all(u8::is_ascii_digit);
    (!base.is_empty() && (class || code || suffix == "other")).then_some((base, suffix))
}

impl<'a> StatusBases<'a> {
    /// From the names of the registry's counters.
    fn find(counters: impl Iterator<Item = &'a str>) -> Self {
        // Per base: bits 0–4 for 1xx–5xx, bit 5 for other, bit 6 for a code.
        let mut seen: HashMap<&str, u8> = HashMap::new();
        for name in counters {
            let Some((base, suffix)) = status_suffix(name) else {
                continue;
            };
            let bit = match suffix.as_bytes() {
                b"other" => 5,
                [n, b'x', b'x'] => n - b'1',
                _ => 6,
            };
            *seen.entry(base).or_default() |= 1 << bit;
        }
        let mut bases = Self::default();
        for (base, mask) in seen {
            if mask & 0b1_1111 == 0b1_1111 {
                bases.classes.insert(base);
            }
            // tachymeter-tower registers `-other` with the layer and codes on
            // first sight: `-other` alone already makes a by-code family, so
            // its series keeps its name from the first scrape on.
            if mask & 0b10_0000 != 0 {
                bases.codes.insert(base);
            }
        }
        bases
    }

    /// The family base, role and `code` label of registry name `name`.
    fn place<'n>(&self, name: &'n str, shape: Shape) -> (&'n str, Role, Option<&'n str>) {
        if shape == Shape::Counter && !(self.classes.is_empty() && self.codes.is_empty()) {
            if let Some((base, suffix)) = status_suffix(name) {
                let class_suffix = suffix.ends_with("xx");
                if (class_suffix || suffix == "other") && self.classes.contains(base) {
                    return (base, Role::StatusClass, Some(suffix));
                }
                if !class_suffix && self.codes.contains(base) {
                    return (base, Role::StatusCode, Some(suffix));
                }
            }
        }
        (name, Role::Plain, None)
    }
}
