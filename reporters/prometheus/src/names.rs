//! Valid, unique Prometheus names for arbitrary metric and label names.
//!
//! Invalid characters become `_`. Because that can make two names equal,
//! names are assigned once per family and remembered: the first family to
//! want a name gets it, a later one that would collide with any sample name
//! of another family gets `_2`, `_3`, … appended. Assignments stay the same
//! from one scrape to the next.

use std::collections::{HashMap, HashSet};
use tachymeter_report::{numbered_name, push_replaced};

/// `raw` with every character outside `[a-zA-Z0-9_]` replaced by `_`, and
/// a `_` in front if it would start with a digit (or be empty). Colons are
/// valid but left to recording rules, as Prometheus asks of exporters.
pub(crate) fn metric_name(raw: &str) -> String {
    sanitize(raw, |c| c.is_ascii_alphanumeric() || c == '_')
}

/// `raw` with every character outside `[a-zA-Z0-9_]` replaced by `_`, a `_`
/// in front if it would start with a digit (or be empty), and the reserved
/// `__` prefix cut to one `_`.
pub(crate) fn label_name(raw: &str) -> String {
    let mut name = sanitize(raw, |c| c.is_ascii_alphanumeric() || c == '_');
    while name.starts_with("__") {
        name.remove(0);
    }
    name
}

fn sanitize(raw: &str, valid: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(raw.len() + 1);
    if raw.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.push('_');
    }
    push_replaced(&mut out, raw, valid);
    out
}

/// What a family whose name Prometheus keeps for itself is renamed with.
const EXPORTED: &str = "exported_";

/// Whether Prometheus writes series of this name itself for every target:
/// `up` and the `scrape_*` series (`scrape_duration_seconds`,
/// `scrape_samples_scraped`, `scrape_series_added`, … and any it adds).
/// An exposed sample with such a name would replace Prometheus' own (an
/// `up 0` from a healthy target fires `up == 0` alerts), so these families
/// are exported as `exported_up`, `exported_scrape_…`.
pub(crate) fn is_per_target(name: &str) -> bool {
    name == "up" || name.starts_with("scrape_")
}

/// What a family is, as far as the names it owns go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    /// Samples `name_total` (or `name` once it is exported as a gauge).
    Counter,
    /// Sample `name`.
    Gauge,
    /// Samples `name`, `name_sum`, `name_count`, and `name_bucket` as a
    /// histogram.
    Distribution,
}

impl Shape {
    fn suffixes(self) -> &'static [&'static str] {
        match self {
            Shape::Counter => &["", "_total", "_created"],
            Shape::Gauge => &[""],
            Shape::Distribution => &["", "_sum", "_count", "_bucket", "_created"],
        }
    }
}

/// How a family came from the registry's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    /// One registry name, one family.
    Plain,
    /// `base-1xx` … `base-5xx`, `base-other`, folded into `base_responses`
    /// with a `code` label.
    StatusClass,
    /// `base-404` …, folded into `base_responses_by_code` with a `code`
    /// label.
    StatusCode,
}

/// One family's exported names.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) name: String,
    pub(crate) shape: Shape,
    /// Timers are exported in seconds.
    pub(crate) seconds: bool,
    /// The unit its name ends in (OpenMetrics `# UNIT`): `seconds` for a
    /// timer, or the unit a description gave it when it was named.
    pub(crate) unit: Option<&'static str>,
    /// What HELP says, unescaped.
    pub(crate) help: String,
    /// The registry name it came from.
    pub(crate) source: String,
    /// The HELP/TYPE lines, prepared by the exporter on first use.
    pub(crate) headers: Vec<String>,
    pub(crate) role: Role,
    /// Registry label name → exported label name, unique in the family and
    /// never one of the labels the exporter adds itself.
    labels: HashMap<String, String>,
    used_labels: HashSet<String>,
    reserved: &'static [&'static str],
    /// The render that last saw it, for pruning.
    pub(crate) seen: u64,
}

impl Family {
    /// The exported name of the registry label `raw`.
    pub(crate) fn label(&mut self, raw: &str) -> &str {
        if !self.labels.contains_key(raw) {
            let base = label_name(raw);
            let base = if self.reserved.contains(&base.as_str()) {
                format!("exported_{base}")
            } else {
                base
            };
            let name = if self.used_labels.contains(&base) {
                numbered_name(&base, |candidate| self.used_labels.contains(candidate))
            } else {
                base
            };
            self.used_labels.insert(name.clone());
            self.labels.insert(raw.to_string(), name);
        }
        &self.labels[raw]
    }
}

/// The exporter's memory of every family's names.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Registry base name → family index per role.
    by_base: HashMap<String, [Option<usize>; 3]>,
    pub(crate) families: Vec<Family>,
    taken: HashSet<String>,
}

