//! Per-request cost of HTTP metrics middleware, in process: `GET /books/1`
//! sent straight into an axum `Router` (`ready().await` then `call`), the
//! response body read to its end, on one tokio current-thread runtime.
//! Every function is in the criterion group `middleware`, so they are
//! compared within one run.
//!
//! Before the group runs, the bench counts heap allocations per request of
//! each router once warm; after it, it prints each layer's overhead over
//! `noop_layer` from criterion's medians of this run.
//!
//! The process simulates a 64-CPU machine (`METRICS_CORE_PARALLELISM=64`
//! unless set), and `metrics_tower_combined_late` measures `HttpMetricsLayer`
//! on a worker that other busy threads recorded into before: the cost the
//! 9th to 64th worker of such a machine pays.

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri};
use axum::routing::{get, MethodRouter};
use axum::Router;
use criterion::Criterion;
use http_body_util::BodyExt;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tachymeter_benches::{criterion_config, median_ns, EarlyThreads};
use tachymeter_core::{Registry, RegistryError};
use tokio::runtime::Runtime;
use tower::{Layer, Service, ServiceBuilder, ServiceExt};

/// The criterion group every function is in.
const GROUP: &str = "middleware";
/// Requests sent before allocations are counted.
const WARM_REQUESTS: u64 = 1000;
/// Requests whose allocations are counted.
const COUNTED_REQUESTS: u64 = 1000;
/// Rounds of the interleaved check.
const ROUNDS: usize = 31;
/// Requests per case per round of the interleaved check.
const SLICE_REQUESTS: u64 = 5_000;
/// `HttpMetricsLayer` on a worker that was not among the first recorders:
/// [`EARLY_THREADS`] other threads sent requests through it first and stay
/// alive.
const LATE: &str = "metrics_tower_combined_late";
/// Threads that record into [`LATE`]'s metrics before the bench does, each
/// sending [`EARLY_REQUESTS`]: enough to take every owned stripe of its
/// timer on a 64-CPU machine (2 first recorders, 6 more by their load), so
/// the bench's thread writes shared stripes, as the 9th to 64th busy worker
/// of such a machine would.
const EARLY_THREADS: usize = 8;
const EARLY_REQUESTS: u64 = 20_000;
/// The largest acceptable cost of `HttpMetricsLayer` (timer, status classes,
/// outcomes, in-flight) over the no-op layer, per request.
const TARGET_OVERHEAD_NS: f64 = 150.0;

/// Counts allocations (`alloc`, `alloc_zeroed`, `realloc`) made while
/// [`COUNTING`] is set; otherwise only adds one relaxed load to `System`.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

impl CountingAlloc {
    #[inline]
    fn count() {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees hold; counting allocates nothing.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::count();
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract, and
        // `ptr` came from `System` through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract, and
        // `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// A layer that adds one service of indirection and nothing else.
#[derive(Debug, Clone, Copy, Default)]
struct NoopLayer;

impl<S> Layer<S> for NoopLayer {
    type Service = Noop<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Noop { inner }
    }
}

/// The service of [`NoopLayer`]: forwards `poll_ready` and `call`.
#[derive(Debug, Clone)]
struct Noop<S> {
    inner: S,
}

impl<S, R> Service<R> for Noop<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: R) -> Self::Future {
        self.inner.call(request)
    }
}

/// The handler of every router.
async fn book() -> &'static str {
    "a book"
}

/// The one route, `GET /books/{id}`, its method router given by `route`.
fn router(route: MethodRouter) -> Router {
    Router::new().route("/books/{id}", route)
}

/// One bench function: its criterion id, its name in the allocation line,
/// its router and the registry its tachymeter-tower layers record into (kept,
/// as an app keeps it for its reporter).
struct Case {
    id: &'static str,
    short: &'static str,
    router: Router,
    _registry: Option<Registry>,
}

