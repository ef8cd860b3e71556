#!/usr/bin/env bash
# The codec as a WebAssembly library component (issue 7): clippy of the `component` feature build,
# the component itself, its WIT checked against wit/ (plus a drifted copy that must fail), a
# consumer component composed with it and run (what a Spin component dependency does), and the
# wasmtime test host against the native library on every protocol and every ggwave vector.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
ensure_rust_targets wasm32-wasip2
ensure_venv
host=tests/component-host
[ -n "${FSK_VECTORS_DIR:-}" ] || { FSK_VECTORS_DIR="$(ensure_vectors)"; export FSK_VECTORS_DIR; }

cargo fmt --manifest-path "$host/Cargo.toml" -- --check
cargo fmt --manifest-path "$host/consumer/Cargo.toml" -- --check
# Lints of the feature build cover the whole crate; a failure is reported at the end, after the
# component's own checks have run.
status=0
cargo clippy -q --target wasm32-wasip2 --lib --no-default-features --features component \
  --target-dir target/component -- -D warnings || { status=1; log "clippy of the component feature build FAILED"; }

wasm="$(scripts/build-component)"
scripts/check-component-wit "$wasm"
drift="$(mktemp -d)"; trap 'rm -rf "$drift"' EXIT
sed 's/^\( *\)dss: bool,$/\1dss: bool,\n\1drifted: u8,/' wit/codec.wit >"$drift/codec.wit"
if FSK_WIT_DIR="$drift" scripts/check-component-wit "$wasm" 2>/dev/null; then
  echo "check-component-wit accepted a WIT that differs from the component" >&2; exit 1
fi

# The pinned wasmtime CLI calls the exports directly (WAVE syntax).
wasmtime="$(wasmtime_bin)"
invoke() { timeout 120 "$wasmtime" run --invoke "$1" "$wasm"; }
invoke 'protocols()' | grep -q '{id: 11, name: "\[MT\] Fastest", slug: "mt-fastest"'
[ "$(invoke 'encode([], {protocol: 1, volume: 50, sample-rate: 48000, fixed-length: none, dss: false, framing: auto, parity: 1}, pcm16)')" = 'err(empty-payload)' ]
[ "$(invoke 'plan(11, {protocol: 12, volume: 50, sample-rate: 48000, fixed-length: none, dss: false, framing: auto, parity: 1})')" = 'err(unknown-protocol(12))' ]
invoke 'decode([1, 2, 3], {fixed-length: none, dss: false, limits: none})' | grep -q '^err(bad-wav("'

# A component that imports fsk:codec/codec, composed with the codec and run by wasmtime.
cargo build -q --manifest-path "$host/consumer/Cargo.toml" --target wasm32-wasip2 --release \
  --target-dir target/component
"$(wasm_tools_bin)" compose -o target/component/composed.wasm \
  target/component/wasm32-wasip2/release/fsk-codec-consumer.wasm -d "$wasm" 2>/dev/null
out="$(timeout 300 "$wasmtime" run target/component/composed.wasm "fsk:codec composed")" \
  || { echo "$out"; echo "the composed consumer failed" >&2; exit 1; }
echo "$out"
[ "$(grep -c ': ok$' <<<"$out")" -eq 12 ] || { echo "not every protocol round-tripped" >&2; exit 1; }
grep -qx 'empty payload: Err(Error::EmptyPayload)' <<<"$out"

# The wasmtime test host (its own workspace: wasmtime stays out of the main crate's build).
if [ -z "${CI:-}" ] || [ -n "${FSK_COMPONENT_CLIPPY:-}" ]; then
  cargo clippy -q --manifest-path "$host/Cargo.toml" --target-dir target/component-host \
    --all-targets -- -D warnings
fi
FSK_COMPONENT="$wasm" timeout 1200 cargo test -q --manifest-path "$host/Cargo.toml" \
  --target-dir target/component-host
FSK_COMPONENT="$wasm" timeout 300 cargo run -q --manifest-path "$host/Cargo.toml" \
  --target-dir target/component-host -- bench
exit $status
