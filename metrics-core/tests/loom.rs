//! Model checks of the lock-free pieces under every interleaving loom
//! explores. Run with:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p tachymeter-core --test loom --release
//! ```
//!
//! Readers and writers each run on a spawned thread: loom explores the
//! schedules of spawned threads against each other.
#![cfg(loom)]

use loom::sync::atomic::{AtomicI64, Ordering::*};
use loom::sync::Arc;
use loom::thread;
use tachymeter_core::loom_internals::{Offset, StripeLock, Sum128};

const NEAR_WRAP: u64 = u64::MAX - 1;

#[test]
fn a_reader_never_sees_a_torn_sum_across_a_carry() {
    loom::model(|| {
        let sum = Arc::new(Sum128::new());
        sum.add(NEAR_WRAP);
        let writer = {
            let sum = sum.clone();
            thread::spawn(move || {
                sum.add(5); // carries into the high half
                sum.add(1);
            })
        };
        let reader = {
            let sum = sum.clone();
            thread::spawn(move || sum.get())
        };
        let seen = reader.join().unwrap();
        writer.join().unwrap();
        let start = u128::from(NEAR_WRAP);
        assert!(
            [start, start + 5, start + 6].contains(&seen),
            "torn read: {seen}"
        );
        assert_eq!(sum.get(), start + 6);
    });
}

/// Two shared stripes: two threads each take the first stripe's lock, or,
/// finding it busy, the second's (as a writer moves on to another stripe),
/// add with plain loads and stores, and give it back. Nothing is lost, a
/// carry included, and a reader never sees a torn sum.
#[test]
fn writers_taking_stripe_locks_in_turn_are_exact() {
    model_bounded(3, || {
        let stripes = Arc::new([
            (StripeLock::new(), Sum128::new()),
            (StripeLock::new(), Sum128::new()),
        ]);
        stripes[0].1.add(NEAR_WRAP);
        let writers: Vec<_> = [3, 4]
            .into_iter()
            .map(|n| {
                let stripes = stripes.clone();
                thread::spawn(move || {
                    for (lock, sum) in stripes.iter() {
                        if let Some(_held) = lock.try_lock() {
                            sum.add(n);
                            return true;
                        }
                    }
                    // Both busy: only the other writer holds a lock, so
                    // this cannot happen with two stripes.
                    false
                })
            })
            .collect();
        let reader = {
            let stripes = stripes.clone();
            thread::spawn(move || stripes[0].1.get())
        };
        let seen = reader.join().unwrap();
        for w in writers {
            assert!(w.join().unwrap());
        }
        let start = u128::from(NEAR_WRAP);
        assert!(
            [start, start + 3, start + 4, start + 7].contains(&seen),
            "torn read: {seen}"
        );
        assert_eq!(stripes[0].1.get() + stripes[1].1.get(), start + 7);
    });
}

/// Explores schedules with at most `bound` preemptions: enough for the
/// offset races below, whose full state space is too large.
fn model_bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(f);
}

#[test]
fn racing_clears_never_put_back_an_older_offset() {
    model_bounded(3, || {
        let cells = Arc::new(AtomicI64::new(0));
        let offset = Arc::new(Offset::new());
        let incrementer = {
            let cells = cells.clone();
            thread::spawn(move || {
                cells.fetch_add(1, Relaxed);
                cells.fetch_add(1, Relaxed);
            })
        };
        let clearers: Vec<_> = (0..2)
            .map(|_| {
                let (cells, offset) = (cells.clone(), offset.clone());
                thread::spawn(move || offset.clear(|| cells.load(Relaxed)))
            })
            .collect();
        incrementer.join().unwrap();
        let stored: Vec<i64> = clearers.into_iter().map(|c| c.join().unwrap()).collect();
        // The later of the two sums stays: no cleared increment comes back.
        assert_eq!(offset.get(), *stored.iter().max().unwrap());
    });
}

#[test]
fn a_read_racing_a_clear_never_goes_negative() {
    model_bounded(3, || {
        let cells = Arc::new(AtomicI64::new(1));
        let offset = Arc::new(Offset::new());
        let worker = {
            let (cells, offset) = (cells.clone(), offset.clone());
            thread::spawn(move || {
                cells.fetch_add(1, Relaxed);
                offset.clear(|| cells.load(Relaxed));
            })
        };
        let reader = {
            let (cells, offset) = (cells.clone(), offset.clone());
            thread::spawn(move || offset.read(|| cells.load(Relaxed)))
        };
        let (seen, settled) = reader.join().unwrap();
        worker.join().unwrap();
        assert!(settled);
        assert!((0..=2).contains(&seen), "read {seen}");
        assert_eq!(offset.read(|| cells.load(Relaxed)), (0, true));
    });
}
