//! [`TcpLines`]: the transport of line protocols (Graphite plaintext,
//! OpenTSDB telnet `put`) over one persistent TCP connection
//! ([`TcpSender`]), with bounded attempts and reconnection backoff.

use super::{Backoff, Settings, Transport, Undelivered};
use crate::write::cut_line;
use crate::{BuildError, Lines, Own, Payload, MAX_WAIT};
use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Why [`TcpSender::send`] sent nothing, or not everything.
///
/// ```
/// use std::time::Duration;
/// use tachymeter_report::{SendError, TcpSender};
///
/// // Nothing listens on port 9 here: the connection is refused, or times out.
/// let mut sender = TcpSender::new("127.0.0.1:9", Duration::from_millis(200));
/// match sender.send(b"x 1 1\n") {
///     Err(SendError::Connect { .. }) => {}
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
pub enum SendError {
    /// A connection attempt or a write failed recently; the next attempt is
    /// allowed after `retry_in`. Nothing was sent.
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
    /// stopped reading). Part of the data may have been sent, but never a
    /// line cut short followed by anything else: see [`TcpSender`].
    Write {
        /// Bytes of this send's data written before the failure.
        written: usize,
        /// A new connection was opened for this send first.
        connected: bool,
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
            SendError::Write {
                written, source, ..
            } => write!(f, "write failed after {written} bytes: {source}"),
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
///
/// See [`TcpSender::send`] for an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// A new connection was opened first (the first one, or after the
    /// previous one broke).
    pub connected: bool,
}

/// One TCP connection to `host:port`, opened on first use and reopened
/// after it breaks.
///
/// - Every connection attempt resolves the host name again, so a backend
///   that moved is found, and tries each address within the timeout.
/// - After a failed connection attempt or write, [`send`](Self::send)
///   fails at once with [`SendError::BackingOff`] until the backoff has
///   passed (0.5 s, doubling up to 30 s), so a dead or stuck backend costs
///   one attempt per backoff, not one per report.
/// - A write is bounded by the timeout as a whole: a backend that stops
///   reading makes it fail.
/// - A line is never cut short: when a write times out in the middle of a
///   line, the connection is kept and the rest of that line goes first on
///   the next send, since closing would let the backend read the cut line
///   as a (wrong) point. When the write ends between lines, or fails with
///   an error, the connection is closed. On drop, the rest of a cut line is
///   written if the backend takes it within the timeout.
/// - Before each write, a connection the peer has closed (a restarted
///   backend) is noticed and replaced, so the data is not written into a
///   dead socket.
///
/// It is a plain blocking sender for a reporter's own thread; it never
/// blocks longer than about the timeout per call (connecting tries each
/// address the name resolves to, each within the timeout).
///
/// ```no_run
/// use tachymeter_report::TcpSender;
/// use std::time::Duration;
///
/// let mut carbon = TcpSender::new("graphite.internal:2003", Duration::from_secs(2));
/// carbon.send(b"app.requests.count 42 1700000000\n")?;
/// # Ok::<(), tachymeter_report::SendError>(())
/// ```
#[derive(Debug)]
pub struct TcpSender {
    target: String,
    timeout: Duration,
    stream: Option<TcpStream>,
    backoff: Backoff,
    /// The rest of a line whose beginning was written when a write timed
    /// out; written first on the same connection.
    unfinished: Vec<u8>,
}

impl TcpSender {
    /// A sender to `target` (`host:port`) whose connection attempts and
    /// writes each end within `timeout` (at most [`MAX_WAIT`]; zero is
    /// taken as one millisecond). Nothing is opened yet.
    pub fn new(target: impl Into<String>, timeout: Duration) -> Self {
        TcpSender {
            target: target.into(),
            timeout: timeout.clamp(Duration::from_millis(1), MAX_WAIT),
            stream: None,
            backoff: Backoff::new(),
            unfinished: Vec::new(),
        }
    }

    /// Sets the wait after a failed attempt: `initial` after the first,
    /// doubling after each further one up to `max` (defaults
    /// [`INITIAL_BACKOFF`](crate::INITIAL_BACKOFF) and [`MAX_BACKOFF`](crate::MAX_BACKOFF); each at most [`MAX_WAIT`]).
    ///
    /// ```
    /// use tachymeter_report::TcpSender;
    /// use std::time::Duration;
    ///
    /// let sender = TcpSender::new("carbon:2003", Duration::from_secs(2))
    ///     .backoff(Duration::from_secs(1), Duration::from_secs(60));
    /// ```
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = Backoff::between(initial, max);
        self
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

