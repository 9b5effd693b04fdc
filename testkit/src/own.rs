//! [`own_count`]: a reporter's own counter, as its tests read it.

use tachymeter_core::Registry;
use tachymeter_report::Own;

/// The count of `reporter.<reporter>.<what>` in `registry` (0 when it was
/// never registered).
///
/// # Panics
///
/// When that name is taken by another kind of metric: a test's mistake.
pub fn own_count(registry: &Registry, reporter: &str, what: &str) -> i64 {
    Own::new(registry, reporter)
        .counter(what)
        .unwrap_or_else(|e| panic!("reporter.{reporter}.{what}: {e}"))
        .count()
}
