//! Every timer's and histogram's recent values as an [HdrHistogram] interval
//! log: each report writes, for each series with new values, one line
//! tagged with the series' name holding exactly the values recorded since
//! its previous line, as a compressed V2 histogram. HdrHistogram's readers
//! (Java, Python `hdrh`, Rust `hdrhistogram`, Go, …) and tools
//! (`HistogramLogProcessor`, HistogramLogAnalyzer) read it: percentiles per
//! interval, or over any range of intervals added up.
//!
//! [HdrHistogram]: https://hdrhistogram.github.io/HdrHistogram/
//!
//! ```
//! use tachymeter_core::Registry;
//! use tachymeter_hdrlog::HdrLogReporter;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let latency = registry.timer("get-book")?;
//! let log = std::env::temp_dir().join("tachymeter-hdrlog-get-book.hlog");
//! let reporter = HdrLogReporter::create(&log)?.start(&registry, Duration::from_secs(10))?;
//!
//! latency.update(Duration::from_micros(250));
//! reporter.stop(); // one final report
//! let text = std::fs::read_to_string(&log)?;
//! assert!(text.lines().any(|line| line.starts_with("Tag=get-book,")));
//! # std::fs::remove_file(&log)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`HdrLogReporter`] is the [`Report`]: what the log holds (header,
//!   lines, tags, units, intervals), how much it remembers, and what a
//!   failed write does are documented there.
//!   [`HdrLogReporterBuilder::start`] runs it on a [`PeriodicReporter`].
//! - [`tag()`] is the tag a series' key gets.
//! - [`error_bound`] is how close percentiles read from the log are to the
//!   exact ones: 0.88 % with the default precision (the histogram's own
//!   bucket error, 2^-7, and HdrHistogram's 3 significant figures,
//!   2^-10).
//!
//! Timer durations are written in nanoseconds by default (the unit they
//! are recorded in); a reader that wants milliseconds divides by 10^6 (the
//! Java tools' "max value unit ratio" / `-outputValueUnitRatio`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod header;
mod interval;
mod reporter;
mod tag;

pub use interval::{error_bound, HDR_SIGNIFICANT_FIGURES};
pub use reporter::{HdrLogReporter, HdrLogReporterBuilder};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{BuildError, DurationUnit, PeriodicReporter, Report, ReportError};
pub use tag::{tag, MAX_TAG_LEN};
