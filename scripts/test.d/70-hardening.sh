#!/usr/bin/env bash
# Hardening (issue 6), short enough for CI (a minute or two): the committed fuzz corpus and crash
# regressions replayed through the same target bodies libFuzzer runs, the proptest properties
# (fixed seeds, modest case counts) -- both in tests/properties.rs --, the hostile-input suite
# against the served component (tests/e2e/test_hostile.py) and the kill/restart fault test.
# The long runs are not CI steps: fuzz/run (cargo fuzz, 20 min a target) and scripts/soak.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_venv
log "fuzz corpus replay + property tests (tests/properties.rs)"
timeout 900 cargo test --release --test properties
export FSK_WASMTIME="$(wasmtime_bin)"
export FSK_E2E_WASM="$(scripts/build-http)"
log "hostile input against the served component (tests/e2e/test_hostile.py)"
timeout 600 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/e2e/test_hostile.py
log "fault test: kill/restart the runtime under load"
CYCLES=2 UP_SECONDS=3 scripts/fault-test
