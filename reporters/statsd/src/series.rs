//! What the daemon has been sent of each series, so each report sends only
//! what is new: the counts of counters and meters, and the bucket counts of
//! timers and histograms.
//!
//! Only what reached the socket is remembered as sent, so a report that
//! fails keeps its deltas for the next one.

use crate::name::WireName;
use tachymeter_core::{CounterSnapshot, HistogramSnapshot};

/// One series' wire name and what was sent of it.
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) wire: WireName,
    /// Another series has the same wire name: this one is not sent.
    pub(crate) clash: bool,
    /// The last report that saw the series in its snapshot.
    pub(crate) epoch: u64,
    sent: Sent,
}

#[derive(Debug)]
enum Sent {
    Nothing,
    /// A counter's or meter's count.
    Count(i64),
    /// A histogram's all-time buckets: (low, count), ascending.
    Buckets(Vec<(u64, u64)>),
}

impl Series {
    pub(crate) fn new(wire: WireName, epoch: u64) -> Self {
        Series {
            wire,
            clash: false,
            epoch,
            sent: Sent::Nothing,
        }
    }

    /// The count to send for a counter now at `snapshot`. A counter that
    /// went below what was sent while never decremented was registered
    /// anew: all its count is new.
    pub(crate) fn counter_delta(&self, snapshot: &CounterSnapshot) -> i64 {
        match self.sent {
            Sent::Count(sent) if !(snapshot.monotonic && snapshot.count < sent) => {
                snapshot.count.saturating_sub(sent)
            }
            _ => snapshot.count,
        }
    }

    /// The count to send for a meter at `count` (a meter below what was
    /// sent was registered anew).
    pub(crate) fn meter_delta(&self, count: u64) -> i64 {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        match self.sent {
            Sent::Count(sent) if count >= sent => count - sent,
            _ => count,
        }
    }

    /// Remembers the count as sent up to `count` (the count the delta was
    /// taken from).
    pub(crate) fn commit_count(&mut self, count: i64) {
        self.sent = Sent::Count(count);
    }

    /// The values recorded since the last report: for each bucket that
    /// grew, (low, high, growth), ascending. A histogram with fewer values
    /// than were sent was registered anew: what was sent is forgotten.
    pub(crate) fn bucket_delta(&mut self, h: &HistogramSnapshot) -> Vec<(u64, u64, u64)> {
        match &self.sent {
            Sent::Buckets(sent) if sent.iter().map(|b| b.1).sum::<u64>() <= h.count => {}
            _ => self.sent = Sent::Buckets(Vec::new()),
        }
        let Sent::Buckets(sent) = &self.sent else {
            return Vec::new();
        };
        let mut sent = sent.iter().peekable();
        let mut out = Vec::new();
        for bucket in h.all_time.buckets() {
            while sent.next_if(|(low, _)| *low < bucket.low).is_some() {}
            let before = sent
                .next_if(|(low, _)| *low == bucket.low)
                .map_or(0, |b| b.1);
            let grew = bucket.count.saturating_sub(before);
            if grew > 0 {
                out.push((bucket.low, bucket.high, grew));
            }
        }
        out
    }

    /// Remembers the first `prefix` values of `delta` (from
    /// [`bucket_delta`](Self::bucket_delta)) as sent.
    pub(crate) fn commit_values(&mut self, delta: &[(u64, u64, u64)], mut prefix: u64) {
        let Sent::Buckets(sent) = &mut self.sent else {
            return;
        };
        for &(low, _, grew) in delta {
            if prefix == 0 {
                break;
            }
            let take = grew.min(prefix);
            prefix -= take;
            match sent.binary_search_by_key(&low, |b| b.0) {
                Ok(i) => sent[i].1 += take,
                Err(i) => sent.insert(i, (low, take)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tachymeter_core::{Histogram, MetricKey};

    fn series() -> Series {
        Series::new(WireName::new("", &MetricKey::new("x"), &[], false), 0)
    }

    #[test]
    fn counter_deltas_follow_what_was_committed() {
        let mut s = series();
        let at = |count, monotonic| CounterSnapshot { count, monotonic };
        assert_eq!(s.counter_delta(&at(5, true)), 5);
        s.commit_count(5);
        assert_eq!(s.counter_delta(&at(7, true)), 2);
        // Not committed: the delta grows.
        assert_eq!(s.counter_delta(&at(9, true)), 4);
        assert_eq!(s.counter_delta(&at(-3, false)), -8);
        // Registered anew.
        assert_eq!(s.counter_delta(&at(1, true)), 1);
        s.commit_count(1);
        assert_eq!(s.counter_delta(&at(2, true)), 1);
    }

    #[test]
    fn meter_deltas_restart_with_a_new_meter() {
        let mut s = series();
        assert_eq!(s.meter_delta(4), 4);
        s.commit_count(4);
        assert_eq!(s.meter_delta(10), 6);
        assert_eq!(s.meter_delta(2), 2);
        s.commit_count(2);
        assert_eq!(s.meter_delta(3), 1);
    }

    #[test]
    fn bucket_deltas_commit_by_prefix() {
        let h = Histogram::new();
        for v in [1, 1, 1, 100, 100] {
            h.update(v);
        }
        let mut s = series();
        let delta = s.bucket_delta(&h.snapshot());
        assert_eq!(delta.len(), 2);
        assert_eq!((delta[0].0, delta[0].2), (1, 3));
        assert_eq!(delta[1].2, 2);
        // The first four values reached the daemon.
        s.commit_values(&delta, 4);
        let delta = s.bucket_delta(&h.snapshot());
        assert_eq!(delta.len(), 1);
        assert_eq!(delta[0].2, 1);
        h.update(1);
        let delta = s.bucket_delta(&h.snapshot());
        assert_eq!(delta.iter().map(|d| d.2).sum::<u64>(), 2);
        s.commit_values(&delta, 2);
        assert!(s.bucket_delta(&h.snapshot()).is_empty());
        // A new histogram under the same name starts over.
        let fresh = Histogram::new();
        fresh.update(1);
        assert_eq!(s.bucket_delta(&fresh.snapshot())[0].2, 1);
    }
}
