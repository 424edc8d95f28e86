#!/usr/bin/env bash
# Prints franz's benchmark figures: native core throughput, then the IndexedDB benchmark in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo bench --bench core 2>/dev/null | grep '^{'
# The same core benchmark in V8 (the engine franz runs in), compiled to wasm and run under Node's WASI.
rustup target add wasm32-wasip1 >/dev/null 2>&1
cargo bench --bench core --no-run --target wasm32-wasip1 2>/dev/null
node --no-warnings benches/wasm-core.mjs "$(ls -t target/wasm32-wasip1/release/deps/core-*.wasm | head -1)" | grep '^{'
scripts/build-site.sh >/dev/null
node benches/browser/run.mjs "$@"
