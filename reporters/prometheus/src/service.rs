//! `GET /metrics` as a Tower service.

use crate::{Format, PrometheusExporter};
use http::header::{HeaderValue, ACCEPT};
use http::HeaderMap;
use tachymeter_report::{Render, RenderService, Rendered};

/// The Tower service of [`PrometheusExporter::service`].
///
/// See [`PrometheusExporter::service`] for an example.
pub type PrometheusService = RenderService<PrometheusExporter>;

impl Render for PrometheusExporter {
    fn render(&self, headers: &HeaderMap) -> Rendered {
        let accept = headers.get(ACCEPT).and_then(|v| v.to_str().ok());
        #[cfg(feature = "protobuf")]
        if crate::format::prefers_protobuf(accept) {
            return Rendered {
                content_type: HeaderValue::from_static(crate::PROTOBUF_CONTENT_TYPE),
                body: self.render_protobuf().into(),
            };
        }
        let format = Format::from_accept(accept);
        Rendered {
            content_type: HeaderValue::from_static(format.content_type()),
            body: self.render(format).into(),
        }
    }
}

impl PrometheusExporter {
    /// A Tower service answering `GET` with a fresh exposition: protobuf
    /// with native histograms when `Accept` prefers it (feature `protobuf`;
    /// Prometheus does when its native histograms are on), OpenMetrics when
    /// `Accept` asks for it (as Prometheus does otherwise), and the text
    /// format for anything else. At most 4 renders run at once (change it with
    /// [`RenderService::max_concurrent`]); more concurrent scrapes get
    /// `503` with `Retry-After: 1`.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_prometheus::PrometheusExporter;
    ///
    /// let registry = Registry::new();
    /// let exporter = PrometheusExporter::new(&registry);
    /// // With axum: Router::new().route_service("/metrics", exporter.service())
    /// let service = exporter.service().max_concurrent(2);
    /// # drop(service);
    /// ```
    pub fn service(&self) -> PrometheusService {
        RenderService::new(self.clone())
    }
}
