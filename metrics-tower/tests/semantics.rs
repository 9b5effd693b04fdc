//! What each request outcome records: responses, status codes, inner
//! errors, cancellation, panics (with and without `CatchPanicLayer`), bodies
//! read to the end or dropped early, and timing on an injected clock.

use bytes::Bytes;
use helpers::*;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use std::convert::Infallible;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tachymeter_core::{ManualClock, Metric, MetricSnapshot, Registry};
use tachymeter_tower::{
    CountedByStatusLayer, CountedByStatusXXLayer, CountedLayer, HttpMetricsLayer, InFlightLayer,
    Measure, TimedLayer,
};
use tower::{service_fn, Layer, Service, ServiceBuilder, ServiceExt};
use tower_http::catch_panic::CatchPanicLayer;

/// Small helpers that keep the tests readable.
mod helpers {
    use super::*;

    pub fn request() -> Request<Empty<Bytes>> {
        Request::new(Empty::new())
    }

    pub fn counter(registry: &Registry, name: &str) -> i64 {
        match registry.get(name) {
            Some(Metric::Counter(c)) => c.count(),
            other => panic!("{name}: expected a counter, found {other:?}"),
        }
    }

    pub fn gauge(registry: &Registry, name: &str) -> i64 {
        match registry.get(name) {
            Some(Metric::Gauge(g)) => g.value(),
            other => panic!("{name}: expected a gauge, found {other:?}"),
        }
    }

    pub fn timer_count_and_max(registry: &Registry, name: &str) -> (u64, u64) {
        match registry.get(name).map(|m| m.snapshot()) {
            Some(MetricSnapshot::Timer(t)) => (t.count(), t.durations.max),
            other => panic!("{name}: expected a timer, found {other:?}"),
        }
    }

    /// Polls a future once with a waker that does nothing.
    pub fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    pub fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
            .block_on(f)
    }
}

fn ok_service(
    status: u16,
) -> impl Service<
    Request<Empty<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone {
    service_fn(move |_req| async move {
        Ok::<_, Infallible>(
            Response::builder()
                .status(status)
                .body(Full::new(Bytes::from_static(b"hello")))
                .expect("a valid response"),
        )
    })
}

