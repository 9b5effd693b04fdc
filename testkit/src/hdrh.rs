//! HdrHistogram's Python implementation (PyPI `hdrhistogram`, module
//! `hdrh`), in a virtual environment of its own, to read interval logs with
//! a second implementation.

use crate::error::Result;
use crate::venv::PythonPackages;
use std::path::PathBuf;

/// The PyPI packages installed, pinned: `hdrhistogram` and the two
/// packages it needs at run time.
pub const HDRH_PACKAGES: [&str; 3] = ["hdrhistogram==0.10.8", "pbr==7.1.3", "setuptools==84.2.1"];

/// Overrides the directory of the virtual environment.
pub const HDRH_DIR_ENV: &str = "METRICS_TESTKIT_HDRH_DIR";

const HDRH: PythonPackages = PythonPackages {
    name: "hdrh-venv",
    dir_env: HDRH_DIR_ENV,
    packages: &HDRH_PACKAGES,
    check: "import hdrh.log, importlib.metadata as m\n\
            v = m.version('hdrhistogram')\n\
            assert v == '0.10.8', v\n",
};

/// Where the virtual environment with [`HDRH_PACKAGES`] lives:
/// `$METRICS_TESTKIT_HDRH_DIR`, or `testkit/hdrh-venv` in Cargo's target
/// directory (`$CARGO_TARGET_DIR`, else the workspace's `target`).
pub fn hdrh_venv_dir() -> PathBuf {
    HDRH.dir()
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
    HDRH.ensure()
}
