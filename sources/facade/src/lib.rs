//! What libraries record through the [`metrics`] facade
//! (`metrics::counter!`, `gauge!`, `histogram!`), recorded into a
//! tachymeter [`Registry`], next to your own metrics: the same reports,
//! the same `/metrics`, the same series cap.
//!
//! ```
//! use tachymeter_core::Registry;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Registry::new();
//! tachymeter_facade::install(&registry)?; // once, at start-up
//!
//! // Anywhere, in code that only knows the `metrics` crate:
//! metrics::counter!("cache.hits").increment(1);
//!
//! assert_eq!(registry.counter("cache.hits")?.count(), 1);
//! # Ok(()) }
//! ```
//!
//! See [`FacadeRecorder`] for how each kind maps.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod handles;
mod recorder;

pub use recorder::FacadeRecorder;
use std::fmt;
use tachymeter_core::Registry;

/// Installs a [`FacadeRecorder`] of `registry` as the process's `metrics`
/// recorder.
///
/// # Errors
///
/// [`InstallError`] if a `metrics` recorder is already installed (the
/// facade takes one per process): install this one before any other, or
/// use [`metrics::with_local_recorder`] with a [`FacadeRecorder`].
pub fn install(registry: &Registry) -> Result<(), InstallError> {
    metrics::set_global_recorder(FacadeRecorder::new(registry)).map_err(|_| InstallError)
}

/// A `metrics` recorder was installed already; see [`install`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallError;

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a `metrics` recorder is already installed in this process: \
             call tachymeter_facade::install before any other recorder is installed",
        )
    }
}

impl std::error::Error for InstallError {}
