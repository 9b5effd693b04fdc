//! [`Encoder`]: a snapshot as one OTLP `ExportMetricsServiceRequest`.

use crate::temporality::Temporality;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality, Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use std::time::{SystemTime, UNIX_EPOCH};
use tachymeter_core::{
    Distribution, HistogramSnapshot, MetricEntry, MetricKey, MetricSnapshot, RegistrySnapshot, Unit,
};
use tachymeter_report::{Body, Encode, Encoded, ExponentialBuckets, Previous, Tags, MAX_SCALE};

/// The media type of a protobuf request body.
pub const CONTENT_TYPE: &str = "application/x-protobuf";

/// The most exponential buckets a histogram point holds unless set
/// otherwise: the OpenTelemetry SDKs' default (`MaxSize`).
pub const DEFAULT_MAX_BUCKETS: usize = 160;

/// The largest request body sent (before compression), as the OTLP
/// specification asks: a report that would be larger is left out and
/// counted in `dropped-too-long`.
pub const MAX_BODY: usize = 64 << 20;

/// The coarsest scale used: each bucket spans 1,024 powers of two.
const MIN_SCALE: i32 = -10;

/// The instrumentation scope every metric is sent under.
const SCOPE: &str = env!("CARGO_PKG_NAME");

/// Turns a [`RegistrySnapshot`] into one OTLP/HTTP request body: an
/// `ExportMetricsServiceRequest` of one resource and one instrumentation
/// scope (`tachymeter-otlp` and its version), in protobuf, built with the
/// official OTLP messages of the `opentelemetry-proto` crate.
///
/// | metric | OTLP metric |
/// |---|---|
/// | counter | monotonic `Sum`, integer; a non-monotonic cumulative `Sum` (an up-down counter) once decremented |
/// | gauge | `Gauge`, integer or double as recorded; NaN and ±Inf left out (counted in `dropped-non-finite`) |
/// | meter | monotonic `Sum` of its count, and `Gauge`s `<name>.m1_rate`, `.m5_rate`, `.m15_rate`, `.mean_rate` (events per second, unit `1/s`) |
/// | histogram | `ExponentialHistogram` with count, sum, min and max, in the values' unit |
/// | timer | `ExponentialHistogram` of its durations in seconds (unit `s`) |
///
/// - **Names and labels** are sent as recorded: the name as the metric
///   name, labels as string attributes (OTLP takes any UTF-8, so nothing is
///   cleaned). A metric's description and unit (UCUM: `s`, `By`, `1`, `%`,
///   `{item}`) come from [`Registry::describe`](tachymeter_core::Registry::describe).
/// - **Exponential histograms**: each bucket of the histogram is counted in
///   the exponential bucket that holds its midpoint, at the finest scale (at
///   most [`MAX_SCALE`]) whose buckets, from the lowest value's to the
///   highest's, number at most [`max_buckets`](Self::max_buckets) (default
///   [`DEFAULT_MAX_BUCKETS`]). A quantile a backend computes from them is
///   within [`ExponentialBuckets::relative_error`] of the exact one: 4.4 %
///   at scale 3 (values spanning up to 20 powers of two, such as 1 µs to
///   1 s, with 160 buckets), 2.9 % at scale 5, 1.9 % at scale 6, for a
///   histogram of two significant figures.
/// - **Temporality** (see [`Temporality`]): cumulative by default, each
///   series' points sharing one start time for its life (the previous
///   report's time for a series new since, the encoder's
///   [`start_time`](Self::start_time) for one there from the first report,
///   and the previous report's time again after a counter or histogram was
///   registered anew with fewer values). With delta, each counter, meter
///   count and histogram point holds what changed since the last point
///   that was delivered and starts where it ended: a report that is not
///   delivered adds its values to the next one. A decremented counter stays
///   cumulative, as OpenTelemetry's "delta" preference keeps up-down
///   counters; delta histogram points carry no min and max.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tachymeter_core::Registry;
/// use tachymeter_otlp::Encoder;
/// use tachymeter_report::{encode_once, Payload};
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(3);
/// registry.timer("latency")?.update(Duration::from_millis(4));
/// let mut encoder = Encoder::new().service_name("books");
/// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let (body, encoded) = encode_once(&mut encoder, &registry.snapshot(), at);
/// assert_eq!(body.points(), 2);
/// assert_eq!(body.content_type(), "application/x-protobuf");
/// assert_eq!(encoded.dropped(), 0);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
#[derive(Debug)]
pub struct Encoder {
    resource: Tags,
    temporality: Temporality,
    max_buckets: usize,
    /// The start of series there from the first report (Unix ns).
    start: u64,
    /// The time of the previous report (Unix ns).
    last_time: Option<u64>,
    /// What each series' next point is measured from, as last delivered
    /// (delta) or sent (cumulative).
    series: Previous<Since>,
    /// What each series' point of the report in hand would make it.
    pending: Vec<(MetricKey, Since)>,
    buckets: ExponentialBuckets,
}

