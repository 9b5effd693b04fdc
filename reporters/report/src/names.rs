//! [`SeriesNames`]: the names a push reporter's series carry on the wire,
//! settled once and kept.

use std::collections::{HashMap, HashSet, VecDeque};
use tachymeter_core::{MetricEntry, MetricKey, RegistrySnapshot};

/// How many names of series gone from the registry stay reserved (see
/// [`SeriesNames`]).
pub const MAX_RETIRED_NAMES: usize = 10_000;

/// `name_2`, `name_3`, …: the first that `taken` does not hold. Every
/// reporter numbers a name that clashes this way.
///
/// ```
/// let taken = ["a_2", "a_3"];
/// assert_eq!(tachymeter_report::numbered_name("a", |n| taken.contains(&n)), "a_4");
/// ```
pub fn numbered_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    // Finitely many names are taken, so some number is free.
    let mut n = 2u64;
    loop {
        let candidate = format!("{name}_{n}");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// What a reporter would call a series on the wire, before
/// [`SeriesNames::settle`] makes it unique.
///
/// See [`SeriesNames`] for an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The series' whole identity as the backend keys it: its cleaned name,
    /// and its cleaned labels if the backend keys series by them too.
    pub identity: String,
    /// Where the name ends in `identity`: a `_2`, `_3`, … goes there.
    pub name_end: usize,
    /// Backends that keep kinds apart (StatsD keeps counters, gauges and
    /// timers apart) give each kind its own space; identities only clash
    /// within a space.
    pub space: u8,
    /// Whether `identity` spells the key as it is registered, nothing
    /// replaced or cut: such a series gets its name before one that only
    /// cleans to it, when both are first seen in the same report.
    pub verbatim: bool,
}

/// A series' settled wire identity.
///
/// See [`SeriesNames`] for an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The identity, unique in its space.
    pub identity: String,
    /// Where the name ends in `identity`, suffix included.
    pub name_end: usize,
    /// The length of the `_2`, `_3`, … inserted at the end of the name (0
    /// if none was): parts of `identity` after the name have moved by this.
    pub suffix_len: usize,
}

#[derive(Debug, Clone)]
struct Entry {
    settled: Settled,
    space: u8,
    /// The last report that had the series.
    seen: u64,
    retired: bool,
}

/// The wire names of a push reporter's series, settled once for the
/// registry's life, the same way in every push reporter.
///
/// Backends keep only a restricted alphabet, so names and labels that
/// differ in the registry (`a b`, `a_b`) can clean to the same wire name.
/// Settled afresh in each report, by registry order, one wire series would
/// carry one metric's values, then another's once a new metric sorts in
/// front of it (whisper's `a_b.count` holding 111 then 222; a StatsD total
/// summing two metrics). Here instead:
///
/// - A series keeps the identity it was first given for as long as the
///   table lives, and no other series ever takes it.
/// - A series first seen with an identity that another series already has
///   gets `_2` (or `_3`, …: the first free one) appended to its name.
///   Among series first seen in the same report, those whose name needs no
///   cleaning come first, then the others in registry order.
/// - A series gone from the registry keeps its identity reserved (and gets
///   it back if it returns) until [`MAX_RETIRED_NAMES`] more have gone;
///   then the oldest are forgotten, so memory stays bounded under churn.
///
/// ```
/// use tachymeter_core::MetricKey;
/// use tachymeter_report::{Proposal, SeriesNames};
///
/// // A backend that turns spaces into `_`.
/// let propose = |key: &MetricKey| {
///     let identity = key.name().replace(' ', "_");
///     Proposal {
///         name_end: identity.len(),
///         verbatim: identity == key.name(),
///         identity,
///         space: 0,
///     }
/// };
/// let mut names = SeriesNames::new();
/// let (spaced, plain) = (MetricKey::new("a b"), MetricKey::new("a_b"));
/// names.settle([&spaced], propose);
/// assert_eq!(names.get(&spaced).unwrap().identity, "a_b");
/// // Registered later, `a_b` cannot take the name `a b` has been sent as.
/// names.settle([&spaced, &plain], propose);
/// assert_eq!(names.get(&spaced).unwrap().identity, "a_b");
/// assert_eq!(names.get(&plain).unwrap().identity, "a_b_2");
/// ```
#[derive(Debug, Clone, Default)]
pub struct SeriesNames {
    entries: HashMap<MetricKey, Entry>,
    /// Every identity given out, live or retired, by space.
    taken: HashSet<(u8, String)>,
    /// Keys gone from the registry, oldest first (some may have returned).
    retired: VecDeque<MetricKey>,
    report: u64,
}

