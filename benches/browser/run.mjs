// Runs the browser benchmarks in Debian's headless Chromium and prints their JSON lines.
// Usage: node benches/browser/run.mjs [batches] [reopenRecords] [workerRecords] [only]
// All positional (defaults 500, 1000000, 1000000, every page); `only` is idb, workers or replication, e.g.
// `node benches/browser/run.mjs 500 1000000 1000000 workers`.
// (after scripts/build-site.sh)
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;
const [batches = '500', reopen = '1000000', records = '1000000', only] = process.argv.slice(2);

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
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
try {
  for (const bench of [`idb.html?batches=${batches}&reopen=${reopen}`, `workers.html?records=${records}`, `replication.html?sends=${batches}`]) {
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
