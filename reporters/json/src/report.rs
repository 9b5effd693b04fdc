//! One JSON document per report, as JSON Lines.

use crate::encode;
use std::io::Write;
use std::time::Duration;
use tachymeter_core::{Registry, RegistrySnapshot};
use tachymeter_report::{write_counting, BuildError, PeriodicReporter, Report, ReportError};

/// A [`Report`] that writes each snapshot as one line of compact JSON (the
/// [crate's shape](crate)) followed by `\n`: a [JSON Lines](https://jsonlines.org)
/// stream, one document per report.
///
/// Each line is built in memory and written with a single sequence of
/// writes, then the writer is flushed. If a write fails part-way, the
/// report fails and the next one starts with a `\n`, so the fragment stays
/// on a line of its own and never corrupts a later document.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_json::JsonReport;
/// use tachymeter_report::Report;
///
/// let registry = Registry::new();
/// registry.counter("jobs")?.inc(1);
/// let mut report = JsonReport::new(std::io::stdout());
/// report.report(&registry.snapshot())?; // {"jobs":{"type":"counter","count":1}}
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub struct JsonReport {
    writer: Box<dyn Write + Send>,
    line: Vec<u8>,
    /// The last write stopped part-way through a line.
    broken_line: bool,
}

impl JsonReport {
    /// Writes to `writer` (a file, a socket, `stdout`, or a
    /// `Box<dyn Write + Send>`).
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self {
            writer: Box::new(writer),
            line: Vec::new(),
            broken_line: false,
        }
    }
}

impl std::fmt::Debug for JsonReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonReport")
            .field("broken_line", &self.broken_line)
            .finish_non_exhaustive()
    }
}

impl Report for JsonReport {
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        self.line.clear();
        if self.broken_line {
            self.line.push(b'\n');
        }
        encode(snapshot, &mut self.line, false);
        self.line.push(b'\n');
        let written = write_counting(&mut self.writer, &self.line);
        if let Err((n, error)) = written {
            // The stream now ends with `line[..n]`: mid-line unless that ends
            // with a newline (nothing else in a compact line is one).
            if n > 0 {
                self.broken_line = self.line[n - 1] != b'\n';
            }
            return Err(error.into());
        }
        self.broken_line = false;
        self.writer.flush()?;
        Ok(())
    }
}

/// Writes a JSON snapshot of `registry` to `writer` every `interval`, one
/// line per report (go-metrics' `WriteJSON`), on a thread of its own.
///
/// The reporter is named `json`: its own metrics are `reporter.json.*`
/// (e.g. `reporter.json.failures` counts reports whose write failed).
/// Stopping or dropping it writes one final line. For another name or
/// timeout, start a [`JsonReport`] with [`PeriodicReporter::builder`].
///
/// ```
/// use tachymeter_core::Registry;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = tachymeter_json::write_json_every(&registry, Duration::from_secs(60), std::io::stderr())?;
/// // ... the application runs ...
/// reporter.stop(); // one final line
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub fn write_json_every(
    registry: &Registry,
    interval: Duration,
    writer: impl Write + Send + 'static,
) -> Result<PeriodicReporter, BuildError> {
    PeriodicReporter::builder(registry, interval)
        .name("json")
        .start(JsonReport::new(writer))
}
