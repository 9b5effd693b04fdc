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
    pub(crate) fn new(wire: WireName) -> Self {
        Series {
            wire,
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
    /// sent was registered anew), at most `i64::MAX` in one report, and
    /// the meter count that brings it to (to commit): a larger growth is
    /// sent over several reports, never cut.
    pub(crate) fn meter_delta(&self, count: u64) -> (i64, i64) {
        // A meter's sent count is kept as the bits of its u64.
        let base = match self.sent {
            Sent::Count(sent) if count >= sent as u64 => sent as u64,
            _ => 0,
        };
        let delta = (count - base).min(i64::MAX as u64);
        (delta as i64, (base + delta) as i64)
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
        Series::new(WireName::new("", &MetricKey::new("x"), &[], false))
    }

    #[test]
    fn meter_growth_past_i64_max_is_sent_over_several_reports() {
        let mut s = series();
        let count = u64::MAX - 1;
        let (first, upto) = s.meter_delta(count);
        assert_eq!(first, i64::MAX);
        s.commit_count(upto);
        let (second, upto) = s.meter_delta(count);
        assert_eq!(second as u64, count - i64::MAX as u64);
        s.commit_count(upto);
        assert_eq!(s.meter_delta(count).0, 0, "all of it was sent");
        assert_eq!(s.meter_delta(count + 1).0, 1);
        // A smaller count: a new meter, sent whole.
        assert_eq!(s.meter_delta(5), (5, 5));
    }

    #[test]
    fn counter_deltas_follow_what_was_committed() {
        let mut s = series();
        let at = |count, monotonic| CounterSnapshot {
            count,
            monotonic,
            exemplar: None,
        };
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
        assert_eq!(s.meter_delta(4), (4, 4));
        s.commit_count(4);
        assert_eq!(s.meter_delta(10), (6, 10));
        assert_eq!(s.meter_delta(2), (2, 2));
        s.commit_count(2);
        assert_eq!(s.meter_delta(3), (1, 3));
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
