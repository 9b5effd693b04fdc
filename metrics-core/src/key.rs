//! [`MetricKey`]: a metric's name and optional labels.

use std::fmt;

/// A metric's identity: a name and a small set of labels (tags), kept
/// sorted by label name, each label name at most once.
///
/// Names and label values are stored as given; each reporter sanitises them
/// for its wire format. A label with an empty value is no label at all, as
/// in Prometheus and InfluxDB: `x{a=""}` and `x` are the same series.
///
/// ```
/// use tachymeter_core::MetricKey;
///
/// let key = MetricKey::new("http.requests")
///     .with_label("route", "/books/{id}")
///     .with_label("method", "GET");
/// assert_eq!(key.name(), "http.requests");
/// assert_eq!(key.labels()[0], ("method".to_string(), "GET".to_string()));
/// assert_eq!(key.to_string(), r#"http.requests{method="GET",route="/books/{id}"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MetricKey {
    name: String,
    labels: Vec<(String, String)>,
}

impl MetricKey {
    /// A key with no labels.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            labels: Vec::new(),
        }
    }

    /// Adds a label, replacing any label of the same name. An empty value
    /// removes the label instead.
    ///
    /// ```
    /// use tachymeter_core::MetricKey;
    ///
    /// let key = MetricKey::new("x").with_label("a", "1").with_label("a", "");
    /// assert_eq!(key, MetricKey::new("x"));
    /// ```
    pub fn with_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        let found = self.labels.binary_search_by(|(n, _)| n.as_str().cmp(&name));
        match (found, value.is_empty()) {
            (Ok(i), true) => {
                self.labels.remove(i);
            }
            (Ok(i), false) => self.labels[i].1 = value,
            (Err(_), true) => {}
            (Err(i), false) => self.labels.insert(i, (name, value)),
        }
        self
    }

    /// The metric's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The labels, sorted by name.
    pub fn labels(&self) -> &[(String, String)] {
        &self.labels
    }

    pub(crate) fn with_prefix(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.name.insert_str(0, prefix);
        }
        self
    }
}

impl From<&str> for MetricKey {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

impl From<String> for MetricKey {
    fn from(name: String) -> Self {
        Self::new(name)
    }
}

impl fmt::Display for MetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.labels.is_empty() {
            f.write_str("{")?;
            for (i, (n, v)) in self.labels.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{n}={v:?}")?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}
