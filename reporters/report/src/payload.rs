//! What an [`Encode`](crate::Encode)r writes and a
//! [`Transport`](crate::Transport) sends: [`Lines`] of a text protocol,
//! [`Datagrams`] of lines, or one request [`Body`].
//!
//! Each holds *points*: a line, or a data point of a body. Transports count
//! what became of every point (`sent-points`, `dropped-…`).

/// An encoder's output, reused from one report to the next.
pub trait Payload: Default + Send + 'static {
    /// Points it holds.
    fn points(&self) -> u64;

    /// Empties it, keeping its memory for the next report.
    fn clear(&mut self);
}

/// Lines of a text protocol (Graphite, OpenTSDB, InfluxDB), each ending in
/// a line feed.
///
/// ```
/// use tachymeter_report::{Lines, Payload};
///
/// let mut lines = Lines::default();
/// lines.push("a.b 1 1700000000");
/// lines.push("a.c 2 1700000000");
/// assert_eq!(lines.as_str(), "a.b 1 1700000000\na.c 2 1700000000\n");
/// assert_eq!(lines.points(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines {
    text: String,
    count: u64,
}

impl Lines {
    /// Appends `line` (which must hold no line feed) and its line feed.
    pub fn push(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        self.count += 1;
    }

    /// Writes one line with `write`, which appends to the text; the line
    /// is kept, and its line feed added, only if `write` returns `true`
    /// (an encoder that finds the line too long drops it so).
    pub fn push_with(&mut self, write: impl FnOnce(&mut String) -> bool) -> bool {
        let start = self.text.len();
        if write(&mut self.text) {
            self.text.push('\n');
            self.count += 1;
            true
        } else {
            self.text.truncate(start);
            false
        }
    }

    /// The text, every line ending in a line feed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The lines, without their line feeds.
    pub fn iter(&self) -> std::str::Lines<'_> {
        self.text.lines()
    }
}

impl Payload for Lines {
    fn points(&self) -> u64 {
        self.count
    }

    /// Empties it; the memory of a rare huge report is let go once reports
    /// are small again.
    fn clear(&mut self) {
        release_excess(&mut self.text);
        self.text.clear();
        self.count = 0;
    }
}

/// Shrinks `buffer`'s memory to its length when it holds more than four
/// times that and more than 256 KiB, before it is cleared and reused: a
/// huge report's memory is let go at the next, small one.
fn release_excess(buffer: &mut impl Buffer) {
    let len = buffer.length();
    if buffer.room() > 4 * len.max(1 << 16) {
        buffer.shrink(len);
    }
}

/// What [`release_excess`] needs of a `String` or a `Vec<u8>`.
trait Buffer {
    fn length(&self) -> usize;
    fn room(&self) -> usize;
    fn shrink(&mut self, to: usize);
}

impl Buffer for String {
    fn length(&self) -> usize {
        self.len()
    }
    fn room(&self) -> usize {
        self.capacity()
    }
    fn shrink(&mut self, to: usize) {
        self.shrink_to(to);
    }
}

impl Buffer for Vec<u8> {
    fn length(&self) -> usize {
        self.len()
    }
    fn room(&self) -> usize {
        self.capacity()
    }
    fn shrink(&mut self, to: usize) {
        self.shrink_to(to);
    }
}

/// The largest datagram a [`Datagrams`] makes unless told otherwise: what
/// fits a LAN's 1,500-byte frames after the IP and UDP headers.
pub const DEFAULT_MAX_DATAGRAM: usize = 1432;

/// Lines packed into datagrams of at most [`max`](Self::max) bytes,
/// separated by line feeds (StatsD). A line is never split nor cut: one
/// longer than a datagram may be is refused.
///
/// ```
/// use tachymeter_report::{Datagrams, Payload};
///
/// let mut datagrams = Datagrams::default().with_max(12);
/// assert_eq!(datagrams.push("a:1|c"), Some(0));
/// assert_eq!(datagrams.push("b:2|c"), Some(0));
/// assert_eq!(datagrams.push("c:3|c"), Some(1)); // would pass 12 bytes
/// assert_eq!(datagrams.push("a very long line"), None);
/// let sent: Vec<&[u8]> = datagrams.iter().collect();
/// assert_eq!(sent, [&b"a:1|c\nb:2|c"[..], b"c:3|c"]);
/// assert_eq!(datagrams.points(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagrams {
    max: usize,
    done: Vec<Vec<u8>>,
    current: Vec<u8>,
    /// Points in each datagram, finished ones first.
    points: Vec<u64>,
}

