//! [`ExemplarLabels`]: the few small labels an exemplar may carry beside
//! its trace, kept inline so that recording one allocates nothing.

use std::fmt;

/// The most bytes an exemplar's own labels take, names and values
/// together. With `trace_id` and `span_id` (63 characters) this keeps an
/// exemplar within OpenMetrics' limit of 128 characters for its labels.
pub const MAX_EXEMPLAR_LABEL_BYTES: usize = 48;

/// The most labels an exemplar carries beside its trace.
pub const MAX_EXEMPLAR_LABELS: usize = 4;

/// Bytes of the inline form: a used length, then per label its name's
/// length, the name, its value's length and the value.
pub(crate) const INLINE: usize = 64;

/// Labels an exemplar carries beside its trace and span ids (a user id, a
/// tenant), kept inline (no allocation): at most [`MAX_EXEMPLAR_LABELS`],
/// names and values together at most [`MAX_EXEMPLAR_LABEL_BYTES`] bytes,
/// and no value empty or with a character an exposition escapes.
///
/// Unlike a metric's labels, which a later value replaces, an exemplar's
/// are checked as they are added: a second label of one name, or one past
/// the limits, is an error.
///
/// ```
/// use tachymeter_core::{ExemplarLabels, Trace};
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let trace = Trace::from_traceparent(header).unwrap().with_label("tenant", "acme")?;
/// assert_eq!(trace.labels.iter().collect::<Vec<_>>(), [("tenant", "acme")]);
/// // The trace's own ids are not labels to set.
/// assert!(trace.with_label("trace_id", "x").is_err());
/// // A set built once, for many traces.
/// let labels = ExemplarLabels::default().with_label("region", "eu")?;
/// assert_eq!(trace.with_labels(labels).labels, labels);
/// # Ok::<(), tachymeter_core::ExemplarLabelError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExemplarLabels {
    bytes: [u8; INLINE],
}

impl Default for ExemplarLabels {
    /// No label.
    fn default() -> Self {
        ExemplarLabels { bytes: [0; INLINE] }
    }
}

/// Why a label was not added to an exemplar.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExemplarLabelError {
    /// The name is not a label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
    Name(String),
    /// The name is one of the trace's own, `trace_id` or `span_id`.
    Reserved(String),
    /// A label of this name is set already.
    Duplicate(String),
    /// The value is empty (which Prometheus reads as no label), or has a
    /// `\`, a `"` or a control character: the text exposition would escape
    /// it, and Prometheus (2.42 at least) stores an exemplar's label values
    /// with their escapes, so it would not read back as given.
    Value(String),
    /// [`MAX_EXEMPLAR_LABELS`] labels are set already.
    TooMany,
    /// Names and values would take `bytes` bytes, over
    /// [`MAX_EXEMPLAR_LABEL_BYTES`].
    TooLong {
        /// What they would take.
        bytes: usize,
    },
}

impl fmt::Display for ExemplarLabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExemplarLabelError::Name(name) => write!(
                f,
                "exemplar label name {name:?} is not a label name: use [a-zA-Z_][a-zA-Z0-9_]*"
            ),
            ExemplarLabelError::Reserved(name) => write!(
                f,
                "exemplar label name {name:?} is the trace's own: choose another name"
            ),
            ExemplarLabelError::Duplicate(name) => write!(
                f,
                "exemplar label {name:?} is set already: set each name once"
            ),
            ExemplarLabelError::Value(value) => write!(
                f,
                "exemplar label value {value:?} is empty or has a backslash, a double quote or a \
                 control character: leave the label out, or drop those characters"
            ),
            ExemplarLabelError::TooMany => write!(
                f,
                "an exemplar carries at most {MAX_EXEMPLAR_LABELS} labels: drop one"
            ),
            ExemplarLabelError::TooLong { bytes } => write!(
                f,
                "exemplar labels would take {bytes} bytes of names and values, over \
                 {MAX_EXEMPLAR_LABEL_BYTES}: shorten a value or drop a label"
            ),
        }
    }
}

