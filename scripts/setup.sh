#!/usr/bin/env bash
# Installs what franz's build and tests need, and only what is missing: quick when everything is present.
# Debian 12 as root with a Rust toolchain is assumed; everything else comes from crates.io, npm and Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }

# Debian packages: Chromium and its driver for browser tests, Node.js for the site server and e2e tests.
apt_missing=()
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
[ -x /usr/bin/chromedriver ] || apt_missing+=(chromium-driver)
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# Rust: at least the version Cargo.toml names (rust-version), the wasm target, and the lint/format components the
# test command runs.
need=$(awk -F'"' '/^rust-version/ { print $2; exit }' Cargo.toml)
have=$(rustc --version | awk '{ print $2 }')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
  say "rustc $have is older than the $need Cargo.toml needs: installing the stable toolchain"
  rustup toolchain install stable --profile minimal
  rustup default stable
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
for component in clippy rustfmt; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

# wasm-pack. It is built from crates.io: its own downloads (wasm-opt, prebuilt binaries) cannot be reached here,
# which is why Cargo.toml turns wasm-opt off and wasm-bindgen-cli is installed below.
command -v wasm-pack >/dev/null || { say "installing wasm-pack"; cargo install wasm-pack --version 0.15.1; }

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock (0.2.130 when this was written).
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# npm dev-dependencies (Playwright's client for the e2e tests), exactly as package-lock.json pins them.
if [ -f package-lock.json ]; then
  # npm ci rewrites node_modules/.package-lock.json, so a lockfile newer than it means node_modules is stale.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm dev-dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
