#!/usr/bin/env bash
# Builds the browser side into target/site: the hydrate wasm (own target dir, so its features
# never unify with the server's), its JS glue, the stylesheet and the public files.
source "$(dirname "$0")/lib.sh"
ensure_wasm_target
ensure_wasm_bindgen
ensure_wasm_opt

SITE="$ROOT/target/site"
step "Building the frontend (wasm)"
cargo build -p roombook-frontend --lib --target wasm32-unknown-unknown \
  --no-default-features --features hydrate --profile wasm-release --target-dir target/front
mkdir -p "$SITE/pkg"
wasm-bindgen --target web --no-typescript --out-name roombook --out-dir "$SITE/pkg" \
  target/front/wasm32-unknown-unknown/wasm-release/roombook_frontend.wasm
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  -o "$SITE/pkg/roombook.wasm" "$SITE/pkg/roombook_bg.wasm"
rm "$SITE/pkg/roombook_bg.wasm"
cp style/roombook.css "$SITE/pkg/roombook.css"
cp -r public/. "$SITE/"
# Pre-compressed copies: the server sends Brotli to browsers that accept it (every current
# one, over HTTPS and on localhost), gzip to the others.
command -v brotli >/dev/null || ensure_build_packages
for f in "$SITE/pkg/roombook.wasm" "$SITE/pkg/roombook.js" "$SITE/pkg/roombook.css"; do
  gzip -9 -k -f "$f"
  brotli -q 11 -k -f "$f"
done
printf 'site: %s (wasm %s bytes, %s gzip, %s brotli)\n' "$SITE" \
  "$(stat -c %s "$SITE/pkg/roombook.wasm")" "$(stat -c %s "$SITE/pkg/roombook.wasm.gz")" \
  "$(stat -c %s "$SITE/pkg/roombook.wasm.br")"
