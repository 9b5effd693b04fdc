//! The one thing a reporter does: turn a snapshot into output.

use tachymeter_core::RegistrySnapshot;

/// Why a report failed: any error, boxed.
pub type ReportError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Turns a snapshot of a registry into output: a log entry, a write to a
/// socket, a push to a server.
///
/// Implementations keep whatever state they need between reports (a
/// connection, the previous counts for deltas) in `self`.
/// [`PeriodicReporter`](crate::PeriodicReporter) calls `report` from one
/// thread, one report at a time.
pub trait Report: Send + 'static {
    /// Sends one report of `snapshot`.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError>;
}

impl<F> Report for F
where
    F: FnMut(&RegistrySnapshot) -> Result<(), ReportError> + Send + 'static,
{
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        self(snapshot)
    }
}