/// What a series' next point is measured from.
#[derive(Debug, Clone)]
struct Since {
    /// The start time of its cumulative points (Unix ns).
    start: u64,
    /// The time of its last point (Unix ns).
    time: u64,
    /// Its values then.
    last: Last,
}

#[derive(Debug, Clone)]
enum Last {
    Count(i64),
    /// A functional counter's total.
    Total(f64),
    Histogram {
        sum: u128,
        all_time: Distribution,
    },
}

impl Last {
    fn count(&self) -> i64 {
        match self {
            Last::Count(count) => *count,
            Last::Total(total) => *total as i64,
            Last::Histogram { all_time, .. } => all_time.count as i64,
        }
    }
}

impl Default for Encoder {
    /// [`Encoder::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// Cumulative temporality, at most [`DEFAULT_MAX_BUCKETS`] buckets per
    /// histogram point, the resource `service.name` set to
    /// `unknown_service:<program name>` (as the OpenTelemetry SDKs do when
    /// none is configured), and the series there from the first report
    /// starting now.
    pub fn new() -> Self {
        let mut resource = Tags::default();
        resource.set("service.name", default_service_name());
        resource.set("telemetry.sdk.name", SCOPE);
        resource.set("telemetry.sdk.language", "rust");
        resource.set("telemetry.sdk.version", env!("CARGO_PKG_VERSION"));
        Encoder {
            resource,
            temporality: Temporality::Cumulative,
            max_buckets: DEFAULT_MAX_BUCKETS,
            start: unix_nanos(SystemTime::now()),
            last_time: None,
            series: Previous::new(),
            pending: Vec::new(),
            buckets: ExponentialBuckets::default(),
        }
    }

    /// The resource's `service.name`, the name backends show the service
    /// under.
    pub fn service_name(self, name: &str) -> Self {
        self.resource_attribute("service.name", name)
    }

    /// Sets a resource attribute (`service.version`,
    /// `deployment.environment.name`, …), replacing one of the same key; an
    /// empty value removes it.
    pub fn resource_attribute(mut self, key: &str, value: &str) -> Self {
        self.resource.set(key, value);
        self
    }

    /// Cumulative (the default) or delta points.
    pub fn temporality(mut self, temporality: Temporality) -> Self {
        self.temporality = temporality;
        self
    }

    /// The most exponential buckets a histogram point holds, at least 1
    /// (default [`DEFAULT_MAX_BUCKETS`]): a histogram whose values span
    /// more is sent at a coarser scale.
    pub fn max_buckets(mut self, max: usize) -> Self {
        self.max_buckets = max.max(1);
        self
    }

    /// The start time of the cumulative points of the series there from
    /// the first report (default: when the encoder was made).
    pub fn start_time(mut self, start: SystemTime) -> Self {
        self.start = unix_nanos(start);
        self
    }

    /// The resource attributes, by key.
    pub fn resource(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resource.iter()
    }

    /// The temporality of its points.
    pub fn temporality_of(&self) -> Temporality {
        self.temporality
    }
}

impl Encode for Encoder {
    type Output = Body;

