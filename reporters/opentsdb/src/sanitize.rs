//! The characters OpenTSDB accepts in metric names and tags.

use std::borrow::Cow;
use tachymeter_report::Cleaned;

/// Whether OpenTSDB accepts `c` in a metric name, tag key or tag value:
/// ASCII letters and digits, `-`, `_`, `.`, `/`, and letters of other
/// scripts (alphabetic and not numeric).
fn allowed(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
    } else {
        c.is_alphabetic() && !c.is_numeric()
    }
}

/// `text` with every character OpenTSDB does not accept replaced by `_`.
///
/// OpenTSDB accepts `a-z A-Z 0-9 - _ . /` and Unicode letters; everything
/// else (spaces, `=`, quotes, control characters, punctuation, digits of
/// other scripts, …) becomes one `_` per character, so a name can never
/// split a line, add a tag or be refused. Text that needs no change is
/// borrowed.
///
/// "Letter" here is Rust's [`char::is_alphabetic`] without numerals;
/// OpenTSDB itself asks Java's `Character.isLetter`, which also refuses a
/// few alphabetic marks (vowel signs of Indic scripts, circled letters) and
/// letters newer than its Java. VictoriaMetrics accepts any of them.
///
/// ```
/// use tachymeter_opentsdb::sanitize;
///
/// assert_eq!(sanitize("http.requests/s"), "http.requests/s");
/// assert_eq!(sanitize("a b=c\n"), "a_b_c_");
/// assert_eq!(sanitize("café"), "café");
/// ```
pub fn sanitize(text: &str) -> Cow<'_, str> {
    cleaned(text).into_cow()
}

/// [`sanitize`]d, and whether anything was replaced.
pub(crate) fn cleaned(text: &str) -> Cleaned<'_> {
    Cleaned::replace(text, allowed)
}

/// A tag key: [`sanitize`]d, and with leading underscores cut to one, as
/// keys starting with `__` are reserved by Prometheus-style backends
/// (VictoriaMetrics takes a tag `__name__` as the metric name).
pub(crate) fn tag_key(key: &str) -> Cleaned<'_> {
    cleaned(key).then(|key| {
        let extra = key.bytes().take_while(|&b| b == b'_').count().max(1) - 1;
        (extra > 0).then(|| key[extra..].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_text_is_borrowed() {
        for text in ["", "a.b-c_d/e", "ABCxyz019", "größe", "日本語", "Ωμέγα"] {
            assert!(matches!(sanitize(text), Cow::Borrowed(_)), "{text}");
            assert!(!cleaned(text).is_changed(), "{text}");
        }
        assert!(tag_key("__name").is_changed());
    }

    #[test]
    fn everything_else_becomes_one_underscore_per_character() {
        assert_eq!(sanitize("a b,c=d\"e'f\\g\nh\ri\tj"), "a_b_c_d_e_f_g_h_i_j");
        let symbols = ":|;{}[]()*#@!?%&+~`^$<>";
        assert_eq!(sanitize(symbols), "_".repeat(symbols.chars().count()));
        // Digits of other scripts, symbols, emoji and marks are not letters.
        assert_eq!(sanitize("٣Ⅻ€😀\u{301}\u{0}"), "______");
        assert_eq!(sanitize("é"), "é");
    }

    #[test]
    fn tag_keys_never_start_with_two_underscores() {
        assert_eq!(tag_key("__name__"), "_name__");
        assert_eq!(tag_key("  name"), "_name");
        assert_eq!(tag_key("_x"), "_x");
        assert_eq!(tag_key("___"), "_");
        assert_eq!(tag_key("a__b"), "a__b");
        assert_eq!(tag_key(""), "");
    }
}
