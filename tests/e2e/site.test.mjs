// The served site loads the wasm module in Chromium and shows franz's version.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, crateVersion, launchChromium, serveSite } from './helpers.mjs';

let site, browser;
before(async () => {
  site = await serveSite();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  site?.stop();
});

test('the placeholder page loads the wasm module and shows its version', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(site.url);
  const status = page.locator('#status[data-version]');
  await status.waitFor({ timeout: 10_000 });
  assert.equal(await status.getAttribute('data-version'), crateVersion());
  assert.match(await status.textContent(), new RegExp(`franz ${crateVersion().replaceAll('.', '\\.')} loaded`));
  assert.deepEqual(errors, []);
  await page.screenshot({ path: artifactPath('placeholder.png') });
});

test('the wasm module is served with the MIME type streaming compilation needs', async () => {
  const res = await fetch(new URL('pkg/franz_bg.wasm', site.url));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/wasm');
});