    /// Writes `snapshot` at `time` as one request body; its points are the
    /// data points it holds.
    fn encode(&mut self, snapshot: &RegistrySnapshot, time: SystemTime, out: &mut Body) -> Encoded {
        let now = unix_nanos(time);
        self.series.finish(snapshot);
        self.pending.clear();
        let fresh = self.last_time.unwrap_or(self.start).min(now);
        let mut point = Point {
            now,
            fresh,
            encoded: Encoded::default(),
            points: 0,
        };
        let mut metrics = Vec::new();
        let mut rest = &snapshot.metrics[..];
        while let Some(first) = rest.first() {
            let name = first.key.name();
            let end = rest.iter().take_while(|e| e.key.name() == name).count();
            let (group, next) = rest.split_at(end);
            self.encode_group(group, &mut point, &mut metrics);
            rest = next;
        }
        let request = ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Resource {
                    attributes: self.resource.iter().map(|(k, v)| attribute(k, v)).collect(),
                    ..Default::default()
                }),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: SCOPE.to_string(),
                        version: env!("CARGO_PKG_VERSION").to_string(),
                        ..Default::default()
                    }),
                    metrics,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        };
        let bytes = out.bytes_mut();
        bytes.clear();
        if point.points > 0 {
            // Writing into a Vec cannot run out of room; the Vec keeps the
            // last body's capacity.
            let _ = request.encode(bytes);
        }
        if bytes.len() > MAX_BODY {
            point.encoded.too_long += point.points;
            point.points = 0;
            bytes.clear();
        }
        out.set_content_type(CONTENT_TYPE);
        out.set_points(point.points);
        self.last_time = Some(now);
        if self.temporality == Temporality::Cumulative {
            self.commit();
        }
        point.encoded
    }

    /// Delta points are measured from the last report the server answered
    /// (some of its points delivered); cumulative ones need no delivery.
    fn delivered(&mut self, _: &RegistrySnapshot, _: &Body, points: u64) {
        if self.temporality == Temporality::Delta && points > 0 {
            self.commit();
        }
    }
}

/// The report in hand: its time, and what it wrote and left out.
struct Point {
    now: u64,
    /// The start of a series seen for the first time.
    fresh: u64,
    encoded: Encoded,
    points: u64,
}

impl Encoder {
    /// Makes the report's pending series states the ones the next report
    /// is measured from.
    fn commit(&mut self) {
        for (key, since) in self.pending.drain(..) {
            self.series.insert(&key, since);
        }
    }

