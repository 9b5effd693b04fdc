//! [`Connection`]: the write endpoint of InfluxDB 1.x or 2.x, and the HTTP
//! client that posts line protocol to it.

use crate::Precision;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use std::time::Duration;

/// Which write API, and how to authenticate to it.
#[derive(Debug, Clone)]
pub(crate) enum Api {
    /// InfluxDB 1.x `POST /write?db=…`, with optional basic authentication.
    V1 {
        db: String,
        credentials: Option<(String, String)>,
    },
    /// InfluxDB 2.x `POST /api/v2/write?org=…&bucket=…` with a token.
    V2 {
        org: String,
        bucket: String,
        token: String,
    },
}

/// How one request ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The server stored the batch (2xx).
    Written,
    /// No answer, a timeout, 429 or 5xx: the batch may succeed later.
    Failed(String),
    /// Any other answer (400 parse error, 401, 404 unknown database, …):
    /// sending the batch again would not help.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's message, shortened.
        message: String,
        /// How many points of the batch the server says it refused, read
        /// from the whole message; `None` if it refused them all.
        refused: Option<u64>,
    },
}

/// The longest server message kept for the log.
const MAX_MESSAGE: usize = 512;

/// Posts batches to one write URL, each request bounded by a timeout, on a
/// runtime of its own so the reporter thread can block on it.
#[derive(Debug)]
pub(crate) struct Connection {
    client: reqwest::Client,
    runtime: Option<tokio::runtime::Runtime>,
    url: Url,
    api: Api,
    token: Option<HeaderValue>,
}

impl Connection {
    /// A connection to the write endpoint of `api` under `base_url`, each
    /// connection attempt bounded by `connect_timeout`.
    pub(crate) fn new(
        base_url: &str,
        api: Api,
        precision: Precision,
        connect_timeout: Duration,
    ) -> Result<Self, String> {
        let url = write_url(base_url, &api, precision)?;
        let token = match &api {
            Api::V2 { token, .. } => Some(
                HeaderValue::from_str(&format!("Token {token}"))
                    .map_err(|_| "the token holds characters a header cannot carry".to_string())?,
            ),
            Api::V1 { .. } => None,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_max_idle_per_host(1)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        Ok(Self {
            client,
            runtime: Some(runtime),
            url,
            api,
            token,
        })
    }

    /// The write URL, parameters included.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// Posts `body`, waiting at most `timeout` for the whole exchange.
    pub(crate) fn write(&self, body: String, timeout: Duration) -> Outcome {
        let Some(runtime) = &self.runtime else {
            return Outcome::Failed("the connection is closed".to_string());
        };
        runtime.block_on(self.send(body, timeout))
    }

    async fn send(&self, body: String, timeout: Duration) -> Outcome {
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(timeout)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(body);
        match (&self.api, &self.token) {
            (_, Some(token)) => request = request.header(AUTHORIZATION, token.clone()),
            (
                Api::V1 {
                    credentials: Some((user, password)),
                    ..
                },
                None,
            ) => request = request.basic_auth(user, Some(password)),
            _ => {}
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Outcome::Failed(describe(&e)),
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Written;
        }
        let (message, refused) = match response.text().await {
            Ok(text) => (shorten(text.trim()), refused_points(&text)),
            Err(e) => (format!("(no message: {})", describe(&e)), None),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Outcome::Failed(format!("{status}: {message}"))
        } else {
            Outcome::Refused {
                status: status.as_u16(),
                message,
                refused,
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Never wait for a name lookup stuck in the runtime's blocking pool.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `<base_url>/write?db=…&precision=…` or
/// `<base_url>/api/v2/write?org=…&bucket=…&precision=…`.
pub(crate) fn write_url(base_url: &str, api: &Api, precision: Precision) -> Result<Url, String> {
    let base = base_url.trim_end_matches('/');
    let path = match api {
        Api::V1 { .. } => "/write",
        Api::V2 { .. } => "/api/v2/write",
    };
    let mut url = Url::parse(&format!("{base}{path}"))
        .map_err(|e| format!("invalid InfluxDB URL {base_url:?}: {e}"))?;
    if url.cannot_be_a_base() || !url.has_host() {
        return Err(format!("invalid InfluxDB URL {base_url:?}: no host"));
    }
    {
        let mut query = url.query_pairs_mut();
        match api {
            Api::V1 { db, .. } => {
                query.append_pair("db", db);
                query.append_pair("precision", precision.v1_param());
            }
            Api::V2 { org, bucket, .. } => {
                query.append_pair("org", org);
                query.append_pair("bucket", bucket);
                query.append_pair("precision", precision.v2_param());
            }
        }
    }
    Ok(url)
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
pub(crate) fn refused_points(message: &str) -> Option<u64> {
    if !message.contains("partial write") {
        return None;
    }
    let (_, rest) = message.rsplit_once("dropped=")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let dropped: u64 = digits.parse().ok()?;
    let unparsed = message.matches("unable to parse '").count() as u64;
    Some(dropped.max(unparsed))
}

/// A transport error with its causes, which reqwest keeps apart.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    shorten(&text)
}

/// At most [`MAX_MESSAGE`] bytes of `text`, cut at a character boundary.
fn shorten(text: &str) -> String {
    if text.len() <= MAX_MESSAGE {
        return text.to_string();
    }
    let mut end = MAX_MESSAGE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_url_carries_the_database_and_precision() {
        let api = Api::V1 {
            db: "my db&x".into(),
            credentials: None,
        };
        let url = write_url("http://127.0.0.1:8086/", &api, Precision::Microseconds).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8086/write?db=my+db%26x&precision=u"
        );
    }

    #[test]
    fn v2_url_carries_org_bucket_and_precision() {
        let api = Api::V2 {
            org: "acme".into(),
            bucket: "b/1".into(),
            token: "t".into(),
        };
        let url = write_url("http://h:8086/influx", &api, Precision::Microseconds).unwrap();
        assert_eq!(
            url.as_str(),
            "http://h:8086/influx/api/v2/write?org=acme&bucket=b%2F1&precision=us"
        );
    }

    #[test]
    fn bad_urls_and_tokens_are_errors() {
        let api = Api::V1 {
            db: "d".into(),
            credentials: None,
        };
        assert!(write_url("127.0.0.1:8086", &api, Precision::Seconds).is_err());
        assert!(write_url("not a url", &api, Precision::Seconds).is_err());
        let api = Api::V2 {
            org: "o".into(),
            bucket: "b".into(),
            token: "line\nfeed".into(),
        };
        let err = Connection::new(
            "http://h:1",
            api,
            Precision::Seconds,
            Duration::from_secs(1),
        );
        assert!(err.unwrap_err().contains("token"));
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

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let text = "é".repeat(MAX_MESSAGE);
        let short = shorten(&text);
        assert!(short.len() <= MAX_MESSAGE + '…'.len_utf8());
        assert!(short.ends_with('…'));
    }
}
