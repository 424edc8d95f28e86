// Adds franz/worker to the package wasm-pack generated: its files, and the `exports` map that names the entries
// (and the wasm module, for Node.js).
import { readFileSync, writeFileSync } from 'node:fs';

const path = process.argv[2];
const pkg = JSON.parse(readFileSync(path, 'utf8'));
pkg.files = [...new Set([...(pkg.files ?? []), 'worker'])];
pkg.exports = {
  '.': { types: './franz.d.ts', default: './franz.js' },
  './worker': { types: './worker/index.d.ts', default: './worker/index.js' },
  // The wasm module itself, for Node.js, where `init()` cannot fetch it: `import.meta.resolve('franz/franz_bg.wasm')`.
  './franz_bg.wasm': './franz_bg.wasm',
};
writeFileSync(path, JSON.stringify(pkg, null, 2) + '\n');
