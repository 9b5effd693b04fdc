//! [`Tags`]: the tags every point of a reporter carries.

use std::borrow::Cow;

/// The tags an encoder adds to every point (`host`, `dc`, …): sorted by
/// key, one value per key, none empty. Keys and values are stored as given:
/// the encoder cleans them for its backend first.
///
/// ```
/// use tachymeter_report::Tags;
///
/// let mut tags = Tags::default();
/// tags.set("host", "web-1");
/// tags.set("dc", "eu");
/// tags.set("host", "web-2");
/// assert_eq!(tags.iter().collect::<Vec<_>>(), [("dc", "eu"), ("host", "web-2")]);
/// tags.set("dc", ""); // an empty value removes the tag
/// assert_eq!(tags.len(), 1);
///
/// // A point's labels win over a tag of the same key.
/// let point = tags.with_labels(vec![("host".into(), "mine".into()), ("a".into(), "b".into())]);
/// assert_eq!(point, [("a".into(), "b".into()), ("host".into(), "mine".into())]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<(String, String)>);

impl Tags {
    /// Sets `key` to `value`, replacing its value if it had one; an empty
    /// key or value removes the tag.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        let found = self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key));
        match (found, key.is_empty() || value.is_empty()) {
            (Ok(i), true) => {
                self.0.remove(i);
            }
            (Ok(i), false) => self.0[i].1 = value,
            (Err(_), true) => {}
            (Err(i), false) => self.0.insert(i, (key, value)),
        }
    }

    /// Each tag, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many tags there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A point's tags, sorted by key: its `labels` (already cleaned, keys
    /// unique), and these tags for the keys the labels do not have.
    pub fn with_labels<'a>(
        &'a self,
        mut labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
        let own = labels.len();
        for (key, value) in &self.0 {
            if !labels[..own].iter().any(|(k, _)| k == key) {
                labels.push((Cow::Borrowed(key), Cow::Borrowed(value)));
            }
        }
        labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        labels
    }
}
