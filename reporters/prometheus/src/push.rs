//! Pushing to a Prometheus Pushgateway (feature `push`): the text
//! exposition of each snapshot ([`PushEncoder`]) on the
//! [`Http`] transport.

use crate::names::label_name;
use crate::{Format, PrometheusExporter};
use std::fmt;
use std::time::{Duration, SystemTime};
use tachymeter_core::RegistrySnapshot;
use tachymeter_report::{
    push_base64, Base64, Body, BuildError, Encode, Encoded, Http, HttpError, Own, PeriodicReporter,
    Push, Settings, Transport,
};

/// A snapshot as the Prometheus text exposition, without timestamps (the
/// Pushgateway refuses them), named by a [`PrometheusExporter`]: what a
/// push to a Pushgateway carries.
///
/// ```
/// use std::time::SystemTime;
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{PrometheusExporter, PushEncoder};
/// use tachymeter_report::encode_once;
///
/// let registry = Registry::new();
/// registry.counter("rows")?.inc(3);
/// let mut encoder = PushEncoder::new(&PrometheusExporter::new(&registry));
/// let (body, _) = encode_once(&mut encoder, &registry.snapshot(), SystemTime::now());
/// assert!(std::str::from_utf8(body.bytes())?.contains("\nrows_total 3\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PushEncoder {
    exporter: PrometheusExporter,
}

impl PushEncoder {
    /// The exposition `exporter` gives (its names, quantiles, buckets).
    pub fn new(exporter: &PrometheusExporter) -> Self {
        PushEncoder {
            exporter: exporter.clone(),
        }
    }
}

impl Encode for PushEncoder {
    type Output = Body;

    /// The text exposition of `snapshot`; its points are its samples.
    fn encode(&mut self, snapshot: &RegistrySnapshot, _: SystemTime, out: &mut Body) -> Encoded {
        let text = self.exporter.encode(snapshot, Format::Text);
        let samples = text.lines().filter(|l| !l.starts_with('#')).count() as u64;
        out.set(Format::Text.content_type(), text.into_bytes(), samples);
        Encoded::default()
    }
}

/// Pushes a [`PrometheusExporter`]'s exposition of its registry to a
/// Pushgateway, in the text format and without timestamps, under
/// `/metrics/job/<job>/<label>/<value>…`.
///
/// - [`push`](Self::push) replaces the group (HTTP `PUT`),
///   [`push_add`](Self::push_add) merges into it (`POST`),
///   [`delete`](Self::delete) removes it; each blocks until the
///   Pushgateway answers, at most twice the [`timeout`](Self::timeout)
///   (default 10 s), a request that gets no answer or a 429 or 5xx being
///   sent again twice.
/// - [`every`](Self::every) pushes (`PUT`) on a
///   [`PeriodicReporter`] thread, so a slow or dead Pushgateway never holds
///   up the application; failures are logged and counted there
///   ([`builder`](Self::builder) gives the [`Push`] to configure first).
/// - Grouping values (and the job) that are empty, only dots, or hold
///   anything but `A–Z a–z 0–9 - . _ ~` go in the `<label>@base64/<value>`
///   form the Pushgateway requires for `/` (URL-safe base64).
///
/// HTTPS needs `ureq`'s `rustls` feature, enabled in the application's own
/// `Cargo.toml`.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{PrometheusExporter, Pushgateway};
///
/// let registry = Registry::new();
/// registry.counter("batch.rows")?.inc(1_000);
/// let pushgateway = Pushgateway::new("http://127.0.0.1:9091", "nightly-batch", &PrometheusExporter::new(&registry))
///     .grouping("instance", "db-1");
/// pushgateway.push()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pushgateway {
    exporter: PrometheusExporter,
    url: String,
    timeout: Duration,
}

/// Why a push failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushError {
    /// The Pushgateway answered with an error status.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The body of the answer (the Pushgateway says what is wrong).
        message: String,
    },
    /// No answer: connection refused, timeout, …
    Unreachable(String),
    /// The URL or a grouping value cannot make a request.
    Invalid(String),
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Rejected { status, message } => {
                write!(f, "the Pushgateway answered {status}: {}", message.trim())
            }
            PushError::Unreachable(why) => write!(f, "no answer from the Pushgateway: {why}"),
            PushError::Invalid(why) => write!(f, "cannot push: {why}"),
        }
    }
}

impl std::error::Error for PushError {}

impl Pushgateway {
    /// Pushes `exporter`'s metrics to the Pushgateway at `target`, its base URL (e.g.
    /// `http://127.0.0.1:9091`) under job `job`.
    pub fn new(target: &str, job: &str, exporter: &PrometheusExporter) -> Self {
        let mut url = target.trim_end_matches('/').to_string();
        url.push_str("/metrics");
        push_segment(&mut url, "job", job);
        Self {
            exporter: exporter.clone(),
            url,
            timeout: Duration::from_secs(10),
        }
    }

