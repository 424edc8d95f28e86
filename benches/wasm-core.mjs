// Runs the native core benchmark (benches/core.rs) compiled to wasm, in Node's V8: the engine franz runs in, with
// no browser or worker around it, so that the core's own cost per record (CRC-32C without a CRC instruction,
// the record walks) is measured apart from the rest. Usage:
//   rustup target add wasm32-wasip1
//   cargo bench --bench core --no-run --target wasm32-wasip1
//   node benches/wasm-core.mjs target/wasm32-wasip1/release/deps/core-*.wasm
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: node benches/wasm-core.mjs <the benchmark .wasm>');
const wasi = new WASI({ version: 'preview1', args: ['core'], env: {} });
const module = await WebAssembly.compile(readFileSync(file));
wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