    /// Closes the connection, if any; the next send opens a new one. The
    /// rest of a line cut by a failed write is written first if the backend
    /// takes it within the timeout.
    pub fn disconnect(&mut self) {
        if let Some(mut stream) = self.stream.take() {
            if !self.unfinished.is_empty() {
                let _ = write_within(&mut stream, &self.unfinished, self.timeout);
            }
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.unfinished.clear();
    }

    /// Whether the last failed write cut a line whose rest waits to go
    /// first on the next send (and on drop).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sender = tachymeter_report::TcpSender::new("127.0.0.1:2003", Duration::from_secs(1));
    /// assert!(!sender.has_unfinished_line());
    /// ```
    pub fn has_unfinished_line(&self) -> bool {
        !self.unfinished.is_empty()
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
            // The peer is gone, and with it any line it had half read.
            self.unfinished.clear();
            self.disconnect();
        }
        if let Some(retry_in) = self.backoff.wait_at(Instant::now()) {
            return Err(SendError::BackingOff { retry_in });
        }
        let connected = self.stream.is_none();
        if connected {
            match connect(&self.target, self.timeout) {
                Ok(stream) => self.stream = Some(stream),
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
        let data: std::borrow::Cow<'_, [u8]> = if self.unfinished.is_empty() {
            bytes.into()
        } else {
            let mut joined = std::mem::take(&mut self.unfinished);
            joined.extend_from_slice(bytes);
            joined.into()
        };
        let carried = data.len() - bytes.len();
        match write_within(stream, &data, self.timeout) {
            Ok(()) => {
                self.backoff.succeeded();
                Ok(Sent { connected })
            }
            Err((written, source)) => {
                self.backoff.failed(Instant::now());
                match cut_line(&data, written, carried) {
                    Some(rest) if source.kind() == ErrorKind::TimedOut => {
                        self.unfinished = data[rest].to_vec();
                    }
                    _ => self.disconnect(),
                }
                Err(SendError::Write {
                    written: written.saturating_sub(carried),
                    connected,
                    source,
                })
            }
        }
    }
}

impl Drop for TcpSender {
    fn drop(&mut self) {
        self.disconnect();
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

/// Sends [`Lines`] over one [`TcpSender`]: a connection opened on the first
/// send, reopened after it breaks, and a backoff after each failure. Its
/// own counters (see [`Own`]): `connects`, `connect-failures`,
/// `send-failures` (writes that failed or timed out), `backed-off`,
/// `sent-points` and `dropped-unsent`.
///
/// Every line is counted once, as sent or dropped. A line that a timed-out
/// write cut in two counts as sent: its rest goes first on the next send
/// (unless the backend closes the connection first). Counts being
/// cumulative, a dropped line's value goes with the next report that gets
/// through.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::{Lines, Own, Settings, TcpLines, Transport};
///
/// let registry = Registry::new();
/// // A port nothing listens on any more: the connection fails.
/// let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
/// let mut transport = TcpLines::new(closed.to_string());
/// transport.prepare(&Settings::default(), &Own::new(&registry, "carbon"))?;
/// let mut lines = Lines::default();
/// lines.push("a 1 1700000000");
/// lines.push("b 2 1700000000");
/// assert_eq!(transport.send(&lines).unwrap_err().delivered, 0);
/// assert_eq!(registry.counter("reporter.carbon.dropped-unsent")?.count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TcpLines {
    target: String,
    live: Option<Live>,
}

/// A prepared [`TcpLines`]: its sender and counters.
#[derive(Debug)]
struct Live {
    sender: TcpSender,
    name: String,
    connects: tachymeter_core::Counter,
    connect_failures: tachymeter_core::Counter,
    send_failures: tachymeter_core::Counter,
    backed_off: tachymeter_core::Counter,
    sent: tachymeter_core::Counter,
    dropped: tachymeter_core::Counter,
}

impl TcpLines {
    /// To `target`, `host:port` (the host name is looked up again on every
    /// connection attempt). Nothing is connected yet.
    pub fn new(target: impl Into<String>) -> Self {
        TcpLines {
            target: target.into(),
            live: None,
        }
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.live.as_ref().is_some_and(|l| l.sender.is_connected())
    }
}

impl Transport<Lines> for TcpLines {
    fn prepare(&mut self, settings: &Settings, own: &Own) -> Result<(), BuildError> {
        let (initial, max) = settings.backoff;
        self.live = Some(Live {
            sender: TcpSender::new(self.target.clone(), settings.timeout).backoff(initial, max),
            name: own.name().to_string(),
            connects: own.counter("connects")?,
            connect_failures: own.counter("connect-failures")?,
            send_failures: own.counter("send-failures")?,
            backed_off: own.counter("backed-off")?,
            sent: own.counter("sent-points")?,
            dropped: own.counter("dropped-unsent")?,
        });
        Ok(())
    }

