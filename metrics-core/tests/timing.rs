//! Timing that outlives a borrow: an owned guard moved across threads and
//! awaits, and futures timed to completion (cancelled ones record nothing).

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tachymeter_core::{ManualClock, Registry, TimerGuard};

/// Pending `n` times, then ready with `value`.
struct PendingFor(u32, u64);

impl Future for PendingFor {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if self.0 == 0 {
            Poll::Ready(self.1)
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn poll<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

fn send_static<T: Send + 'static>(_: &T) {}

#[test]
fn an_owned_guard_is_send_and_static_and_records_on_drop() {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    let timer = registry.timer("job").unwrap();
    let guard: TimerGuard<'static> = timer.start_owned();
    send_static(&guard);
    clock.advance(Duration::from_millis(40));
    std::thread::spawn(move || drop(guard)).join().unwrap();
    let s = timer.snapshot();
    assert_eq!(s.count(), 1);
    assert_eq!(s.durations.max, 40_000_000);
    // `stop` records once and says what.
    let guard = timer.start_owned();
    clock.advance(Duration::from_millis(5));
    assert_eq!(guard.stop(), Duration::from_millis(5));
    assert_eq!(timer.count(), 2);
}

#[test]
fn a_future_is_timed_to_completion_and_a_cancelled_one_records_nothing() {
    let clock = Arc::new(ManualClock::new());
    let registry = Registry::builder().clock(clock.clone()).build();
    let timer = registry.timer("query").unwrap();

    let mut timed = pin!(timer.time_future(PendingFor(2, 7)));
    assert!(poll(timed.as_mut()).is_pending());
    clock.advance(Duration::from_millis(30));
    assert!(poll(timed.as_mut()).is_pending());
    assert_eq!(poll(timed.as_mut()), Poll::Ready(7));
    let s = timer.snapshot();
    assert_eq!((s.count(), s.durations.max), (1, 30_000_000));

    // Dropped while pending: cancelled, not recorded.
    {
        let mut cancelled = pin!(timer.time_future(PendingFor(5, 1)));
        assert!(poll(cancelled.as_mut()).is_pending());
        clock.advance(Duration::from_millis(99));
    }
    assert_eq!(timer.count(), 1);
}