impl SeriesNames {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Settles the names of one report's series, `keys`, calling `propose`
    /// for each key seen for the first time; keys of earlier reports that
    /// are not among `keys` are retired (see [`SeriesNames`]).
    pub fn settle<'k>(
        &mut self,
        keys: impl IntoIterator<Item = &'k MetricKey>,
        propose: impl FnMut(&MetricKey) -> Proposal,
    ) {
        self.settle_by(keys, |key| key, propose);
    }

    /// Settles the names of `snapshot`'s series as [`settle`](Self::settle)
    /// does, `propose` seeing each new metric whole (its kind too), then
    /// yields every metric with its settled name, in registry order: the
    /// loop every line encoder starts with.
    ///
    /// ```
    /// use tachymeter_core::Registry;
    /// use tachymeter_report::{Proposal, SeriesNames};
    ///
    /// let registry = Registry::new();
    /// registry.counter("a b")?;
    /// registry.counter("a_b")?;
    /// let mut names = SeriesNames::new();
    /// let mut propose = |entry: &tachymeter_core::MetricEntry| {
    ///     let identity = entry.key.name().replace(' ', "_");
    ///     Proposal {
    ///         name_end: identity.len(),
    ///         verbatim: identity == entry.key.name(),
    ///         identity,
    ///         space: 0,
    ///     }
    /// };
    /// let snapshot = registry.snapshot();
    /// let wire: Vec<&str> = names
    ///     .settle_snapshot(&snapshot, &mut propose)
    ///     .map(|(_, settled)| settled.identity.as_str())
    ///     .collect();
    /// // Both first seen together: the name that needs no cleaning wins.
    /// assert_eq!(wire, ["a_b_2", "a_b"]);
    /// # Ok::<(), tachymeter_core::RegistryError>(())
    /// ```
    pub fn settle_snapshot<'s>(
        &'s mut self,
        snapshot: &'s RegistrySnapshot,
        propose: &mut dyn FnMut(&MetricEntry) -> Proposal,
    ) -> impl Iterator<Item = (&'s MetricEntry, &'s Settled)> + 's {
        self.settle_by(&snapshot.metrics, |entry| &entry.key, propose);
        let names = &*self;
        snapshot
            .metrics
            .iter()
            .filter_map(move |entry| Some((entry, names.get(&entry.key)?)))
    }

    fn settle_by<'k, T: 'k>(
        &mut self,
        items: impl IntoIterator<Item = &'k T>,
        key_of: impl Fn(&'k T) -> &'k MetricKey,
        mut propose: impl FnMut(&T) -> Proposal,
    ) {
        self.report += 1;
        let report = self.report;
        let mut new: Vec<(&MetricKey, Proposal)> = Vec::new();
        for item in items {
            let key = key_of(item);
            match self.entries.get_mut(key) {
                Some(entry) => {
                    entry.seen = report;
                    entry.retired = false;
                }
                None => new.push((key, propose(item))),
            }
        }
        // Verbatim names first, each group in the order given.
        new.sort_by_key(|(_, p)| !p.verbatim);
        for (key, proposal) in new {
            if self.entries.contains_key(key) {
                // The same key twice in one report.
                continue;
            }
            let settled = self.free(proposal.space, proposal.identity, proposal.name_end);
            self.taken
                .insert((proposal.space, settled.identity.clone()));
            self.entries.insert(
                key.clone(),
                Entry {
                    settled,
                    space: proposal.space,
                    seen: report,
                    retired: false,
                },
            );
        }
        for (key, entry) in &mut self.entries {
            if entry.seen != report && !entry.retired {
                entry.retired = true;
                self.retired.push_back(key.clone());
            }
        }
        while self.retired.len() > MAX_RETIRED_NAMES {
            let Some(key) = self.retired.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.retired) {
                if let Some(entry) = self.entries.remove(&key) {
                    self.taken.remove(&(entry.space, entry.settled.identity));
                }
            }
        }
        if self.retired.len() > 2 * self.entries.len() + 64 {
            // Returned keys leave stale places behind: drop them.
            let entries = &self.entries;
            self.retired
                .retain(|key| entries.get(key).is_some_and(|e| e.retired));
        }
    }

    /// The settled name of `key`, if [`settle`](Self::settle) has seen it
    /// (and not forgotten it).
    pub fn get(&self, key: &MetricKey) -> Option<&Settled> {
        self.entries.get(key).map(|e| &e.settled)
    }

    /// How many series the table remembers, retired ones included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table remembers no series.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `identity` if free in `space`, otherwise with the first free `_2`,
    /// `_3`, … inserted at `name_end`.
    fn free(&self, space: u8, identity: String, name_end: usize) -> Settled {
        let name_end = name_end.min(identity.len());
        if !self.taken.contains(&(space, identity.clone())) {
            return Settled {
                identity,
                name_end,
                suffix_len: 0,
            };
        }
        let (name, rest) = identity.split_at(name_end);
        let numbered = numbered_name(name, |candidate| {
            self.taken.contains(&(space, format!("{candidate}{rest}")))
        });
        let suffix_len = numbered.len() - name.len();
        Settled {
            identity: format!("{numbered}{rest}"),
            name_end: name_end + suffix_len,
            suffix_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn propose(key: &MetricKey) -> Proposal {
        let name = key.name().replace([' ', '.'], "_");
        let mut identity = name.clone();
        for (k, v) in key.labels() {
            identity.push(';');
            identity.push_str(&k.replace(' ', "_"));
            identity.push('=');
            identity.push_str(&v.replace(' ', "_"));
        }
        let verbatim = name == key.name()
            && key
                .labels()
                .iter()
                .all(|(k, v)| !k.contains(' ') && !v.contains(' '));
        Proposal {
            verbatim,
            name_end: name.len(),
            identity,
            space: 0,
        }
    }

    fn name(names: &SeriesNames, key: &MetricKey) -> String {
        names.get(key).unwrap().identity.clone()
    }

    #[test]
    fn names_are_kept_and_never_taken_by_another() {
        let mut names = SeriesNames::new();
        let a = MetricKey::new("a b");
        let b = MetricKey::new("a_b");
        let c = MetricKey::new("a.b");
        names.settle([&a], propose);
        names.settle([&b, &a], propose);
        names.settle([&c, &b, &a], propose);
        assert_eq!(name(&names, &a), "a_b");
        assert_eq!(name(&names, &b), "a_b_2");
        assert_eq!(name(&names, &c), "a_b_3");
        // Gone and back: the same name, and nobody took it meanwhile.
        names.settle([&b, &c], propose);
        let e = MetricKey::new("a_b").with_label("k", "v");
        names.settle([&b, &c, &e], propose);
        assert_eq!(name(&names, &e), "a_b;k=v");
        names.settle([&a, &b, &c, &e], propose);
        assert_eq!(name(&names, &a), "a_b");
    }

    #[test]
    fn verbatim_names_come_first_in_a_report() {
        let mut names = SeriesNames::new();
        let spaced = MetricKey::new("x y");
        let plain = MetricKey::new("x_y");
        names.settle([&spaced, &plain], propose);
        assert_eq!(name(&names, &plain), "x_y");
        assert_eq!(name(&names, &spaced), "x_y_2");
    }

    #[test]
    fn the_suffix_goes_after_the_name_before_the_labels() {
        let mut names = SeriesNames::new();
        let one = MetricKey::new("m n").with_label("k", "v");
        let two = MetricKey::new("m.n").with_label("k", "v");
        names.settle([&one, &two], propose);
        let settled = names.get(&two).unwrap();
        assert_eq!(settled.identity, "m_n_2;k=v");
        assert_eq!((settled.name_end, settled.suffix_len), (5, 2));
        // `m_n_2` is taken with these labels only.
        let three = MetricKey::new("m_n_2");
        names.settle([&one, &two, &three], propose);
        assert_eq!(name(&names, &three), "m_n_2");
    }

    #[test]
    fn spaces_keep_kinds_apart() {
        let mut names = SeriesNames::new();
        let counter = MetricKey::new("a");
        let gauge = MetricKey::new("a").with_label("kind", "gauge");
        let in_space = |space| {
            move |key: &MetricKey| Proposal {
                identity: key.name().to_string(),
                name_end: key.name().len(),
                space,
                verbatim: true,
            }
        };
        names.settle([&counter], in_space(0));
        names.settle([&counter, &gauge], in_space(1));
        assert_eq!(name(&names, &gauge), "a");
    }

    #[test]
    fn memory_stays_bounded_under_churn() {
        let mut names = SeriesNames::new();
        let live = MetricKey::new("live");
        // Each report, a hundred series that are gone by the next one.
        for round in 0..300 {
            let gone: Vec<MetricKey> = (0..100)
                .map(|i| MetricKey::new(format!("gone {round} {i}")))
                .collect();
            names.settle(std::iter::once(&live).chain(&gone), propose);
        }
        // The last report's hundred are live, not retired yet.
        assert!(names.len() <= MAX_RETIRED_NAMES + 101, "{}", names.len());
        assert!(names.retired.len() <= MAX_RETIRED_NAMES);
        assert_eq!(name(&names, &live), "live");
        // The most recently gone keep their names reserved; the first ones
        // are forgotten.
        assert!(names.get(&MetricKey::new("gone 298 0")).is_some());
        assert!(names.get(&MetricKey::new("gone 0 0")).is_none());
    }
}
