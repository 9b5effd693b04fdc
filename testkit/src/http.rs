//! Blocking HTTP requests to the servers of this crate, on `ureq`.
//!
//! Every request goes on a connection of its own (nothing is pooled
//! between requests), and any status is a response, not an error: callers
//! check it, or use [`Request::send_expect`].
//!
//! ```no_run
//! use tachymeter_testkit::http;
//!
//! let response = http::Request::post("http://127.0.0.1:9091/metrics/job/j")
//!     .header("Content-Type", "text/plain")
//!     .body("up 1\n")
//!     .send()?;
//! assert_eq!(response.status, 200);
//! # Ok::<(), tachymeter_testkit::Error>(())
//! ```

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// Connect, read and write timeout of a request unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP request to be sent with [`Request::send`].
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Duration,
}

impl Request {
    /// A request with any method, no headers and no body.
    pub fn new(method: &str, url: &str) -> Self {
        Request {
            method: method.to_string(),
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A `GET` request.
    pub fn get(url: &str) -> Self {
        Self::new("GET", url)
    }

    /// A `POST` request.
    pub fn post(url: &str) -> Self {
        Self::new("POST", url)
    }

    /// A `PUT` request.
    pub fn put(url: &str) -> Self {
        Self::new("PUT", url)
    }

    /// A `DELETE` request.
    pub fn delete(url: &str) -> Self {
        Self::new("DELETE", url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets an `application/x-www-form-urlencoded` body of `pairs`.
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        self.header("Content-Type", "application/x-www-form-urlencoded")
            .body(encode_query(pairs))
    }

    /// Sets the connect, read and write timeout (default
    /// [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the request and reads the whole response, whatever its status.
    pub fn send(&self) -> Result<Response> {
        let context = || format!("{} {}", self.method, self.url);
        let failed = |e: ureq::Error| match e {
            ureq::Error::Io(e) => Error::io(context(), e),
            other => Error::protocol(context(), other.to_string()),
        };
        let mut request = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(self.url.as_str());
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(self.body.clone())
            .map_err(|e| Error::protocol(context(), e.to_string()))?;
        // A fresh agent: a connection of its own, every status a response.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .max_idle_connections(0)
            .build()
            .into();
        let mut response = agent.run(request).map_err(failed)?;
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(failed)?;
        Ok(Response {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            headers,
            body,
        })
    }

    /// Sends the request and checks the status.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] with the body if the status is not `expected`.
    pub fn send_expect(&self, expected: u16) -> Result<Response> {
        let response = self.send()?;
        if response.status == expected {
            Ok(response)
        } else {
            Err(Error::Status {
                request: format!("{} {}", self.method, self.url),
                status: response.status,
                body: response.text(),
            })
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response> {
    Request::get(url).send()
}

/// `POST url` with a body of the given content type.
pub fn post(url: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Result<Response> {
    Request::post(url)
        .header("Content-Type", content_type)
        .body(body)
        .send()
}

/// `PUT url` with a body of the given content type.
pub fn put(url: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Result<Response> {
    Request::put(url)
        .header("Content-Type", content_type)
        .body(body)
        .send()
}

/// `DELETE url`.
pub fn delete(url: &str) -> Result<Response> {
    Request::delete(url).send()
}

/// A complete HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase of the status line.
    pub reason: String,
    /// The headers in the order received, names as sent by the server.
    pub headers: Vec<(String, String)>,
    /// The body, with any chunked transfer coding removed.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::protocol(
                "parsing a response body as JSON",
                format!("{e}; body: {}", self.text()),
            )
        })
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Encodes `pairs` as a query string or form body, `k1=v1&k2=v2`,
/// percent-encoding names and values (`form_urlencoded`).
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn encodes_queries() {
        assert_eq!(
            encode_query(&[("query", "up{job=\"a b\"}"), ("x", "é")]),
            "query=up%7Bjob%3D%22a+b%22%7D&x=%C3%A9"
        );
    }

    /// A server that answers one request with `answer`, and returns what
    /// it was sent.
    fn answer_once(answer: &'static [u8]) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"abc") {
                let n = stream.read(&mut buf).unwrap();
                request.extend_from_slice(&buf[..n]);
            }
            stream.write_all(answer).unwrap();
            request
        });
        (format!("http://{addr}/p?q=1"), server)
    }

    #[test]
    fn any_status_is_a_response_and_chunked_bodies_are_read() {
        let (url, server) = answer_once(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n\
              4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
        );
        let response = Request::post(&url)
            .header("X-Test", "1")
            .body("abc")
            .send()
            .unwrap();
        assert_eq!(
            (response.status, response.reason.as_str()),
            (404, "Not Found")
        );
        assert_eq!(response.header("x-a"), Some("b"));
        assert_eq!(response.text(), "Wikipedia");
        let sent = String::from_utf8(server.join().unwrap()).unwrap();
        assert!(sent.starts_with("POST /p?q=1 HTTP/1.1\r\n"), "{sent}");
        assert!(
            sent.to_ascii_lowercase().contains("x-test: 1\r\n"),
            "{sent}"
        );
        let (url, _server) = answer_once(b"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno");
        let error = Request::post(&url)
            .body("abc")
            .send_expect(200)
            .unwrap_err();
        assert!(error.to_string().contains("500"), "{error}");
    }
}
