//! Runnable examples: see the `[[example]]` targets in `Cargo.toml`.

/// The README's code, compiled and run as a doc test so it cannot rot.
#[doc = include_str!("../../README.md")]
mod readme {}
