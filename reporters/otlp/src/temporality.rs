//! [`Temporality`]: whether points hold totals or changes.

use std::fmt;
use std::str::FromStr;

/// Whether a series' points hold its totals since it started (cumulative,
/// the default and what Prometheus takes) or what changed since the
/// previous point (delta, what Datadog and some vendors prefer).
///
/// Read from `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` as the
/// OpenTelemetry SDKs read it: `cumulative`, or `delta` (counters, meters
/// and histograms as deltas; a decremented counter, an up-down counter,
/// stays cumulative); `lowmemory` is read as delta too.
///
/// ```
/// use tachymeter_otlp::Temporality;
///
/// assert_eq!("Delta".parse(), Ok(Temporality::Delta));
/// assert_eq!(Temporality::default(), Temporality::Cumulative);
/// assert!("hourly".parse::<Temporality>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Temporality {
    /// Totals since each series started.
    #[default]
    Cumulative,
    /// Changes since each series' previous point.
    Delta,
}

impl FromStr for Temporality {
    type Err = String;

    /// `cumulative`, `delta` or `lowmemory`, in any case.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cumulative" => Ok(Temporality::Cumulative),
            "delta" | "lowmemory" => Ok(Temporality::Delta),
            other => Err(format!(
                "temporality {other:?}: expected cumulative, delta or lowmemory"
            )),
        }
    }
}

impl fmt::Display for Temporality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Temporality::Cumulative => "cumulative",
            Temporality::Delta => "delta",
        })
    }
}
