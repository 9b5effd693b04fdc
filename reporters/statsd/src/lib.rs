//! Reporter for statsd (work in progress).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
