//! [`Push`]: an [`Encode`]r and a [`Transport`] made one push reporter, with
//! the settings every push reporter shares.

use crate::{
    BuildError, Encode, Encoded, Own, Payload, PeriodicReporter, Quiet, Report, ReportError,
};
use crate::{Settings, Transport, INITIAL_BACKOFF, MAX_BACKOFF};
use std::time::{Duration, SystemTime};
use tachymeter_core::{Counter, Registry, RegistryError, RegistrySnapshot};

/// Builds a push reporter from an encoder (what to send) and a transport
/// (how it gets there), with the settings every push reporter shares: its
/// name, the time an attempt may take, the backoff after a failure, which
/// series to leave out, and whether it counts what it does in the registry.
///
/// Each backend crate gives a `Push` with its encoder and transport set:
/// `tachymeter_graphite::builder("carbon:2003")`, …; its encoder's and
/// transport's own settings are on them ([`map_encoder`](Self::map_encoder),
/// [`map_transport`](Self::map_transport)).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use tachymeter_core::{Registry, RegistrySnapshot};
/// use tachymeter_report::{Encode, Encoded, Lines, Push, TcpLines};
///
/// /// `<series count> <unix seconds>`.
/// struct Size;
///
/// impl Encode for Size {
///     type Output = Lines;
///
///     fn encode(&mut self, s: &RegistrySnapshot, at: SystemTime, out: &mut Lines) -> Encoded {
///         let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
///         out.push(&format!("{} {secs}", s.metrics.len()));
///         Encoded::default()
///     }
/// }
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let registry = Registry::new();
/// let reporter = Push::new("size", Size, TcpLines::new(listener.local_addr()?.to_string()))
///     .timeout(Duration::from_millis(500))
///     .start(&registry, Duration::from_secs(10))?;
/// assert!(reporter.stop().final_report_sent);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` or `start`"]
pub struct Push<E, T> {
    encoder: E,
    transport: T,
    name: String,
    timeout: Option<Duration>,
    backoff: (Duration, Duration),
    quiet: Quiet,
    own_metrics: bool,
}

impl<E, T> Push<E, T>
where
    E: Encode,
    T: Transport<E::Output>,
{
    /// A reporter named `name` that encodes with `encoder` and sends with
    /// `transport`.
    pub fn new(name: &str, encoder: E, transport: T) -> Self {
        Push {
            encoder,
            transport,
            name: name.to_string(),
            timeout: None,
            backoff: (INITIAL_BACKOFF, MAX_BACKOFF),
            quiet: Quiet::default(),
            own_metrics: true,
        }
    }

    /// The reporter's name: its thread is `metrics-<name>` and its own
    /// metrics are `reporter.<name>.*`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long one attempt (a connection, a write, a request) may take
    /// (default: the transport's, 2 s for TCP and UDP, 5 s for HTTP).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The wait after a failed attempt before the next one (sends in
    /// between fail at once): `initial`, doubling up to `max`. Default
    /// 0.5 s doubling up to 30 s.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = (initial, max);
        self
    }

    /// Which series the reports leave out: zero, unchanged, or the
    /// reporters' own (default none; see [`Quiet`]).
    pub fn quiet(mut self, quiet: Quiet) -> Self {
        self.quiet = quiet;
        self
    }

    /// Whether the reporter counts what it does in the registry as
    /// `reporter.<name>.*` (default `true`; see [`Own`] for the names).
    pub fn own_metrics(mut self, on: bool) -> Self {
        self.own_metrics = on;
        self
    }

    /// Replaces the encoder.
    pub fn encoder(mut self, encoder: E) -> Self {
        self.encoder = encoder;
        self
    }

    /// Changes the encoder: `.map_encoder(|e| e.prefix("app"))`.
    pub fn map_encoder(mut self, f: impl FnOnce(E) -> E) -> Self {
        self.encoder = f(self.encoder);
        self
    }

    /// Replaces the transport.
    pub fn transport(mut self, transport: T) -> Self {
        self.transport = transport;
        self
    }

    /// Changes the transport: `.map_transport(|t| t.batch(1_000))`.
    pub fn map_transport(mut self, f: impl FnOnce(T) -> T) -> Self {
        self.transport = f(self.transport);
        self
    }

    fn settings(&self) -> Settings {
        Settings {
            timeout: self
                .timeout
                .unwrap_or_else(|| self.transport.default_timeout()),
            backoff: self.backoff,
        }
    }

    /// The reporter, to run by hand ([`Report::report`]) or hand to a
    /// [`PeriodicReporter`]; its own counters are registered in `registry`
    /// now. Nothing is connected yet.
    ///
    /// # Errors
    ///
    /// When one of its own metric names is taken by another kind of metric,
    /// or the transport's settings cannot work (a URL that does not parse).
    pub fn build(mut self, registry: &Registry) -> Result<PushReporter<E, T>, BuildError> {
        let own = if self.own_metrics {
            Own::new(registry, &self.name)
        } else {
            Own::off(&self.name)
        };
        let settings = self.settings();
        self.transport.prepare(&settings, &own)?;
        Ok(PushReporter {
            dropped: Dropped::register(&own)?,
            encoder: self.encoder,
            transport: self.transport,
            out: E::Output::default(),
            name: self.name,
            warned: false,
        })
    }

    /// Reports `registry` every `interval` on a thread of its own until the
    /// returned [`PeriodicReporter`] is stopped or dropped, which sends one
    /// final report and waits for it as long as the transport's attempts
    /// may take, and one second more.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), or when the thread cannot be started or
    /// the interval is zero.
    pub fn start(
        self,
        registry: &Registry,
        interval: Duration,
    ) -> Result<PeriodicReporter, BuildError> {
        let wait = self
            .settings()
            .timeout
            .saturating_mul(self.transport.attempts().max(1))
            .saturating_add(Duration::from_secs(1));
        let (name, quiet, own) = (self.name.clone(), self.quiet.clone(), self.own_metrics);
        let reporter = self.build(registry)?;
        PeriodicReporter::builder(registry, interval)
            .name(&name)
            .quiet(quiet)
            .own_metrics(own)
            .timeout(wait)
            .start(reporter)
    }
}

