//! Model checks of the lock-free pieces under every interleaving loom
//! explores. Run with:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p metrics-core --test loom --release
//! ```
//!
//! Readers and writers each run on a spawned thread: loom explores the
//! schedules of spawned threads against each other.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use metrics_core::loom_internals::Sum128;

const NEAR_WRAP: u64 = u64::MAX - 1;

#[test]
fn a_reader_never_sees_a_torn_sum_across_a_carry() {
    loom::model(|| {
        let sum = Arc::new(Sum128::new());
        sum.add_owned(NEAR_WRAP);
        let writer = {
            let sum = sum.clone();
            thread::spawn(move || {
                sum.add_owned(5); // carries into the high half
                sum.add_owned(1);
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

#[test]
fn shared_adds_from_two_threads_are_exact() {
    loom::model(|| {
        let sum = Arc::new(Sum128::new());
        sum.add_shared(NEAR_WRAP);
        let threads: Vec<_> = [3, 4]
            .into_iter()
            .map(|n| {
                let sum = sum.clone();
                thread::spawn(move || sum.add_shared(n))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(sum.get(), u128::from(NEAR_WRAP) + 7);
    });
}
