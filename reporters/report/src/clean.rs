//! [`Cleaned`]: text as a wire format takes it, and whether it had to
//! change: the one rule every encoder uses to tell a series that keeps its
//! own spelling from one that was cleaned (see
//! [`Proposal::verbatim`](crate::Proposal::verbatim)).

use std::borrow::Cow;
use std::ops::Deref;

/// Text made safe for a wire format, and whether it differs from what it
/// was made from. A replacement that happens to equal its input's spelling
/// elsewhere (an empty name written `_`) is still a change: so the metric
/// really named `_` keeps the series `_`, and the empty name is the one
/// numbered.
///
/// ```
/// use tachymeter_report::Cleaned;
///
/// let keep = |c: char| c.is_ascii_alphanumeric() || c == '_';
/// let plain = Cleaned::replace("req_total", keep);
/// assert_eq!((plain.as_str(), plain.is_changed()), ("req_total", false));
/// let spaced = Cleaned::replace("req total", keep);
/// assert_eq!((spaced.as_str(), spaced.is_changed()), ("req_total", true));
/// let underscore = Cleaned::replace("_", keep).or_underscore();
/// let empty = Cleaned::replace("", keep).or_underscore();
/// assert_eq!((underscore.as_str(), underscore.is_changed()), ("_", false));
/// assert_eq!((empty.as_str(), empty.is_changed()), ("_", true));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned<'a> {
    text: Cow<'a, str>,
    changed: bool,
}

impl<'a> Cleaned<'a> {
    /// `text`, taken as it is.
    pub fn unchanged(text: &'a str) -> Self {
        Cleaned {
            text: Cow::Borrowed(text),
            changed: false,
        }
    }

    /// `text`, made from something else.
    pub fn changed(text: impl Into<Cow<'a, str>>) -> Self {
        Cleaned {
            text: text.into(),
            changed: true,
        }
    }

    /// `text` with every character `keep` refuses replaced by `_` (one per
    /// character); borrowed when nothing is.
    pub fn replace(text: &'a str, keep: impl Fn(char) -> bool) -> Self {
        if text.chars().all(&keep) {
            return Self::unchanged(text);
        }
        let mut out = String::with_capacity(text.len());
        push_replaced(&mut out, text, keep);
        Self::changed(out)
    }

    /// Empty text becomes `_` (a change); any other stays.
    pub fn or_underscore(self) -> Self {
        if self.text.is_empty() {
            Self::changed("_")
        } else {
            self
        }
    }

    /// `f` applied to the text; a change if the text was changed already
    /// or `f` changes it.
    pub fn then(self, f: impl FnOnce(&str) -> Option<String>) -> Self {
        match f(&self.text) {
            Some(text) => Self::changed(text),
            None => self,
        }
    }

    /// Whether it differs from what it was made from.
    pub fn is_changed(&self) -> bool {
        self.changed
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned or borrowed.
    pub fn into_cow(self) -> Cow<'a, str> {
        self.text
    }
}

impl Deref for Cleaned<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl PartialEq<&str> for Cleaned<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// Appends `text` to `out` with every character `keep` refuses replaced by
/// `_` (one per character); whether any was.
///
/// ```
/// let mut path = String::from("app.");
/// let changed = tachymeter_report::push_replaced(&mut path, "get book", |c| c.is_ascii_alphanumeric());
/// assert_eq!((path.as_str(), changed), ("app.get_book", true));
/// ```
pub fn push_replaced(out: &mut String, text: &str, keep: impl Fn(char) -> bool) -> bool {
    let mut changed = false;
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            out.push('_');
            changed = true;
        }
    }
    changed
}
