//! [`Transport`]: how a push reporter's output reaches its backend, each
//! kind written once: [`TcpLines`] (a TCP connection for line protocols),
//! [`Udp`] (datagrams, StatsD) and, with the feature `http-transport`,
//! [`Http`](crate::Http) (requests, InfluxDB, the Pushgateway, OTLP).
//!
//! Every transport bounds each attempt by the reporter's timeout, waits
//! after a failure before it tries again (a [`Backoff`] doubling from
//! [`INITIAL_BACKOFF`] to [`MAX_BACKOFF`]), and counts what became of every
//! point under the names of [`Own`](crate::Own).

mod backoff;
#[cfg(feature = "http-transport")]
mod http;
mod tcp;
mod udp;

pub(crate) use backoff::Backoff;
pub use backoff::{INITIAL_BACKOFF, MAX_BACKOFF};
#[cfg(feature = "http-transport")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-transport")))]
pub use http::{Answer, Http, HttpError, RETRYABLE};
pub use tcp::{SendError, Sent, TcpLines, TcpSender};
pub use udp::Udp;

use crate::{BuildError, Own, Payload, ReportError};
use std::fmt;
use std::time::Duration;

/// What every transport takes from the [`Push`](crate::Push) builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How long one attempt (a connection, a write, a request) may take.
    pub timeout: Duration,
    /// The first wait after a failure, and the longest: it doubles in
    /// between.
    pub backoff: (Duration, Duration),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(2),
            backoff: (INITIAL_BACKOFF, MAX_BACKOFF),
        }
    }
}

/// Sends an encoder's output to a backend: the other half of a push
/// reporter (see [`Encode`](crate::Encode)).
///
/// A transport is built unconnected; [`prepare`](Self::prepare) gives it the
/// shared [`Settings`] and registers its own counters, once, before the
/// first [`send`](Self::send).
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::{BuildError, Lines, Own, Settings, Transport, Undelivered};
///
/// /// Prints what it is given.
/// struct Print;
///
/// impl Transport<Lines> for Print {
///     fn prepare(&mut self, _: &Settings, _: &Own) -> Result<(), BuildError> {
///         Ok(())
///     }
///
///     fn send(&mut self, lines: &Lines) -> Result<(), Undelivered> {
///         print!("{}", lines.as_str());
///         Ok(())
///     }
///
///     fn target(&self) -> &str {
///         "stdout"
///     }
/// }
///
/// let mut lines = Lines::default();
/// lines.push("a 1");
/// assert!(Print.send(&lines).is_ok());
/// ```
pub trait Transport<P: Payload>: Send + 'static {
    /// Takes the settings and registers its own counters with `own`.
    ///
    /// # Errors
    ///
    /// When one of its counters' names is taken by another kind of metric,
    /// or its settings cannot work (a URL that does not parse).
    fn prepare(&mut self, settings: &Settings, own: &Own) -> Result<(), BuildError>;

    /// Sends `payload`, counting what became of its points.
    ///
    /// # Errors
    ///
    /// When not every point got through, with how many did.
    fn send(&mut self, payload: &P) -> Result<(), Undelivered>;

    /// Where it sends, for messages: `host:port` or a URL.
    fn target(&self) -> &str;

    /// The most attempts of the timeout one send may take (connection and
    /// write, or a request and its retries): stopping a reporter waits for
    /// a last report that long.
    fn attempts(&self) -> u32 {
        1
    }

    /// How long an attempt may take unless the builder says otherwise.
    fn default_timeout(&self) -> Duration {
        Settings::default().timeout
    }
}

/// Why a [`Transport::send`] did not deliver everything: the error, and how
/// many points (the first ones, in order) got through before it.
#[derive(Debug)]
pub struct Undelivered {
    /// Points that got through.
    pub delivered: u64,
    /// What went wrong.
    pub error: ReportError,
}

impl Undelivered {
    /// `error`, with `delivered` points through.
    pub fn new(delivered: u64, error: impl Into<ReportError>) -> Self {
        Undelivered {
            delivered,
            error: error.into(),
        }
    }
}

impl fmt::Display for Undelivered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}
