#!/usr/bin/env bash
# Format, lints and the native Rust tests (codec, CLI, HTTP layer); every relative link in the docs resolves.
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
python3 scripts/check-links
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --release
