//! The messages of Prometheus' protobuf exposition (package
//! `io.prometheus.client`, file `metrics.proto`), as prost messages.
//!
//! Only the fields this exporter fills are declared; a reader skips the
//! ones it does not see, and the field numbers and types are those of the
//! published definition, so every Prometheus that reads protobuf reads
//! these. A scrape body is a sequence of length-delimited
//! [`MetricFamily`] messages.

/// `io.prometheus.client.LabelPair`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct LabelPair {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// `io.prometheus.client.MetricType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum MetricType {
    Counter = 0,
    Gauge = 1,
    Summary = 2,
    Histogram = 4,
}

/// `io.prometheus.client.Gauge`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Gauge {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
}

/// `io.prometheus.client.Counter`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Counter {
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    #[prost(message, optional, tag = "2")]
    pub(crate) exemplar: Option<Exemplar>,
}

/// `io.prometheus.client.Exemplar`: a trace's labels, the value and when.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Exemplar {
    #[prost(message, repeated, tag = "1")]
    pub(crate) label: Vec<LabelPair>,
    #[prost(double, tag = "2")]
    pub(crate) value: f64,
    #[prost(message, optional, tag = "3")]
    pub(crate) timestamp: Option<Timestamp>,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct Timestamp {
    #[prost(int64, tag = "1")]
    pub(crate) seconds: i64,
    #[prost(int32, tag = "2")]
    pub(crate) nanos: i32,
}

/// `io.prometheus.client.Quantile`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Quantile {
    #[prost(double, tag = "1")]
    pub(crate) quantile: f64,
    #[prost(double, tag = "2")]
    pub(crate) value: f64,
}

/// `io.prometheus.client.Summary`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Summary {
    #[prost(uint64, tag = "1")]
    pub(crate) sample_count: u64,
    #[prost(double, tag = "2")]
    pub(crate) sample_sum: f64,
    #[prost(message, repeated, tag = "3")]
    pub(crate) quantile: Vec<Quantile>,
}

/// `io.prometheus.client.Histogram`: classic buckets, native buckets, or
/// both.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Histogram {
    #[prost(uint64, tag = "1")]
    pub(crate) sample_count: u64,
    #[prost(double, tag = "2")]
    pub(crate) sample_sum: f64,
    /// Classic buckets, by increasing upper bound.
    #[prost(message, repeated, tag = "3")]
    pub(crate) bucket: Vec<Bucket>,
    /// Native buckets: each power of two is split into `2^schema` buckets.
    #[prost(sint32, tag = "5")]
    pub(crate) schema: i32,
    /// Values with an absolute value at most this are in the zero bucket.
    #[prost(double, tag = "6")]
    pub(crate) zero_threshold: f64,
    #[prost(uint64, tag = "7")]
    pub(crate) zero_count: u64,
    /// Runs of consecutive positive buckets.
    #[prost(message, repeated, tag = "12")]
    pub(crate) positive_span: Vec<BucketSpan>,
    /// Each positive bucket's count minus the previous bucket's (the
    /// first one's minus zero), packed: the `sint64`s as zigzag varints, back
    /// to back, which is what a packed repeated field is on the wire (the
    /// same bytes as this `bytes` field of the same number). Written once
    /// (see [`pack_delta`]), they are not walked again for the length of
    /// each enclosing message, as a `Vec<i64>` would be.
    #[prost(bytes = "vec", tag = "13")]
    pub(crate) positive_delta: Vec<u8>,
    /// The native histogram's exemplars (read by Prometheus 2.51 and
    /// later), each with its time.
    #[prost(message, repeated, tag = "16")]
    pub(crate) exemplars: Vec<Exemplar>,
}

/// `io.prometheus.client.Bucket`: a classic bucket.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Bucket {
    #[prost(uint64, tag = "1")]
    pub(crate) cumulative_count: u64,
    /// Inclusive.
    #[prost(double, tag = "2")]
    pub(crate) upper_bound: f64,
    #[prost(message, optional, tag = "3")]
    pub(crate) exemplar: Option<Exemplar>,
}

/// `io.prometheus.client.BucketSpan`: `length` consecutive native buckets,
/// `offset` buckets after the previous span (the first span's offset is
/// its first bucket's index).
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct BucketSpan {
    #[prost(sint32, tag = "1")]
    pub(crate) offset: i32,
    #[prost(uint32, tag = "2")]
    pub(crate) length: u32,
}

/// `io.prometheus.client.Metric`: one series.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Metric {
    #[prost(message, repeated, tag = "1")]
    pub(crate) label: Vec<LabelPair>,
    #[prost(message, optional, tag = "2")]
    pub(crate) gauge: Option<Gauge>,
    #[prost(message, optional, tag = "3")]
    pub(crate) counter: Option<Counter>,
    #[prost(message, optional, tag = "4")]
    pub(crate) summary: Option<Summary>,
    #[prost(message, optional, tag = "7")]
    pub(crate) histogram: Option<Histogram>,
}

/// `io.prometheus.client.MetricFamily`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct MetricFamily {
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    #[prost(string, tag = "2")]
    pub(crate) help: String,
    #[prost(enumeration = "MetricType", tag = "3")]
    pub(crate) r#type: i32,
    #[prost(message, repeated, tag = "4")]
    pub(crate) metric: Vec<Metric>,
}

/// Appends `delta` to a packed `sint64` field's contents.
#[inline]
pub(crate) fn pack_delta(delta: i64, packed: &mut Vec<u8>) {
    prost::encoding::encode_varint(((delta << 1) ^ (delta >> 63)) as u64, packed);
}

/// The deltas packed by [`pack_delta`].
#[cfg(test)]
pub(crate) fn unpack_deltas(mut packed: &[u8]) -> Vec<i64> {
    let mut deltas = Vec::new();
    while !packed.is_empty() {
        let zigzag = prost::encoding::decode_varint(&mut packed).expect("a varint");
        deltas.push((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64));
    }
    deltas
}
