// Adds to the package wasm-pack generated:
// - franz/worker: its files, and the `exports` map that names the entries (and the wasm module, for Node.js);
// - KafkaJS's error classes and its `CompressionCodecs` on the main entry. `js/pack.js` defines them, but
//   wasm-bindgen only exports what Rust defines, so the entry re-exports them from the snippet it already imports.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

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

const entry = join(dirname(path), 'franz.js');
const code = readFileSync(entry, 'utf8');
const snippet = code.match(/from '(\.\/snippets\/[^']+\/src\/web\/js\/pack\.js)'/)?.[1];
if (!snippet) throw new Error(`${entry} does not import js/pack.js`);
const reexported = Object.keys(await import(pathToFileURL(join(dirname(path), snippet)))).filter((n) => n.startsWith('KafkaJS') || n === 'CompressionCodecs');
if (reexported.length === 0) throw new Error(`${snippet} exports none of KafkaJS's error classes`);
const line = `export { ${reexported.join(', ')} } from '${snippet}';\n`;
if (!code.includes(line)) writeFileSync(entry, code + line);
