//! [`write_counting`]: `write_all` for reporters that must know how much
//! of a failed write went out, and [`cut_line`]: what of a line a failed
//! write left unwritten.

use std::io::{self, Write};

/// Writes all of `buf` like [`Write::write_all`], but a failure also says
/// how many bytes were written before it, so that a reporter writing lines
/// to a file or pipe can finish a cut line first on its next report rather
/// than leave half a line in the output.
///
/// ```
/// use std::io;
///
/// /// Takes 4 bytes, then fails.
/// struct Small(Vec<u8>);
/// impl io::Write for Small {
///     fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
///         if self.0.len() >= 4 {
///             return Err(io::ErrorKind::StorageFull.into());
///         }
///         let n = buf.len().min(4 - self.0.len());
///         self.0.extend_from_slice(&buf[..n]);
///         Ok(n)
///     }
///     fn flush(&mut self) -> io::Result<()> { Ok(()) }
/// }
///
/// let mut out = Small(Vec::new());
/// let (written, error) = tachymeter_report::write_counting(&mut out, b"a 1\nb 2\n").unwrap_err();
/// assert_eq!((written, error.kind()), (4, io::ErrorKind::StorageFull));
/// ```
///
/// # Errors
///
/// The first error other than [`io::ErrorKind::Interrupted`] (retried), or
/// [`io::ErrorKind::WriteZero`] when the writer takes nothing, with the
/// bytes written before it.
pub fn write_counting(writer: &mut dyn Write, mut buf: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut written = 0;
    while !buf.is_empty() {
        match writer.write(buf) {
            Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
            Ok(n) => {
                written += n;
                buf = &buf[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((written, e)),
        }
    }
    Ok(())
}

/// When a write of `data` (whose first `carried` bytes are the rest of a
/// line cut earlier) stopped after `written` bytes in the middle of a line,
/// the range of the rest of that line (through its line feed, or to the
/// end), to write first next time, so that no reader ever sees half a line
/// followed by another; `None` when it stopped between lines.
///
/// ```
/// use tachymeter_report::cut_line;
///
/// let data = b"a 1 1\nb 2 1\n";
/// assert_eq!(cut_line(data, 6, 0), None); // between lines
/// assert_eq!(cut_line(data, 8, 0), Some(8..12)); // in `b 2 1`
/// ```
pub fn cut_line(data: &[u8], written: usize, carried: usize) -> Option<std::ops::Range<usize>> {
    let inside = written < carried || (written > 0 && data[written - 1] != b'\n');
    inside.then(|| {
        let end = data[written..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| written + i + 1);
        written..end
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rest_of_a_cut_line_is_kept() {
        let data = b"a 1 1\nb 2 1\nc 3 1\n";
        // Between lines, or nothing written: nothing to finish.
        assert_eq!(cut_line(data, 0, 0), None);
        assert_eq!(cut_line(data, 6, 0), None);
        assert_eq!(cut_line(data, data.len(), 0), None);
        // In the middle of a line: its rest, through the line feed.
        assert_eq!(cut_line(data, 8, 0), Some(8..12));
        assert_eq!(cut_line(data, 17, 0), Some(17..18));
        // Still inside the rest of a line carried from before (here the
        // first 4 bytes), even with nothing written.
        assert_eq!(cut_line(data, 0, 4), Some(0..6));
        assert_eq!(cut_line(data, 3, 4), Some(3..6));
        // A line without its line feed: to the end.
        assert_eq!(cut_line(b"a 1 1\nb 2", 8, 0), Some(8..9));
    }
}
