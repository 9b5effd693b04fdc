//! [`builder`]: a StatsD push reporter, the [`Encoder`] on a [`Udp`]
//! transport.

use crate::Encoder;
use tachymeter_report::{Push, PushReporter, Udp};

/// A reporter to a StatsD daemon: [`Encoder`]'s datagrams sent by a [`Udp`]
/// transport.
pub type StatsdReporter = PushReporter<Encoder, Udp>;

/// Starts configuring a reporter named `statsd` to the daemon at `target`,
/// `host:port` (an IP address or a host name, looked up again on every
/// reconnect; one that is not `host:port` fails when the reporter is
/// built), with a default [`Encoder`].
///
/// Each report sends what changed since the last report that reached the
/// daemon: counter and meter deltas (`|c`), gauges (`|g`), and the values
/// timers and histograms recorded (`|ms`), packed into datagrams. See the
/// [crate docs](crate) for the lines, names and failure handling.
///
/// Its own counts are metrics of the same registry, under `reporter.statsd.`
/// (see [`Own`](tachymeter_report::Own)): the transport's `connects`,
/// `connect-failures`, `send-failures` (reports that could not be sent,
/// and datagrams found refused after their report) and `sent-points`, and
/// what the encoder left out, `dropped-too-long` and `dropped-non-finite`.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.counter("jobs.done")?.inc(1);
/// let reporter = tachymeter_statsd::builder("127.0.0.1:8125")
///     .map_encoder(|e| e.prefix("myapp"))
///     .start(&registry, Duration::from_secs(10))?;
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub fn builder(target: impl Into<String>) -> Push<Encoder, Udp> {
    Push::new("statsd", Encoder::new(), Udp::new(target))
}
