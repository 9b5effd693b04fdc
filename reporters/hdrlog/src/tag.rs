//! Tags for metric keys: which characters survive, where labels go, and how
//! long a tag may be.

use tachymeter_core::MetricKey;
use tachymeter_report::{push_replaced, Proposal};

/// The longest tag, in bytes, before a `_2`, `_3`, … is added to tell two
/// series apart: a longer one is cut (at a character boundary).
pub const MAX_TAG_LEN: usize = 1000;

/// Whether `c` stays as it is in a tag: printable ASCII but `,`, and
/// letters and digits of any script. Everything else (spaces, line breaks,
/// other control characters, `,`, other symbols beyond ASCII) would break a
/// line or a reader's split of it.
fn keep(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_graphic() && c != ','
    } else {
        c.is_alphanumeric()
    }
}

/// Appends `raw` with every character [`keep`] rejects replaced by `_`.
/// Whether anything was replaced.
fn push_clean(out: &mut String, raw: &str) -> bool {
    push_replaced(out, raw, keep)
}

/// The tag a series is written with, before any `_2`, `_3`, … that tells it
/// apart from another series whose key cleans to the same tag.
///
/// - The name, then, if the key has labels, `{key=value;key=value}` in the
///   key's order (by label key).
/// - In the name, label keys and values, every character but printable
///   ASCII (except `,`) and letters and digits of any script is replaced by
///   `_`: no space, line break, control character or `,` ever reaches the
///   log.
/// - An empty name is written `_`.
/// - A tag longer than [`MAX_TAG_LEN`] bytes is cut to it.
///
/// ```
/// use tachymeter_core::MetricKey;
/// use tachymeter_hdrlog::tag;
///
/// assert_eq!(tag(&MetricKey::new("http.latency")), "http.latency");
/// let key = MetricKey::new("get book").with_label("route", "/a,b").with_label("code", "200");
/// assert_eq!(tag(&key), "get_book{code=200;route=/a_b}");
/// assert_eq!(tag(&MetricKey::new("")), "_");
/// assert_eq!(tag(&MetricKey::new("latência")), "latência");
/// ```
pub fn tag(key: &MetricKey) -> String {
    propose(key).identity
}

/// The tag and where its name ends, for [`SeriesNames`](tachymeter_report::SeriesNames).
pub(crate) fn propose(key: &MetricKey) -> Proposal {
    let mut identity = String::with_capacity(key.name().len() + 2);
    let mut changed = push_clean(&mut identity, key.name());
    if identity.is_empty() {
        identity.push('_');
        changed = true;
    }
    let mut name_end = identity.len();
    if !key.labels().is_empty() {
        identity.push('{');
        for (i, (k, v)) in key.labels().iter().enumerate() {
            if i > 0 {
                identity.push(';');
            }
            changed |= push_clean(&mut identity, k);
            identity.push('=');
            changed |= push_clean(&mut identity, v);
        }
        identity.push('}');
    }
    if identity.len() > MAX_TAG_LEN {
        let mut cut = MAX_TAG_LEN;
        while !identity.is_char_boundary(cut) {
            cut -= 1;
        }
        identity.truncate(cut);
        name_end = name_end.min(cut);
        changed = true;
    }
    Proposal {
        identity,
        name_end,
        space: 0,
        verbatim: !changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_give_valid_tags() {
        let keys = [
            MetricKey::new(""),
            MetricKey::new(" "),
            MetricKey::new("a,b c\td\re\nf"),
            MetricKey::new("\u{2028}\u{85}\u{a0}x"),
            MetricKey::new("名前").with_label("ключ", "値 , ok"),
            MetricKey::new("x".repeat(5000)),
            MetricKey::new("é".repeat(800)),
        ];
        for key in &keys {
            let t = tag(key);
            assert!(!t.is_empty(), "{key}");
            assert!(t.len() <= MAX_TAG_LEN, "{key}");
            assert!(
                t.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && c != ','),
                "{t:?}"
            );
            assert!(hdrhistogram::serialization::interval_log::Tag::new(&t).is_some());
        }
        assert_eq!(tag(&keys[3]), "___x");
        assert_eq!(tag(&keys[4]), "名前{ключ=値___ok}");
    }

    #[test]
    fn verbatim_only_when_nothing_changed() {
        assert!(propose(&MetricKey::new("a.b").with_label("k", "v")).verbatim);
        assert!(!propose(&MetricKey::new("a b")).verbatim);
        assert!(!propose(&MetricKey::new("")).verbatim);
        let p = propose(&MetricKey::new("name").with_label("k", "v"));
        assert_eq!((p.identity.as_str(), p.name_end), ("name{k=v}", 4));
    }
}
