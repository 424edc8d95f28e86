// Shared pieces of the end-to-end tests: the built site on a free port, and Debian's Chromium via Playwright.
import { spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const ARTIFACTS = `${ROOT}artifacts`;

/** Serves `root` (by default dist/, built by scripts/build-site.sh) on a free port. Returns { url, stop }. */
export async function serveSite(root = `${ROOT}dist`) {
  const child = spawn('node', [`${ROOT}scripts/serve.mjs`, root, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      const m = /at (http:\S+)/.exec(String(chunk));
      if (m) resolve(m[1]);
    });
  });
  return { url, stop: () => child.kill() };
}

/** Debian's Chromium, never a downloaded browser. Root needs --no-sandbox; the closed network needs the rest. */
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Where a test may save screenshots (gitignored; curated ones are copied to docs/). */
export function artifactPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return `${ARTIFACTS}/${name}`;
}

/** The crate version, as Cargo.toml declares it. */
export function crateVersion() {
  return /^version = "([^"]+)"/m.exec(readFileSync(`${ROOT}Cargo.toml`, 'utf8'))[1];
}

/** For one test file: serves dist/ and launches Chromium before its tests, and stops both after.
 * `const harness = withSiteAndBrowser();`, then `harness.site.url` and `harness.browser` in the tests. */
export function withSiteAndBrowser() {
  const env = {};
  before(async () => {
    env.site = await serveSite();
    env.browser = await launchChromium();
  });
  after(async () => {
    await env.browser?.close();
    env.site?.stop();
  });
  return env;
}
