//! [`LogReporter`]: a [`Report`] that formats a snapshot and sends it to a
//! [`Sink`].

use crate::format::{DurationUnit, Format, RateUnit};
use crate::sink::{Level, Sink};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tachymeter_core::{Registry, RegistrySnapshot};
use tachymeter_report::{BuildError, PeriodicReporter, Quiet, Report, ReportError};

/// The first line of each report unless [`LogReporterBuilder::title`]
/// sets another.
pub const DEFAULT_TITLE: &str = "metrics";

/// Formats each snapshot with a [`Format`] and sends it to a [`Sink`]: the
/// `log` facade (default), `tracing`, or any writer.
///
/// Run it every interval with [`LogReporterBuilder::start`] (or
/// [`log`](crate::log)), or hand it to a
/// [`PeriodicReporter`](tachymeter_report::PeriodicReporter) yourself.
///
/// Each report starts with a line of its own: the title (default
/// `metrics`) and, for a [writer](Sink::writer) (whose lines no logger
/// stamps), the time. By default the series that hold nothing and the
/// reporters' own `reporter.*` series are left out ([`Quiet`]), so a report
/// shows what happened; a report left with no series sends nothing.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_log::{DurationUnit, Level, LogReporter};
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.timer("get-book")?.update(Duration::from_micros(250));
///
/// let reporter = LogReporter::builder()
///     .duration_unit(DurationUnit::Microseconds)
///     .level(Level::Debug)
///     .title("metrics")
///     .start(&registry, Duration::from_secs(10))?;
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug)]
pub struct LogReporter {
    format: Format,
    sink: Sink,
    level: Level,
    title: Option<String>,
    /// `None`: the sink decides (a writer's reports carry the time).
    timestamp: Option<bool>,
}

impl LogReporter {
    /// Starts configuring a reporter: default [`Format`], default [`Sink`],
    /// level [`Info`](Level::Info), title `metrics`, zero and own series
    /// left out.
    pub fn builder() -> LogReporterBuilder {
        LogReporterBuilder {
            reporter: LogReporter {
                format: Format::default(),
                sink: Sink::default(),
                level: Level::default(),
                title: None,
                timestamp: None,
            },
            name: "log".to_string(),
            quiet: Quiet::default().zero(true).own(true),
        }
    }

    /// The text one report of `snapshot` sends: the title line (with the
    /// time for a writer), then [`Format::render`]; nothing when `snapshot`
    /// has no series.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_log::LogReporter;
    ///
    /// let registry = Registry::new();
    /// registry.counter("requests")?.inc(2);
    /// let reporter = LogReporter::builder().title("metrics").build();
    /// assert_eq!(
    ///     reporter.render(&registry.snapshot()),
    ///     "metrics\ncounter requests\n  count: 2\n"
    /// );
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn render(&self, snapshot: &RegistrySnapshot) -> String {
        let body = self.format.render(snapshot);
        if body.is_empty() {
            return body;
        }
        let mut out = self.title.as_deref().unwrap_or(DEFAULT_TITLE).to_string();
        if self.timestamp.unwrap_or(!self.sink.is_record()) {
            out.push(' ');
            out.push_str(&utc(SystemTime::now()));
        }
        out.push('\n');
        out.push_str(&body);
        out
    }
}

impl Default for LogReporter {
    /// [`LogReporter::builder`]'s defaults.
    fn default() -> Self {
        Self::builder().build()
    }
}

impl Report for LogReporter {
    /// Renders `snapshot` and sends it; a writer's I/O error is returned.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        let text = self.render(snapshot);
        if !text.is_empty() {
            self.sink.emit(self.level, &text)?;
        }
        Ok(())
    }
}

/// Configures a [`LogReporter`]; see [`LogReporter::builder`].
///
/// See [`LogReporter::builder`] for an example.
#[derive(Debug)]
pub struct LogReporterBuilder {
    reporter: LogReporter,
    name: String,
    quiet: Quiet,
}

impl LogReporterBuilder {
    /// The whole [`Format`] (units and decimals).
    pub fn format(mut self, format: Format) -> Self {
        self.reporter.format = format;
        self
    }

