//! [`Http`]: the transport of request bodies (the Pushgateway, OTLP) and of
//! [`Lines`] sent in batches (InfluxDB), on a blocking HTTP client.

use super::{Settings, Transport, Undelivered};
use crate::{push_base64, Base64, Body, BuildError, Lines, Own, Payload, ReportError};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use tachymeter_core::{Counter, Gauge};

/// The statuses [`Http`] tries again after (OTLP's list: too many requests,
/// bad gateway, unavailable, gateway timeout), besides no answer at all.
pub const RETRYABLE: [u16; 4] = [429, 502, 503, 504];

/// The longest answer kept for a message.
const MAX_MESSAGE: usize = 512;
/// The pause before the first retry of a request; it doubles for each next
/// one.
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// A server's answer to one request, for the function that says how many
/// of its points the server refused (see [`Http::refused`]).
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The body of the answer.
    pub body: &'a [u8],
    /// Points the request held.
    pub points: u64,
}

impl Answer<'_> {
    /// None for a success, all for any other status: what a server that
    /// takes a request whole or not at all means.
    pub fn all_or_nothing(&self) -> u64 {
        if (200..300).contains(&self.status) {
            0
        } else {
            self.points
        }
    }
}

/// Sends a [`Body`] as one request, or [`Lines`] in requests of at most
/// [`batch`](Self::batch) lines, to one URL, on a blocking client (`ureq`,
/// no TLS: for `https` URLs enable `ureq`'s `rustls` feature in the
/// application's own `Cargo.toml`).
///
/// - Each request ends within the reporter's timeout, and a whole send
///   within twice that: a dead or stalled server never holds the reporter
///   thread for long.
/// - A request that gets no answer, or a [retryable](Self::retry_on)
///   status (by default [`RETRYABLE`]), is sent again up to
///   [`retries`](Self::retries) times (default 2), after 100 ms, then
///   200 ms, … (each scaled by a random factor between 0.5 and 1, so that
///   reporters that failed together do not retry together), or after the
///   server's `Retry-After` (seconds or a date) when it gives one within
///   the time left.
/// - Any other answer ends the request: [`refused`](Self::refused) says how
///   many of its points the server refused (by default all, unless the
///   status is 2xx); they are dropped and counted, the server's message
///   ([`describe`](Self::describe)) is logged (once while it stays the
///   same), and the send goes on with the next batch.
/// - Bodies are sent as they are, or compressed ([`gzip`](Self::gzip)).
/// - Lines that could not be delivered wait in a buffer of at most
///   [`buffer`](Self::buffer) points (default none: they are dropped) for
///   the next send, oldest first; when it is full, the oldest are dropped.
///
/// Its own counters (see [`Own`]): `sent-points`, `dropped-refused`,
/// `dropped-unsent`, `dropped-overflow`, `send-failures` (requests that got
/// no answer, or a retryable status), `retries`, and the gauge
/// `buffered-points`.
///
/// ```
/// use tachymeter_report::Http;
///
/// let influx = Http::post("http://127.0.0.1:8086/write")
///     .query("db", "metrics db")
///     .header("Authorization", "Token secret")
///     .batch(5_000)
///     .buffer(10_000);
/// assert_eq!(influx.url(), "http://127.0.0.1:8086/write?db=metrics%20db");
/// ```
#[derive(Debug)]
pub struct Http {
    method: &'static str,
    url: String,
    headers: Vec<(String, String)>,
    batch: usize,
    capacity: usize,
    retries: u32,
    retryable: Vec<u16>,
    refused: fn(&Answer<'_>) -> u64,
    describe: fn(&Answer<'_>) -> String,
    gzip: bool,
    timeout: Duration,
    live: Option<Live>,
    /// Lines waiting for the next send, oldest first.
    waiting: VecDeque<String>,
}

#[derive(Debug)]
struct Live {
    agent: ureq::Agent,
    name: String,
    sent: Counter,
    refused: Counter,
    unsent: Counter,
    overflow: Counter,
    failures: Counter,
    retries: Counter,
    buffered: Gauge,
    /// The last refusal logged, said again only once it changes.
    logged: std::cell::RefCell<String>,
}

/// Why an [`Http`] send did not deliver everything: the server refused
/// points, or did not answer in time.
///
/// It is the error inside the [`Undelivered`] an [`Http`] send returns, so
/// callers can tell the two apart with `downcast_ref::<HttpError>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The server answered, and refused `points` points.
    Refused {
        /// The URL.
        url: String,
        /// The (last) status it answered with.
        status: u16,
        /// Points it refused.
        points: u64,
        /// Its message, shortened.
        message: String,
    },
    /// No answer, or only retryable ones, within the time allowed; the
    /// points that wait in the buffer are `waiting`.
    NoAnswer {
        /// The URL.
        url: String,
        /// The last failure.
        why: String,
        /// Points kept for the next send.
        waiting: usize,
    },
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Refused {
                url,
                status,
                points,
                message,
            } => write!(
                f,
                "{url} answered {status} and refused {points} points: {message}"
            ),
            HttpError::NoAnswer { url, why, waiting } if *waiting > 0 => write!(
                f,
                "no answer from {url}: {why} ({waiting} points kept for the next report)"
            ),
            HttpError::NoAnswer { url, why, .. } => write!(f, "no answer from {url}: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// What the server refused of a request it answered.
#[derive(Debug, Default)]
struct Refusal {
    points: u64,
    status: u16,
    message: String,
}

impl Refusal {
    /// The error for a send whose points were refused.
    fn describe(&self, url: &str) -> HttpError {
        HttpError::Refused {
            url: url.to_string(),
            status: self.status,
            points: self.points,
            message: self.message.clone(),
        }
    }

    /// Adds `later`'s points to these, keeping the latest answer.
    fn and(self, later: Refusal) -> Refusal {
        if later.points == 0 {
            return self;
        }
        Refusal {
            points: self.points + later.points,
            ..later
        }
    }
}

/// How one request ended.
enum Outcome {
    /// The server took it; `refused` of its points it did not.
    Answered {
        refused: u64,
        status: u16,
        message: String,
    },
    /// No answer, or a retryable status: it may succeed later.
    Failed {
        why: String,
        retry_after: Option<Duration>,
    },
}

impl Http {
    fn new(method: &'static str, url: &str) -> Self {
        Http {
            method,
            url: url.to_string(),
            headers: Vec::new(),
            batch: usize::MAX,
            capacity: 0,
            retries: 2,
            retryable: RETRYABLE.to_vec(),
            refused: |answer| answer.all_or_nothing(),
            describe: |answer| shorten(answer.body),
            gzip: false,
            timeout: Settings::default().timeout,
            live: None,
            waiting: VecDeque::new(),
        }
    }

    /// `POST` requests to `target`, a URL.
    pub fn post(target: &str) -> Self {
        Self::new("POST", target)
    }

    /// `PUT` requests to `target`, a URL.
    pub fn put(target: &str) -> Self {
        Self::new("PUT", target)
    }

    /// `DELETE` requests to `target`, a URL (the body, if any, is ignored
    /// by most servers).
    pub fn delete(target: &str) -> Self {
        Self::new("DELETE", target)
    }

    /// Appends `name=value` to the URL's query, both percent-encoded.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.url
            .push(if self.url.contains('?') { '&' } else { '?' });
        escape(&mut self.url, name);
        self.url.push('=');
        escape(&mut self.url, value);
        self
    }

    /// Adds a header to every request (one that cannot be sent, such as a
    /// value with a line feed, fails when the reporter is built).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Authenticates every request with HTTP basic authentication.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let mut value = "Basic ".to_string();
        push_base64(
            &mut value,
            format!("{user}:{password}").as_bytes(),
            Base64::Standard,
        );
        self.header("Authorization", &value)
    }

    /// Lines per request, at least 1 (default: all in one).
    pub fn batch(mut self, lines: usize) -> Self {
        self.batch = lines.max(1);
        self
    }

    /// Points kept for the next send when they could not be delivered
    /// (default 0: dropped, counted in `dropped-unsent`).
    pub fn buffer(mut self, points: usize) -> Self {
        self.capacity = points;
        self
    }

    /// Times a request is sent again after no answer or a retryable status
    /// (default 2).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The statuses after which a request is sent again (default
    /// [`RETRYABLE`]).
    pub fn retry_on(mut self, statuses: &[u16]) -> Self {
        self.retryable = statuses.to_vec();
        self
    }

    /// How many of a request's points the server refused, read from its
    /// answer (default [`Answer::all_or_nothing`]): for a server that
    /// stores part of a request (InfluxDB's partial writes, OTLP's partial
    /// success).
    pub fn refused(mut self, refused: fn(&Answer<'_>) -> u64) -> Self {
        self.refused = refused;
        self
    }

    /// The server's message in an answer, for the log and the error
    /// (default: the answer's text, shortened): for a server whose answers
    /// are not text (OTLP's protobuf).
    pub fn describe(mut self, describe: fn(&Answer<'_>) -> String) -> Self {
        self.describe = describe;
        self
    }

    /// Whether request bodies are compressed with gzip (`Content-Encoding:
    /// gzip`; default `false`).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// The URL, query included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Lines waiting for the next send.
    pub fn buffered(&self) -> usize {
        self.waiting.len()
    }

    /// Sends `body` (of `content_type`, holding `points` points) as one
    /// request, with its retries, before `deadline`.
    fn request(
        &self,
        live: &Live,
        body: &[u8],
        content_type: &str,
        points: u64,
        deadline: Instant,
    ) -> Result<Refusal, String> {
        let compressed;
        let body = if self.gzip {
            compressed = gzip(body);
            &compressed[..]
        } else {
            body
        };
        let mut attempt = 0;
        let mut last = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(last.unwrap_or_else(|| "the report's time is up".to_string()));
            }
            if attempt > 0 {
                live.retries.inc(1);
            }
            match self.attempt(live, body, content_type, points, left.min(self.timeout)) {
                Outcome::Answered {
                    refused,
                    status,
                    message,
                } => {
                    live.sent.inc(points - refused);
                    if refused > 0 {
                        live.refused.inc(refused);
                        // Said once while the answer stays the same.
                        let said = format!("{status}: {message}");
                        if *live.logged.borrow() != said {
                            log::error!(
                                "metrics reporter {:?}: {} answered {status} to a request of \
                                 {points} points and refused {refused} of them: {message} \
                                 (counted in reporter.{}.dropped-refused; said again when the \
                                 answer changes)",
                                live.name,
                                self.url,
                                live.name
                            );
                            *live.logged.borrow_mut() = said;
                        }
                    }
                    return Ok(Refusal {
                        points: refused,
                        status,
                        message,
                    });
                }
                Outcome::Failed { why, retry_after } => {
                    live.failures.inc(1);
                    if attempt == self.retries {
                        return Err(why);
                    }
                    attempt += 1;
                    let pause = retry_after
                        .unwrap_or_else(|| jittered(FIRST_RETRY * (1 << (attempt - 1).min(16))));
                    let left = deadline.saturating_duration_since(Instant::now());
                    if pause > left {
                        return Err(why);
                    }
                    log::debug!(
                        "metrics reporter {:?}: request failed ({why}), retry {attempt} of {} in \
                         {pause:?}",
                        live.name,
                        self.retries
                    );
                    last = Some(why);
                    std::thread::sleep(pause);
                }
            }
        }
    }

    /// One request, bounded by `timeout`.
    fn attempt(
        &self,
        live: &Live,
        body: &[u8],
        content_type: &str,
        points: u64,
        timeout: Duration,
    ) -> Outcome {
        let failed = |why: String| Outcome::Failed {
            why,
            retry_after: None,
        };
        let mut request = ureq::http::Request::builder()
            .method(self.method)
            .uri(self.url.as_str());
        if !content_type.is_empty() {
            request = request.header("Content-Type", content_type);
        }
        if self.gzip {
            request = request.header("Content-Encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = match request.body(body) {
            Ok(request) => request,
            Err(e) => return failed(format!("cannot make the request: {e}")),
        };
        let request = live
            .agent
            .configure_request(request)
            .timeout_global(Some(timeout))
            .build();
        let mut response = match live.agent.run(request) {
            Ok(response) => response,
            Err(e @ ureq::Error::Timeout(_)) => return failed(format!("timed out ({e})")),
            Err(e) => return failed(e.to_string()),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        let text = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .unwrap_or_default();
        if self.retryable.contains(&status) {
            return Outcome::Failed {
                why: format!("{status}: {}", shorten(&text)),
                retry_after,
            };
        }
        let answer = Answer {
            status,
            body: &text,
            points,
        };
        Outcome::Answered {
            refused: (self.refused)(&answer).min(points),
            status,
            message: (self.describe)(&answer),
        }
    }

    fn prepared(&self) -> Result<&Live, Undelivered> {
        self.live
            .as_ref()
            .ok_or_else(|| Undelivered::new(0, "the transport was not prepared"))
    }
}

impl Transport<Body> for Http {
    fn prepare(&mut self, settings: &Settings, own: &Own) -> Result<(), BuildError> {
        prepare(self, settings, own)
    }

    fn send(&mut self, body: &Body) -> Result<(), Undelivered> {
        let live = self.prepared()?;
        let deadline = Instant::now() + self.timeout * 2;
        let points = body.points();
        match self.request(live, body.bytes(), body.content_type(), points, deadline) {
            // A request with no points (a `DELETE`) fails by its status.
            Ok(Refusal {
                points: 0, status, ..
            }) if (200..300).contains(&status) || points > 0 => Ok(()),
            Ok(refusal) => Err(Undelivered::new(
                points - refusal.points,
                ReportError::new(refusal.describe(&self.url)),
            )),
            Err(why) => {
                live.unsent.inc(points);
                Err(Undelivered::new(
                    0,
                    format!("no answer from {}: {why}", self.url),
                ))
            }
        }
    }

    fn target(&self) -> &str {
        &self.url
    }

    fn attempts(&self) -> u32 {
        2
    }

    fn default_timeout(&self) -> Duration {
        Duration::from_secs(5)
    }
}

impl Transport<Lines> for Http {
    fn prepare(&mut self, settings: &Settings, own: &Own) -> Result<(), BuildError> {
        prepare(self, settings, own)
    }

    /// Adds the lines to the buffer and sends it, oldest first, batch by
    /// batch, until it is empty, a batch fails after its retries, or the
    /// time (twice the timeout) is up.
    fn send(&mut self, lines: &Lines) -> Result<(), Undelivered> {
        self.prepared()?;
        let live = self.live.take().expect("prepared above");
        let result = self.send_lines(&live, lines);
        self.live = Some(live);
        result
    }

    fn target(&self) -> &str {
        &self.url
    }

    fn attempts(&self) -> u32 {
        2
    }

    fn default_timeout(&self) -> Duration {
        Duration::from_secs(5)
    }
}

impl Http {
    fn send_lines(&mut self, live: &Live, lines: &Lines) -> Result<(), Undelivered> {
        let deadline = Instant::now() + self.timeout * 2;
        let mut overflow = 0;
        for line in lines.iter() {
            if self.waiting.len() >= self.capacity.max(1) && self.capacity > 0 {
                self.waiting.pop_front();
                overflow += 1;
            }
            self.waiting.push_back(line.to_string());
        }
        if overflow > 0 {
            live.overflow.inc(overflow);
            log::warn!(
                "metrics reporter {:?}: buffer full, dropped the {overflow} oldest points",
                live.name
            );
        }
        let (mut refused, mut body) = (Refusal::default(), String::new());
        let mut failure = None;
        while !self.waiting.is_empty() {
            let n = self.waiting.len().min(self.batch);
            body.clear();
            for line in self.waiting.iter().take(n) {
                body.push_str(line);
                body.push('\n');
            }
            let content_type = "text/plain; charset=utf-8";
            match self.request(live, body.as_bytes(), content_type, n as u64, deadline) {
                Ok(r) => refused = refused.and(r),
                Err(why) => {
                    failure = Some(why);
                    break;
                }
            }
            self.waiting.drain(..n);
        }
        if self.capacity == 0 && failure.is_some() {
            live.unsent.inc(self.waiting.len() as u64);
            self.waiting.clear();
        }
        let waiting = self.waiting.len();
        live.buffered
            .update(i64::try_from(waiting).unwrap_or(i64::MAX));
        let total = lines.points();
        match failure {
            Some(why) => Err(Undelivered::new(
                total.saturating_sub(waiting as u64),
                ReportError::new(HttpError::NoAnswer {
                    url: self.url.clone(),
                    why,
                    waiting,
                }),
            )),
            None if refused.points > 0 => Err(Undelivered::new(
                total.saturating_sub(refused.points),
                ReportError::new(refused.describe(&self.url)),
            )),
            None => Ok(()),
        }
    }
}

/// Checks the URL, builds the client and registers the counters.
fn prepare(http: &mut Http, settings: &Settings, own: &Own) -> Result<(), BuildError> {
    let uri: ureq::http::Uri = http
        .url
        .parse()
        .map_err(|e| BuildError::target(&http.url, format!("not a URL: {e}")))?;
    if uri.host().is_none() || !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(BuildError::target(&http.url, "not http(s)://host…"));
    }
    for (name, value) in &http.headers {
        let valid = ureq::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && ureq::http::HeaderValue::from_str(value).is_ok();
        if !valid {
            return Err(BuildError::target(
                &http.url,
                format!("the header {name:?} holds characters a header cannot carry"),
            ));
        }
    }
    http.timeout = settings.timeout.max(Duration::from_millis(1));
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(http.timeout))
        .max_idle_connections_per_host(1)
        .build()
        .into();
    http.live = Some(Live {
        agent,
        name: own.name().to_string(),
        sent: own.counter("sent-points")?,
        refused: own.counter("dropped-refused")?,
        unsent: own.counter("dropped-unsent")?,
        overflow: own.counter("dropped-overflow")?,
        failures: own.counter("send-failures")?,
        retries: own.counter("retries")?,
        buffered: own.gauge("buffered-points")?,
        logged: Default::default(),
    });
    Ok(())
}

/// Appends `text` percent-encoded for a URL query.
fn escape(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// How long a `Retry-After` header asks to wait: delta-seconds, or an
/// HTTP date (as long as it is ahead).
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// `pause` scaled by a random factor in [0.5, 1), so that reporters that
/// failed together do not retry together.
fn jittered(pause: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // A randomly keyed hasher: random enough, and no dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    pause.mul_f64(0.5 + (random >> 11) as f64 / (1u64 << 54) as f64)
}

/// `body` compressed with gzip.
fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

/// An answer's text, trimmed and shortened for a message.
fn shorten(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_escaped_and_headers_checked() {
        let http = Http::post("http://h:1/write")
            .query("db", "my db&x")
            .query("precision", "u");
        assert_eq!(http.url(), "http://h:1/write?db=my%20db%26x&precision=u");
        let own = Own::off("t");
        let mut bad = Http::post("http://h:1/").header("Authorization", "Token a\nb");
        let err = Transport::<Body>::prepare(&mut bad, &Settings::default(), &own).unwrap_err();
        assert!(matches!(err, BuildError::Target { .. }), "{err:?}");
        assert!(err.to_string().contains("Authorization"), "{err}");
        for url in ["127.0.0.1:8086", "not a url", "ftp://h/"] {
            let mut bad = Http::post(url);
            let err = Transport::<Body>::prepare(&mut bad, &Settings::default(), &own).unwrap_err();
            assert!(
                matches!(&err, BuildError::Target { target, .. } if target == url),
                "{err:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_and_pauses_are_jittered() {
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        let ahead = std::time::SystemTime::now() + Duration::from_secs(120);
        let wait = retry_after(&httpdate::fmt_http_date(ahead)).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
        let pauses: Vec<Duration> = (0..50).map(|_| jittered(Duration::from_secs(1))).collect();
        assert!(pauses
            .iter()
            .all(|p| (Duration::from_millis(500)..Duration::from_secs(1)).contains(p)));
        assert!(pauses.iter().any(|p| *p != pauses[0]), "not all alike");
    }

    #[test]
    fn gzip_bodies_read_back() {
        use std::io::Read;
        let body = b"a 1\n".repeat(1_000);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&body)[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let text = "é".repeat(MAX_MESSAGE + 10);
        let short = shorten(text.as_bytes());
        assert_eq!(short.chars().count(), MAX_MESSAGE + 1);
        assert!(short.ends_with('…'));
    }
}
