//! Graphite paths for metric keys: which characters survive, where labels
//! go, and how two keys that sanitise alike stay two series.

use std::collections::HashSet;
use tachymeter_core::MetricKey;
use tachymeter_report::{numbered_name, push_replaced};

/// The longest path segment, tag key or tag value, in bytes: whisper makes
/// one file or directory per segment, and file names end at 255 bytes.
pub const MAX_SEGMENT_LEN: usize = 200;

/// The longest series path (prefix, name and labels, before the field
/// suffix), in bytes. Carbon drops the connection on a line longer than
/// 16 KiB and whisper paths end at 4 KiB; segments and labels that would
/// go past this are left out.
pub const MAX_PATH_LEN: usize = 1000;

/// Whether `c` stays as it is in a path segment or a tag key: ASCII
/// letters, digits, `-` and `_`.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Whether `c` stays as it is in a tag value: [`plain`] and `.`.
fn plain_value(c: char) -> bool {
    plain(c) || c == '.'
}

/// Appends `raw` with every character `keep` rejects replaced by `_`, cut
/// to [`MAX_SEGMENT_LEN`] bytes (all kept characters are ASCII). Whether
/// anything changed.
fn push_sanitised(out: &mut String, raw: &str, keep: impl Fn(char) -> bool) -> bool {
    let cut = raw
        .char_indices()
        .nth(MAX_SEGMENT_LEN)
        .map_or(raw.len(), |(at, _)| at);
    push_replaced(out, &raw[..cut], keep) || cut < raw.len()
}

/// A series' path without its field suffix: `base[..split]` gets the
/// suffix (`.count`, …) appended, `base[split..]` follows it (the
/// `;tag=value` list when tags are on, empty otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeriesPath {
    pub(crate) base: String,
    /// Where the metric name ends, and a `_2`, `_3`, … goes when the path
    /// is taken.
    pub(crate) name_end: usize,
    pub(crate) split: usize,
    /// Nothing was replaced, dropped or cut: the key's own spelling.
    pub(crate) clean: bool,
}

/// Builds paths from keys; see [`Encoder`](crate::Encoder) for the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathBuilder {
    /// The sanitised prefix, dot-separated, without a trailing dot.
    prefix: String,
    pub(crate) tags: bool,
}