    /// The unit of timer durations (default milliseconds).
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.reporter.format = self.reporter.format.duration_unit(unit);
        self
    }

    /// The unit of rates (default per second).
    pub fn rate_unit(mut self, unit: RateUnit) -> Self {
        self.reporter.format = self.reporter.format.rate_unit(unit);
        self
    }

    /// Decimals of fractional values (default 3, at most 9).
    pub fn decimals(mut self, decimals: usize) -> Self {
        self.reporter.format = self.reporter.format.decimals(decimals);
        self
    }

    /// Where reports go (default `Sink::log` with the `log` feature,
    /// standard error without it).
    ///
    /// ```
    /// use tachymeter_log::{LogReporter, Sink};
    ///
    /// let reporter = LogReporter::builder().sink(Sink::writer(std::io::stderr())).build();
    /// ```
    pub fn sink(mut self, sink: Sink) -> Self {
        self.reporter.sink = sink;
        self
    }

    /// The level of the log record or `tracing` event (default
    /// [`Info`](Level::Info)); a writer ignores it.
    pub fn level(mut self, level: Level) -> Self {
        self.reporter.level = level;
        self
    }

    /// The first line of each report (default [`DEFAULT_TITLE`]); a log
    /// record starts on the logger's own header line, so every metric's
    /// block starts on a line of its own.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.reporter.title = Some(title.into());
        self
    }

    /// Whether the first line carries the wall-clock time of the report in
    /// UTC, as `2024-05-01T12:00:00Z`, after the title (default: on for a
    /// [writer](Sink::writer), off for `log` and `tracing`, which stamp
    /// their records already).
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_log::LogReporter;
    ///
    /// let registry = Registry::new();
    /// registry.counter("requests")?.inc(1);
    /// let reporter = LogReporter::builder().title("metrics at").timestamp(true).build();
    /// let text = reporter.render(&registry.snapshot());
    /// assert!(text.starts_with("metrics at 20"));
    /// assert!(text.lines().next().unwrap().ends_with('Z'));
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn timestamp(mut self, on: bool) -> Self {
        self.reporter.timestamp = Some(on);
        self
    }

    /// Which series [`start`](Self::start)'s reports leave out: zero,
    /// unchanged, or the reporters' own (see [`Quiet`]). Default: the zero
    /// series and the reporters' own; `Quiet::default()` reports every
    /// series.
    ///
    /// ```
    /// use tachymeter_log::{LogReporter, Quiet};
    ///
    /// // Every series, own and zero ones included:
    /// let everything = LogReporter::builder().quiet(Quiet::default());
    /// // Only what changed since the last report:
    /// let changes = LogReporter::builder().quiet(Quiet::default().unchanged(true));
    /// ```
    pub fn quiet(mut self, quiet: Quiet) -> Self {
        self.quiet = quiet;
        self
    }

    /// The name [`start`](Self::start) gives the periodic reporter: its
    /// thread is `metrics-<name>` and its own metrics are
    /// `reporter.<name>.*`. Default `log`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The reporter, to run by hand or hand to a
    /// [`PeriodicReporter`](tachymeter_report::PeriodicReporter).
    pub fn build(self) -> LogReporter {
        self.reporter
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped (which sends one
    /// final report). Fails as
    /// [`PeriodicReporterBuilder::start`](tachymeter_report::PeriodicReporterBuilder::start)
    /// does.
    pub fn start(
        self,
        registry: &Registry,
        interval: Duration,
    ) -> Result<PeriodicReporter, BuildError> {
        PeriodicReporter::builder(registry, interval)
            .name(&self.name)
            .quiet(self.quiet)
            .start(self.reporter)
    }
}

/// `time` in UTC as `YYYY-MM-DDTHH:MM:SSZ` (the epoch if it is earlier).
fn utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let (mut days, rest) = (secs / 86_400, secs % 86_400);
    let mut year = 1970;
    loop {
        let in_year = if leap(year) { 366 } else { 365 };
        if days < in_year {
            break;
        }
        days -= in_year;
        year += 1;
    }
    let february = if leap(year) { 29 } else { 28 };
    let lengths = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for length in lengths {
        if days < length {
            break;
        }
        days -= length;
        month += 1;
    }
    format!(
        "{year:04}-{month:02}-{:02}T{:02}:{:02}:{:02}Z",
        days + 1,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn leap(year: u64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

#[cfg(test)]
mod tests {
    use super::utc;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> String {
        utc(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn utc_matches_known_instants() {
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(86_399), "1970-01-01T23:59:59Z");
        // 2000 is a leap year (divisible by 400).
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(951_868_800), "2000-03-01T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(at(1_735_689_599), "2024-12-31T23:59:59Z");
        // 2100 is not (divisible by 100, not by 400).
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn utc_before_the_epoch_is_the_epoch() {
        assert_eq!(
            utc(UNIX_EPOCH - Duration::from_secs(10)),
            "1970-01-01T00:00:00Z"
        );
    }
}
