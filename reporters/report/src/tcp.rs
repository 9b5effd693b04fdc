//! A persistent TCP connection for line protocols (Graphite plaintext,
//! OpenTSDB telnet `put`), with bounded attempts and reconnection backoff.

use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The first wait after a failed connection attempt; it doubles after each
/// further failure up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(500);

/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why [`TcpSender::send`] sent nothing, or not everything.
#[derive(Debug)]
pub enum SendError {
    /// A connection attempt failed recently; the next one is allowed after
    /// `retry_in`. Nothing was sent.
    BackingOff {
        /// Time left before the next attempt.
        retry_in: Duration,
    },
    /// The host name did not resolve, or no address accepted a connection
    /// within the timeout. Nothing was sent.
    Connect {
        /// `host:port` as given.
        target: String,
        /// The last error seen.
        source: io::Error,
    },
    /// Writing failed or did not finish within the timeout (a peer that
    /// stopped reading). Part of the data may have been sent; the
    /// connection was closed, so no partial line is followed by another.
    Write {
        /// Bytes written before the failure.
        written: usize,
        /// The error.
        source: io::Error,
    },
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::BackingOff { retry_in } => {
                write!(f, "not connected; next connection attempt in {retry_in:?}")
            }
            SendError::Connect { target, source } => {
                write!(f, "cannot connect to {target}: {source}")
            }
            SendError::Write { written, source } => write!(
                f,
                "write failed after {written} bytes ({source}); connection closed"
            ),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::BackingOff { .. } => None,
            SendError::Connect { source, .. } | SendError::Write { source, .. } => Some(source),
        }
    }
}

/// What a successful [`TcpSender::send`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// A new connection was opened first (the first one, or after the
    /// previous one broke).
    pub connected: bool,
}

/// Exponential backoff between connection attempts.
#[derive(Debug, Clone)]
struct Backoff {
    current: Duration,
    next_attempt: Option<Instant>,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            current: INITIAL_BACKOFF,
            next_attempt: None,
        }
    }

    /// Time left before an attempt is allowed at `now`.
    fn wait_at(&self, now: Instant) -> Option<Duration> {
        let next = self.next_attempt?;
        (now < next).then(|| next - now)
    }

    fn failed(&mut self, now: Instant) {
        self.next_attempt = Some(now + self.current);
        self.current = (self.current * 2).min(MAX_BACKOFF);
    }

    fn succeeded(&mut self) {
        *self = Backoff::new();
    }
}

/// One TCP connection to `host:port`, opened on first use and reopened
/// after it breaks.
///
/// - Every connection attempt resolves the host name again, so a backend
///   that moved is found, and tries each address within the timeout.
/// - After a failed attempt, [`send`](Self::send) fails at once with
///   [`SendError::BackingOff`] until the backoff has passed (0.5 s, doubling
///   up to 30 s), so a dead backend costs one connection attempt per
///   backoff, not one per report.
/// - A write is bounded by the timeout as a whole: a backend that stops
///   reading makes it fail, and the connection is closed.
/// - Before each write, a connection the peer has closed (a restarted
///   backend) is noticed and replaced, so the data is not written into a
///   dead socket.
///
/// It is a plain blocking sender for a reporter's own thread; it never
/// blocks longer than about the timeout per call (connecting tries each
/// address the name resolves to, each within the timeout).
///
/// ```no_run
/// use metrics_report::TcpSender;
/// use std::time::Duration;
///
/// let mut carbon = TcpSender::new("graphite.internal:2003", Duration::from_secs(2));
/// carbon.send(b"app.requests.count 42 1700000000\n")?;
/// # Ok::<(), metrics_report::SendError>(())
/// ```
#[derive(Debug)]
pub struct TcpSender {
    target: String,
    timeout: Duration,
    stream: Option<TcpStream>,
    backoff: Backoff,
}

impl TcpSender {
    /// A sender to `target` (`host:port`) whose connection attempts and
    /// writes each end within `timeout`. Nothing is opened yet.
    pub fn new(target: impl Into<String>, timeout: Duration) -> Self {
        TcpSender {
            target: target.into(),
            timeout,
            stream: None,
            backoff: Backoff::new(),
        }
    }

    /// The `host:port` it sends to.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether a connection is open (it may still have been closed by the
    /// peer; the next send finds out).
    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// Closes the connection, if any; the next send opens a new one.
    pub fn disconnect(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Writes all of `bytes`, connecting first if needed.
    ///
    /// # Errors
    ///
    /// [`SendError::BackingOff`] while waiting after a failed connection
    /// attempt, [`SendError::Connect`] when an attempt fails, and
    /// [`SendError::Write`] when the write fails or times out (the
    /// connection is then closed).
    pub fn send(&mut self, bytes: &[u8]) -> Result<Sent, SendError> {
        if self.stream.as_ref().is_some_and(|s| !peer_open(s)) {
            self.disconnect();
        }
        let connected = self.stream.is_none();
        if connected {
            if let Some(retry_in) = self.backoff.wait_at(Instant::now()) {
                return Err(SendError::BackingOff { retry_in });
            }
            match connect(&self.target, self.timeout) {
                Ok(stream) => {
                    self.backoff.succeeded();
                    self.stream = Some(stream);
                }
                Err(source) => {
                    self.backoff.failed(Instant::now());
                    return Err(SendError::Connect {
                        target: self.target.clone(),
                        source,
                    });
                }
            }
        }
        let stream = self.stream.as_mut().expect("connected above");
        match write_within(stream, bytes, self.timeout) {
            Ok(()) => Ok(Sent { connected }),
            Err((written, source)) => {
                self.disconnect();
                Err(SendError::Write { written, source })
            }
        }
    }
}

/// Resolves `target` and connects to the first address that answers.
fn connect(target: &str, timeout: Duration) -> io::Result<TcpStream> {
    let addrs: Vec<SocketAddr> = target.to_socket_addrs()?.collect();
    let mut last = io::Error::new(
        ErrorKind::NotFound,
        format!("{target} resolved to no address"),
    );
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Whether the peer still has the connection open: a non-blocking peek sees
/// no end of stream and no error. Data the peer sent is left unread.
fn peer_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = match stream.peek(&mut byte) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == ErrorKind::WouldBlock,
    };
    stream.set_nonblocking(false).is_ok() && open
}