impl PathBuilder {
    pub(crate) fn set_prefix(&mut self, prefix: &str) {
        // A prefix changed by sanitising changes every path alike.
        let mut out = String::new();
        push_segments(&mut out, prefix);
        self.prefix = out;
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The path of `key`.
    pub(crate) fn path(&self, key: &MetricKey) -> SeriesPath {
        let mut base = String::with_capacity(self.prefix.len() + key.name().len() + 16);
        base.push_str(&self.prefix);
        let mut clean = push_segments(&mut base, key.name());
        if base.len() == self.prefix.len() {
            // A name with no segment (empty, or only dots) gets one of its
            // own under the prefix, so that a `_2` for a clash lands in the
            // application's namespace, never on the prefix itself.
            if !base.is_empty() {
                base.push('.');
            }
            base.push('_');
            clean = false;
        }
        let name_end = base.len();
        let labels = self.labels(key, &mut clean);
        if self.tags {
            for (k, v) in &labels {
                let len = 2 + k.len() + v.len();
                if base.len() + len > MAX_PATH_LEN {
                    clean = false;
                    break;
                }
                base.push(';');
                base.push_str(k);
                base.push('=');
                base.push_str(v);
            }
            SeriesPath {
                base,
                name_end,
                split: name_end,
                clean,
            }
        } else {
            for (k, v) in &labels {
                let len = 2 + k.len() + v.len();
                if base.len() + len > MAX_PATH_LEN {
                    clean = false;
                    break;
                }
                base.push('.');
                base.push_str(k);
                base.push('.');
                base.push_str(v);
            }
            let split = base.len();
            SeriesPath {
                base,
                name_end,
                split,
                clean,
            }
        }
    }

    /// The sanitised labels, sorted by sanitised key, keys made unique.
    fn labels(&self, key: &MetricKey, clean: &mut bool) -> Vec<(String, String)> {
        let value_ok: fn(char) -> bool = if self.tags { plain_value } else { plain };
        let mut labels: Vec<(String, String)> = key
            .labels()
            .iter()
            .map(|(k, v)| {
                let mut name = String::with_capacity(k.len());
                *clean &= !push_sanitised(&mut name, k, plain);
                if self.tags {
                    *clean &= !reserve_tag_key(&mut name);
                }
                if name.is_empty() {
                    name.push('_');
                    *clean = false;
                }
                let mut value = String::with_capacity(v.len());
                *clean &= !push_sanitised(&mut value, v, value_ok);
                if value.is_empty() {
                    // Keys never hold empty values; kept valid regardless.
                    value.push('_');
                    *clean = false;
                }
                (name, value)
            })
            .collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        if labels.windows(2).any(|w| w[0].0 == w[1].0) {
            *clean = false;
            let mut taken: HashSet<String> = HashSet::new();
            for (name, _) in &mut labels {
                if !taken.insert(name.clone()) {
                    *name = numbered_name(name, |candidate| taken.contains(candidate));
                    taken.insert(name.clone());
                }
            }
            labels.sort_by(|a, b| a.0.cmp(&b.0));
        }
        labels
    }
}

/// Graphite 1.1 tag keys carbon or VictoriaMetrics treat as their own:
/// `name` (carbon's tag for the metric name, which would replace it) becomes
/// `_name`, and a leading `__` (reserved, as in `__name__`) is cut to `_`.
/// Whether the key changed.
fn reserve_tag_key(key: &mut String) -> bool {
    if key == "name" {
        key.insert(0, '_');
        return true;
    }
    let mut changed = false;
    while key.starts_with("__") {
        key.remove(0);
        changed = true;
    }
    changed
}

/// Appends the dot-separated segments of `raw`, each sanitised, empty ones
/// left out, joined by `.` (after whatever `out` holds). Segments that
/// would take `out` past [`MAX_PATH_LEN`] are left out. Whether `raw` was
/// used as it is.
fn push_segments(out: &mut String, raw: &str) -> bool {
    let mut clean = true;
    for segment in raw.split('.') {
        if segment.is_empty() {
            clean = false;
            continue;
        }
        let mut s = String::with_capacity(segment.len().min(MAX_SEGMENT_LEN));
        clean &= !push_sanitised(&mut s, segment, plain);
        let dot = usize::from(!out.is_empty());
        if out.len() + dot + s.len() > MAX_PATH_LEN {
            return false;
        }
        if dot == 1 {
            out.push('.');
        }
        out.push_str(&s);
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_without_segments_stays_under_the_prefix() {
        let mut builder = PathBuilder::default();
        builder.set_prefix("app");
        for name in ["", ".", ".."] {
            let path = builder.path(&MetricKey::new(name));
            assert_eq!((path.base.as_str(), path.name_end), ("app._", 5));
        }
        builder.tags = true;
        assert_eq!(builder.path(&MetricKey::new("")).base, "app._");
        builder.set_prefix("");
        assert_eq!(builder.path(&MetricKey::new(".")).base, "_");
    }

    fn builder(prefix: &str, tags: bool) -> PathBuilder {
        let mut b = PathBuilder {
            tags,
            ..PathBuilder::default()
        };
        b.set_prefix(prefix);
        b
    }

    fn base(b: &PathBuilder, key: MetricKey) -> String {
        b.path(&key).base
    }

    #[test]
    fn dots_separate_and_empty_segments_collapse() {
        let b = builder("app..", false);
        assert_eq!(b.prefix(), "app");
        assert_eq!(base(&b, "a..b.".into()), "app.a.b");
        // No segment of its own: `_` under the prefix, never the prefix.
        assert_eq!(base(&b, "...".into()), "app._");
        assert_eq!(base(&builder("", false), "".into()), "_");
        assert!(b.path(&"a.b".into()).clean);
        assert!(!b.path(&"a..b".into()).clean);
    }

    #[test]
    fn unsafe_characters_become_underscores() {
        let b = builder("", false);
        assert_eq!(
            base(&b, "a b\nc;d/e=f\"g\\h:i|j,k\u{e9}\u{1f600}~".into()),
            "a_b_c_d_e_f_g_h_i_j_k___"
        );
        assert_eq!(base(&b, "../../etc/passwd".into()), "_._etc_passwd");
        assert_eq!(base(&b, "ok-name_1".into()), "ok-name_1");
    }

    #[test]
    fn labels_become_segments_when_tags_are_off() {
        let b = builder("p", false);
        let key = MetricKey::new("req")
            .with_label("z", "1.5")
            .with_label("a b", "x/y");
        let path = b.path(&key);
        assert_eq!(path.base, "p.req.a_b.x_y.z.1_5");
        assert_eq!(path.split, path.base.len());
        assert_eq!(&path.base[..path.name_end], "p.req");
    }

    #[test]
    fn labels_become_sorted_tags_when_on() {
        let b = builder("p", true);
        let key = MetricKey::new("req")
            .with_label("z", "1.5")
            .with_label("a=b", "~x;y")
            .with_label("name", "n")
            .with_label("_name", "o")
            .with_label("__name__", "m");
        let path = b.path(&key);
        assert_eq!(
            path.base,
            "p.req;_name=o;_name_2=n;_name__=m;a_b=_x_y;z=1.5"
        );
        assert_eq!(path.split, "p.req".len());
        assert!(!path.clean);
    }

    #[test]
    fn long_segments_are_cut_and_long_paths_lose_trailing_parts() {
        let b = builder("", true);
        let long = "x".repeat(5000);
        let path = b.path(&MetricKey::new(long.as_str()));
        assert_eq!(path.base.len(), MAX_SEGMENT_LEN);
        let many = vec!["y".repeat(300); 20].join(".");
        let path = b.path(&MetricKey::new(many.as_str()).with_label("k", "v"));
        assert!(path.base.len() <= MAX_PATH_LEN, "{}", path.base.len());
        assert!(path.base.ends_with(";k=v"), "{}", path.base);
        let mut key = MetricKey::new("m");
        for i in 0..50 {
            key = key.with_label(format!("key{i:02}"), "v".repeat(100));
        }
        for tags in [true, false] {
            let path = builder("", tags).path(&key);
            assert!(path.base.len() <= MAX_PATH_LEN);
            assert!(path.base.starts_with("m"));
        }
    }
}
