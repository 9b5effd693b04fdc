//! A single-node VictoriaMetrics with Graphite, InfluxDB and OpenTSDB
//! listeners.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::port;
use crate::process::{find_program, retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};

const INSTALL: &str = "apt-get install -y --no-install-recommends victoria-metrics";

/// A VictoriaMetrics on 127.0.0.1 with a throwaway storage directory.
///
/// Besides its HTTP API (InfluxDB line protocol at `/write`, Prometheus
/// import and remote write, queries), it listens for Graphite plaintext,
/// InfluxDB line protocol and OpenTSDB telnet `put` lines, each on TCP and
/// UDP with one port. Search caches and the latency offset are disabled; call
/// [`VictoriaMetrics::force_flush`] before reading what was just written.
/// Stopped when dropped.
#[derive(Debug)]
pub struct VictoriaMetrics {
    process: ServerProcess,
    http_addr: SocketAddr,
    graphite_addr: SocketAddr,
    influx_addr: SocketAddr,
    opentsdb_addr: SocketAddr,
}

impl VictoriaMetrics {
    /// Starts VictoriaMetrics and waits until `GET /health` answers 200 (up
    /// to [`DEFAULT_START_TIMEOUT`]).
    pub fn start() -> Result<Self> {
        Self::start_within(DEFAULT_START_TIMEOUT)
    }

    /// Like [`VictoriaMetrics::start`], waiting up to `timeout`.
    pub fn start_within(timeout: Duration) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(timeout))
    }

    fn start_once(timeout: Duration) -> Result<Self> {
        let program = find_program("victoria-metrics", INSTALL)?;
        let dir = TempDir::new("victoria")?;
        let http_port = port::free_tcp_port()?;
        let listeners = port::free_tcp_udp_ports(3)?;
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let http_addr = loopback(http_port);
        let graphite_addr = loopback(listeners[0]);
        let influx_addr = loopback(listeners[1]);
        let opentsdb_addr = loopback(listeners[2]);
        let data = dir.subdir("data")?;
        let mut command = Command::new(program);
        command
            .arg(format!("-httpListenAddr={http_addr}"))
            .arg(format!("-storageDataPath={}", data.display()))
            .arg("-retentionPeriod=1d")
            .arg(format!("-graphiteListenAddr={graphite_addr}"))
            .arg(format!("-influxListenAddr={influx_addr}"))
            .arg(format!("-opentsdbListenAddr={opentsdb_addr}"))
            .arg("-search.latencyOffset=0s")
            .arg("-search.disableCache");
        let process = ServerProcess::spawn("victoria-metrics", command, dir)?;
        let server = VictoriaMetrics {
            process,
            http_addr,
            graphite_addr,
            influx_addr,
            opentsdb_addr,
        };
        server
            .process
            .wait_http(&server.url("/health"), 200, timeout)?;
        Ok(server)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&self) {
        self.process.kill();
    }

    /// Starts the server again (killing it first if it runs) on the same
    /// ports with the same data, and waits until it is ready again (up to
    /// [`DEFAULT_START_TIMEOUT`]).
    pub fn restart(&self) -> Result<()> {
        self.process.restart()?;
        self.process
            .wait_http(&self.url("/health"), 200, DEFAULT_START_TIMEOUT)
    }

    /// The HTTP API address.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// `http://<http_addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http_addr)
    }

    /// The Graphite plaintext listener (TCP and UDP).
    pub fn graphite_addr(&self) -> SocketAddr {
        self.graphite_addr
    }

    /// The InfluxDB line protocol listener (TCP and UDP).
    pub fn influx_addr(&self) -> SocketAddr {
        self.influx_addr
    }

    /// The OpenTSDB telnet `put` listener (TCP and UDP).
    pub fn opentsdb_addr(&self) -> SocketAddr {
        self.opentsdb_addr
    }

    /// The running process.
    pub fn process(&self) -> &ServerProcess {
        &self.process
    }

    /// Makes everything ingested so far searchable
    /// (`GET /internal/force_flush`).
    pub fn force_flush(&self) -> Result<()> {
        Request::get(&self.url("/internal/force_flush"))
            .send_expect(200)
            .map(drop)
    }

    /// The series matching the selector `matcher` (e.g. `{__name__=~"a.*"}`),
    /// one JSON object per series: `{"metric":{…},"values":[…],
    /// "timestamps":[…]}` with timestamps in milliseconds.
    pub fn export(&self, matcher: &str) -> Result<Vec<Value>> {
        let response = Request::post(&self.url("/api/v1/export"))
            .form(&[("match[]", matcher)])
            .send_expect(200)?;
        response
            .text()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line).map_err(|e| {
                    Error::protocol("VictoriaMetrics export", format!("{e} in line {line:?}"))
                })
            })
            .collect()
    }

    /// Flushes, then polls [`VictoriaMetrics::export`] until `predicate`
    /// holds for the series found, and returns them.
    pub fn wait_for_export(
        &self,
        matcher: &str,
        mut predicate: impl FnMut(&[Value]) -> bool,
        timeout: Duration,
    ) -> Result<Vec<Value>> {
        self.process.poll(
            &format!("VictoriaMetrics export of {matcher:?} to match"),
            timeout,
            || {
                self.force_flush()?;
                let series = self.export(matcher)?;
                if predicate(&series) {
                    Ok(Ok(series))
                } else {
                    Ok(Err(format!("{series:?}")))
                }
            },
            |last| format!("last export: {last}"),
        )
    }
}
