#!/usr/bin/env bash
# `make run`: builds everything and starts Roombook on its embedded defaults
# (SQLite in data/roombook.db, the demo organisation), at http://127.0.0.1:3000/ unless
# ROOMBOOK_SERVER__LISTEN or roombook.toml says otherwise.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/build-site.sh"
step "Building the server (release)"
cargo build --release -p roombook-server
step "Starting Roombook (Ctrl-C stops it)"
exec target/release/roombook --site-root target/site "$@"
