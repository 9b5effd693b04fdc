//! [`Udp`]: the transport of [`Datagrams`] (StatsD), on a UDP socket
//! connected to the daemon.
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

use super::{Settings, Transport, Undelivered};
use crate::{BuildError, Datagrams, Own};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;
use tachymeter_core::Counter;

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

/// Sends [`Datagrams`] to a daemon at `host:port` on a connected UDP
/// socket, connected again after a failure (the host name looked up again).
/// Its own counters (see [`Own`]): `connects`, `connect-failures` (failed
/// lookups and connections), `send-failures` (a send refused, or a daemon
/// found not listening) and `sent-points`. Points of datagrams that were
/// not delivered are not counted as dropped: an encoder sending changes
/// (StatsD) sends them with the next report.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_report::{Datagrams, Own, Settings, Transport, Udp};
///
/// let daemon = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let mut udp = Udp::new(daemon.local_addr()?.to_string());
/// udp.prepare(&Settings::default(), &Own::off("statsd"))?;
/// let mut datagrams = Datagrams::default();
/// datagrams.push("jobs:1|c");
/// assert!(udp.send(&datagrams).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Udp {
    address: String,
    /// Parsed from `address` when prepared.
    target: Option<Target>,
    timeout: Duration,
    socket: Option<UdpSocket>,
    lookup: Option<Receiver<io::Result<SocketAddr>>>,
    own: Option<Counters>,
}

#[derive(Debug)]
struct Counters {
    name: String,
    connects: Counter,
    connect_failures: Counter,
    send_failures: Counter,
    sent: Counter,
}

/// What sending one report's datagrams did.
#[derive(Debug, Default)]
struct Delivery {
    /// Datagrams taken as delivered: the first `delivered`.
    delivered: usize,
    /// A new socket was connected.
    connected: bool,
    /// A datagram sent after the previous report's check was refused: some
    /// of that report may not have arrived.
    late_refusal: Option<io::Error>,
    /// Why the report could not be sent (entirely).
    error: Option<io::Error>,
    /// The error was the lookup's or the connection's.
    connect_failed: bool,
}

impl Udp {
    /// To `target`, `host:port` (a name or an IP address; IPv6 in
    /// brackets, the name looked up again on every connect). Nothing is
    /// looked up nor connected yet; an address that is not `host:port` is
    /// refused when the reporter is built.
    pub fn new(target: impl Into<String>) -> Self {
        Udp {
            address: target.into(),
            target: None,
            timeout: Settings::default().timeout,
            socket: None,
            lookup: None,
            own: None,
        }
    }

    /// Sends `datagrams` in order, after checking the daemon listens.
    fn deliver(&mut self, datagrams: &[&[u8]]) -> Delivery {
        let mut delivery = Delivery::default();
        if self.socket.is_none() {
            match self.connect() {
                Ok(socket) => {
                    delivery.connected = true;
                    self.socket = Some(socket);
                }
                Err(e) => {
                    delivery.error = Some(e);
                    delivery.connect_failed = true;
                    return delivery;
                }
            }
        }
        let count = datagrams.len();
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
                    delivery.delivered = count.saturating_sub(1);
                    Err(e)
                }
                _ => {
                    delivery.delivered = count;
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
            Some(Target::Addr(addr)) => return Ok(*addr),
            Some(Target::Host(host)) => host.clone(),
            None => return Err(io::Error::other("the transport was not prepared")),
        };
        let answer = match self.lookup.take() {
            Some(pending) => pending,
            None => {
                let (tx, rx) = mpsc::channel();
                let name = host.clone();
                std::thread::Builder::new()
                    .name("tachymeter-udp-lookup".to_string())
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

impl Transport<Datagrams> for Udp {
    fn prepare(&mut self, settings: &Settings, own: &Own) -> Result<(), BuildError> {
        self.target = Some(parse(&self.address)?);
        self.timeout = settings.timeout.max(Duration::from_millis(1));
        self.own = Some(Counters {
            name: own.name().to_string(),
            connects: own.counter("connects")?,
            connect_failures: own.counter("connect-failures")?,
            send_failures: own.counter("send-failures")?,
            sent: own.counter("sent-points")?,
        });
        Ok(())
    }

    fn send(&mut self, datagrams: &Datagrams) -> Result<(), Undelivered> {
        let grams: Vec<&[u8]> = datagrams.iter().collect();
        let delivery = self.deliver(&grams);
        let delivered = datagrams.points_in(delivery.delivered);
        if let Some(own) = &self.own {
            own.sent.inc(delivered);
            if delivery.connected {
                own.connects.inc(1);
            }
            if let Some(e) = &delivery.late_refusal {
                own.send_failures.inc(1);
                log::warn!(
                    "metrics reporter {:?}: a datagram sent by the previous report was refused \
                     ({e}); some of it may be lost",
                    own.name
                );
            }
            if delivery.error.is_some() {
                let failures = if delivery.connect_failed {
                    &own.connect_failures
                } else {
                    &own.send_failures
                };
                failures.inc(1);
            }
        }
        match delivery.error {
            None => Ok(()),
            Some(e) => Err(Undelivered::new(
                delivered,
                format!(
                    "sending to {}: {e} ({} of {} datagrams delivered)",
                    self.address,
                    delivery.delivered,
                    datagrams.len()
                ),
            )),
        }
    }

    fn target(&self) -> &str {
        &self.address
    }

    /// A lookup and a send.
    fn attempts(&self) -> u32 {
        2
    }
}

/// `host:port`, or an IP address and port.
fn parse(address: &str) -> Result<Target, BuildError> {
    if let Ok(addr) = address.parse::<SocketAddr>() {
        return Ok(Target::Addr(addr));
    }
    match address.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok() =>
        {
            Ok(Target::Host(address.to_string()))
        }
        _ => Err(BuildError::target(
            address,
            "not host:port (an IP address or a host name, and a port)",
        )),
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
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "statsd", ":8125", "host:port", "host:70000", "::1:8125"] {
            assert!(parse(bad).is_err(), "{bad}");
            let mut udp = Udp::new(bad);
            assert!(udp.prepare(&Settings::default(), &Own::off("t")).is_err());
        }
    }

    #[test]
    fn a_closed_port_fails_before_sending() {
        let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let mut connection = Udp::new(addr.to_string());
        connection
            .prepare(&Settings::default(), &Own::off("t"))
            .unwrap();
        let delivery = connection.deliver(&[&b"a:1|c"[..]]);
        assert_eq!(delivery.delivered, 0);
        let error = delivery.error.expect("refused");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        // Listening again: the next report connects a new socket.
        let open = UdpSocket::bind(addr).unwrap();
        let delivery = connection.deliver(&[&b"a:1|c"[..]]);
        assert!(delivery.error.is_none(), "{:?}", delivery.error);
        assert!(delivery.connected);
        assert_eq!(delivery.delivered, 1);
        let mut buffer = [0u8; 64];
        assert_eq!(open.recv(&mut buffer).unwrap(), 0); // the probe
        let n = open.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"a:1|c");
    }

    #[test]
    fn an_unknown_host_fails_the_send() {
        let mut connection = Udp::new("no-such-host.invalid:8125");
        let settings = Settings {
            timeout: Duration::from_secs(3),
            ..Settings::default()
        };
        connection.prepare(&settings, &Own::off("t")).unwrap();
        let delivery = connection.deliver(&[&b"a:1|c"[..]]);
        assert!(delivery.error.is_some());
        assert_eq!(delivery.delivered, 0);
    }
}