impl Default for Datagrams {
    fn default() -> Self {
        Datagrams {
            max: DEFAULT_MAX_DATAGRAM,
            done: Vec::new(),
            current: Vec::new(),
            points: Vec::new(),
        }
    }
}

impl Datagrams {
    /// The same, with datagrams of at most `max` bytes (at least 1).
    pub fn with_max(mut self, max: usize) -> Self {
        self.max = max.max(1);
        self
    }

    /// The largest datagram it makes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Sets the [`max`](Self::max).
    pub fn set_max(&mut self, max: usize) {
        self.max = max.max(1);
    }

    /// The index of the datagram the next line goes to, if it fits there.
    pub fn position(&self) -> usize {
        self.done.len()
    }

    /// Adds `line` (which may hold line feeds, to keep lines together in
    /// one datagram; it counts as one point) and returns the index of its
    /// datagram, or `None` if it is empty or longer than a datagram may be.
    pub fn push(&mut self, line: &str) -> Option<usize> {
        if line.is_empty() || line.len() > self.max {
            return None;
        }
        if !self.current.is_empty() && self.current.len() + 1 + line.len() > self.max {
            self.done.push(std::mem::take(&mut self.current));
        }
        if self.current.is_empty() {
            self.points.push(0);
        } else {
            self.current.push(b'\n');
        }
        self.current.extend_from_slice(line.as_bytes());
        if let Some(n) = self.points.last_mut() {
            *n += 1;
        }
        Some(self.done.len())
    }

    /// The datagrams, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.done
            .iter()
            .chain((!self.current.is_empty()).then_some(&self.current))
            .map(Vec::as_slice)
    }

    /// How many datagrams it holds.
    pub fn len(&self) -> usize {
        self.done.len() + usize::from(!self.current.is_empty())
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Points in the first `datagrams` datagrams.
    pub fn points_in(&self, datagrams: usize) -> u64 {
        self.points.iter().take(datagrams).sum()
    }

    /// How many of the first datagrams hold `points` points between them:
    /// the datagrams delivered, from the points a transport says it
    /// delivered.
    pub fn datagrams_in(&self, points: u64) -> usize {
        let mut left = points;
        self.points
            .iter()
            .take_while(|&&n| {
                let whole = n <= left;
                left = left.saturating_sub(n);
                whole
            })
            .count()
    }
}

impl Payload for Datagrams {
    fn points(&self) -> u64 {
        self.points.iter().sum()
    }

    fn clear(&mut self) {
        self.done.clear();
        self.current.clear();
        self.points.clear();
    }
}

/// One request body (the Pushgateway's exposition, an OTLP message): its
/// bytes, their media type and how many points they hold.
///
/// ```
/// use tachymeter_report::{Body, Payload};
///
/// let mut body = Body::default();
/// body.set("text/plain; version=0.0.4", b"up 1\n".to_vec(), 1);
/// assert_eq!((body.content_type(), body.points()), ("text/plain; version=0.0.4", 1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    bytes: Vec<u8>,
    content_type: &'static str,
    points: u64,
}

impl Body {
    /// Sets the body: `bytes` of `content_type`, holding `points` points.
    pub fn set(&mut self, content_type: &'static str, bytes: Vec<u8>, points: u64) {
        self.bytes = bytes;
        self.content_type = content_type;
        self.points = points;
    }

    /// The bytes, to be written into (then call [`set_points`](Self::set_points)
    /// and [`set_content_type`](Self::set_content_type)).
    pub fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Sets how many points the bytes hold.
    pub fn set_points(&mut self, points: u64) {
        self.points = points;
    }

    /// Sets the media type of the bytes.
    pub fn set_content_type(&mut self, content_type: &'static str) {
        self.content_type = content_type;
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Their media type.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}

impl Payload for Body {
    fn points(&self) -> u64 {
        self.points
    }

    fn clear(&mut self) {
        release_excess(&mut self.bytes);
        self.bytes.clear();
        self.points = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_of_a_huge_report_is_let_go_once_reports_are_small() {
        let mut out = Lines::default();
        let line = "x".repeat(1000);
        for _ in 0..1000 {
            out.push(&line);
        }
        let huge = out.text.capacity();
        // Cleared after the huge report: kept, the next may be as big.
        out.clear();
        assert_eq!(out.text.capacity(), huge);
        out.push("small 1 1");
        // Cleared after a small one: let go.
        out.clear();
        assert!(out.text.capacity() < 1 << 16, "{}", out.text.capacity());
        assert_eq!(out.points(), 0);
    }
}
