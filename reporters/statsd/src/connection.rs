//! The UDP socket to the daemon.
//!
//! The socket is connected to the daemon's address, so the kernel reports
//! the ICMP "port unreachable" a datagram to a closed port brings back, on
//! a later call. Before sending a report an empty datagram goes first (the
//! daemon skips empty lines without counting them as bad) and the socket
//! waits [`PROBE_WAIT`] for such an error: a daemon that is not listening
//! fails the report before anything is lost. An error that shows on a send
//! is blamed on the datagram before it, which is taken as lost too.
//!
//! After a failure the socket is dropped, and the next report looks the
//! host name up again and connects a new one. A lookup runs on a thread of
//! its own and is waited for at most the timeout; a lookup still running
//! is waited for again by the next report instead of starting another.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long the probe waits for a "port unreachable": enough on a host or
/// a LAN; a farther daemon that is down may go unnoticed.
pub(crate) const PROBE_WAIT: Duration = Duration::from_millis(5);

/// Where the daemon is.
#[derive(Debug, Clone)]
enum Target {
    Addr(SocketAddr),
    /// `host:port`, looked up on each connect.
    Host(String),
}

/// What sending one report's datagrams did.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    /// Datagrams taken as delivered: the first `delivered`.
    pub(crate) delivered: usize,
    /// A new socket was connected after an earlier one was dropped.
    pub(crate) reconnected: bool,
    /// A datagram sent after the previous report's check was refused: some
    /// of that report may not have arrived.
    pub(crate) late_refusal: Option<io::Error>,
    /// Why the report could not be sent (entirely).
    pub(crate) error: Option<io::Error>,
}

/// A UDP socket connected to the daemon, connected again after failures.
#[derive(Debug)]
pub(crate) struct Connection {
    target: Target,
    timeout: Duration,
    socket: Option<UdpSocket>,
    lookup: Option<Receiver<io::Result<SocketAddr>>>,
    connected_once: bool,
}

impl Connection {
    /// `address` is `host:port` (a name or an IP address; IPv6 in
    /// brackets). Nothing is looked up nor connected yet.
    pub(crate) fn new(address: &str, timeout: Duration) -> io::Result<Self> {
        let target = match address.parse::<SocketAddr>() {
            Ok(addr) => Target::Addr(addr),
            Err(_) => match address.rsplit_once(':') {
                Some((host, port))
                    if !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok() =>
                {
                    Target::Host(address.to_string())
                }
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("StatsD address {address:?} is not host:port"),
                    ))
                }
            },
        };
        Ok(Connection {
            target,
            timeout: timeout.max(Duration::from_millis(1)),
            socket: None,
            lookup: None,
            connected_once: false,
        })
    }

    /// Sends `datagrams` in order, after checking the daemon listens.
    pub(crate) fn send(&mut self, datagrams: &[Vec<u8>]) -> Delivery {
        let mut delivery = Delivery::default();
        if self.socket.is_none() {
            match self.connect() {
                Ok(socket) => {
                    delivery.reconnected = self.connected_once;
                    self.connected_once = true;
                    self.socket = Some(socket);
                }
                Err(e) => {
                    delivery.error = Some(e);
                    return delivery;
                }
            }
        }
        let Some(socket) = &self.socket else {
            return delivery;
        };
        if let Ok(Some(e)) = socket.take_error() {
            delivery.late_refusal = Some(e);
        }
        let outcome = probe(socket).and_then(|()| {
            for (i, datagram) in datagrams.iter().enumerate() {
                if let Err(e) = socket.send(datagram) {
                    // A refusal reported now is for an earlier datagram.
                    let refused = e.kind() == io::ErrorKind::ConnectionRefused;
                    delivery.delivered = if refused { i.saturating_sub(1) } else { i };
                    return Err(e);
                }
            }
            match socket.take_error() {
                Ok(Some(e)) => {
                    delivery.delivered = datagrams.len().saturating_sub(1);
                    Err(e)
                }
                _ => {
                    delivery.delivered = datagrams.len();
                    Ok(())
                }
            }
        });
        if let Err(e) = outcome {
            delivery.error = Some(e);
            self.socket = None;
        }
        delivery
    }

    fn connect(&mut self) -> io::Result<UdpSocket> {
        let addr = self.resolve()?;
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        socket.set_write_timeout(Some(self.timeout))?;
        socket.set_read_timeout(Some(PROBE_WAIT))?;
        Ok(socket)
    }

    /// The daemon's address; a host name is looked up on a thread, waited
    /// for at most the timeout.
    fn resolve(&mut self) -> io::Result<SocketAddr> {
        let host = match &self.target {
            Target::Addr(addr) => return Ok(*addr),
            Target::Host(host) => host.clone(),
        };
        let answer = match self.lookup.take() {
            Some(pending) => pending,
            None => {
                let (tx, rx) = mpsc::channel();
                let name = host.clone();
                std::thread::Builder::new()
                    .name("tachymeter-statsd-lookup".to_string())
                    .spawn(move || {
                        let found = name.to_socket_addrs().and_then(|mut all| {
                            all.next().ok_or_else(|| {
                                io::Error::new(
                                    io::ErrorKind::NotFound,
                                    format!("{name} has no address"),
                                )
                            })
                        });
                        let _ = tx.send(found);
                    })?;
                rx
            }
        };
        match answer.recv_timeout(self.timeout) {
            Ok(found) => found,
            Err(RecvTimeoutError::Timeout) => {
                self.lookup = Some(answer);
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("looking up {host} took over {:?}", self.timeout),
                ))
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(io::Error::other(format!("looking up {host} failed")))
            }
        }
    }
}

/// Sends an empty datagram and waits [`PROBE_WAIT`] for a refusal.
fn probe(socket: &UdpSocket) -> io::Result<()> {
    socket.send(&[])?;
    let mut buffer = [0u8; 1];
    match socket.recv(&mut buffer) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
        // The daemon never answers; whatever came is ignored.
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_need_a_port() {
        for ok in ["127.0.0.1:8125", "[::1]:8125", "statsd.local:8125"] {
            assert!(Connection::new(ok, Duration::from_secs(1)).is_ok(), "{ok}");
        }
        for bad in ["", "statsd", ":8125", "host:port", "host:70000", "::1:8125"] {
            assert!(
                Connection::new(bad, Duration::from_secs(1)).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_closed_port_fails_before_sending() {
        let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let mut connection = Connection::new(&addr.to_string(), Duration::from_secs(1)).unwrap();
        let delivery = connection.send(&[b"a:1|c".to_vec()]);
        assert_eq!(delivery.delivered, 0);
        let error = delivery.error.expect("refused");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        // Listening again: the next report connects a new socket.
        let open = UdpSocket::bind(addr).unwrap();
        let delivery = connection.send(&[b"a:1|c".to_vec()]);
        assert!(delivery.error.is_none(), "{:?}", delivery.error);
        assert!(delivery.reconnected);
        assert_eq!(delivery.delivered, 1);
        let mut buffer = [0u8; 64];
        assert_eq!(open.recv(&mut buffer).unwrap(), 0); // the probe
        let n = open.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"a:1|c");
    }

    #[test]
    fn an_unknown_host_fails_the_send() {
        let mut connection =
            Connection::new("no-such-host.invalid:8125", Duration::from_secs(3)).unwrap();
        let delivery = connection.send(&[b"a:1|c".to_vec()]);
        assert!(delivery.error.is_some());
        assert_eq!(delivery.delivered, 0);
    }
}
