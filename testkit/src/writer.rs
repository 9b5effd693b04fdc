//! Writers for tests of reporters that write to any `std::io::Write`.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

/// A writer whose bytes the test can read while a reporter owns a clone.
#[derive(Debug, Clone, Default)]
pub struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl SharedWriter {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer whose every write fails with the error `disk full`.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailingWriter;

impl Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer into a [`SharedWriter`] that takes `budget` bytes, fails once
/// (`connection reset`) when they are spent, then takes everything; at
/// most `chunk` bytes per write (default unbounded), to cut writes short.
#[derive(Debug, Clone)]
pub struct FlakyWriter {
    out: SharedWriter,
    budget: Option<usize>,
    chunk: usize,
}

impl FlakyWriter {
    /// Fails once after `budget` bytes into `out`.
    pub fn new(out: SharedWriter, budget: usize) -> Self {
        Self {
            out,
            budget: Some(budget),
            chunk: usize::MAX,
        }
    }

    /// Takes at most `chunk` bytes (at least 1) per write.
    pub fn chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }
}

impl Write for FlakyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let buf = &buf[..buf.len().min(self.chunk)];
        match self.budget {
            Some(0) => {
                self.budget = None;
                Err(io::Error::other("connection reset"))
            }
            Some(left) => {
                let n = left.min(buf.len());
                self.budget = Some(left - n);
                self.out.write(&buf[..n])
            }
            None => self.out.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
