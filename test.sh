#!/usr/bin/env bash
# Runs every check and test of the workspace. Installs what is missing
# (Debian packages as root with apt-get: the metric servers the integration
# tests start) and fails loudly, never skipping silently.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "missing: $1 ($2)" >&2
        exit 1
    }
}
need cargo "install Rust with rustup"

step "real servers: install what is missing"
# program:Debian package, for the servers tachymeter-testkit starts in tests
# (and `ps`, which the process metrics are checked against, and headless
# Chromium, which loads the dashboard page).
servers=(
    prometheus:prometheus
    promtool:prometheus
    prometheus-pushgateway:prometheus-pushgateway
    influxd:influxdb
    carbon-cache:graphite-carbon
    whisper-fetch:python3-whisper
    victoria-metrics:victoria-metrics
    node:nodejs
    npm:npm
    ps:procps
    chromium:chromium
    chromedriver:chromium-driver
)
missing=()
for entry in "${servers[@]}"; do
    program=${entry%%:*}
    package=${entry#*:}
    if ! command -v "$program" >/dev/null 2>&1; then
        case " ${missing[*]} " in
        *" $package "*) ;;
        *) missing+=("$package") ;;
        esac
    fi
done
# The HdrHistogram log test reads logs back with Python's `hdrh`, and the
# OTLP tests send to a receiver built on Python's `opentelemetry-proto`;
# tachymeter-testkit installs each into a venv under target/.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing+=(python3 python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
    install="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${missing[*]}" >&2
        echo "as root, run: apt-get update && $install" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive $install
fi
echo "ok"

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "docs (rustdoc warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features \
    -p tachymeter-core -p tachymeter-tower -p tachymeter-report -p tachymeter-log -p tachymeter-prometheus \
    -p tachymeter-json -p tachymeter-graphite -p tachymeter-influxdb -p tachymeter-statsd -p tachymeter-opentsdb -p tachymeter-facade -p tachymeter-process -p tachymeter-tokio \
    -p tachymeter-dashboard -p tachymeter-hdrlog -p tachymeter-otlp \
    -p tachymeter-testkit

step "tests (all features)"
cargo test --workspace --all-features

step "tests (tachymeter-core without features)"
cargo test -p tachymeter-core

step "tokio runtime metrics in a tokio_unstable build"
RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR=target/tokio-unstable \
    cargo test -p tachymeter-tokio --features unstable --test runtime

step "loom model checks of the lock-free code"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p tachymeter-core --test loom --release

step "benches run once each (test mode, no timing)"
cargo test -p tachymeter-benches --benches

step "packaging: every published crate packages and builds from its own tarball"
need python3 "apt-get install -y python3"
# Cargo keeps what it unpacked to verify a package, by name and version,
# under CARGO_HOME, and would build a second run against the first run's
# sources: drop this workspace's crates from there first.
# Cargo also takes a registry package's build for immutable, so the build
# of a previous run's tarball would be reused: drop our crates' dev builds.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rm -rf "$cargo_home"/registry/src/*/tachymeter-* "$cargo_home"/registry/cache/*/tachymeter-*
published=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"] if p.get("publish") != []))
')
# shellcheck disable=SC2086 # one word per package flag
cargo clean --quiet --profile dev $published
cargo package --workspace --allow-dirty --quiet \
    --exclude tachymeter-testkit --exclude tachymeter-benches --exclude tachymeter-examples
echo "ok"

step "features one by one: each published crate with none, and with each feature alone"
cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p.get("publish") == []:
        continue
    print(p["name"], "")
    for feature in p["features"]:
        if feature != "default":
            print(p["name"], feature)
' | while read -r crate feature; do
    echo "  $crate ${feature:-(no features)}"
    cargo check --quiet -p "$crate" --no-default-features ${feature:+--features "$feature"}
done

step "dependency rule: tachymeter-core depends on nothing (serde only behind its feature)"
none=$(cargo tree -p tachymeter-core -e normal --prefix none | grep -v '^tachymeter-core ' || true)
direct=$(cargo tree -p tachymeter-core -e normal --prefix none --all-features --depth 1 \
    | grep -v '^tachymeter-core ' | grep -v '^serde ' || true)
if [ -n "$none$direct" ]; then
    echo "tachymeter-core gained a dependency:" >&2
    echo "$none$direct" >&2
    exit 1
fi
echo "ok"

echo
echo "all checks passed"
