//! [`GraphiteReporter`]: encodes each snapshot with a [`Format`] and writes
//! it to carbon over one TCP connection.

use crate::encode::Format;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tachymeter_core::{Counter, Registry, RegistrySnapshot};
use tachymeter_report::{
    DurationUnit, LineSender, PeriodicReporter, PushSettings, Report, ReportError, SeriesNames,
};

/// How long a connection attempt, and a report's write, may take by
/// default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends every metric of a registry to Graphite (carbon's plaintext
/// protocol over TCP), go-metrics' `graphite.Graphite`: see [`Format`] for
/// the paths and values.
///
/// - One persistent connection, opened on the first report and reopened
///   after it breaks (the host name is resolved again each time).
/// - Every connection attempt and every report's write ends within the
///   [timeout](GraphiteReporterBuilder::timeout): a dead, slow or hung
///   carbon never blocks the reporter for longer.
/// - After a failed connection attempt or write, reports fail at once
///   until a backoff has passed (0.5 s, doubling up to 30 s), so a backend
///   that is down sees one attempt per backoff. Counts are cumulative, so
///   the first report that gets through carries everything missed.
/// - Memory is one report's text, reused.
///
/// Failed reports are returned as errors, which the [`PeriodicReporter`]
/// logs (`warn`); each new connection is logged (`info`).
///
/// Its own counters, in the same registry, named after the reporter
/// (`reporter.graphite.*` by default), besides those of the
/// [`PeriodicReporter`] (`reports`, `failures`, …):
///
/// `skipped-values` (NaN and ±Inf values, which Graphite cannot store) and
/// those of its [`LineSender`]: `connects`, `connect-failures`,
/// `write-failures`, `backed-off`, `sent-lines` and `dropped-lines` (one
/// line per value).
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use tachymeter_graphite::GraphiteReporter;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = GraphiteReporter::builder("carbon.internal:2003")
///     .prefix("books.web-1")
///     .start(&registry, Duration::from_secs(10))?;
/// registry.counter("requests")?.inc(1);
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug)]
pub struct GraphiteReporter {
    format: Format,
    /// Each series' path, settled once for the reporter's life.
    names: SeriesNames,
    connection: LineSender,
    skipped: Counter,
    text: String,
    name: String,
}

/// Configures a [`GraphiteReporter`]; see [`GraphiteReporter::builder`].
///
/// See [`GraphiteReporter::builder`] for an example.
#[derive(Debug, Clone)]
pub struct GraphiteReporterBuilder {
    target: String,
    format: Format,
    push: PushSettings,
}

impl GraphiteReporter {
    /// Starts configuring a reporter to carbon's plaintext receiver at
    /// `target` (`host:port`, usually port 2003): no prefix, tags off,
    /// durations in milliseconds, [`DEFAULT_TIMEOUT`], name `graphite`.
    ///
    /// ```
    /// use tachymeter_graphite::{DurationUnit, GraphiteReporter};
    /// use std::time::Duration;
    ///
    /// let builder = GraphiteReporter::builder("localhost:2003")
    ///     .prefix("app")
    ///     .tags(true)
    ///     .duration_unit(DurationUnit::Microseconds)
    ///     .timeout(Duration::from_secs(1))
    ///     .name("carbon");
    /// ```
    pub fn builder(target: impl Into<String>) -> GraphiteReporterBuilder {
        GraphiteReporterBuilder {
            target: target.into(),
            format: Format::new(),
            push: PushSettings::new("graphite", DEFAULT_TIMEOUT),
        }
    }

    /// The `host:port` it sends to.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_graphite::GraphiteReporter;
    ///
    /// let reporter = GraphiteReporter::builder("localhost:2003").build(&Registry::new())?;
    /// assert_eq!(reporter.target(), "localhost:2003");
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn target(&self) -> &str {
        self.connection.target()
    }

    /// The [`Format`] it encodes with.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_graphite::GraphiteReporter;
    ///
    /// let reporter = GraphiteReporter::builder("localhost:2003")
    ///     .prefix("app")
    ///     .build(&Registry::new())?;
    /// assert_eq!(reporter.format().prefix_path(), "app");
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn format(&self) -> &Format {
        &self.format
    }
}

impl Report for GraphiteReporter {
    /// Encodes `snapshot`, stamped with the current Unix time, and writes it.
    ///
    /// # Errors
    ///
    /// A [`SendError`](tachymeter_report::SendError): backing off, a failed
    /// connection attempt, or a failed or timed-out write. Each is counted.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.text.clear();
        let encoded = self
            .format
            .encode_named(&mut self.names, snapshot, now, &mut self.text);
        // Keep the buffer from holding on to a rare huge report forever.
        if self.text.capacity() > 4 * self.text.len().max(1 << 16) {
            self.text.shrink_to(self.text.len());
        }
        self.skipped.inc(encoded.skipped as u64);
        if encoded.skipped > 0 {
            log::debug!(
                "metrics reporter {:?}: {} NaN or infinite values not sent",
                self.name,
                encoded.skipped
            );
        }
        if encoded.lines == 0 {
            return Ok(());
        }
        self.connection.send(&self.text, encoded.lines as u64)
    }
}

impl GraphiteReporterBuilder {
    /// Puts `prefix` before every path (see [`Format::prefix`]). Default
    /// none.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.format = self.format.prefix(prefix);
        self
    }

    /// Whether labels are written as Graphite 1.1 tags (`path;key=value`)
    /// rather than path segments (see [`Format::tags`]). Default off.
    pub fn tags(mut self, on: bool) -> Self {
        self.format = self.format.tags(on);
        self
    }

    /// The unit of timer durations. Default milliseconds (go-metrics used
    /// nanoseconds; see [`Format`]).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.format = self.format.duration_unit(unit);
        self
    }

    /// The whole [`Format`], replacing the prefix, tags and unit set so far.
    ///
    /// ```
    /// use tachymeter_graphite::{Format, GraphiteReporter};
    ///
    /// let builder = GraphiteReporter::builder("localhost:2003")
    ///     .format(Format::new().prefix("app").tags(true));
    /// ```
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    tachymeter_report::push_setters!(name: "graphite", backoff);

    /// How long each connection attempt (per address the host resolves to)
    /// and each report's write may take. Default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.push.set_timeout(timeout);
        self
    }

    /// The reporter, to call by hand or hand to a [`PeriodicReporter`];
    /// registers its own counters in `registry`. Nothing is connected yet.
    ///
    /// # Errors
    ///
    /// When one of its counter names is taken by another kind of metric.
    pub fn build(self, registry: &Registry) -> Result<GraphiteReporter, ReportError> {
        Ok(GraphiteReporter {
            skipped: self.push.own_counter(registry, "skipped-values")?,
            format: self.format,
            names: SeriesNames::new(),
            connection: LineSender::new(registry, &self.push, self.target)?,
            text: String::new(),
            name: self.push.name().to_string(),
        })
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped, which sends one
    /// final report. Stopping waits for a report at most twice the timeout
    /// (a connection attempt and a write) and one second more.
    ///
    /// # Errors
    ///
    /// When a counter name of the reporter is taken by another kind of
    /// metric, or the thread cannot be started.
    pub fn start(
        self,
        registry: &Registry,
        interval: Duration,
    ) -> Result<PeriodicReporter, ReportError> {
        let push = self.push.clone();
        // A connection attempt and a write.
        push.start(registry, interval, self.build(registry)?, 2)
    }
}
