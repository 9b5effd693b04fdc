//! The "books" service: `GET` and `PUT /books/{book_id}` over an in-memory
//! store, each route wrapped in the combined metrics layer, plus
//! `GET /metrics` (Prometheus), `GET /debug/metrics` (JSON) and
//! `GET /debug/dashboard` (a live page). The `books` example serves it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{handler::Handler, Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tachymeter_core::{Gauge, Histogram, Registry};
use tachymeter_dashboard::Dashboard;
use tachymeter_prometheus::PrometheusExporter;
use tachymeter_tower::HttpMetricsLayer;

/// A book, as JSON: `{"title": "…", "author": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// Its title.
    pub title: String,
    /// Its author.
    pub author: String,
}

/// The in-memory store, by book id.
pub type Store = Arc<RwLock<HashMap<String, Book>>>;

/// A store holding one book, under id `1`: what the example serves.
pub fn sample_store() -> Store {
    let book = Book {
        title: "The Go Programming Language".to_string(),
        author: "Alan Donovan and Brian Kernighan".to_string(),
    };
    Arc::new(RwLock::new(HashMap::from([("1".to_string(), book)])))
}

/// The service's own (business) metrics, recorded by its handlers.
#[derive(Debug, Clone)]
struct BookMetrics {
    /// Books in the store.
    stored: Gauge,
    /// The size of each accepted `PUT` body, in bytes.
    put_bytes: Histogram,
}

/// What the handlers share: the store, and the metrics unless turned off.
#[derive(Debug, Clone)]
struct Books {
    store: Store,
    metrics: Option<BookMetrics>,
}

async fn get_book(
    State(Books { store, .. }): State<Books>,
    Path(book_id): Path<String>,
) -> Result<Json<Book>, StatusCode> {
    let books = store.read().unwrap_or_else(|e| e.into_inner());
    books
        .get(&book_id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

async fn put_book(
    State(Books { store, metrics }): State<Books>,
    Path(book_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let Ok(book) = serde_json::from_slice::<Book>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut books = store.write().unwrap_or_else(|e| e.into_inner());
    let status = match books.insert(book_id, book) {
        Some(_) => StatusCode::OK,
        None => StatusCode::CREATED,
    };
    if let Some(m) = metrics {
        m.stored.update(books.len() as i64);
        m.put_bytes.update(body.len() as u64);
    }
    status
}

/// The service: each route wrapped in the combined metrics layer, named
/// like tigertonic's `get-book` / `put-book`; its business metrics
/// (`books.stored`, a gauge, and `books.put.bytes`, a histogram of the
/// `PUT` sizes); the process's own (`process_*`); and the registry served
/// at `/metrics` (Prometheus text, OpenMetrics, or protobuf with native
/// histograms, as the scraper asks), `/debug/metrics` (JSON) and
/// `/debug/dashboard` (the live page, sampling every 5 s).
pub fn app(registry: &Registry, store: Store) -> Result<Router, Error> {
    let dashboard = Dashboard::builder(registry).title("books").start()?;
    app_with_dashboard(registry, store, &dashboard)
}

/// Errors building the service: a metric name taken by another kind, or
/// the dashboard's thread not starting.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// [`app`], with a dashboard of one's own (another sample interval, say).
pub fn app_with_dashboard(
    registry: &Registry,
    store: Store,
    dashboard: &Dashboard,
) -> Result<Router, Error> {
    let get_metrics = HttpMetricsLayer::new(registry, "get-book")?;
    let put_metrics = HttpMetricsLayer::new(registry, "put-book")?;
    tachymeter_process::register(registry)?;
    registry.describe("books.stored", "Books in the store", None);
    registry.describe(
        "books.put.bytes",
        "Size of each accepted PUT body",
        Some(tachymeter_core::Unit::Bytes),
    );
    let metrics = BookMetrics {
        stored: registry.gauge("books.stored")?,
        put_bytes: registry.histogram("books.put.bytes")?,
    };
    let stored = store.read().unwrap_or_else(|e| e.into_inner()).len();
    metrics.stored.update(stored as i64);
    let books = Books {
        store,
        metrics: Some(metrics),
    };
    Ok(Router::new()
        .route(
            "/books/{book_id}",
            get(get_book.layer(get_metrics)).put(put_book.layer(put_metrics)),
        )
        .route_service("/metrics", PrometheusExporter::new(registry).service())
        .route_service("/debug/metrics", tachymeter_json::service(registry))
        .route_service("/debug/dashboard", dashboard.service())
        .with_state(books))
}

/// The same service without any metrics: the baseline of the load test.
pub fn app_without_metrics(store: Store) -> Router {
    Router::new()
        .route("/books/{book_id}", get(get_book).put(put_book))
        .with_state(Books {
            store,
            metrics: None,
        })
}
