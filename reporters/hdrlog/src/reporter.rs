//! [`HdrLogReporter`]: each series' interval as one line of an HdrHistogram
//! interval log.

use crate::header::header;
use crate::interval::to_hdr;
use crate::tag::propose;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tachymeter_core::{
    Clock, Counter, Distribution, HistogramSnapshot, MetricKey, MetricSnapshot, Registry,
    RegistrySnapshot,
};
use tachymeter_report::{
    cut_line, write_counting, BuildError, DurationUnit, Own, PeriodicReporter, Previous, Report,
    ReportError, SeriesNames,
};

/// Writes every timer's and histogram's values of each interval to an
/// [HdrHistogram interval log](https://github.com/HdrHistogram/HdrHistogram/blob/master/src/main/java/org/HdrHistogram/HistogramLogWriter.java):
/// one line per series per report, tagged with the series' name, holding
/// the values recorded since the previous line of that series as a
/// compressed V2 histogram. HdrHistogram's readers in Java, Python, Rust,
/// Go, … and its tools (`HistogramLogProcessor`, HistogramLogAnalyzer) read
/// it.
///
/// ```text
/// #[Logged with tachymeter-hdrlog 0.1.0]
/// #[Histogram log format version 1.3]
/// #[Timer values in nanoseconds; histogram values as recorded]
/// #[StartTime: 1700000000.000 (seconds since epoch)]
/// #[BaseTime: 1700000000.000 (seconds since epoch)]
/// "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
/// Tag=http.latency{route=/books},0.000,10.000,40009727.000,HISTFAAAAD14nJNpmSzMwMDAygABzFAaRjNBaLn9Xx…
/// Tag=response.bytes,0.000,10.000,100.000,HISTFAAAACF4nJNpmSzMwMDAxAABzAwQwIhEM0HoH…
/// ```
///
/// - **Header**, written once before the first line: the comments above,
///   any of [`comment`](HdrLogReporterBuilder::comment), then `StartTime`
///   and `BaseTime`, both the wall-clock time the reporter was built
///   ([`base_time`](HdrLogReporterBuilder::base_time)), and the legend.
/// - **Lines**: `Tag=<tag>,<start>,<length>,<max>,<histogram>`. `start` is
///   in seconds since `BaseTime`, `length` in seconds, both to the
///   millisecond; `max` is the histogram's largest value (no max value
///   divisor). Lines of one report follow the registry's order.
/// - **Tags** are the series' name and labels made safe (see
///   [`tag`](crate::tag())). Two series whose tags clean alike keep apart:
///   the one seen later gets `_2` (`_3`, …) after its name, and each series
///   keeps its tag for the reporter's life (see [`SeriesNames`]).
/// - **Values**: a timer's durations in nanoseconds (or the
///   [`duration_unit`](HdrLogReporterBuilder::duration_unit)), a
///   histogram's values as recorded. Each bucket of a histogram is written
///   as one value in its middle: percentiles read from the log are within
///   [`error_bound`](crate::error_bound) of the exact ones (0.88 % with the
///   default precision).
/// - **Intervals**: a series' line holds the values recorded since its
///   previous line, exactly (`Distribution::since`, bucket by bucket). It
///   starts when the previous report that had the series ran; a series'
///   first line starts when it was created, or when the reporter was
///   built if that is later (values recorded before that are in the first
///   line). Times come from the reporter's
///   [`clock`](HdrLogReporterBuilder::clock), the registry's by default.
/// - **Empty intervals** are not written (unless
///   [`write_empty`](HdrLogReporterBuilder::write_empty)): the next line of
///   the series starts at the report that had nothing new.
///
/// **Memory**: for each live timer and histogram, the all-time
/// distribution of the previous report that had it (a shared copy of its
/// buckets: as much again as the histogram's own all-time counts), and its
/// tag. It remembers them as [`Previous`] does: a series gone from the
/// registry is forgotten at the next report (its tag stays reserved, as
/// [`SeriesNames`] says); one that a filter such as
/// [`Quiet`](tachymeter_report::Quiet) leaves out of a report is kept, so
/// its next line starts where its last one ended. A series whose count went down (removed and registered
/// anew between two reports) starts over as if new.
///
/// **Writes**: each report's lines are built in memory, written with one
/// sequence of writes and flushed. A write that fails part-way fails the
/// report; the next report first writes the rest of the line that was cut
/// (the header too, if it was cut), so the log stays valid, and series
/// whose lines were not written at all get them in the next report,
/// covering both intervals. Nothing recorded is lost to a failed write.
///
/// Its own counter, in the registry it was built with:
/// `reporter.<name>.skipped-series` (name `hdrlog` by default), the
/// intervals that could not be encoded (none can with counts below
/// 2^63), which are dropped.
///
/// ```
/// use tachymeter_core::Registry;
/// use tachymeter_hdrlog::HdrLogReporter;
/// use tachymeter_report::Report;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let latency = registry.timer("get-book")?;
/// let mut reporter = HdrLogReporter::builder(Vec::new()).build(&registry)?;
/// latency.update(Duration::from_millis(12));
/// reporter.report(&registry.snapshot())?; // the header and one line
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub struct HdrLogReporter {
    writer: Box<dyn Write + Send>,
    clock: Arc<dyn Clock>,
    origin: Instant,
    names: SeriesNames,
    previous: Previous<Since>,
    /// Bytes that the next report writes first: the header until it is
    /// written, then the rest of a line a failed write cut.
    carry: Vec<u8>,
    buf: Vec<u8>,
    line: Vec<u8>,
    serializer: V2DeflateSerializer,
    unit: DurationUnit,
    write_empty: bool,
    skipped: Counter,
    name: String,
}

