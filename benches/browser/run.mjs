// Runs the browser benchmarks in Debian's headless Chromium and prints their JSON lines.
// Usage: node benches/browser/run.mjs [batches] [reopenRecords] [workerRecords] [only]
// All positional (defaults 500, 1000000, 1000000, every page); `only` is core, idb, workers, replication or alloc, e.g.
// `node benches/browser/run.mjs 500 1000000 1000000 workers`.
// (after scripts/build-site.sh; `core` runs the newest `cargo bench --bench core --no-run --target wasm32-wasip1`)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { chromium } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;
const [batches = '500', reopen = '1000000', records = '1000000', only] = process.argv.slice(2);

/** The newest build of the core benchmark for wasm32-wasip1, as a path the server serves; null if none. */
function coreWasm() {
  const dir = 'target/wasm32-wasip1/release/deps/';
  let files = [];
  try {
    files = readdirSync(ROOT + dir).filter((f) => /^core-[0-9a-f]+\.wasm$/.test(f));
  } catch {
    return null;
  }
  files.sort((a, b) => statSync(ROOT + dir + b).mtimeMs - statSync(ROOT + dir + a).mtimeMs);
  return files.length ? `/${dir}${files[0]}` : null;
}

// Cross-origin isolated, so that workers' clocks are precise enough for latency figures.
const server = spawn('node', [`${ROOT}scripts/serve.mjs`, ROOT, '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FRANZ_ISOLATE: '1' },
});
const url = await new Promise((resolve) => server.stdout.on('data', (d) => {
  const m = /at (http:\S+)/.exec(String(d));
  if (m) resolve(m[1]);
}));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // Precise `performance.memory` for alloc.html; no effect on the other pages.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-precise-memory-info'],
});
try {
  const wasm = coreWasm();
  const pages = [`idb.html?batches=${batches}&reopen=${reopen}`, `workers.html?records=${records}`, `replication.html?sends=${batches}`, 'alloc.html'];
  if (wasm) pages.unshift(`core.html?wasm=${wasm}`);
  else if (only === 'core') throw new Error('no core benchmark built: cargo bench --bench core --no-run --target wasm32-wasip1');
  for (const bench of pages) {
    if (only && !bench.startsWith(only)) continue;
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'log') console.log(m.text()); });
    await page.goto(`${url}benches/browser/${bench}`);
    // Polled once a second, not every animation frame: the harness must not take CPU from what it measures.
    await page.waitForFunction(() => window.benchDone, null, { timeout: 15 * 60_000, polling: 1000 });
    if (await page.evaluate(() => window.benchDone) !== 'ok') process.exitCode = 1;
    await page.close();
  }
} finally {
  await browser.close();
  server.kill();
}