/// The routers, in the order they are benched. Each tachymeter-tower case has
/// its own registry. Must be called inside `rt`'s context: the peer's
/// constructor spawns its upkeep task there.
///
/// Every router is finished with `with_state(())`, as `axum::serve` and
/// `Router::into_make_service` do: it turns each handler into a route once.
/// Without it a `Router<()>` called directly rebuilds the handler's route on
/// every request (a clone of the boxed handler and of the stored layer: one
/// more allocation per request for any layer that is not zero-sized).
fn cases(rt: &Runtime) -> Result<Vec<Case>, RegistryError> {
    let (timed_registry, combined_registry, route_registry, head_registry, late_registry) = (
        Registry::new(),
        Registry::new(),
        Registry::new(),
        Registry::new(),
        Registry::new(),
    );
    let conventions_registry = Registry::new();
    let timed_alone = tachymeter_tower::TimedLayer::new(&head_registry, "bench")?;
    let timed_xx_inflight = ServiceBuilder::new()
        .layer(tachymeter_tower::TimedLayer::new(&timed_registry, "bench")?)
        .layer(tachymeter_tower::CountedByStatusXXLayer::new(
            &timed_registry,
            "bench",
        )?)
        .layer(tachymeter_tower::InFlightLayer::new(
            &timed_registry,
            "bench-inflight",
        )?);
    let combined = tachymeter_tower::HttpMetricsLayer::new(&combined_registry, "bench")?;
    let late = tachymeter_tower::HttpMetricsLayer::new(&late_registry, "bench")?;
    let route_layer = tachymeter_tower::RouteMetricsLayer::new(&route_registry, "http")?;
    let conventions =
        tachymeter_tower::RouteMetricsLayer::semantic_conventions(&conventions_registry, "http")?;
    // `pair` installs the Prometheus recorder as the global `metrics`
    // recorder and spawns its upkeep task; it starts no HTTP listener.
    let peer = {
        let _context = rt.enter();
        let (layer, _handle) = axum_prometheus::PrometheusMetricLayer::pair();
        layer
    };

    let cases = vec![
        Case {
            id: "bare",
            short: "bare",
            router: router(get(book)),
            _registry: None,
        },
        Case {
            id: "noop_layer",
            short: "noop",
            router: router(get(book).layer(NoopLayer)),
            _registry: None,
        },
        Case {
            id: "metrics_tower_timed",
            short: "timed",
            router: router(get(book).layer(timed_alone)),
            _registry: Some(head_registry),
        },
        Case {
            id: "metrics_tower_timed_xx_inflight",
            short: "timed_xx_inflight",
            router: router(get(book).layer(timed_xx_inflight)),
            _registry: Some(timed_registry),
        },
        Case {
            id: "metrics_tower_combined",
            short: "combined",
            router: router(get(book).layer(combined)),
            _registry: Some(combined_registry),
        },
        Case {
            id: LATE,
            short: "combined_late",
            router: router(get(book).layer(late)),
            _registry: Some(late_registry),
        },
        Case {
            id: "metrics_tower_route_layer",
            short: "route_layer",
            router: router(get(book)).layer(route_layer),
            _registry: Some(route_registry),
        },
        Case {
            id: "metrics_tower_semantic_conventions",
            short: "semconv",
            router: router(get(book)).layer(conventions),
            _registry: Some(conventions_registry),
        },
        Case {
            id: "axum_prometheus",
            short: "peer",
            router: router(get(book)).layer(peer),
            _registry: None,
        },
    ];
    Ok(cases
        .into_iter()
        .map(|case| Case {
            router: case.router.with_state(()),
            ..case
        })
        .collect())
}

/// Sends `GET /books/1` through `router` and reads the response body to its
/// end; returns the body's length.
async fn request(router: &mut Router) -> usize {
    let mut request = Request::new(Body::empty());
    // A static URI: building the request allocates nothing.
    *request.uri_mut() = Uri::from_static("/books/1");
    let service = match ServiceExt::<Request<Body>>::ready(router).await {
        Ok(service) => service,
        Err(never) => match never {},
    };
    let response = match service.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    debug_assert_eq!(response.status(), StatusCode::OK);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the handler's body cannot fail")
        .to_bytes();
    body.len()
}

/// Heap allocations per request through `router` once warm: the mean over
/// [`COUNTED_REQUESTS`] after [`WARM_REQUESTS`].
fn allocations_per_request(rt: &Runtime, router: &Router) -> f64 {
    let mut router = router.clone();
    let counted = rt.block_on(async {
        for _ in 0..WARM_REQUESTS {
            black_box(request(&mut router).await);
        }
        ALLOCATIONS.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
        for _ in 0..COUNTED_REQUESTS {
            black_box(request(&mut router).await);
        }
        COUNTING.store(false, Ordering::Relaxed);
        ALLOCATIONS.load(Ordering::Relaxed)
    });
    counted as f64 / COUNTED_REQUESTS as f64
}

/// Times each case: per sample, one `block_on` runs `iters` requests
/// through one clone of the router, so only the requests are timed.
fn bench(c: &mut Criterion, rt: &Runtime, cases: &[Case]) {
    let mut group = c.benchmark_group(GROUP);
    for case in cases {
        group.bench_function(case.id, |b| {
            b.to_async(rt).iter_custom(|iters| {
                let mut router = case.router.clone();
                async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(request(&mut router).await);
                    }
                    start.elapsed()
                }
            });
        });
    }
    group.finish();
}

