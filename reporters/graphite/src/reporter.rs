//! [`builder`]: a Graphite push reporter, the [`Encoder`] on a
//! [`TcpLines`] transport.

use crate::Encoder;
use tachymeter_report::{Push, PushReporter, TcpLines};

/// A reporter to carbon's plaintext receiver: [`Encoder`]'s lines written
/// by a [`TcpLines`] transport. See [`builder`].
pub type GraphiteReporter = PushReporter<Encoder, TcpLines>;

/// Starts configuring a reporter named `graphite` to carbon's plaintext
/// receiver at `target` (`host:port`, usually port 2003), go-metrics'
/// `graphite.Graphite`, with a default [`Encoder`]: no prefix, tags off,
/// durations in milliseconds (see [`Encoder`] for the paths and values).
///
/// - One persistent connection, opened on the first report and reopened
///   after it breaks (the host name is resolved again each time).
/// - Every connection attempt and every report's write ends within the
///   [timeout](Push::timeout) (default 2 s): a dead, slow or hung carbon
///   never blocks the reporter for longer.
/// - After a failed connection attempt or write, reports fail at once
///   until a [backoff](Push::backoff) has passed (0.5 s, doubling up to
///   30 s), so a backend that is down sees one attempt per backoff. Counts
///   are cumulative, so the first report that gets through carries
///   everything missed.
/// - Memory is one report's text, reused.
///
/// Failed reports are returned as errors, which the
/// [`PeriodicReporter`](tachymeter_report::PeriodicReporter) logs (`warn`)
/// and counts; each new connection is logged (`info`).
///
/// Its own counts are metrics in the same registry, under
/// `reporter.graphite.` (see [`Own`](tachymeter_report::Own)), besides the
/// [`PeriodicReporter`](tachymeter_report::PeriodicReporter)'s (`reports`,
/// `failures`, …): the transport's `connects`, `connect-failures`,
/// `send-failures`, `backed-off`, `sent-points` and `dropped-unsent` (one
/// point per line, one line per value), and `dropped-non-finite`, the NaN
/// and ±Inf values Graphite cannot store. The other counts of what an
/// encoder leaves out, which every push reporter has, stay at zero here:
/// paths are bounded, there is no limit on tags and clashing paths are
/// numbered.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = tachymeter_graphite::builder("carbon.internal:2003")
///     .map_encoder(|e| e.prefix("books.web-1"))
///     .start(&registry, Duration::from_secs(10))?;
/// registry.counter("requests")?.inc(1);
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
///
/// Every setting, and the reporter built to run by hand:
///
/// ```
/// use std::time::Duration;
/// use tachymeter_core::Registry;
/// use tachymeter_graphite::{DurationUnit, Encoder, GraphiteReporter};
///
/// let registry = Registry::new();
/// let reporter: GraphiteReporter = tachymeter_graphite::builder("localhost:2003")
///     .map_encoder(|e| e.prefix("app").tags(true).duration_unit(DurationUnit::Microseconds))
///     .timeout(Duration::from_secs(1))
///     .backoff(Duration::from_secs(1), Duration::from_secs(60))
///     .name("carbon")
///     .build(&registry)?; // nothing is connected yet
/// assert_eq!(reporter.target(), "localhost:2003");
/// assert_eq!(reporter.encoder().prefix_path(), "app");
/// assert!(registry.counter("reporter.carbon.sent-points").is_ok());
///
/// // Or a whole encoder at once.
/// let builder = tachymeter_graphite::builder("localhost:2003")
///     .encoder(Encoder::new().prefix("app").tags(true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn builder(target: impl Into<String>) -> Push<Encoder, TcpLines> {
    Push::new("graphite", Encoder::new(), TcpLines::new(target))
}
