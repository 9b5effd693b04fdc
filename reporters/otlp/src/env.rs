//! [`Env`]: the exporter's settings from the standard `OTEL_*` variables.

use crate::answer::{message, rejected};
use crate::{Encoder, Temporality};
use std::time::Duration;
use tachymeter_report::{Http, Push};

/// Where metrics go when nothing says otherwise: a local OpenTelemetry
/// Collector.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/metrics";

/// How long each request may take unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often metrics are pushed unless set otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// The OTLP exporter's settings, read from the environment variables the
/// OpenTelemetry specification defines, as every OpenTelemetry SDK reads
/// them (a signal-specific `…_METRICS_…` variable wins over the generic
/// one):
///
/// | variable | setting |
/// |---|---|
/// | `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` | the URL, as is |
/// | `OTEL_EXPORTER_OTLP_ENDPOINT` | a base URL, `v1/metrics` appended (default `http://localhost:4318`) |
/// | `OTEL_EXPORTER_OTLP[_METRICS]_HEADERS` | `key=value,…` (values percent-decoded), sent with every request |
/// | `OTEL_EXPORTER_OTLP[_METRICS]_TIMEOUT` | milliseconds per request (default 10,000) |
/// | `OTEL_EXPORTER_OTLP[_METRICS]_COMPRESSION` | `gzip` or `none` (default) |
/// | `OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL` | `http/protobuf`; others are reported and protobuf is sent |
/// | `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` | [`Temporality`] |
/// | `OTEL_METRIC_EXPORT_INTERVAL` | milliseconds between pushes (default 60,000) |
/// | `OTEL_SERVICE_NAME` | the resource's `service.name` |
/// | `OTEL_RESOURCE_ATTRIBUTES` | `key=value,…` resource attributes (percent-decoded) |
///
/// A value that does not parse is left out, and said in
/// [`warnings`](Self::warnings) (logged when a builder is made): a typo
/// never stops the program, and never goes unsaid.
///
/// ```
/// use std::time::Duration;
/// use tachymeter_otlp::{Env, Temporality};
///
/// let env = Env::read(|name| match name {
///     "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://collector:4318".into()),
///     "OTEL_METRIC_EXPORT_INTERVAL" => Some("15000".into()),
///     "OTEL_EXPORTER_OTLP_TIMEOUT" => Some("soon".into()),
///     _ => None,
/// });
/// assert_eq!(env.endpoint(), "http://collector:4318/v1/metrics");
/// assert_eq!(env.interval(), Duration::from_secs(15));
/// assert_eq!(env.temporality(), Temporality::Cumulative);
/// assert!(env.warnings()[0].contains("OTEL_EXPORTER_OTLP_TIMEOUT"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Env {
    endpoint: Option<String>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    gzip: bool,
    temporality: Temporality,
    service_name: Option<String>,
    resource: Vec<(String, String)>,
    interval: Option<Duration>,
    warnings: Vec<String>,
}

impl Env {
    /// The settings of this process's environment.
    pub fn process() -> Env {
        Env::read(|name| std::env::var(name).ok())
    }