/// The interleaved check: [`ROUNDS`] rounds (after one unrecorded round),
/// each sending [`SLICE_REQUESTS`] requests through every case in turn, the
/// first case rotating. Returns, per case, the ns per request of each round.
/// A slow spell of the machine (on a shared VM the speed of every function
/// moves by tens of percent within seconds) then hits all cases of a round
/// alike, instead of whichever one criterion was timing.
fn interleaved_rounds(rt: &Runtime, cases: &[Case]) -> Vec<Vec<f64>> {
    let mut routers: Vec<Router> = cases.iter().map(|c| c.router.clone()).collect();
    let mut rounds = vec![Vec::with_capacity(ROUNDS); cases.len()];
    rt.block_on(async {
        for round in 0..=ROUNDS {
            for k in 0..routers.len() {
                let i = (round + k) % routers.len();
                let start = Instant::now();
                for _ in 0..SLICE_REQUESTS {
                    black_box(request(&mut routers[i]).await);
                }
                let ns = start.elapsed().as_nanos() as f64 / SLICE_REQUESTS as f64;
                if round > 0 {
                    rounds[i].push(ns);
                }
            }
        }
    });
    rounds
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// ` (target <= +150 ns) ok` for the case the target is about.
fn verdict(id: &str, overhead_ns: f64) -> String {
    if id != "metrics_tower_combined" && id != LATE {
        return String::new();
    }
    let ok = overhead_ns <= TARGET_OVERHEAD_NS;
    format!(
        " (target <= +{TARGET_OVERHEAD_NS:.0} ns) {}",
        if ok { "ok" } else { "MISSED" }
    )
}

/// median(case) - median(noop_layer) from criterion's estimates of this run.
fn print_criterion_overheads(cases: &[Case], since: SystemTime) {
    println!("\noverhead over noop_layer (criterion medians from this run)");
    let Some(noop) = median_ns(GROUP, "noop_layer", since) else {
        println!("  noop_layer not measured in this run");
        return;
    };
    for case in cases.iter().filter(|c| c.id != "noop_layer") {
        let Some(median) = median_ns(GROUP, case.id, since) else {
            println!("  {:<32} not measured in this run", case.id);
            continue;
        };
        let overhead = median - noop;
        println!(
            "  {:<32} {median:>8.1} ns - {noop:>8.1} ns = {overhead:>+8.1} ns  x{:.2}{}",
            case.id,
            median / noop,
            verdict(case.id, overhead),
        );
    }
}

/// Per case: the median over rounds of its ns per request, and the median
/// over rounds of its difference from `noop_layer` in the same round.
fn print_interleaved(cases: &[Case], rounds: &[Vec<f64>]) {
    println!(
        "\ninterleaved check, before criterion: {ROUNDS} rounds of {SLICE_REQUESTS} requests \
         per function in turn; medians over rounds, overhead paired by round"
    );
    let Some(noop) = cases.iter().position(|c| c.id == "noop_layer") else {
        return;
    };
    for (case, ns) in cases.iter().zip(rounds) {
        let per_request = median(ns.clone());
        if case.id == "noop_layer" {
            println!("  {:<32} {per_request:>8.1} ns", case.id);
            continue;
        }
        let pairs = ns.iter().zip(&rounds[noop]);
        let overhead = median(pairs.clone().map(|(a, b)| a - b).collect());
        let ratio = median(pairs.map(|(a, b)| a / b).collect());
        println!(
            "  {:<32} {per_request:>8.1} ns, over noop_layer {overhead:>+8.1} ns  x{ratio:.2}{}",
            case.id,
            verdict(case.id, overhead),
        );
    }
}

/// Sends [`EARLY_REQUESTS`] through [`LATE`]'s router on each of
/// [`EARLY_THREADS`] threads, one after another, which then stay alive.
fn early_threads(cases: &[Case]) -> EarlyThreads {
    let late = cases
        .iter()
        .find(|c| c.id == LATE)
        .map(|c| c.router.clone())
        .expect("the late case");
    EarlyThreads::start(EARLY_THREADS, move |_| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread tokio runtime");
        let mut router = late.clone();
        rt.block_on(async {
            for _ in 0..EARLY_REQUESTS {
                black_box(request(&mut router).await);
            }
        });
    })
}

fn main() -> Result<(), RegistryError> {
    let started = SystemTime::now();
    // A 64-CPU machine (unless told otherwise), as the late case describes;
    // before anything records, since the core reads it once.
    if std::env::var_os(tachymeter_core::PARALLELISM_VAR).is_none() {
        std::env::set_var(tachymeter_core::PARALLELISM_VAR, "64");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread tokio runtime");
    let cases = cases(&rt)?;
    let early = early_threads(&cases);

    let allocations: Vec<(&str, f64)> = cases
        .iter()
        .map(|case| (case.short, allocations_per_request(&rt, &case.router)))
        .collect();
    let line = |f: &dyn Fn(f64) -> String| {
        allocations
            .iter()
            .map(|(short, n)| format!("{short}={}", f(*n)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("allocations per request: {}", line(&|n| format!("{n:.2}")));
    if let Some(&(_, noop)) = allocations.iter().find(|(short, _)| *short == "noop") {
        println!(
            "allocations per request over noop (target 0 for tachymeter-tower): {}",
            line(&|n| format!("{:+.2}", n - noop))
        );
    }

    // Only when benching: criterion's test mode (`cargo test --benches`)
    // runs each function once, unoptimised.
    let interleaved = std::env::args()
        .any(|arg| arg == "--bench")
        .then(|| interleaved_rounds(&rt, &cases));

    let mut c = criterion_config(Duration::from_secs(3));
    bench(&mut c, &rt, &cases);
    c.final_summary();

    print_criterion_overheads(&cases, started);
    if let Some(rounds) = interleaved {
        print_interleaved(&cases, &rounds);
    }
    drop(early);
    Ok(())
}
