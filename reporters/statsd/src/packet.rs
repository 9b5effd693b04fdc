//! Packing lines into datagrams no larger than a limit.

/// Collects lines into datagrams of at most `max` bytes, separated by line
/// feeds. A line is never split nor truncated: one longer than `max` is
/// refused.
#[derive(Debug)]
pub(crate) struct Packer {
    max: usize,
    done: Vec<Vec<u8>>,
    current: Vec<u8>,
}

impl Packer {
    pub(crate) fn new(max: usize) -> Self {
        Packer {
            max,
            done: Vec::new(),
            current: Vec::new(),
        }
    }

    /// The index of the datagram the next line goes to, if it fits there.
    pub(crate) fn position(&self) -> usize {
        self.done.len()
    }

    /// Adds `line` (which may hold line feeds, to keep lines together) and
    /// returns the index of its datagram, or `None` if it is longer than
    /// the limit.
    pub(crate) fn push(&mut self, line: &str) -> Option<usize> {
        if line.is_empty() || line.len() > self.max {
            return None;
        }
        if !self.current.is_empty() && self.current.len() + 1 + line.len() > self.max {
            self.done.push(std::mem::take(&mut self.current));
        }
        if !self.current.is_empty() {
            self.current.push(b'\n');
        }
        self.current.extend_from_slice(line.as_bytes());
        Some(self.done.len())
    }

    /// The datagrams, in order.
    pub(crate) fn finish(mut self) -> Vec<Vec<u8>> {
        if !self.current.is_empty() {
            self.done.push(self.current);
        }
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_lines_up_to_the_limit() {
        let mut p = Packer::new(10);
        assert_eq!(p.push("a:1|c"), Some(0));
        assert_eq!(p.push("bb:2|c"), Some(1));
        assert_eq!(p.push("c:3|c"), Some(2));
        assert_eq!(p.position(), 2);
        assert_eq!(p.push("d|c"), Some(2)); // "c:3|c\nd|c" is 9 bytes
        assert_eq!(p.push("0123456789"), Some(3));
        assert_eq!(p.push("0123456789x"), None);
        assert_eq!(p.push(""), None);
        let out = p.finish();
        let text: Vec<_> = out.iter().map(|d| String::from_utf8_lossy(d)).collect();
        assert_eq!(text, ["a:1|c", "bb:2|c", "c:3|c\nd|c", "0123456789"]);
    }

    #[test]
    fn nothing_gives_no_datagram() {
        assert!(Packer::new(1432).finish().is_empty());
    }
}
