//! A series' name as StatsD carries it: the prefix and metric name, then its
//! labels either as path segments or as DogStatsD tags.
//!
//! Every character outside `[A-Za-z0-9_.-]` becomes `_`. That set cannot
//! break a line (`:` `|` `@` `#` `,` whitespace, line feeds) and is left
//! alone by the reference daemon, which deletes or rewrites everything else
//! (`/` becomes `-`, `;` and `=` start Graphite tags, other punctuation and
//! non-ASCII letters are deleted), so the name sent is the name stored.

use tachymeter_core::MetricKey;
use tachymeter_report::push_replaced;

/// Whether StatsD keeps `c` in a name as it is.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Appends `text` with every unsafe character (and, unless `dots`, every
/// `.`) replaced by `_`; an empty `text` becomes `_`. Whether `text` was
/// appended as it is.
fn push_clean(out: &mut String, text: &str, dots: bool) -> bool {
    if text.is_empty() {
        out.push('_');
        return false;
    }
    !push_replaced(out, text, |c| is_safe(c) && (dots || c != '.'))
}

/// Appends `name` cleaned, its `.`-separated segments kept but empty ones
/// dropped (`a..b` and `a.b.` are `a.b`, which the daemon's Graphite output
/// would store in one place anyway); a name with no segment left is `_`.
/// Whether `name` was appended as it is.
fn push_name(out: &mut String, name: &str) -> bool {
    let start = out.len();
    let mut verbatim = true;
    for segment in name.split('.') {
        if segment.is_empty() {
            verbatim = false;
            continue;
        }
        if out.len() > start {
            out.push('.');
        }
        verbatim &= push_clean(out, segment, false);
    }
    if out.len() == start {
        out.push('_');
    }
    verbatim
}

/// `prefix` as it goes in front of every name: cleaned, and followed by a
/// `.` unless empty or already ending in one.
pub(crate) fn clean_prefix(prefix: &str) -> String {
    let mut out = String::new();
    if prefix.split('.').any(|s| !s.is_empty()) {
        let _ = push_name(&mut out, prefix);
        out.push('.');
    }
    out
}

/// The name and tags of one series on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireName {
    /// What goes before the `:` of a line.
    pub(crate) name: String,
    /// What ends each line: `|#k:v,k2:v2`, or nothing.
    pub(crate) tags: String,
    /// Where the metric name ends in `name` (labels may follow as
    /// segments): a `_2` for a clash goes there.
    pub(crate) name_end: usize,
    /// Nothing was cleaned: the key's own spelling.
    pub(crate) verbatim: bool,
}

impl WireName {
    /// `key` under `prefix` (already [`clean_prefix`]ed). The labels are the
    /// common `tags` and the key's own labels (which win over a common tag
    /// of the same name), sorted by name; with `dogstatsd` they become
    /// `|#name:value` tags, else `.name.value` path segments, each cleaned
    /// of dots so a label is always exactly two segments.
    pub(crate) fn new(
        prefix: &str,
        key: &MetricKey,
        tags: &[(String, String)],
        dogstatsd: bool,
    ) -> Self {
        let mut name = String::with_capacity(prefix.len() + key.name().len());
        name.push_str(prefix);
        let mut verbatim = push_name(&mut name, key.name());
        let name_end = name.len();
        let own = key.labels();
        let common = tags
            .iter()
            .filter(|(k, v)| !v.is_empty() && own.iter().all(|(o, _)| o != k));
        let mut labels: Vec<&(String, String)> = own.iter().chain(common).collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tags = String::new();
        for (k, v) in labels {
            if dogstatsd {
                tags.push_str(if tags.is_empty() { "|#" } else { "," });
                verbatim &= push_clean(&mut tags, k, true);
                tags.push(':');
                verbatim &= push_clean(&mut tags, v, true);
            } else {
                name.push('.');
                verbatim &= push_clean(&mut name, k, false);
                name.push('.');
                verbatim &= push_clean(&mut name, v, false);
            }
        }
        WireName {
            name,
            tags,
            name_end,
            verbatim,
        }
    }

    /// The wire name of a settled identity: [`id`](Self::id) of the name
    /// proposed, with `_2`, `_3`, … possibly inserted at its `name_end`.
    pub(crate) fn settled(identity: &str, name_end: usize, dogstatsd: bool) -> Self {
        // DogStatsD tags start where the name ends; path-segment labels are
        // part of the name.
        let (name, tags) = if dogstatsd {
            identity.split_at(name_end)
        } else {
            (identity, "")
        };
        WireName {
            name: name.to_string(),
            tags: tags.to_string(),
            name_end,
            verbatim: true,
        }
    }

    /// The identity the daemon keys the series by.
    pub(crate) fn id(&self) -> String {
        format!("{}{}", self.name, self.tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(key: MetricKey, dogstatsd: bool) -> WireName {
        let common = [("env".to_string(), "prod 1".to_string())];
        WireName::new(&clean_prefix("app"), &key, &common, dogstatsd)
    }

    #[test]
    fn names_keep_only_the_safe_set() {
        let key = MetricKey::new("a b:c|d@e#f,g\nh/i;j=k\"l\\m'ñ-.x_Y9");
        let w = WireName::new("", &key, &[], false);
        assert_eq!(w.name, "a_b_c_d_e_f_g_h_i_j_k_l_m__-.x_Y9");
        assert_eq!(w.tags, "");
        assert_eq!(WireName::new("", &MetricKey::new(""), &[], true).name, "_");
    }

    #[test]
    fn prefix_is_cleaned_and_joined_with_a_dot() {
        assert_eq!(clean_prefix(""), "");
        assert_eq!(clean_prefix("."), "");
        assert_eq!(clean_prefix("app"), "app.");
        assert_eq!(clean_prefix("my app."), "my_app.");
        assert_eq!(clean_prefix(".a..b."), "a.b.");
    }

    #[test]
    fn empty_segments_are_dropped() {
        let name = |n: &str| WireName::new("", &MetricKey::new(n), &[], false).name;
        assert_eq!(name("a..b"), "a.b");
        assert_eq!(name(".a.b."), "a.b");
        assert_eq!(name("."), "_");
        assert_eq!(name("..."), "_");
        assert_eq!(
            WireName::new("p.", &MetricKey::new(".x"), &[], false).name,
            "p.x"
        );
    }

    #[test]
    fn labels_become_two_segments_each() {
        let key = MetricKey::new("http.requests")
            .with_label("route", "/books/{id}")
            .with_label("host", "10.0.0.1");
        assert_eq!(
            wire(key, false).name,
            "app.http.requests.env.prod_1.host.10_0_0_1.route._books__id_"
        );
    }

    #[test]
    fn labels_become_dogstatsd_tags() {
        let key = MetricKey::new("q")
            .with_label("k:|#,", "v:|#,\n")
            .with_label("env", "test");
        let w = wire(key, true);
        assert_eq!(w.name, "app.q");
        // The key's own `env` wins over the common one.
        assert_eq!(w.tags, "|#env:test,k____:v_____");
        assert_eq!(w.id(), "app.q|#env:test,k____:v_____");
    }
}