impl std::error::Error for ExemplarLabelError {}

impl ExemplarLabels {
    /// Whether there is no label.
    pub fn is_empty(&self) -> bool {
        self.bytes[0] == 0
    }

    /// The labels as `(name, value)`, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let used = &self.bytes[1..=usize::from(self.bytes[0])];
        let mut rest = used;
        std::iter::from_fn(move || {
            let (name, after) = take(rest)?;
            let (value, after) = take(after)?;
            rest = after;
            Some((name, value))
        })
    }

    /// These labels with `name="value"` added, or why it cannot be (see
    /// [`ExemplarLabelError`]).
    pub fn with_label(mut self, name: &str, value: &str) -> Result<Self, ExemplarLabelError> {
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(ExemplarLabelError::Name(name.to_string()));
        }
        if name == "trace_id" || name == "span_id" {
            return Err(ExemplarLabelError::Reserved(name.to_string()));
        }
        if self.iter().any(|(n, _)| n == name) {
            return Err(ExemplarLabelError::Duplicate(name.to_string()));
        }
        if value.is_empty() || value.contains(|c: char| c == '\\' || c == '"' || c.is_control()) {
            return Err(ExemplarLabelError::Value(value.to_string()));
        }
        let (count, text) = self
            .iter()
            .fold((0, 0), |(c, t), (n, v)| (c + 1, t + n.len() + v.len()));
        if count >= MAX_EXEMPLAR_LABELS {
            return Err(ExemplarLabelError::TooMany);
        }
        let bytes = text + name.len() + value.len();
        if bytes > MAX_EXEMPLAR_LABEL_BYTES {
            return Err(ExemplarLabelError::TooLong { bytes });
        }
        // Fits: 4 labels' 8 lengths and 48 bytes of text after the used
        // length take at most 57 of the 64 bytes.
        let mut at = 1 + usize::from(self.bytes[0]);
        for part in [name, value] {
            self.bytes[at] = part.len() as u8;
            self.bytes[at + 1..at + 1 + part.len()].copy_from_slice(part.as_bytes());
            at += 1 + part.len();
        }
        self.bytes[0] = (at - 1) as u8;
        Ok(self)
    }

    /// The inline form as words, for an exemplar slot.
    pub(crate) fn to_words(self) -> [u64; INLINE / 8] {
        std::array::from_fn(|i| {
            let mut word = [0; 8];
            word.copy_from_slice(&self.bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(word)
        })
    }

    /// Labels back from a slot's words; empty unless the words are a form
    /// [`to_words`](Self::to_words) wrote (rebuilt through
    /// [`with_label`](Self::with_label), so every rule holds).
    pub(crate) fn from_words(words: [u64; INLINE / 8]) -> Self {
        let mut bytes = [0u8; INLINE];
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        Self::rebuilt(&bytes).unwrap_or_default()
    }

    /// The labels an inline form holds, added again one by one; `None` if
    /// it is not one [`with_label`](Self::with_label) could have made.
    fn rebuilt(bytes: &[u8; INLINE]) -> Option<Self> {
        let mut rest = bytes.get(1..=usize::from(bytes[0]))?;
        let mut labels = ExemplarLabels::default();
        while !rest.is_empty() {
            let (name, after) = take(rest)?;
            let (value, after) = take(after)?;
            labels = labels.with_label(name, value).ok()?;
            rest = after;
        }
        Some(labels)
    }
}

/// The first length-prefixed text of `bytes`, and what follows it.
fn take(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let (&len, rest) = bytes.split_first()?;
    let len = usize::from(len);
    let text = std::str::from_utf8(rest.get(..len)?).ok()?;
    Some((text, &rest[len..]))
}

