//! [`PushSettings`]: what every push reporter's builder holds besides its
//! backend's own settings, and what it does with them.

use crate::{own_metric_name, PeriodicReporter, Quiet, Report, ReportError, TcpSender};
use crate::{INITIAL_BACKOFF, MAX_BACKOFF};
use std::time::Duration;
use tachymeter_core::{Counter, Registry};

/// A push reporter's name, the time each attempt may take and the wait
/// after a failure: what the Graphite, InfluxDB, StatsD and OpenTSDB
/// builders share, so that a backend adds only its encoder and its
/// transport. Each series' wire name is settled by
/// [`SeriesNames`](crate::SeriesNames), also shared.
///
/// ```
/// use tachymeter_core::{Registry, RegistrySnapshot};
/// use tachymeter_report::{PushSettings, Report, ReportError};
/// use std::time::Duration;
///
/// /// A backend that counts the series it would send.
/// struct Tally {
///     series: tachymeter_core::Counter,
/// }
///
/// impl Report for Tally {
///     fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
///         self.series.inc(snapshot.metrics.len() as u64);
///         Ok(())
///     }
/// }
///
/// let registry = Registry::new();
/// let settings = PushSettings::new("tally", Duration::from_secs(2));
/// let series = settings.own_counter(&registry, "series")?; // reporter.tally.series
/// let reporter = settings.start(&registry, Duration::from_secs(10), Tally { series }, 1)?;
/// assert!(reporter.stop().final_report_sent);
/// # Ok::<(), ReportError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PushSettings {
    name: String,
    timeout: Duration,
    backoff: (Duration, Duration),
    quiet: Quiet,
}

impl PushSettings {
    /// A reporter named `name` whose attempts may each take `timeout`,
    /// backing off from [`INITIAL_BACKOFF`] up to [`MAX_BACKOFF`].
    pub fn new(name: &str, timeout: Duration) -> Self {
        PushSettings {
            name: name.to_string(),
            timeout,
            backoff: (INITIAL_BACKOFF, MAX_BACKOFF),
            quiet: Quiet::default(),
        }
    }

    /// The name: the periodic reporter's thread is `metrics-<name>` and the
    /// reporter's own metrics are `reporter.<name>.*`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How long one attempt (a connection, a write, a request) may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The first wait after a failure, and the longest: it doubles in
    /// between.
    pub fn backoff(&self) -> (Duration, Duration) {
        self.backoff
    }

    /// Sets the [`name`](Self::name).
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Sets the [`timeout`](Self::timeout).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Sets the [`backoff`](Self::backoff).
    pub fn set_backoff(&mut self, initial: Duration, max: Duration) {
        self.backoff = (initial, max);
    }

    /// Sets which series [`start`](Self::start)'s reports leave out (see
    /// [`Quiet`]).
    pub fn set_quiet(&mut self, quiet: Quiet) {
        self.quiet = quiet;
    }

    /// The reporter's own counter `reporter.<name>.<what>` in `registry`.
    ///
    /// # Errors
    ///
    /// When that name is taken by another kind of metric.
    pub fn own_counter(&self, registry: &Registry, what: &str) -> Result<Counter, ReportError> {
        Ok(registry.counter(own_metric_name(&self.name, what))?)
    }

    /// A [`TcpSender`] to `target` (`host:port`) with this timeout and
    /// backoff.
    pub fn tcp_sender(&self, target: impl Into<String>) -> TcpSender {
        TcpSender::new(target, self.timeout).backoff(self.backoff.0, self.backoff.1)
    }

    /// Runs `reporter` every `interval` on a thread of its own, named after
    /// the reporter, until the returned [`PeriodicReporter`] is stopped or
    /// dropped, which sends one final report. A report may make up to
    /// `attempts` attempts of [`timeout`](Self::timeout) each: stopping
    /// waits for it that long and one second more (at least
    /// [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT) when `attempts` is 0).
    ///
    /// # Errors
    ///
    /// When a metric name of the periodic reporter is taken by another kind
    /// of metric, or the thread cannot be started.
    pub fn start<R: Report + Send + 'static>(
        &self,
        registry: &Registry,
        interval: Duration,
        reporter: R,
        attempts: u32,
    ) -> Result<PeriodicReporter, ReportError> {
        let mut builder = PeriodicReporter::builder(registry, interval)
            .name(&self.name)
            .quiet(self.quiet.clone());
        if attempts > 0 {
            let wait = self
                .timeout
                .saturating_mul(attempts)
                .saturating_add(Duration::from_secs(1));
            builder = builder.timeout(wait);
        }
        builder.start(reporter)
    }
}

/// The setters every push reporter's builder shares, written once: in an
/// `impl` block of a builder with a field `push:`
/// [`PushSettings`], `push_setters!(name: "graphite")` adds `name` (its
/// default given) and `quiet`; `push_setters!(name: "graphite", backoff)`
/// adds `backoff` too, for builders whose transport backs off after a
/// failure (a [`TcpSender`]). The builder keeps its own `timeout`, whose
/// meaning depends on its transport.
///
/// ```
/// use std::time::Duration;
/// use tachymeter_report::{PushSettings, Quiet};
///
/// /// A builder of a reporter to some backend.
/// pub struct TallyBuilder {
///     push: PushSettings,
/// }
///
/// impl TallyBuilder {
///     tachymeter_report::push_setters!(name: "tally", backoff);
/// }
///
/// let builder = TallyBuilder { push: PushSettings::new("tally", Duration::from_secs(1)) }
///     .name("tally-eu")
///     .quiet(Quiet::default().zero(true))
///     .backoff(Duration::from_secs(1), Duration::from_secs(60));
/// assert_eq!(builder.push.name(), "tally-eu");
/// assert_eq!(builder.push.backoff().1, Duration::from_secs(60));
/// ```
#[macro_export]
macro_rules! push_setters {
    (name: $default:literal, backoff) => {
        $crate::push_setters!(name: $default);

        /// The wait after a failed connection attempt or write before the
        /// next one (reports in between fail at once): `initial`, doubling
        /// up to `max`. Default 0.5 s doubling up to 30 s.
        pub fn backoff(mut self, initial: ::std::time::Duration, max: ::std::time::Duration) -> Self {
            self.push.set_backoff(initial, max);
            self
        }
    };
    (name: $default:literal) => {
        /// Which series the reports leave out: zero, unchanged, or the
        /// reporters' own (default none; see
        /// [`Quiet`](tachymeter_report::Quiet)).
        pub fn quiet(mut self, quiet: $crate::Quiet) -> Self {
            self.push.set_quiet(quiet);
            self
        }

        /// The reporter's name: its thread is `metrics-<name>` and its own
        #[doc = concat!("metrics are `reporter.<name>.*`. Default `", $default, "`.")]
        pub fn name(mut self, name: impl ::std::convert::Into<::std::string::String>) -> Self {
            self.push.set_name(name);
            self
        }
    };
}
