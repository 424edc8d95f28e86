#!/usr/bin/env bash
# Runs every franz test: lint and format, native cargo tests, headless-Chrome wasm tests, and the end-to-end
# Playwright tests of the built site. Sets up whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH" CHROMEDRIVER=/usr/bin/chromedriver

step() { printf '\n=== %s\n' "$*"; }

step "format and lint"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --tests --quiet -- -D warnings
# A syntax error in a JS file the browser tests load leaves their page at "Loading scripts..." until it times out.
for js in src/web/js/*.js tests/web/*.js; do node --input-type=module --check <"$js" || { echo "in $js"; exit 1; }; done

step "native tests (cargo test)"
cargo test --quiet

step "browser tests (wasm-pack test --headless --chrome)"
# The runner's default budget, 20 s for a whole test binary from page load, is less than a busy machine needs
# to compile a debug build and run web_api (15-20 s on an idle one).
export WASM_BINDGEN_TEST_TIMEOUT=180
wasm-pack test --headless --chrome -- --lib --test 'web_*'

step "end-to-end tests (Playwright, Chromium)"
scripts/build-site.sh
node --test --test-reporter=spec tests/e2e/
