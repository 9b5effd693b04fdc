//! A TCP listener collecting the text lines sent to it, standing in for a
//! line-based backend such as Graphite's plaintext receiver.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::process::POLL_INTERVAL;

/// How often the threads look at the stop flag.
const TICK: Duration = Duration::from_millis(25);

/// Collects every newline-terminated line received on any connection to a
/// loopback TCP port. Stops its threads when dropped.
#[derive(Debug)]
pub struct LineSink {
    addr: SocketAddr,
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LineSink {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("binding a line sink on 127.0.0.1", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the line sink's address", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("configuring the line sink", e))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let lines = Arc::clone(&lines);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("line-sink-{}", addr.port()))
                .spawn(move || accept_loop(listener, lines, stop))
                .map_err(|e| Error::io("starting the line sink thread", e))?
        };
        Ok(LineSink {
            addr,
            lines,
            stop,
            thread: Some(thread),
        })
    }

    /// The address to send lines to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn guard(&self) -> MutexGuard<'_, Vec<String>> {
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every complete line received so far, without its line terminator, in
    /// the order received (per connection).
    pub fn lines(&self) -> Vec<String> {
        self.guard().clone()
    }

    /// Forgets the lines received so far.
    pub fn clear(&self) {
        self.guard().clear();
    }

    /// Waits until a received line satisfies `predicate`, and returns it.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] listing the last lines received.
    pub fn wait_for_line(
        &self,
        mut predicate: impl FnMut(&str) -> bool,
        timeout: Duration,
    ) -> Result<String> {
        let start = Instant::now();
        loop {
            if let Some(line) = self.guard().iter().find(|line| predicate(line)) {
                return Ok(line.clone());
            }
            if start.elapsed() >= timeout {
                let lines = self.lines();
                let skip = lines.len().saturating_sub(30);
                return Err(Error::Timeout {
                    what: format!("a matching line on {}", self.addr),
                    waited: timeout,
                    detail: format!(
                        "{} lines received; the last ones:\n{}",
                        lines.len(),
                        lines[skip..].join("\n")
                    ),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl Drop for LineSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: TcpListener, lines: Arc<Mutex<Vec<String>>>, stop: Arc<AtomicBool>) {
    let mut readers = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let lines = Arc::clone(&lines);
                let stop = Arc::clone(&stop);
                readers.push(std::thread::spawn(move || read_lines(stream, lines, stop)));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(TICK),
            Err(_) => std::thread::sleep(TICK),
        }
        readers.retain(|reader: &JoinHandle<()>| !reader.is_finished());
    }
    for reader in readers {
        let _ = reader.join();
    }
}

fn read_lines(mut stream: TcpStream, lines: Arc<Mutex<Vec<String>>>, stop: Arc<AtomicBool>) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(TICK)).is_err() {
        return;
    }
    let mut pending = Vec::new();
    let mut buffer = [0u8; 8192];
    let store = |pending: &mut Vec<u8>, all: bool| {
        let mut received = Vec::new();
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            received.push(line.trim_end_matches(['\n', '\r']).to_string());
        }
        if all && !pending.is_empty() {
            received.push(String::from_utf8_lossy(pending).into_owned());
            pending.clear();
        }
        if !received.is_empty() {
            lines
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend(received);
        }
    };
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                pending.extend_from_slice(&buffer[..n]);
                store(&mut pending, false);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    // A last line without terminator still counts once the peer is done.
    store(&mut pending, true);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn collects_lines_across_connections() {
        let sink = LineSink::start().unwrap();
        let mut a = TcpStream::connect(sink.addr()).unwrap();
        a.write_all(b"one 1 100\ntwo ").unwrap();
        a.flush().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        a.write_all(b"2 100\r\nunterminated").unwrap();
        drop(a);
        let mut b = TcpStream::connect(sink.addr()).unwrap();
        b.write_all(b"three 3 100\n").unwrap();
        drop(b);
        sink.wait_for_line(|l| l == "three 3 100", Duration::from_secs(5))
            .unwrap();
        sink.wait_for_line(|l| l == "unterminated", Duration::from_secs(5))
            .unwrap();
        let lines = sink.lines();
        assert!(lines.contains(&"one 1 100".to_string()), "{lines:?}");
        assert!(lines.contains(&"two 2 100".to_string()), "{lines:?}");
        let err = sink
            .wait_for_line(|l| l == "four", Duration::from_millis(100))
            .unwrap_err();
        assert!(err.to_string().contains("three 3 100"), "{err}");
    }
}
