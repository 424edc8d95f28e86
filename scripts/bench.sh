#!/usr/bin/env bash
# Prints franz's benchmark figures: native core throughput, then in headless Chromium the same core benchmark
# compiled to wasm, and the IndexedDB, workers, replication and allocation benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo bench --bench core 2>/dev/null | grep '^{'
# The same core benchmark for wasm; benches/browser/core.html runs it in Chromium's V8, the engine franz runs in.
rustup target add wasm32-wasip1 >/dev/null 2>&1
cargo bench --bench core --no-run --target wasm32-wasip1 2>/dev/null
scripts/build-site.sh >/dev/null
node benches/browser/run.mjs "$@"
