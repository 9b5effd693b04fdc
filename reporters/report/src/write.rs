//! [`write_counting`]: `write_all` for reporters that must know how much
//! of a failed write went out.

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
