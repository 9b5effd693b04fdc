//! [`PrometheusExporter::render_protobuf`]: the registry in Prometheus'
//! protobuf exposition, with native histograms.

use crate::buckets::{bucket_exemplars, Cumulative};
use crate::names::{Family, Shape};
use crate::native::{NativeBuckets, ZERO_THRESHOLD};
use crate::plan::{Count, SeriesText};
use crate::proto::{self, MetricType};
use crate::PrometheusExporter;
use prost::Message;
use tachymeter_core::{Exemplar, HistogramSnapshot, MetricSnapshot, RegistrySnapshot};

/// The `Content-Type` of the protobuf exposition: length-delimited
/// `io.prometheus.client.MetricFamily` messages.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

impl PrometheusExporter {
    /// Renders the registry in Prometheus' protobuf exposition (feature
    /// `protobuf`, on by default): one length-delimited `MetricFamily`
    /// message per family, with the same families, names and labels as
    /// [`render`](Self::render) gives in the text formats.
    ///
    /// Histograms and timers are native histograms (see
    /// [`NativeHistograms`](crate::NativeHistograms)), cumulative over all
    /// time, with classic buckets as well when
    /// [`buckets`](crate::PrometheusExporterBuilder::buckets) is set; with
    /// native histograms turned off they are summaries or classic
    /// histograms, as in the text formats. [`service`](Self::service)
    /// answers with this when the scraper prefers it, as Prometheus does
    /// when started with `--enable-feature=native-histograms`.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_prometheus::PrometheusExporter;
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// registry.timer("get-book")?.update(Duration::from_millis(3));
    /// let body = PrometheusExporter::new(&registry).render_protobuf();
    /// // One message: its length, then the family named `get_book_seconds`.
    /// assert_eq!(usize::from(body[0]) + 1, body.len());
    /// assert!(body.windows(16).any(|w| w == b"get_book_seconds"));
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn render_protobuf(&self) -> Vec<u8> {
        let mut state = self.lock();
        let state = &mut *state;
        self.inner.registry.snapshot_into(&mut state.snapshot);
        let snapshot = &state.snapshot;
        self.plan(
            &mut state.names,
            &mut state.renders,
            &mut state.plan,
            snapshot,
        );
        let mut out = Vec::with_capacity(
            self.inner
                .capacity
                .load(std::sync::atomic::Ordering::Relaxed),
        );
        let Some(plan) = state.plan.as_mut() else {
            return out;
        };
        let families = &state.names.families;
        let messages = plan.messages.get_or_insert_with(|| {
            plan.families
                .iter()
                .map(|(f, series)| self.template(&families[*f], series))
                .collect()
        });
        let mut scratch = Scratch::default();
        for ((f, series), message) in plan.families.iter().zip(messages.iter_mut()) {
            let family = &families[*f];
            match family.shape {
                Shape::Counter => counters(family, series, snapshot, message, &mut scratch),
                Shape::Gauge => gauges(series, snapshot, message),
                Shape::Distribution => {
                    self.distributions(family, series, snapshot, message, &mut scratch)
                }
            }
            // Writing into a Vec cannot run out of room, the only way
            // encoding fails.
            let _ = message.encode_length_delimited(&mut out);
        }
        out
    }

