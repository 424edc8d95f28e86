// The served site loads the wasm module in Chromium and shows franz's version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, crateVersion, withSiteAndBrowser } from './helpers.mjs';

const harness = withSiteAndBrowser();

test('the placeholder page loads the wasm module and shows its version', async () => {
  const page = await harness.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(harness.site.url);
  const status = page.locator('#status[data-version]');
  await status.waitFor({ timeout: 10_000 });
  assert.equal(await status.getAttribute('data-version'), crateVersion());
  assert.match(await status.textContent(), new RegExp(`franz ${crateVersion().replaceAll('.', '\\.')} loaded`));
  assert.deepEqual(errors, []);
  await page.screenshot({ path: artifactPath('placeholder.png') });
});

test('the wasm module is served with the MIME type streaming compilation needs', async () => {
  const res = await fetch(new URL('pkg/franz_bg.wasm', harness.site.url));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/wasm');
});
