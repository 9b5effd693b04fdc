//! Slots are handed on: a thread that found every slot taken gets one as
//! soon as another thread exits. Its own process (one test), because the
//! slot capacity is fixed once per process.

use std::sync::{Arc, Barrier};
use std::thread;
use tachymeter_core::Counter;

#[test]
fn a_thread_without_a_slot_takes_one_when_a_slot_is_freed() {
    // Two slots in this process: parallelism 1.
    std::env::set_var(tachymeter_core::PARALLELISM_VAR, "1");
    assert_eq!(tachymeter_core::parallelism(), 1);

    let holders_counter = Counter::new();
    // Far from the holders' counter, so its cells are in another block.
    let spacers: Vec<Counter> = (0..300).map(|_| Counter::new()).collect();
    let late = Counter::new();
    let base = late.memory_bytes();

    let hold = Arc::new(Barrier::new(3));
    let release = Arc::new(Barrier::new(3));
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let (c, hold, release) = (holders_counter.clone(), hold.clone(), release.clone());
            thread::spawn(move || {
                c.inc(1); // claims a slot
                hold.wait();
                release.wait();
            })
        })
        .collect();
    hold.wait();

    let (to_late, from_main) = std::sync::mpsc::channel::<()>();
    let (to_main, from_late) = std::sync::mpsc::channel::<usize>();
    let latecomer = {
        let late = late.clone();
        thread::spawn(move || {
            late.inc(1); // every slot is taken: the shared cell
            to_main.send(late.memory_bytes()).unwrap();
            from_main.recv().unwrap();
            for _ in 0..10 {
                late.inc(1);
            }
            to_main.send(late.memory_bytes()).unwrap();
        })
    };
    let while_full = from_late.recv().unwrap();
    assert_eq!(
        while_full, base,
        "no cell of its own while every slot is held"
    );

    release.wait();
    for h in holders {
        h.join().unwrap();
    }
    to_late.send(()).unwrap();
    let after = from_late.recv().unwrap();
    latecomer.join().unwrap();
    assert_eq!(
        after,
        base + 8,
        "a freed slot was taken: one 8-byte cell of its own"
    );
    assert_eq!(late.count(), 11, "nothing lost across the move");
    assert_eq!(holders_counter.count(), 2);
    drop(spacers);
}
