//! [`PrometheusExporter`]: a registry's snapshot as a Prometheus text or
//! OpenMetrics exposition.
//!
//! One data path: [`render`](PrometheusExporter::render) takes the
//! registry's snapshot into a buffer it keeps
//! ([`Registry::snapshot_into`]), then writes it as
//! [`encode`](PrometheusExporter::encode) writes any snapshot: through a
//! [`Plan`] of families, names and labels, prepared once per set of series.

use crate::buckets::Choices;
use crate::builder::PrometheusExporterBuilder;
use crate::names::Names;
use crate::native::NativeHistograms;
use crate::plan::Plan;
use crate::Format;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tachymeter_core::{Registry, RegistrySnapshot};

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
/// | functional counter | counter `name_total` |
/// | histogram | histogram `name`, bounds by unit or chosen per metric ([`Buckets`](crate::Buckets)), or a summary if asked ([`summaries`](PrometheusExporterBuilder::summaries)); a native histogram in protobuf |
/// | timer | histogram `name_seconds`, in seconds, bounds [`DURATION_BOUNDS`](crate::DURATION_BOUNDS) unless chosen; a native histogram in protobuf |
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
/// stay the same from one scrape to the next. HELP is the metric's
/// description ([`Registry::describe`]; the middleware, process, tokio and
/// reporter crates describe theirs); a metric without one has no HELP line,
/// and a folded status family says whose responses it counts.
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
    pub(crate) registry: Registry,
    /// The summary quantiles, increasing, and their `quantile` label values.
    pub(crate) quantiles: Vec<f64>,
    pub(crate) quantile_labels: Vec<String>,
    /// Classic buckets or summaries, per family.
    pub(crate) choices: Choices,
    /// Native histograms in the protobuf exposition, unless `None`.
    #[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
    pub(crate) native: Option<NativeHistograms>,
    pub(crate) fold_status: bool,
    /// Whether the reporters' own `reporter.*` series are exported.
    pub(crate) own_series: bool,
    pub(crate) state: Mutex<State>,
    /// The length of the last render, to allocate the next one at once.
    pub(crate) capacity: AtomicUsize,
}

/// What the exporter keeps between renders.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Every family's exported name, settled once.
    pub(crate) names: Names,
    /// Plans made: which families were seen when (to forget old names).
    pub(crate) renders: u64,
    /// The registry's last snapshot, refreshed in place by each render.
    pub(crate) snapshot: RegistrySnapshot,
    /// The families, names and labels of the last snapshot's series.
    pub(crate) plan: Option<Plan>,
}

impl PrometheusExporter {
    /// An exporter of `registry` with the defaults.
    pub fn new(registry: &Registry) -> Self {
        Self::builder(registry).build()
    }

    /// Starts configuring an exporter of `registry`.
    pub fn builder(registry: &Registry) -> PrometheusExporterBuilder {
        PrometheusExporterBuilder::new(registry)
    }

    /// The registry it exports.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Renders the registry's metrics in `format`: a snapshot (which never
    /// blocks writers), taken into a buffer the exporter keeps, then
    /// [`encode`](Self::encode)d.
    ///
    /// Names and labels are prepared once and reused until a series is
    /// added or removed ([`Registry::generation`]), so a render is mostly
    /// reading values and writing numbers.
    pub fn render(&self, format: Format) -> String {
        let mut state = self.lock();
        let state = &mut *state;
        self.inner.registry.snapshot_into(&mut state.snapshot);
        let plan = self.plan(
            &mut state.names,
            &mut state.renders,
            &mut state.plan,
            &state.snapshot,
        );
        let mut out = String::with_capacity(self.inner.capacity.load(Ordering::Relaxed));
        self.write_text(&mut out, &state.names, plan, &state.snapshot, format);
        self.finish(&mut out, format);
        out
    }

    /// Renders `snapshot` (of this exporter's registry) in `format`, under
    /// the names [`render`](Self::render) gives.
    pub fn encode(&self, snapshot: &RegistrySnapshot, format: Format) -> String {
        let mut state = self.lock();
        let state = &mut *state;
        let plan = self.plan(
            &mut state.names,
            &mut state.renders,
            &mut state.plan,
            snapshot,
        );
        let mut out = String::with_capacity(self.inner.capacity.load(Ordering::Relaxed));
        self.write_text(&mut out, &state.names, plan, snapshot, format);
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

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // The name table stays valid whatever panicked while it was held.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