/// A push reporter: encodes each snapshot and sends it (see [`Push`]).
///
/// Besides its transport's own counters it counts what its encoder left
/// out: `dropped-non-finite`, `dropped-too-long`, `dropped-too-many-tags`,
/// `dropped-clash` and `saturated-values` (see [`Encoded`]).
#[derive(Debug)]
pub struct PushReporter<E: Encode, T> {
    encoder: E,
    transport: T,
    out: E::Output,
    dropped: Dropped,
    name: String,
    /// Whether points left out for another reason than NaN were logged.
    warned: bool,
}

impl<E, T> PushReporter<E, T>
where
    E: Encode,
    T: Transport<E::Output>,
{
    /// Its encoder.
    pub fn encoder(&self) -> &E {
        &self.encoder
    }

    /// Its transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Where it sends: `host:port` or a URL.
    pub fn target(&self) -> &str {
        self.transport.target()
    }
}

impl<E, T> Report for PushReporter<E, T>
where
    E: Encode,
    T: Transport<E::Output>,
{
    /// Encodes `snapshot` at the current time and sends it.
    fn report(&mut self, snapshot: &RegistrySnapshot) -> Result<(), ReportError> {
        self.out.clear();
        let encoded = self
            .encoder
            .encode(snapshot, SystemTime::now(), &mut self.out);
        self.dropped.count(&encoded);
        let left_out = encoded.too_long + encoded.too_many_tags + encoded.clash;
        if left_out > 0 && !self.warned {
            self.warned = true;
            log::warn!(
                "metrics reporter {:?}: left out {} points longer than the backend takes, {} \
                 metrics with more tags than it takes and {} points whose series is another \
                 metric's once names are cleaned (counted in reporter.{}.dropped-*; said once)",
                self.name,
                encoded.too_long,
                encoded.too_many_tags,
                encoded.clash,
                self.name
            );
        }
        let points = self.out.points();
        if points == 0 {
            self.encoder.delivered(snapshot, &self.out, 0);
            return Ok(());
        }
        match self.transport.send(&self.out) {
            Ok(()) => {
                self.encoder.delivered(snapshot, &self.out, points);
                Ok(())
            }
            Err(undelivered) => {
                self.encoder
                    .delivered(snapshot, &self.out, undelivered.delivered);
                Err(undelivered.error)
            }
        }
    }
}

/// The counters of what an encoder left out.
#[derive(Debug)]
struct Dropped {
    non_finite: Counter,
    too_long: Counter,
    too_many_tags: Counter,
    clash: Counter,
    saturated: Counter,
}

impl Dropped {
    fn register(own: &Own) -> Result<Self, RegistryError> {
        Ok(Dropped {
            non_finite: own.counter("dropped-non-finite")?,
            too_long: own.counter("dropped-too-long")?,
            too_many_tags: own.counter("dropped-too-many-tags")?,
            clash: own.counter("dropped-clash")?,
            saturated: own.counter("saturated-values")?,
        })
    }

    fn count(&self, encoded: &Encoded) {
        for (counter, n) in [
            (&self.non_finite, encoded.non_finite),
            (&self.too_long, encoded.too_long),
            (&self.too_many_tags, encoded.too_many_tags),
            (&self.clash, encoded.clash),
            (&self.saturated, encoded.saturated),
        ] {
            if n > 0 {
                counter.inc(n);
            }
        }
    }
}
