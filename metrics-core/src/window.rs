//! The sliding window of recent values, kept entirely on the reading side.
//!
//! Writers only ever add to a histogram's cumulative buckets. Each read may
//! store a checkpoint of the cumulative counts (at most one per
//! sub-interval), and the recent view is "now minus the oldest checkpoint
//! still inside the window". Checkpoints age out as the window slides, so it
//! moves in sub-interval steps rather than resetting, and recording pays
//! nothing for it.

use crate::buckets::{Counts, Layout};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Window {
    length: Duration,
    step: Duration,
    checkpoints: Mutex<VecDeque<(Instant, Counts)>>,
}

impl Window {
    pub(crate) fn new(layout: &Layout, length: Duration, intervals: u32, start: Instant) -> Self {
        let mut checkpoints = VecDeque::new();
        checkpoints.push_back((start, Counts::empty(layout)));
        Self {
            length,
            step: length / intervals.max(1),
            checkpoints: Mutex::new(checkpoints),
        }
    }

    /// The counts recorded since the window's start, and how long ago that
    /// start is. Also takes a checkpoint of `now_counts` if one is due.
    ///
    /// When reads are further apart than the window, the view reaches back to
    /// the previous read, and the returned span says so.
    pub(crate) fn recent(&self, now: Instant, now_counts: &Counts) -> (Counts, Duration) {
        let mut checkpoints = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        // Drop checkpoints older than the window, keeping the newest one.
        while checkpoints.len() > 1
            && checkpoints
                .front()
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) > self.length)
        {
            checkpoints.pop_front();
        }
        let (recent, span) = match checkpoints.front() {
            Some((t, c)) => (now_counts.since(c), now.saturating_duration_since(*t)),
            None => (now_counts.clone(), Duration::ZERO),
        };
        let due = checkpoints
            .back()
            .is_none_or(|(t, _)| now.saturating_duration_since(*t) >= self.step);
        if due {
            checkpoints.push_back((now, now_counts.clone()));
        }
        (recent, span)
    }

    /// Heap bytes held by the checkpoints.
    pub(crate) fn bytes(&self) -> usize {
        let checkpoints = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::size_of::<Self>() + checkpoints.iter().map(|(_, c)| c.bytes()).sum::<usize>()
    }
}
