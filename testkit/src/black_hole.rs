//! A TCP listener that accepts connections and never reads from them nor
//! answers: the backend that hangs.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{Error, Result};

const TICK: Duration = Duration::from_millis(25);

/// Accepts every connection to a loopback port and holds it open without
/// reading or writing, so a client's reads wait forever and its writes
/// block once the socket buffers are full. Closes everything when dropped.
///
/// ```no_run
/// use tachymeter_testkit::BlackHole;
/// use std::io::Write;
///
/// let hole = BlackHole::start()?;
/// let mut stream = std::net::TcpStream::connect(hole.addr()).unwrap();
/// stream.write_all(b"never read\n").unwrap(); // lands in a socket buffer
/// # Ok::<(), tachymeter_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct BlackHole {
    addr: SocketAddr,
    held: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BlackHole {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("binding a black hole on 127.0.0.1", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the black hole's address", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("configuring the black hole", e))?;
        let held = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let held = Arc::clone(&held);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(format!("black-hole-{}", addr.port()))
                .spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        match listener.accept() {
                            Ok((stream, _)) => {
                                held.lock().unwrap_or_else(|p| p.into_inner()).push(stream)
                            }
                            Err(_) => std::thread::sleep(TICK),
                        }
                    }
                })
                .map_err(|e| Error::io("starting the black hole thread", e))?
        };
        Ok(BlackHole {
            addr,
            held,
            stop,
            thread: Some(thread),
        })
    }

    /// The address to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections it has accepted so far.
    pub fn accepted(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
