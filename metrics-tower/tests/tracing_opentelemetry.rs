//! With the `opentelemetry` feature, a request traced by `tracing` spans
//! through `tracing-opentelemetry` (0.34, on opentelemetry 0.33, makes a span's
//! OpenTelemetry context current while it is entered) leaves that span's
//! trace as its exemplar, when the span is sampled.
#![cfg(feature = "opentelemetry")]

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{Empty, Full};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::convert::Infallible;
use tachymeter_core::{Exemplar, MetricSnapshot, Registry};
use tachymeter_tower::TimedLayer;
use tower::{service_fn, Layer, ServiceExt};
use tower_http::trace::TraceLayer;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// Sends one request through tower-http's `TraceLayer` (a `tracing` span
/// per request) around the timer, under a subscriber whose OpenTelemetry
/// layer samples with `sampler`; returns the timer's exemplars and the
/// trace id the request's span had.
fn traced_request(sampler: Sampler) -> (Vec<Exemplar>, String) {
    let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    let registry = Registry::new();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let inner = {
        let seen = seen.clone();
        service_fn(move |_: Request<Empty<Bytes>>| {
            // What the span the request runs in says its trace is.
            let context = tracing::Span::current().context();
            *seen.lock().unwrap() = context.span().span_context().trace_id().to_string();
            async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("ok")))) }
        })
    };
    let service =
        TraceLayer::new_for_http().layer(TimedLayer::new(&registry, "t").unwrap().layer(inner));
    tracing::subscriber::with_default(subscriber, || {
        let request = Request::builder().uri("/books").body(Empty::new()).unwrap();
        let response = block_on(service.oneshot(request)).unwrap();
        assert_eq!(response.status(), 200);
    });
    let exemplars = match registry.get("t").map(|m| m.snapshot()) {
        Some(MetricSnapshot::Timer(t)) => t.durations.exemplars,
        other => panic!("{other:?}"),
    };
    let trace_id = seen.lock().unwrap().clone();
    (exemplars, trace_id)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn a_sampled_tracing_span_is_the_exemplar() {
    let (exemplars, trace_id) = traced_request(Sampler::AlwaysOn);
    assert_eq!(exemplars.len(), 1, "{exemplars:?}");
    assert_eq!(exemplars[0].trace.trace_id_hex(), trace_id);
    assert_ne!(trace_id, "00000000000000000000000000000000");
}

#[test]
fn an_unsampled_tracing_span_leaves_none() {
    let (exemplars, trace_id) = traced_request(Sampler::AlwaysOff);
    assert!(exemplars.is_empty(), "{exemplars:?}");
    // The span had a trace; it was not sampled.
    assert_ne!(trace_id, "00000000000000000000000000000000");
}