/// What a series' next interval is measured from.
#[derive(Debug, Clone)]
struct Since {
    all_time: Distribution,
    /// When, since the reporter's origin.
    at: Duration,
}

/// Configures an [`HdrLogReporter`]; see [`HdrLogReporter::builder`].
///
/// See [`HdrLogReporter::builder`] for an example.
pub struct HdrLogReporterBuilder {
    writer: Box<dyn Write + Send>,
    unit: DurationUnit,
    write_empty: bool,
    base_time: Option<SystemTime>,
    clock: Option<Arc<dyn Clock>>,
    comments: Vec<String>,
    name: String,
}

impl std::fmt::Debug for HdrLogReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HdrLogReporter")
            .field("name", &self.name)
            .field("unit", &self.unit)
            .field("write_empty", &self.write_empty)
            .field("tracked_series", &self.previous.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for HdrLogReporterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HdrLogReporterBuilder")
            .field("name", &self.name)
            .field("unit", &self.unit)
            .field("write_empty", &self.write_empty)
            .field("base_time", &self.base_time)
            .field("comments", &self.comments)
            .finish_non_exhaustive()
    }
}

impl HdrLogReporter {
    /// Starts configuring a reporter writing to `writer` (a `File`, a
    /// `BufWriter`, a `Box<dyn Write + Send>`, …): timer values in
    /// nanoseconds, empty intervals left out, name `hdrlog`.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_hdrlog::{DurationUnit, HdrLogReporter};
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// let reporter = HdrLogReporter::builder(std::io::stdout())
    ///     .duration_unit(DurationUnit::Microseconds)
    ///     .comment("load test 42")
    ///     .start(&registry, Duration::from_secs(10))?;
    /// // ... the application runs ...
    /// reporter.stop(); // one final report
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn builder(writer: impl Write + Send + 'static) -> HdrLogReporterBuilder {
        HdrLogReporterBuilder {
            writer: Box::new(writer),
            unit: DurationUnit::Nanoseconds,
            write_empty: false,
            base_time: None,
            clock: None,
            comments: Vec::new(),
            name: "hdrlog".to_string(),
        }
    }

