//! Names, tag keys and tag values written so that InfluxDB's line protocol
//! parser (1.x and 2.x) and VictoriaMetrics' read them back as one token
//! each, whatever they hold.
//!
//! Rules, applied to every measurement, tag key and tag value:
//!
//! - Control characters (line feed, carriage return, tab, NUL, …) become a
//!   space: a line feed would end the line, and the parsers treat some of
//!   the others as whitespace.
//! - A backslash stays when an ordinary character follows it, since both
//!   parsers then read it literally. Last in the token, or before a
//!   backslash, `,`, `=`, a space or `"`, it would be read as an escape by
//!   one parser or both (they disagree on `\\` and `\"`), so it becomes
//!   `/`.
//! - `,` and space are escaped with a backslash everywhere, and `=` too in
//!   tag keys and values.
//! - A measurement that is empty or starts with `#` (a comment line) gets
//!   `_` in place of nothing or of the `#`; one InfluxDB 1.x keeps for
//!   itself (`_name`, `_series`, `_tags`, `_tagKey`, `_tagKeys`,
//!   `_fieldKeys`, `_measurements`: writes to them are taken, but they
//!   cannot be read back) gets a trailing `_`.
//! - A tag key that is empty becomes `_`; `time` (refused by InfluxDB 1.x),
//!   `_measurement` and `_field` (reserved by InfluxDB 2.x) get a trailing
//!   `_`.

use tachymeter_report::Cleaned;

/// Characters before which a backslash would read as an escape somewhere
/// (InfluxDB 1.x unescapes `\"` in measurements).
fn is_special(c: char) -> bool {
    matches!(c, '\\' | ',' | '=' | ' ' | '"')
}

/// Tag keys InfluxDB refuses or reserves.
const RESERVED_KEYS: [&str; 3] = ["time", "_measurement", "_field"];

/// Measurements InfluxDB 1.x reads as its own system sources.
const RESERVED_MEASUREMENTS: [&str; 7] = [
    "_name",
    "_series",
    "_tags",
    "_tagKey",
    "_tagKeys",
    "_fieldKeys",
    "_measurements",
];

/// `raw` with control characters turned into spaces and backslashes that
/// would read as escapes (last, or before `\`, `,`, `=`, space or `"`)
/// turned into `/`: the text the server will store.
pub(crate) fn clean(raw: &str) -> Cleaned<'_> {
    let risky = |(i, c): (usize, char)| {
        c.is_control() || (c == '\\' && raw[i + 1..].chars().next().is_none_or(is_special))
    };
    if !raw.char_indices().any(risky) {
        return Cleaned::unchanged(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_none_or(|&next| is_special(next)) {
            out.push('/');
        } else {
            out.push(c);
        }
    }
    Cleaned::changed(out)
}

/// The measurement `name` stands for: [`clean`]ed, `_` if empty, with `_`
/// in place of a leading `#`, and a trailing `_` if reserved.
pub(crate) fn measurement_name(name: &str) -> Cleaned<'_> {
    clean(name).or_underscore().then(|name| {
        if let Some(rest) = name.strip_prefix('#') {
            Some(format!("_{rest}"))
        } else {
            RESERVED_MEASUREMENTS
                .contains(&name)
                .then(|| format!("{name}_"))
        }
    })
}

/// The tag key `key` stands for: [`clean`]ed, `_` if empty, with a
/// trailing `_` if reserved.
pub(crate) fn tag_key_name(key: &str) -> Cleaned<'_> {
    clean(key)
        .or_underscore()
        .then(|key| RESERVED_KEYS.contains(&key).then(|| format!("{key}_")))
}

/// Appends a measurement made by [`measurement_name`], escaped.
pub(crate) fn measurement(out: &mut String, name: &str) {
    push_escaped(out, name, |c| c == ',' || c == ' ');
}

/// Appends a tag key made by [`tag_key_name`], or a tag value made by
/// [`clean`], escaped.
pub(crate) fn tag(out: &mut String, cleaned: &str) {
    push_escaped(out, cleaned, |c| c == ',' || c == '=' || c == ' ');
}

