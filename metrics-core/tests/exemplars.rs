//! Exemplars: `traceparent` parsing, what a histogram and a counter keep,
//! and that a reader never sees half of one exemplar and half of another
//! (its labels included).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tachymeter_core::{Counter, Histogram, Timer, Trace};

const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";

#[test]
fn only_a_valid_sampled_traceparent_gives_a_trace() {
    let ok = Trace::from_traceparent(&format!("00-{ID}-{SPAN}-01")).unwrap();
    assert_eq!(
        (ok.trace_id_hex(), ok.span_id_hex()),
        (ID.to_string(), SPAN.to_string())
    );
    // Other flags beside `sampled`, surrounding spaces, a later version
    // with more fields: still a trace.
    assert!(Trace::from_traceparent(&format!(" 00-{ID}-{SPAN}-03 ")).is_some());
    assert!(Trace::from_traceparent(&format!("01-{ID}-{SPAN}-01-extra")).is_some());
    for bad in [
        format!("00-{ID}-{SPAN}-00"),                  // not sampled
        format!("00-{ID}-{SPAN}-02"),                  // not sampled
        format!("00-{}-{SPAN}-01", ID.to_uppercase()), // uppercase
        format!("00-{}-{SPAN}-01", "0".repeat(32)),    // zero trace id
        format!("00-{ID}-{}-01", "0".repeat(16)),      // zero span id
        format!("ff-{ID}-{SPAN}-01"),                  // forbidden version
        format!("00-{ID}-{SPAN}-01-extra"),            // version 00 has 4 fields
        format!("00-{}-{SPAN}-01", &ID[1..]),          // short id
        format!("00-{ID}-{SPAN}"),                     // no flags
        format!("00-{ID}-{SPAN}-0g"),                  // not hex
        String::new(),
        "garbage".to_string(),
    ] {
        assert_eq!(Trace::from_traceparent(&bad), None, "{bad:?}");
    }
}

fn trace(k: u8) -> Trace {
    Trace::new([k; 16], [k; 8])
}

#[test]
fn a_histogram_keeps_the_latest_per_power_of_two_and_a_counter_its_latest() {
    let h = Histogram::new();
    assert!(h.snapshot().exemplars.is_empty());
    for (k, v) in [(1, 100), (2, 120), (3, 1_000), (4, 5)] {
        h.update_with_exemplar(v, trace(k));
    }
    h.update(110); // no exemplar: nothing changes
    let kept: Vec<(u64, u8)> = h
        .snapshot()
        .exemplars
        .iter()
        .map(|e| (e.value, e.trace.trace_id[0]))
        .collect();
    // 100 and 120 share a power of two: the later stays.
    assert_eq!(kept, [(5, 4), (120, 2), (1_000, 3)]);
    assert_eq!(h.snapshot().count, 5);

    let t = Timer::new();
    t.update_with_exemplar(Duration::from_micros(3), trace(9));
    assert_eq!(t.snapshot().durations.exemplars[0].value, 3_000);

    let c = Counter::new();
    assert_eq!(c.snapshot().exemplar, None);
    c.inc_with_exemplar(2, trace(1));
    c.inc_with_exemplar(5, trace(7));
    let e = c.snapshot().exemplar.unwrap();
    assert_eq!((e.trace, e.value, c.count()), (trace(7), 5, 7));
    assert!(e.unix_nanos > 1_600_000_000_000_000_000);
}

#[test]
fn an_exemplar_without_labels_replaces_one_with_them_whole() {
    let c = Counter::new();
    c.inc_with_exemplar(1, labelled(2));
    assert!(!c.snapshot().exemplar.unwrap().trace.labels.is_empty());
    c.inc_with_exemplar(1, trace(3));
    let e = c.snapshot().exemplar.unwrap();
    assert_eq!((e.trace, e.value), (trace(3), 1), "{e:?}");
    // And a histogram's slot, the same power of two.
    let h = Histogram::new();
    h.update_with_exemplar(100, labelled(4));
    h.update_with_exemplar(101, trace(5));
    let kept = h.snapshot().exemplars;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].trace, trace(5), "{kept:?}");
}

/// `trace(k)` with a label saying `k` too, its length varying with `k`.
fn labelled(k: u8) -> Trace {
    let value = format!("{k}{}", "x".repeat(usize::from(k % 40)));
    trace(k).with_label("k", &value).unwrap()
}

#[test]
fn readers_never_see_a_torn_exemplar() {
    let h = Histogram::new();
    let c = Counter::new();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..2u8 {
            let (h, c, stop) = (&h, &c, &stop);
            s.spawn(move || {
                let mut k = w;
                while !stop.load(Ordering::Relaxed) {
                    k = k.wrapping_add(2);
                    // Every part of one exemplar says `k`; the even ones
                    // carry a label, the odd ones none.
                    let t = if k % 2 == 0 { labelled(k) } else { trace(k) };
                    h.update_with_exemplar(u64::from(k) << 8 | u64::from(k), t);
                    c.inc_with_exemplar(u64::from(k), t);
                }
            });
        }
        for _ in 0..20_000 {
            for e in h
                .snapshot()
                .exemplars
                .iter()
                .chain(c.snapshot().exemplar.iter())
            {
                let k = e.trace.trace_id[0];
                assert!(e.trace.trace_id.iter().all(|b| *b == k), "{e:?}");
                assert!(e.trace.span_id.iter().all(|b| *b == k), "{e:?}");
                assert_eq!(e.value as u8, k, "{e:?}");
                let expected = if k % 2 == 0 { labelled(k) } else { trace(k) };
                assert_eq!(e.trace.labels, expected.labels, "{e:?}");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
}
