//! [`BuildError`]: why a reporter could not be built or started.

use crate::ReportError;
use std::error::Error;
use std::fmt;
use std::io;
use tachymeter_core::RegistryError;

/// Why a reporter could not be built or started: nothing was sent yet, and
/// each case says what to change.
///
/// `?` turns it into a [`ReportError`], a `Box<dyn Error>` or an
/// `anyhow::Error`.
///
/// ```
/// use std::time::Duration;
/// use tachymeter_core::Registry;
/// use tachymeter_report::{BuildError, Datagrams, Encode, Encoded, Push, Udp};
///
/// # struct Nothing;
/// # impl Encode for Nothing {
/// #     type Output = Datagrams;
/// #     fn encode(&mut self, _: &tachymeter_core::RegistrySnapshot,
/// #               _: std::time::SystemTime, _: &mut Datagrams) -> Encoded {
/// #         Encoded::default()
/// #     }
/// # }
/// let registry = Registry::new();
/// let refused = Push::new("mine", Nothing, Udp::new("no port here"))
///     .start(&registry, Duration::from_secs(10))
///     .unwrap_err();
/// assert!(matches!(refused, BuildError::Target { .. }));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// One of the reporter's own metric names is taken by another kind of
    /// metric: rename the reporter, or turn its own metrics off.
    Registry(RegistryError),
    /// Where it sends cannot work: an address that is not `host:port`, a
    /// URL that does not parse, a header that cannot be sent.
    Target {
        /// The target as given.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The report interval is zero.
    ZeroInterval,
    /// The reporter's thread could not be started.
    Thread(io::Error),
}

impl BuildError {
    /// A [`Target`](Self::Target) error.
    pub fn target(target: impl Into<String>, reason: impl Into<String>) -> Self {
        BuildError::Target {
            target: target.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Registry(error) => write!(f, "{error}"),
            BuildError::Target { target, reason } => write!(f, "target {target:?}: {reason}"),
            BuildError::ZeroInterval => f.write_str(
                "the report interval is zero: pass how often to report, \
                 for example Duration::from_secs(10)",
            ),
            BuildError::Thread(error) => write!(f, "the reporter's thread did not start: {error}"),
        }
    }
}

impl Error for BuildError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            BuildError::Registry(error) => Some(error),
            BuildError::Thread(error) => Some(error),
            _ => None,
        }
    }
}

impl From<RegistryError> for BuildError {
    fn from(error: RegistryError) -> Self {
        BuildError::Registry(error)
    }
}

impl From<BuildError> for ReportError {
    fn from(error: BuildError) -> Self {
        ReportError::new(error)
    }
}
