#!/usr/bin/env bash
# Load test over loopback: the books example with and without its metrics
# layers, each under the same wrk run (bounded in time), one after the
# other. Installs wrk (Debian) when missing. On a 2-core machine wrk and the
# server share the cores: compare the two runs, not the absolute numbers.
#
#   benches/load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-32}

if ! command -v wrk >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "wrk is missing: run as root or install it (apt-get install wrk)" >&2; exit 1; }
    apt-get update >/dev/null && apt-get install -y wrk >/dev/null
fi

cargo build --release --example books >/dev/null 2>&1 || cargo build --release --example books
BIN=target/release/examples/books

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

run() {
    local label=$1 metrics=$2 port pid
    port=$(free_port)
    BOOKS_ADDR=127.0.0.1:$port BOOKS_METRICS=$metrics REPORT_INTERVAL_SECS=3600 "$BIN" >/dev/null 2>&1 &
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "== $label (BOOKS_METRICS=$metrics): wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s GET /books/1"
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency "http://127.0.0.1:$port/books/1" \
        | grep -E 'Requests/sec|Latency|50%|99%'
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    trap - EXIT
}

run "without metrics" off
run "with metrics" on
run "without metrics, again" off
run "with metrics, again" on
