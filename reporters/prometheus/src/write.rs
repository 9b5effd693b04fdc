//! The text pieces of an exposition: escaped strings and numbers.

use std::fmt::Write as _;

/// Appends a label value escaped for both formats: `\` → `\\`, `"` → `\"`,
/// line feed → `\n`. Everything else (tabs, `#`, braces, any Unicode) is
/// valid inside the quotes as is.
pub(crate) fn label_value(out: &mut String, value: &str) {
    if !value.contains(['\\', '"', '\n']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Appends HELP text: `\` and line feed escaped (and `"` too for
/// OpenMetrics, which reads HELP like a label value); a carriage return,
/// which would end the line for some readers, becomes a space.
pub(crate) fn help(out: &mut String, text: &str, open_metrics: bool) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if open_metrics => out.push_str("\\\""),
            '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Appends an unsigned integer.
pub(crate) fn u64_value(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // The buffer holds ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Appends a signed integer.
pub(crate) fn i64_value(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    u64_value(out, n.unsigned_abs());
}

/// Appends a float as both formats read it: `NaN`, `+Inf`, `-Inf`, or the
/// shortest decimal that reads back as the same value.
pub(crate) fn f64_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // Debug is the shortest round-trip form, with an exponent for very
        // large or small values (`1e300`, `1e-7`), which both formats accept.
        let _ = write!(out, "{v:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        f(&mut out);
        out
    }

    #[test]
    fn escapes() {
        assert_eq!(
            s(|o| label_value(o, "a\\b\"c\nd\te#{}")),
            "a\\\\b\\\"c\\nd\te#{}"
        );
        assert_eq!(s(|o| help(o, "a\\b\"c\nd", false)), "a\\\\b\"c\\nd");
        assert_eq!(s(|o| help(o, "a\"b", true)), "a\\\"b");
    }

    #[test]
    fn numbers() {
        assert_eq!(s(|o| u64_value(o, 0)), "0");
        assert_eq!(s(|o| u64_value(o, u64::MAX)), "18446744073709551615");
        assert_eq!(s(|o| i64_value(o, i64::MIN)), "-9223372036854775808");
        assert_eq!(s(|o| f64_value(o, f64::NAN)), "NaN");
        assert_eq!(s(|o| f64_value(o, f64::NEG_INFINITY)), "-Inf");
        assert_eq!(s(|o| f64_value(o, 0.25)), "0.25");
        assert_eq!(s(|o| f64_value(o, 1e300)), "1e300");
        assert_eq!(s(|o| f64_value(o, 3.0)), "3.0");
    }
}
