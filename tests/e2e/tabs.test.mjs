// Real tabs and reloads in Chromium: a cluster survives a page reload, and only one tab owns it at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSiteAndBrowser } from './helpers.mjs';

const harness = withSiteAndBrowser();

/** Loads the site in `page` and opens `cluster` there; resolves with the error `type` if opening fails. */
async function openIn(page, cluster) {
  return page.evaluate(async (cluster) => {
    const { default: init, Kafka } = await import('./pkg/franz.js');
    await init();
    try {
      window.kafka = await Kafka.open({ cluster, brokers: 1, storage: 'indexeddb' });
      return 'opened';
    } catch (e) {
      return `${e.type}: ${e.message}`;
    }
  }, cluster);
}

test('a cluster survives a page reload', async () => {
  const context = await harness.browser.newContext();
  const page = await context.newPage();
  await page.goto(harness.site.url);
  assert.equal(await openIn(page, 'reload'), 'opened');
  await page.evaluate(async () => {
    await window.kafka.admin().createTopics({ topics: [{ topic: 'kept' }] });
    const p = window.kafka.producer();
    await p.connect();
    await p.send({ topic: 'kept', messages: [{ key: 'k', value: 'before reload' }] });
  });
  await page.reload();
  assert.equal(await openIn(page, 'reload'), 'opened');
  const offsets = await page.evaluate(() => window.kafka.admin().fetchTopicOffsets('kept'));
  assert.deepEqual(offsets, [{ partition: 0, offset: '1', high: '1', low: '0' }]);
  await context.close();
});

test('a second tab cannot open a cluster another tab owns, until that tab goes', async () => {
  const context = await harness.browser.newContext();
  const [first, second] = [await context.newPage(), await context.newPage()];
  await first.goto(harness.site.url);
  await second.goto(harness.site.url);
  assert.equal(await openIn(first, 'shared'), 'opened');
  await first.evaluate(() => window.kafka.admin().createTopics({ topics: [{ topic: 'owned' }] }));
  const refused = await openIn(second, 'shared');
  assert.match(refused, /^CLUSTER_LOCKED: .*"shared"/);
  await first.close(); // the owner tab goes away; the browser releases its lock soon after
  let reopened = refused;
  for (let tries = 0; tries < 30 && reopened !== 'opened'; tries++) {
    await new Promise((r) => setTimeout(r, 100)); // CLUSTER_LOCKED is retriable: retry as a client would
    reopened = await openIn(second, 'shared');
  }
  assert.equal(reopened, 'opened');
  assert.deepEqual(await second.evaluate(() => window.kafka.admin().listTopics()), ['owned'], 'nothing was lost');
  await context.close();
});
