#!/usr/bin/env bash
# The Spin HTTP component end to end (tests/e2e): the exact artifact spin.toml points at, composed
# with the test-only Spin host stub, served by the real `wasmtime serve` on 127.0.0.1; the real
# Python ggwave as a peer; every ggwave vector (scripts/gen-vectors). Also lints the Spin feature build.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt curl
ensure_venv
[ -n "${FSK_VECTORS_DIR:-}" ] || { FSK_VECTORS_DIR="$(ensure_vectors)"; export FSK_VECTORS_DIR; }
export FSK_WASMTIME="$(wasmtime_bin)"
export FSK_E2E_WASM="$(scripts/build-http)"
log "clippy (spin,web-assets on wasm32-wasip2)"
timeout 1800 cargo clippy -q --target wasm32-wasip2 --no-default-features --features spin,web-assets -- -D warnings
(cd tests/spin-host-stub && cargo fmt --check && timeout 1200 cargo clippy -q --release --target wasm32-wasip2 \
  --target-dir "${CARGO_TARGET_DIR:-$ROOT/target}/spin-host-stub" -- -D warnings)
# (The size budget is checked by 40-web, which builds the page this component embeds.)
log "component size: $(stat -c %s "${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip2/release/fskhttp.wasm") bytes"
timeout 1800 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/e2e
# The premise of wasm-opt --low-memory-unused (scripts/wasm-opt-component): only the last KiB of
# the 1 MiB stack lies below address 1024. The same tests, hostile inputs included, with the stack
# cut to 64 KiB: what they need stays 16x away from that KiB. (RUSTFLAGS replaces
# .cargo/config.toml's flags, so simd128 is repeated.)
log "the same tests with a 64 KiB stack instead of 1 MiB"
FSK_E2E_WASM="$(CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/stack-64k" \
  RUSTFLAGS="-C target-feature=+simd128 -C link-arg=-zstack-size=65536" scripts/build-http)" \
  timeout 1800 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/e2e
