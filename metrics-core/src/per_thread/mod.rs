//! Where each thread writes: the reason recording takes no lock a reader
//! waits for, and (almost always) no atomic read-modify-write.
//!
//! Three pieces, all about keeping one writer per piece of memory:
//!
//! - **Slots** ([`slot`]). A thread that records for the first time claims
//!   one of `2 × parallelism()` slots (at most 128) and keeps it until it
//!   exits; the next thread to claim it inherits what it owned. Hand-over is
//!   ordered (released with `Release` after the last write, claimed with
//!   `Acquire` before the first), so whatever a slot owns always has exactly
//!   one writer at a time.
//! - **Cells** ([`cells`]), behind counters and meters. Each slot has its own
//!   table of 128-counter blocks; a counter is one cell per recording thread,
//!   written with a plain load and store. Threads without a slot, and counts
//!   past the tables, add atomically into the counter's one shared cell.
//! - **Stripes** ([`stripes`]), behind histograms and timers. A stripe is a
//!   full set of buckets and exact scalars (a few KiB), too big to keep one
//!   per thread per histogram. So each histogram has at most 16:
//!   - up to 8 *owned* stripes: one for each of the first two slots that
//!     record into it, and one for any slot whose thread keeps writing it
//!     through shared stripes (16,384 shared writes counted for it in a
//!     frequent-items summary of the thread's latest ones: it must take
//!     more than a fifth of them), while it has fewer than
//!     `min(2 × parallelism(), 8)` owners. A thread spreading its values over
//!     many histograms owns a stripe in none of them, so a histogram's
//!     memory does not creep up with time. An owner writes with plain loads
//!     and stores, as a
//!     single-threaded histogram would; ownership is never given back, and
//!     goes with the slot to its next thread;
//!   - up to `min(parallelism(), 8)` *shared* stripes for every other
//!     thread. A thread takes one for the length of one record with a single
//!     compare-and-swap on a lock word in the stripe's first cache line, then
//!     writes it with plain loads and stores like an owner. It never waits: a
//!     busy stripe sends it to another (its per-thread probe is re-hashed, as
//!     in Java's `LongAdder`), and finding more stripes busy in a row than
//!     there are adds one, while there are fewer than the bound. Uncontended, a thread
//!     keeps landing on the same stripe, so its cache lines stay in its core.
//!
//! The trade, in numbers (2 significant figures). A stripe holds 512 bytes
//! per power of two its values span plus about 1.5 KiB. A histogram written
//! by one thread holds one stripe, as it always did. One that many threads
//! hit at once grows to at most 16 stripes: at most 215 KiB with its window
//! for values over 20 octaves (1 µs to 1 s), 125 KiB over 10 (1 µs to 1 ms),
//! so about 75 (or 125) such hot histograms fit in 16 MiB. The first 8 busy
//! threads of a histogram record at an owner's cost; the 9th and later pay
//! one compare-and-swap per value (about 3× a per-thread `hdrhistogram`
//! record here, bounded however many cores record) and share their stripe's
//! cache lines with about `threads / 8 - 1` others.
//!
//! While the recording path allocates (a thread's first block of cells, a
//! stripe, a histogram's first bucket chunk of an octave) the thread is
//! marked busy, so a record made from inside that allocation (a global
//! allocator that counts its own calls) neither allocates again nor takes
//! the stripe it is already writing: it uses a shared cell or another
//! stripe, or is counted as dropped when none exists yet.

pub(crate) mod cells;
pub(crate) mod slot;
pub(crate) mod stripe_lock;
pub(crate) mod stripes;

pub use slot::{parallelism, PARALLELISM_VAR};
