//! [`StatsdReporter`]: the builder, and the [`Report`] that encodes a
//! snapshot and sends it.

use crate::connection::Connection;
use crate::encode::{Batch, Encoder, Options};
use std::time::Duration;
use tachymeter_core::{Counter, Registry, RegistrySnapshot};
use tachymeter_report::{DurationUnit, PeriodicReporter, PushSettings, Report, ReportError};

/// The default largest datagram: what fits an Ethernet frame with IP and
/// UDP headers (use 512 across the internet).
pub const DEFAULT_MAX_PACKET_SIZE: usize = 1432;

/// The default most values sent per timer or histogram per report.
pub const DEFAULT_MAX_TIMER_VALUES: usize = 256;

/// The largest payload of a UDP datagram over IPv4.
const MAX_UDP_PAYLOAD: usize = 65_507;

/// Sends a registry to a StatsD daemon over UDP.
///
/// Each report sends what changed since the last report that reached the
/// daemon: counter and meter deltas (`|c`), gauges (`|g`), and the values
/// timers and histograms recorded (`|ms`), packed into datagrams of at most
/// [`max_packet_size`](StatsdReporterBuilder::max_packet_size) bytes. See
/// the [crate docs](crate) for the lines, names and failure handling.
///
/// Its own counts are metrics of the same registry, under
/// `reporter.<name>.`: `datagrams` (sent), `send-errors` (reports that
/// could not be sent, and datagrams found refused after their report),
/// `reconnects`, and the values dropped, by reason: `dropped-too-long`,
/// `dropped-non-finite`.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use tachymeter_statsd::StatsdReporter;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.counter("jobs.done")?.inc(1);
/// let reporter = StatsdReporter::builder("127.0.0.1:8125")
///     .prefix("myapp")
///     .start(&registry, Duration::from_secs(10))?;
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
#[derive(Debug)]
pub struct StatsdReporter {
    encoder: Encoder,
    connection: Connection,
    own: OwnMetrics,
    name: String,
}

#[derive(Debug)]
struct OwnMetrics {
    datagrams: Counter,
    send_errors: Counter,
    reconnects: Counter,
    dropped_too_long: Counter,
    dropped_non_finite: Counter,
}

impl OwnMetrics {
    fn register(registry: &Registry, settings: &PushSettings) -> Result<Self, ReportError> {
        let counter = |what: &str| settings.own_counter(registry, what);
        Ok(OwnMetrics {
            datagrams: counter("datagrams")?,
            send_errors: counter("send-errors")?,
            reconnects: counter("reconnects")?,
            dropped_too_long: counter("dropped-too-long")?,
            dropped_non_finite: counter("dropped-non-finite")?,
        })
    }

    fn count_drops(&self, batch: &Batch) {
        let dropped = batch.dropped;
        for (counter, n) in [
            (&self.dropped_too_long, dropped.too_long),
            (&self.dropped_non_finite, dropped.non_finite),
        ] {
            if n > 0 {
                counter.inc(n);
            }
        }
    }
}

impl StatsdReporter {
    /// Starts configuring a reporter to the daemon at `address`, `host:port`
    /// (an IP address or a host name, looked up again on every reconnect).
    pub fn builder(address: impl Into<String>) -> StatsdReporterBuilder {
        StatsdReporterBuilder {
            address: address.into(),
            options: Options {
                prefix: String::new(),
                tags: Vec::new(),
                dogstatsd: false,
                max_packet_size: DEFAULT_MAX_PACKET_SIZE,
                max_timer_values: DEFAULT_MAX_TIMER_VALUES,
                unit: DurationUnit::Milliseconds,
            },
            push: PushSettings::new("statsd", Duration::from_secs(2)),
        }
    }
}

impl Report for StatsdReporter {
    /// Sends what changed since the last report that was delivered. Fails
    /// when the daemon's address cannot be looked up, the daemon is found
    /// not listening, or a send fails; what was not delivered is sent by
    /// the next report.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        let batch = self.encoder.encode(snapshot);
        self.own.count_drops(&batch);
        if batch.datagrams.is_empty() {
            self.encoder.commit(snapshot, &batch, 0);
            return Ok(());
        }
        let delivery = self.connection.send(&batch.datagrams);
        self.encoder.commit(snapshot, &batch, delivery.delivered);
        self.own.datagrams.inc(delivery.delivered as u64);
        if delivery.reconnected {
            self.own.reconnects.inc(1);
        }
        if let Some(e) = delivery.late_refusal {
            self.own.send_errors.inc(1);
            log::warn!(
                "metrics reporter {:?}: a datagram sent by the previous report was refused \
                 ({e}); some of it may be lost",
                self.name
            );
        }
        match delivery.error {
            None => Ok(()),
            Some(e) => {
                self.own.send_errors.inc(1);
                let total = batch.datagrams.len();
                Err(format!(
                    "sending to StatsD: {e} ({} of {total} datagrams delivered; the rest is kept \
                     for the next report)",
                    delivery.delivered
                )
                .into())
            }
        }
    }
}

/// Configures a [`StatsdReporter`]; see [`StatsdReporter::builder`].
///
/// See [`StatsdReporter::builder`] for an example.
#[derive(Debug, Clone)]
pub struct StatsdReporterBuilder {
    address: String,
    options: Options,
    push: PushSettings,
}