    fn send(&mut self, lines: &Lines) -> Result<(), Undelivered> {
        let Some(live) = &mut self.live else {
            return Err(Undelivered::new(0, "the transport was not prepared"));
        };
        let text = lines.as_str();
        let total = lines.points();
        let error = match live.sender.send(text.as_bytes()) {
            Ok(sent) => {
                if sent.connected {
                    live.connected();
                }
                live.sent.inc(total);
                return Ok(());
            }
            Err(error) => error,
        };
        let whole = match &error {
            SendError::BackingOff { .. } => {
                live.backed_off.inc(1);
                0
            }
            SendError::Connect { .. } => {
                live.connect_failures.inc(1);
                0
            }
            SendError::Write {
                written, connected, ..
            } => {
                if *connected {
                    live.connected();
                }
                live.send_failures.inc(1);
                let part = text.as_bytes().get(..*written).unwrap_or_default();
                let whole = part.iter().filter(|&&b| b == b'\n').count() as u64;
                // A line of this text cut by a timeout is finished first on
                // the next send: it goes out whole.
                let cut = *written > 0 && live.sender.has_unfinished_line();
                whole + u64::from(cut)
            }
        };
        let whole = whole.min(total);
        live.sent.inc(whole);
        live.dropped.inc(total - whole);
        Err(Undelivered::new(whole, error))
    }

    fn target(&self) -> &str {
        &self.target
    }

    /// A connection attempt and a write.
    fn attempts(&self) -> u32 {
        2
    }
}

impl Live {
    fn connected(&self) {
        self.connects.inc(1);
        log::info!(
            "metrics reporter {:?}: connected to {}",
            self.name,
            self.sender.target()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::INITIAL_BACKOFF;
    use std::io::Read;
    use std::net::TcpListener;

    const TIMEOUT: Duration = Duration::from_millis(300);

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

    /// 100-byte lines, numbered, for `count` lines.
    fn lines(first: usize, count: usize) -> Vec<u8> {
        (first..first + count)
            .flat_map(|i| format!("{i:0>99}\n").into_bytes())
            .collect()
    }

    #[test]
    fn a_line_cut_by_a_timeout_is_finished_before_anything_else() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut sender = TcpSender::new(listener.local_addr().unwrap().to_string(), TIMEOUT);
        // Nobody reads: the socket buffers fill up and a write times out.
        let mut sent = 0;
        let error = loop {
            assert!(sent < 1 << 20, "a peer that never reads took 100 MB");
            match sender.send(&lines(sent, 10_000)) {
                Ok(_) => sent += 10_000,
                Err(e) => break e,
            }
        };
        let written = match error {
            SendError::Write {
                written, source, ..
            } => {
                assert_eq!(source.kind(), ErrorKind::TimedOut, "{source}");
                written
            }
            other => panic!("expected a write timeout, got {other}"),
        };
        // Either the write stopped between lines and the connection was
        // closed, or the rest of the cut line waits on the open connection.
        assert_eq!(sender.is_connected(), written % 100 != 0);
        assert_eq!(sender.unfinished.len(), (100 - written % 100) % 100);
        assert!(sender.unfinished.is_empty() || sender.unfinished.ends_with(b"\n"));
        // The next attempt waits for the backoff.
        assert!(matches!(
            sender.send(b"next\n"),
            Err(SendError::BackingOff { .. })
        ));

        // The peer starts reading; once the backoff is over (skipped here),
        // the cut line is finished before the next data.
        let (mut peer, _) = listener.accept().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = Vec::new();
            peer.read_to_end(&mut text).unwrap();
            text
        });
        sender.backoff = Backoff::new();
        let mut next = lines(sent + 10_000, 1);
        next[..4].copy_from_slice(b"next");
        sender.send(&next).unwrap();
        drop(sender);
        let text = reader.join().unwrap();
        let received: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
        assert!(received
            .iter()
            .all(|l| l.len() == 100 && l.ends_with(b"\n")));
        let last = received.last().unwrap();
        if written % 100 != 0 {
            // Same connection: every line, cut one finished, then `next`.
            assert!(last.starts_with(b"next"));
            assert_eq!(received.len(), sent + written / 100 + 2);
        }
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
