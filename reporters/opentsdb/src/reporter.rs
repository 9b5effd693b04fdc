//! [`builder`]: an OpenTSDB push reporter, the [`Encoder`] on a
//! [`TcpLines`] transport.

use crate::Encoder;
use tachymeter_report::{Push, PushReporter, TcpLines};

/// A reporter to OpenTSDB's telnet interface: [`Encoder`]'s `put` lines
/// written by a [`TcpLines`] transport.
pub type OpenTsdbReporter = PushReporter<Encoder, TcpLines>;

/// Starts configuring a reporter named `opentsdb` to `target` (`host:port`;
/// OpenTSDB's telnet port is usually 4242) with a default [`Encoder`].
///
/// - One persistent connection: opened on the first report, reopened after
///   it breaks, the host name looked up again each time. After a failed
///   attempt, reports fail at once without trying until a backoff has
///   passed (0.5 s doubling to 30 s).
/// - Each report is one write of all its lines, bounded by the timeout
///   (default 2 s), like each connection attempt: a dead, slow or silent
///   server never holds the reporter longer. A report that fails returns
///   the error; the [`PeriodicReporter`](tachymeter_report::PeriodicReporter)
///   logs and counts it and the next report sends the cumulative totals
///   again, so nothing is lost but resolution.
/// - Its own counts are metrics in the same registry, under
///   `reporter.opentsdb.`, named in [`Own`](tachymeter_report::Own)'s table.
///
/// Differences from go-metrics' OpenTSDB reporter: the connection is kept
/// between reports; values keep their full precision (go-metrics rounded
/// floats to two decimals); timer durations default to milliseconds (go
/// used nanoseconds); with no prefix, names do not start with a `.`;
/// labels become tags and names are sanitised.
///
/// ```no_run
/// use tachymeter_core::Registry;
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// let reporter = tachymeter_opentsdb::builder("tsdb.internal:4242")
///     .map_encoder(|e| e.prefix("app").tag("dc", "eu-1"))
///     .start(&registry, Duration::from_secs(10))?;
/// registry.counter("requests")?.inc(1);
/// // ... the application runs ...
/// reporter.stop(); // one final report
/// # Ok::<(), tachymeter_report::ReportError>(())
/// ```
pub fn builder(target: impl Into<String>) -> Push<Encoder, TcpLines> {
    Push::new("opentsdb", Encoder::new(), TcpLines::new(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tachymeter_core::Registry;
    use tachymeter_report::Report;

    #[test]
    fn an_own_name_taken_by_another_kind_is_an_error_at_start() {
        let registry = Registry::new();
        registry.gauge("reporter.tsdb.connects").unwrap();
        let err = builder("127.0.0.1:1")
            .name("tsdb")
            .start(&registry, Duration::from_secs(60))
            .unwrap_err();
        assert!(err.to_string().contains("reporter.tsdb.connects"), "{err}");
    }

    #[test]
    fn own_counters_are_registered_when_built() {
        let registry = Registry::new();
        let reporter = builder("127.0.0.1:1").build(&registry).unwrap();
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
            "send-failures",
            "backed-off",
            "sent-points",
            "dropped-unsent",
            "dropped-non-finite",
            "dropped-too-many-tags",
            "dropped-too-long",
        ] {
            assert!(
                names.contains(&format!("reporter.opentsdb.{what}")),
                "{what}"
            );
        }
        // Or none at all.
        let quiet = Registry::new();
        builder("127.0.0.1:1")
            .own_metrics(false)
            .build(&quiet)
            .unwrap();
        assert!(quiet.is_empty());
    }

    #[test]
    fn an_empty_registry_sends_nothing() {
        let registry = Registry::new();
        let mut reporter = builder("127.0.0.1:1").build(&registry).unwrap();
        // The reporter's own counters are lines to send; the port is
        // closed, so the report fails and the attempt is counted.
        let failures = registry
            .counter("reporter.opentsdb.connect-failures")
            .unwrap();
        assert!(reporter.report(&registry.snapshot()).is_err());
        assert_eq!(failures.count(), 1);
        // Nothing at all to send: no connection attempt.
        let own = Registry::new();
        let mut quiet = builder("127.0.0.1:1").build(&own).unwrap();
        assert!(quiet.report(&Registry::new().snapshot()).is_ok());
        let failures = own.counter("reporter.opentsdb.connect-failures").unwrap();
        assert_eq!(failures.count(), 0);
    }
}
