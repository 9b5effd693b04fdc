//! The error type of every fallible operation in this crate.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Result of the operations in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while starting, querying or stopping a server.
///
/// Every message is meant to be read in a failed test's output: it names the
/// server, what was attempted and, when a process is involved, the end of its
/// log. `Debug` prints the same message as `Display`, so a test's
/// `unwrap()` shows it readably.
#[non_exhaustive]
pub enum Error {
    /// A required program is not on `PATH`.
    NotInstalled {
        /// The program that was looked up, e.g. `prometheus`.
        program: String,
        /// The command that installs it.
        install: String,
    },
    /// An I/O operation failed.
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A server process exited while it was expected to run.
    Exited {
        /// The server's name.
        server: String,
        /// The exit status, as printed by the standard library.
        status: String,
        /// The file holding the process's stdout and stderr.
        log: PathBuf,
        /// The last lines of that file.
        log_tail: String,
    },
    /// A condition did not hold within the allotted time.
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        waited: Duration,
        /// Diagnostics gathered when giving up (last observed state, log tail).
        detail: String,
    },
    /// A server answered with an unexpected HTTP status.
    Status {
        /// The request, e.g. `GET http://127.0.0.1:9090/-/ready`.
        request: String,
        /// The status received.
        status: u16,
        /// The response body, lossily decoded.
        body: String,
    },
    /// A response or a program's output could not be understood, or reported
    /// an error in its body.
    Protocol {
        /// What was being read.
        context: String,
        /// What was wrong with it.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn protocol(context: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Protocol {
            context: context.into(),
            message: message.into(),
        }
    }
}

impl Error {
    /// Whether a server exited because an address it was told to listen on
    /// was in use (a port found free was taken before the server bound it).
    pub fn is_address_in_use(&self) -> bool {
        match self {
            Error::Exited { log_tail, .. } => {
                let log = log_tail.to_ascii_lowercase();
                log.contains("address already in use") || log.contains("eaddrinuse")
            }
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotInstalled { program, install } => write!(
                f,
                "{program} not found on PATH: run ./test.sh, which installs it, or `{install}`"
            ),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Exited {
                server,
                status,
                log,
                log_tail,
            } => write!(
                f,
                "{server} exited unexpectedly ({status}); end of {} \
                 (removed with its directory unless {} is set):\n{log_tail}",
                log.display(),
                crate::dir::KEEP_DIRS_ENV
            ),
            Error::Timeout {
                what,
                waited,
                detail,
            } => {
                write!(f, "timed out after {waited:?} waiting for {what}")?;
                if !detail.is_empty() {
                    write!(f, "\n{detail}")?;
                }
                Ok(())
            }
            Error::Status {
                request,
                status,
                body,
            } => write!(f, "{request} answered {status}: {body}"),
            Error::Protocol { context, message } => write!(f, "{context}: {message}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