#[test]
fn a_response_is_timed_counted_and_leaves_nothing_in_flight() {
    let registry = Registry::new();
    let svc = HttpMetricsLayer::new(&registry, "get-book")
        .unwrap()
        .layer(ok_service(200));
    block_on(async {
        let response = svc.oneshot(request()).await.unwrap();
        assert_eq!(
            gauge(&registry, "get-book-in-flight"),
            1,
            "the body is still open"
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello", "the body passes through unchanged");
    });
    assert_eq!(counter(&registry, "get-book-2xx"), 1);
    assert_eq!(timer_count_and_max(&registry, "get-book").0, 1);
    assert_eq!(gauge(&registry, "get-book-in-flight"), 0);
    for other in [
        "1xx",
        "3xx",
        "4xx",
        "5xx",
        "other",
        "error",
        "cancelled",
        "panic",
        "aborted",
    ] {
        assert_eq!(
            counter(&registry, &format!("get-book-{other}")),
            0,
            "{other}"
        );
    }
}

#[test]
fn every_status_code_from_100_to_999_is_counted_and_none_panics() {
    let registry = Registry::new();
    let by_code = CountedByStatusLayer::new(&registry, "exact").unwrap();
    let by_class = CountedByStatusXXLayer::new(&registry, "class").unwrap();
    let svc = service_fn(|req: Request<Empty<Bytes>>| async move {
        let code: u16 = req.uri().path()[1..].parse().unwrap();
        Ok::<_, Infallible>(
            Response::builder()
                .status(code)
                .body(Empty::<Bytes>::new())
                .unwrap(),
        )
    });
    let mut svc = ServiceBuilder::new()
        .layer(by_code)
        .layer(by_class)
        .service(svc);
    block_on(async {
        for code in 100..=999u16 {
            let req = Request::builder()
                .uri(format!("/{code}"))
                .body(Empty::new())
                .unwrap();
            svc.ready().await.unwrap().call(req).await.unwrap();
        }
    });
    for code in [100u16, 200, 204, 422, 451, 599, 600, 999] {
        assert_eq!(
            counter(&registry, &format!("exact-{code}")),
            1,
            "code {code}"
        );
    }
    for (class, n) in [
        ("1xx", 100),
        ("2xx", 100),
        ("3xx", 100),
        ("4xx", 100),
        ("5xx", 100),
        ("other", 400),
    ] {
        assert_eq!(counter(&registry, &format!("class-{class}")), n, "{class}");
    }
    for code in 0..=u16::MAX {
        tachymeter_tower::status_class(code);
    }
}

#[test]
fn an_inner_error_is_an_error_not_a_5xx() {
    let registry = Registry::new();
    let failing = service_fn(|_req: Request<Empty<Bytes>>| async {
        Err::<Response<Empty<Bytes>>, _>("backend down")
    });
    let svc = HttpMetricsLayer::new(&registry, "r")
        .unwrap()
        .layer(failing);
    let result = block_on(svc.oneshot(request()));
    assert_eq!(
        result.unwrap_err(),
        "backend down",
        "errors pass through unchanged"
    );
    assert_eq!(counter(&registry, "r-error"), 1);
    assert_eq!(counter(&registry, "r-5xx"), 0);
    assert_eq!(gauge(&registry, "r-in-flight"), 0);
    assert_eq!(timer_count_and_max(&registry, "r").0, 0);
}

#[test]
fn a_dropped_request_counts_once_as_cancelled_and_in_flight_returns_to_zero() {
    let registry = Registry::new();
    let never = service_fn(|_req: Request<Empty<Bytes>>| {
        std::future::pending::<Result<Response<Empty<Bytes>>, Infallible>>()
    });
    let mut svc = HttpMetricsLayer::new(&registry, "slow")
        .unwrap()
        .layer(never);
    {
        let mut fut = pin!(svc.call(request()));
        assert!(poll_once(fut.as_mut()).is_pending());
        assert!(poll_once(fut.as_mut()).is_pending());
        assert_eq!(gauge(&registry, "slow-in-flight"), 1);
    } // the client went away
    assert_eq!(counter(&registry, "slow-cancelled"), 1);
    assert_eq!(gauge(&registry, "slow-in-flight"), 0);
    // Dropped before its first poll too.
    drop(svc.call(request()));
    assert_eq!(counter(&registry, "slow-cancelled"), 2);
    assert_eq!(gauge(&registry, "slow-in-flight"), 0);
    assert_eq!(counter(&registry, "slow-panic"), 0);
}

fn panicking() -> impl Service<
    Request<Empty<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone {
    service_fn(|_req: Request<Empty<Bytes>>| async {
        if true {
            panic!("handler bug");
        }
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    })
}

#[test]
fn a_panicking_inner_service_is_counted_and_leaves_nothing_in_flight() {
    let registry = Registry::new();
    let mut svc = HttpMetricsLayer::new(&registry, "p")
        .unwrap()
        .layer(panicking());
    let mut fut = Box::pin(svc.call(request()));
    let outcome = catch_unwind(AssertUnwindSafe(|| poll_once(fut.as_mut())));
    assert!(outcome.is_err(), "the panic propagates");
    drop(fut);
    assert_eq!(counter(&registry, "p-panic"), 1);
    assert_eq!(counter(&registry, "p-cancelled"), 0);
    assert_eq!(gauge(&registry, "p-in-flight"), 0);
}

#[test]
fn a_panic_in_call_itself_is_counted() {
    let registry = Registry::new();
    let svc = service_fn(|_req: Request<Empty<Bytes>>| -> std::future::Ready<Result<Response<Empty<Bytes>>, Infallible>> {
        panic!("panicked before returning a future")
    });
    let mut svc = HttpMetricsLayer::new(&registry, "c").unwrap().layer(svc);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(svc.call(request())))).is_err());
    assert_eq!(counter(&registry, "c-panic"), 1);
    assert_eq!(gauge(&registry, "c-in-flight"), 0);
}

#[test]
fn with_catch_panic_outside_the_panic_is_counted_and_the_client_gets_500() {
    let registry = Registry::new();
    let svc = ServiceBuilder::new()
        .layer(CatchPanicLayer::new())
        .layer(HttpMetricsLayer::new(&registry, "outer").unwrap())
        .service(panicking());
    let response = block_on(svc.oneshot(request())).unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(counter(&registry, "outer-panic"), 1);
    assert_eq!(
        counter(&registry, "outer-5xx"),
        0,
        "the 500 came from outside"
    );
    assert_eq!(gauge(&registry, "outer-in-flight"), 0);
}

#[test]
fn with_catch_panic_inside_the_panic_is_its_500_response() {
    let registry = Registry::new();
    let svc = ServiceBuilder::new()
        .layer(HttpMetricsLayer::new(&registry, "inner").unwrap())
        .layer(CatchPanicLayer::new())
        .service(panicking());
    block_on(async {
        let response = svc.oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        response.into_body().collect().await.unwrap();
    });
    assert_eq!(counter(&registry, "inner-5xx"), 1);
    assert_eq!(counter(&registry, "inner-panic"), 0);
    assert_eq!(gauge(&registry, "inner-in-flight"), 0);
}