    /// [`builder`](Self::builder) writing to the file at `path`, created or
    /// truncated, through a [`BufWriter`] (flushed after every report).
    ///
    /// ```no_run
    /// use tachymeter_core::Registry;
    /// use tachymeter_hdrlog::HdrLogReporter;
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// let reporter = HdrLogReporter::create("latency.hlog")?
    ///     .start(&registry, Duration::from_secs(10))?;
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the file cannot be created.
    pub fn create(path: impl AsRef<Path>) -> io::Result<HdrLogReporterBuilder> {
        let file = File::create(path)?;
        Ok(Self::builder(BufWriter::new(file)))
    }

    /// How many series it keeps a previous distribution for (see
    /// [`HdrLogReporter`]'s memory).
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_hdrlog::HdrLogReporter;
    /// use tachymeter_report::Report;
    ///
    /// let registry = Registry::new();
    /// registry.histogram("sizes")?;
    /// let mut reporter = HdrLogReporter::builder(std::io::sink()).build(&registry)?;
    /// reporter.report(&registry.snapshot())?;
    /// assert_eq!(reporter.tracked_series(), 1);
    /// registry.unregister("sizes");
    /// reporter.report(&registry.snapshot())?;
    /// assert_eq!(reporter.tracked_series(), 0);
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn tracked_series(&self) -> usize {
        self.previous.len()
    }

    /// Encodes one line into `self.line`.
    fn encode_line(
        &mut self,
        interval: &Distribution,
        divisor: u64,
        start: Duration,
        length: Duration,
        tag: &str,
    ) -> Result<(), ReportError> {
        let histogram = to_hdr(interval, divisor).map_err(|e| format!("{e:?}"))?;
        let tag = Tag::new(tag).ok_or("a tag with a forbidden character")?;
        self.line.clear();
        let mut writer =
            IntervalLogWriterBuilder::new().begin_log_with(&mut self.line, &mut self.serializer)?;
        writer
            .write_histogram(&histogram, start, length, Some(tag))
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Report for HdrLogReporter {
    /// Writes one line for each timer and histogram with new values (the
    /// header first, the first time), then flushes.
    ///
    /// # Errors
    ///
    /// The writer's error, when a write or the flush fails.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        let now = self.clock.now().saturating_duration_since(self.origin);
        let series: Vec<(&MetricKey, &HistogramSnapshot, bool)> = snapshot
            .metrics
            .iter()
            .filter_map(|entry| match &entry.snapshot {
                MetricSnapshot::Timer(t) => Some((&entry.key, &t.durations, true)),
                MetricSnapshot::Histogram(h) => Some((&entry.key, h, false)),
                _ => None,
            })
            .collect();
        self.names.settle(series.iter().map(|s| s.0), propose);
        // Series gone from the registry are forgotten; those a filter left
        // out are kept (see `Previous`).
        self.previous.finish(snapshot);

        self.buf.clear();
        self.buf.append(&mut self.carry);
        let carried = self.buf.len();
        // Each line's end, and what its series is measured from once the
        // line is out.
        let mut written: Vec<(usize, MetricKey, Since)> = Vec::new();
        let mut skipped = 0u64;
        for (key, histogram, is_timer) in series {
            let all_time = &histogram.all_time;
            let previous = self
                .previous
                .get(key)
                .filter(|p| p.all_time.count <= all_time.count);
            let (interval, start) = match previous {
                Some(p) => (all_time.since(&p.all_time), p.at.min(now)),
                None => (all_time.clone(), now.saturating_sub(all_time.span)),
            };
            let next = Since {
                all_time: all_time.clone(),
                at: now,
            };
            if interval.count == 0 && !self.write_empty {
                self.previous.insert(key, next);
                continue;
            }
            let divisor = if is_timer {
                self.unit.nanos() as u64
            } else {
                1
            };
            let tag = match self.names.get(key) {
                Some(settled) => settled.identity.clone(),
                None => crate::tag(key),
            };
            match self.encode_line(&interval, divisor, start, now - start, &tag) {
                Ok(()) => {
                    self.buf.extend_from_slice(&self.line);
                    written.push((self.buf.len(), key.clone(), next));
                }
                Err(error) => {
                    skipped += 1;
                    log::warn!(
                        "metrics reporter {:?}: interval of {key} not written: {error}",
                        self.name
                    );
                    self.previous.insert(key, next);
                }
            }
        }
        self.skipped.inc(skipped);
        // Keep the buffers from holding on to a rare huge report forever.
        let keep = self.buf.len().max(1 << 16);
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = write_counting(&mut self.writer, &self.buf);
        let done = match &result {
            Ok(()) => self.buf.len(),
            Err((n, _)) => {
                let n = *n;
                // Whatever is cut goes out first next time: the header's
                // rest, and the rest of the line cut.
                let end = cut_line(&self.buf, n, carried)
                    .map_or(n, |rest| rest.end)
                    .max(carried);
                self.carry = self.buf[n..end].to_vec();
                end
            }
        };
        for (end, key, next) in written {
            if end <= done {
                self.previous.insert(&key, next);
            }
        }
        if self.buf.capacity() > 4 * keep {
            self.buf.shrink_to(keep);
        }
        if let Err((_, error)) = result {
            return Err(error.into());
        }
        self.writer.flush()?;
        Ok(())
    }
}

impl HdrLogReporterBuilder {
    /// The unit timer durations are written in, rounded to the nearest
    /// (default nanoseconds, the unit they are recorded in). HdrHistogram
    /// tools assume one unit for a whole log: histograms' values are
    /// written as recorded whatever this says.
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.unit = unit;
        self
    }

