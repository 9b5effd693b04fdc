//! A Graphite carbon-cache storing into whisper files.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::port;
use crate::process::{find_program, retry_on_port_clash, ServerProcess, DEFAULT_START_TIMEOUT};

const INSTALL: &str = "apt-get install -y --no-install-recommends graphite-carbon python3-whisper";

/// The window, back from now, searched by [`Carbon::wait_for_point`]. It
/// stays within the 1-second archive (1 hour) so no aggregated archive is
/// read.
pub const RECENT_WINDOW: Duration = Duration::from_secs(600);

/// A carbon-cache on 127.0.0.1 with a throwaway storage directory. Every
/// metric gets the retentions `1s:1h,1m:1d`; creation of new metrics is not
/// throttled and carbon does not record its own metrics. Stopped when
/// dropped.
#[derive(Debug)]
pub struct Carbon {
    process: ServerProcess,
    line_addr: SocketAddr,
    pickle_addr: SocketAddr,
    whisper_dir: PathBuf,
    whisper_fetch: PathBuf,
}

impl Carbon {
    /// Starts carbon-cache and waits until its line receiver accepts a
    /// connection (up to [`DEFAULT_START_TIMEOUT`]).
    pub fn start() -> Result<Self> {
        Self::start_within(DEFAULT_START_TIMEOUT)
    }

    /// Like [`Carbon::start`], waiting up to `timeout`.
    pub fn start_within(timeout: Duration) -> Result<Self> {
        retry_on_port_clash(|| Self::start_once(timeout))
    }

    fn start_once(timeout: Duration) -> Result<Self> {
        let program = find_program("carbon-cache", INSTALL)?;
        let whisper_fetch = find_program("whisper-fetch", INSTALL)?;
        let dir = TempDir::new("carbon")?;
        let ports = port::free_tcp_ports(3)?;
        let line_addr = SocketAddr::from(([127, 0, 0, 1], ports[0]));
        let pickle_addr = SocketAddr::from(([127, 0, 0, 1], ports[1]));
        let conf_dir = dir.subdir("conf")?;
        let storage = dir.subdir("storage")?;
        let whisper_dir = dir.subdir("storage/whisper")?;
        let config = format!(
            "[cache]\n\
             STORAGE_DIR = {storage}/\n\
             LOCAL_DATA_DIR = {whisper}/\n\
             WHITELISTS_DIR = {lists}/\n\
             CONF_DIR = {conf}/\n\
             LOG_DIR = {log}/\n\
             PID_DIR = {run}/\n\
             USER =\n\
             DATABASE = whisper\n\
             ENABLE_LOGROTATION = False\n\
             MAX_CACHE_SIZE = inf\n\
             MAX_CREATES_PER_MINUTE = inf\n\
             CARBON_METRIC_INTERVAL = 0\n\
             LINE_RECEIVER_INTERFACE = 127.0.0.1\n\
             LINE_RECEIVER_PORT = {line}\n\
             ENABLE_UDP_LISTENER = False\n\
             UDP_RECEIVER_INTERFACE = 127.0.0.1\n\
             PICKLE_RECEIVER_INTERFACE = 127.0.0.1\n\
             PICKLE_RECEIVER_PORT = {pickle}\n\
             CACHE_QUERY_INTERFACE = 127.0.0.1\n\
             CACHE_QUERY_PORT = {query}\n\
             LOG_UPDATES = False\n\
             LOG_CREATES = True\n\
             WHISPER_AUTOFLUSH = False\n\
             WHISPER_FALLOCATE_CREATE = False\n",
            storage = storage.display(),
            whisper = whisper_dir.display(),
            lists = dir.subdir("storage/lists")?.display(),
            conf = conf_dir.display(),
            log = dir.subdir("log")?.display(),
            run = dir.subdir("run")?.display(),
            line = ports[0],
            pickle = ports[1],
            query = ports[2],
        );
        let config = dir.write("conf/carbon.conf", &config)?;
        dir.write(
            "conf/storage-schemas.conf",
            "[default]\npattern = .*\nretentions = 1s:1h,1m:1d\n",
        )?;
        let mut command = Command::new(program);
        command
            .arg(format!("--config={}", config.display()))
            .arg("--logfile=-")
            .arg("--nodaemon")
            .arg("start");
        let process = ServerProcess::spawn("carbon-cache", command, dir)?;
        process.wait_tcp(line_addr, timeout)?;
        Ok(Carbon {
            process,
            line_addr,
            pickle_addr,
            whisper_dir,
            whisper_fetch,
        })
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
        self.process.wait_tcp(self.line_addr, DEFAULT_START_TIMEOUT)
    }

    /// The plaintext receiver (`<path> <value> <timestamp>\n` over TCP).
    pub fn line_addr(&self) -> SocketAddr {
        self.line_addr
    }

    /// The pickle receiver.
    pub fn pickle_addr(&self) -> SocketAddr {
        self.pickle_addr
    }

    /// The running process.
    pub fn process(&self) -> &ServerProcess {
        &self.process
    }

