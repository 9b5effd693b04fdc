//! The reference StatsD daemon (npm `statsd`), flushing to Graphite.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::carbon::Carbon;
use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::install::install_once;
use crate::port;
use crate::process::{find_program, retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};
use crate::sink::LineSink;

/// The npm package installed and run.
pub const STATSD_PACKAGE: &str = "statsd@0.9.0";

/// Overrides the directory the StatsD package is installed into.
pub const STATSD_DIR_ENV: &str = "METRICS_TESTKIT_STATSD_DIR";

const INSTALL_NODE: &str = "apt-get install -y --no-install-recommends nodejs npm";

/// How a [`Statsd`] is started.
#[derive(Debug, Clone)]
pub struct StatsdOptions {
    flush_interval: Duration,
    graphite: Option<SocketAddr>,
    extra: Map<String, Value>,
    start_timeout: Duration,
}

impl Default for StatsdOptions {
    fn default() -> Self {
        StatsdOptions {
            flush_interval: Duration::from_millis(1000),
            graphite: None,
            extra: Map::new(),
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }
}

impl StatsdOptions {
    /// Flushes every second to a [`LineSink`] run by the handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// The flush interval (default 1 s; whole milliseconds).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Flushes to the Graphite plaintext receiver at `addr` instead of the
    /// handle's own [`LineSink`].
    pub fn graphite(mut self, addr: SocketAddr) -> Self {
        self.graphite = Some(addr);
        self
    }

    /// Flushes to `carbon`, which must outlive the StatsD server.
    pub fn carbon(self, carbon: &Carbon) -> Self {
        self.graphite(carbon.line_addr())
    }

    /// Sets any other key of StatsD's configuration (e.g. `deleteIdleStats`,
    /// `percentThreshold`), overriding the keys set by this crate.
    pub fn config(mut self, key: &str, value: Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }

    /// How long to wait for the admin port (default
    /// [`DEFAULT_START_TIMEOUT`]).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }
}

/// A StatsD daemon on 127.0.0.1 receiving on a free UDP port, with the
/// console and Graphite backends (non-legacy namespace:
/// `stats.counters.<name>.count`, `stats.gauges.<name>`,
/// `stats.timers.<name>.mean`, …).
///
/// Unless told to flush to a real carbon, it flushes to a [`LineSink`] run
/// by the handle, readable with [`Statsd::received_lines`]. The package is
/// installed with npm on first use (see [`statsd_install_dir`]). Stopped
/// when dropped.
#[derive(Debug)]
pub struct Statsd {
    process: ServerProcess,
    udp_addr: SocketAddr,
    mgmt_addr: SocketAddr,
    graphite_addr: SocketAddr,
    // Dropped after the process, which sends to it.
    sink: Option<LineSink>,
}

impl Statsd {
    /// Starts StatsD with the defaults of [`StatsdOptions::new`].
    pub fn start() -> Result<Self> {
        Self::start_with(StatsdOptions::new())
    }

