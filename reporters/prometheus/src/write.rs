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

/// "00" to "99": two digits per table lookup.
const PAIRS: &str = "0001020304050607080910111213141516171819\
                     2021222324252627282930313233343536373839\
                     4041424344454647484950515253545556575859\
                     6061626364656667686970717273747576777879\
                     8081828384858687888990919293949596979899";

/// Appends an unsigned integer: digits written two at a time from the end
/// of a stack buffer, then appended at once.
pub(crate) fn u64_value(out: &mut String, mut n: u64) {
    if n < 10 {
        out.push((b'0' + n as u8) as char);
        return;
    }
    let pairs = PAIRS.as_bytes();
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&pairs[pair..pair + 2]);
    }
    if n >= 10 {
        at -= 2;
        buf[at..at + 2].copy_from_slice(&pairs[n as usize * 2..n as usize * 2 + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + n as u8;
    }
    // Only ASCII digits were written, so this is never empty.
    let digits = std::str::from_utf8(&buf[at..]).unwrap_or_default();
    debug_assert!(!digits.is_empty());
    out.push_str(digits);
}

/// Appends a signed integer.
pub(crate) fn i64_value(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    u64_value(out, n.unsigned_abs());
}

/// [`f64_value`]'s general path: `NaN`, `+Inf`, `-Inf`, or the shortest
/// decimal that reads back as the same value.
fn f64_shortest(out: &mut String, v: f64) {
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

/// `10^0` … `10^18`, each exactly an `f64`.
const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// Appends a float as both formats read it: `NaN`, `+Inf`, `-Inf`, or the
/// shortest decimal that reads back as the same value, on a fast exact path
/// for the values samples usually hold.
///
/// For `1e-4 <= v < 1e15` it looks for `v` as `n / 10^p` with `n` below
/// `10^15`: one multiplication finds `n`, one correctly rounded division
/// checks that `n / 10^p` reads back as `v`. A decimal of at most 15
/// significant digits that reads back as `v` is the only one (a double
/// tells apart all decimals of 15 digits), so it is the shortest one, the
/// one [`f64_shortest`] prints. Any other value goes to it.
pub(crate) fn f64_value(out: &mut String, v: f64) {
    // NaN fails the range test too.
    if !(1e-4..1e15).contains(&v) {
        f64_shortest(out, v);
        return;
    }
    // `p` such that `v * 10^p` has 15 integer digits, give or take one (a
    // wrong guess only makes the check below fail).
    let p = if v >= 1.0 {
        15 - POW10[..15].iter().take_while(|t| v >= **t).count()
    } else {
        15 + POW10[1..5].iter().take_while(|t| v * **t < 1.0).count()
    };
    let scale = POW10[p];
    let n = (v * scale).round();
    if !(1.0..1e15).contains(&n) || n / scale != v {
        f64_shortest(out, v);
        return;
    }
    let mut n = n as u64;
    // The digits of `n`, with the decimal point `p` digits from the right.
    let mut buf = [b'0'; 15];
    let mut len = 0;
    while n > 0 {
        len += 1;
        buf[15 - len] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let digits = &buf[15 - len..];
    let (int, frac) = digits.split_at(len.saturating_sub(p));
    let frac = &frac[..frac.iter().rposition(|d| *d != b'0').map_or(0, |i| i + 1)];
    // Both hold ASCII digits only.
    let text = |d| std::str::from_utf8(d).unwrap_or("0");
    if int.is_empty() {
        out.push('0');
    } else {
        out.push_str(text(int));
    }
    out.push('.');
    if frac.is_empty() {
        out.push('0');
    } else {
        out.extend(std::iter::repeat_n('0', p.saturating_sub(len)));
        out.push_str(text(frac));
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
        let mut n = 1u64;
        while let Some(next) = n.checked_mul(10) {
            for v in [n - 1, n, n + 1, n * 5 - 1, n * 9 + 7] {
                assert_eq!(s(|o| u64_value(o, v)), v.to_string());
            }
            n = next;
        }
        assert_eq!(s(|o| i64_value(o, i64::MIN)), "-9223372036854775808");
        assert_eq!(s(|o| f64_value(o, f64::NAN)), "NaN");
        assert_eq!(s(|o| f64_value(o, f64::NEG_INFINITY)), "-Inf");
        assert_eq!(s(|o| f64_value(o, 0.25)), "0.25");
        assert_eq!(s(|o| f64_value(o, 1e300)), "1e300");
        assert_eq!(s(|o| f64_value(o, 3.0)), "3.0");
    }

    #[test]
    fn numbers_print_as_f64_value_does() {
        let mut values = vec![
            0.0,
            -0.0,
            -1.5,
            1e-5,
            9.99e-5,
            1e-4,
            0.5,
            1.0,
            3.0,
            100.0,
            0.1,
            0.2,
            0.3,
            1e14,
            1e15,
            1e16,
            123_456_789.012_345,
            0.000_123_456_789_012_345_6,
            f64::NAN,
            f64::INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for p in POW10 {
            for x in [p, 1.0 / p] {
                values.extend([x, x.next_up(), x.next_down(), 1e-4 * x, 9.5 * x]);
            }
        }
        // Bucket midpoints and sums in nanoseconds, printed in seconds, and
        // arbitrary doubles.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let nanos = (x >> (x % 64)) as f64 / 2.0;
            values.extend([nanos / 1e9, nanos, f64::from_bits(x >> 2)]);
        }
        let (mut fast, mut slow) = (String::new(), String::new());
        for v in values {
            fast.clear();
            slow.clear();
            f64_value(&mut fast, v);
            f64_shortest(&mut slow, v);
            assert_eq!(fast, slow, "{v:e}");
        }
    }
}
