//! What the real-server tests share: reading points back, the reporter's
//! own counts, and hostile names with the mapping the encoder documents.

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tachymeter_core::{MetricKey, Registry};
use tachymeter_testkit::InfluxDb;

/// How long to wait for data to show up.
pub const WAIT: Duration = Duration::from_secs(10);

/// A measurement's name and tags, as stored.
pub type SeriesKey = (String, BTreeMap<String, String>);

/// One series read back from InfluxDB: its rows, by column name.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub rows: Vec<BTreeMap<String, Value>>,
}

/// Every series of `db` (`SELECT * FROM /.*/ GROUP BY *`), the reporter's
/// own metrics left out. Tags a series does not have (InfluxDB lists them
/// empty) are left out.
pub fn series(influx: &InfluxDb, db: &str) -> Vec<Series> {
    let body = influx
        .query(db, "SELECT * FROM /.*/ GROUP BY *")
        .expect("query");
    let Some(all) = body["results"][0]["series"].as_array() else {
        return Vec::new();
    };
    all.iter()
        .filter(|s| !s["name"].as_str().unwrap().starts_with("reporter."))
        .map(|s| {
            let columns: Vec<String> = s["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            let tags = s["tags"]
                .as_object()
                .map(|t| {
                    t.iter()
                        .filter(|(_, v)| v.as_str() != Some(""))
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let rows = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .cloned()
                        .zip(row.as_array().unwrap().iter().cloned())
                        .filter(|(_, v)| !v.is_null())
                        .collect()
                })
                .collect();
            Series {
                name: s["name"].as_str().unwrap().to_string(),
                tags,
                rows,
            }
        })
        .collect()
}

/// The type InfluxDB gave each field of `measurement` (`integer`, `float`).
pub fn field_types(influx: &InfluxDb, db: &str, measurement: &str) -> BTreeMap<String, String> {
    let quoted = measurement.replace('\\', "\\\\").replace('"', "\\\"");
    let body = influx
        .query(db, &format!("SHOW FIELD KEYS FROM \"{quoted}\""))
        .expect("show field keys");
    body["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_string(),
                pair[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The reporter's own gauge `reporter.<name>.buffered-points`.
pub fn buffered(registry: &Registry, name: &str) -> i64 {
    registry
        .gauge(format!("reporter.{name}.buffered-points"))
        .expect("own gauge")
        .value()
}

/// Pieces of hostile names: every character line protocol treats
/// specially, and some that other formats do.
const PIECES: &[&str] = &[
    "", " ", ",", "=", "\"", "'", "\\", "\n", "\r\n", "\t", ":", "|", ";", "é", "日本", "time",
    "_", "#", "\\\\", "\\ ", "\\,", "\0",
];

/// Hostile label names, special keys included.
const KEYS: &[&str] = &[
    "time",
    "",
    "_measurement",
    "_field",
    "_x",
    "k,=",
    " sp ",
    "\\",
    "a\\",
    "é:|;",
    "new\nline",
    "q\"",
    "TIME",
];

/// Hostile label values, the empty one included (no tag).
const VALUES: &[&str] = &[
    "",
    " ",
    "a,b=c d",
    "\\",
    "x\\",
    "\"quoted\"",
    "new\nline\r",
    "é:|;",
    "time",
    "_v",
    "#",
    "\t",
];

/// The text the server stores for `raw`, as the encoder documents it:
/// control characters become spaces, then a backslash that is last or
/// before `\`, `,`, `=`, a space or `"` becomes `/`.
pub fn stored(raw: &str) -> String {
    let chars: Vec<char> = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let escape_like = chars.get(i + 1).is_none_or(|n| "\\,= \"".contains(*n));
            if c == '\\' && escape_like {
                '/'
            } else {
                c
            }
        })
        .collect()
}

/// The stored measurement: `_` for nothing, `_` in place of a leading `#`.
pub fn stored_measurement(raw: &str) -> String {
    let s = stored(raw);
    match s.strip_prefix('#') {
        _ if s.is_empty() => "_".to_string(),
        Some(rest) => format!("_{rest}"),
        None => s,
    }
}

/// The stored tag key: `_` for nothing, a trailing `_` for `time`,
/// `_measurement` and `_field`.
pub fn stored_key(raw: &str) -> String {
    let s = stored(raw);
    if s.is_empty() {
        "_".to_string()
    } else if ["time", "_measurement", "_field"].contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// The stored tags of `key` with the global tags `global`: labels with a
/// value, then global tags whose key no label has. (A key two of whose
/// labels are stored alike is not written at all; none of these has one.)
pub fn stored_tags(key: &MetricKey, global: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for (k, v) in key.labels() {
        if !v.is_empty() {
            tags.entry(stored_key(k)).or_insert_with(|| stored(v));
        }
    }
    for (k, v) in global {
        if !v.is_empty() {
            tags.entry(stored_key(k)).or_insert_with(|| stored(v));
        }
    }
    tags
}

/// `n` counters with hostile names and labels, each counted to a value of
/// its own (1, 2, 3, …), and the stored name and tags each should have.
/// With `n` at least the square of the pieces, every ordered pair of
/// pieces starts and ends a name.
/// Keys that would be stored alike are left out, so each is one series.
pub fn hostile_counters(
    registry: &Registry,
    n: usize,
    global: &[(&str, &str)],
) -> BTreeMap<SeriesKey, i64> {
    let mut expected = BTreeMap::new();
    let mut i = 0usize;
    let mut value = 0i64;
    while expected.len() < n {
        // Every ordered pair of pieces, first and last in the name, and
        // last in a tag value; a whole piece alone for the first few.
        let a = PIECES[i % PIECES.len()];
        let b = PIECES[(i / PIECES.len()) % PIECES.len()];
        let name = if i < PIECES.len() {
            a.to_string()
        } else {
            format!("{a}{b}m{i}{b}{a}")
        };
        let key = MetricKey::new(name)
            .with_label(KEYS[i % KEYS.len()], VALUES[i % VALUES.len()])
            .with_label(KEYS[(i * 5 + 1) % KEYS.len()], format!("{b}{a}"));
        i += 1;
        let stored_as = (stored_measurement(key.name()), stored_tags(&key, global));
        if expected.contains_key(&stored_as) {
            continue;
        }
        value += 1;
        registry
            .counter(key)
            .expect("hostile counter")
            .inc(value as u64);
        expected.insert(stored_as, value);
    }
    expected
}
