//! A Prometheus Pushgateway.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::dir::TempDir;
use crate::error::Result;
use crate::http::Request;
use crate::port;
use crate::process::{find_program, retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};

const INSTALL: &str = "apt-get install -y --no-install-recommends prometheus-pushgateway";

/// A Pushgateway on 127.0.0.1 persisting to a throwaway directory. Stopped
/// when dropped.
#[derive(Debug)]
pub struct Pushgateway {
    process: ServerProcess,
    addr: SocketAddr,
}

impl Pushgateway {
    /// Starts a Pushgateway and waits until `/-/ready` answers 200 (up to
    /// [`DEFAULT_START_TIMEOUT`]).
    pub fn start() -> Result<Self> {
        Self::start_within(DEFAULT_START_TIMEOUT)
    }

    /// Like [`Pushgateway::start`], waiting up to `timeout`.
    pub fn start_within(timeout: Duration) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(timeout))
    }

    fn start_once(timeout: Duration) -> Result<Self> {
        let program = find_program("prometheus-pushgateway", INSTALL)?;
        let dir = TempDir::new("pushgateway")?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port::free_tcp_port()?));
        let mut command = Command::new(program);
        command
            .arg(format!("--web.listen-address={addr}"))
            .arg(format!(
                "--persistence.file={}",
                dir.path().join("pgw.data").display()
            ));
        let process = ServerProcess::spawn("prometheus-pushgateway", command, dir)?;
        let server = Pushgateway { process, addr };
        server
            .process
            .wait_http(&server.url("/-/ready"), 200, timeout)?;
        Ok(server)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL to push to (a pusher appends
    /// `/metrics/job/<job>/...`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The running process.
    pub fn process(&self) -> &ServerProcess {
        &self.process
    }

    /// Everything the Pushgateway exposes, as scraped from `GET /metrics`
    /// (pushed series plus its own `push_time_seconds` and process metrics).
    pub fn metrics_text(&self) -> Result<String> {
        Ok(Request::get(&self.url("/metrics")).send_expect(200)?.text())
    }

    /// The pushed groups, from `GET /api/v1/metrics` (`{"status":"success",
    /// "data":[{"labels":{…},"<metric>":{…},…}]}`).
    pub fn api_metrics(&self) -> Result<Value> {
        Request::get(&self.url("/api/v1/metrics"))
            .send_expect(200)?
            .json()
    }
}
