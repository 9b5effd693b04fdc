//! [`ServedRouter`]: an application's router served on loopback for a test
//! (feature `axum`).

use crate::error::{Error, Result};
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// An axum [`Router`](axum::Router) served from a thread of its own with a
/// small tokio runtime. Dropping it stops the server (no new connections,
/// open ones finished) and waits for it; [`detach`](Self::detach) leaves it
/// serving for the rest of the test process.
///
/// ```no_run
/// use axum::{routing::get, Router};
/// use tachymeter_testkit::{http, ServedRouter};
///
/// let server = ServedRouter::start(Router::new().route("/", get(|| async { "hi" })))?;
/// assert_eq!(http::get(&format!("http://{}/", server.addr()))?.text(), "hi");
/// # Ok::<(), tachymeter_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct ServedRouter {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServedRouter {
    /// Serves `router` on a free port of 127.0.0.1.
    pub fn start(router: axum::Router) -> Result<Self> {
        Self::start_on(router, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves `router` on `addr` (e.g. the address of a server that was
    /// stopped, to restart a service in place).
    pub fn start_on(router: axum::Router, addr: SocketAddr) -> Result<Self> {
        let io = |what: &str, e| Error::io(format!("{what} {addr}"), e);
        let listener = TcpListener::bind(addr).map_err(|e| io("binding", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io("configuring", e))?;
        let addr = listener.local_addr().map_err(|e| io("reading", e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io("starting a runtime for", e))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        // A detached server's sender is gone: serve on.
                        if stopped.await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    })
                    .await;
            });
        });
        Ok(ServedRouter {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Leaves it serving until the test process ends; its address.
    pub fn detach(mut self) -> SocketAddr {
        drop(self.stop.take());
        drop(self.thread.take());
        self.addr
    }
}

impl Drop for ServedRouter {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