    /// A family's message with its series' labels, values left to fill.
    fn template(&self, family: &Family, series: &[(usize, SeriesText)]) -> proto::MetricFamily {
        let kind = match family.shape {
            Shape::Counter => MetricType::Counter,
            Shape::Gauge => MetricType::Gauge,
            Shape::Distribution
                if self.inner.native.is_some() || self.inner.choices.of(family).0.is_some() =>
            {
                MetricType::Histogram
            }
            Shape::Distribution => MetricType::Summary,
        };
        proto::MetricFamily {
            name: family.name.clone(),
            help: family.help.clone(),
            r#type: kind as i32,
            metric: series
                .iter()
                .map(|(_, text)| proto::Metric {
                    label: text
                        .pairs
                        .iter()
                        .map(|(name, value)| proto::LabelPair {
                            name: name.clone(),
                            value: value.clone(),
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
        }
    }

    /// Sets a histogram family's values.
    fn distributions(
        &self,
        family: &Family,
        series: &[(usize, SeriesText)],
        snapshot: &RegistrySnapshot,
        message: &mut proto::MetricFamily,
        scratch: &mut Scratch<'_>,
    ) {
        let per_unit = if family.seconds { 1e9 } else { 1.0 };
        let (buckets, chosen) = self.inner.choices.of(family);
        // Beside native histograms, classic buckets only where the program
        // chose them; without, what the text formats have.
        let classic = match &self.inner.native {
            Some(_) => buckets.filter(|_| chosen),
            None => buckets,
        };
        let summary = self.inner.native.is_none() && buckets.is_none();
        for ((i, _), out) in series.iter().zip(&mut message.metric) {
            let h: &HistogramSnapshot = match &snapshot.metrics[*i].snapshot {
                MetricSnapshot::Histogram(h) => h,
                MetricSnapshot::Timer(t) => &t.durations,
                _ => continue,
            };
            let sum = h.sum as f64 / per_unit;
            if summary {
                let quantiles = h.percentiles(&self.inner.quantiles);
                let summary = out.summary.get_or_insert_with(Default::default);
                summary.sample_count = h.count;
                summary.sample_sum = sum;
                summary.quantile.clear();
                summary
                    .quantile
                    .extend(self.inner.quantiles.iter().zip(quantiles).map(|(&q, v)| {
                        proto::Quantile {
                            quantile: q,
                            value: v / per_unit,
                        }
                    }));
                continue;
            }
            let histogram = out.histogram.get_or_insert_with(Default::default);
            histogram.sample_count = h.count;
            histogram.sample_sum = sum;
            if let Some(native) = &self.inner.native {
                scratch.native.map_into(
                    &h.all_time,
                    per_unit,
                    native,
                    &mut histogram.positive_span,
                    &mut histogram.positive_delta,
                );
                histogram.schema = scratch.native.schema;
                histogram.zero_threshold = ZERO_THRESHOLD;
                histogram.zero_count = scratch.native.zero_count;
                // The native histogram's own list: every exemplar kept.
                histogram.exemplars.clear();
                histogram
                    .exemplars
                    .extend(h.exemplars.iter().map(|e| exemplar(e, per_unit)));
            }
            histogram.bucket.clear();
            if let Some(buckets) = classic {
                let bounds = buckets.bounds(h, per_unit);
                let mut picks = bucket_exemplars(&h.exemplars, &bounds, per_unit);
                let counts = scratch.cumulative.counts(h, &bounds, per_unit);
                histogram.bucket.extend(bounds.iter().zip(counts).map(
                    |(&upper_bound, &cumulative_count)| proto::Bucket {
                        cumulative_count,
                        upper_bound,
                        exemplar: picks.next().flatten().map(|e| exemplar(e, per_unit)),
                    },
                ));
            }
        }
    }
}

/// An exemplar as the protobuf exposition has it: the trace's ids and
/// its own labels as labels, the value in the exported unit, and its time.
fn exemplar(e: &Exemplar, per_unit: f64) -> proto::Exemplar {
    let label = |name: &str, value: String| proto::LabelPair {
        name: name.to_string(),
        value,
    };
    let ids = [
        label("trace_id", e.trace.trace_id_hex()),
        label("span_id", e.trace.span_id_hex()),
    ];
    let own = e.trace.labels.iter().map(|(n, v)| label(n, v.to_string()));
    proto::Exemplar {
        label: ids.into_iter().chain(own).collect(),
        value: e.value as f64 / per_unit,
        timestamp: Some(proto::Timestamp {
            seconds: i64::try_from(e.unix_nanos / 1_000_000_000).unwrap_or(i64::MAX),
            nanos: (e.unix_nanos % 1_000_000_000) as i32,
        }),
    }
}

/// Buffers reused from one family to the next.
#[derive(Default)]
struct Scratch<'a> {
    counts: Vec<Option<Count<'a>>>,
    native: NativeBuckets,
    cumulative: Cumulative,
}

/// Sets a counter family's values: a counter `name_total` while every
/// member is monotonic, a gauge `name` otherwise, as in the text formats.
fn counters<'a>(
    family: &Family,
    series: &[(usize, SeriesText)],
    snapshot: &'a RegistrySnapshot,
    message: &mut proto::MetricFamily,
    scratch: &mut Scratch<'a>,
) {
    scratch.counts.clear();
    scratch.counts.extend(
        series
            .iter()
            .map(|(i, _)| Count::of_snapshot(&snapshot.metrics[*i].snapshot)),
    );
    let monotonic = scratch.counts.iter().flatten().all(Count::is_monotonic);
    let suffix = if monotonic { "_total" } else { "" };
    if message.name.len() != family.name.len() + suffix.len() {
        message.name.clear();
        message.name.push_str(&family.name);
        message.name.push_str(suffix);
    }
    let kind = if monotonic {
        MetricType::Counter
    } else {
        MetricType::Gauge
    };
    message.r#type = kind as i32;
    for (out, count) in message.metric.iter_mut().zip(&scratch.counts) {
        let value = count.map_or(0.0, |c| c.as_f64());
        if monotonic {
            let exemplar = match count {
                Some(Count::Counter(c)) => c.exemplar.as_ref().map(|e| exemplar(e, 1.0)),
                _ => None,
            };
            out.counter = Some(proto::Counter { value, exemplar });
            out.gauge = None;
        } else {
            out.gauge = Some(proto::Gauge { value });
            out.counter = None;
        }
    }
}

/// Sets a gauge family's values.
fn gauges(
    series: &[(usize, SeriesText)],
    snapshot: &RegistrySnapshot,
    message: &mut proto::MetricFamily,
) {
    for ((i, _), out) in series.iter().zip(&mut message.metric) {
        let value = match snapshot.metrics[*i].snapshot {
            MetricSnapshot::Gauge { value } => value as f64,
            MetricSnapshot::GaugeF64 { value } => value,
            _ => continue,
        };
        out.gauge = Some(proto::Gauge { value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Buckets, Format};
    use std::time::Duration;
    use tachymeter_core::Registry;

    fn decode(mut body: &[u8]) -> Vec<proto::MetricFamily> {
        let mut families = Vec::new();
        while !body.is_empty() {
            families.push(proto::MetricFamily::decode_length_delimited(&mut body).unwrap());
        }
        families
    }

    #[test]
    fn families_are_those_of_the_text_format() {
        let registry = Registry::new();
        registry.counter("a.b").unwrap().inc(2);
        registry.gauge("a-b").unwrap().update(-4);
        registry.meter("m").unwrap().mark(3);
        registry
            .timer("t")
            .unwrap()
            .update(Duration::from_millis(1));
        registry.histogram("h").unwrap().update(0);
        let exporter = PrometheusExporter::new(&registry);
        let families = decode(&exporter.render_protobuf());
        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a_b", "a_b_2_total", "h", "m_total", "t_seconds"]);
        let text = exporter.render(Format::Text);
        for name in &names {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} in {text}"
            );
        }
        assert_eq!(families[0].metric[0].gauge.as_ref().unwrap().value, -4.0);
        assert_eq!(families[1].metric[0].counter.as_ref().unwrap().value, 2.0);
        assert_eq!(families[3].metric[0].counter.as_ref().unwrap().value, 3.0);
        let zero = families[2].metric[0].histogram.as_ref().unwrap();
        assert_eq!((zero.zero_count, zero.sample_count), (1, 1));
        assert!(zero.zero_threshold > 0.0 && zero.positive_span.is_empty());
        let t = families[4].metric[0].histogram.as_ref().unwrap();
        assert_eq!((t.schema, t.sample_count, t.sample_sum), (5, 1, 0.001));
        assert_eq!(t.positive_span.len(), 1);
        assert_eq!(crate::proto::unpack_deltas(&t.positive_delta), [1]);
        assert!(t.bucket.is_empty());
        // Not described: no HELP.
        assert_eq!(families[4].help, "");

        // A counter once decremented turns the family into a gauge.
        registry.counter("a.b").unwrap().dec(1);
        let families = decode(&exporter.render_protobuf());
        assert_eq!(families[1].name, "a_b_2");
        assert_eq!(families[1].r#type, MetricType::Gauge as i32);
        assert_eq!(families[1].metric[0].gauge.as_ref().unwrap().value, 1.0);
        assert!(families[1].metric[0].counter.is_none());
    }

    #[test]
    fn without_native_histograms_timers_are_as_in_the_text_formats() {
        let registry = Registry::new();
        registry
            .timer("t")
            .unwrap()
            .update(Duration::from_millis(2));
        // By default a classic histogram with the duration bounds, as in
        // the text formats.
        let classic = PrometheusExporter::builder(&registry)
            .native_histograms(None)
            .build();
        let families = decode(&classic.render_protobuf());
        assert_eq!(families[0].r#type, MetricType::Histogram as i32);
        let h = families[0].metric[0].histogram.as_ref().unwrap();
        assert_eq!(h.bucket.len(), crate::DURATION_BOUNDS.len());
        assert_eq!(
            (h.bucket[0].upper_bound, h.bucket[0].cumulative_count),
            (0.005, 1)
        );
        assert!(h.positive_span.is_empty());
        // With native histograms on, bounds chosen by unit stay out.
        let native = decode(&PrometheusExporter::new(&registry).render_protobuf());
        let h = native[0].metric[0].histogram.as_ref().unwrap();
        assert!(h.bucket.is_empty() && !h.positive_span.is_empty());

        let summary = PrometheusExporter::builder(&registry)
            .native_histograms(None)
            .summaries()
            .build();
        let families = decode(&summary.render_protobuf());
        assert_eq!(families[0].r#type, MetricType::Summary as i32);
        let s = families[0].metric[0].summary.as_ref().unwrap();
        assert_eq!(s.quantile.len(), 5);
        assert!(s
            .quantile
            .iter()
            .all(|q| (q.value - 0.002).abs() < 0.002 / 128.0));

        let both = PrometheusExporter::builder(&registry)
            .buckets(Buckets::Explicit(vec![0.001, 0.01]))
            .build();
        let families = decode(&both.render_protobuf());
        let h = families[0].metric[0].histogram.as_ref().unwrap();
        assert_eq!(crate::proto::unpack_deltas(&h.positive_delta), [1]);
        let classic: Vec<(f64, u64)> = h
            .bucket
            .iter()
            .map(|b| (b.upper_bound, b.cumulative_count))
            .collect();
        assert_eq!(classic, [(0.001, 0), (0.01, 1)]);
    }

    #[test]
    fn exemplars_ride_on_counters_classic_buckets_and_native_histograms() {
        let registry = Registry::new();
        let trace = tachymeter_core::Trace::new([0xab; 16], [0xcd; 8]);
        registry
            .timer("t")
            .unwrap()
            .update_with_exemplar(Duration::from_millis(2), trace);
        let labelled = trace.with_label("tenant", "acme").unwrap();
        registry
            .counter("c")
            .unwrap()
            .inc_with_exemplar(3, labelled);
        let exporter = PrometheusExporter::builder(&registry)
            .buckets(Buckets::Explicit(vec![0.001, 0.01]))
            .build();
        let families = decode(&exporter.render_protobuf());
        let labels = |e: &proto::Exemplar| -> Vec<(String, String)> {
            e.label
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect()
        };
        let ids = vec![
            ("trace_id".to_string(), "ab".repeat(16)),
            ("span_id".to_string(), "cd".repeat(8)),
        ];
        let counter = families[0].metric[0].counter.as_ref().unwrap();
        let e = counter.exemplar.as_ref().unwrap();
        let mut with_own = ids.clone();
        with_own.push(("tenant".to_string(), "acme".to_string()));
        assert_eq!((labels(e), e.value), (with_own, 3.0));
        assert!(e.timestamp.unwrap().seconds > 1_600_000_000);
        let h = families[1].metric[0].histogram.as_ref().unwrap();
        assert_eq!(h.exemplars.len(), 1);
        assert_eq!(
            (labels(&h.exemplars[0]), h.exemplars[0].value),
            (ids, 0.002)
        );
        // 2 ms lies in (0.001, 0.01]: that classic bucket alone has it.
        let on: Vec<bool> = h.bucket.iter().map(|b| b.exemplar.is_some()).collect();
        assert_eq!(on, [false, true]);
    }
}
