//! [`push_base64`]: bytes as base64 text (RFC 4648, with padding), for
//! HTTP Basic credentials and the Pushgateway's `@base64` label values.

/// Which of RFC 4648's two alphabets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64 {
    /// `+` and `/` (section 4): HTTP Basic credentials.
    Standard,
    /// `-` and `_` (section 5): text that goes in a URL path.
    UrlSafe,
}

/// Appends `bytes` in base64 with `alphabet`, padded with `=`.
///
/// ```
/// use tachymeter_report::{push_base64, Base64};
///
/// let mut out = String::new();
/// push_base64(&mut out, b"fo?>", Base64::UrlSafe);
/// assert_eq!(out, "Zm8_Pg==");
/// ```
pub fn push_base64(out: &mut String, bytes: &[u8], alphabet: Base64) {
    let table: &[u8; 64] = match alphabet {
        Base64::Standard => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        Base64::UrlSafe => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    };
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(table[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (text, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            for alphabet in [Base64::Standard, Base64::UrlSafe] {
                let mut out = String::new();
                push_base64(&mut out, text.as_bytes(), alphabet);
                assert_eq!(out, encoded, "{text}");
            }
        }
        let mut out = String::new();
        push_base64(&mut out, &[0xfb, 0xff], Base64::Standard);
        push_base64(&mut out, &[0xfb, 0xff], Base64::UrlSafe);
        assert_eq!(out, "+/8=-_8=");
    }
}
