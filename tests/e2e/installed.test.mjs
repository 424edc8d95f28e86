// The npm package as an app installs it (the files `npm pack` puts in it, unpacked into an app's node_modules) and
// imports it by name: in Node.js (installed-app/node.mjs), and in a web app (installed-app/) that Vite builds, as
// most web apps are built, and that Chromium runs, built and from Vite's dev server: the in-page API, and a broker
// host with ready-made producer and consumer workers, whose scripts and the wasm module the bundler must emit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build, createServer } from 'vite';
import { launchChromium, ROOT, serveSite } from './helpers.mjs';

let app;
let browser;

before(async () => {
  app = mkdtempSync(`${tmpdir()}/franz-installed-`);
  cpSync(new URL('./installed-app/', import.meta.url).pathname, app, { recursive: true });
  const tarball = execFileSync('npm', ['pack', `${ROOT}pkg`, '--pack-destination', app, '--silent'], { encoding: 'utf8' }).trim().split('\n').at(-1);
  mkdirSync(`${app}/node_modules/franz`, { recursive: true });
  execFileSync('tar', ['-xzf', `${app}/${tarball}`, '-C', `${app}/node_modules/franz`, '--strip-components=1']);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Opens the app at `url` and returns what it printed, once it has finished. */
async function run(url) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.appDone, null, { timeout: 60_000 });
    const printed = await page.textContent('#out');
    assert.equal(await page.evaluate(() => window.appDone), 'ok', printed);
    return printed;
  } finally {
    await page.close();
  }
}

const EXPECTED = 'in page: high watermark 2\nerrors: UNKNOWN_TOPIC_OR_PARTITION\nworkers: 20 acked, 20 consumed\n';

test('a Vite build emits the broker-host, producer and consumer workers and the wasm module, and runs', async () => {
  const outDir = `${app}/dist`;
  await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir } });
  const assets = readdirSync(`${outDir}/assets`);
  for (const emitted of [/^host-.*\.js$/, /^producer-.*\.js$/, /^consumer-.*\.js$/, /^franz_bg-.*\.wasm$/]) {
    assert.ok(assets.some((f) => emitted.test(f)), `${emitted} in ${assets.join(', ')}`);
  }
  const site = await serveSite(outDir);
  try {
    assert.equal(await run(site.url), EXPECTED);
  } finally {
    site.stop();
  }
});

test("the same app runs from Vite's dev server", async () => {
  const server = await createServer({ root: app, configFile: false, logLevel: 'silent', server: { port: 0 } });
  await server.listen();
  try {
    assert.equal(await run(server.resolvedUrls.local[0]), EXPECTED);
  } finally {
    await server.close();
  }
});

test('in Node.js, with the wasm module read from the package', () => {
  const printed = execFileSync('node', [`${app}/node.mjs`], { encoding: 'utf8', timeout: 60_000 });
  // What the app prints comes after the consumer's INFO lines, which go to the console as KafkaJS's do.
  assert.match(printed, /^franz \[Consumer\] Starting\n[\s\S]*\nhello from node\n$/);
});