    /// Adds a grouping label (its name sanitised like any label name).
    pub fn grouping(mut self, label: &str, value: &str) -> Self {
        push_segment(&mut self.url, &label_name(label), value);
        self
    }

    /// How long a request may take, connection included. Default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The URL of the group.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Replaces the group with the current metrics (`PUT`).
    ///
    /// # Errors
    ///
    /// When the Pushgateway refuses them or does not answer.
    pub fn push(&self) -> Result<(), PushError> {
        self.send(Http::put(&self.url), true)
    }

    /// Merges the current metrics into the group (`POST`).
    ///
    /// # Errors
    ///
    /// When the Pushgateway refuses them or does not answer.
    pub fn push_add(&self) -> Result<(), PushError> {
        self.send(Http::post(&self.url), true)
    }

    /// Deletes the group.
    ///
    /// # Errors
    ///
    /// When the Pushgateway refuses or does not answer.
    pub fn delete(&self) -> Result<(), PushError> {
        self.send(Http::delete(&self.url), false)
    }

    /// A push reporter named `pushgateway` replacing the group (`PUT`) on
    /// each report, with this timeout: its own counts are
    /// `reporter.pushgateway.*` (see [`Own`]).
    pub fn builder(self) -> Push<PushEncoder, Http> {
        Push::new(
            "pushgateway",
            PushEncoder::new(&self.exporter),
            Http::put(&self.url),
        )
        .timeout(self.timeout)
    }

    /// Pushes (`PUT`) every `interval` on a reporter thread of its own
    /// (named `pushgateway`), and once more when it is stopped.
    ///
    /// # Errors
    ///
    /// As [`Push::start`].
    pub fn every(self, interval: Duration) -> Result<PeriodicReporter, BuildError> {
        let registry = self.exporter.registry().clone();
        self.builder().start(&registry, interval)
    }

    /// One request of `http`, with the registry's exposition if `with_body`.
    fn send(&self, mut http: Http, with_body: bool) -> Result<(), PushError> {
        let settings = Settings {
            timeout: self.timeout,
            ..Settings::default()
        };
        let own = Own::off("pushgateway");
        Transport::<Body>::prepare(&mut http, &settings, &own)
            .map_err(|e| PushError::Invalid(e.to_string()))?;
        let mut body = Body::default();
        if with_body {
            let snapshot = self.exporter.registry().snapshot();
            PushEncoder::new(&self.exporter).encode(&snapshot, SystemTime::now(), &mut body);
        }
        let Err(undelivered) = http.send(&body) else {
            return Ok(());
        };
        Err(match undelivered.error.downcast_ref::<HttpError>() {
            Some(HttpError::Refused {
                status, message, ..
            }) => PushError::Rejected {
                status: *status,
                message: message.clone(),
            },
            _ => PushError::Unreachable(undelivered.error.to_string()),
        })
    }
}

/// Appends `/<label>/<value>`, or `/<label>@base64/<value in base64>`.
fn push_segment(url: &mut String, label: &str, value: &str) {
    url.push('/');
    url.push_str(label);
    // `.` and `..` would be resolved away as path segments.
    let plain = !value.bytes().all(|b| b == b'.')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if plain {
        url.push('/');
        url.push_str(value);
    } else {
        url.push_str("@base64/");
        if value.is_empty() {
            // An empty value is `=`, as the Pushgateway expects.
            url.push('=');
        } else {
            push_base64(url, value.as_bytes(), Base64::UrlSafe);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(value: &str) -> String {
        let mut out = String::new();
        push_segment(&mut out, "l", value);
        out
    }

    #[test]
    fn values_that_are_not_plain_go_in_url_safe_base64() {
        // The RFC's examples are tachymeter-report's `push_base64` test.
        assert_eq!(segment(""), "/l@base64/=");
        assert_eq!(segment("/a?>"), "/l@base64/L2E_Pg==");
        assert_eq!(segment("f o"), "/l@base64/ZiBv");
        assert_eq!(segment("foo"), "/l/foo");
    }

    #[test]
    fn grouping_values_with_slashes_use_base64() {
        let registry = tachymeter_core::Registry::new();
        let exporter = PrometheusExporter::new(&registry);
        let p = Pushgateway::new("http://h:9091/", "batch", &exporter)
            .grouping("path", "/var/tmp")
            .grouping("in-stance", "a.b")
            .grouping("dots", "..");
        assert_eq!(
            p.url(),
            "http://h:9091/metrics/job/batch/path@base64/L3Zhci90bXA=/in_stance/a.b/dots@base64/Li4="
        );
    }
}
