#!/usr/bin/env bash
# Format, lints and the native Rust tests (codec, CLI, HTTP layer).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --release