/// The labels each shape adds itself, which registry labels must not take.
fn reserved_labels(role: Role) -> &'static [&'static str] {
    // `quantile` and `le` everywhere: Prometheus' linter reads them as
    // summary and histogram labels on any family.
    match role {
        Role::Plain => &["quantile", "le"],
        _ => &["quantile", "le", "code"],
    }
}

impl Names {
    /// The family of registry name `base` in `role`, assigning its names on
    /// first sight (or when its shape changed).
    #[cfg(test)]
    pub(crate) fn family(&mut self, base: &str, role: Role, shape: Shape, seconds: bool) -> usize {
        self.family_in(base, role, shape, seconds, None)
    }

    /// [`family`](Self::family), whose name, when first assigned, ends in
    /// `unit` (a described unit; a timer's is always `seconds`).
    pub(crate) fn family_in(
        &mut self,
        base: &str,
        role: Role,
        shape: Shape,
        seconds: bool,
        unit: Option<&'static str>,
    ) -> usize {
        let slot = role as usize;
        if let Some(i) = self.by_base.get(base).and_then(|roles| roles[slot]) {
            let family = &self.families[i];
            if family.shape == shape && family.seconds == seconds {
                return i;
            }
            // Re-registered as another kind: give its names back first.
            let old = std::mem::take(&mut self.families[i].name);
            for suffix in self.families[i].shape.suffixes() {
                self.taken.remove(&format!("{old}{suffix}"));
            }
            let family = self.assign(base, role, shape, seconds, unit);
            self.families[i] = family;
            return i;
        }
        let family = self.assign(base, role, shape, seconds, unit);
        self.families.push(family);
        let i = self.families.len() - 1;
        self.by_base.entry(base.to_string()).or_default()[slot] = Some(i);
        i
    }

    fn assign(
        &mut self,
        base: &str,
        role: Role,
        shape: Shape,
        seconds: bool,
        unit: Option<&'static str>,
    ) -> Family {
        let mut stem = metric_name(base);
        match role {
            Role::Plain => {}
            Role::StatusClass => stem.push_str("_responses"),
            Role::StatusCode => stem.push_str("_responses_by_code"),
        }
        if shape == Shape::Counter {
            if let Some(cut) = stem.strip_suffix("_total").filter(|s| !s.is_empty()) {
                stem = cut.to_string();
            }
        }

        // A name with a unit (a timer's `seconds`, a described unit) must
        // end in it (OpenMetrics `# UNIT`), so a distinguishing number goes
        // before `_seconds`.
        let unit_name = if seconds {
            Some("seconds")
        } else if role == Role::Plain {
            unit
        } else {
            None
        };
        let unit = unit_name.map(|u| format!("_{u}")).unwrap_or_default();
        let unit = unit.as_str();
        if let Some(cut) = stem
            .strip_suffix(unit)
            .filter(|s| !unit.is_empty() && !s.is_empty())
        {
            stem = cut.to_string();
        }
        if is_per_target(&format!("{stem}{unit}")) {
            stem.insert_str(0, EXPORTED);
        }
        let free = |name: &str, taken: &HashSet<String>| {
            shape
                .suffixes()
                .iter()
                .all(|s| !taken.contains(&format!("{name}{s}")))
        };
        let mut name = format!("{stem}{unit}");
        if !free(&name, &self.taken) {
            let numbered = numbered_name(&stem, |candidate| {
                !free(&format!("{candidate}{unit}"), &self.taken)
            });
            name = format!("{numbered}{unit}");
        }
        for suffix in shape.suffixes() {
            self.taken.insert(format!("{name}{suffix}"));
        }
        let reserved = reserved_labels(role);
        Family {
            name,
            shape,
            seconds,
            unit: unit_name,
            help: String::new(),
            headers: Vec::new(),
            source: base.to_string(),
            role,
            labels: HashMap::new(),
            used_labels: reserved.iter().map(|s| s.to_string()).collect(),
            reserved,
            seen: 0,
        }
    }

    /// Whether [`prune`](Self::prune) would forget anything.
    pub(crate) fn wants_prune(&self, since: u64) -> bool {
        let live = self.families.iter().filter(|f| f.seen >= since).count();
        self.families.len() > 2 * live + 64
    }

