//! The sliding window of recent values, kept entirely on the reading side.
//!
//! Writers only ever add to a histogram's cumulative buckets. Reads take a
//! checkpoint of the cumulative counts at most once per sub-interval, and
//! the recent view is "now minus the oldest checkpoint still inside the
//! window". Checkpoints age out as the window slides, so it moves in
//! sub-interval steps rather than resetting, and recording pays nothing
//! for it.
//!
//! Only the oldest checkpoint is kept whole; each later one is kept as its
//! difference from the one before, run-length and varint encoded, which
//! costs a few bytes per non-empty bucket.

use crate::buckets::{Counts, Layout};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Window {
    length: Duration,
    step: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The oldest checkpoint: when, and the cumulative counts then.
    front: (Instant, Counts),
    /// For each later checkpoint: when, and what it adds to the one before.
    steps: VecDeque<(Instant, Vec<u8>)>,
}

impl State {
    fn newest(&self) -> Instant {
        self.steps.back().map_or(self.front.0, |(t, _)| *t)
    }
}

impl Window {
    pub(crate) fn new(layout: &Layout, length: Duration, intervals: u32, start: Instant) -> Self {
        Self {
            length,
            // At least a nanosecond: checkpoints then have instants of their
            // own, so a window start names one set of counts, which a read
            // that updates the recent values in place relies on.
            step: (length / intervals.max(1)).max(Duration::from_nanos(1)),
            state: Mutex::new(State {
                front: (start, Counts::empty(layout)),
                steps: VecDeque::new(),
            }),
        }
    }

    /// Calls `f` with the window's start and the cumulative counts then,
    /// for the recent values (the cumulative counts now minus those: `f`
    /// computes them, or gives back the same ones read before) and
    /// anything else it returns, and returns both with how long ago that
    /// start is. Also takes a checkpoint of the counts now if one is due,
    /// from the recent values rather than subtracting again.
    ///
    /// When reads are further apart than the window, the view reaches back to
    /// the previous read, and the returned span says so.
    pub(crate) fn recent<T>(
        &self,
        now: Instant,
        f: impl FnOnce(Instant, &Counts) -> (Arc<Counts>, T),
    ) -> (Arc<Counts>, Duration, T) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // Move the front past checkpoints older than the window, keeping at
        // least the newest one.
        while now.saturating_duration_since(state.front.0) > self.length {
            let Some((t, delta)) = state.steps.pop_front() else {
                break;
            };
            state.front.0 = t;
            state.front.1.apply_encoded(&delta, false);
        }
        let (result, with) = f(state.front.0, &state.front.1);
        let span = now.saturating_duration_since(state.front.0);
        if now.saturating_duration_since(state.newest()) >= self.step {
            // What arrived since the newest checkpoint: the recent values
            // less every later step.
            let mut fresh = Counts::clone(&result);
            for (_, delta) in &state.steps {
                fresh.apply_encoded(delta, true);
            }
            state.steps.push_back((now, fresh.encode()));
        }
        (result, span, with)
    }

    /// Heap bytes held by the checkpoints.
    pub(crate) fn bytes(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::size_of::<Self>()
            + state.front.1.bytes()
            + state
                .steps
                .iter()
                .map(|(_, d)| d.capacity() + std::mem::size_of::<(Instant, Vec<u8>)>())
                .sum::<usize>()
    }
}
