//! Exemplars: the trace of a request a value came from, so that a slow
//! bucket or a counted error leads to one of its traces.
//!
//! [`Trace`] is what a caller passes (a sampled trace's ids, from the
//! W3C `traceparent` header or a tracing library); [`Exemplar`] is what a
//! snapshot gives back (the ids, the value and when it was recorded).
//! [`Exemplars`] keeps them for one metric: a fixed set of slots, each
//! written and read under a sequence number, so a reader never sees half
//! of one exemplar and half of another, writers never wait (a slot busy
//! with another writer keeps the other's exemplar), and a metric no
//! exemplar was recorded into holds no slot at all.

use crate::exemplar_labels::{ExemplarLabelError, ExemplarLabels, INLINE};
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// A sampled trace's ids, and optionally a few small labels, attached to a
/// recorded value.
///
/// ```
/// use tachymeter_core::Trace;
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let trace = Trace::from_traceparent(header).unwrap();
/// assert_eq!(trace.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// // Not sampled (flags 00): no exemplar.
/// assert!(Trace::from_traceparent(&header.replace("-01", "-00")).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Trace {
    /// The trace id (16 bytes, not all zero).
    pub trace_id: [u8; 16],
    /// The span id (8 bytes, not all zero).
    pub span_id: [u8; 8],
    /// Labels the exemplar carries beside the ids (none unless added
    /// with [`with_label`](Self::with_label)).
    pub labels: ExemplarLabels,
}

impl Trace {
    /// The trace with these ids and no label.
    ///
    /// ```
    /// let trace = tachymeter_core::Trace::new([1; 16], [2; 8]);
    /// assert!(trace.labels.is_empty());
    /// ```
    pub fn new(trace_id: [u8; 16], span_id: [u8; 8]) -> Trace {
        Trace {
            trace_id,
            span_id,
            labels: ExemplarLabels::default(),
        }
    }

    /// This trace with the exemplar label `name="value"` added, or why it
    /// cannot be: see [`ExemplarLabels`] for the rules, which keep every
    /// exemplar within OpenMetrics' 128 characters.
    pub fn with_label(mut self, name: &str, value: &str) -> Result<Trace, ExemplarLabelError> {
        self.labels = self.labels.with_label(name, value)?;
        Ok(self)
    }

    /// This trace with `labels` in place of its labels.
    pub fn with_labels(mut self, labels: ExemplarLabels) -> Trace {
        self.labels = labels;
        self
    }

    /// The trace of a W3C `traceparent` header value
    /// (`version-traceid-spanid-flags`, lowercase hex) when it is valid and
    /// its sampled flag is set; `None` otherwise (unsampled, malformed, or
    /// all-zero ids).
    pub fn from_traceparent(header: &str) -> Option<Trace> {
        let mut parts = header.trim().split('-');
        let version = parts.next()?;
        let (trace, span, flags) = (parts.next()?, parts.next()?, parts.next()?);
        // Version 00 has exactly four parts; later versions may add more.
        if version.len() != 2 || version == "ff" || (version == "00" && parts.next().is_some()) {
            return None;
        }
        let mut trace_id = [0; 16];
        let mut span_id = [0; 8];
        let mut flag = [0; 1];
        hex(version, &mut [0; 1])?;
        hex(trace, &mut trace_id)?;
        hex(span, &mut span_id)?;
        hex(flags, &mut flag)?;
        let sampled = flag[0] & 1 == 1;
        let valid = trace_id != [0; 16] && span_id != [0; 8];
        (sampled && valid).then(|| Trace::new(trace_id, span_id))
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        to_hex(&self.trace_id)
    }

    /// The span id as 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        to_hex(&self.span_id)
    }
}

/// `text` (lowercase hex, exactly twice `out`'s length) into `out`.
fn hex(text: &str, out: &mut [u8]) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// A recorded value's trace, as a snapshot gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exemplar {
    /// The trace it came from.
    pub trace: Trace,
    /// The value recorded: the histogram's raw value (nanoseconds for a
    /// timer), or a counter's increment.
    pub value: u64,
    /// When, in nanoseconds since the Unix epoch.
    pub unix_nanos: u64,
}

/// Words of one slot: sequence, trace id (2), span id, value, time.
const WORDS: usize = 5;

/// One exemplar, written under a sequence number: odd while a writer is
/// in it.
#[derive(Debug, Default)]
struct Slot {
    seq: AtomicU64,
    words: [AtomicU64; WORDS],
}