    /// The whisper file of the metric `path` (`a.b.c` is `a/b/c.wsp` under
    /// `LOCAL_DATA_DIR`). Tagged metrics (`name;tag=value`) are stored
    /// elsewhere and are not supported here.
    pub fn whisper_file(&self, path: &str) -> PathBuf {
        let mut file = self.whisper_dir.clone();
        for part in path.split('.') {
            file.push(part);
        }
        file.set_extension("wsp");
        file
    }

    /// Reads the points of metric `path` in the range `(from, until]` (Unix
    /// seconds) with `whisper-fetch`: one `(timestamp, value)` per slot of
    /// the archive whisper picks for `from` (the 1-second one when `from` is
    /// within the last hour), `None` for an empty slot.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] if the metric has no whisper file yet or
    /// `whisper-fetch` fails.
    pub fn fetch(&self, path: &str, from: i64, until: i64) -> Result<Vec<(i64, Option<f64>)>> {
        let file = self.whisper_file(path);
        if !file.exists() {
            return Err(Error::protocol(
                format!("carbon metric {path:?}"),
                format!("no whisper file {} yet", file.display()),
            ));
        }
        let output = Command::new(&self.whisper_fetch)
            .arg("--json")
            .arg(format!("--from={from}"))
            .arg(format!("--until={until}"))
            .arg(&file)
            .output()
            .map_err(|e| Error::io("running whisper-fetch", e))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(Error::protocol(
                format!("whisper-fetch {}", file.display()),
                format!(
                    "{}: {}{}",
                    output.status,
                    stdout,
                    String::from_utf8_lossy(&output.stderr)
                ),
            ));
        }
        parse_fetch(&stdout)
            .map_err(|message| Error::protocol(format!("whisper-fetch output {stdout:?}"), message))
    }

    /// Polls the last [`RECENT_WINDOW`] of metric `path` until a stored
    /// point satisfies `predicate(timestamp, value)`, and returns it.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] with the last points read if `timeout` passes.
    pub fn wait_for_point(
        &self,
        path: &str,
        mut predicate: impl FnMut(i64, f64) -> bool,
        timeout: Duration,
    ) -> Result<(i64, f64)> {
        self.process.poll(
            &format!("a matching point of carbon metric {path:?}"),
            timeout,
            || {
                let file = self.whisper_file(path);
                if !file.exists() {
                    return Ok(Err(format!("no whisper file {} yet", file.display())));
                }
                let now = unix_now();
                let points = self.fetch(path, now - RECENT_WINDOW.as_secs() as i64, now)?;
                let found = points
                    .iter()
                    .filter_map(|&(t, v)| v.map(|v| (t, v)))
                    .find(|&(t, v)| predicate(t, v));
                Ok(found.ok_or_else(|| {
                    let stored: Vec<_> = points.iter().filter(|(_, v)| v.is_some()).collect();
                    format!("points stored: {stored:?}")
                }))
            },
            |last| format!("{last}\nend of log:\n{}", self.process.log_tail()),
        )
    }
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Parses `whisper-fetch --json`, which prints the values as a Python list
/// (`[1.0, null, nan, inf]`), so not always valid JSON.
fn parse_fetch(text: &str) -> std::result::Result<Vec<(i64, Option<f64>)>, String> {
    let field = |name: &str| -> std::result::Result<&str, String> {
        let key = format!("\"{name}\"");
        let start = text.find(&key).ok_or_else(|| format!("no {key}"))? + key.len();
        let rest = text[start..].trim_start();
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| format!("no ':' after {key}"))?
            .trim_start();
        Ok(rest)
    };
    let number = |name: &str| -> std::result::Result<i64, String> {
        let rest = field(name)?;
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(rest.len());
        rest[..end]
            .parse()
            .map_err(|_| format!("invalid \"{name}\""))
    };
    let start = number("start")?;
    let step = number("step")?;
    let values = field("values")?;
    let values = values
        .strip_prefix('[')
        .and_then(|v| v.split_once(']'))
        .map(|(inside, _)| inside)
        .ok_or_else(|| "\"values\" is not a list".to_string())?;
    let mut points = Vec::new();
    let mut time = start;
    for item in values.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let value = match item {
            "null" | "None" => None,
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => Some(
                item.parse()
                    .map_err(|_| format!("invalid value {item:?}"))?,
            ),
        };
        points.push((time, value));
        time += step;
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whisper_fetch_json() {
        let text = "{\n    \"start\" : 100,\n    \"end\" : 104,\n    \"step\" : 1,\n    \"values\" : [7.0, null, nan, -inf, 1e-09]\n  }\n";
        let points = parse_fetch(text).unwrap();
        assert_eq!(points.len(), 5);
        assert_eq!(points[0], (100, Some(7.0)));
        assert_eq!(points[1], (101, None));
        assert!(points[2].1.unwrap().is_nan());
        assert_eq!(points[3], (103, Some(f64::NEG_INFINITY)));
        assert_eq!(points[4], (104, Some(1e-9)));
        let empty = "{\"start\" : 1, \"end\" : 1, \"step\" : 60, \"values\" : []}";
        assert_eq!(parse_fetch(empty).unwrap(), vec![]);
    }
}
