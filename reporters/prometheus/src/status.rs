//! Status folding: tachymeter-tower's status counters (`name-1xx` …
//! `name-5xx`, `name-other`, `name-404`) exported as one family with a
//! `code` label.

use crate::names::{Role, Shape};
use std::collections::{HashMap, HashSet};

/// The bases of tachymeter-tower status counters in a snapshot.
#[derive(Debug, Default)]
pub(crate) struct StatusBases<'a> {
    /// Bases with all of `-1xx` … `-5xx`.
    classes: HashSet<&'a str>,
    /// Bases with `-other`.
    codes: HashSet<&'a str>,
}

/// `name` split into a base and a status suffix (`2xx`, `404`, `other`).
fn status_suffix(name: &str) -> Option<(&str, &str)> {
    let (base, suffix) = name.rsplit_once('-')?;
    let b = suffix.as_bytes();
    let class = b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && &b[1..] == b"xx";
    let code = b.len() == 3 && b.iter().all(u8::is_ascii_digit);
    (!base.is_empty() && (class || code || suffix == "other")).then_some((base, suffix))
}

impl<'a> StatusBases<'a> {
    /// From the names of the registry's counters.
    pub(crate) fn find(counters: impl Iterator<Item = &'a str>) -> Self {
        // Per base: bits 0–4 for 1xx–5xx, bit 5 for other, bit 6 for a code.
        let mut seen: HashMap<&str, u8> = HashMap::new();
        for name in counters {
            let Some((base, suffix)) = status_suffix(name) else {
                continue;
            };
            let bit = match suffix.as_bytes() {
                b"other" => 5,
                [n, b'x', b'x'] => n - b'1',
                _ => 6,
            };
            *seen.entry(base).or_default() |= 1 << bit;
        }
        let mut bases = Self::default();
        for (base, mask) in seen {
            if mask & 0b1_1111 == 0b1_1111 {
                bases.classes.insert(base);
            }
            // tachymeter-tower registers `-other` with the layer and codes on
            // first sight: `-other` alone already makes a by-code family, so
            // its series keeps its name from the first scrape on.
            if mask & 0b10_0000 != 0 {
                bases.codes.insert(base);
            }
        }
        bases
    }

    /// The family base, role and `code` label of registry name `name`.
    pub(crate) fn place<'n>(
        &self,
        name: &'n str,
        shape: Shape,
    ) -> (&'n str, Role, Option<&'n str>) {
        if shape == Shape::Counter && !(self.classes.is_empty() && self.codes.is_empty()) {
            if let Some((base, suffix)) = status_suffix(name) {
                let class_suffix = suffix.ends_with("xx");
                if (class_suffix || suffix == "other") && self.classes.contains(base) {
                    return (base, Role::StatusClass, Some(suffix));
                }
                if !class_suffix && self.codes.contains(base) {
                    return (base, Role::StatusCode, Some(suffix));
                }
            }
        }
        (name, Role::Plain, None)
    }
}
