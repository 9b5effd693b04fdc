//! [`Plan`]: which series of a snapshot go into which family, with their
//! names and labels rendered: prepared once per set of series, so a render
//! is mostly reading values and writing numbers.

use crate::names::{Family, Names, Role, Shape};
use crate::status::StatusBases;
use crate::text::{header, sample_line};
use crate::write::label_value;
use crate::{Format, PrometheusExporter};
use std::collections::HashMap;
use std::sync::Arc;
use tachymeter_core::{
    CounterSnapshot, Description, MetricKey, MetricSnapshot, RegistrySnapshot, Unit,
};
use tachymeter_report::is_own_metric;

/// Which series of a snapshot go into which family, with their labels
/// rendered: prepared once per set of series.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The snapshot's [`RegistrySnapshot::series_id`] and length.
    id: Option<(u64, u64)>,
    len: usize,
    /// (family index in `Names`, its series by index in the snapshot), in
    /// family name order.
    pub(crate) families: Vec<(usize, Vec<(usize, SeriesText)>)>,
    /// The protobuf messages of the families, labels filled in, made on
    /// the first protobuf render: a render only sets their values.
    #[cfg(feature = "protobuf")]
    pub(crate) messages: Option<Vec<crate::proto::MetricFamily>>,
}

/// A series' labels and the start of its sample line, prepared once.
#[derive(Debug)]
pub(crate) struct SeriesText {
    /// `a="1",b="2"`, no braces.
    pub(crate) labels: String,
    /// The same labels as (exported name, value) pairs.
    #[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
    pub(crate) pairs: Vec<(String, String)>,
    /// `name_total{labels} ` and `name{labels} ` for counters (as a
    /// counter, as a gauge); `name{labels} ` for gauges.
    pub(crate) prefix: [String; 2],
}

impl PrometheusExporter {
    /// The plan of `snapshot`: the one made last if it lists the same
    /// series, else a new one (and the name table updated).
    pub(crate) fn plan<'p>(
        &self,
        names: &mut Names,
        renders: &mut u64,
        plan: &'p mut Option<Plan>,
        snapshot: &RegistrySnapshot,
    ) -> &'p Plan {
        let id = snapshot.series_id();
        let fresh = plan
            .as_ref()
            .is_some_and(|p| p.id.is_some() && p.id == id && p.len == snapshot.metrics.len());
        if !fresh {
            let keys = snapshot
                .metrics
                .iter()
                .map(|e| (&e.key, shape_of(&e.snapshot)));
            let described: HashMap<&str, &Arc<Description>> = snapshot
                .metrics
                .iter()
                .filter_map(|e| Some((e.key.name(), e.description.as_ref()?)))
                .collect();
            let families = self.place(names, renders, keys, |name| {
                described.get(name).map(|d| Arc::clone(d))
            });
            *plan = Some(Plan {
                id,
                len: snapshot.metrics.len(),
                families,
                #[cfg(feature = "protobuf")]
                messages: None,
            });
        }
        plan.as_ref()
            .expect("a plan was made above when none was fresh")
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
                if !self.inner.own_series && is_own_metric(key.name()) {
                    return None;
                }
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
                    (None, Role::Plain) => String::new(),
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
            Shape::Distribution if self.inner.choices.of(family).0.is_some() => {
                &[("", "histogram")]
            }
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
}

/// What HELP says after the registry name of a folded status family (a
/// plain family's HELP is its description, or none).
pub(crate) fn help_suffix(family: &Family) -> &'static str {
    match family.role {
        Role::Plain => "",
        Role::StatusClass => " responses by status class",
        Role::StatusCode => " responses by status code",
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

/// What a member of a counter family shows: a counter's count (with
/// whether it is monotonic), a functional counter's total or a meter's
/// count. A counter's snapshot is borrowed: it carries an exemplar, and
/// copying it per series was most of a counter family's render.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Count<'a> {
    Counter(&'a CounterSnapshot),
    Total(f64),
    Meter(u64),
}

impl<'a> Count<'a> {
    /// Whether it can be exported as a counter: never decremented nor
    /// cleared, and not negative.
    pub(crate) fn is_monotonic(&self) -> bool {
        match self {
            Count::Counter(c) => c.monotonic && c.count >= 0,
            Count::Total(_) | Count::Meter(_) => true,
        }
    }

    /// The value, as the protobuf exposition's double.
    #[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
    pub(crate) fn as_f64(&self) -> f64 {
        match self {
            Count::Counter(c) => c.count as f64,
            Count::Total(v) => *v,
            Count::Meter(n) => *n as f64,
        }
    }

    pub(crate) fn of_snapshot(snapshot: &'a MetricSnapshot) -> Option<Count<'a>> {
        match snapshot {
            MetricSnapshot::Counter(c) => Some(Count::Counter(c)),
            MetricSnapshot::CounterF64 { value } => Some(Count::Total(*value)),
            MetricSnapshot::Meter(m) => Some(Count::Meter(m.count)),
            _ => None,
        }
    }
}

/// The export shape of a snapshot, and whether it is in nanoseconds.
fn shape_of(snapshot: &MetricSnapshot) -> Option<(Shape, bool)> {
    Some(match snapshot {
        MetricSnapshot::Counter(_)
        | MetricSnapshot::CounterF64 { .. }
        | MetricSnapshot::Meter(_) => (Shape::Counter, false),
        MetricSnapshot::Gauge { .. } | MetricSnapshot::GaugeF64 { .. } => (Shape::Gauge, false),
        MetricSnapshot::Histogram(_) => (Shape::Distribution, false),
        MetricSnapshot::Timer(_) => (Shape::Distribution, true),
        _ => return None,
    })
}
