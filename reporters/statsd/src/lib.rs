//! Sends a registry to a StatsD daemon over UDP, every interval, on a
//! thread of its own ([`tachymeter_report::PeriodicReporter`]).
//!
//! ```no_run
//! use tachymeter_core::Registry;
//! use std::time::Duration;
//!
//! let registry = Registry::new();
//! let reporter = tachymeter_statsd::builder("127.0.0.1:8125")
//!     .start(&registry, Duration::from_secs(10))?;
//! registry.timer("db.query")?.update(Duration::from_millis(12));
//! reporter.stop(); // one final report
//! # Ok::<(), tachymeter_report::ReportError>(())
//! ```
//!
//! # Lines
//!
//! | metric | sent as |
//! |---|---|
//! | counter, meter | `name:<delta>\|c`: the change since the last report that was delivered (negative if a counter went down); nothing if unchanged |
//! | gauge | `name:<value>\|g`; a negative value as `name:0\|g` then `name:-5\|g` in the same datagram, since a leading sign means a change to StatsD; NaN and ±Inf are dropped (`dropped-non-finite`) |
//! | timer | `name:<v1>\|ms:<v2>\|ms…`: the durations recorded since the last report, in the [`duration_unit`](Encoder::duration_unit) (milliseconds by default) |
//! | histogram | like a timer, values unscaled, also `\|ms` (the only distribution type of the reference daemon; DogStatsD agents read `ms` as a histogram too) |
//!
//! Meters' rates and the histograms' statistics are not sent: StatsD
//! computes its own from the counts and values.
//!
//! **Timer values.** The registry keeps bucketed histograms, so the values
//! sent are the growth of each all-time bucket since the last delivered
//! report, each as its bucket's midpoint kept within the exact minimum and
//! maximum: each value is within the histogram's relative error (0.79 % by
//! default) of the one recorded, and so are StatsD's `mean`, `lower`,
//! `upper`, `upper_90` and `median`; its `count` is exact. A timer sends at
//! most [`max_timer_values`](Encoder::max_timer_values) per
//! report: beyond that, consecutive values are grouped and each group sent
//! once as its mean with the sample rate `|@1/size`, sizes being powers of
//! two so that StatsD's count (which adds `1/rate` per value) stays exact.
//! StatsD then computes its statistics on those group means: its mean stays
//! close (a few smaller groups, put in the middle of the values, weigh as
//! much as the others), and its percentiles are off in rank by at most one
//! group's share of the values, under `2 / (max_timer_values - log2(n))`
//! for `n` values (under 1 % with the default 256 and a million values per
//! report); `lower` and `upper` become the means of the first and last
//! groups.
//!
//! # Names
//!
//! A name is the [`prefix`](Encoder::prefix) and `.`, then the
//! metric's name, with every character outside `[A-Za-z0-9_.-]` replaced by
//! `_` (one per character): such names can never break a line or a
//! datagram, and the reference daemon stores them as sent (it would delete
//! or rewrite anything else). Labels (the metric's own and those added with
//! [`tag`](Encoder::tag)) are sorted by name and appended as
//! two segments each, `name.label.value`, with dots in them replaced too;
//! with [`dogstatsd_tags`](Encoder::dogstatsd_tags) they are
//! sent as `|#label:value,…`, cleaned the same way. Two series of one kind
//! that end up with the same name and tags are never merged: the series
//! first sent under a name keeps it for the reporter's life, and the other
//! gets `_2` (`_3`, …) appended to its metric name, the same way in every
//! push reporter (see [`SeriesNames`](tachymeter_report::SeriesNames)).
//!
//! # Datagrams
//!
//! Lines are packed into datagrams of at most
//! [`max_packet_size`](Encoder::max_packet_size) bytes
//! (default 1432), separated by line feeds; a timer's values are split
//! over as many lines as needed. A single line that cannot fit is dropped
//! and counted (`dropped-too-long`), never cut.
//!
//! # Failures
//!
//! UDP has no answer, but a socket connected to a closed port is told so on
//! a later call. Each report first sends an empty datagram (which the
//! daemon ignores) and waits 5 ms for such an error: a daemon that is down
//! fails the report, which is logged and counted (`send-failures`, and the
//! periodic reporter's `failures`), and what it would have sent stays for
//! the next report: counter deltas and timer values are only remembered as
//! sent once their datagram was. After a failure the host name is looked
//! up again and a new socket connected (`connects`). Lookups and sends
//! are bounded by the [`timeout`](tachymeter_report::Push::timeout).
//!
//! What UDP cannot tell: datagrams lost in the network or dropped by a busy
//! daemon; a daemon that dies between the check and the sends (the
//! datagram before a refused send is taken as lost, a refusal noticed only
//! at the next report is logged and counted); a daemon too far for its
//! refusal to come back within 5 ms; and counts the daemon received but had
//! not yet flushed when it died.
//!
//! Memory stays bounded by the registry: one record per series (a count,
//! or the counts of a histogram's non-empty buckets), forgotten when the
//! series leaves the registry, and one report's datagrams at a time.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encode;
mod name;
mod reporter;
mod sample;
mod series;

pub use encode::{Encoder, DEFAULT_MAX_TIMER_VALUES};
pub use reporter::{builder, StatsdReporter};
/// What this crate's API names from tachymeter-report, so that using it
/// needs no other dependency.
pub use tachymeter_report::{
    BuildError, DurationUnit, Encoded, PeriodicReporter, Push, Quiet, Report, ReportError, Udp,
    DEFAULT_MAX_DATAGRAM,
};