    /// The settings of these variables alone, `(name, value)`, as if they
    /// were the whole environment.
    ///
    /// ```
    /// use tachymeter_otlp::Env;
    ///
    /// let env = Env::from_vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
    /// assert_eq!(env.endpoint(), "http://collector:4318/v1/metrics");
    /// ```
    pub fn from_vars(vars: &[(&str, &str)]) -> Env {
        Env::read(|name| {
            vars.iter()
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    /// The settings `var` gives (a variable's value, or `None` when it is
    /// not set): for settings kept elsewhere.
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Env {
        // The signal's own variable, else the generic one; empty is unset.
        let get = |what: &str| {
            [
                format!("OTEL_EXPORTER_OTLP_METRICS_{what}"),
                format!("OTEL_EXPORTER_OTLP_{what}"),
            ]
            .into_iter()
            .find_map(|name| {
                var(&name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v.trim().to_string()))
            })
        };
        let endpoint = match (
            var("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"),
            var("OTEL_EXPORTER_OTLP_ENDPOINT"),
        ) {
            (Some(url), _) if !url.trim().is_empty() => Some(url.trim().to_string()),
            (_, Some(base)) if !base.trim().is_empty() => {
                let base = base.trim();
                let slash = if base.ends_with('/') { "" } else { "/" };
                Some(format!("{base}{slash}v1/metrics"))
            }
            _ => None,
        };
        let mut env = Env {
            endpoint,
            ..Env::default()
        };
        if let Some((name, headers)) = get("HEADERS") {
            env.headers = env.pairs(&name, &headers, false);
        }
        if let Some((name, ms)) = get("TIMEOUT") {
            env.timeout = env.millis(&name, &ms);
        }
        if let Some((name, compression)) = get("COMPRESSION") {
            match compression.to_ascii_lowercase().as_str() {
                "gzip" => env.gzip = true,
                "none" => {}
                _ => env.warn(&name, &compression, "expected gzip or none"),
            }
        }
        if let Some((name, protocol)) = get("PROTOCOL") {
            if protocol != "http/protobuf" {
                env.warn(&name, &protocol, "only http/protobuf is sent");
            }
        }
        let name = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
        if let Some(preference) = var(name).filter(|v| !v.trim().is_empty()) {
            match preference.parse() {
                Ok(temporality) => env.temporality = temporality,
                Err(why) => env.warn(name, &preference, &why),
            }
        }
        let name = "OTEL_METRIC_EXPORT_INTERVAL";
        if let Some(ms) = var(name).filter(|v| !v.trim().is_empty()) {
            env.interval = env.millis(name, ms.trim()).filter(|d| !d.is_zero());
        }
        let name = "OTEL_RESOURCE_ATTRIBUTES";
        if let Some(attributes) = var(name).filter(|v| !v.trim().is_empty()) {
            // A bad entry discards the whole variable, as the
            // specification asks.
            env.resource = env.pairs(name, &attributes, true);
        }
        env.service_name = var("OTEL_SERVICE_NAME").filter(|v| !v.trim().is_empty());
        env
    }

    /// The URL metrics are posted to: from the variables, else
    /// [`DEFAULT_ENDPOINT`].
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT)
    }

    /// Whether a variable names the endpoint (so that a program may push
    /// only when one does).
    pub fn has_endpoint(&self) -> bool {
        self.endpoint.is_some()
    }

    /// The time between pushes: `OTEL_METRIC_EXPORT_INTERVAL`, else
    /// [`DEFAULT_INTERVAL`].
    pub fn interval(&self) -> Duration {
        self.interval.unwrap_or(DEFAULT_INTERVAL)
    }

    /// The temporality asked for.
    pub fn temporality(&self) -> Temporality {
        self.temporality
    }

    /// The resource's `service.name`, if a variable gives one
    /// (`OTEL_SERVICE_NAME` wins over `OTEL_RESOURCE_ATTRIBUTES`).
    pub fn service_name(&self) -> Option<&str> {
        self.service_name.as_deref().or_else(|| {
            self.resource
                .iter()
                .find(|(k, _)| k == "service.name")
                .map(|(_, v)| v.as_str())
        })
    }

    /// What was set but could not be read, and left out.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A reporter named `otlp` posting to [`endpoint`](Self::endpoint),
    /// with every other setting from the variables.
    pub fn builder(&self) -> Push<Encoder, Http> {
        self.builder_to(self.endpoint())
    }

    /// The same, posting to `target`, a URL used as is (the program's own
    /// setting wins over the variables).
    pub fn builder_to(&self, target: &str) -> Push<Encoder, Http> {
        for warning in &self.warnings {
            log::warn!("OTLP exporter: {warning}");
        }
        let mut encoder = Encoder::new().temporality(self.temporality);
        for (key, value) in &self.resource {
            encoder = encoder.resource_attribute(key, value);
        }
        if let Some(name) = &self.service_name {
            encoder = encoder.service_name(name);
        }
        let mut http = Http::post(target)
            .header(
                "User-Agent",
                concat!("tachymeter-otlp/", env!("CARGO_PKG_VERSION")),
            )
            .gzip(self.gzip)
            .refused(rejected)
            .describe(message);
        for (name, value) in &self.headers {
            http = http.header(name, value);
        }
        Push::new("otlp", encoder, http).timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
    }

