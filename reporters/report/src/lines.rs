//! [`LineSender`]: the transport of a line protocol over TCP, counting
//! what becomes of every line.

use crate::{PushSettings, ReportError, SendError, TcpSender};
use tachymeter_core::{Counter, Registry};

/// A [`TcpSender`] for a push reporter's text lines (Graphite, OpenTSDB),
/// with the reporter's own counters, `reporter.<name>.*`:
///
/// | counter | counts |
/// |---|---|
/// | `connects` | connections opened |
/// | `connect-failures` | connection attempts that failed |
/// | `write-failures` | writes that failed or timed out |
/// | `backed-off` | reports not sent because a backoff was running |
/// | `sent-lines` | lines written whole |
/// | `dropped-lines` | lines of failed reports that were not written |
///
/// Every line handed to [`send`](Self::send) is counted once, as sent or
/// as dropped. A line that a timed-out write cut in two counts as sent:
/// its rest goes first on the next send (unless the backend closes the
/// connection first). Counts being cumulative, a dropped line's value goes
/// with the next report that gets through.
///
/// ```
/// use std::time::Duration;
/// use tachymeter_core::Registry;
/// use tachymeter_report::{LineSender, PushSettings};
///
/// let registry = Registry::new();
/// let settings = PushSettings::new("carbon", Duration::from_millis(200));
/// // A port nothing listens on any more: the connection fails.
/// let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
/// let mut sender = LineSender::new(&registry, &settings, closed.to_string())?;
/// assert!(sender.send("a 1 1700000000\nb 2 1700000000\n", 2).is_err());
/// let dropped = registry.counter("reporter.carbon.dropped-lines")?;
/// assert_eq!(dropped.count(), 2);
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug)]
pub struct LineSender {
    sender: TcpSender,
    name: String,
    connects: Counter,
    connect_failures: Counter,
    write_failures: Counter,
    backed_off: Counter,
    sent_lines: Counter,
    dropped_lines: Counter,
}

impl LineSender {
    /// A sender to `target` (`host:port`) with `settings`' timeout and
    /// backoff, counting in `registry`.
    ///
    /// # Errors
    ///
    /// When one of its counters' names is taken by another kind of metric.
    pub fn new(
        registry: &Registry,
        settings: &PushSettings,
        target: impl Into<String>,
    ) -> Result<Self, ReportError> {
        let counter = |what: &str| settings.own_counter(registry, what);
        Ok(LineSender {
            sender: settings.tcp_sender(target),
            name: settings.name().to_string(),
            connects: counter("connects")?,
            connect_failures: counter("connect-failures")?,
            write_failures: counter("write-failures")?,
            backed_off: counter("backed-off")?,
            sent_lines: counter("sent-lines")?,
            dropped_lines: counter("dropped-lines")?,
        })
    }

    /// The `host:port` it writes to.
    pub fn target(&self) -> &str {
        self.sender.target()
    }

    /// Writes `text`, which holds `lines` lines each ending in `\n`, and
    /// counts what became of them. Each new connection is logged (`info`).
    ///
    /// # Errors
    ///
    /// A [`SendError`] (backing off, a failed connection attempt, a failed
    /// or timed-out write); `downcast_ref::<SendError>()` gets it back.
    pub fn send(&mut self, text: &str, lines: u64) -> Result<(), ReportError> {
        let error = match self.sender.send(text.as_bytes()) {
            Ok(sent) => {
                if sent.connected {
                    self.connected();
                }
                self.sent_lines.inc(lines);
                return Ok(());
            }
            Err(error) => error,
        };
        let whole = match &error {
            SendError::BackingOff { .. } => {
                self.backed_off.inc(1);
                0
            }
            SendError::Connect { .. } => {
                self.connect_failures.inc(1);
                0
            }
            SendError::Write {
                written, connected, ..
            } => {
                if *connected {
                    self.connected();
                }
                self.write_failures.inc(1);
                let part = text.as_bytes().get(..*written).unwrap_or_default();
                let whole = part.iter().filter(|&&b| b == b'\n').count() as u64;
                // A line of this text cut by a timeout is finished first on
                // the next send: it goes out whole.
                let cut = *written > 0 && self.sender.has_unfinished_line();
                whole + u64::from(cut)
            }
        };
        let whole = whole.min(lines);
        self.sent_lines.inc(whole);
        self.dropped_lines.inc(lines - whole);
        Err(error.into())
    }

    fn connected(&self) {
        self.connects.inc(1);
        log::info!(
            "metrics reporter {:?}: connected to {}",
            self.name,
            self.sender.target()
        );
    }
}
