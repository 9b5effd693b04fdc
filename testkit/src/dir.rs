//! Throwaway data directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Set this environment variable to any value to keep the data directories
/// (configuration, data and logs) after the tests, for inspection.
pub const KEEP_DIRS_ENV: &str = "METRICS_TESTKIT_KEEP_DIRS";

/// Cargo's target directory of this workspace (`$CARGO_TARGET_DIR`, else
/// the workspace's `target`), where the test kit keeps what it installs
/// and tests leave what a person may open (a screenshot).
pub fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().unwrap_or(manifest);
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    }
}

/// A directory with a unique name under [`std::env::temp_dir`], removed with
/// everything in it when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `tachymeter-testkit-<label>-<pid>-<time>-<sequence>` in the
    /// system's temporary directory.
    pub fn new(label: &str) -> Result<Self> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "tachymeter-testkit-{label}-{}-{nanos}-{sequence}",
            std::process::id()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the subdirectory `name` (and its parents) and returns its path.
    pub fn subdir(&self, name: &str) -> Result<PathBuf> {
        let path = self.path.join(name);
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        Ok(path)
    }

    /// Writes `contents` to the file `name` in the directory and returns its
    /// path.
    pub fn write(&self, name: &str, contents: &str) -> Result<PathBuf> {
        let path = self.path.join(name);
        std::fs::write(&path, contents)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os(KEEP_DIRS_ENV).is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_and_removed_on_drop() {
        let a = TempDir::new("t").unwrap();
        let b = TempDir::new("t").unwrap();
        assert_ne!(a.path(), b.path());
        let file = a.write("f.txt", "x").unwrap();
        assert!(file.exists());
        let path = a.path().to_path_buf();
        drop(a);
        if std::env::var_os(KEEP_DIRS_ENV).is_none() {
            assert!(!path.exists());
        }
    }
}