/// Writes all of `bytes` before `timeout` has passed; on failure, how many
/// bytes were written and why.
fn write_within(
    stream: &mut TcpStream,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), (usize, io::Error)> {
    let deadline = Instant::now() + timeout;
    let mut written = 0;
    while written < bytes.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let e = io::Error::new(
                ErrorKind::TimedOut,
                format!("write timed out after {timeout:?}"),
            );
            return Err((written, e));
        }
        if let Err(e) = stream.set_write_timeout(Some(left)) {
            return Err((written, e));
        }
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err((written, ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let e = io::Error::new(
                    ErrorKind::TimedOut,
                    format!("write timed out after {timeout:?}"),
                );
                return Err((written, e));
            }
            Err(e) => return Err((written, e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    const TIMEOUT: Duration = Duration::from_millis(300);

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let start = Instant::now();
        let mut backoff = Backoff::new();
        assert_eq!(backoff.wait_at(start), None);
        backoff.failed(start);
        assert_eq!(backoff.wait_at(start), Some(INITIAL_BACKOFF));
        assert_eq!(backoff.wait_at(start + INITIAL_BACKOFF), None);
        let mut waits = Vec::new();
        for _ in 0..10 {
            backoff.failed(start);
            waits.push(backoff.wait_at(start).unwrap());
        }
        assert_eq!(waits[0], INITIAL_BACKOFF * 2);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), MAX_BACKOFF);
        backoff.succeeded();
        assert_eq!(backoff.wait_at(start), None);
    }

    #[test]
    fn sends_reconnects_after_the_peer_closes_and_backs_off_when_down() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sender = TcpSender::new(addr.to_string(), TIMEOUT);
        assert!(!sender.is_connected());

        assert_eq!(sender.send(b"a 1 1\n").unwrap(), Sent { connected: true });
        let (mut first, _) = listener.accept().unwrap();
        assert_eq!(sender.send(b"b 2 1\n").unwrap(), Sent { connected: false });
        let mut text = [0u8; 12];
        first.read_exact(&mut text).unwrap();
        assert_eq!(&text, b"a 1 1\nb 2 1\n");

        // The peer closes: the next send notices and opens a new connection.
        drop(first);
        // Wait (bounded) until the close has reached this side.
        let stream = sender.stream.as_ref().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while peer_open(stream) && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(sender.send(b"c 3 1\n").unwrap(), Sent { connected: true });
        let (mut second, _) = listener.accept().unwrap();
        let mut text = [0u8; 6];
        second.read_exact(&mut text).unwrap();
        assert_eq!(&text, b"c 3 1\n");

        // Nobody listens any more: one refused attempt, then backing off.
        drop(second);
        drop(listener);
        sender.disconnect();
        let err = sender.send(b"d 4 1\n").unwrap_err();
        assert!(matches!(err, SendError::Connect { .. }), "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
        let err = sender.send(b"d 4 1\n").unwrap_err();
        match err {
            SendError::BackingOff { retry_in } => assert!(retry_in <= INITIAL_BACKOFF),
            other => panic!("expected backing off, got {other}"),
        }
    }

    #[test]
    fn a_peer_that_never_reads_makes_the_write_time_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut sender = TcpSender::new(listener.local_addr().unwrap().to_string(), TIMEOUT);
        let chunk = vec![b'x'; 1 << 20];
        let mut result = Ok(Sent { connected: true });
        // Socket buffers take a few MiB at most.
        for _ in 0..256 {
            result = sender.send(&chunk);
            if result.is_err() {
                break;
            }
        }
        let _held = listener.accept().unwrap();
        match result {
            Err(SendError::Write { source, .. }) => {
                assert_eq!(source.kind(), ErrorKind::TimedOut, "{source}")
            }
            other => panic!("expected a write timeout, got {other:?}"),
        }
        assert!(!sender.is_connected());
    }

    #[test]
    fn an_unresolvable_name_is_a_connect_error() {
        let mut sender = TcpSender::new("no-such-host.invalid:2003", TIMEOUT);
        let err = sender.send(b"x 1 1\n").unwrap_err();
        assert!(matches!(err, SendError::Connect { .. }), "{err}");
        assert!(
            err.to_string().contains("no-such-host.invalid:2003"),
            "{err}"
        );
    }
}