fn push_escaped(out: &mut String, cleaned: &str, escaped: impl Fn(char) -> bool) {
    for c in cleaned.chars() {
        if escaped(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str) -> String {
        let mut out = String::new();
        measurement(&mut out, &measurement_name(name));
        out
    }

    fn t(raw: &str) -> String {
        let mut out = String::new();
        tag(&mut out, &clean(raw));
        out
    }

    #[test]
    fn measurements_escape_comma_and_space_only() {
        assert_eq!(m("http.requests"), "http.requests");
        assert_eq!(m("a b,c=d"), r"a\ b\,c=d");
        assert_eq!(m(""), "_");
        assert_eq!(m("#x"), "_x");
        assert_eq!(m("x#"), "x#");
        assert_eq!(m("é|:;\"'"), "é|:;\"'");
    }

    #[test]
    fn tags_escape_comma_equals_and_space() {
        assert_eq!(t("a b,c=d"), r"a\ b\,c\=d");
        assert_eq!(t("\"quoted\""), "\"quoted\"");
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(m("a\nb\rc\td\0e"), r"a\ b\ c\ d\ e");
        assert_eq!(t("a\nb"), r"a\ b");
        assert_eq!(t("\u{85}"), r"\ ");
    }

    #[test]
    fn backslashes_stay_only_before_ordinary_characters() {
        assert_eq!(t(r"C:\temp"), r"C:\temp");
        assert_eq!(t(r"a\"), "a/");
        assert_eq!(t(r"a\\b"), r"a/\b");
        assert_eq!(t(r"a\,b"), r"a/\,b");
        assert_eq!(t(r"a\ b"), r"a/\ b");
        assert_eq!(t(r"a\=b"), r"a/\=b");
        assert_eq!(t(r#"a\"b"#), r#"a/"b"#);
        assert_eq!(m(r#"a\""#), r#"a/""#);
        assert_eq!(t("a\\\n"), r"a/\ ");
        assert_eq!(m(r"a\=b"), "a/=b");
        assert_eq!(m(r"\"), "/");
    }

    #[test]
    fn reserved_and_empty_keys_are_renamed() {
        assert_eq!(tag_key_name("time"), "time_");
        assert_eq!(tag_key_name("_measurement"), "_measurement_");
        assert_eq!(tag_key_name("_field"), "_field_");
        assert_eq!(tag_key_name(""), "_");
        assert_eq!(tag_key_name("TIME"), "TIME");
        assert_eq!(tag_key_name("_time"), "_time");
        assert_eq!(tag_key_name("host"), "host");
        assert_eq!(tag_key_name("ti\nme"), "ti me");
        assert!(!clean("plain").is_changed());
        assert!(tag_key_name("").is_changed());
        assert!(!tag_key_name("_").is_changed());
        assert!(measurement_name("").is_changed());
        assert!(!measurement_name("_").is_changed());
        assert_eq!(&*measurement_name("_series"), "_series_");
        assert_eq!(&*measurement_name("_Series"), "_Series");
    }

    /// No output, whatever the input, holds a line break or an odd run of
    /// backslashes before a delimiter or at its end.
    #[test]
    fn no_input_breaks_a_token() {
        let pieces = [
            "\\", ",", "=", " ", "\n", "\r", "\t", "#", "\"", "a", "é", "time", "",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let raw = format!("{a}{b}{c}");
                    for out in [m(&raw), t(&raw)] {
                        assert!(!out.contains(['\n', '\r']), "{raw:?} gave {out:?}");
                        assert!(!out.ends_with('\\'), "{raw:?} gave {out:?}");
                        assert!(!out.contains(r"\\"), "{raw:?} gave {out:?}");
                        let bytes = out.as_bytes();
                        for (i, &byte) in bytes.iter().enumerate() {
                            if matches!(byte, b',' | b' ') {
                                assert!(i > 0 && bytes[i - 1] == b'\\', "{raw:?} gave {out:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
