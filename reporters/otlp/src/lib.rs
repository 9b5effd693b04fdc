//! Pushes a registry over OTLP/HTTP, the OpenTelemetry protocol, to an
//! OpenTelemetry Collector, Prometheus 3 (`/api/v1/otlp/v1/metrics`),
//! Grafana Cloud, Mimir, VictoriaMetrics, Datadog, Honeycomb, New Relic,
//! Elastic, or any backend that takes OTLP.
//!
//! ```no_run
//! use tachymeter_core::Registry;
//!
//! let registry = Registry::new();
//! // Everything from the standard OTEL_* variables (endpoint, headers,
//! // timeout, gzip, temporality, service name and resource, interval):
//! let reporter = tachymeter_otlp::start(&registry)?;
//! registry.counter("requests")?.inc(1);
//! // ... the application runs ...
//! reporter.stop(); // one final push
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Or set things in the program, which wins over the variables:
//!
//! ```no_run
//! use std::time::Duration;
//! use tachymeter_core::Registry;
//!
//! let registry = Registry::new();
//! let reporter = tachymeter_otlp::builder("http://collector:4318/v1/metrics")
//!     .map_encoder(|e| e.service_name("books").resource_attribute("service.version", "1.4.0"))
//!     .map_transport(|http| http.header("api-key", "secret"))
//!     .start(&registry, Duration::from_secs(15))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`Encoder`] turns a snapshot into one `ExportMetricsServiceRequest`
//!   (what each kind of metric becomes, exponential histograms and their
//!   error bound, temporality and start times are documented there).
//! - [`Env`] reads the standard variables; [`builder`], [`from_env`] and
//!   [`start`] join the encoder to an [`Http`] transport in a [`Push`].
//!
//! The exporter keeps to the OTLP/HTTP specification: protobuf bodies
//! (`application/x-protobuf`, gzip when asked), a `POST` per report, bounded
//! by the timeout; only 429, 502, 503, 504 and no answer are retried, after
//! the server's `Retry-After` when it gives one, else after a jittered
//! pause that doubles, all within twice the timeout; any other answer is
//! final: its points are counted in `reporter.otlp.dropped-refused`, and a
//! partial success's rejected points too, its message logged (once while it
//! stays the same). A report that fails is counted and logged, and the next
//! one carries the totals again (cumulative) or what changed since the last
//! delivered one (delta), so a dead, slow or refusing receiver loses no
//! count and costs the application nothing: reports run on their own
//! thread, and recording never waits for them.
//!
//! Delivery is at least once. With cumulative points a repeated request is
//! harmless: the receiver keeps the latest total. With delta points, a
//! request the receiver took but whose answer never came back (the
//! connection dropped after the body arrived) is sent again and counted
//! twice there; choose cumulative where exact totals matter more than the
//! backend's preference.
//!
//! Messages come from the official OTLP `.proto` definitions through the
//! `opentelemetry-proto` crate (its prost messages only: no gRPC, no
//! runtime), which brings the OpenTelemetry API and SDK crates with it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod answer;
mod encode;
mod env;
mod temporality;

pub use encode::{Encoder, CONTENT_TYPE, DEFAULT_MAX_BUCKETS, MAX_BODY};
pub use env::{Env, DEFAULT_ENDPOINT, DEFAULT_INTERVAL, DEFAULT_TIMEOUT};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    BuildError, Http, PeriodicReporter, Push, PushReporter, Quiet, Report, ReportError,
};
pub use temporality::Temporality;

use tachymeter_core::Registry;

/// A reporter to OTLP/HTTP: the [`Encoder`]'s requests sent by an [`Http`]
/// transport.
pub type OtlpReporter = PushReporter<Encoder, Http>;

/// Starts configuring a reporter named `otlp` that posts to `target`, the
/// full URL (`http://collector:4318/v1/metrics`, or Prometheus 3's
/// `http://prometheus:9090/api/v1/otlp/v1/metrics`), used as is; every
/// other setting from the `OTEL_*` variables ([`Env`]) or its default.
pub fn builder(target: &str) -> Push<Encoder, Http> {
    Env::process().builder_to(target)
}

/// [`builder`] to the endpoint the variables name
/// (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else
/// `OTEL_EXPORTER_OTLP_ENDPOINT` + `v1/metrics`, else
/// [`DEFAULT_ENDPOINT`]).
pub fn from_env() -> Push<Encoder, Http> {
    Env::process().builder()
}

/// Pushes `registry` every `OTEL_METRIC_EXPORT_INTERVAL` (default 60 s) to
/// the endpoint of [`from_env`], on a thread of its own, until the returned
/// reporter is stopped or dropped (one final push).
///
/// # Errors
///
/// When the endpoint is not an `http(s)` URL, or a header cannot be sent
/// (see [`BuildError`]).
pub fn start(registry: &Registry) -> Result<PeriodicReporter, BuildError> {
    let env = Env::process();
    env.builder().start(registry, env.interval())
}
