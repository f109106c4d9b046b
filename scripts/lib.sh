# Shared helpers for Roombook's scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen CLI must be exactly the version the crate is locked at.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "Installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_wasm_bindgen() {
  local want; want="$(wasm_bindgen_version)"
  [ -n "$want" ] || die "cannot find wasm-bindgen in Cargo.lock"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    step "Installing wasm-bindgen-cli $want (about 3 minutes, once)"
    # Not --locked: its own lockfile wants a crate release the registry lacks (toolchain notes).
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

# wasm-opt from npm's binaryen: Debian's older wasm-opt breaks hydration.
BINARYEN_VERSION=132.0.0
ensure_wasm_opt() {
  if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ]; then
    command -v npm >/dev/null || die "npm is needed for wasm-opt (apt-get install npm)"
    step "Installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
  fi
}

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    die "please install: $* (e.g. sudo apt-get install $*)"
  fi
}

# Build and test prerequisites from Debian: OpenSSL headers for the EWS client's certificate
# signing, and xmllint, which validates our SOAP envelopes against Microsoft's schema in tests.
ensure_build_packages() {
  local missing=()
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
  command -v xmllint >/dev/null || missing+=(libxml2-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    step "Installing build packages: ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

ensure_browser() {
  if ! [ -x /usr/bin/chromium ]; then
    step "Installing Chromium (Debian package) for the browser tests"
    apt_install chromium
  fi
  if ! [ -d tests/browser/node_modules/playwright-core ]; then
    step "Installing playwright-core for the browser tests"
    npm ci --prefix tests/browser --no-audit --no-fund --silent
  fi
}
