#!/usr/bin/env bash
# Live-peer suite: the real ggwave 0.4.3 (Python package) decodes what `fsk` encodes, and `fsk`
# decodes what ggwave encodes (tests/peer/). Installs the venv idempotently, builds the release CLI.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_venv
ensure_apt sox lame opus-tools
log "cargo build --release (fsk CLI)"
timeout 1800 cargo build --release --bin fsk
export FSK_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/fsk"
timeout 600 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/peer
