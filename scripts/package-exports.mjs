// Adds franz/worker to the package wasm-pack generated: its files, and the `exports` map that names both entries.
import { readFileSync, writeFileSync } from 'node:fs';

const path = process.argv[2];
const pkg = JSON.parse(readFileSync(path, 'utf8'));
pkg.files = [...new Set([...(pkg.files ?? []), 'worker'])];
pkg.exports = {
  '.': { types: './franz.d.ts', default: './franz.js' },
  './worker': { types: './worker/index.d.ts', default: './worker/index.js' },
};
writeFileSync(path, JSON.stringify(pkg, null, 2) + '\n');
