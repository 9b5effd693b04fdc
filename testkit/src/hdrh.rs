//! HdrHistogram's Python implementation (PyPI `hdrhistogram`, module
//! `hdrh`), in a virtual environment of its own, to read interval logs with
//! a second implementation.

use crate::error::{Error, Result};
use crate::install::install_once;
use crate::process::find_program;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The PyPI packages installed, pinned: `hdrhistogram` and the two
/// packages it needs at run time.
pub const HDRH_PACKAGES: [&str; 3] = ["hdrhistogram==0.10.8", "pbr==7.1.3", "setuptools==84.2.1"];

/// Overrides the directory of the virtual environment.
pub const HDRH_DIR_ENV: &str = "METRICS_TESTKIT_HDRH_DIR";

const INSTALL_PYTHON: &str = "apt-get install -y --no-install-recommends python3 python3-venv";

/// Where the virtual environment with [`HDRH_PACKAGES`] lives:
/// `$METRICS_TESTKIT_HDRH_DIR`, or `testkit/hdrh-venv` in Cargo's target
/// directory (`$CARGO_TARGET_DIR`, else the workspace's `target`).
pub fn hdrh_venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(HDRH_DIR_ENV) {
        return PathBuf::from(dir);
    }
    crate::dir::target_dir().join("testkit").join("hdrh-venv")
}

/// Creates the virtual environment of [`hdrh_venv_dir`] with
/// [`HDRH_PACKAGES`] unless it is there already (with `hdrh` importable at
/// the pinned version), and returns the path of its `python`, which runs
/// scripts that `import hdrh`.
///
/// It needs `python3` with the `venv` module (Debian: `python3-venv`) and
/// PyPI; a missing one is an error saying what to install, never a skip.
/// The environment is built in a fresh directory and renamed into place,
/// so concurrent test processes are safe.
pub fn ensure_hdrh() -> Result<PathBuf> {
    let dir = hdrh_venv_dir();
    let python = |root: &Path| root.join("bin").join("python");
    let installed = install_once(
        &dir,
        |root| check(&python(root)).is_ok(),
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
                    .args(HDRH_PACKAGES),
                &format!("pip install {}", HDRH_PACKAGES.join(" ")),
                "pip could not install the packages from PyPI (is PyPI reachable?)",
            )
        },
    );
    if let Err(error) = installed {
        // Says what the environment lacks, when it is there but unusable.
        check(&python(&dir))?;
        return Err(error);
    }
    Ok(python(&dir))
}

/// Whether `python` imports `hdrh.log` and has the pinned version.
fn check(python: &Path) -> Result<()> {
    let pinned = HDRH_PACKAGES[0].trim_start_matches("hdrhistogram==");
    let script = format!(
        "import hdrh.log, importlib.metadata as m\n\
         v = m.version('hdrhistogram')\n\
         assert v == '{pinned}', v\n"
    );
    run(
        Command::new(python).args(["-c", &script]),
        &format!("{} -c 'import hdrh.log'", python.display()),
        &format!("the environment lacks hdrhistogram=={pinned}"),
    )
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
