#!/usr/bin/env bash
# `make test`: the whole suite. Unit and integration tests (SQLite always; PostgreSQL too when
# ROOMBOOK_TEST_POSTGRES_URL is set), then the browser tests in Chromium.
source "$(dirname "$0")/lib.sh"
ensure_build_packages
ensure_browser
"$ROOT/scripts/build-site.sh"
if [ -z "${ROOMBOOK_TEST_POSTGRES_URL:-}" ]; then
  echo "note: ROOMBOOK_TEST_POSTGRES_URL is not set; the PostgreSQL storage tests will be skipped."
fi
step "Unit and integration tests"
cargo test --workspace --all-targets
step "Browser tests (Chromium)"
cargo build -p roombook-tests --bin fixture-server
node tests/browser/run.mjs target/debug/fixture-server target/site
