"""Reads an HdrHistogram interval log with the Python implementation
(PyPI `hdrhistogram`, module `hdrh`) and prints one JSON object per interval
line, in order, as a JSON list:

    {"tag": ..., "start": ..., "length": ..., "count": ...,
     "min": ..., "max": ..., "p50": ..., "p90": ..., "p99": ..., "p99.9": ...}

`start` is in seconds since the epoch (hdrh adds the log's BaseTime),
`length` in seconds; the values are hdrh's own `get_value_at_percentile`.
hdrh parses the lines itself, tags included.

Usage: python hdrh_read.py LOG
"""

import json
import sys

from hdrh.log import HistogramLogReader


def main(path):
    reader = HistogramLogReader(path, None)
    out = []
    try:
        while True:
            histogram = reader.get_next_interval_histogram()
            if histogram is None:
                break
            start_ms = histogram.get_start_time_stamp()
            end_ms = histogram.get_end_time_stamp()
            entry = {
                "tag": histogram.get_tag(),
                "start": start_ms / 1000.0,
                "length": (end_ms - start_ms) / 1000.0,
                "count": histogram.get_total_count(),
                "min": histogram.get_min_value(),
                "max": histogram.get_max_value(),
            }
            for name, percentile in (
                ("p50", 50.0),
                ("p90", 90.0),
                ("p99", 99.0),
                ("p99.9", 99.9),
            ):
                entry[name] = histogram.get_value_at_percentile(percentile)
            out.append(entry)
    finally:
        reader.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
