//! The one thing a reporter does: turn a snapshot into output.

use std::error::Error;
use std::fmt;
use tachymeter_core::{RegistryError, RegistrySnapshot};

/// Why a report failed, or a reporter could not start: the cause, with its
/// chain of [`source`](Error::source)s.
///
/// It implements `std::error::Error + Send + Sync + 'static`, so `?` turns
/// it into a `Box<dyn Error>` or an `anyhow::Error`; and `?` turns the
/// errors a report meets (registry, I/O, send errors, text) into it.
///
/// ```
/// use tachymeter_report::ReportError;
///
/// fn report() -> Result<(), ReportError> {
///     Err("carbon is down".into())
/// }
///
/// fn run() -> Result<(), Box<dyn std::error::Error>> {
///     report()?; // `?` into Box<dyn Error>
///     Ok(())
/// }
///
/// assert_eq!(run().unwrap_err().to_string(), "carbon is down");
/// ```
pub struct ReportError(Box<dyn Error + Send + Sync + 'static>);

impl ReportError {
    /// Wraps `error` (any error, or a message).
    pub fn new(error: impl Into<Box<dyn Error + Send + Sync + 'static>>) -> Self {
        ReportError(error.into())
    }

    /// The cause.
    pub fn get_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The cause, if it is an `E`.
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }

    /// The cause, owned.
    pub fn into_inner(self) -> Box<dyn Error + Send + Sync + 'static> {
        self.0
    }
}

impl fmt::Debug for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for ReportError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl From<Box<dyn Error + Send + Sync + 'static>> for ReportError {
    fn from(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        ReportError(error)
    }
}

impl From<RegistryError> for ReportError {
    fn from(error: RegistryError) -> Self {
        ReportError::new(error)
    }
}

impl From<std::io::Error> for ReportError {
    fn from(error: std::io::Error) -> Self {
        ReportError::new(error)
    }
}

impl From<crate::SendError> for ReportError {
    fn from(error: crate::SendError) -> Self {
        ReportError::new(error)
    }
}

impl From<String> for ReportError {
    fn from(message: String) -> Self {
        ReportError::new(message)
    }
}

impl From<&str> for ReportError {
    fn from(message: &str) -> Self {
        ReportError::new(message)
    }
}

/// Turns a snapshot of a registry into output: a log entry, a write to a
/// socket, a push to a server.
///
/// Implementations keep whatever state they need between reports (a
/// connection, the previous counts for deltas) in `self`.
/// [`PeriodicReporter`](crate::PeriodicReporter) calls `report` from one
/// thread, one report at a time.
///
/// ```
/// use tachymeter_core::{Registry, RegistrySnapshot};
/// use tachymeter_report::{Report, ReportError};
///
/// /// Prints how many series there are.
/// struct Count;
///
/// impl Report for Count {
///     fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
///         println!("{} series", snapshot.metrics.len());
///         Ok(())
///     }
/// }
///
/// let registry = Registry::new();
/// Count.report(&registry.snapshot())?;
/// # Ok::<(), ReportError>(())
/// ```
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
