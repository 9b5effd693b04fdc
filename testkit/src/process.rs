//! Running a server as a child process: spawning with the output captured to
//! a log file, waiting for readiness, and stopping on drop.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::dir::TempDir;
use crate::error::{Error, Result};
use crate::http;

/// How long `start()` waits for a server to become ready unless told
/// otherwise.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a stopping server is given after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Pause between two polls of a condition.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How many lines of a log an error message quotes.
const LOG_TAIL_LINES: usize = 40;

/// Finds `program` on `PATH`.
///
/// # Errors
///
/// [`Error::NotInstalled`] naming `install`, the command that installs it.
pub fn find_program(program: &str, install: &str) -> Result<PathBuf> {
    let not_installed = || Error::NotInstalled {
        program: program.to_string(),
        install: install.to_string(),
    };
    let path = std::env::var_os("PATH").ok_or_else(not_installed)?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(not_installed)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// How many times a server is started when it fails because a port it was
/// given was taken in the meantime.
const START_ATTEMPTS: usize = 3;

/// Runs `start` again (with the fresh ports it picks) while it fails with
/// [`Error::is_address_in_use`], up to [`START_ATTEMPTS`] times in all.
pub(crate) fn retry_on_port_clash<T>(mut start: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 1;
    loop {
        match start() {
            Err(e) if attempt < START_ATTEMPTS && e.is_address_in_use() => attempt += 1,
            result => return result,
        }
    }
}

/// A running server process with its data directory.
///
/// The process's stdout and stderr go to a log file in the data directory.
/// Dropping the value stops the process (SIGTERM, then SIGKILL after
/// [`STOP_GRACE`]), waits for it, and then removes the directory.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    pid: AtomicU32,
    child: Mutex<Child>,
    /// What was spawned, to spawn it again in [`ServerProcess::restart`].
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    log: PathBuf,
    // Dropped after the process has been stopped in `Drop::drop`.
    dir: TempDir,
}

impl ServerProcess {
    /// Spawns `command` with its working directory set to `dir` and its
    /// output appended to `dir/<name>.log`.
    ///
    /// The program of `command` should have been resolved with
    /// [`find_program`] first, so a missing program is reported with the way
    /// to install it.
    pub fn spawn(name: &str, command: Command, dir: TempDir) -> Result<Self> {
        let log = dir.path().join(format!("{name}.log"));
        let program = command.get_program().to_os_string();
        let args = command.get_args().map(|a| a.to_os_string()).collect();
        let envs = command
            .get_envs()
            .map(|(k, v)| (k.to_os_string(), v.map(|v| v.to_os_string())))
            .collect();
        let child = launch(name, command, dir.path(), &log, false)?;
        Ok(ServerProcess {
            name: name.to_string(),
            pid: AtomicU32::new(child.id()),
            child: Mutex::new(child),
            program,
            args,
            envs,
            log,
            dir,
        })
    }

