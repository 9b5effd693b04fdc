//! [`OpenTsdbReporter`]: encodes each snapshot and writes it to OpenTSDB
//! over one TCP connection.

use crate::encode::Encoder;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tachymeter_core::{Counter, Registry, RegistrySnapshot};
use tachymeter_report::{
    DurationUnit, LineSender, PeriodicReporter, PushSettings, Report, ReportError, SeriesNames,
};

/// How long a connection attempt, and the write of one report, may take
/// unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Writes every metric of a registry to OpenTSDB's telnet interface
/// (`put` lines over TCP), named and tagged by an [`Encoder`].
///
/// - One persistent connection ([`TcpSender`](tachymeter_report::TcpSender)): opened on the first report,
///   reopened after it breaks, the host name resolved again each time.
///   After a failed attempt, reports fail at once without trying until a
///   backoff has passed (0.5 s doubling to 30 s).
/// - Each report is one write of all its lines, bounded by the
///   [`timeout`](OpenTsdbReporterBuilder::timeout), like each connection
///   attempt: a dead, slow or silent server never holds the reporter
///   longer. A report that fails returns the error; the
///   [`PeriodicReporter`] logs and counts it and the next report sends the
///   cumulative totals again, so nothing is lost but resolution.
/// - Its own counts are metrics in the same registry, under
///   `reporter.<name>.` (name default `opentsdb`): those of its
///   [`LineSender`] (`connects`, `connect-failures`, `write-failures`,
///   `backed-off`, `sent-lines`, `dropped-lines`), `skipped-values` (NaN,
///   ±Inf), `skipped-metrics` and `skipped-too-long` (see [`Encoder`]);
///   the periodic reporter adds `reports`, `failures` and the rest.
///
/// Differences from go-metrics' OpenTSDB reporter: the connection is kept
/// between reports; values keep their full precision (go-metrics rounded
/// floats to two decimals); timer durations default to milliseconds (go
/// used nanoseconds); with no prefix, names do not start with a `.`;
/// labels become tags and names are sanitised.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use tachymeter_opentsdb::OpenTsdbReporter;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = OpenTsdbReporter::builder("tsdb.internal:4242")
///     .prefix("app")
///     .tag("dc", "eu-1")
///     .start(&registry, Duration::from_secs(10))?;
/// registry.counter("requests")?.inc(1);
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug)]
pub struct OpenTsdbReporter {
    encoder: Encoder,
    /// Each series' name and tags, settled once for the reporter's life.
    names: SeriesNames,
    sender: LineSender,
    own: OwnMetrics,
    buffer: String,
}

#[derive(Debug)]
struct OwnMetrics {
    skipped_values: Counter,
    skipped_metrics: Counter,
    skipped_too_long: Counter,
}

impl OwnMetrics {
    fn register(registry: &Registry, settings: &PushSettings) -> Result<Self, ReportError> {
        let counter = |what: &str| settings.own_counter(registry, what);
        Ok(OwnMetrics {
            skipped_values: counter("skipped-values")?,
            skipped_metrics: counter("skipped-metrics")?,
            skipped_too_long: counter("skipped-too-long")?,
        })
    }
}

impl OpenTsdbReporter {
    /// Starts configuring a reporter to `target` (`host:port`, OpenTSDB's
    /// telnet port is usually 4242) with a default [`Encoder`].
    pub fn builder(target: impl Into<String>) -> OpenTsdbReporterBuilder {
        OpenTsdbReporterBuilder {
            target: target.into(),
            encoder: Encoder::new(),
            push: PushSettings::new("opentsdb", DEFAULT_TIMEOUT),
        }
    }

    /// The `host:port` it writes to.
    pub fn target(&self) -> &str {
        self.sender.target()
    }
}

impl Report for OpenTsdbReporter {
    /// Encodes `snapshot` at the current time and writes it.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        self.buffer.clear();
        let encoded = self
            .encoder
            .encode_named(&mut self.names, snapshot, now, &mut self.buffer);
        self.own.skipped_values.inc(encoded.skipped_values);
        self.own.skipped_metrics.inc(encoded.skipped_metrics);
        self.own.skipped_too_long.inc(encoded.skipped_too_long);
        if encoded.skipped_metrics > 0 {
            log::debug!(
                "OpenTSDB report: {} metrics skipped (more tags than allowed)",
                encoded.skipped_metrics
            );
        }
        if encoded.lines == 0 {
            return Ok(());
        }
        self.sender.send(&self.buffer, encoded.lines)
    }
}

/// Configures an [`OpenTsdbReporter`]; see [`OpenTsdbReporter::builder`].
///
/// See [`OpenTsdbReporter::builder`] for an example.
#[derive(Debug)]
pub struct OpenTsdbReporterBuilder {
    target: String,
    encoder: Encoder,
    push: PushSettings,
}

