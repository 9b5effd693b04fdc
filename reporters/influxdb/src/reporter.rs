//! [`InfluxReporter`]: encodes each snapshot, buffers the points and writes
//! them to InfluxDB in batches (feature `http`).

use crate::buffer::PointBuffer;
use crate::connection::{Api, Connection, Outcome};
use crate::own::OwnMetrics;
use crate::{Encoder, Precision, MAX_KEY_LENGTH};
use std::fmt;
use std::time::{Duration, Instant, SystemTime};
use tachymeter_core::{Registry, RegistrySnapshot};
use tachymeter_report::{
    DurationUnit, PeriodicReporter, PushSettings, Report, ReportError, SeriesNames,
};

/// Lines per request unless [`InfluxReporterBuilder::batch_size`] says
/// otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 5_000;

/// Points kept while the server cannot take them, unless
/// [`InfluxReporterBuilder::buffer_capacity`] says otherwise.
pub const DEFAULT_BUFFER_CAPACITY: usize = 10_000;

/// How long one request may take unless
/// [`InfluxReporterBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest [`InfluxReporterBuilder::timeout`] taken.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// A report spends at most this many request timeouts, retries included.
const BUDGET_TIMEOUTS: u32 = 2;

/// Requests sent again after a failure, per batch and report.
const RETRIES: u32 = 2;

/// The pause before the first retry; it doubles for each next one.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Writes a registry to InfluxDB 1.x (`/write`) or 2.x (`/api/v2/write`) as
/// line protocol, one point per metric per report (see [`Encoder`] for the
/// names, tags, fields and escaping).
///
/// Each report:
///
/// 1. encodes the snapshot with one wall-clock timestamp, leaving out NaN
///    and ±Inf fields, points whose series clashes with an earlier one's
///    once names are cleaned, and points whose key is too long for the
///    server (see [`MAX_KEY_LENGTH`](crate::MAX_KEY_LENGTH));
/// 2. appends the points to a bounded buffer; when it is full, the oldest
///    points are dropped;
/// 3. writes the buffer, oldest first, in batches of at most
///    [`batch_size`](InfluxReporterBuilder::batch_size) lines. A batch that
///    gets no answer, times out, or is answered 429 or 5xx is retried
///    twice, after 100 ms then 200 ms; if it still fails, it and everything
///    after it stay buffered for the next report, and the report returns
///    an error. A batch answered with another status (400 parse error, 401,
///    403, 404 unknown database, 413, …) is dropped, counted, and the
///    server's message is logged; the report goes on with the next batch
///    and returns an error at the end. Of a 1.x partial write, only the
///    points the server says it refused are counted as refused: `dropped=N`,
///    or, when lines could not be parsed (it then says `dropped=0`), one
///    per `unable to parse` in its message; the others count as sent.
///
/// Every request ends within the [`timeout`](InfluxReporterBuilder::timeout),
/// and a whole report within twice the timeout, so a dead or stalled server
/// never holds the reporter thread for long; points it could not write
/// wait for the next report.
///
/// Its own counts are metrics in the same registry, under
/// `reporter.<name>.` (name `influxdb` unless
/// [`name`](InfluxReporterBuilder::name) says otherwise): `sent-points`,
/// `dropped-overflow` (oldest points dropped from a full buffer),
/// `dropped-rejected` (points the server refused), `dropped-clashes`
/// (points whose series is another's once cleaned, see [`Encoder`]),
/// `dropped-too-long` (key over [`MAX_KEY_LENGTH`](crate::MAX_KEY_LENGTH)
/// bytes), `dropped-fields` (NaN
/// and ±Inf), `saturated-fields` (unsigned values above `i64::MAX`, written
/// as `i64::MAX`), `rejected-batches`, `failed-requests`, `retries`, and
/// the gauge `buffered-points`. With
/// [`start`](InfluxReporterBuilder::start), the
/// [`PeriodicReporter`]'s own `reporter.<name>.reports`, `.failures`, …
/// join them.
///
/// HTTPS needs one of reqwest's TLS features, enabled in the application's
/// own `Cargo.toml`.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use tachymeter_influxdb::InfluxReporter;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.counter("jobs.done")?.inc(1);
///
/// let reporter = InfluxReporter::v1("http://127.0.0.1:8086", "metrics")
///     .tag("host", "web-1")
///     .prefix("myapp.")
///     .start(&registry, Duration::from_secs(10))?;
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug)]
pub struct InfluxReporter {
    encoder: Encoder,
    /// Each series key, settled once for the reporter's life.
    names: SeriesNames,
    connection: Connection,
    buffer: PointBuffer,
    batch_size: usize,
    timeout: Duration,
    own: OwnMetrics,
    name: String,
    /// Whether the points left out by the encoder were logged already.
    warned_left_out: bool,
}

