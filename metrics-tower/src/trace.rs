//! Where a request's exemplar comes from: its sampled trace.

use http::Request;
use tachymeter_core::Trace;

/// The request's sampled trace: with the `opentelemetry` feature, the
/// current OpenTelemetry context's span when it is sampled (one
/// OpenTelemetry's own instrumentation made current, or an entered
/// `tracing` span's under `tracing-opentelemetry`); else the W3C
/// `traceparent` header when its sampled flag is set. `None` otherwise:
/// no exemplar.
#[inline]
pub(crate) fn request_trace<B>(request: &Request<B>) -> Option<Trace> {
    context_trace().or_else(|| {
        request
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(Trace::from_traceparent)
    })
}

#[cfg(feature = "opentelemetry")]
fn context_trace() -> Option<Trace> {
    use opentelemetry::trace::TraceContextExt;
    let context = opentelemetry::Context::current();
    let span = context.span();
    let span = span.span_context();
    (span.is_valid() && span.is_sampled())
        .then(|| Trace::new(span.trace_id().to_bytes(), span.span_id().to_bytes()))
}

#[cfg(not(feature = "opentelemetry"))]
#[inline]
fn context_trace() -> Option<Trace> {
    None
}
