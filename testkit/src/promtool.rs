//! `promtool check metrics`, the reference linter of the Prometheus text
//! format.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};
use crate::process::find_program;

const INSTALL: &str = "apt-get install -y --no-install-recommends prometheus";

/// Runs `promtool`, which comes with the `prometheus` package.
#[derive(Debug, Clone, Copy)]
pub struct Promtool;

/// What `promtool check metrics` said about a text.
///
/// It checks the Prometheus text format 0.0.4 only. It does not detect
/// duplicate series, a missing `+Inf` bucket, non-monotonic buckets or
/// negative counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// The exit code: 0 valid, 1 parse error, 3 lint problems.
    pub code: i32,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr (the problems found).
    pub stderr: String,
}

impl CheckOutcome {
    /// Exit code 0: the text parsed and has no lint problems.
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// Exit code 1: the text does not parse.
    pub fn is_parse_error(&self) -> bool {
        self.code == 1
    }

    /// Exit code 3: the text parses but has lint problems.
    pub fn has_lint_problems(&self) -> bool {
        self.code == 3
    }
}

impl Promtool {
    /// Runs `promtool check metrics` with `text` on stdin.
    ///
    /// # Errors
    ///
    /// [`Error::NotInstalled`] if `promtool` is missing, or an I/O error;
    /// a rejected text is an `Ok` outcome with a non-zero code.
    pub fn check_metrics(text: &str) -> Result<CheckOutcome> {
        let program = find_program("promtool", INSTALL)?;
        let mut child = Command::new(&program)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io("starting promtool check metrics", e))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = text.as_bytes().to_vec();
        // Written from a thread so a large text cannot deadlock against
        // promtool's output.
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child
            .wait_with_output()
            .map_err(|e| Error::io("running promtool check metrics", e))?;
        match writer.join() {
            Ok(Ok(())) => {}
            // promtool may stop reading at the first error.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Ok(Err(e)) => return Err(Error::io("writing to promtool", e)),
            Err(_) => return Err(Error::protocol("promtool", "stdin writer panicked")),
        }
        let code = output.status.code().ok_or_else(|| {
            Error::protocol(
                "promtool check metrics",
                format!("ended by {}", output.status),
            )
        })?;
        Ok(CheckOutcome {
            code,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
