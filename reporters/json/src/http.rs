//! The JSON snapshot over HTTP.

use crate::{encode, CONTENT_TYPE};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use tachymeter_core::Registry;
use tachymeter_report::{RenderService, Rendered};

/// A Tower service answering `GET` with a fresh JSON snapshot of `registry`
/// (compact, followed by `\n`) as `application/json`: go-metrics' expvar
/// page, for a route such as `/debug/metrics`.
///
/// It is a [`RenderService`]: `HEAD` gets the headers only, other methods
/// get `405`, and renders beyond its concurrency bound get `503`
/// ([`RenderService::max_concurrent`]).
///
/// ```
/// use axum::{routing::get, Router};
/// use tachymeter_core::Registry;
///
/// let registry = Registry::new();
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .route_service("/debug/metrics", tachymeter_json::service(&registry));
/// ```
pub fn service(
    registry: &Registry,
) -> RenderService<impl Fn(&HeaderMap) -> Rendered + Send + Sync + 'static> {
    let registry = registry.clone();
    RenderService::new(move |_headers: &HeaderMap| {
        let mut body = Vec::new();
        encode(&registry.snapshot(), &mut body, false);
        body.push(b'\n');
        Rendered {
            content_type: HeaderValue::from_static(CONTENT_TYPE),
            body: Bytes::from(body),
        }
    })
}
