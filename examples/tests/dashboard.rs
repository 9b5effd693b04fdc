//! The books service's dashboard in a real browser (headless Chromium)
//! while a load runs: a card with its plots per timer, values that match
//! the registry's, a working filter, no console errors, and a screenshot
//! in `target/dashboard.png`.

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tachymeter_core::{MetricSnapshot, Registry};
use tachymeter_dashboard::Dashboard;
use tachymeter_examples::books::{app_with_dashboard, sample_store};
use tachymeter_testkit::{http, target_dir, Browser, ServedRouter};

/// The books service with a dashboard sampling every 500 ms.
fn books(registry: &Registry) -> (axum::Router, Dashboard) {
    let store = sample_store();
    let dashboard = Dashboard::builder(registry)
        .interval(Duration::from_millis(500))
        .history(Duration::from_secs(60))
        .title("books")
        .start()
        .unwrap();
    let app = app_with_dashboard(registry, store, &dashboard).unwrap();
    (app, dashboard)
}

/// Requests books until `stop` is set (at most two minutes).
fn load(addr: SocketAddr, stop: Arc<AtomicBool>) -> thread::JoinHandle<u64> {
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut sent = 0u64;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let id = sent % 7;
            let url = format!("http://{addr}/books/{id}");
            if sent.is_multiple_of(5) {
                let book = format!(r#"{{"title":"Book {id}","author":"A. Writer"}}"#);
                http::put(&url, "application/json", book).unwrap();
            } else {
                http::get(&url).unwrap();
            }
            sent += 1;
        }
        sent
    })
}

