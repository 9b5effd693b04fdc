//! Installing a tool the tests need (an npm package, a Python venv) into
//! the target directory, once, safely across concurrent test processes.

use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Makes `dir` hold an installation for which `ready` holds, unless it
/// does already: `install` fills a fresh staging directory beside `dir`,
/// which is then renamed into place. Another process that wins the rename
/// keeps its installation; a broken one in the way is replaced.
pub(crate) fn install_once(
    dir: &Path,
    ready: impl Fn(&Path) -> bool,
    install: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _guard = INSTALLING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if ready(dir) {
        return Ok(());
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = dir
        .file_name()
        .map_or("install".into(), |n| n.to_string_lossy());
    let staging = parent.join(format!(".{name}-{}-{nanos}", std::process::id()));
    if let Err(error) = install(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    if std::fs::rename(&staging, dir).is_err() {
        if ready(dir) {
            // Another process installed it first.
            let _ = std::fs::remove_dir_all(&staging);
        } else {
            // A broken installation is in the way.
            let _ = std::fs::remove_dir_all(dir);
            let renamed = std::fs::rename(&staging, dir);
            if let Err(e) = renamed {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(Error::io(
                    format!("renaming {} to {}", staging.display(), dir.display()),
                    e,
                ));
            }
        }
    }
    if ready(dir) {
        Ok(())
    } else {
        Err(Error::protocol(
            format!("installing into {}", dir.display()),
            "the installation is incomplete",
        ))
    }
}
