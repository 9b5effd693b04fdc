//! The dashboard's route: the page, its JSON, new points only after a
//! sample already seen, and the memory its history holds.

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::time::Duration;
use tachymeter_core::Registry;
use tachymeter_dashboard::Dashboard;
use tower_service::Service;

fn get(dashboard: &Dashboard, method: Method, uri: &str) -> (StatusCode, String, String) {
    let request = Request::builder().method(method).uri(uri).body(()).unwrap();
    let Ok(response) = dashboard.service().call(request).into_inner();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = futures_body(response.into_body());
    (status, content_type, body)
}

fn futures_body(body: tachymeter_report::ResponseBody) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bytes = runtime.block_on(body.collect()).unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn data(dashboard: &Dashboard, after: u64) -> Value {
    let (status, content_type, body) = get(
        dashboard,
        Method::GET,
        &format!("/debug/dashboard?data&after={after}"),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    serde_json::from_str(&body).unwrap()
}

/// A dashboard whose thread samples once an hour: the test samples.
fn dashboard(registry: &Registry) -> Dashboard {
    Dashboard::builder(registry)
        .interval(Duration::from_secs(3600))
        .history(Duration::from_secs(3 * 3600))
        .title("t<1>")
        .start()
        .unwrap()
}

#[test]
fn the_page_is_one_self_contained_document() {
    let registry = Registry::new();
    let dashboard = dashboard(&registry);
    let (status, content_type, page) = get(&dashboard, Method::GET, "/debug/dashboard");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<title>t&lt;1&gt; dashboard</title>"));
    assert!(page.contains("prefers-color-scheme: dark"));
    // No asset from elsewhere: the page works offline.
    assert!(!page.contains("http://") || !page.contains("src=\"http"));
    assert!(!page.contains("https://"));
    assert_eq!(
        get(&dashboard, Method::POST, "/debug/dashboard").0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    let (status, _, body) = get(&dashboard, Method::HEAD, "/debug/dashboard");
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
}

#[test]
fn polls_get_only_the_points_they_have_not_seen() {
    let registry = Registry::new();
    let timer = registry.timer("req").unwrap();
    let jobs = registry.counter("jobs").unwrap();
    registry.gauge("queue").unwrap().update(-3);
    let dashboard = dashboard(&registry);
    for i in 1..=3u64 {
        timer.update(Duration::from_millis(i));
        jobs.inc(1);
        dashboard.sample_now();
    }

    let all = data(&dashboard, 0);
    assert_eq!(all["last"], 4); // the first sample was taken at start
    assert_eq!(all["first"], 1);
    assert_eq!(all["times"].as_array().unwrap().len(), 4);
    let metrics = all["metrics"].as_array().unwrap();
    let keys: Vec<&str> = metrics.iter().map(|m| m["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"req") && keys.contains(&"jobs") && keys.contains(&"queue"));
    let req = metrics.iter().find(|m| m["key"] == "req").unwrap();
    assert_eq!(req["kind"], "timer");
    assert_eq!(req["unit"], "nanoseconds");
    assert_eq!(req["width"], 4);
    assert_eq!(req["current"]["count"], 3.0);
    assert_eq!(req["points"].as_array().unwrap().len(), 16);
    // The last interval held only the 3 ms value.
    let p99 = req["points"][14].as_f64().unwrap();
    assert!((p99 - 3e6).abs() / 3e6 < 0.01, "{p99}");
    let queue = metrics.iter().find(|m| m["key"] == "queue").unwrap();
    assert_eq!(queue["current"]["value"], -3.0);
    assert_eq!(queue["points"][3], -3.0);

    let newer = data(&dashboard, 3);
    assert_eq!(newer["first"], 4);
    assert_eq!(newer["times"].as_array().unwrap().len(), 1);
    let req = newer["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "req")
        .unwrap();
    assert_eq!(req["first"], 4);
    assert_eq!(req["points"].as_array().unwrap().len(), 4);
    // A poll from the future (a restarted server) gets nothing new.
    let future = data(&dashboard, 99);
    assert_eq!(future["times"].as_array().unwrap().len(), 0);
    dashboard.stop();
}

#[test]
fn hostile_names_and_non_finite_values_give_valid_json() {
    let registry = Registry::new();
    registry
        .gauge_f64("nan\"</script>\n")
        .unwrap()
        .update(f64::NAN);
    registry.gauge_f64("inf").unwrap().update(f64::INFINITY);
    registry.timer("").unwrap();
    let dashboard = dashboard(&registry);
    dashboard.sample_now();
    let all = data(&dashboard, 0);
    // Beside the sampler's own `reporter.dashboard.*` series.
    let metrics: Vec<&Value> = all["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["key"].as_str().unwrap().starts_with("reporter."))
        .collect();
    assert_eq!(metrics.len(), 3);
    let nan = metrics
        .iter()
        .find(|m| m["key"] == "nan\"</script>\n")
        .unwrap();
    // Not finite: left out of the current values, null in the points.
    assert!(nan["current"].get("value").is_none());
    assert!(nan["points"][0].is_null());
}

/// What the history holds with 200 timers and a full 15 minutes at 5 s:
/// the figure the docs state.
#[test]
fn two_hundred_timers_over_fifteen_minutes_hold_0_6_megabytes_of_points() {
    let registry = Registry::new();
    let timers: Vec<_> = (0..200)
        .map(|i| registry.timer(format!("route-{i}")).unwrap())
        .collect();
    let dashboard = Dashboard::builder(&registry)
        .interval(Duration::from_secs(3600))
        .history(Duration::from_secs(3600 * 180))
        .start()
        .unwrap();
    for round in 0..200u64 {
        for t in &timers {
            t.update(Duration::from_micros(100 + round));
        }
        dashboard.sample_now();
    }
    let bytes = dashboard.memory_bytes();
    println!("200 timers, 181 samples: {bytes} bytes of points");
    assert!(bytes >= 200 * 181 * 16, "{bytes}");
    assert!(bytes < 600_000, "{bytes}");
    dashboard.stop();
}

#[test]
fn a_poll_that_fell_behind_gets_what_the_history_still_holds() {
    let registry = Registry::new();
    registry.gauge("g").unwrap().update(1);
    // Two intervals of history: three samples kept.
    let dashboard = Dashboard::builder(&registry)
        .interval(Duration::from_secs(3600))
        .history(Duration::from_secs(2 * 3600))
        .start()
        .unwrap();
    for _ in 0..5 {
        dashboard.sample_now();
    }
    let behind = data(&dashboard, 1);
    assert_eq!(behind["last"], 6);
    assert_eq!(behind["first"], 4, "the oldest sample still held");
    assert_eq!(behind["times"].as_array().unwrap().len(), 3);
    let g = behind["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "g")
        .unwrap();
    assert_eq!(g["first"], 4);
    assert_eq!(g["points"].as_array().unwrap().len(), 3);
    dashboard.stop();
}

#[test]
fn a_long_history_comes_in_bounded_answers() {
    let registry = Registry::new();
    registry.gauge("g").unwrap().update(2);
    registry
        .gauge(tachymeter_core::MetricKey::new("g").with_label("x", "1"))
        .unwrap();
    let dashboard = Dashboard::builder(&registry)
        .interval(Duration::from_secs(1))
        .history(Duration::from_secs(1000))
        .start()
        .unwrap();
    for _ in 0..799 {
        dashboard.sample_now();
    }
    let max = tachymeter_dashboard::MAX_SAMPLES_PER_ANSWER as u64;
    let first = data(&dashboard, 0);
    assert_eq!(
        (first["last"].as_u64(), first["more"].as_bool()),
        (Some(max), Some(true))
    );
    assert_eq!(first["times"].as_array().unwrap().len() as u64, max);
    let rest = data(&dashboard, max);
    assert_eq!(
        (rest["last"].as_u64(), rest["more"].as_bool()),
        (Some(800), Some(false))
    );
    assert_eq!(rest["times"].as_array().unwrap().len() as u64, 800 - max);
    assert_eq!(first["started"], rest["started"]);
    let g: Vec<&Value> = rest["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"].as_str().unwrap().starts_with("g\0"))
        .collect();
    // Two series whose displayed keys could clash have distinct ids.
    assert_eq!(g.len(), 2);
    assert_ne!(g[0]["id"], g[1]["id"]);
    assert_eq!(g[0]["points"].as_array().unwrap().len() as u64, 800 - max);
    dashboard.stop();
}
