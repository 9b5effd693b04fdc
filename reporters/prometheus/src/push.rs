//! Pushing to a Prometheus Pushgateway (feature `push`).

use crate::names::label_name;
use crate::{Format, PrometheusExporter};
use std::fmt;
use std::time::Duration;
use tachymeter_report::{PeriodicReporter, Report, ReportError};

/// Pushes a [`PrometheusExporter`]'s exposition to a Pushgateway, in the
/// text format and without timestamps, under
/// `/metrics/job/<job>/<label>/<value>…`.
///
/// - [`push`](Self::push) replaces the group (HTTP `PUT`),
///   [`push_add`](Self::push_add) merges into it (`POST`),
///   [`delete`](Self::delete) removes it.
/// - Grouping values (and the job) that are empty, only dots, or hold
///   anything but `A–Z a–z 0–9 - . _ ~` go in the `<label>@base64/<value>`
///   form the Pushgateway requires for `/` (URL-safe base64).
/// - Every request ends by its [`timeout`](Self::timeout) (default 10 s).
/// - [`every`](Self::every) pushes on a
///   [`PeriodicReporter`](tachymeter_report::PeriodicReporter) thread, so a
///   slow or dead Pushgateway never holds up the application; failures are
///   logged and counted there.
///
/// HTTPS needs one of reqwest's TLS features, enabled in the application's
/// own `Cargo.toml` (e.g. `reqwest = { version = "0.12", features =
/// ["rustls-tls"] }`).
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use tachymeter_prometheus::{PrometheusExporter, Pushgateway};
///
/// # async fn run() -> Result<(), tachymeter_prometheus::PushError> {
/// let registry = Registry::new();
/// registry.counter("batch.rows")?.inc(1_000);
/// let pushgateway = Pushgateway::new("http://127.0.0.1:9091", "nightly-batch", &PrometheusExporter::new(&registry))
///     .grouping("instance", "db-1");
/// pushgateway.push().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Pushgateway {
    exporter: PrometheusExporter,
    url: String,
    client: reqwest::Client,
    timeout: Duration,
    runtime: Option<tokio::runtime::Runtime>,
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
    Transport(reqwest::Error),
    /// A metric name was refused by the registry.
    Registry(tachymeter_core::RegistryError),
    /// The runtime for blocking pushes could not be started.
    Runtime(std::io::Error),
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Rejected { status, message } => {
                write!(f, "the Pushgateway answered {status}: {}", message.trim())
            }
            PushError::Transport(e) => write!(f, "no answer from the Pushgateway: {e}"),
            PushError::Registry(e) => e.fmt(f),
            PushError::Runtime(e) => write!(f, "cannot start the push runtime: {e}"),
        }
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Transport(e) => Some(e),
            PushError::Registry(e) => Some(e),
            PushError::Runtime(e) => Some(e),
            PushError::Rejected { .. } => None,
        }
    }
}

impl From<tachymeter_core::RegistryError> for PushError {
    fn from(e: tachymeter_core::RegistryError) -> Self {
        PushError::Registry(e)
    }
}

impl Pushgateway {
    /// Pushes `exporter`'s metrics to the Pushgateway at `base_url` (e.g.
    /// `http://127.0.0.1:9091`) under job `job`.
    pub fn new(base_url: &str, job: &str, exporter: &PrometheusExporter) -> Self {
        let mut url = base_url.trim_end_matches('/').to_string();
        url.push_str("/metrics");
        push_segment(&mut url, "job", job);
        Self {
            exporter: exporter.clone(),
            url,
            client: reqwest::Client::new(),
            timeout: Duration::from_secs(10),
            runtime: None,
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
    pub async fn push(&self) -> Result<(), PushError> {
        self.send(reqwest::Method::PUT, true).await
    }

    /// Merges the current metrics into the group (`POST`).
    pub async fn push_add(&self) -> Result<(), PushError> {
        self.send(reqwest::Method::POST, true).await
    }

    /// Deletes the group.
    pub async fn delete(&self) -> Result<(), PushError> {
        self.send(reqwest::Method::DELETE, false).await
    }

    /// [`push`](Self::push), blocking the calling thread. Not for use inside
    /// an async runtime (use `push().await` there).
    pub fn push_blocking(&mut self) -> Result<(), PushError> {
        let runtime = match self.runtime.take() {
            Some(runtime) => runtime,
            None => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(PushError::Runtime)?,
        };
        // Only the runtime's own `block_on` drives its I/O and timers.
        let outcome = runtime.block_on(self.push());
        self.runtime = Some(runtime);
        outcome
    }

    /// Pushes (`PUT`) every `interval` on a reporter thread of its own
    /// (named `pushgateway`), and once more when it is stopped.
    pub fn every(self, interval: Duration) -> Result<PeriodicReporter, ReportError> {
        let registry = self.exporter.registry().clone();
        PeriodicReporter::builder(&registry, interval)
            .name("pushgateway")
            .timeout(self.timeout + Duration::from_secs(1))
            .start(self)
    }

    async fn send(&self, method: reqwest::Method, with_body: bool) -> Result<(), PushError> {
        let mut request = self.client.request(method, &self.url).timeout(self.timeout);
        if with_body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, Format::Text.content_type())
                .body(self.exporter.render(Format::Text));
        }
        let response = request.send().await.map_err(PushError::Transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let message = response.text().await.unwrap_or_default();
        Err(PushError::Rejected {
            status: status.as_u16(),
            message,
        })
    }
}

impl Report for Pushgateway {
    /// Pushes the registry's current metrics; the snapshot handed in is not
    /// used, as the exporter takes its own.
    fn report(&mut self, _: &tachymeter_core::RegistrySnapshot) -> Result<(), ReportError> {
        self.push_blocking().map_err(ReportError::new)
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
        base64_url(url, value.as_bytes());
    }
}

/// URL-safe base64 with padding (`=` for an empty value, as the
/// Pushgateway expects).
fn base64_url(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if bytes.is_empty() {
        out.push('=');
        return;
    }
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        let mut out = String::new();
        base64_url(&mut out, s.as_bytes());
        out
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(b64(""), "=");
        assert_eq!(b64("f"), "Zg==");
        assert_eq!(b64("fo"), "Zm8=");
        assert_eq!(b64("foo"), "Zm9v");
        assert_eq!(b64("foobar"), "Zm9vYmFy");
        assert_eq!(b64("/a?>"), "L2E_Pg==");
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
