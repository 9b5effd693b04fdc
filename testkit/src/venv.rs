//! [`PythonPackages`]: a Python virtual environment with pinned PyPI
//! packages, for the judges written in Python (HdrHistogram's reader, the
//! OTLP receiver).

use crate::error::{Error, Result};
use crate::install::install_once;
use crate::process::find_program;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const INSTALL_PYTHON: &str = "apt-get install -y --no-install-recommends python3 python3-venv";

/// A virtual environment of its own in Cargo's target directory, with
/// `packages` installed from PyPI, and `check` (a Python script) passing
/// in it once installed: `import` what is needed and `assert` versions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PythonPackages {
    /// The environment's directory name under `testkit/` in the target
    /// directory.
    pub(crate) name: &'static str,
    /// Overrides the directory.
    pub(crate) dir_env: &'static str,
    pub(crate) packages: &'static [&'static str],
    pub(crate) check: &'static str,
}

impl PythonPackages {
    /// `$<dir_env>`, or `testkit/<name>` in Cargo's target directory
    /// (`$CARGO_TARGET_DIR`, else the workspace's `target`).
    pub(crate) fn dir(&self) -> PathBuf {
        if let Some(dir) = std::env::var_os(self.dir_env) {
            return PathBuf::from(dir);
        }
        crate::dir::target_dir().join("testkit").join(self.name)
    }

    /// Creates the environment unless it is there already and passes the
    /// check, and returns the path of its `python`.
    ///
    /// It needs `python3` with the `venv` module (Debian: `python3-venv`)
    /// and PyPI; a missing one is an error saying what to install, never a
    /// skip. The environment is built in a fresh directory and renamed into
    /// place, so concurrent test processes are safe.
    pub(crate) fn ensure(&self) -> Result<PathBuf> {
        let dir = self.dir();
        let python = |root: &Path| root.join("bin").join("python");
        let installed = install_once(
            &dir,
            |root| self.run_check(&python(root)).is_ok(),
            |staging| {
                let python3 = find_program("python3", INSTALL_PYTHON)?;
                run(
                    Command::new(&python3).args(["-m", "venv"]).arg(staging),
                    &format!("python3 -m venv {}", staging.display()),
                    &format!("python3's venv module is missing or broken: `{INSTALL_PYTHON}`"),
                )?;
                run(
                    Command::new(python(staging))
                        .args([
                            "-m",
                            "pip",
                            "install",
                            "--disable-pip-version-check",
                            "--no-input",
                            "--quiet",
                        ])
                        .args(self.packages),
                    &format!("pip install {}", self.packages.join(" ")),
                    "pip could not install the packages from PyPI (is PyPI reachable?)",
                )
            },
        );
        if let Err(error) = installed {
            // Says what the environment lacks, when it is there but unusable.
            self.run_check(&python(&dir))?;
            return Err(error);
        }
        Ok(python(&dir))
    }

    fn run_check(&self, python: &Path) -> Result<()> {
        run(
            Command::new(python).args(["-c", self.check]),
            &format!("{} -c <check of {}>", python.display(), self.name),
            &format!("the environment lacks {}", self.packages.join(" ")),
        )
    }
}

/// Runs `command` to completion; an error quoting its output if it fails.
fn run(command: &mut Command, what: &str, hint: &str) -> Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(format!("running {what}"), e))?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::protocol(
        what,
        format!(
            "{hint}; {}; stdout: {} stderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    ))
}