/// Configures an [`InfluxReporter`]; see [`InfluxReporter::v1`] and
/// [`InfluxReporter::v2`].
///
/// See [`InfluxReporter::v1`] for an example.
#[derive(Debug)]
pub struct InfluxReporterBuilder {
    base_url: String,
    api: Api,
    encoder: Encoder,
    batch_size: usize,
    buffer_capacity: usize,
    push: PushSettings,
}

impl InfluxReporter {
    /// Writes to database `db` of the InfluxDB 1.x at `base_url` (e.g.
    /// `http://127.0.0.1:8086`) through `POST /write?db=<db>&precision=<p>`.
    /// InfluxDB 2.x serves this endpoint too, mapping `db` to a bucket.
    pub fn v1(base_url: &str, db: &str) -> InfluxReporterBuilder {
        InfluxReporterBuilder::new(
            base_url,
            Api::V1 {
                db: db.to_string(),
                credentials: None,
            },
        )
    }

    /// Writes to `bucket` of organisation `org` on the InfluxDB 2.x at
    /// `base_url` through `POST /api/v2/write?org=…&bucket=…&precision=…`,
    /// authenticated with `Authorization: Token <token>`.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_influxdb::InfluxReporter;
    ///
    /// let registry = Registry::new();
    /// let reporter = InfluxReporter::v2("http://127.0.0.1:8086", "acme", "metrics", "s3cr3t")
    ///     .build(&registry)?;
    /// assert_eq!(
    ///     reporter.url(),
    ///     "http://127.0.0.1:8086/api/v2/write?org=acme&bucket=metrics&precision=ms"
    /// );
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn v2(base_url: &str, org: &str, bucket: &str, token: &str) -> InfluxReporterBuilder {
        InfluxReporterBuilder::new(
            base_url,
            Api::V2 {
                org: org.to_string(),
                bucket: bucket.to_string(),
                token: token.to_string(),
            },
        )
    }

    /// The write URL, parameters included.
    pub fn url(&self) -> &str {
        self.connection.url().as_str()
    }

    /// How many points wait to be written.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Writes the buffer, batch by batch, until it is empty, a batch fails
    /// after its retries, or `deadline` passes.
    fn flush(&mut self, deadline: Instant) -> Result<(), Problem> {
        let mut refused: Option<Refused> = None;
        while !self.buffer.is_empty() {
            let (body, n) = self.buffer.batch(self.batch_size);
            match self.write_batch(body, n, deadline) {
                Ok(None) => {}
                Ok(Some(mut now)) => {
                    if let Some(before) = refused {
                        now.batches += before.batches;
                        now.points += before.points;
                    }
                    refused = Some(now);
                }
                Err(why) => {
                    return Err(Problem::Undelivered {
                        url: self.url().to_string(),
                        waiting: self.buffer.len(),
                        why,
                    })
                }
            }
            self.buffer.remove(n);
        }
        refused.map_or(Ok(()), |r| Err(Problem::Refused(r)))
    }

