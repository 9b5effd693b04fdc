//! [`ExemplarLabels`]: the few small labels an exemplar may carry beside
//! its trace, kept inline so that recording one allocates nothing.

use std::fmt;

/// The most bytes an exemplar's own labels take, names and values
/// together. With `trace_id` and `span_id` (63 characters) this keeps an
/// exemplar within OpenMetrics' limit of 128 characters for its labels.
pub const EXEMPLAR_LABEL_BYTES: usize = 48;

/// The most labels an exemplar carries beside its trace.
pub const EXEMPLAR_LABELS: usize = 4;

/// Bytes of the inline form: a used length, then per label its name's
/// length, the name, its value's length and the value.
pub(crate) const INLINE: usize = 64;

/// Labels an exemplar carries beside its trace and span ids (a user id, a
/// tenant): at most [`EXEMPLAR_LABELS`], names and values together at most
/// [`EXEMPLAR_LABEL_BYTES`] bytes, values with no character an exposition
/// escapes, kept inline (no allocation).
///
/// ```
/// use tachymeter_core::Trace;
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let trace = Trace::from_traceparent(header).unwrap().with_label("tenant", "acme")?;
/// assert_eq!(trace.labels.iter().collect::<Vec<_>>(), [("tenant", "acme")]);
/// // The trace's own ids are not labels to set.
/// assert!(trace.with_label("trace_id", "x").is_err());
/// # Ok::<(), tachymeter_core::ExemplarLabelError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExemplarLabels {
    bytes: [u8; INLINE],
}

impl Default for ExemplarLabels {
    fn default() -> Self {
        ExemplarLabels { bytes: [0; INLINE] }
    }
}

/// Why a label was not added to an exemplar.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExemplarLabelError {
    /// The name is not a label name (`[a-zA-Z_][a-zA-Z0-9_]*`), is one of
    /// the trace's own (`trace_id`, `span_id`), or is set already.
    Name(String),
    /// The value has a `\`, a `"` or a control character: the text
    /// exposition would escape it, and Prometheus (2.42 at least) stores an
    /// exemplar's label values with their escapes, so it would not read
    /// back as given.
    Value(String),
    /// One more label would pass [`EXEMPLAR_LABELS`] labels or
    /// [`EXEMPLAR_LABEL_BYTES`] bytes.
    TooBig,
}

impl fmt::Display for ExemplarLabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExemplarLabelError::Name(name) => write!(
                f,
                "exemplar label name {name:?} is not [a-zA-Z_][a-zA-Z0-9_]*, is trace_id or span_id, or is set already"
            ),
            ExemplarLabelError::Value(value) => write!(
                f,
                "exemplar label value {value:?} has a backslash, a double quote or a control character"
            ),
            ExemplarLabelError::TooBig => write!(
                f,
                "an exemplar carries at most {EXEMPLAR_LABELS} labels of {EXEMPLAR_LABEL_BYTES} bytes in all, names and values"
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

    /// These labels with `name="value"` added.
    pub(crate) fn with(mut self, name: &str, value: &str) -> Result<Self, ExemplarLabelError> {
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name != "trace_id"
            && name != "span_id"
            && self.iter().all(|(n, _)| n != name);
        if !valid {
            return Err(ExemplarLabelError::Name(name.to_string()));
        }
        if value.contains(|c: char| c == '\\' || c == '"' || c.is_control()) {
            return Err(ExemplarLabelError::Value(value.to_string()));
        }
        let (count, text) = self
            .iter()
            .fold((0, 0), |(c, t), (n, v)| (c + 1, t + n.len() + v.len()));
        if count == EXEMPLAR_LABELS || text + name.len() + value.len() > EXEMPLAR_LABEL_BYTES {
            return Err(ExemplarLabelError::TooBig);
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

    /// Labels back from a slot's words; empty if the words are not a
    /// form [`to_words`](Self::to_words) wrote.
    pub(crate) fn from_words(words: [u64; INLINE / 8]) -> Self {
        let mut labels = ExemplarLabels::default();
        for (i, word) in words.iter().enumerate() {
            labels.bytes[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        let well_formed = usize::from(labels.bytes[0]) < INLINE && {
            let used = &labels.bytes[1..=usize::from(labels.bytes[0])];
            let mut rest = used;
            while let Some((_, after)) = take(rest) {
                rest = after;
            }
            rest.is_empty()
        };
        if well_formed {
            labels
        } else {
            ExemplarLabels::default()
        }
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
            .with("tenant", "acme")
            .unwrap()
            .with("user", "é42")
            .unwrap();
        let back = ExemplarLabels::from_words(labels.to_words());
        assert_eq!(back, labels);
        let all: Vec<_> = back.iter().collect();
        assert_eq!(all, [("tenant", "acme"), ("user", "é42")]);
        assert_eq!(format!("{back:?}"), r#"{"tenant": "acme", "user": "é42"}"#);
    }

    #[test]
    fn limits_and_names_are_enforced() {
        let empty = ExemplarLabels::default();
        for bad in ["", "1a", "a-b", "trace_id", "span_id", "é"] {
            assert_eq!(
                empty.with(bad, "v"),
                Err(ExemplarLabelError::Name(bad.into()))
            );
        }
        for bad in ["a\"b", "a\\b", "a\nb", "\u{7f}"] {
            assert_eq!(
                empty.with("v", bad),
                Err(ExemplarLabelError::Value(bad.into()))
            );
        }
        let one = empty.with("a", "v").unwrap();
        assert!(matches!(
            one.with("a", "w"),
            Err(ExemplarLabelError::Name(_))
        ));
        // 48 bytes in all fit; 49 do not.
        let full = empty.with("k", &"v".repeat(47)).unwrap();
        assert_eq!(full.with("x", ""), Err(ExemplarLabelError::TooBig));
        assert_eq!(
            empty.with("k", &"v".repeat(48)),
            Err(ExemplarLabelError::TooBig)
        );
        // Four labels at most, even short ones.
        let mut four = empty;
        for name in ["a", "b", "c", "d"] {
            four = four.with(name, "1").unwrap();
        }
        assert_eq!(four.with("e", "1"), Err(ExemplarLabelError::TooBig));
        // A longest form fits the inline bytes.
        let mut longest = empty;
        for name in ["a", "b", "c"] {
            longest = longest.with(name, "").unwrap();
        }
        let longest = longest.with("d", &"v".repeat(44)).unwrap();
        assert_eq!(ExemplarLabels::from_words(longest.to_words()), longest);
    }

    #[test]
    fn words_of_no_form_read_as_no_labels() {
        assert!(ExemplarLabels::from_words([0; 8]).is_empty());
        assert!(ExemplarLabels::from_words([u64::MAX; 8]).is_empty());
        // A length running past the used bytes.
        let mut words = [0; 8];
        words[0] = u64::from_le_bytes([2, 9, b'a', 0, 0, 0, 0, 0]);
        assert!(ExemplarLabels::from_words(words).is_empty());
    }
}
