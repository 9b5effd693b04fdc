//! A small blocking HTTP/1.1 client over [`std::net::TcpStream`], enough to
//! drive and query the servers of this crate.
//!
//! Every request is sent with `Connection: close` on a fresh connection.
//! Responses framed by `Content-Length`, by `Transfer-Encoding: chunked` or by
//! the end of the connection are understood. Only `http://` URLs are
//! supported.
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
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

    /// Adds a header. `Host`, `Connection` and `Content-Length` are always
    /// set by the client and should not be added.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the body to `application/x-www-form-urlencoded` `pairs`, with
    /// the matching `Content-Type`.
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

    /// Sends the request and reads the whole response.
    pub fn send(&self) -> Result<Response> {
        let target = Url::parse(&self.url)?;
        let context = || format!("{} {}", self.method, self.url);
        let mut stream = connect(&target, self.timeout).map_err(|e| Error::io(context(), e))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| Error::io(context(), e))?;

        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: tachymeter-testkit\r\n",
            self.method, target.path_and_query, target.authority
        );
        if !self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        message.extend_from_slice(&self.body);
        stream
            .write_all(&message)
            .and_then(|()| stream.flush())
            .map_err(|e| Error::io(format!("sending {}", context()), e))?;

        let head_only = self.method.eq_ignore_ascii_case("HEAD");
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let read = match stream.read(&mut chunk) {
                Ok(read) => read,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // Some servers reset instead of closing after a response.
                Err(e) if e.kind() == ErrorKind::ConnectionReset && !buffer.is_empty() => 0,
                Err(e) => {
                    return Err(Error::io(
                        format!("reading the response to {}", context()),
                        e,
                    ))
                }
            };
            let eof = read == 0;
            buffer.extend_from_slice(&chunk[..read]);
            if let Some(response) = parse_response(&buffer, eof, head_only)
                .map_err(|message| Error::protocol(format!("response to {}", context()), message))?
            {
                return Ok(response);
            }
            if eof {
                return Err(Error::protocol(
                    format!("response to {}", context()),
                    format!(
                        "connection closed after {} bytes, before the response was complete",
                        buffer.len()
                    ),
                ));
            }
        }
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

/// Percent-encodes `value` for a URL query or form: everything except
/// `A-Z a-z 0-9 - . _ ~` is encoded.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Encodes `pairs` as `k1=v1&k2=v2`, percent-encoding names and values.
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

struct Url {
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

impl Url {
    fn parse(url: &str) -> Result<Url> {
        let bad = |message: &str| Error::protocol(format!("URL {url:?}"), message.to_string());
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("only http:// URLs are supported"))?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(bad("no host"));
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let end = bracketed.find(']').ok_or_else(|| bad("unclosed ["))?;
            let port = bracketed[end + 1..].strip_prefix(':');
            (&bracketed[..end], port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(port) => port.parse().map_err(|_| bad("invalid port"))?,
            None => 80,
        };
        let path_and_query = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        Ok(Url {
            host: host.to_string(),
            port,
            authority: authority.to_string(),
            path_and_query,
        })
    }
}

fn connect(url: &Url, timeout: Duration) -> std::io::Result<TcpStream> {
    let mut last = None;
    for addr in (url.host.as_str(), url.port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(ErrorKind::NotFound, "host has no address")))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses `buffer` as a response; `Ok(None)` if more bytes are needed.
fn parse_response(
    mut buffer: &[u8],
    eof: bool,
    head_only: bool,
) -> std::result::Result<Option<Response>, String> {
    loop {
        let Some(end) = find(buffer, b"\r\n\r\n") else {
            return Ok(None);
        };
        let head = std::str::from_utf8(&buffer[..end])
            .map_err(|_| "response head is not UTF-8".to_string())?;
        let rest = &buffer[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(format!("not an HTTP/1.x status line: {status_line:?}"));
        }
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no status code in {status_line:?}"))?;
        let reason = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("malformed header line {line:?}"))?;
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        if (100..200).contains(&status) && status != 101 {
            // An interim response; the final one follows.
            buffer = rest;
            continue;
        }
        let mut response = Response {
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
            return Ok(Some(response));
        }
        let chunked = response
            .header("Transfer-Encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        if chunked {
            return Ok(decode_chunked(rest)?.map(|body| {
                response.body = body;
                response
            }));
        }
        if let Some(length) = response.header("Content-Length") {
            let length: usize = length
                .parse()
                .map_err(|_| format!("invalid Content-Length {length:?}"))?;
            if rest.len() < length {
                return Ok(None);
            }
            response.body = rest[..length].to_vec();
            return Ok(Some(response));
        }
        if eof {
            response.body = rest.to_vec();
            return Ok(Some(response));
        }
        return Ok(None);
    }
}