    /// Adds the metrics of one name (every label set of it).
    fn encode_group(
        &mut self,
        group: &[MetricEntry],
        point: &mut Point,
        metrics: &mut Vec<Metric>,
    ) {
        let first = &group[0];
        let (description, unit) = match &first.description {
            Some(d) => (d.text.clone(), d.unit.map_or("", ucum).to_string()),
            None => (String::new(), String::new()),
        };
        let metric = |unit: &str, data| Metric {
            name: first.key.name().to_string(),
            description: description.clone(),
            unit: unit.to_string(),
            data: Some(data),
            ..Default::default()
        };
        match &first.snapshot {
            MetricSnapshot::Counter(_) => {
                let monotonic = group
                    .iter()
                    .all(|e| !matches!(e.snapshot, MetricSnapshot::Counter(c) if !c.monotonic));
                let delta = monotonic && self.temporality == Temporality::Delta;
                let mut data_points = Vec::new();
                for entry in group {
                    if let MetricSnapshot::Counter(c) = entry.snapshot {
                        data_points.push(self.count_point(
                            entry,
                            Last::Count(c.count),
                            c.monotonic,
                            delta,
                            point,
                        ));
                    }
                }
                metrics.push(metric(&unit, sum(data_points, monotonic, delta)));
            }
            MetricSnapshot::CounterF64 { .. } => {
                let delta = self.temporality == Temporality::Delta;
                let mut data_points = Vec::new();
                for entry in group {
                    if let MetricSnapshot::CounterF64 { value } = entry.snapshot {
                        if !value.is_finite() {
                            point.encoded.non_finite += 1;
                            continue;
                        }
                        let total = Last::Total(value);
                        data_points.push(self.count_point(entry, total, true, delta, point));
                    }
                }
                metrics.push(metric(&unit, sum(data_points, true, delta)));
            }
            MetricSnapshot::Meter(_) => {
                let delta = self.temporality == Temporality::Delta;
                let mut counts = Vec::new();
                let mut rates: [Vec<NumberDataPoint>; 4] = Default::default();
                for entry in group {
                    if let MetricSnapshot::Meter(m) = entry.snapshot {
                        let count = i64::try_from(m.count).unwrap_or_else(|_| {
                            point.encoded.saturated += 1;
                            i64::MAX
                        });
                        counts.push(self.count_point(
                            entry,
                            Last::Count(count),
                            true,
                            delta,
                            point,
                        ));
                        for (rates, value) in
                            rates
                                .iter_mut()
                                .zip([m.rate1, m.rate5, m.rate15, m.rate_mean])
                        {
                            if let Some(p) = gauge_point(entry, double(value), point) {
                                rates.push(p);
                            }
                        }
                    }
                }
                metrics.push(metric(&unit, sum(counts, true, delta)));
                for (suffix, data_points) in ["m1_rate", "m5_rate", "m15_rate", "mean_rate"]
                    .iter()
                    .zip(rates)
                {
                    let mut rate = metric("1/s", Data::Gauge(Gauge { data_points }));
                    rate.name = format!("{}.{suffix}", first.key.name());
                    metrics.push(rate);
                }
            }
            MetricSnapshot::Gauge { .. } | MetricSnapshot::GaugeF64 { .. } => {
                let data_points = group
                    .iter()
                    .filter_map(|entry| {
                        let value = match entry.snapshot {
                            MetricSnapshot::Gauge { value } => {
                                number_data_point::Value::AsInt(value)
                            }
                            MetricSnapshot::GaugeF64 { value } => double(value),
                            _ => return None,
                        };
                        gauge_point(entry, value, point)
                    })
                    .collect();
                metrics.push(metric(&unit, Data::Gauge(Gauge { data_points })));
            }
            MetricSnapshot::Histogram(_) | MetricSnapshot::Timer(_) => {
                let timer = matches!(first.snapshot, MetricSnapshot::Timer(_));
                let per_unit = if timer { 1e9 } else { 1.0 };
                let delta = self.temporality == Temporality::Delta;
                let mut data_points = Vec::new();
                for entry in group {
                    let h = match &entry.snapshot {
                        MetricSnapshot::Histogram(h) => h,
                        MetricSnapshot::Timer(t) => &t.durations,
                        _ => continue,
                    };
                    data_points.push(self.histogram_point(entry, h, per_unit, delta, point));
                }
                let temporality = if delta {
                    AggregationTemporality::Delta
                } else {
                    AggregationTemporality::Cumulative
                };
                let unit = if timer { "s" } else { unit.as_str() };
                metrics.push(metric(
                    unit,
                    Data::ExponentialHistogram(ExponentialHistogram {
                        data_points,
                        aggregation_temporality: temporality as i32,
                    }),
                ));
            }
            // A kind added later is not sent until this encoder knows it.
            _ => {}
        }
    }