    /// Whether a series with no new values gets a line with an empty
    /// histogram (default `false`: no line).
    pub fn write_empty(mut self, on: bool) -> Self {
        self.write_empty = on;
        self
    }

    /// The wall-clock time written as the log's `StartTime` and
    /// `BaseTime`, the zero of every line's start (default: the time
    /// [`build`](Self::build) runs). It stands for the reporter's origin,
    /// the instant its clock read at `build`.
    pub fn base_time(mut self, time: SystemTime) -> Self {
        self.base_time = Some(time);
        self
    }

    /// The clock intervals are timed with (default the registry's, the
    /// clock that also says when each histogram was created).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// A comment line for the header, after the reporter's own (may be
    /// given several times). Line breaks start new comment lines; other
    /// control characters become spaces.
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comments.push(text.into());
        self
    }

    /// The name [`start`](Self::start) gives the periodic reporter (thread
    /// `metrics-<name>`) and the prefix of its own metrics
    /// (`reporter.<name>.*`). Default `hdrlog`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The reporter, to call by hand or hand to a [`PeriodicReporter`]; it
    /// registers its own counter in `registry`. Nothing is written yet: the
    /// header goes out with the first report.
    ///
    /// # Errors
    ///
    /// When its counter's name is taken by another kind of metric.
    pub fn build(self, registry: &Registry) -> Result<HdrLogReporter, BuildError> {
        let skipped = Own::new(registry, &self.name).counter("skipped-series")?;
        let clock = self.clock.unwrap_or_else(|| Arc::clone(registry.clock()));
        let origin = clock.now();
        let base = self.base_time.unwrap_or_else(SystemTime::now);
        Ok(HdrLogReporter {
            writer: self.writer,
            clock,
            origin,
            names: SeriesNames::new(),
            previous: Previous::new(),
            carry: header(base, self.unit, &self.comments),
            buf: Vec::new(),
            line: Vec::new(),
            serializer: V2DeflateSerializer::new(),
            unit: self.unit,
            write_empty: self.write_empty,
            skipped,
            name: self.name,
        })
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped, which writes
    /// one final report.
    ///
    /// # Errors
    ///
    /// When a metric name of the reporter is taken by another kind of
    /// metric, the interval is zero, or the thread cannot be started.
    pub fn start(
        self,
        registry: &Registry,
        interval: Duration,
    ) -> Result<PeriodicReporter, BuildError> {
        let name = self.name.clone();
        let reporter = self.build(registry)?;
        PeriodicReporter::builder(registry, interval)
            .name(&name)
            .start(reporter)
    }
}