#[test]
fn a_body_dropped_early_is_counted_as_aborted() {
    let registry = Registry::new();
    let svc = HttpMetricsLayer::measuring(&registry, "b", Measure::Body)
        .unwrap()
        .layer(ok_service(200));
    let response = block_on(svc.oneshot(request())).unwrap();
    assert_eq!(gauge(&registry, "b-in-flight"), 1);
    drop(response);
    assert_eq!(counter(&registry, "b-aborted"), 1);
    assert_eq!(counter(&registry, "b-2xx"), 1, "the response head was sent");
    assert_eq!(
        timer_count_and_max(&registry, "b").0,
        0,
        "no complete body to time"
    );
    assert_eq!(gauge(&registry, "b-in-flight"), 0);
}

#[test]
fn bodiless_statuses_and_head_requests_end_with_the_head_even_when_dropped() {
    let registry = Registry::new();
    let svc = HttpMetricsLayer::measuring(&registry, "h", Measure::Body).unwrap();
    for status in [103, 204, 304] {
        let response = block_on(svc.layer(ok_service(status)).oneshot(request())).unwrap();
        assert_eq!(gauge(&registry, "h-in-flight"), 0, "{status}");
        drop(response); // a server never sends these bodies
    }
    let head = Request::head("/").body(Empty::<Bytes>::new()).unwrap();
    let response = block_on(svc.layer(ok_service(200)).oneshot(head)).unwrap();
    drop(response);
    assert_eq!(counter(&registry, "h-aborted"), 0);
    assert_eq!(
        timer_count_and_max(&registry, "h").0,
        4,
        "every one is timed"
    );
    // A GET whose body is dropped before its end is still cut short.
    let response = block_on(svc.layer(ok_service(200)).oneshot(request())).unwrap();
    drop(response);
    assert_eq!(counter(&registry, "h-aborted"), 1);
}

#[test]
fn an_empty_body_ends_with_the_response_head() {
    let registry = Registry::new();
    let svc = service_fn(|_req: Request<Empty<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
    });
    let svc = HttpMetricsLayer::measuring(&registry, "e", Measure::Body)
        .unwrap()
        .layer(svc);
    let response = block_on(svc.oneshot(request())).unwrap();
    assert_eq!(gauge(&registry, "e-in-flight"), 0);
    drop(response);
    assert_eq!(counter(&registry, "e-aborted"), 0);
    assert_eq!(timer_count_and_max(&registry, "e").0, 1);
}

#[test]
fn headers_and_body_durations_are_measured_on_the_registry_clock() {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    let handler_clock = clock.clone();
    let svc = service_fn(move |_req: Request<Empty<Bytes>>| {
        handler_clock.advance(Duration::from_millis(7)); // the handler's work
        async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"x")))) }
    });
    let headers = TimedLayer::new(&registry, "to-headers").unwrap();
    let body = TimedLayer::measuring(&registry, "to-body", Measure::Body).unwrap();
    let svc = ServiceBuilder::new()
        .layer(body)
        .layer(headers)
        .service(svc);
    block_on(async {
        let response = svc.oneshot(request()).await.unwrap();
        clock.advance(Duration::from_millis(5)); // a slow client
        response.into_body().collect().await.unwrap();
    });
    assert_eq!(timer_count_and_max(&registry, "to-headers"), (1, 7_000_000));
    assert_eq!(timer_count_and_max(&registry, "to-body"), (1, 12_000_000));
}

#[test]
fn counted_and_in_flight_layers_alone() {
    let registry = Registry::new();
    let svc = ServiceBuilder::new()
        .layer(CountedLayer::new(&registry, "requests").unwrap())
        .layer(InFlightLayer::new(&registry, "in-flight").unwrap())
        .service(ok_service(404));
    block_on(async {
        for _ in 0..3 {
            let r = svc.clone().oneshot(request()).await.unwrap();
            assert_eq!(gauge(&registry, "in-flight"), 1);
            r.into_body().collect().await.unwrap();
        }
    });
    assert_eq!(counter(&registry, "requests"), 3);
    assert_eq!(gauge(&registry, "in-flight"), 0);
}

#[test]
fn a_name_clash_is_an_error_when_the_layer_is_built() {
    let registry = Registry::new();
    registry.gauge("taken").unwrap();
    assert!(TimedLayer::new(&registry, "taken").is_err());
    registry.timer("x-2xx").unwrap();
    assert!(CountedByStatusXXLayer::new(&registry, "x").is_err());
}