    /// Writes one batch of `n` points: `Ok` once it is stored, or refused
    /// for good (with what was refused), `Err` with the last failure if it
    /// should be tried again later.
    fn write_batch(
        &self,
        body: String,
        n: usize,
        deadline: Instant,
    ) -> Result<Option<Refused>, String> {
        let n = n as u64;
        let mut attempt = 0;
        let mut last_failure = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(last_failure.unwrap_or_else(|| "the report's time is up".to_string()));
            }
            if attempt > 0 {
                self.own.retries.inc(1);
            }
            match self.connection.write(body.clone(), left.min(self.timeout)) {
                Outcome::Written => {
                    self.own.sent_points.inc(n);
                    return Ok(None);
                }
                Outcome::Refused {
                    status,
                    message,
                    refused,
                } => {
                    let dropped = refused.map_or(n, |d| d.min(n));
                    self.own.rejected_batches.inc(1);
                    self.own.dropped_rejected.inc(dropped);
                    self.own.sent_points.inc(n - dropped);
                    log::error!(
                        "metrics reporter {:?}: InfluxDB answered {status} to a batch of {n} \
                         points and dropped {dropped} of them: {message}",
                        self.name
                    );
                    return Ok(Some(Refused {
                        batches: 1,
                        points: dropped,
                        status,
                        message,
                    }));
                }
                Outcome::Failed(why) => {
                    self.own.failed_requests.inc(1);
                    if attempt == RETRIES {
                        return Err(why);
                    }
                    attempt += 1;
                    log::debug!(
                        "metrics reporter {:?}: write failed ({why}), retry {attempt} of {RETRIES}",
                        self.name
                    );
                    last_failure = Some(why);
                    let left = deadline.saturating_duration_since(Instant::now());
                    std::thread::sleep((FIRST_BACKOFF * (1 << (attempt - 1))).min(left));
                }
            }
        }
    }
}

impl Report for InfluxReporter {
    /// Encodes `snapshot`, buffers its points and writes the buffer. An
    /// error if points are left waiting because the server failed, or if
    /// the server refused points (they are dropped; the error carries its
    /// message).
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        let deadline = Instant::now() + self.timeout * BUDGET_TIMEOUTS;
        let encoded = self
            .encoder
            .encode_named(&mut self.names, snapshot, SystemTime::now());
        self.own.dropped_fields.inc(encoded.dropped_fields);
        self.own.saturated_fields.inc(encoded.saturated_fields);
        self.own.dropped_clashes.inc(encoded.dropped_clashes);
        self.own.dropped_too_long.inc(encoded.dropped_too_long);
        if encoded.dropped_clashes + encoded.dropped_too_long > 0 && !self.warned_left_out {
            self.warned_left_out = true;
            log::warn!(
                "metrics reporter {:?}: left out {} points whose series clashes with another's \
                 once cleaned and {} whose key is longer than {MAX_KEY_LENGTH} bytes \
                 (counted in reporter.{}.dropped-clashes and .dropped-too-long; said once)",
                self.name,
                encoded.dropped_clashes,
                encoded.dropped_too_long,
                self.name
            );
        }
        let overflow = self.buffer.extend(encoded.lines);
        if overflow > 0 {
            self.own.dropped_overflow.inc(overflow);
            log::warn!(
                "metrics reporter {:?}: buffer full, dropped the {overflow} oldest points",
                self.name
            );
        }
        let outcome = self.flush(deadline);
        let waiting = i64::try_from(self.buffer.len()).unwrap_or(i64::MAX);
        self.own.buffered_points.update(waiting);
        outcome.map_err(ReportError::new)
    }
}

impl InfluxReporterBuilder {
    fn new(base_url: &str, api: Api) -> Self {
        Self {
            base_url: base_url.to_string(),
            api,
            encoder: Encoder::new(),
            batch_size: DEFAULT_BATCH_SIZE,
            buffer_capacity: DEFAULT_BUFFER_CAPACITY,
            push: PushSettings::new("influxdb", DEFAULT_TIMEOUT),
        }
    }