impl Slot {
    /// Writes `e`, unless another writer is in the slot (then its
    /// exemplar stands); its labels into `labels` when the metric has
    /// label words (which exist once any exemplar of it had labels).
    fn write(&self, e: &Exemplar, labels: &OnceLock<LabelWords>, index: usize) {
        let seq = self.seq.load(Ordering::Relaxed);
        if seq & 1 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // The words below are not seen before the odd sequence number.
        fence(Ordering::Release);
        let [a, b] = split(&e.trace.trace_id);
        let words = [
            a,
            b,
            u64::from_le_bytes(e.trace.span_id),
            e.value,
            e.unix_nanos,
        ];
        for (slot, word) in self.words.iter().zip(words) {
            slot.store(word, Ordering::Relaxed);
        }
        // Read once in the slot: a writer with labels made the words
        // before it took any slot, so no earlier exemplar's labels stay.
        if let Some(all) = labels.get() {
            for (slot, word) in all[index].iter().zip(e.trace.labels.to_words()) {
                slot.store(word, Ordering::Relaxed);
            }
        }
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// The exemplar in the slot, if any and not being written.
    fn read(&self, labels: &OnceLock<LabelWords>, index: usize) -> Option<Exemplar> {
        for _ in 0..4 {
            let before = self.seq.load(Ordering::Acquire);
            if before == 0 {
                return None;
            }
            if before & 1 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let w: [u64; WORDS] = std::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
            // Looked up after the sequence number: a writer with labels
            // made the words before it wrote this slot.
            let labels = labels.get().map(|all| &all[index]);
            let l: [u64; INLINE / 8] =
                std::array::from_fn(|i| labels.map_or(0, |l| l[i].load(Ordering::Relaxed)));
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != before {
                continue;
            }
            let mut trace_id = [0; 16];
            trace_id[..8].copy_from_slice(&w[0].to_le_bytes());
            trace_id[8..].copy_from_slice(&w[1].to_le_bytes());
            return Some(Exemplar {
                trace: Trace {
                    trace_id,
                    span_id: w[2].to_le_bytes(),
                    labels: ExemplarLabels::from_words(l),
                },
                value: w[3],
                unix_nanos: w[4],
            });
        }
        // Writers kept coming: this slot is left out of this read.
        None
    }
}

fn split(id: &[u8; 16]) -> [u64; 2] {
    let mut a = [0; 8];
    let mut b = [0; 8];
    a.copy_from_slice(&id[..8]);
    b.copy_from_slice(&id[8..]);
    [u64::from_le_bytes(a), u64::from_le_bytes(b)]
}

/// How many exemplars a histogram keeps: the latest per power of two of
/// the value, so each stretch of the range (and any export bucket) has a
/// recent one.
pub const HISTOGRAM_EXEMPLARS: usize = 64;

/// The label words of a metric's slots, one set per slot.
type LabelWords = Box<[[AtomicU64; INLINE / 8]]>;

/// A metric's exemplars: none until the first is recorded, then `N`
/// slots (a histogram's 64, one per power of two of the value; a
/// counter's one), and words for labels once an exemplar has some.
#[derive(Debug, Default)]
pub(crate) struct Exemplars<const N: usize> {
    slots: OnceLock<Box<[Slot; N]>>,
    labels: OnceLock<LabelWords>,
}

impl<const N: usize> Exemplars<N> {
    pub(crate) fn new() -> Self {
        Exemplars {
            slots: OnceLock::new(),
            labels: OnceLock::new(),
        }
    }

    /// Keeps `trace` for `value` in slot `slot % N`, stamped now.
    pub(crate) fn record(&self, slot: usize, value: u64, trace: Trace) {
        let unix_nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let slots = self
            .slots
            .get_or_init(|| Box::new(std::array::from_fn(|_| Slot::default())));
        if !trace.labels.is_empty() {
            self.labels
                .get_or_init(|| (0..N).map(|_| Default::default()).collect());
        }
        slots[slot % N].write(
            &Exemplar {
                trace,
                value,
                unix_nanos,
            },
            &self.labels,
            slot % N,
        );
    }

    /// Every exemplar kept, by increasing value.
    pub(crate) fn read(&self) -> Vec<Exemplar> {
        let Some(slots) = self.slots.get() else {
            return Vec::new();
        };
        let mut out: Vec<Exemplar> = (0..N)
            .filter_map(|i| slots[i].read(&self.labels, i))
            .collect();
        out.sort_by_key(|e| (e.value, e.unix_nanos));
        out
    }

    /// The exemplar of slot 0 (a counter's only one).
    pub(crate) fn first(&self) -> Option<Exemplar> {
        self.slots
            .get()
            .and_then(|slots| slots[0].read(&self.labels, 0))
    }
}

/// The slot of a histogram value: its power of two.
pub(crate) fn octave(value: u64) -> usize {
    (64 - value.leading_zeros()) as usize
}
