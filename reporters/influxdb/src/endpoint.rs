//! [`Endpoint`]: where and how points are written, InfluxDB 1.x's
//! `/write` or 2.x's `/api/v2/write`, and the push reporter writing there.

use crate::{Encoder, Precision};
use tachymeter_report::{Answer, Http, Push, PushReporter};

/// Lines per request unless the transport says otherwise
/// ([`Http::batch`]).
pub const DEFAULT_BATCH_SIZE: usize = 5_000;

/// Points kept while the server cannot take them, unless the transport says
/// otherwise ([`Http::buffer`]).
pub const DEFAULT_BUFFER_CAPACITY: usize = 10_000;

/// A reporter to InfluxDB: [`Encoder`]'s lines written by an [`Http`]
/// transport.
pub type InfluxReporter = PushReporter<Encoder, Http>;

/// An InfluxDB write endpoint: its URL, database or bucket, credentials,
/// and the precision of the timestamps written (sent as the `precision`
/// parameter, so the server never has to guess).
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_influxdb::{Endpoint, Precision};
///
/// let registry = Registry::new();
/// let reporter = Endpoint::v2("http://127.0.0.1:8086", "acme", "metrics", "s3cr3t")
///     .precision(Precision::Seconds)
///     .builder()
///     .build(&registry)?;
/// assert_eq!(
///     reporter.target(),
///     "http://127.0.0.1:8086/api/v2/write?org=acme&bucket=metrics&precision=s"
/// );
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Endpoint {
    base_url: String,
    api: Api,
    precision: Precision,
}

/// Which write API, and how to authenticate to it.
#[derive(Debug, Clone)]
enum Api {
    V1 {
        db: String,
        credentials: Option<(String, String)>,
    },
    V2 {
        org: String,
        bucket: String,
        token: String,
    },
}

impl Endpoint {
    /// Database `db` of the InfluxDB 1.x at `target`, its base URL (e.g.
    /// `http://127.0.0.1:8086`), through `POST /write?db=<db>&precision=<p>`.
    /// InfluxDB 2.x serves this endpoint too, mapping `db` to a bucket.
    pub fn v1(target: &str, db: &str) -> Self {
        Endpoint {
            base_url: target.to_string(),
            api: Api::V1 {
                db: db.to_string(),
                credentials: None,
            },
            precision: Precision::default(),
        }
    }

    /// `bucket` of organisation `org` on the InfluxDB 2.x at `target`,
    /// through `POST /api/v2/write?org=…&bucket=…&precision=…`,
    /// authenticated with `Authorization: Token <token>`.
    pub fn v2(target: &str, org: &str, bucket: &str, token: &str) -> Self {
        Endpoint {
            base_url: target.to_string(),
            api: Api::V2 {
                org: org.to_string(),
                bucket: bucket.to_string(),
                token: token.to_string(),
            },
            precision: Precision::default(),
        }
    }

    /// Authenticates to InfluxDB 1.x with HTTP basic authentication. With
    /// [`v2`](Self::v2) the token authenticates and this is ignored.
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        if let Api::V1 { credentials, .. } = &mut self.api {
            *credentials = Some((user.to_string(), password.to_string()));
        }
        self
    }

    /// The unit of the timestamps written (default
    /// [`Precision::Milliseconds`]).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// A reporter named `influxdb` writing here: an [`Encoder`] with this
    /// precision on an [`Http`] transport posting batches of at most
    /// [`DEFAULT_BATCH_SIZE`] lines, keeping at most
    /// [`DEFAULT_BUFFER_CAPACITY`] points while the server cannot take
    /// them, sending a request again after no answer, 429 or a 5xx, and
    /// reading InfluxDB 1.x's partial writes (only the points the server
    /// says it refused count as refused: `dropped=N`, or one per `unable to
    /// parse` in its message).
    ///
    /// Every request ends within the timeout (default 5 s) and a report
    /// within twice that. Its own counts are under `reporter.influxdb.`
    /// (see [`Own`](tachymeter_report::Own)): `sent-points`,
    /// `dropped-refused`, `dropped-overflow`, `dropped-non-finite`,
    /// `dropped-clash`, `dropped-too-long`, `saturated-values`,
    /// `send-failures`, `retries` and the gauge `buffered-points`.
    ///
    /// A URL that is not `http(s)://host…`, or a token a header cannot
    /// carry, fails when the reporter is built. HTTPS needs `ureq`'s
    /// `rustls` feature, enabled in the application's own `Cargo.toml`.
    pub fn builder(self) -> Push<Encoder, Http> {
        let base = self.base_url.trim_end_matches('/');
        let http = match &self.api {
            Api::V1 { db, credentials } => {
                let http = Http::post(&format!("{base}/write"))
                    .query("db", db)
                    .query("precision", self.precision.v1_param());
                match credentials {
                    Some((user, password)) => http.basic_auth(user, password),
                    None => http,
                }
            }
            Api::V2 { org, bucket, token } => Http::post(&format!("{base}/api/v2/write"))
                .query("org", org)
                .query("bucket", bucket)
                .query("precision", self.precision.v2_param())
                .header("Authorization", &format!("Token {token}")),
        };
        let http = http
            .batch(DEFAULT_BATCH_SIZE)
            .buffer(DEFAULT_BUFFER_CAPACITY)
            .retry_on(&[429, 500, 502, 503, 504])
            .refused(refused);
        Push::new("influxdb", Encoder::new().precision(self.precision), http)
    }
}

