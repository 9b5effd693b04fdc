//! Examples only: see the `[[example]]` targets.
