//! The connection to carbon: a [`TcpSender`], which backs off after failed
//! connection attempts, plus the same backoff after failed writes.

use metrics_report::{SendError, Sent, TcpSender, INITIAL_BACKOFF, MAX_BACKOFF};
use std::time::{Duration, Instant};

/// A [`TcpSender`] that also waits after a write that failed or timed out
/// (a backend that accepts connections but stops reading), so such a
/// backend gets one connection per backoff (0.5 s doubling up to 30 s), not
/// one per report, and each report in between fails at once.
#[derive(Debug)]
pub(crate) struct Connection {
    sender: TcpSender,
    /// The current wait after a failed write; zero after a good one.
    hold: Duration,
    held_until: Option<Instant>,
}

impl Connection {
    pub(crate) fn new(target: String, timeout: Duration) -> Self {
        Connection {
            sender: TcpSender::new(target, timeout),
            hold: Duration::ZERO,
            held_until: None,
        }
    }

    pub(crate) fn target(&self) -> &str {
        self.sender.target()
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.sender.is_connected()
    }

    /// [`TcpSender::send`], failing with [`SendError::BackingOff`] while
    /// waiting after a failed write.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<Sent, SendError> {
        if let Some(until) = self.held_until {
            let now = Instant::now();
            if now < until {
                return Err(SendError::BackingOff {
                    retry_in: until - now,
                });
            }
        }
        let result = self.sender.send(bytes);
        match &result {
            Ok(_) => {
                self.hold = Duration::ZERO;
                self.held_until = None;
            }
            Err(SendError::Write { .. }) => {
                self.hold = longer(self.hold);
                self.held_until = Some(Instant::now() + self.hold);
            }
            Err(_) => {}
        }
        result
    }
}

/// The wait after one more failed write: 0.5 s, then doubling up to 30 s.
fn longer(hold: Duration) -> Duration {
    if hold.is_zero() {
        INITIAL_BACKOFF
    } else {
        (hold * 2).min(MAX_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn the_hold_doubles_up_to_the_cap() {
        let mut hold = Duration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..12 {
            hold = longer(hold);
            seen.push(hold);
        }
        assert_eq!(seen[0], INITIAL_BACKOFF);
        assert_eq!(seen[1], INITIAL_BACKOFF * 2);
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*seen.last().unwrap(), MAX_BACKOFF);
    }

    #[test]
    fn a_failed_write_holds_off_the_next_attempt() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let timeout = Duration::from_millis(200);
        let mut connection = Connection::new(listener.local_addr().unwrap().to_string(), timeout);
        let chunk = vec![b'x'; 1 << 20];
        let mut failed = None;
        // Nobody reads: the socket buffers fill up and a write times out.
        for _ in 0..256 {
            if let Err(e) = connection.send(&chunk) {
                failed = Some(e);
                break;
            }
        }
        assert!(
            matches!(failed, Some(SendError::Write { .. })),
            "{failed:?}"
        );
        assert!(!connection.is_connected());
        match connection.send(b"a 1 1\n") {
            Err(SendError::BackingOff { retry_in }) => assert!(retry_in <= INITIAL_BACKOFF),
            other => panic!("expected backing off, got {other:?}"),
        }
        assert!(!connection.is_connected());
        assert_eq!(connection.hold, INITIAL_BACKOFF);
    }
}
