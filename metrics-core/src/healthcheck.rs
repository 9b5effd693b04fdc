//! [`Healthcheck`]: a named check run on demand.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A check that says whether something is healthy, run when asked (never on
/// a schedule of its own).
///
/// A check that panics is reported unhealthy with the panic's message.
///
/// ```
/// use tachymeter_core::Healthcheck;
///
/// let db = Healthcheck::new(|| Ok(()));
/// assert!(db.check().is_ok());
/// let disk = Healthcheck::new(|| Err("disk 97% full".to_string()));
/// assert_eq!(disk.check(), Err("disk 97% full".to_string()));
/// ```
#[derive(Clone)]
pub struct Healthcheck {
    check: Arc<dyn Fn() -> Result<(), String> + Send + Sync>,
}

impl Healthcheck {
    /// A check that runs `f`: `Ok(())` is healthy, `Err(message)` is not.
    pub fn new(f: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self { check: Arc::new(f) }
    }

    /// Runs the check.
    pub fn check(&self) -> Result<(), String> {
        catch_unwind(AssertUnwindSafe(|| (self.check)())).unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(format!("healthcheck panicked: {message}"))
        })
    }
}

impl fmt::Debug for Healthcheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Healthcheck").finish_non_exhaustive()
    }
}