    /// Starts StatsD with `options` and waits until its admin port reports
    /// `health: up`.
    pub fn start_with(options: StatsdOptions) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(options.clone()))
    }

    fn start_once(options: StatsdOptions) -> Result<Self> {
        let node = find_program("node", INSTALL_NODE)?;
        let stats_js = ensure_installed()?;
        let (sink, graphite_addr) = match options.graphite {
            Some(addr) => (None, addr),
            None => {
                let sink = LineSink::start()?;
                let addr = sink.addr();
                (Some(sink), addr)
            }
        };
        let dir = TempDir::new("statsd")?;
        let udp_port = port::free_udp_port()?;
        let mgmt_port = port::free_tcp_port()?;
        let mut config = Map::new();
        let mut set = |key: &str, value: Value| {
            config.insert(key.to_string(), value);
        };
        set("address", "127.0.0.1".into());
        set("port", udp_port.into());
        set("mgmt_address", "127.0.0.1".into());
        set("mgmt_port", mgmt_port.into());
        set(
            "flushInterval",
            (options.flush_interval.as_millis().max(1) as u64).into(),
        );
        set(
            "backends",
            serde_json::json!(["./backends/console", "./backends/graphite"]),
        );
        set("graphiteHost", graphite_addr.ip().to_string().into());
        set("graphitePort", graphite_addr.port().into());
        set("graphite", serde_json::json!({ "legacyNamespace": false }));
        set("console", serde_json::json!({ "prettyprint": false }));
        config.extend(options.extra);
        let config = dir.write(
            "config.js",
            &serde_json::to_string_pretty(&Value::Object(config)).unwrap_or_default(),
        )?;
        let mut command = Command::new(node);
        command.arg(&stats_js).arg(&config);
        let process = ServerProcess::spawn("statsd", command, dir)?;
        let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let server = Statsd {
            process,
            udp_addr: loopback(udp_port),
            mgmt_addr: loopback(mgmt_port),
            graphite_addr,
            sink,
        };
        server.process.wait_ready(options.start_timeout, || {
            let answer = admin_command(server.mgmt_addr, "health").map_err(|e| e.to_string())?;
            if answer.contains("health: up") {
                Ok(())
            } else {
                Err(format!("health answered {answer:?}"))
            }
        })?;
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
        let mgmt = self.mgmt_addr;
        self.process.wait_ready(DEFAULT_START_TIMEOUT, || {
            let answer = admin_command(mgmt, "health").map_err(|e| e.to_string())?;
            if answer.contains("health: up") {
                Ok(())
            } else {
                Err(format!("health answered {answer:?}"))
            }
        })
    }

    /// The UDP address metrics are sent to.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// The TCP admin (management) address.
    pub fn mgmt_addr(&self) -> SocketAddr {
        self.mgmt_addr
    }

    /// Where the Graphite backend sends its lines.
    pub fn graphite_addr(&self) -> SocketAddr {
        self.graphite_addr
    }

    /// The running process (`node`, which renames itself `statsd`).
    pub fn process(&self) -> &ServerProcess {
        &self.process
    }

    /// Sends `payload` (one or more `name:value|type` lines) in one UDP
    /// datagram.
    pub fn send(&self, payload: &str) -> Result<()> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .map_err(|e| Error::io("binding a UDP socket on 127.0.0.1", e))?;
        socket
            .send_to(payload.as_bytes(), self.udp_addr)
            .map_err(|e| Error::io(format!("sending to StatsD at {}", self.udp_addr), e))?;
        Ok(())
    }

    /// Runs an admin command (`stats`, `counters`, `gauges`, `timers`,
    /// `health`, …) and returns its answer.
    pub fn admin(&self, command: &str) -> Result<String> {
        self.process.check_running()?;
        admin_command(self.mgmt_addr, command)
    }

    /// The `bad_lines_seen` counter of the admin `stats` command: how many
    /// received lines StatsD could not parse.
    pub fn bad_lines_seen(&self) -> Result<u64> {
        let stats = self.admin("stats")?;
        stats
            .lines()
            .find_map(|line| line.strip_prefix("messages.bad_lines_seen:"))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| {
                Error::protocol(
                    "StatsD admin `stats`",
                    format!("no messages.bad_lines_seen in {stats:?}"),
                )
            })
    }

    /// The lines the Graphite backend has sent so far
    /// (`<path> <value> <timestamp>`).
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] if the backend flushes to a real carbon, which
    /// has to be read instead.
    pub fn received_lines(&self) -> Result<Vec<String>> {
        Ok(self.sink()?.lines())
    }

    /// Waits until the Graphite backend has sent a line satisfying
    /// `predicate`, and returns it. Fails early if StatsD exits.
    pub fn wait_for_line(
        &self,
        mut predicate: impl FnMut(&str) -> bool,
        timeout: Duration,
    ) -> Result<String> {
        let sink = self.sink()?;
        let start = Instant::now();
        loop {
            self.process.check_running()?;
            let left = timeout.saturating_sub(start.elapsed());
            let step = left.min(Duration::from_millis(250));
            match sink.wait_for_line(&mut predicate, step) {
                Ok(line) => return Ok(line),
                Err(e) if left <= step => {
                    return Err(match e {
                        Error::Timeout { what, detail, .. } => Error::Timeout {
                            what,
                            waited: timeout,
                            detail: format!(
                                "{detail}\nend of StatsD's log:\n{}",
                                self.process.log_tail()
                            ),
                        },
                        other => other,
                    })
                }
                Err(_) => {}
            }
        }
    }

    fn sink(&self) -> Result<&LineSink> {
        self.sink.as_ref().ok_or_else(|| {
            Error::protocol(
                "StatsD Graphite output",
                format!(
                    "it goes to the carbon at {}: read it from there",
                    self.graphite_addr
                ),
            )
        })
    }
}