/// Waits up to 30 s for `script` to return `true` in the page.
fn wait_for(browser: &Browser, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if browser.execute(script, &[]).unwrap() == json!(true) {
            return;
        }
        assert!(Instant::now() < deadline, "waited 30 s for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

/// A number as the page shows it (`17.8 µs`, `41 B`, `1,234`) in the
/// series' base unit.
fn parse_shown(text: &str) -> f64 {
    let (number, unit) = text.split_once(' ').unwrap_or((text, ""));
    let number: f64 = number.replace(',', "").parse().unwrap_or(f64::NAN);
    let factor = match unit {
        "s" => 1e9,
        "ms" => 1e6,
        "µs" => 1e3,
        "KiB" => 1024.0,
        "MiB" => 1048576.0,
        "k" => 1e3,
        "M" => 1e6,
        _ => 1.0,
    };
    number * factor
}

/// Every card's shown values: key -> field -> (text, raw value).
const READ_CARDS: &str = r#"
const out = {};
for (const card of document.querySelectorAll("article.card")) {
  const fields = {};
  for (const b of card.querySelectorAll("b[data-field]")) {
    fields[b.dataset.field] = [b.textContent, b.dataset.value === undefined ? null : Number(b.dataset.value)];
  }
  const plots = [...card.querySelectorAll("svg.plot")].map((svg) => svg.dataset.plot);
  const lines = [...card.querySelectorAll("svg.plot path.line")].filter((p) => p.getAttribute("d").includes("L")).length;
  const bars = [...card.querySelectorAll("rect.bar")].reduce((sum, r) => sum + Number(r.dataset.count), 0);
  out[card.dataset.key] = { kind: card.dataset.kind, fields, plots, lines, bars, hidden: card.hidden };
}
return out;
"#;

#[test]
fn the_dashboard_shows_every_timer_live_in_a_real_browser() {
    let registry = Registry::new();
    let (app, dashboard) = books(&registry);
    // Recorded in one interval only, below: one point per plot.
    let once = registry.timer("once").unwrap();
    let server = ServedRouter::start(app).unwrap();
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let loader = load(addr, Arc::clone(&stop));

    let browser = Browser::start().unwrap();
    browser
        .goto(&format!("http://{addr}/debug/dashboard"))
        .unwrap();
    wait_for(
        &browser,
        "six polls with both book timers drawn",
        r#"return window.dashboard.state.polls >= 6
            && document.querySelectorAll('article.timer[data-key="get-book"] path.line').length > 0
            && document.querySelectorAll('article.timer[data-key="put-book"] path.line').length > 0"#,
    );
    // A series with a single point has no line: it is drawn as a dot. Its
    // value came with a trace: the card lists it among the slowest.
    let trace = tachymeter_core::Trace::new([0x4b; 16], [0x0f; 8]);
    once.update_with_exemplar(Duration::from_millis(3), trace);
    wait_for(
        &browser,
        "a dot for the timer recorded in one interval",
        r#"return document.querySelectorAll('article.timer[data-key="once"] svg.plot circle.dot.p50').length > 0"#,
    );
    wait_for(
        &browser,
        "the traced request listed on its card",
        r#"const li = document.querySelector('article.timer[data-key="once"] ol.traces li[data-trace-id="4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b"]');
           return li !== null && li.textContent.startsWith("3") && li.textContent.includes("trace 4b4b")"#,
    );

    // Live: the count shown grows while the load runs.
    let shown_count = |browser: &Browser| {
        let text = browser
            .execute(
                r#"return document.querySelector('article[data-key="get-book"] b[data-field="count"]').textContent"#,
                &[],
            )
            .unwrap();
        parse_shown(text.as_str().unwrap())
    };
    let before = shown_count(&browser);
    let deadline = Instant::now() + Duration::from_secs(20);
    while shown_count(&browser) <= before {
        assert!(Instant::now() < deadline, "the page stopped updating");
        thread::sleep(Duration::from_millis(200));
    }

    // Quiet the service, then compare the page with the registry: the
    // page is refreshed between two snapshots that agree.
    stop.store(true, Ordering::Relaxed);
    let sent = loader.join().unwrap();
    assert!(sent > 100, "the load sent only {sent} requests");
    let mut compared = false;
    for _ in 0..10 {
        let before = registry.snapshot();
        browser
            .execute_async(
                "const done = arguments[arguments.length - 1]; window.dashboard.refresh().then(() => done(true));",
                &[],
            )
            .unwrap();
        let cards = browser.execute(READ_CARDS, &[]).unwrap();
        let after = registry.snapshot();
        // Only the book routes' series are quiet now; the process and the
        // reporters' own go on.
        let quiet = |s: &tachymeter_core::RegistrySnapshot| {
            s.metrics
                .iter()
                .filter(|e| e.key.name().contains("book"))
                .map(|e| match &e.snapshot {
                    MetricSnapshot::Timer(t) => {
                        let mut v = t.percentiles(&[0.5, 0.99, 0.999]);
                        v.push(t.count() as f64);
                        format!("{v:?}")
                    }
                    // Rates decay with time; counts and values do not.
                    MetricSnapshot::Counter(c) => c.count.to_string(),
                    MetricSnapshot::Gauge { value } => value.to_string(),
                    MetricSnapshot::Histogram(h) => h.count.to_string(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        if quiet(&before) != quiet(&after) {
            continue;
        }
        check_cards(&after, &cards);
        compared = true;
        break;
    }
    assert!(
        compared,
        "the registry never held still long enough to compare"
    );

    // The filter hides what does not match.
    let visible = browser
        .execute(
            r#"const f = document.getElementById("filter");
               f.value = "put";
               f.dispatchEvent(new Event("input"));
               return [...document.querySelectorAll("article.card")].filter((c) => !c.hidden).map((c) => c.dataset.key);"#,
            &[],
        )
        .unwrap();
    let visible: Vec<&str> = visible
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(visible.contains(&"put-book"), "{visible:?}");
    assert!(visible.iter().all(|k| k.contains("put")), "{visible:?}");
    browser
        .execute(
            r#"const f = document.getElementById("filter");
               f.value = "book";
               f.dispatchEvent(new Event("input"));
               window.scrollTo(0, 0);"#,
            &[],
        )
        .unwrap();

    let errors = browser.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");

    let target = target_dir();
    std::fs::create_dir_all(&target).unwrap();
    let shot = target.join("dashboard.png");
    browser.screenshot(&shot).unwrap();
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{}",
        png.len()
    );
    println!("screenshot: {}", shot.display());

    // The service restarts on the same port: the page notices, starts its
    // plots afresh and shows the new process's counts.
    let started = browser
        .execute("return window.dashboard.state.started", &[])
        .unwrap();
    drop(server);
    dashboard.stop();
    let registry = Registry::new();
    let (app, dashboard) = books(&registry);
    let _server = ServedRouter::start_on(app, addr).unwrap();
    for _ in 0..3 {
        http::get(&format!("http://{addr}/books/1")).unwrap();
    }
    wait_for(
        &browser,
        "the page to follow the restarted service",
        &format!(
            r#"const s = window.dashboard.state;
               const count = document.querySelector('article[data-key="get-book"] b[data-field="count"]');
               return s.started !== {started} && s.polls > 0 && count !== null
                   && count.textContent === "3"
                   && s.times.length === s.last - s.first + 1"#
        ),
    );
    let errors = browser.console_errors().unwrap();
    assert!(
        errors.iter().all(|e| e.contains("Failed to fetch")
            || e.contains("ERR_CONNECTION_REFUSED")
            || e.contains("ERR_EMPTY_RESPONSE")),
        "console errors besides the restart's: {errors:?}"
    );
    drop(browser);

    // Dark mode: the page follows the browser's preference.
    let dark = Browser::start_with(&["--force-dark-mode"]).unwrap();
    dark.goto(&format!("http://{addr}/debug/dashboard?x"))
        .unwrap();
    wait_for(
        &dark,
        "the first poll in dark mode",
        "return window.dashboard.state.polls >= 1",
    );
    let background = dark
        .execute(
            "return getComputedStyle(document.body).backgroundColor",
            &[],
        )
        .unwrap();
    assert_eq!(background, "rgb(21, 21, 23)", "not dark");
    dark.screenshot(&target.join("dashboard-dark.png")).unwrap();
    let errors = dark.console_errors().unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    dashboard.stop();
}

/// Each timer has its card and three plots; counts, gauge values and
/// percentiles are the registry's (raw) and shown within three
/// significant digits.
fn check_cards(snapshot: &tachymeter_core::RegistrySnapshot, cards: &Value) {
    let mut timers = 0;
    for entry in &snapshot.metrics {
        let key = entry.key.to_string();
        let card = &cards[&key];
        match &entry.snapshot {
            MetricSnapshot::Timer(t) => {
                timers += 1;
                assert_eq!(card["kind"], "timer", "{key}: {card}");
                assert_eq!(
                    card["plots"],
                    json!(["quantiles", "rate", "distribution"]),
                    "{key}"
                );
                let fields = &card["fields"];
                let shown = fields["count"][1].as_f64().unwrap();
                assert_eq!(parse_shown(fields["count"][0].as_str().unwrap()), shown);
                if !key.contains("book") {
                    // Still recording (the reporters' own): as read a moment
                    // before the registry was.
                    assert!(shown <= t.count() as f64, "{key}: {shown} > {}", t.count());
                    continue;
                }
                assert_eq!(shown, t.count() as f64, "{key}");
                assert!(card["lines"].as_u64().unwrap() >= 3, "{key}: {card}");
                assert_eq!(
                    card["bars"].as_u64().unwrap(),
                    t.durations.recent.count,
                    "{key}: the bars hold the recent window"
                );
                for (field, q) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
                    let exact = t.percentile(q);
                    assert_eq!(fields[field][1].as_f64().unwrap(), exact, "{key} {field}");
                    let shown = parse_shown(fields[field][0].as_str().unwrap());
                    assert!(
                        (shown - exact).abs() <= exact * 0.005 + 0.5,
                        "{key} {field}: shown {shown}, registry {exact}"
                    );
                }
            }
            MetricSnapshot::Gauge { value } if key == "books.stored" => {
                assert_eq!(card["fields"]["value"][1].as_f64(), Some(*value as f64));
                assert_eq!(
                    parse_shown(card["fields"]["value"][0].as_str().unwrap()),
                    *value as f64
                );
            }
            MetricSnapshot::Counter(c) if key.contains("book") => {
                assert_eq!(
                    card["fields"]["count"][1].as_f64(),
                    Some(c.count as f64),
                    "{key}"
                );
            }
            _ => {}
        }
    }
    assert!(timers >= 2, "no timers in {snapshot:?}");
}