impl StatsdReporterBuilder {
    /// Puts `prefix` and a `.` before every name (cleaned like names;
    /// default none).
    ///
    /// ```
    /// let builder = tachymeter_statsd::StatsdReporter::builder("127.0.0.1:8125").prefix("myapp");
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.options.prefix = prefix.into();
        self
    }

    /// Sends labels as DogStatsD tags (`|#name:value,…`) instead of path
    /// segments of the name (`.name.value`). Default off. With tags on, a
    /// timer sends one value per line, as DogStatsD agents require.
    ///
    /// ```
    /// let builder = tachymeter_statsd::StatsdReporter::builder("127.0.0.1:8125").dogstatsd_tags(true);
    /// ```
    pub fn dogstatsd_tags(mut self, on: bool) -> Self {
        self.options.dogstatsd = on;
        self
    }

    /// Adds a label to every series (a series' own label of the same name
    /// wins; an empty value adds nothing): a tag with
    /// [`dogstatsd_tags`](Self::dogstatsd_tags), else two more segments of
    /// each name.
    ///
    /// ```
    /// let builder = tachymeter_statsd::StatsdReporter::builder("127.0.0.1:8125")
    ///     .dogstatsd_tags(true)
    ///     .tag("host", "web-1");
    /// ```
    pub fn tag(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.options.tags.retain(|(n, _)| *n != name);
        self.options.tags.push((name, value.into()));
        self
    }

    /// The largest datagram sent, in bytes (default
    /// [`DEFAULT_MAX_PACKET_SIZE`], at most 65,507). A line longer than
    /// that is dropped and counted, never cut.
    ///
    /// ```
    /// let builder = tachymeter_statsd::StatsdReporter::builder("statsd.example.com:8125")
    ///     .max_packet_size(512);
    /// ```
    pub fn max_packet_size(mut self, bytes: usize) -> Self {
        self.options.max_packet_size = bytes.min(MAX_UDP_PAYLOAD);
        self
    }

    /// The most values a timer or histogram sends per report (default
    /// [`DEFAULT_MAX_TIMER_VALUES`]; at least 64). Beyond it the values
    /// are sent as the means of groups of consecutive values with a sample
    /// rate: StatsD's count stays exact, its percentiles move by at most
    /// one group (see the [crate docs](crate)).
    ///
    /// ```
    /// let builder = tachymeter_statsd::StatsdReporter::builder("127.0.0.1:8125")
    ///     .max_timer_values(1_000);
    /// ```
    pub fn max_timer_values(mut self, values: usize) -> Self {
        self.options.max_timer_values = values.max(64);
        self
    }

    /// The unit timer values are sent in (default milliseconds, which is
    /// what StatsD's `|ms` means; histograms are sent unscaled).
    ///
    /// ```
    /// use tachymeter_report::DurationUnit;
    ///
    /// let builder = tachymeter_statsd::StatsdReporter::builder("127.0.0.1:8125")
    ///     .duration_unit(DurationUnit::Microseconds);
    /// ```
    pub fn duration_unit(mut self, unit: DurationUnit) -> Self {
        self.options.unit = unit;
        self
    }

    tachymeter_report::push_setters!(name: "statsd");

    /// How long a host name lookup and a send may take (default 2 s).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = tachymeter_statsd::StatsdReporter::builder("statsd.local:8125")
    ///     .timeout(Duration::from_millis(500));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.push.set_timeout(timeout);
        self
    }

    /// The reporter, to run by hand or hand to a
    /// [`PeriodicReporter`]; its own metrics are registered in `registry`.
    ///
    /// Fails if the address is not `host:port` or one of the own metric
    /// names is taken by another kind of metric. Nothing is looked up or
    /// sent yet.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_report::Report;
    /// use tachymeter_statsd::StatsdReporter;
    ///
    /// let registry = Registry::new();
    /// let mut reporter = StatsdReporter::builder("127.0.0.1:8125").build(&registry)?;
    /// registry.counter("jobs")?.inc(1);
    /// // Fails only if the daemon is seen not listening.
    /// let _ = reporter.report(&registry.snapshot());
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn build(self, registry: &Registry) -> Result<StatsdReporter, ReportError> {
        let connection = Connection::new(&self.address, self.push.timeout())?;
        let own = OwnMetrics::register(registry, &self.push)?;
        Ok(StatsdReporter {
            encoder: Encoder::new(self.options),
            connection,
            own,
            name: self.push.name().to_string(),
        })
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped (which sends one
    /// final report). Fails as [`build`](Self::build) and
    /// [`PeriodicReporterBuilder::start`](tachymeter_report::PeriodicReporterBuilder::start)
    /// do.
    ///
    /// ```no_run
    /// use tachymeter_core::Registry;
    /// use std::time::Duration;
    ///
    /// let registry = Registry::new();
    /// let reporter = tachymeter_statsd::StatsdReporter::builder("127.0.0.1:8125")
    ///     .start(&registry, Duration::from_secs(10))?;
    /// # Ok::<(), tachymeter_report::ReportError>(())
    /// ```
    pub fn start(
        self,
        registry: &Registry,
        interval: Duration,
    ) -> Result<PeriodicReporter, ReportError> {
        let push = self.push.clone();
        // UDP: no attempt to wait for; stopping waits the default time.
        push.start(registry, interval, self.build(registry)?, 0)
    }
}
