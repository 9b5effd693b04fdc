//! The two exposition formats and how a scrape picks one.

/// An exposition format.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{Format, PrometheusExporter};
///
/// let exporter = PrometheusExporter::new(&Registry::new());
/// assert!(exporter.render(Format::OpenMetrics).ends_with("# EOF\n"));
/// assert_eq!(Format::Text.content_type(), "text/plain; version=0.0.4; charset=utf-8");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Text,
    /// OpenMetrics 1.0 text (ends with `# EOF`).
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` of an exposition in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// The format an `Accept` header asks for: OpenMetrics when it lists
    /// `application/openmetrics-text` with a non-zero quality, the text
    /// format otherwise (also when there is no header).
    ///
    /// ```
    /// use tachymeter_prometheus::Format;
    ///
    /// let prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(Format::from_accept(Some(prometheus)), Format::OpenMetrics);
    /// assert_eq!(Format::from_accept(Some("text/plain")), Format::Text);
    /// assert_eq!(Format::from_accept(None), Format::Text);
    /// ```
    pub fn from_accept(accept: Option<&str>) -> Format {
        let wants_open_metrics = media_ranges(accept).any(|(media, _, q)| {
            media.eq_ignore_ascii_case("application/openmetrics-text") && q > 0.0
        });
        if wants_open_metrics {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }
}

/// Whether an `Accept` header prefers Prometheus' protobuf exposition:
/// `application/vnd.google.protobuf` (with `proto` and `encoding`, if
/// given, naming delimited `io.prometheus.client.MetricFamily` messages) at
/// a quality above zero and at least that of every range a text format
/// matches (`text/plain`, `application/openmetrics-text`, and wildcards).
#[cfg_attr(not(feature = "protobuf"), allow(dead_code))]
pub(crate) fn prefers_protobuf(accept: Option<&str>) -> bool {
    let (mut protobuf, mut text) = (0.0f64, 0.0f64);
    for (media, params, q) in media_ranges(accept) {
        let param = |name: &str| {
            params.clone().find_map(|p| {
                let (n, v) = p.split_once('=')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().trim_matches('"'))
            })
        };
        let is = |m: &str| media.eq_ignore_ascii_case(m);
        if is("application/vnd.google.protobuf") {
            if param("proto").is_none_or(|p| p == "io.prometheus.client.MetricFamily")
                && param("encoding").is_none_or(|e| e == "delimited")
            {
                protobuf = protobuf.max(q);
            }
        } else if [
            "text/plain",
            "application/openmetrics-text",
            "text/*",
            "application/*",
            "*/*",
        ]
        .into_iter()
        .any(is)
        {
            text = text.max(q);
        }
    }
    protobuf > 0.0 && protobuf >= text
}

/// The media ranges of an `Accept` header: each media type, its
/// parameters other than `q`, and its quality (1 unless given; clamped to
/// `0..=1`, and 0 if it is not a number).
fn media_ranges(
    accept: Option<&str>,
) -> impl Iterator<Item = (&str, impl Iterator<Item = &str> + Clone, f64)> {
    let is_q = |p: &&str| {
        p.split_once('=')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("q"))
    };
    accept.unwrap_or("").split(',').filter_map(move |range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().filter(|m| !m.is_empty())?;
        let q = parts.clone().find(is_q).map_or(1.0, |p| {
            let value = p.split_once('=').map_or("", |(_, v)| v.trim());
            value
                .parse::<f64>()
                .ok()
                .filter(|q| q.is_finite())
                .map_or(0.0, |q| q.clamp(0.0, 1.0))
        });
        Some((media, parts.filter(move |p| !is_q(p)), q))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protobuf_only_when_preferred() {
        let native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(prefers_protobuf(Some(native)));
        assert_eq!(Format::from_accept(Some(native)), Format::OpenMetrics);
        let classic = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(!prefers_protobuf(Some(classic)));
        assert!(!prefers_protobuf(None));
        assert!(!prefers_protobuf(Some("*/*")));
        assert!(!prefers_protobuf(Some(
            "application/vnd.google.protobuf;q=0.5,text/plain"
        )));
        assert!(!prefers_protobuf(Some(
            "application/vnd.google.protobuf;proto=io.prometheus.client.Other"
        )));
        assert!(!prefers_protobuf(Some(
            "application/vnd.google.protobuf;encoding=text"
        )));
        assert!(!prefers_protobuf(Some(
            "application/vnd.google.protobuf;q=0"
        )));
        assert!(prefers_protobuf(Some(
            "text/plain;q=0.5, application/vnd.google.protobuf ; q=0.9"
        )));
        // Types no format here serves do not count; `Q` is `q`; odd
        // qualities are clamped or zero; quoted parameters are unquoted.
        assert!(prefers_protobuf(Some(
            "application/vnd.google.protobuf;q=0.9, application/json"
        )));
        assert!(!prefers_protobuf(Some(
            "application/vnd.google.protobuf;Q=0.5, text/plain"
        )));
        assert!(prefers_protobuf(Some(
            "application/vnd.google.protobuf;q=7, text/plain"
        )));
        assert!(!prefers_protobuf(Some(
            "application/vnd.google.protobuf;q=nan"
        )));
        assert!(prefers_protobuf(Some(
            "application/vnd.google.protobuf;proto=\"io.prometheus.client.MetricFamily\""
        )));
    }
}
