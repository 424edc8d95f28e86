// Producers and consumers as real Web Workers, each talking to a cluster the page hosts through a MessageChannel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, serveSite, ROOT } from './helpers.mjs';

let site, browser;
before(async () => {
  site = await serveSite(ROOT); // the repository: pkg/ and the worker scripts
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  site?.stop();
});

test('3 producer workers and a consumer worker: every record once by offset, in order per partition', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.url}www/index.html`);
  const result = await page.evaluate(async () => {
    const { default: init, Kafka } = await import('/pkg/franz.js');
    await init();
    const host = await Kafka.open({ cluster: 'workers', brokers: 3, storage: 'memory' });
    await host.admin().createTopics({ topics: [{ topic: 'clicks', numPartitions: 3, replicationFactor: 2 }] });
    /** Starts a worker whose port the host serves; resolves with the worker's one report. */
    const start = (script, data) => {
      const { port1, port2 } = new MessageChannel();
      host.serve(port1);
      const worker = new Worker(script, { type: 'module' });
      const report = new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
      });
      worker.postMessage({ ...data, port: port2 }, [port2]);
      return report;
    };
    const producers = [1, 2, 3].map((id) => start('/tests/e2e/workers/producer.js', { topic: 'clicks', count: 1000, id }));
    const consumed = start('/tests/e2e/workers/consumer.js', { topic: 'clicks', expect: 3000, groupId: 'readers' });
    const acked = (await Promise.all(producers)).reduce((n, r) => n + r.acked, 0);
    const { seen } = await consumed;
    return { acked, seen };
  });
  assert.deepEqual(errors, []);
  assert.equal(result.acked, 3000);
  assert.equal(result.seen.length, 3000, 'every acknowledged record arrived');
  const byPartition = new Map();
  for (const [partition, offset, value] of result.seen) {
    if (!byPartition.has(partition)) byPartition.set(partition, []);
    byPartition.get(partition).push([offset, value]);
  }
  const values = new Set();
  for (const [partition, records] of byPartition) {
    records.forEach(([offset], i) => assert.equal(offset, i, `partition ${partition}: offsets 0.. without gaps or repeats`));
    // Each producer's records keep their order within a partition.
    for (const w of [1, 2, 3]) {
      const mine = records.map(([, v]) => v).filter((v) => v.startsWith(`w${w}:`)).map((v) => Number(v.split(':')[1]));
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `partition ${partition}, producer ${w}: in order`);
    }
    records.forEach(([, v]) => values.add(v));
  }
  assert.equal(values.size, 3000, 'no record twice');
});