    /// A counter's or meter's count as a point: the count itself
    /// (cumulative) or what it gained since the last point (delta).
    fn count_point(
        &mut self,
        entry: &MetricEntry,
        total: Last,
        monotonic: bool,
        delta: bool,
        point: &mut Point,
    ) -> NumberDataPoint {
        let (start, last) = self.since(&entry.key, total.count(), monotonic, point);
        let value = match (&total, last.filter(|_| delta)) {
            (Last::Count(count), Some(Last::Count(last))) => {
                number_data_point::Value::AsInt(count - last)
            }
            (Last::Total(total), Some(Last::Total(last))) => double(total - last),
            (Last::Total(total), _) => double(*total),
            (total, _) => number_data_point::Value::AsInt(total.count()),
        };
        let start = if delta {
            self.series.get(&entry.key).map_or(point.fresh, |s| s.time)
        } else {
            start
        };
        self.pending.push((
            entry.key.clone(),
            Since {
                start,
                time: point.now,
                last: total,
            },
        ));
        point.points += 1;
        let exemplars = match &entry.snapshot {
            MetricSnapshot::Counter(c) => c
                .exemplar
                .iter()
                .filter(|e| !delta || e.unix_nanos >= start)
                .map(|e| exemplar(e, int(e.value)))
                .collect(),
            _ => Vec::new(),
        };
        NumberDataPoint {
            attributes: attributes(&entry.key),
            start_time_unix_nano: start,
            time_unix_nano: point.now,
            value: Some(value),
            exemplars,
            ..Default::default()
        }
    }

    /// A histogram's or timer's point.
    fn histogram_point(
        &mut self,
        entry: &MetricEntry,
        h: &HistogramSnapshot,
        per_unit: f64,
        delta: bool,
        point: &mut Point,
    ) -> ExponentialHistogramDataPoint {
        let all_time = &h.all_time;
        let (cumulative_start, _) = self.since(&entry.key, all_time.count as i64, true, point);
        let previous = self
            .series
            .get(&entry.key)
            .filter(|s| delta && s.last.count() <= all_time.count as i64);
        let (values, sum, start, min_max) = match previous.map(|s| (&s.last, s.time)) {
            Some((
                Last::Histogram {
                    sum,
                    all_time: before,
                },
                time,
            )) => (
                all_time.since(before),
                h.sum.saturating_sub(*sum),
                time,
                None,
            ),
            _ if delta => (
                all_time.clone(),
                h.sum,
                self.series.get(&entry.key).map_or(point.fresh, |s| s.time),
                None,
            ),
            _ => (
                all_time.clone(),
                h.sum,
                cumulative_start,
                (all_time.count > 0).then_some((h.min, h.max)),
            ),
        };
        self.pending.push((
            entry.key.clone(),
            Since {
                start: cumulative_start,
                time: point.now,
                last: Last::Histogram {
                    sum: h.sum,
                    all_time: all_time.clone(),
                },
            },
        ));
        point.points += 1;
        let (zero_count, positive, scale) = self.exponential(&values, per_unit);
        ExponentialHistogramDataPoint {
            attributes: attributes(&entry.key),
            start_time_unix_nano: start,
            time_unix_nano: point.now,
            count: values.count,
            sum: Some(sum as f64 / per_unit),
            scale,
            zero_count,
            positive: Some(positive),
            min: min_max.map(|(min, _)| min as f64 / per_unit),
            max: min_max.map(|(_, max)| max as f64 / per_unit),
            // All kept (a cumulative point holds every value), or those of
            // a delta point's span.
            exemplars: h
                .exemplars
                .iter()
                .filter(|e| !delta || e.unix_nanos >= start)
                .map(|e| exemplar(e, double(e.value as f64 / per_unit)))
                .collect(),
            ..Default::default()
        }
    }

    /// The start time of `key`'s cumulative points, and its last count (0
    /// when new, or when `monotonic` and registered anew with a lower
    /// count).
    fn since(
        &self,
        key: &MetricKey,
        count: i64,
        monotonic: bool,
        point: &Point,
    ) -> (u64, Option<&Last>) {
        match self.series.get(key) {
            Some(s) if s.last.count() <= count || !monotonic => (s.start, Some(&s.last)),
            // Fewer values than before: registered anew since the last
            // point, which is where it starts.
            Some(s) => (s.time.min(point.now), None),
            None => (point.fresh, None),
        }
    }

