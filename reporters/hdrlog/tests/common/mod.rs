//! Reading logs back with the Rust `hdrhistogram` crate, and a registry on
//! a clock that moves only when told.

#![allow(dead_code)]

use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tachymeter_core::{ManualClock, Registry};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The `StartTime` and `BaseTime` the tests write.
pub fn base_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A registry on a manual clock.
pub fn registry() -> (Arc<ManualClock>, Registry) {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    (clock, registry)
}

/// One interval line, decoded.
#[derive(Debug)]
pub struct Line {
    pub tag: String,
    pub start: Duration,
    pub length: Duration,
    pub max: f64,
    pub histogram: Histogram<u64>,
}

/// A whole log, parsed by `IntervalLogIterator` (any error fails), each
/// histogram decoded.
#[derive(Debug)]
pub struct Log {
    pub start_time: Vec<Duration>,
    pub base_time: Vec<Duration>,
    pub lines: Vec<Line>,
}

impl Log {
    /// The lines of `tag`.
    pub fn of(&self, tag: &str) -> Vec<&Line> {
        self.lines.iter().filter(|l| l.tag == tag).collect()
    }
}

pub fn parse(text: &str) -> Result<Log, Box<dyn std::error::Error>> {
    let mut log = Log {
        start_time: Vec::new(),
        base_time: Vec::new(),
        lines: Vec::new(),
    };
    for entry in IntervalLogIterator::new(text.as_bytes()) {
        match entry.map_err(|e| format!("{e:?} in {text:?}"))? {
            LogEntry::StartTime(t) => log.start_time.push(t),
            LogEntry::BaseTime(t) => log.base_time.push(t),
            LogEntry::Interval(interval) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(interval.encoded_histogram())?;
                let histogram: Histogram<u64> =
                    Deserializer::new().deserialize(&mut bytes.as_slice())?;
                log.lines.push(Line {
                    tag: interval
                        .tag()
                        .ok_or("an interval without a tag")?
                        .as_str()
                        .to_string(),
                    start: interval.start_timestamp(),
                    length: interval.duration(),
                    max: interval.max(),
                    histogram,
                });
            }
        }
    }
    Ok(log)
}

/// Seconds as the log writes them (to the millisecond).
pub fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}
