//! The page: one HTML document with its style and script inline, so that
//! it needs nothing but the route it is served on.

use bytes::Bytes;

const HTML: &str = include_str!("page/index.html");
const STYLE: &str = include_str!("page/dashboard.css");
const SCRIPT: &str = include_str!("page/dashboard.js");

/// The page, titled `title` (escaped).
pub(crate) fn page(title: &str) -> Bytes {
    let title = escape(title);
    Bytes::from(
        HTML.replace("{style}", STYLE)
            .replace("{script}", SCRIPT)
            .replace("{title}", &title),
    )
}

/// `title` as HTML text.
fn escape(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_escaped_and_every_part_is_inline() {
        let page = page("<a&b>");
        let text = std::str::from_utf8(&page).unwrap();
        assert!(text.contains("<title>&lt;a&amp;b&gt; dashboard</title>"));
        assert!(!text.contains("{style}") && !text.contains("{script}"));
        assert!(!text.contains("src=\"http") && !text.contains("href=\"http"));
    }
}
