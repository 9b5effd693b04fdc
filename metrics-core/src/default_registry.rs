//! [`default_registry`]: one registry for the whole process, for those who
//! want one.

use crate::registry::Registry;
use std::sync::OnceLock;

/// A process-wide registry for those who want one; nothing in this library
/// requires it.
///
/// ```
/// tachymeter_core::default_registry().counter("started")?.inc(1);
/// # Ok::<(), tachymeter_core::RegistryError>(())
/// ```
pub fn default_registry() -> &'static Registry {
    static DEFAULT: OnceLock<Registry> = OnceLock::new();
    DEFAULT.get_or_init(Registry::new)
}
