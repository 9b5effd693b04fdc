//! [`PointBuffer`]: the points not yet written, bounded, oldest first.

use std::collections::VecDeque;

/// Lines waiting to be written, at most `capacity` of them: adding to a
/// full buffer drops the oldest.
#[derive(Debug)]
pub(crate) struct PointBuffer {
    lines: VecDeque<String>,
    capacity: usize,
}

impl PointBuffer {
    /// An empty buffer holding at most `capacity` lines (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
        }
    }

    /// Appends `lines`, dropping the oldest ones beyond the capacity; how
    /// many were dropped.
    pub(crate) fn extend(&mut self, lines: Vec<String>) -> u64 {
        let mut dropped = 0;
        for line in lines {
            if self.lines.len() == self.capacity {
                self.lines.pop_front();
                dropped += 1;
            }
            self.lines.push_back(line);
        }
        dropped
    }

    /// The request body of the oldest `max` lines (at least one), each
    /// ending with a line feed, and how many lines it holds.
    pub(crate) fn batch(&self, max: usize) -> (String, usize) {
        let n = self.lines.len().min(max.max(1));
        let size = self.lines.iter().take(n).map(|l| l.len() + 1).sum();
        let mut body = String::with_capacity(size);
        for line in self.lines.iter().take(n) {
            body.push_str(line);
            body.push('\n');
        }
        (body, n)
    }

    /// Forgets the oldest `n` lines (once they are written or refused).
    pub(crate) fn remove(&mut self, n: usize) {
        self.lines.drain(..n.min(self.lines.len()));
    }

    /// How many lines wait.
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("m v={i}i")).collect()
    }

    #[test]
    fn overflow_drops_the_oldest() {
        let mut buffer = PointBuffer::new(3);
        assert_eq!(buffer.extend(lines(0..2)), 0);
        assert_eq!(buffer.extend(lines(2..6)), 3);
        assert_eq!(buffer.len(), 3);
        assert_eq!(
            buffer.batch(10),
            ("m v=3i\nm v=4i\nm v=5i\n".to_string(), 3)
        );
    }

    #[test]
    fn batches_take_the_oldest_first() {
        let mut buffer = PointBuffer::new(10);
        buffer.extend(lines(0..5));
        assert_eq!(buffer.batch(2), ("m v=0i\nm v=1i\n".to_string(), 2));
        buffer.remove(2);
        assert_eq!(buffer.batch(0).1, 1);
        buffer.remove(99);
        assert!(buffer.is_empty());
        assert_eq!(buffer.batch(5), (String::new(), 0));
    }

    #[test]
    fn capacity_is_at_least_one() {
        let mut buffer = PointBuffer::new(0);
        assert_eq!(buffer.extend(lines(0..3)), 2);
        assert_eq!(buffer.len(), 1);
    }
}