impl OpenTsdbReporterBuilder {
    /// Puts `prefix.` before every metric name (default none); see
    /// [`Encoder::prefix`].
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.encoder = self.encoder.prefix(prefix);
        self
    }

    /// Adds a tag to every point, or replaces one (default
    /// `host=<short host name>`); an empty value removes it. See
    /// [`Encoder::tag`].
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.encoder = self.encoder.tag(key, value);
        self
    }

    /// The unit of timer durations (default milliseconds).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.encoder = self.encoder.duration_unit(unit);
        self
    }

    /// The most tags a point may have (default 8, OpenTSDB's); see
    /// [`Encoder::max_tags`].
    pub fn max_tags(mut self, max: usize) -> Self {
        self.encoder = self.encoder.max_tags(max);
        self
    }

    /// The longest line written (default 1,024 bytes, OpenTSDB's limit);
    /// see [`Encoder::max_line_len`].
    pub fn max_line_len(mut self, max: usize) -> Self {
        self.encoder = self.encoder.max_line_len(max);
        self
    }

    /// Replaces the whole [`Encoder`] (prefix, tags, unit, tag limit).
    pub fn encoder(mut self, encoder: Encoder) -> Self {
        self.encoder = encoder;
        self
    }

    tachymeter_report::push_setters!(name: "opentsdb", backoff);

    /// How long each connection attempt, and each report's write, may take
    /// (default [`DEFAULT_TIMEOUT`], 2 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.push.set_timeout(timeout);
        self
    }

    /// The reporter, to run by hand or hand to a [`PeriodicReporter`]; its
    /// own counters are registered in `registry` now. Nothing is connected
    /// yet.
    ///
    /// Fails if one of the counters' names is taken by another kind of
    /// metric.
    ///
    /// ```no_run
    /// use tachymeter_core::Registry;
    /// use tachymeter_opentsdb::OpenTsdbReporter;
    /// use tachymeter_report::Report;
    ///
    /// let registry = Registry::new();
    /// let mut reporter = OpenTsdbReporter::builder("127.0.0.1:4242").build(&registry)?;
    /// registry.counter("jobs")?.inc(1);
    /// reporter.report(&registry.snapshot())?;
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn build(self, registry: &Registry) -> Result<OpenTsdbReporter, ReportError> {
        Ok(OpenTsdbReporter {
            own: OwnMetrics::register(registry, &self.push)?,
            encoder: self.encoder,
            names: SeriesNames::new(),
            sender: LineSender::new(registry, &self.push, self.target)?,
            buffer: String::new(),
        })
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped (which sends one
    /// final report, waiting for it at most twice the timeout plus one
    /// second: a connection attempt and a write).
    ///
    /// Fails if one of the reporter's own metric names is taken by another
    /// kind of metric, or if the thread cannot be spawned.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_own_name_taken_by_another_kind_is_an_error_at_start() {
        let registry = Registry::new();
        registry.gauge("reporter.tsdb.connects").unwrap();
        let err = OpenTsdbReporter::builder("127.0.0.1:1")
            .name("tsdb")
            .start(&registry, Duration::from_secs(60))
            .unwrap_err();
        assert!(err.to_string().contains("reporter.tsdb.connects"), "{err}");
    }

    #[test]
    fn own_counters_are_registered_when_built() {
        let registry = Registry::new();
        let reporter = OpenTsdbReporter::builder("127.0.0.1:1")
            .build(&registry)
            .unwrap();
        assert_eq!(reporter.target(), "127.0.0.1:1");
        let names: Vec<String> = registry
            .snapshot()
            .metrics
            .iter()
            .map(|e| e.key.name().to_string())
            .collect();
        for what in [
            "connects",
            "connect-failures",
            "write-failures",
            "backed-off",
            "sent-lines",
            "dropped-lines",
            "skipped-values",
            "skipped-metrics",
            "skipped-too-long",
        ] {
            assert!(
                names.contains(&format!("reporter.opentsdb.{what}")),
                "{what}"
            );
        }
    }

    #[test]
    fn an_empty_registry_sends_nothing() {
        let registry = Registry::new();
        let mut reporter = OpenTsdbReporter::builder("127.0.0.1:1")
            .build(&registry)
            .unwrap();
        // The reporter's own counters are lines to send; the port is
        // closed, so the report fails and the attempt is counted.
        let failures = registry
            .counter("reporter.opentsdb.connect-failures")
            .unwrap();
        assert!(reporter.report(&registry.snapshot()).is_err());
        assert_eq!(failures.count(), 1);
        // Nothing at all to send: no connection attempt.
        let own = Registry::new();
        let mut quiet = OpenTsdbReporter::builder("127.0.0.1:1")
            .build(&own)
            .unwrap();
        assert!(quiet.report(&Registry::new().snapshot()).is_ok());
        let failures = own.counter("reporter.opentsdb.connect-failures").unwrap();
        assert_eq!(failures.count(), 0);
    }
}
