#!/usr/bin/env bash
# Format, lints and the native Rust tests (codec, CLI, HTTP layer), the relative links of the docs, the ggwave vectors tests on
# every generated vector (plain `cargo test` reads the set committed under tests/data/ggwave).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
python3 scripts/check-links
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
vectors="$(ensure_vectors)"
FSK_VECTORS_DIR="$vectors" cargo test --release
# The decoder with its own FFT (what the wasm32 builds run), natively: the codec's tests again.
cargo clippy --all-targets --features own-fft -- -D warnings
FSK_VECTORS_DIR="$vectors" cargo test --release --features own-fft --lib --test roundtrip \
  --test vectors --test channels --test diagnostics --test framing --test properties
# The library's own tests built for wasm32-wasip2 (simd128: the wasm FFT's core::arch::wasm32 path)
# and run by the pinned wasmtime.
ensure_rust_targets wasm32-wasip2
CARGO_TARGET_WASM32_WASIP2_RUNNER="$(wasmtime_bin) run" \
  cargo test --release --target wasm32-wasip2 --no-default-features --lib
# The committed set too, as a clone without Python sees it.
env -u FSK_VECTORS_DIR cargo test --release --test vectors
