#!/usr/bin/env bash
# Prints franz's benchmark figures: native core throughput, then the IndexedDB benchmark in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo bench --bench core 2>/dev/null | grep '^{'
scripts/build-site.sh >/dev/null
node benches/browser/run.mjs "$@"