    /// Adds a tag to every point (see [`Encoder::tag`]); a metric's own
    /// label with the same key wins.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.encoder = self.encoder.tag(key, value);
        self
    }

    /// Puts `prefix` before every measurement name (e.g. `myapp.`).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.encoder = self.encoder.prefix(prefix);
        self
    }

    /// The unit of timer durations (default milliseconds).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.encoder = self.encoder.duration_unit(unit);
        self
    }

    /// The unit of timestamps, also sent as the `precision` parameter
    /// (default [`Precision::Milliseconds`]).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.encoder = self.encoder.precision(precision);
        self
    }

    /// The most lines per request (default [`DEFAULT_BATCH_SIZE`]; at
    /// least 1).
    pub fn batch_size(mut self, lines: usize) -> Self {
        self.batch_size = lines.max(1);
        self
    }

    /// The most points kept while the server cannot take them (default
    /// [`DEFAULT_BUFFER_CAPACITY`]; at least 1). Beyond it the oldest are
    /// dropped and counted in `reporter.<name>.dropped-overflow`.
    pub fn buffer_capacity(mut self, points: usize) -> Self {
        self.buffer_capacity = points.max(1);
        self
    }

    tachymeter_report::push_setters!(name: "influxdb");

    /// How long one request may take, from connecting to the end of the
    /// answer (default [`DEFAULT_TIMEOUT`]; at most an hour). A report
    /// takes at most twice as long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.push.set_timeout(timeout.min(MAX_TIMEOUT));
        self
    }

    /// Authenticates to InfluxDB 1.x with HTTP basic authentication. With
    /// [`InfluxReporter::v2`] the token authenticates and this is ignored.
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        if let Api::V1 { credentials, .. } = &mut self.api {
            *credentials = Some((user.to_string(), password.to_string()));
        }
        self
    }

    /// The reporter, to run by hand ([`Report::report`]) or hand to a
    /// [`PeriodicReporter`] yourself, with its own metrics registered in
    /// `registry`.
    ///
    /// Fails if the URL is not a valid `http(s)://` URL, the token cannot
    /// be sent in a header, or one of the own metric names is taken by
    /// another kind of metric.
    pub fn build(self, registry: &Registry) -> Result<InfluxReporter, ReportError> {
        let precision = self.encoder.timestamp_precision();
        let timeout = self.push.timeout();
        let connection = Connection::new(&self.base_url, self.api, precision, timeout)?;
        let own = OwnMetrics::register(registry, self.push.name())?;
        Ok(InfluxReporter {
            encoder: self.encoder,
            names: SeriesNames::new(),
            connection,
            buffer: PointBuffer::new(self.buffer_capacity),
            batch_size: self.batch_size,
            timeout,
            own,
            name: self.push.name().to_string(),
            warned_left_out: false,
        })
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped (which sends one
    /// final report). Its [`stop`](PeriodicReporter::stop) and
    /// [`report_now`](PeriodicReporter::report_now) wait for a report up to
    /// twice the timeout plus one second. Fails as [`build`](Self::build)
    /// does, or if the thread cannot start.
    pub fn start(
        self,
        registry: &Registry,
        interval: Duration,
    ) -> Result<PeriodicReporter, ReportError> {
        let push = self.push.clone();
        push.start(registry, interval, self.build(registry)?, BUDGET_TIMEOUTS)
    }
}

/// Why a report did not write everything.
#[derive(Debug)]
enum Problem {
    /// The server could not be reached or failed: points wait.
    Undelivered {
        url: String,
        waiting: usize,
        why: String,
    },
    /// The server refused batches: their points are gone.
    Refused(Refused),
}

/// Batches the server refused in one report; status and message of the
/// last.
#[derive(Debug)]
struct Refused {
    batches: u64,
    points: u64,
    status: u16,
    message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Undelivered { url, waiting, why } => write!(
                f,
                "cannot write to {url}: {why}; {waiting} points kept for the next report"
            ),
            Problem::Refused(r) => write!(
                f,
                "InfluxDB refused {} batches and dropped {} points; last answer {}: {}",
                r.batches, r.points, r.status, r.message
            ),
        }
    }
}

impl std::error::Error for Problem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_metric_clash_fails_the_build() {
        let registry = Registry::new();
        registry.gauge("reporter.influxdb.retries").unwrap();
        let built = InfluxReporter::v1("http://127.0.0.1:1", "db").build(&registry);
        assert!(built.unwrap_err().to_string().contains("retries"));
    }

    #[test]
    fn bad_url_fails_the_build() {
        let registry = Registry::new();
        let built = InfluxReporter::v1("127.0.0.1:8086", "db").build(&registry);
        assert!(built
            .unwrap_err()
            .to_string()
            .contains("invalid InfluxDB URL"));
    }
}