#[test]
fn counts_are_exact_under_concurrency() {
    let registry = Registry::new();
    let layer = HttpMetricsLayer::new(&registry, "c").unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let svc = layer.layer(ok_service(200));
            std::thread::spawn(move || {
                block_on(async move {
                    for _ in 0..500 {
                        let r = svc.clone().oneshot(request()).await.unwrap();
                        r.into_body().collect().await.unwrap();
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(counter(&registry, "c-2xx"), 2000);
    assert_eq!(timer_count_and_max(&registry, "c").0, 2000);
    assert_eq!(gauge(&registry, "c-in-flight"), 0);
}

#[test]
fn timed_and_counted_pass_the_inner_body_through_unchanged() {
    let registry = Registry::new();
    let svc = ServiceBuilder::new()
        .layer(TimedLayer::new(&registry, "t").unwrap())
        .layer(CountedLayer::new(&registry, "requests").unwrap())
        .service(ok_service(200));
    block_on(async {
        // The response body is the inner service's own type, not a wrapper.
        let response: Response<Full<Bytes>> = svc.oneshot(request()).await.unwrap();
        // Recorded with the head: dropping the body unread changes nothing.
        drop(response);
    });
    assert_eq!(timer_count_and_max(&registry, "t").0, 1);
    assert_eq!(counter(&registry, "requests"), 1);
}

#[test]
fn a_sampled_traceparent_is_the_exemplar_of_the_timer_and_the_status_counter() {
    let registry = Registry::new();
    let traced = |header: Option<&str>| {
        let mut request = Request::builder();
        if let Some(h) = header {
            request = request.header("traceparent", h);
        }
        request.body(Empty::<Bytes>::new()).unwrap()
    };
    let ok = || {
        service_fn(|_| async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("ok")))) })
    };
    let heads = HttpMetricsLayer::new(&registry, "heads")
        .unwrap()
        .layer(ok());
    let bodies = TimedLayer::measuring(&registry, "bodies", Measure::Body)
        .unwrap()
        .layer(ok());
    let sampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    block_on(async {
        for header in [Some(unsampled), None, Some(sampled), Some(unsampled), None] {
            let response = heads.clone().oneshot(traced(header)).await.unwrap();
            response.into_body().collect().await.unwrap();
            let response = bodies.clone().oneshot(traced(header)).await.unwrap();
            response.into_body().collect().await.unwrap();
        }
    });
    let ids = |name: &str| -> Vec<String> {
        match registry.get(name).map(|m| m.snapshot()) {
            Some(MetricSnapshot::Timer(t)) => t
                .durations
                .exemplars
                .iter()
                .map(|e| e.trace.trace_id_hex())
                .collect(),
            Some(MetricSnapshot::Counter(c)) => {
                c.exemplar.iter().map(|e| e.trace.trace_id_hex()).collect()
            }
            other => panic!("{name}: {other:?}"),
        }
    };
    let trace = vec!["4bf92f3577b34da6a3ce929d0e0e4736".to_string()];
    assert_eq!(ids("heads"), trace);
    assert_eq!(ids("heads-2xx"), trace);
    assert_eq!(ids("bodies"), trace);
    assert!(ids("heads-4xx").is_empty());
    assert_eq!(counter(&registry, "heads-2xx"), 5);
}

#[cfg(feature = "opentelemetry")]
#[test]
fn the_current_opentelemetry_span_is_the_exemplar_before_the_header() {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    let registry = Registry::new();
    let ok = || {
        service_fn(|_| async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("ok")))) })
    };
    let timed = TimedLayer::new(&registry, "t").unwrap().layer(ok());
    let span = |flags| {
        SpanContext::new(
            TraceId::from_bytes([7; 16]),
            SpanId::from_bytes([8; 8]),
            flags,
            false,
            TraceState::default(),
        )
    };
    let with_header = || {
        Request::builder()
            .header(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )
            .body(Empty::<Bytes>::new())
            .unwrap()
    };
    let exemplars = || match registry.get("t").map(|m| m.snapshot()) {
        Some(MetricSnapshot::Timer(t)) => t.durations.exemplars,
        other => panic!("{other:?}"),
    };
    {
        // An unsampled current span: the header's trace.
        let _current = opentelemetry::Context::current()
            .with_remote_span_context(span(TraceFlags::default()))
            .attach();
        block_on(timed.clone().oneshot(with_header())).unwrap();
    }
    assert_eq!(
        exemplars()[0].trace.trace_id_hex(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    {
        // A sampled current span wins over the header.
        let _current = opentelemetry::Context::current()
            .with_remote_span_context(span(TraceFlags::SAMPLED))
            .attach();
        block_on(timed.clone().oneshot(with_header())).unwrap();
    }
    let latest = exemplars()
        .into_iter()
        .max_by_key(|e| e.unix_nanos)
        .unwrap();
    assert_eq!(
        (latest.trace.trace_id, latest.trace.span_id),
        ([7; 16], [8; 8])
    );
}
