//! The text formats (Prometheus 0.0.4, OpenMetrics 1.0): a snapshot's
//! families written through their [`Plan`].

use crate::buckets::{bucket_exemplars, Cumulative};
use crate::names::{Family, Names, Shape};
use crate::plan::{Count, Plan, SeriesText};
use crate::write::{f64_value, help, i64_value, label_value, u64_value};
use crate::{Buckets, Format, PrometheusExporter};
use tachymeter_core::{Exemplar, HistogramSnapshot, MetricSnapshot, RegistrySnapshot};

impl PrometheusExporter {
    /// Writes every family of `plan` with its values from `snapshot`.
    pub(crate) fn write_text(
        &self,
        out: &mut String,
        names: &Names,
        plan: &Plan,
        snapshot: &RegistrySnapshot,
        format: Format,
    ) {
        let mut counts = Vec::new();
        let mut members = Vec::new();
        let mut cumulative = Cumulative::default();
        for (family, series) in &plan.families {
            let family = &names.families[*family];
            if family.shape == Shape::Counter {
                counts.clear();
                counts.extend(series.iter().filter_map(|(i, text)| {
                    Some((text, Count::of_snapshot(&snapshot.metrics[*i].snapshot)?))
                }));
                self.write_counters(out, family, &counts, format);
            } else {
                members.clear();
                members.extend(
                    series
                        .iter()
                        .map(|(i, text)| (text, &snapshot.metrics[*i].snapshot)),
                );
                self.write_family(out, family, &members, format, &mut cumulative);
            }
        }
    }

    /// Writes a counter family: as a counter while every member is
    /// monotonic and not negative, otherwise as a gauge.
    pub(crate) fn write_counters(
        &self,
        out: &mut String,
        family: &Family,
        members: &[(&SeriesText, Count<'_>)],
        format: Format,
    ) {
        let om = usize::from(format == Format::OpenMetrics);
        let monotonic = members.iter().all(|(_, count)| count.is_monotonic());
        let gauge = usize::from(!monotonic);
        out.push_str(&family.headers[om + 2 * gauge]);
        for (text, count) in members {
            out.push_str(&text.prefix[gauge]);
            match count {
                Count::Counter(c) => {
                    i64_value(out, c.count);
                    // Exemplars go on `_total` lines, in OpenMetrics only.
                    if let Some(e) = c.exemplar.as_ref().filter(|_| om == 1 && gauge == 0) {
                        exemplar(out, e, 1.0);
                    }
                }
                Count::Total(v) => f64_value(out, *v),
                Count::Meter(n) => u64_value(out, *n),
            }
            out.push('\n');
        }
    }

    /// Writes one family's lines. `members` holds snapshots or references
    /// to them, so a render reuses one buffer for every family.
    fn write_family(
        &self,
        out: &mut String,
        family: &Family,
        members: &[(&SeriesText, &MetricSnapshot)],
        format: Format,
        cumulative: &mut Cumulative,
    ) {
        let om = usize::from(format == Format::OpenMetrics);
        match family.shape {
            Shape::Counter => {
                let counts: Vec<(&SeriesText, Count<'_>)> = members
                    .iter()
                    .filter_map(|(text, s)| Some((*text, Count::of_snapshot(s)?)))
                    .collect();
                self.write_counters(out, family, &counts, format);
            }
            Shape::Gauge => {
                out.push_str(&family.headers[om]);
                for (text, snapshot) in members {
                    let prefix = &text.prefix[0];
                    match snapshot {
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
                    let h = match snapshot {
                        MetricSnapshot::Histogram(h) => h,
                        MetricSnapshot::Timer(t) => &t.durations,
                        _ => continue,
                    };
                    match self.inner.choices.of(family).0 {
                        Some(buckets) => {
                            let text = (labels, family);
                            // Exemplars go on `_bucket` lines, in
                            // OpenMetrics only.
                            let exemplars = if om == 1 { &h.exemplars[..] } else { &[] };
                            let values = (h, exemplars);
                            write_histogram(out, text, values, buckets, per_unit, cumulative)
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
}

/// A histogram's `_bucket` lines, `+Inf` last.
fn write_histogram(
    out: &mut String,
    (labels, family): (&str, &Family),
    (h, exemplars): (&HistogramSnapshot, &[Exemplar]),
    buckets: &Buckets,
    per_unit: f64,
    cumulative: &mut Cumulative,
) {
    let bounds = buckets.bounds(h, per_unit);
    let mut picks = bucket_exemplars(exemplars, &bounds, per_unit);
    let mut head = std::mem::take(&mut cumulative.head);
    head.clear();
    head.push_str(&family.name);
    head.push_str("_bucket{");
    head.push_str(labels);
    if !labels.is_empty() {
        head.push(',');
    }
    head.push_str("le=\"");
    let (le, counts) = cumulative.lines(h, bounds, per_unit);
    let le = le.iter().map(String::as_str).chain(["+Inf"]);
    for (le, &count) in le.zip(counts.iter().chain([&h.count])) {
        out.push_str(&head);
        out.push_str(le);
        out.push_str("\"} ");
        u64_value(out, count);
        if let Some(e) = picks.next().flatten() {
            exemplar(out, e, per_unit);
        }
        out.push('\n');
    }
    cumulative.head = head;
}

/// ` # {trace_id="…",span_id="…"} value timestamp`: an OpenMetrics
/// exemplar (63 characters of labels, and at most 48 of its own ones:
/// under the format's 128).
fn exemplar(out: &mut String, e: &Exemplar, per_unit: f64) {
    out.push_str(" # {trace_id=\"");
    out.push_str(&e.trace.trace_id_hex());
    out.push_str("\",span_id=\"");
    out.push_str(&e.trace.span_id_hex());
    for (name, value) in e.trace.labels.iter() {
        out.push_str("\",");
        out.push_str(name);
        out.push_str("=\"");
        label_value(out, value);
    }
    out.push_str("\"} ");
    f64_value(out, e.value as f64 / per_unit);
    out.push(' ');
    f64_value(out, e.unix_nanos as f64 / 1e9);
}

/// `# HELP` and `# TYPE` lines (and `# UNIT` for OpenMetrics timers).
pub(crate) fn header(out: &mut String, family: &Family, suffix: &str, kind: &str, format: Format) {
    let om = format == Format::OpenMetrics;
    // No description, no HELP: never the name said again.
    if !family.help.is_empty() {
        out.push_str("# HELP ");
        out.push_str(&family.name);
        out.push_str(suffix);
        out.push(' ');
        help(out, &family.help, om);
        out.push('\n');
    }
    out.push_str("# TYPE ");
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

/// A sample's name and labels, up to and including the space before its
/// value. `extra` is a label the exporter adds (its value needs no escaping).
pub(crate) fn sample_line(
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
