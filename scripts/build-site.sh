#!/usr/bin/env bash
# Builds the npm package (pkg/) and the static site (dist/ = www/ + the package), ready for any static host.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack build --target web --release
# franz/worker: the broker-host and client worker scripts ship in the package beside the wasm module.
mkdir -p pkg/worker
cp src/web/worker/*.js src/web/worker/*.d.ts pkg/worker/
node scripts/package-exports.mjs pkg/package.json
rm -rf dist
cp -r www dist
mkdir -p dist/pkg
cp -r pkg/franz.js pkg/franz_bg.wasm pkg/franz.d.ts pkg/snippets pkg/worker dist/pkg/
# The terminal and the chart come from npm and are served locally: nothing is fetched from a CDN.
mkdir -p dist/vendor
cp node_modules/@xterm/xterm/lib/xterm.mjs node_modules/@xterm/xterm/css/xterm.css dist/vendor/
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css dist/vendor/
# The service worker caches every file of the site, for offline use after the first visit.
assets=$(cd dist && find . -type f ! -name sw.js | sort | sed 's/.*/"&"/' | paste -sd, -)
sed -i "s|/\*ASSETS\*/\[\]|[$assets]|" dist/sw.js
printf 'build: dist/ ready, wasm %s bytes\n' "$(wc -c < dist/pkg/franz_bg.wasm)"
