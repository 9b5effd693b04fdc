//! The lines at the top of a log: comments, StartTime, BaseTime, legend.

use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;
use std::time::SystemTime;
use tachymeter_report::DurationUnit;

/// The interval log format version written (the first with tags).
pub(crate) const FORMAT_VERSION: &str = "1.3";

/// The legend line HdrHistogram's Java writer puts after the header.
const LEGEND: &str =
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";

/// The header: who wrote it, the format version, the units, the user's
/// comments, `StartTime` and `BaseTime` (both `base`), and the legend.
pub(crate) fn header(base: SystemTime, unit: DurationUnit, comments: &[String]) -> Vec<u8> {
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment(&format!(
            "[Logged with tachymeter-hdrlog {}]",
            env!("CARGO_PKG_VERSION")
        ))
        .add_comment(&format!("[Histogram log format version {FORMAT_VERSION}]"))
        .add_comment(&format!(
            "[Timer values in {}; histogram values as recorded]",
            unit_name(unit)
        ));
    for comment in comments {
        for line in comment_lines(comment) {
            builder.add_comment(&line);
        }
    }
    builder.with_start_time(base).with_base_time(base);
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    // Writing to a Vec never fails.
    drop(
        builder
            .begin_log_with(&mut out, &mut serializer)
            .expect("writing to memory never fails"),
    );
    out.extend_from_slice(LEGEND.as_bytes());
    out
}

fn unit_name(unit: DurationUnit) -> &'static str {
    match unit {
        DurationUnit::Nanoseconds => "nanoseconds",
        DurationUnit::Microseconds => "microseconds",
        DurationUnit::Milliseconds => "milliseconds",
        DurationUnit::Seconds => "seconds",
    }
}

/// A user's comment as comment lines that no reader takes for anything
/// else: split at every line break a reader knows (`\n`, `\r`, U+0085,
/// U+2028, U+2029), other control characters replaced by spaces, and each
/// line starting with a space, so that `#` is never followed by `[` (the
/// form of `#[StartTime: …]` and `#[BaseTime: …]`).
fn comment_lines(comment: &str) -> Vec<String> {
    comment
        .split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
        .map(|line| {
            let mut out = String::with_capacity(line.len() + 1);
            out.push(' ');
            out.extend(line.chars().map(|c| if c.is_control() { ' ' } else { c }));
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_header_reads_back() {
        let base = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        let text = header(
            base,
            DurationUnit::Nanoseconds,
            &["run 7\r[StartTime: 1 x]\u{2028}\tok".to_string()],
        );
        let text = String::from_utf8(text).unwrap();
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                &format!(
                    "#[Logged with tachymeter-hdrlog {}]",
                    env!("CARGO_PKG_VERSION")
                ),
                "#[Histogram log format version 1.3]",
                "#[Timer values in nanoseconds; histogram values as recorded]",
                "# run 7",
                "# [StartTime: 1 x]",
                "#  ok",
                "#[StartTime: 1700000000.250 (seconds since epoch)]",
                "#[BaseTime: 1700000000.250 (seconds since epoch)]",
                LEGEND.trim_end(),
            ]
        );
        use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
        let entries: Vec<_> = IntervalLogIterator::new(text.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        let at = Duration::from_millis(1_700_000_000_250);
        assert_eq!(entries, [LogEntry::StartTime(at), LogEntry::BaseTime(at)]);
    }
}