impl fmt::Debug for ExemplarLabels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_back_in_order_through_words() {
        let labels = ExemplarLabels::default()
            .with_label("tenant", "acme")
            .unwrap()
            .with_label("user", "é42")
            .unwrap();
        let back = ExemplarLabels::from_words(labels.to_words());
        assert_eq!(back, labels);
        let all: Vec<_> = back.iter().collect();
        assert_eq!(all, [("tenant", "acme"), ("user", "é42")]);
        assert_eq!(format!("{back:?}"), r#"{"tenant": "acme", "user": "é42"}"#);
    }

    #[test]
    fn limits_and_names_are_enforced() {
        use ExemplarLabelError as E;
        let empty = ExemplarLabels::default();
        for bad in ["", "1a", "a-b", "é"] {
            assert_eq!(empty.with_label(bad, "v"), Err(E::Name(bad.into())));
        }
        for own in ["trace_id", "span_id"] {
            assert_eq!(empty.with_label(own, "v"), Err(E::Reserved(own.into())));
        }
        for bad in ["", "a\"b", "a\\b", "a\nb", "\u{7f}"] {
            assert_eq!(empty.with_label("v", bad), Err(E::Value(bad.into())));
        }
        let one = empty.with_label("a", "v").unwrap();
        assert_eq!(one.with_label("a", "w"), Err(E::Duplicate("a".into())));
        // 48 bytes in all fit; 49 do not.
        let full = empty.with_label("k", &"v".repeat(47)).unwrap();
        assert_eq!(full.with_label("x", "y"), Err(E::TooLong { bytes: 50 }));
        let over = empty.with_label("k", &"v".repeat(48));
        assert_eq!(over, Err(E::TooLong { bytes: 49 }));
        // Four labels at most, even short ones.
        let mut four = empty;
        for name in ["a", "b", "c", "d"] {
            four = four.with_label(name, "1").unwrap();
        }
        assert_eq!(four.with_label("e", "1"), Err(E::TooMany));
        // A longest form fits the inline bytes.
        let mut longest = empty;
        for name in ["a", "b", "c"] {
            longest = longest.with_label(name, "1").unwrap();
        }
        let longest = longest.with_label("d", &"v".repeat(41)).unwrap();
        assert_eq!(ExemplarLabels::from_words(longest.to_words()), longest);
        // Every message says what to do.
        assert!(E::TooMany.to_string().ends_with("drop one"));
    }

    #[test]
    fn words_of_no_form_read_as_no_labels() {
        assert!(ExemplarLabels::from_words([0; 8]).is_empty());
        assert!(ExemplarLabels::from_words([u64::MAX; 8]).is_empty());
        let words = |bytes: &[u8]| {
            let mut all = [0u8; INLINE];
            all[..bytes.len()].copy_from_slice(bytes);
            let mut words = [0u64; 8];
            for (i, w) in words.iter_mut().enumerate() {
                *w = u64::from_le_bytes(all[i * 8..i * 8 + 8].try_into().unwrap());
            }
            words
        };
        // A length running past the used bytes.
        assert!(ExemplarLabels::from_words(words(&[2, 9, b'a'])).is_empty());
        // 63 empty texts: 31 labels of no name, and one left over.
        let mut empties = vec![63u8];
        empties.extend([0; 63]);
        let read = ExemplarLabels::from_words(words(&empties));
        assert!(read.is_empty());
        // What was read back takes labels as any other set does.
        assert!(read.with_label("a", "b").is_ok());
        // A name with no value; a bad name; a label too many.
        assert!(ExemplarLabels::from_words(words(&[2, 1, b'a'])).is_empty());
        assert!(ExemplarLabels::from_words(words(&[4, 1, b'-', 1, b'v'])).is_empty());
        let mut five = vec![20u8];
        for name in [b'a', b'b', b'c', b'd', b'e'] {
            five.extend([1, name, 1, b'1']);
        }
        assert!(ExemplarLabels::from_words(words(&five)).is_empty());
    }
}
