//! [`HOSTILE_PIECES`]: text that breaks naive encoders, for the tests of
//! every reporter.

/// Pieces of names, label keys and label values that break naive line
/// protocols, paths, tags and parsers: whitespace and line ends, every
/// separator a backend gives a meaning to, control characters, Unicode
/// line separators, combining marks, wide characters, emoji, and whole
/// injections (a second line, tags, a path). A test puts each in a name, a
/// label key and a label value, and checks that what the backend stores is
/// exactly the documented cleaning of it: nothing refused, nothing
/// injected, no two series merged.
pub const HOSTILE_PIECES: &[&str] = &[
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    ",",
    "=",
    "\"",
    "'",
    "\\",
    ":",
    "|",
    ";",
    "/",
    "..",
    ".",
    "~",
    "!",
    "^",
    "{",
    "}",
    "*",
    "?",
    "[",
    "]",
    "(",
    ")",
    "#",
    "%",
    "&",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{e9}",
    "\u{65}\u{301}",
    "\u{65e5}\u{672c}",
    "\u{1f600}",
    "a b 1 2\nx.y 3",
    "x;k=v",
    "x{k=\"v\"}",
    "../../etc",
    "-",
    "_",
    "",
    "@",
    "{x}",
    "ñ",
    "|#a:b",
    ":1|c\nevil:1|c",
];

#[cfg(test)]
mod tests {
    use super::HOSTILE_PIECES;

    #[test]
    fn every_piece_is_there_once() {
        let mut seen = std::collections::HashSet::new();
        for piece in HOSTILE_PIECES {
            assert!(seen.insert(piece), "{piece:?} twice");
        }
        assert!(HOSTILE_PIECES.contains(&""));
        assert!(HOSTILE_PIECES.iter().any(|p| p.contains('\n')));
    }
}