    /// `d`'s buckets as exponential ones, at the finest scale that fits
    /// the bucket cap: (zero count, positive buckets, scale).
    fn exponential(&mut self, d: &Distribution, per_unit: f64) -> (u64, Buckets, i32) {
        self.buckets.map(d, per_unit, self.first_scale(d));
        while self.buckets.dense_len() > self.max_buckets && self.buckets.scale() > MIN_SCALE {
            self.buckets.coarsen();
        }
        let counts = self.buckets.counts();
        let offset = counts.first().map_or(0, |c| c.0);
        let mut bucket_counts = vec![0; self.buckets.dense_len()];
        for &(index, count) in counts {
            bucket_counts[(index - offset) as usize] = count;
        }
        (
            self.buckets.zero_count(),
            Buckets {
                offset,
                bucket_counts,
            },
            self.buckets.scale(),
        )
    }

    /// The scale to map `d` at first: the finest whose buckets from its
    /// lowest value's to its highest's would fit the cap, or one finer
    /// (rounding), at most [`MAX_SCALE`].
    fn first_scale(&self, d: &Distribution) -> i32 {
        let (low, high) = (d.lowest.max(1) as f64, d.highest.max(1) as f64);
        let octaves = (high / low).log2().max(1.0);
        let fits = (self.max_buckets as f64 / octaves).log2().floor() as i32 + 1;
        fits.clamp(MIN_SCALE, MAX_SCALE)
    }
}

/// A `Sum` of `data_points`.
fn sum(data_points: Vec<NumberDataPoint>, monotonic: bool, delta: bool) -> Data {
    let temporality = if delta {
        AggregationTemporality::Delta
    } else {
        AggregationTemporality::Cumulative
    };
    Data::Sum(Sum {
        data_points,
        aggregation_temporality: temporality as i32,
        is_monotonic: monotonic,
    })
}

/// A gauge's point, unless its value is NaN or ±Inf (counted).
fn gauge_point(
    entry: &MetricEntry,
    value: number_data_point::Value,
    point: &mut Point,
) -> Option<NumberDataPoint> {
    if matches!(value, number_data_point::Value::AsDouble(v) if !v.is_finite()) {
        point.encoded.non_finite += 1;
        return None;
    }
    point.points += 1;
    Some(NumberDataPoint {
        attributes: attributes(&entry.key),
        time_unix_nano: point.now,
        value: Some(value),
        ..Default::default()
    })
}

fn double(value: f64) -> number_data_point::Value {
    number_data_point::Value::AsDouble(value)
}

fn int(value: u64) -> number_data_point::Value {
    number_data_point::Value::AsInt(i64::try_from(value).unwrap_or(i64::MAX))
}

/// A kept exemplar as an OTLP one: the trace's ids, its own labels as
/// filtered attributes, the value, the time.
fn exemplar(e: &tachymeter_core::Exemplar, value: number_data_point::Value) -> Exemplar {
    Exemplar {
        filtered_attributes: e
            .trace
            .labels
            .iter()
            .map(|(k, v)| attribute(k, v))
            .collect(),
        time_unix_nano: e.unix_nanos,
        trace_id: e.trace.trace_id.to_vec(),
        span_id: e.trace.span_id.to_vec(),
        value: Some(match value {
            number_data_point::Value::AsDouble(v) => exemplar::Value::AsDouble(v),
            number_data_point::Value::AsInt(v) => exemplar::Value::AsInt(v),
        }),
    }
}

/// A series' labels as string attributes.
fn attributes(key: &MetricKey) -> Vec<KeyValue> {
    key.labels().iter().map(|(k, v)| attribute(k, v)).collect()
}

fn attribute(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_string())),
        }),
        ..Default::default()
    }
}

/// A unit in UCUM, as OTLP writes units.
fn ucum(unit: Unit) -> &'static str {
    match unit {
        Unit::Seconds => "s",
        Unit::Bytes => "By",
        Unit::Ratio => "1",
        Unit::Percent => "%",
        _ => "{item}",
    }
}

/// Nanoseconds since the Unix epoch (0 before it).
fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// `unknown_service:<program name>`, or `unknown_service`.
fn default_service_name() -> String {
    let program = std::env::current_exe().ok().and_then(|path| {
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
    });
    match program {
        Some(program) => format!("unknown_service:{program}"),
        None => "unknown_service".to_string(),
    }
}