    /// Kills the process at once (SIGKILL, no grace, as a crash would) and
    /// waits for it. Does nothing if it has already exited.
    pub fn kill(&self) {
        let mut child = self.child();
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
        }
        let _ = child.wait();
    }

    /// Kills the process if it is running, then starts the same command
    /// again with the same directory (so the same data and ports); its
    /// output is appended to the same log. The caller waits for readiness.
    pub fn restart(&self) -> Result<()> {
        let mut child = self.child();
        if let Ok(None) = child.try_wait() {
            let _ = child.kill();
        }
        let _ = child.wait();
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let fresh = launch(&self.name, command, self.dir.path(), &self.log, true)?;
        self.pid.store(fresh.id(), Ordering::SeqCst);
        *child = fresh;
        Ok(())
    }

    /// The server's name, as used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operating system's process id.
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::SeqCst)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The file receiving the process's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last lines of the log.
    pub fn log_tail(&self) -> String {
        tail(&self.log, LOG_TAIL_LINES)
    }

    fn child(&self) -> MutexGuard<'_, Child> {
        self.child
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks that the process is still running.
    ///
    /// # Errors
    ///
    /// [`Error::Exited`] with the end of the log if it has exited.
    pub fn check_running(&self) -> Result<()> {
        let status = self
            .child()
            .try_wait()
            .map_err(|e| Error::io(format!("checking on {} (pid {})", self.name, self.pid()), e))?;
        match status {
            None => Ok(()),
            Some(status) => Err(Error::Exited {
                server: self.name.clone(),
                status: status.to_string(),
                log: self.log.clone(),
                log_tail: self.log_tail(),
            }),
        }
    }

    /// Polls `probe` every few milliseconds until it succeeds, failing early
    /// if the process exits.
    ///
    /// `probe` returns `Err(reason)` while the server is not ready; the last
    /// reason is quoted if `timeout` passes.
    pub fn wait_ready(
        &self,
        timeout: Duration,
        mut probe: impl FnMut() -> std::result::Result<(), String>,
    ) -> Result<()> {
        let start = Instant::now();
        loop {
            self.check_running()?;
            let reason = match probe() {
                Ok(()) => return Ok(()),
                Err(reason) => reason,
            };
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    what: format!("{} (pid {}) to become ready", self.name, self.pid()),
                    waited: timeout,
                    detail: format!(
                        "last check: {reason}\nend of {}:\n{}",
                        self.log.display(),
                        self.log_tail()
                    ),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits until `GET url` answers `status`.
    pub fn wait_http(&self, url: &str, status: u16, timeout: Duration) -> Result<()> {
        self.wait_ready(timeout, || {
            let response = http::Request::get(url)
                .timeout(Duration::from_secs(2))
                .send()
                .map_err(|e| e.to_string())?;
            if response.status == status {
                Ok(())
            } else {
                Err(format!("GET {url} answered {}", response.status))
            }
        })
    }

    /// Waits until `addr` accepts a TCP connection.
    pub fn wait_tcp(&self, addr: SocketAddr, timeout: Duration) -> Result<()> {
        self.wait_ready(timeout, || {
            TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                .map(drop)
                .map_err(|e| format!("connecting to {addr}: {e}"))
        })
    }

    /// Polls `attempt` until it returns `Ok(Ok(value))`, failing early if
    /// the process exits or `attempt` fails.
    ///
    /// `attempt` returns `Ok(Err(state))` while the condition does not hold;
    /// on timeout, `detail` turns the last `state` into the diagnostics of
    /// the error.
    pub fn poll<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut attempt: impl FnMut() -> Result<std::result::Result<T, String>>,
        detail: impl FnOnce(String) -> String,
    ) -> Result<T> {
        let start = Instant::now();
        loop {
            self.check_running()?;
            let state = match attempt()? {
                Ok(value) => return Ok(value),
                Err(state) => state,
            };
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    what: what.to_string(),
                    waited: timeout,
                    detail: detail(state),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Stops the process: SIGTERM, up to [`STOP_GRACE`] to exit, then
    /// SIGKILL; always waits for it so no zombie is left. Does nothing if it
    /// has already exited.
    pub fn stop(&self) {
        let mut child = self.child();
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let terminated = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if terminated {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(_)) => return,
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    Err(_) => break,
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Spawns `command` in `dir` with its output going to `log` (appended to
/// when `append`).
fn launch(name: &str, mut command: Command, dir: &Path, log: &Path, append: bool) -> Result<Child> {
    let out = OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(log)
        .map_err(|e| Error::io(format!("opening {}", log.display()), e))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::io(format!("duplicating {}", log.display()), e))?;
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    command
        .spawn()
        .map_err(|e| Error::io(format!("starting {name} ({command:?})"), e))
}

/// The last `lines` lines of the file at `path` (at most its last 16 KiB).
fn tail(path: &Path, lines: usize) -> String {
    const MAX: u64 = 16 * 1024;
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return format!("(cannot read {}: {e})", path.display()),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(MAX);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return format!("(cannot read {})", path.display());
    }
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    let skip = all.len().saturating_sub(lines);
    if all.is_empty() {
        "(empty log)".to_string()
    } else {
        all[skip..].join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_says_how_to_install() {
        let err = find_program("no-such-program-xyz", "apt-get install -y xyz").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("no-such-program-xyz not found"),
            "{message}"
        );
        assert!(message.contains("./test.sh"), "{message}");
        assert!(message.contains("apt-get install -y xyz"), "{message}");
    }

    #[test]
    fn exit_is_reported_with_log_and_stop_reaps() {
        let sh = find_program("sh", "apt-get install -y dash").unwrap();
        let dir = TempDir::new("proc").unwrap();
        let mut command = Command::new(&sh);
        command.args(["-c", "echo starting; echo broken config >&2; exit 3"]);
        let process = ServerProcess::spawn("failing", command, dir).unwrap();
        let err = process
            .wait_ready(Duration::from_secs(5), || Err("never".into()))
            .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("failing exited"), "{message}");
        assert!(message.contains("broken config"), "{message}");

        let dir = TempDir::new("proc").unwrap();
        let mut command = Command::new(&sh);
        command.args(["-c", "exec sleep 60"]);
        let process = ServerProcess::spawn("sleeper", command, dir).unwrap();
        let pid = process.pid();
        process.check_running().unwrap();
        let started = Instant::now();
        drop(process);
        assert!(started.elapsed() < STOP_GRACE, "SIGTERM was not enough");
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn retries_only_when_an_address_was_in_use() {
        let exited = |log_tail: &str| Error::Exited {
            server: "server".into(),
            status: "exit status: 1".into(),
            log: PathBuf::from("server.log"),
            log_tail: log_tail.into(),
        };
        let mut attempts = 0;
        let err = retry_on_port_clash(|| -> Result<()> {
            attempts += 1;
            Err(exited(
                "listen tcp 127.0.0.1:1: bind: address already in use",
            ))
        })
        .unwrap_err();
        assert_eq!(attempts, START_ATTEMPTS);
        assert!(err.is_address_in_use());

        let mut attempts = 0;
        let value = retry_on_port_clash(|| {
            attempts += 1;
            if attempts == 1 {
                Err(exited("Error: listen EADDRINUSE 127.0.0.1:8126"))
            } else {
                Ok(attempts)
            }
        })
        .unwrap();
        assert_eq!(value, 2);

        let mut attempts = 0;
        let err = retry_on_port_clash(|| -> Result<()> {
            attempts += 1;
            Err(exited("invalid configuration"))
        })
        .unwrap_err();
        assert_eq!(attempts, 1);
        assert!(!err.is_address_in_use());
    }

    #[test]
    fn tail_keeps_last_lines() {
        let dir = TempDir::new("tail").unwrap();
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let path = dir.write("log", &text).unwrap();
        let t = tail(&path, 3);
        assert_eq!(t, "line 97\nline 98\nline 99");
    }
}
