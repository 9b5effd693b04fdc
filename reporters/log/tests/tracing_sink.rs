//! The `tracing` sink, seen by a minimal subscriber.
#![cfg(feature = "tracing")]

use std::fmt;
use std::sync::{Arc, Mutex};
use tachymeter_core::Registry;
use tachymeter_log::{Level, LogReporter, Sink, TARGET};
use tachymeter_report::Report;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Every event: level, target, message.
type Events = Arc<Mutex<Vec<(tracing::Level, String, String)>>>;

struct Capture(Events);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message = Message(String::new());
        event.record(&mut message);
        let metadata = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((*metadata.level(), metadata.target().to_string(), message.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn one_event_per_report_at_the_chosen_level() {
    let registry = Registry::new();
    registry.counter("requests").unwrap().inc(5);
    let snapshot = registry.snapshot();
    let events = Events::default();

    tracing::subscriber::with_default(Capture(events.clone()), || {
        let mut info = LogReporter::builder().sink(Sink::tracing()).build();
        info.report(&snapshot).unwrap();
        let mut warn = LogReporter::builder()
            .sink(Sink::tracing())
            .level(Level::Warn)
            .title("app metrics")
            .build();
        warn.report(&snapshot).unwrap();
    });

    // The first line is the title, or `metrics` without one: the event's
    // header shares it, and the blocks start on lines of their own.
    let message = "counter requests\n  count: 5".to_string();
    assert_eq!(
        *events.lock().unwrap(),
        [
            (
                tracing::Level::INFO,
                TARGET.to_string(),
                format!("metrics\n{message}")
            ),
            (
                tracing::Level::WARN,
                TARGET.to_string(),
                format!("app metrics\n{message}")
            ),
        ]
    );
}
