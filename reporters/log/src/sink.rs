//! [`Sink`]: where a report goes.

use std::fmt;
use std::io::{self, Write};
#[cfg(feature = "log")]
use std::sync::atomic::{AtomicBool, Ordering};

/// The target of the log records and `tracing` events a report is sent as.
pub const TARGET: &str = "metrics";

/// The level a report is logged at through the `log` facade or `tracing`
/// (a writer ignores it). Default [`Info`](Level::Info).
///
/// ```
/// use tachymeter_log::{Level, LogReporter};
///
/// let reporter = LogReporter::builder().level(Level::Debug).build();
/// # drop(reporter);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Level {
    /// Error.
    Error,
    /// Warning.
    Warn,
    /// Information (the default).
    #[default]
    Info,
    /// Debugging.
    Debug,
    /// Tracing.
    Trace,
}

/// Where a [`LogReporter`](crate::LogReporter) sends each report.
///
/// - `Sink::log` (feature `log`, on by default): one record through the
///   `log` facade per report, at the reporter's [`Level`], with target
///   `metrics` ([`TARGET`]). The message is the report without its last
///   newline.
/// - `Sink::tracing` (feature `tracing`): one `tracing` event per report,
///   at the reporter's level, with target `metrics`; the report is the
///   event's message.
/// - [`Sink::writer`]: any [`Write`]; each report is written whole and
///   flushed. A write or flush error is the report's error, so a
///   [`PeriodicReporter`](tachymeter_report::PeriodicReporter) logs and counts
///   it.
///
/// The default is `Sink::log` with the `log` feature, standard error
/// without it.
///
/// ```
/// use tachymeter_log::Sink;
///
/// let to_stdout = Sink::writer(std::io::stdout());
/// let to_a_buffer = Sink::writer(Vec::new());
/// ```
pub struct Sink {
    inner: Inner,
}

enum Inner {
    #[cfg(feature = "log")]
    Log,
    #[cfg(feature = "tracing")]
    Tracing,
    Writer(Box<dyn Write + Send>),
}

impl Sink {
    /// Each report is one record through the `log` facade.
    ///
    /// ```
    /// use tachymeter_log::{LogReporter, Sink};
    ///
    /// let reporter = LogReporter::builder().sink(Sink::log()).build();
    /// ```
    #[cfg(feature = "log")]
    #[cfg_attr(docsrs, doc(cfg(feature = "log")))]
    pub fn log() -> Self {
        Self { inner: Inner::Log }
    }

    /// Each report is one `tracing` event.
    ///
    /// ```
    /// use tachymeter_log::{LogReporter, Sink};
    ///
    /// let reporter = LogReporter::builder().sink(Sink::tracing()).build();
    /// ```
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn tracing() -> Self {
        Self {
            inner: Inner::Tracing,
        }
    }

    /// Each report is written to `writer` and flushed.
    pub fn writer(writer: impl Write + Send + 'static) -> Self {
        Self {
            inner: Inner::Writer(Box::new(writer)),
        }
    }

    /// Sends `text` (whole lines, each ending with `\n`).
    /// Whether each report becomes one record of a logging library (`log`
    /// or `tracing`), which starts on the library's own header line.
    pub(crate) fn is_record(&self) -> bool {
        !matches!(self.inner, Inner::Writer(_))
    }

    pub(crate) fn emit(&mut self, level: Level, text: &str) -> io::Result<()> {
        match &mut self.inner {
            #[cfg(feature = "log")]
            Inner::Log => {
                let level = log_level(level);
                if let Some(warning) = unheard(level) {
                    // Once per process, on a channel of its own.
                    static WARNED: AtomicBool = AtomicBool::new(false);
                    if !WARNED.swap(true, Ordering::Relaxed) {
                        eprintln!("{warning}");
                    }
                }
                log::log!(target: TARGET, level, "{}", text.trim_end_matches('\n'));
                Ok(())
            }
            #[cfg(feature = "tracing")]
            Inner::Tracing => {
                tracing_event(level, text.trim_end_matches('\n'));
                Ok(())
            }
            Inner::Writer(writer) => {
                let _ = level;
                writer.write_all(text.as_bytes())?;
                writer.flush()
            }
        }
    }
}

impl Default for Sink {
    /// `Sink::log` with the `log` feature, standard error without it.
    fn default() -> Self {
        #[cfg(feature = "log")]
        {
            Self::log()
        }
        #[cfg(not(feature = "log"))]
        {
            Self::writer(io::stderr())
        }
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            #[cfg(feature = "log")]
            Inner::Log => f.write_str("Sink::log()"),
            #[cfg(feature = "tracing")]
            Inner::Tracing => f.write_str("Sink::tracing()"),
            Inner::Writer(_) => f.write_str("Sink::writer(..)"),
        }
    }
}

#[cfg(feature = "log")]
/// What to tell the user when no `log` logger takes records of `level`
/// for [`TARGET`] (none is installed, or the maximum level is below it):
/// the reports would go nowhere. `None` when one listens.
#[cfg(feature = "log")]
pub(crate) fn unheard(level: log::Level) -> Option<String> {
    let metadata = log::Metadata::builder().level(level).target(TARGET).build();
    if level <= log::max_level() && log::logger().enabled(&metadata) {
        return None;
    }
    Some(format!(
        "tachymeter-log: no `log` logger takes {level} records for target `{TARGET}`, so the \
         metrics reports go nowhere. Install a logger (for example env_logger) at that level, \
         or report to a writer: LogReporter::builder().sink(Sink::writer(std::io::stdout()))"
    ))
}

#[cfg(feature = "log")]
fn log_level(level: Level) -> log::Level {
    match level {
        Level::Error => log::Level::Error,
        Level::Warn => log::Level::Warn,
        Level::Info => log::Level::Info,
        Level::Debug => log::Level::Debug,
        Level::Trace => log::Level::Trace,
    }
}

/// `tracing` needs the level of an event at compile time: one call site
/// per level.
#[cfg(feature = "tracing")]
fn tracing_event(level: Level, message: &str) {
    use tracing::Level as L;
    match level {
        Level::Error => tracing::event!(target: TARGET, L::ERROR, "{message}"),
        Level::Warn => tracing::event!(target: TARGET, L::WARN, "{message}"),
        Level::Info => tracing::event!(target: TARGET, L::INFO, "{message}"),
        Level::Debug => tracing::event!(target: TARGET, L::DEBUG, "{message}"),
        Level::Trace => tracing::event!(target: TARGET, L::TRACE, "{message}"),
    }
}

#[cfg(all(test, feature = "log"))]
mod tests {
    use super::*;

    /// These unit tests install no logger: nothing listens, and the warning
    /// says how to fix it.
    #[test]
    fn a_report_nobody_listens_to_is_called_out() {
        let warning = unheard(log::Level::Info).expect("no logger is installed here");
        assert!(warning.contains("no `log` logger"), "{warning}");
        assert!(warning.contains("Sink::writer"), "{warning}");
    }
}