    fn warn(&mut self, name: &str, value: &str, why: &str) {
        self.warnings
            .push(format!("{name}={value:?} left out: {why}"));
    }

    /// Milliseconds.
    fn millis(&mut self, name: &str, text: &str) -> Option<Duration> {
        match text.parse::<u64>() {
            Ok(ms) => Some(Duration::from_millis(ms)),
            Err(_) => {
                self.warn(name, text, "expected a whole number of milliseconds");
                None
            }
        }
    }

    /// `key=value,…`, percent-decoded: every entry (a bad one left out),
    /// or none at all if `all_or_nothing` and one is bad.
    fn pairs(&mut self, name: &str, text: &str, all_or_nothing: bool) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for entry in text.split(',').filter(|e| !e.trim().is_empty()) {
            let parsed = entry.split_once('=').and_then(|(k, v)| {
                let key = percent_decode(k.trim())?;
                let value = percent_decode(v.trim())?;
                (!key.is_empty()).then_some((key, value))
            });
            match parsed {
                Some(pair) => pairs.push(pair),
                None if all_or_nothing => {
                    self.warn(name, text, &format!("{entry:?} is not key=value"));
                    return Vec::new();
                }
                None => self.warn(name, entry, "not key=value"),
            }
        }
        pairs
    }
}

/// `text` with each `%XX` decoded; `None` if one is not two hex digits or
/// the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_vars(vars)
    }

    #[test]
    fn the_signal_endpoint_is_used_as_is_and_the_base_gets_the_path() {
        assert_eq!(env(&[]).endpoint(), DEFAULT_ENDPOINT);
        assert!(!env(&[]).has_endpoint());
        let base = |b: &str| {
            env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", b)])
                .endpoint()
                .to_string()
        };
        assert_eq!(base("http://h:4318"), "http://h:4318/v1/metrics");
        assert_eq!(base("http://h:4318/"), "http://h:4318/v1/metrics");
        assert_eq!(base("http://h:4318/mine/"), "http://h:4318/mine/v1/metrics");
        let both = env(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "http://p:9090/api/v1/otlp/v1/metrics",
            ),
        ]);
        assert_eq!(both.endpoint(), "http://p:9090/api/v1/otlp/v1/metrics");
        assert!(both.has_endpoint());
    }

    #[test]
    fn headers_and_attributes_are_percent_decoded_and_bad_ones_said() {
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b, x=1,broken"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=books,deployment.environment.name=prod%2Ceu",
            ),
            ("OTEL_SERVICE_NAME", "orders"),
        ]);
        assert_eq!(
            e.headers,
            [
                ("api-key".to_string(), "a b".to_string()),
                ("x".into(), "1".into())
            ]
        );
        assert_eq!(
            e.resource[1],
            ("deployment.environment.name".into(), "prod,eu".into())
        );
        assert_eq!(e.service_name(), Some("orders"));
        assert_eq!(e.warnings().len(), 1, "{:?}", e.warnings());
        // One bad attribute discards them all.
        let e = env(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=books,x=%zz")]);
        assert!(e.resource.is_empty());
        assert_eq!(e.service_name(), None);
        assert!(e.warnings()[0].contains("OTEL_RESOURCE_ATTRIBUTES"));
    }

    #[test]
    fn the_signal_variable_wins_and_bad_values_keep_the_default() {
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "DELTA"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "0"),
        ]);
        assert_eq!(e.timeout, Some(Duration::from_millis(700)));
        assert!(e.gzip);
        assert_eq!(e.temporality(), Temporality::Delta);
        assert_eq!(e.interval(), DEFAULT_INTERVAL);
        let e = env(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                "sometimes",
            ),
            ("OTEL_METRIC_EXPORT_INTERVAL", "1m"),
        ]);
        assert!(!e.gzip);
        assert_eq!(e.temporality(), Temporality::Cumulative);
        assert_eq!(e.interval(), DEFAULT_INTERVAL);
        assert_eq!(e.warnings().len(), 4, "{:?}", e.warnings());
    }
}
