#!/usr/bin/env bash
# The browser page (web/) and its bindings (src/web.rs): clippy for wasm32, wasm-bindgen-test in
# headless Chromium (Debian chromium-driver), then the page in real headless Chromium through
# playwright-core (tests/browser: round trips, real ggwave both ways, fake-microphone live decoding,
# screenshots into docs/screenshots/).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_apt chromium chromium-driver
ensure_rust_targets wasm32-unknown-unknown
ensure_wasm_bindgen_cli
ensure_npm "$ROOT/tests/browser"

log "clippy (wasm32, feature web)"
cargo clippy --target wasm32-unknown-unknown --no-default-features --features web --lib --test web -- -D warnings

log "wasm-bindgen-test in headless Chromium"
# Optimised test build: the decoder is numeric code, ~50x slower unoptimised.
CHROMEDRIVER=/usr/bin/chromedriver \
WASM_BINDGEN_TEST_TIMEOUT=600 \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
CARGO_PROFILE_TEST_OPT_LEVEL=2 \
  timeout 1500 cargo test --target wasm32-unknown-unknown --no-default-features --features web --test web

log "build the page (scripts/build-web) and the CLI for the fake microphone's WAV"
"$ROOT/scripts/build-web"
cargo build --release --bin fsk

log "the Spin component with the page embedded (feature web-assets), for wasmtime serve"
ensure_venv
export FSK_WASMTIME="$(wasmtime_bin)"
export FSK_E2E_WASM="$(scripts/build-http)"
# Issue 14's size budget for the simd128 component as deployed (page embedded): 1.5 MB, read as
# 10^6 bytes (the stricter reading).
size=$(stat -c %s "${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-wasip2/release/fskhttp.wasm")
log "Spin component with the page: $size bytes (budget 1,500,000)"
[ "$size" -le 1500000 ] || {
  echo "the Spin component is $size bytes, over its 1,500,000-byte budget (docs/benchmarks.md, Sizes)" >&2
  exit 1
}

log "browser tests (tests/browser, node --test)"
cd "$ROOT/tests/browser"
CHROMIUM=/usr/bin/chromium timeout 1500 node --test --test-concurrency=1 --test-timeout=300000