/// [`Endpoint::v1`]`(target, db).builder()`: a reporter to database `db`
/// of the InfluxDB 1.x at `target`.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.counter("jobs.done")?.inc(1);
/// let reporter = tachymeter_influxdb::v1("http://127.0.0.1:8086", "metrics")
///     .map_encoder(|e| e.tag("host", "web-1").prefix("myapp."))
///     .start(&registry, Duration::from_secs(10))?;
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub fn v1(target: &str, db: &str) -> Push<Encoder, Http> {
    Endpoint::v1(target, db).builder()
}

/// [`Endpoint::v2`]`(target, org, bucket, token).builder()`: a reporter to
/// `bucket` of organisation `org` on the InfluxDB 2.x at `target`.
pub fn v2(target: &str, org: &str, bucket: &str, token: &str) -> Push<Encoder, Http> {
    Endpoint::v2(target, org, bucket, token).builder()
}

/// How many of a request's points the server refused: none if it stored
/// them (2xx), those an InfluxDB 1.x partial write says, else all.
fn refused(answer: &Answer<'_>) -> u64 {
    if (200..300).contains(&answer.status) {
        return 0;
    }
    let message = String::from_utf8_lossy(answer.body);
    refused_points(&message).unwrap_or(answer.points)
}

/// How many points an InfluxDB 1.x `partial write: … dropped=N` message
/// says were refused (it stored the others); `None` for any other message,
/// which refuses the whole batch.
///
/// When the write itself fails for some points (a field type conflict, …)
/// `N` counts them. When some lines cannot be parsed, InfluxDB stores the
/// others and says `partial write: unable to parse '<line>': <why>` once
/// per such line, followed by `dropped=0`: then the refused points are
/// the `unable to parse '` occurrences (or `N`, if ever larger). A line
/// the encoder writes holds no unescaped space in its name or tags, so the
/// phrase cannot come from a quoted line, and a reason such as `unable to
/// parse integer …` has no quote.
fn refused_points(message: &str) -> Option<u64> {
    if !message.contains("partial write") {
        return None;
    }
    let (_, rest) = message.rsplit_once("dropped=")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let dropped: u64 = digits.parse().ok()?;
    let unparsed = message.matches("unable to parse '").count() as u64;
    Some(dropped.max(unparsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_url_carries_the_database_and_precision() {
        let http = Endpoint::v1("http://127.0.0.1:8086/", "my db&x")
            .precision(Precision::Microseconds)
            .builder();
        let registry = tachymeter_core::Registry::new();
        let reporter = http.build(&registry).unwrap();
        assert_eq!(
            reporter.target(),
            "http://127.0.0.1:8086/write?db=my%20db%26x&precision=u"
        );
    }

    #[test]
    fn bad_urls_and_tokens_are_errors_when_built() {
        let registry = tachymeter_core::Registry::new();
        for url in ["127.0.0.1:8086", "not a url"] {
            assert!(v1(url, "d").build(&registry).is_err(), "{url}");
        }
        let err = v2("http://h:1", "o", "b", "line\nfeed")
            .build(&registry)
            .unwrap_err();
        assert!(err.to_string().contains("Authorization"), "{err}");
    }

    #[test]
    fn partial_writes_say_how_many_points_were_refused() {
        let conflict = r#"{"error":"partial write: field type conflict: input field \"count\" on measurement \"x\" is type float, already exists as type integer dropped=2"}"#;
        assert_eq!(refused_points(conflict), Some(2));
        assert_eq!(
            refused_points(r#"{"error":"database not found: \"x\""}"#),
            None
        );
        assert_eq!(refused_points("partial write: dropped=x"), None);
        assert_eq!(refused_points("partial write: no count"), None);
    }

    #[test]
    fn unparsed_lines_are_refused_even_with_dropped_zero() {
        // InfluxDB 1.6.7's answer when two lines of a batch cannot be
        // parsed and the others are stored; the quoted lines may hold
        // `dropped=` themselves.
        let long = "y".repeat(70_000);
        let message = format!(
            r#"{{"error":"partial write: unable to parse '{long}\ dropped=9 count=1i 1': max key length exceeded: 70010 \u003e 65535\nunable to parse 'a b=99999999999999999999i 1': unable to parse integer 99999999999999999999: value out of range dropped=0"}}"#
        );
        assert_eq!(refused_points(&message), Some(2));
        // Not a partial write: nothing was stored.
        let all = r#"{"error":"unable to parse 'a b': invalid field format"}"#;
        assert_eq!(refused_points(all), None);
    }
}
