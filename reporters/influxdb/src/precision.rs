//! [`Precision`]: the unit of the timestamps written.

use std::time::{SystemTime, UNIX_EPOCH};

/// The unit of the timestamp that ends each line, sent to the server as the
/// `precision` parameter so it never has to guess.
///
/// ```
/// use tachymeter_influxdb::Precision;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let time = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
/// assert_eq!(Precision::Seconds.timestamp(time), 1_700_000_000);
/// assert_eq!(Precision::Milliseconds.timestamp(time), 1_700_000_000_123);
/// assert_eq!(Precision::default(), Precision::Milliseconds);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Nanoseconds.
    Nanoseconds,
    /// Microseconds.
    Microseconds,
    /// Milliseconds (the default).
    #[default]
    Milliseconds,
    /// Seconds.
    Seconds,
}

impl Precision {
    /// `time` since the Unix epoch in this unit, rounded down (0 before the
    /// epoch, `i64::MAX` past the year 2262 in nanoseconds).
    pub fn timestamp(self, time: SystemTime) -> i64 {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let ticks = match self {
            Precision::Nanoseconds => since.as_nanos(),
            Precision::Microseconds => since.as_micros(),
            Precision::Milliseconds => since.as_millis(),
            Precision::Seconds => u128::from(since.as_secs()),
        };
        i64::try_from(ticks).unwrap_or(i64::MAX)
    }

    /// The `precision` parameter of InfluxDB 1.x's `/write`: `ns`, `u`, `ms`
    /// or `s`.
    pub fn v1_param(self) -> &'static str {
        match self {
            Precision::Nanoseconds => "ns",
            Precision::Microseconds => "u",
            Precision::Milliseconds => "ms",
            Precision::Seconds => "s",
        }
    }

    /// The `precision` parameter of InfluxDB 2.x's `/api/v2/write`: `ns`,
    /// `us`, `ms` or `s`.
    pub fn v2_param(self) -> &'static str {
        match self {
            Precision::Microseconds => "us",
            other => other.v1_param(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_unit_counts_from_the_epoch() {
        let time = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        assert_eq!(
            Precision::Nanoseconds.timestamp(time),
            1_700_000_000_123_456_789
        );
        assert_eq!(
            Precision::Microseconds.timestamp(time),
            1_700_000_000_123_456
        );
        assert_eq!(Precision::Seconds.timestamp(UNIX_EPOCH), 0);
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(Precision::Seconds.timestamp(before), 0);
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 2);
        assert_eq!(Precision::Nanoseconds.timestamp(far), i64::MAX);
    }

    #[test]
    fn parameters_differ_only_for_microseconds() {
        assert_eq!(Precision::Microseconds.v1_param(), "u");
        assert_eq!(Precision::Microseconds.v2_param(), "us");
        for p in [
            Precision::Nanoseconds,
            Precision::Milliseconds,
            Precision::Seconds,
        ] {
            assert_eq!(p.v1_param(), p.v2_param());
        }
    }
}
