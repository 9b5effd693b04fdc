//! Free loopback ports.
//!
//! Ports are drawn at random below the kernel's ephemeral range
//! (`/proc/sys/net/ipv4/ip_local_port_range`), so that no outgoing
//! connection or `bind(…:0)` of another socket can take a port between the
//! moment it is found free and the moment the server binds it. A port is
//! free when it can be bound on 127.0.0.1. Ports handed out by this process
//! are remembered and never handed out twice, so servers started by parallel
//! tests of one test binary do not collide with each other.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::error::{Error, Result};

/// How many candidates are tried per port before giving up.
const ATTEMPTS: usize = 200;

/// The lowest port handed out.
const LOWEST: u16 = 15000;

/// The ephemeral range assumed when the kernel's cannot be read.
const DEFAULT_EPHEMERAL_START: u16 = 32768;

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Records `port` as handed out; returns false if it already was.
fn claim(port: u16) -> bool {
    handed_out()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(port)
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// The first port of the kernel's ephemeral range.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(DEFAULT_EPHEMERAL_START)
}

/// A random port in `[LOWEST, ephemeral start)`, or 0 (let the kernel
/// choose) if that range is too small.
fn candidate() -> u16 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let end = ephemeral_start();
    if end < LOWEST.saturating_add(1000) {
        return 0;
    }
    let random =
        RandomState::new().hash_one((COUNTER.fetch_add(1, Ordering::Relaxed), std::process::id()));
    LOWEST + (random % u64::from(end - LOWEST)) as u16
}

/// Finds `count` distinct free TCP ports on 127.0.0.1.
pub fn free_tcp_ports(count: usize) -> Result<Vec<u16>> {
    pick(count, "TCP", |port| {
        let tcp = TcpListener::bind(loopback(port))?;
        tcp.local_addr().map(|a| a.port())
    })
}

/// Finds a free TCP port on 127.0.0.1.
pub fn free_tcp_port() -> Result<u16> {
    Ok(free_tcp_ports(1)?[0])
}

/// Finds a free UDP port on 127.0.0.1.
pub fn free_udp_port() -> Result<u16> {
    let ports = pick(1, "UDP", |port| {
        let udp = UdpSocket::bind(loopback(port))?;
        udp.local_addr().map(|a| a.port())
    })?;
    Ok(ports[0])
}

/// Finds `count` distinct ports on 127.0.0.1 that are free for both TCP and
/// UDP, for servers that listen on both protocols with one port number.
pub fn free_tcp_udp_ports(count: usize) -> Result<Vec<u16>> {
    pick(count, "TCP+UDP", |port| {
        let tcp = TcpListener::bind(loopback(port))?;
        let port = tcp.local_addr()?.port();
        UdpSocket::bind(loopback(port))?;
        Ok(port)
    })
}

/// Tries candidates with `probe` (which binds and releases) until `count`
/// new ports are found.
fn pick(
    count: usize,
    protocol: &str,
    probe: impl Fn(u16) -> std::io::Result<u16>,
) -> Result<Vec<u16>> {
    let mut ports = Vec::with_capacity(count);
    let mut last_error = None;
    for _ in 0..ATTEMPTS * count.max(1) {
        if ports.len() == count {
            break;
        }
        match probe(candidate()) {
            Ok(port) => {
                if claim(port) {
                    ports.push(port);
                }
            }
            Err(e) => last_error = Some(e),
        }
    }
    if ports.len() == count {
        return Ok(ports);
    }
    Err(Error::io(
        format!("finding {count} free {protocol} port(s) on 127.0.0.1"),
        last_error.unwrap_or_else(|| std::io::Error::other("every candidate was taken")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_not_ephemeral() {
        let ports = free_tcp_ports(5).unwrap();
        let unique: HashSet<_> = ports.iter().collect();
        assert_eq!(unique.len(), 5);
        let both = free_tcp_udp_ports(2).unwrap();
        let udp = free_udp_port().unwrap();
        for &port in ports.iter().chain(&both).chain([&udp]) {
            assert!(port >= LOWEST && port < ephemeral_start(), "{port}");
        }
        // The probes released the ports. Another process on the host may
        // briefly bind one of them, so each check gets a few tries.
        let bindable = |bind: &dyn Fn() -> bool| {
            (0..5).any(|_| {
                bind() || {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    false
                }
            })
        };
        for port in ports {
            assert!(
                bindable(&|| TcpListener::bind(loopback(port)).is_ok()),
                "{port}"
            );
        }
        for port in both {
            assert!(
                bindable(&|| TcpListener::bind(loopback(port)).is_ok()),
                "{port}"
            );
            assert!(
                bindable(&|| UdpSocket::bind(loopback(port)).is_ok()),
                "{port}"
            );
        }
        assert!(
            bindable(&|| UdpSocket::bind(loopback(udp)).is_ok()),
            "{udp}"
        );
    }
}