    /// The index of the family exported as `name`.
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.families.iter().position(|f| f.name == name)
    }

    /// Forgets families not seen since render `since` once they outnumber
    /// the live ones, so churn in registry names cannot grow memory without
    /// bound. Live families keep their names.
    pub(crate) fn prune(&mut self, since: u64) {
        if !self.wants_prune(since) {
            return;
        }
        let families = std::mem::take(&mut self.families);
        self.by_base.clear();
        self.taken.clear();
        for family in families.into_iter().filter(|f| f.seen >= since) {
            for suffix in family.shape.suffixes() {
                self.taken.insert(format!("{}{suffix}", family.name));
            }
            self.by_base.entry(family.source.clone()).or_default()[family.role as usize] =
                Some(self.families.len());
            self.families.push(family);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid() {
        assert_eq!(metric_name("get-book.latency"), "get_book_latency");
        assert_eq!(metric_name("9lives"), "_9lives");
        assert_eq!(metric_name(""), "_");
        assert_eq!(metric_name("a:b"), "a_b");
        assert_eq!(metric_name("é😀"), "__");
        assert_eq!(label_name("__name__"), "_name__");
        assert_eq!(label_name("a:b"), "a_b");
        assert_eq!(label_name("0"), "_0");
    }

    #[test]
    fn names_prometheus_writes_per_target_are_exported_under_another() {
        let cases = [
            ("up", Shape::Gauge, false, "exported_up"),
            ("up", Shape::Counter, false, "exported_up"),
            ("up.total", Shape::Counter, false, "exported_up"),
            (
                "scrape.duration.seconds",
                Shape::Gauge,
                false,
                "exported_scrape_duration_seconds",
            ),
            (
                "scrape",
                Shape::Distribution,
                true,
                "exported_scrape_seconds",
            ),
            (
                "scrape_anything_new",
                Shape::Gauge,
                false,
                "exported_scrape_anything_new",
            ),
            ("upper", Shape::Gauge, false, "upper"),
            ("my_scrape_x", Shape::Gauge, false, "my_scrape_x"),
        ];
        for (raw, shape, seconds, expected) in cases {
            let mut names = Names::default();
            let f = names.family(raw, Role::Plain, shape, seconds);
            assert_eq!(names.families[f].name, expected, "{raw}");
            assert!(!is_per_target(&names.families[f].name));
        }
        // A registry name that is already `exported_up` keeps it; a later
        // `up` moves on.
        let mut names = Names::default();
        let own = names.family("exported_up", Role::Plain, Shape::Gauge, false);
        let up = names.family("up", Role::Plain, Shape::Gauge, false);
        assert_eq!(names.families[own].name, "exported_up");
        assert_eq!(names.families[up].name, "exported_up_2");
    }

    #[test]
    fn collisions_get_distinct_names_that_stay_put() {
        let mut names = Names::default();
        let a = names.family("a-b", Role::Plain, Shape::Gauge, false);
        let b = names.family("a.b", Role::Plain, Shape::Gauge, false);
        assert_eq!(names.families[a].name, "a_b");
        assert_eq!(names.families[b].name, "a_b_2");
        // A counter `a_b_2_total` would clash with nothing, but the summary
        // `x` owns `x_count`, so a gauge `x_count` moves.
        let x = names.family("x", Role::Plain, Shape::Distribution, false);
        let xc = names.family("x_count", Role::Plain, Shape::Gauge, false);
        assert_eq!(names.families[x].name, "x");
        assert_eq!(names.families[xc].name, "x_count_2");
        assert_eq!(names.family("a.b", Role::Plain, Shape::Gauge, false), b);
        assert_eq!(names.families[b].name, "a_b_2");
    }

    #[test]
    fn counters_drop_a_total_suffix_and_timers_gain_seconds() {
        let mut names = Names::default();
        let c = names.family("requests_total", Role::Plain, Shape::Counter, false);
        assert_eq!(names.families[c].name, "requests");
        let t = names.family("get-book", Role::Plain, Shape::Distribution, true);
        assert_eq!(names.families[t].name, "get_book_seconds");
        let t2 = names.family("get.book", Role::Plain, Shape::Distribution, true);
        assert_eq!(names.families[t2].name, "get_book_2_seconds");
        let t3 = names.family("x_seconds", Role::Plain, Shape::Distribution, true);
        assert_eq!(names.families[t3].name, "x_seconds");
        let s = names.family("get-book", Role::StatusClass, Shape::Counter, false);
        assert_eq!(names.families[s].name, "get_book_responses");
    }

    #[test]
    fn registry_labels_never_take_the_exporters_own() {
        let mut names = Names::default();
        let i = names.family("t", Role::Plain, Shape::Distribution, true);
        let family = &mut names.families[i];
        assert_eq!(family.label("quantile"), "exported_quantile");
        assert_eq!(family.label("a-b"), "a_b");
        assert_eq!(family.label("a.b"), "a_b_2");
        assert_eq!(family.label("a-b"), "a_b");
    }

    #[test]
    fn pruning_keeps_live_names() {
        let mut names = Names::default();
        for i in 0..200 {
            let f = names.family(&format!("gone{i}"), Role::Plain, Shape::Gauge, false);
            names.families[f].seen = 1;
        }
        let live = names.family("x.y", Role::Plain, Shape::Gauge, false);
        names.families[live].seen = 2;
        names.prune(2);
        assert_eq!(names.families.len(), 1);
        let again = names.family("x.y", Role::Plain, Shape::Gauge, false);
        assert_eq!(names.families[again].name, "x_y");
    }
}