/// Decodes a chunked body; `Ok(None)` if it is not complete yet.
fn decode_chunked(mut data: &[u8]) -> std::result::Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(data, b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&data[..line_end])
            .map_err(|_| "chunk size line is not UTF-8".to_string())?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("invalid chunk size {line:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                let Some(end) = find(data, b"\r\n") else {
                    return Ok(None);
                };
                if end == 0 {
                    return Ok(Some(body));
                }
                data = &data[end + 2..];
            }
        }
        if data.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[..size]);
        if &data[size..size + 2] != b"\r\n" {
            return Err("chunk not followed by CRLF".to_string());
        }
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn parses_content_length() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        assert_eq!(
            parse_response(&raw[..raw.len() - 1], false, false),
            Ok(None)
        );
        let response = parse_response(raw, false, false).unwrap().unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.reason, "OK");
        assert_eq!(response.header("x-a"), Some("b"));
        assert_eq!(response.body, b"hello");
    }

    #[test]
    fn parses_chunked_with_extensions_and_trailers() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                    4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
        for cut in 0..raw.len() {
            assert_eq!(parse_response(&raw[..cut], false, false), Ok(None), "{cut}");
        }
        let response = parse_response(raw, false, false).unwrap().unwrap();
        assert_eq!(response.text(), "Wikipedia in\r\n\r\nchunks.");
    }

    #[test]
    fn body_until_eof_interim_and_no_body_statuses() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nall of it";
        assert_eq!(parse_response(raw, false, false), Ok(None));
        let response = parse_response(raw, true, false).unwrap().unwrap();
        assert_eq!(response.body, b"all of it");
        let raw = b"HTTP/1.1 204 No Content\r\nX: y\r\n\r\n";
        let response = parse_response(raw, false, false).unwrap().unwrap();
        assert_eq!(response.status, 204);
        assert!(response.body.is_empty());
        assert!(parse_response(b"SSH-2.0\r\n\r\n", false, false).is_err());
    }

    #[test]
    fn encodes_queries() {
        assert_eq!(
            encode_query(&[("query", "up{job=\"a b\"}"), ("x", "é")]),
            "query=up%7Bjob%3D%22a%20b%22%7D&x=%C3%A9"
        );
    }

    #[test]
    fn parses_urls() {
        let url = Url::parse("http://127.0.0.1:9090/api/v1/query?query=up").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 9090));
        assert_eq!(url.path_and_query, "/api/v1/query?query=up");
        let url = Url::parse("http://localhost?x=1").unwrap();
        assert_eq!((url.port, url.path_and_query.as_str()), (80, "/?x=1"));
        let url = Url::parse("http://[::1]:81").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 81));
        assert!(Url::parse("https://example.com/").is_err());
    }

    #[test]
    fn round_trip_against_a_local_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while find(&request, b"abc").is_none() {
                let n = stream.read(&mut buf).unwrap();
                assert!(n > 0);
                request.extend_from_slice(&buf[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n")
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let response = Request::put(&format!("http://{addr}/p?q=1"))
            .header("Content-Type", "text/plain")
            .body("abc")
            .send_expect(201)
            .unwrap();
        assert_eq!(response.body, b"xyz");
        let request = server.join().unwrap();
        assert!(request.starts_with("PUT /p?q=1 HTTP/1.1\r\n"), "{request}");
        assert!(request.contains(&format!("Host: {addr}\r\n")), "{request}");
        assert!(request.contains("Connection: close\r\n"), "{request}");
        assert!(request.contains("Content-Length: 3\r\n"), "{request}");
        assert!(
            request.contains("Content-Type: text/plain\r\n"),
            "{request}"
        );
    }
}
