#!/usr/bin/env bash
# Runs the same `POST /extension-log` load against triage-tui and against the browser-tools
# connector (@agentdeskai/browser-tools-server 1.2.0, installed from npm into a temp dir), and
# prints both rates and their ratio. Note: browser-tools keeps only 50 entries by default.
#   usage: bench/peer.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null || { echo "bench/peer.sh: node is required" >&2; exit 1; }
peer_dir="${TRIAGE_BENCH_PEER_DIR:-${TMPDIR:-/tmp}/triage-bench-peer}"
if [ ! -f "$peer_dir/node_modules/@agentdeskai/browser-tools-server/dist/browser-connector.js" ]; then
  mkdir -p "$peer_dir"
  (cd "$peer_dir" && npm install --no-audit --no-fund --silent @agentdeskai/browser-tools-server@1.2.0 >/dev/null)
fi
cargo build --release --quiet --bin triage-bench
TRIAGE_BENCH_PEER_DIR="$peer_dir" ./target/release/triage-bench peer "$@"
