#!/usr/bin/env bash
# Formatting and clippy, for each feature set separately (ssr and hydrate never together).
source "$(dirname "$0")/lib.sh"
ensure_build_packages
ensure_wasm_target
step "cargo fmt --check"
cargo fmt --all --check
step "clippy: server side (workspace, ssr)"
cargo clippy --workspace --all-targets -- -D warnings
step "clippy: browser side (frontend, hydrate, wasm32)"
cargo clippy -p roombook-frontend --lib --target wasm32-unknown-unknown \
  --no-default-features --features hydrate --target-dir target/front -- -D warnings
