//! Labelled handles: a counter found by a label value on every record, as
//! a handler does with `shop.orders{tier}`. tachymeter's `Family::with`
//! against metrics-rs' `counter!` with a label (metrics-exporter-prometheus'
//! recorder as the thread's recorder) and prometheus-client's
//! `Family::get_or_create` (labels as a derived struct with an enum value,
//! its allocation-free form), in the same run; a handle looked up once is
//! the floor.

use criterion::Criterion;
use metrics_exporter_prometheus::PrometheusBuilder;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family as PcFamily;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};
use tachymeter_benches::{criterion_config, print_ratios, RatioCheck};
use tachymeter_core::Registry;

const TIERS: [&str; 4] = ["free", "pro", "team", "enterprise"];

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
enum Tier {
    Free,
    Pro,
    Team,
    Enterprise,
}

const PC_TIERS: [Tier; 4] = [Tier::Free, Tier::Pro, Tier::Team, Tier::Enterprise];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    tier: Tier,
}

fn family(c: &mut Criterion) {
    let registry = Registry::new();
    let ours = registry.counter_family("shop.orders", ["tier"]).unwrap();
    let handle = ours.with(["pro"]);
    let recorder = PrometheusBuilder::new().build_recorder();
    let theirs: PcFamily<Labels, PcCounter> = PcFamily::default();
    let mut g = c.benchmark_group("family/counter");
    g.bench_function("tachymeter_handle", |b| b.iter(|| handle.inc(black_box(1))));
    let mut i = 0;
    g.bench_function("tachymeter_family", |b| {
        b.iter(|| {
            i += 1;
            ours.with([TIERS[i & 3]]).inc(black_box(1))
        })
    });
    g.bench_function("metrics_counter_macro", |b| {
        metrics::with_local_recorder(&recorder, || {
            b.iter(|| {
                i += 1;
                metrics::counter!("shop.orders", "tier" => TIERS[i & 3]).increment(black_box(1))
            })
        })
    });
    g.bench_function("prometheus_client_family", |b| {
        b.iter(|| {
            i += 1;
            theirs
                .get_or_create(&Labels {
                    tier: PC_TIERS[i & 3],
                })
                .inc_by(black_box(1))
        })
    });
    g.finish();

    // Two threads recording into the same labelled series at once: what
    // the lookup costs when it is shared (wall time per record per thread).
    let mut g = c.benchmark_group("family/counter_2threads");
    let two = |iters: u64, op: &(dyn Fn(usize) + Sync)| {
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..2 {
                s.spawn(move || {
                    for i in 0..iters as usize {
                        op(i + t);
                    }
                });
            }
        });
        start.elapsed()
    };
    g.bench_function("tachymeter_family", |b| {
        b.iter_custom(|iters| two(iters, &|i| ours.with([TIERS[i & 1]]).inc(black_box(1))))
    });
    g.bench_function("prometheus_client_family", |b| {
        b.iter_custom(|iters| {
            two(iters, &|i| {
                theirs
                    .get_or_create(&Labels {
                        tier: PC_TIERS[i & 1],
                    })
                    .inc_by(black_box(1));
            })
        })
    });
    g.finish();
}

fn main() {
    let started = SystemTime::now();
    let mut c = criterion_config(Duration::from_secs(3));
    family(&mut c);
    c.final_summary();
    print_ratios(
        &[
            RatioCheck::new(
                "Family::with(..).inc / metrics-rs counter! with a label",
                "family/counter",
                "tachymeter_family",
                "metrics_counter_macro",
                1.0,
            ),
            RatioCheck::new(
                "Family::with(..).inc / prometheus-client Family::get_or_create",
                "family/counter",
                "tachymeter_family",
                "prometheus_client_family",
                1.0,
            ),
            RatioCheck::new(
                "2 threads: Family::with(..).inc / prometheus-client Family::get_or_create",
                "family/counter_2threads",
                "tachymeter_family",
                "prometheus_client_family",
                1.0,
            ),
        ],
        started,
    );
}
