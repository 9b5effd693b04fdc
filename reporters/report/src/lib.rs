//! What every reporter shares.
//!
//! Data flows one way: a registry's [`RegistrySnapshot`](tachymeter_core::RegistrySnapshot)
//! is encoded for a backend, and the result is carried to it.
//!
//! - [`Report`]: anything that turns a snapshot into output (a log, a
//!   file, a push). [`PeriodicReporter`] runs one every interval on its own
//!   thread: a report that fails or panics is logged and counted and the
//!   schedule goes on; a slow report skips the ticks it missed (and counts
//!   them) instead of catching up; stopping it, or dropping it, sends one
//!   final report within a bounded time.
//! - A push reporter is an [`Encode`]r (a snapshot into [`Lines`],
//!   [`Datagrams`] or a [`Body`], with an [`Encoded`] account of what it
//!   left out) and a [`Transport`] ([`TcpLines`], [`Udp`], `Http`), joined
//!   by [`Push`], which holds what every push reporter shares (name,
//!   timeout, backoff, [`Quiet`], own metrics) and starts it.
//! - [`Own`]: a reporter's counts of what it does, `reporter.<name>.*`,
//!   named the same way in every reporter.
//! - [`fields`]: the numbers of a metric named the go-metrics way
//!   (`count`, `std-dev`, `99-percentile`, `m1`, …), and [`SeriesNames`]:
//!   each series' wire name, settled once and kept for the registry's life,
//!   so that no two metrics ever share a series.
//! - `RenderService` (feature `http`): a Tower service that renders the
//!   registry on each request, for `GET /metrics` and the like, with a
//!   bound on concurrent renders.
//!
//! A new backend is an encoder and a choice of transport:
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use tachymeter_core::{MetricSnapshot, Registry, RegistrySnapshot};
//! use tachymeter_report::{Encode, Encoded, Lines, Push, TcpLines};
//!
//! /// `<name> <count>` for every counter.
//! struct Counts;
//!
//! impl Encode for Counts {
//!     type Output = Lines;
//!
//!     fn encode(&mut self, snapshot: &RegistrySnapshot, _: SystemTime, out: &mut Lines) -> Encoded {
//!         for entry in &snapshot.metrics {
//!             if let MetricSnapshot::Counter(c) = &entry.snapshot {
//!                 out.push(&format!("{} {}", entry.key.name(), c.count));
//!             }
//!         }
//!         Encoded::default()
//!     }
//! }
//!
//! let backend = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let registry = Registry::new();
//! let reporter = Push::new("counts", Counts, TcpLines::new(backend.local_addr()?.to_string()))
//!     .start(&registry, Duration::from_secs(10))?;
//! // ... the application runs ...
//! let outcome = reporter.stop(); // one final report
//! assert!(outcome.final_report_sent);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod base64;
mod build_error;
mod clean;
mod encode;
mod exponential;
mod fields;
mod names;
mod own;
mod payload;
mod periodic;
mod previous;
mod push;
mod quiet;
#[cfg(feature = "http")]
mod render_service;
mod report;
mod schedule;
mod tags;
mod transport;
mod write;

pub use base64::{push_base64, Base64};
pub use build_error::BuildError;
pub use clean::{push_replaced, Cleaned};
pub use encode::{encode_once, Encode, Encoded};
pub use exponential::{ExponentialBuckets, MAX_SCALE};
pub use fields::{fields, finite_fields, DurationUnit, Field, Fields, Stat, Value, QUANTILES};
pub use names::{numbered_name, Proposal, SeriesNames, Settled, MAX_RETIRED_NAMES};
pub use own::{is_own_metric, own_metric_name, Own};
pub use payload::{Body, Datagrams, Lines, Payload, DEFAULT_MAX_DATAGRAM};
pub use periodic::{PeriodicReporter, PeriodicReporterBuilder, StopOutcome, DEFAULT_TIMEOUT};
pub use previous::{Previous, MAX_ABSENT_REPORTS};
pub use push::{Push, PushReporter};
pub use quiet::Quiet;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use render_service::{Render, RenderService, Rendered, ResponseBody};
pub use report::{Report, ReportError};
pub use schedule::{Due, Schedule, MAX_WAIT};
pub use tags::Tags;
#[cfg(feature = "http-transport")]
#[cfg_attr(docsrs, doc(cfg(feature = "http-transport")))]
pub use transport::{Answer, Http, HttpError, RETRYABLE};
pub use transport::{
    SendError, Sent, Settings, TcpLines, TcpSender, Transport, Udp, Undelivered, INITIAL_BACKOFF,
    MAX_BACKOFF,
};
pub use write::{cut_line, write_counting};