impl Drop for Statsd {
    fn drop(&mut self) {
        // Stop the daemon before the sink it flushes to.
        self.process.stop();
    }
}

/// Sends one admin command and reads the answer: up to `END` for the
/// commands that print it, else what arrives until the connection goes quiet.
fn admin_command(addr: SocketAddr, command: &str) -> Result<String> {
    let context = || format!("StatsD admin command {command:?} at {addr}");
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| Error::io(context(), e))?;
    stream
        .write_all(format!("{command}\n").as_bytes())
        .map_err(|e| Error::io(context(), e))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    let quiet = Duration::from_millis(200);
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let timeout = if answer.is_empty() {
            deadline.saturating_duration_since(Instant::now())
        } else {
            quiet
        };
        if timeout.is_zero() {
            return Err(Error::protocol(context(), "no answer within 5 s"));
        }
        stream
            .set_read_timeout(Some(timeout))
            .map_err(|e| Error::io(context(), e))?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !answer.is_empty() {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(context(), e)),
        }
        let text = String::from_utf8_lossy(&answer);
        if text.ends_with("END\n\n") || (command.starts_with("health") && text.ends_with('\n')) {
            break;
        }
    }
    let _ = stream.write_all(b"quit\n");
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// Where [`STATSD_PACKAGE`] is installed: `$METRICS_TESTKIT_STATSD_DIR`, or
/// `testkit/statsd` in Cargo's target directory (`$CARGO_TARGET_DIR`, else
/// the workspace's `target`).
pub fn statsd_install_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(STATSD_DIR_ENV) {
        return PathBuf::from(dir);
    }
    crate::dir::target_dir().join("testkit").join("statsd")
}

/// Installs [`STATSD_PACKAGE`] into [`statsd_install_dir`] unless present,
/// and returns the path of its `stats.js`.
///
/// The package is installed into a fresh directory which is then renamed into
/// place, so concurrent installs from several test processes are safe.
pub fn ensure_installed() -> Result<PathBuf> {
    let dir = statsd_install_dir();
    let stats_js = |root: &Path| root.join("node_modules/statsd/stats.js");
    install_once(
        &dir,
        |root| stats_js(root).is_file(),
        |staging| {
            let npm = find_program("npm", INSTALL_NODE)?;
            let output = Command::new(npm)
                .args(["install", "--prefix"])
                .arg(staging)
                .args([
                    "--no-audit",
                    "--no-fund",
                    "--omit=optional",
                    "--no-package-lock",
                    STATSD_PACKAGE,
                ])
                .stdin(Stdio::null())
                .output()
                .map_err(|e| Error::io(format!("running npm install {STATSD_PACKAGE}"), e))?;
            if output.status.success() && stats_js(staging).is_file() {
                return Ok(());
            }
            Err(Error::protocol(
                format!(
                    "npm install --prefix {} {STATSD_PACKAGE}",
                    staging.display()
                ),
                format!(
                    "{}; stdout: {} stderr: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            ))
        },
    )?;
    Ok(stats_js(&dir))
}
