// The tutorial in Chromium: the lecture's CLI sequence typed into the terminal (keyboard, history, Tab, Ctrl-D,
// Ctrl-C), the live view following it, a broker killed and restarted from its button, and a lesson with a quiz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, serveSite, withSiteAndBrowser } from './helpers.mjs';

const harness = withSiteAndBrowser();

const text = (page) => page.evaluate(() => window.tutorial.terminal.text());

async function waitForText(page, pattern, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  let last = '';
  while (Date.now() < end) {
    last = await text(page);
    if (pattern.test(last)) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: ${pattern} never appeared in the terminal:\n${last.trimEnd().split('\n').slice(-15).join('\n')}`);
}

/** Types a command into the terminal as a student would, and waits for the prompt to come back. */
async function run(page, command) {
  const before = (await text(page)).length;
  await page.evaluate((c) => window.tutorial.terminal.type(c), command);
  return (await text(page)).slice(Math.max(0, before - 200));
}

async function waitForView(page, ok, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  let view;
  while (Date.now() < end) {
    view = await page.evaluate(() => window.tutorial.view());
    if (view && ok(view)) return view;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: never seen; last view ${JSON.stringify(view)?.slice(0, 500)}`);
}

test('a student follows the lecture in the terminal, and watches a failover in the live view', async () => {
  const page = await harness.browser.newPage({ viewport: { width: 1600, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(harness.site.url);
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });

  // The keyboard, as a student uses it.
  await page.locator('#terminal').click();
  await page.keyboard.type('confluent logni');
  await page.keyboard.press('Enter');
  await waitForText(page, /Did you mean this\?\s+login/, 'a typo gets a suggestion');
  await page.keyboard.type('confluent log');
  await page.keyboard.press('Tab');
  await waitForText(page, /\$ confluent log\s+login\s+logout/, 'Tab lists the matching commands');
  await page.keyboard.type('in');
  await page.keyboard.press('Enter');
  await waitForText(page, /Logged in as "student@franz.local"/, 'login');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await waitForText(page, /\$ confluent logni\s*$/, 'history brings back earlier commands');
  await page.keyboard.press('Control+C');

  // The lecture's sequence.
  await run(page, 'confluent environment create msds682 -o json');
  const env = /"id": "(env-\w+)"/.exec(await waitForText(page, /"stream_governance_package": "ESSENTIALS"/, 'environment JSON'))[1];
  await run(page, `confluent environment use ${env}`);
  await page.waitForFunction(() => window.tutorial.done().includes('start'), null, { timeout: 10_000 });
  assert.ok(!(await page.evaluate(() => window.tutorial.done())).includes('cleanup'),
    'an account with nothing made yet is not a clean-up');
  await run(page, 'confluent kafka cluster create day2 --cloud gcp --region us-west1');
  const lkc = /\| ID\s+\| (lkc-\w+)/.exec(await waitForText(page, /\| REST Endpoint/, 'cluster create'))[1];
  await run(page, `confluent kafka cluster use ${lkc}`);
  await waitForView(page, (v) => v.brokers.length === 3 && v.brokers.every((b) => b.alive), 'three live brokers in the view');
  assert.equal(await page.locator('.broker.up').count(), 3);
  await run(page, `confluent api-key create --resource ${lkc} -o json`);
  const key = /"api_key": "(\w+)"/.exec(await waitForText(page, /"api_secret"/, 'api key'))[1];
  await run(page, `confluent api-key use ${key} --resource ${lkc}`);
  await run(page, 'confluent kafka topic create orders --partitions 3');
  await waitForText(page, /Created topic "orders"/, 'topic create');
  await run(page, 'confluent kafka topic produce orders --parse-key');
  await waitForText(page, /Starting Kafka Producer/, 'produce starts');
  for (const line of ['alice:one', 'bob:two', 'alice:three']) {
    await page.keyboard.type(line);
    await page.keyboard.press('Enter');
  }
  await waitForView(page, (v) => v.topics[0]?.partitions.reduce((n, p) => n + p.highWatermark, 0) === 3, 'three records in the view');
  await page.keyboard.press('Control+D');
  await run(page, 'confluent kafka topic consume orders -b --print-key');
  await waitForText(page, /alice\s+one[\s\S]*alice\s+three/, 'consume from the beginning, in order per key');
  await page.keyboard.press('Control+C');
  await waitForText(page, /\^C/, 'Ctrl-C stops the consume');

  // Record data is text, never HTML: values, and the headers the view shows beside them.
  await run(page, "confluent kafka topic produce orders --headers 'tag:<b>bold</b>'");
  await page.keyboard.type('<img src=x onerror="window.__xss=1">');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+D');
  await page.locator('#view .records', { hasText: '<img src=x onerror="window.__xss=1">' }).waitFor({ timeout: 5000 });
  await page.locator('#view .records .headers', { hasText: '[tag=<b>bold</b>]' }).waitFor({ timeout: 5000 });
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'the value was shown, not run');
  assert.equal(await page.locator('#view img, #view .records b').count(), 0);

  // Workers from the UI: a producer, and four consumers in one group on three partitions (one stays idle).
  await page.fill('form[data-kind="producer"] input[name="rate"]', '20');
  await page.click('form[data-kind="producer"] button');
  for (let i = 0; i < 4; i++) await page.click('form[data-kind="consumer"] button');
  await waitForView(page, (v) => {
    const g = v.groups.find((g) => g.group === 'workers');
    return g && g.members.length === 4 && g.members.filter((m) => m.partitions.length).length === 3;
  }, 'four consumer workers: three own a partition, one is idle', 30_000);
  // Each worker has its own clientId, so the panel's member ids tell the owners apart.
  await page.waitForFunction(() => {
    const owners = [...document.querySelectorAll('#view table[data-group="workers"] tr td:nth-child(2)')].map((td) => td.textContent);
    return owners.length === 3 && new Set(owners).size === 3 && owners.every((o) => /^consumer-\d+-\d+$/.test(o));
  }, null, { timeout: 10_000 });
  await page.locator('#workers li', { hasText: 'producer' }).filter({ hasText: / [1-9]\d* sent/ }).waitFor({ timeout: 10_000 });
  await page.locator('#workers li', { hasText: 'consumer' }).filter({ hasText: / [1-9]\d* consumed/ }).first().waitFor({ timeout: 10_000 });
  await page.screenshot({ path: artifactPath('tutorial-workers.png') });

  // Failover while the producer runs, from the Kill button of partition 0's leader: the view shows the new
  // leader within 2 s, and nothing the producer had acknowledged is lost.
  const before = await waitForView(page, (v) => v.topics[0].partitions.length === 3, 'partitions in the view');
  const p0 = before.topics[0].partitions[0];
  const killedAt = Date.now();
  await page.locator(`.broker[data-broker="${p0.leader}"] button[data-action="kill"]`).click();
  const failed = await waitForView(page, (v) => v.topics[0].partitions[0].leader !== p0.leader && v.topics[0].partitions[0].leader !== null,
    'the leader moves after the controller fences the dead broker', 5000);
  const movedMs = Date.now() - killedAt;
  console.log(`failover shown in the view after ${movedMs} ms`);
  assert.ok(movedMs < 2000, `the new leader shows within 2 s (took ${movedMs} ms)`);
  assert.equal(failed.brokers.find((b) => b.id === p0.leader).alive, false);
  assert.ok(!failed.topics[0].partitions[0].isr.includes(p0.leader), 'the dead broker left the ISR');
  await page.locator(`.broker.down[data-broker="${p0.leader}"]`).waitFor();
  await page.screenshot({ path: artifactPath('tutorial-failover.png') });
  await page.locator(`.broker[data-broker="${p0.leader}"] button[data-action="restart"]`).click();
  await waitForView(page, (v) => v.topics[0].partitions[0].leader === p0.leader && v.topics[0].partitions[0].isr.length === 3,
    'restarted, it catches up and leads again');
  // Stop the producer, then every record it had acknowledged must be in the topic.
  const producerRow = page.locator('#workers li', { hasText: 'producer' });
  const acked = Number(/(\d+) sent/.exec(await producerRow.textContent())[1]);
  await producerRow.locator('button').click();
  await waitForView(page, (v) => v.topics[0].partitions.reduce((n, p) => n + p.highWatermark, 0) >= acked + 4,
    `every acknowledged record is there (${acked} acknowledged by the producer worker, 4 typed)`);
  await page.locator('#workers li', { hasText: 'consumer' }).first().locator('button').click();
  await waitForView(page, (v) => v.groups.find((g) => g.group === 'workers').members.length === 3,
    'a stopped consumer worker leaves the group after its session timeout', 30_000);
  while (await page.locator('#workers li button').count()) await page.locator('#workers li button').first().click();

  // A partition moved between brokers from the terminal: onto two brokers, then back onto a third whose broker is
  // down, so the view shows that replica joining until the move is cancelled.
  const topic = before.topics[0].name;
  const p0Replicas = () => waitForView(page, () => true, 'a view').then((v) => v.topics[0].partitions[0]);
  const [keep1, keep2, moved] = (await p0Replicas()).replicas;
  await run(page, `franz partition reassign ${topic} --partition 0 --replicas ${keep1},${keep2}`);
  await waitForView(page, (v) => v.topics[0].partitions[0].replicas.join() === `${keep1},${keep2}`, 'partition 0 is on two brokers');
  await run(page, `franz broker kill ${moved}`);
  await run(page, `franz partition reassign ${topic} --partition 0 --replicas ${moved},${keep1},${keep2}`);
  await page.locator(`#view table[data-topic="${topic}"] tr[data-partition="0"] .replica.joining[data-replica="${moved}"]`).waitFor({ timeout: 5000 });
  await page.screenshot({ path: artifactPath('tutorial-reassign.png') });
  await run(page, 'franz partition list-reassignments');
  await waitForText(page, /Adding[^\n]*Removing[\s\S]*\[\d,\d,\d\][^\n]*\[\d\]/, 'the move is listed with the replica joining');
  await run(page, `franz partition reassign ${topic} --partition 0 --cancel`);
  await waitForView(page, (v) => v.topics[0].partitions[0].adding.length === 0 && v.topics[0].partitions[0].replicas.length === 2, 'the move is cancelled');
  await run(page, `franz broker restart ${moved}`);
  await waitForView(page, (v) => v.brokers.every((b) => b.alive), 'every broker is up again');

  // The remaining lessons: replication factor vs brokers, the calculator, racks, the quiz.
  await run(page, 'confluent kafka cluster create tiny --cloud gcp --region us-west1 --brokers 1');
  await waitForText(page, /\| Brokers \(franz\)\s+\| 1 /, 'a one-broker cluster');
  const tinyId = [...(await text(page)).matchAll(/\| ID\s+\| (lkc-\w+)/g)].at(-1)[1];
  await run(page, `confluent kafka topic create three-copies --replication-factor 3 --cluster ${tinyId}`);
  await waitForText(page, /three-copies": INVALID_REPLICATION_FACTOR/, 'three copies on one broker are refused');
  await page.goto(`${harness.site.url}#lesson/partition-count`);
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  await page.locator('.lesson code.try').first().click();
  await waitForText(page, /Partitions: 14[\s\S]*Partitions: 4 \(the larger/, 'the calculator, from the lesson');
  await page.locator('.lesson code.try').nth(1).click();
  await waitForText(page, /Created topic "payments"/, 'the estimated partition count, as a topic');
  // The lesson's check turns green from the live view, before the student moves on to another cluster.
  await page.waitForFunction(() => window.tutorial.done().includes('partition-count'), null, { timeout: 10_000 });
  await page.click('a[href="#lesson/racks"]');
  // A note's placeholders show as typed (they once vanished as unknown HTML tags).
  assert.match(await page.locator('.lesson small').innerText(), /confluent kafka cluster use <zones-cluster-id>/);
  await run(page, 'confluent kafka cluster create zones --cloud gcp --region us-west1 --racks a,b,c');
  const zones = [...(await waitForText(page, /\| Racks \(franz\)\s+\| a,b,c/, 'a cluster in racks')).matchAll(/\| ID\s+\| (lkc-\w+)/g)].at(-1)[1];
  await run(page, `confluent kafka cluster use ${zones}`);
  await waitForView(page, (v) => v.brokers.map((b) => b.rack).join() === 'a,b,c', 'brokers in racks in the view');
  await page.click('a[href="#lesson/cap"]');
  await page.locator('.quiz button[data-answer="1"]').click();
  assert.match(await page.locator('.quiz .verdict').textContent(), /^Right\./);
  await page.screenshot({ path: artifactPath('tutorial.png') });

  // Clean up, as the lecture ends; then every lesson is done.
  const status = await page.evaluate(() => window.tutorial.status());
  for (const c of status.clusters) await run(page, `confluent kafka cluster delete ${c.id}`);
  await run(page, `confluent environment delete ${env}`);
  await page.waitForFunction(() => window.tutorial.done().length === window.tutorial.lessons.length, null, { timeout: 10_000 })
    .catch(async () => assert.fail(`lessons done: ${await page.evaluate(() => window.tutorial.done())}`));
  assert.deepEqual(errors, []);
});

test('a reload keeps the clusters, the data and the lesson progress', async () => {
  const page = await harness.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(harness.site.url);
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  await run(page, 'confluent login');
  await run(page, 'confluent environment create keep -o json');
  const env = /"id": "(env-\w+)"/.exec(await waitForText(page, /"name": "keep"/, 'environment'))[1];
  await run(page, `confluent environment use ${env}`);
  await run(page, 'confluent kafka cluster create kept --cloud aws --region us-east-1');
  const lkc = /\| ID\s+\| (lkc-\w+)/.exec(await waitForText(page, /\| REST Endpoint/, 'cluster'))[1];
  await run(page, `confluent kafka cluster use ${lkc}`);
  await run(page, 'confluent kafka topic create survives --partitions 2');
  await page.waitForFunction(() => window.tutorial.done().includes('start'));
  await page.reload();
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  const view = await waitForView(page, (v) => v.cluster.id === lkc, 'the cluster in use after the reload');
  assert.deepEqual(view.topics.map((t) => t.name), ['survives']);
  assert.ok((await page.evaluate(() => window.tutorial.done())).includes('start'), 'progress persists');
  assert.match(await page.locator('#lessons li.done').first().textContent(), /./);

  // Reset everything, after a confirmation: every database and the progress go. The reset ends in a reload
  // after its deletions; the old page is marked, so that only the reloaded one's status is read.
  await page.evaluate(() => { window.beforeReset = true; });
  page.once('dialog', (d) => d.accept());
  await page.click('#reset');
  await page.waitForFunction(() => !window.beforeReset && window.tutorial?.status() != null, null, { timeout: 15_000 });
  const after = await page.evaluate(() => window.tutorial.status());
  assert.deepEqual([after.loggedIn, after.clusters.length, after.environments.length], [false, 0, 0], 'nothing left');
  assert.deepEqual(await page.evaluate(() => window.tutorial.done()), [], 'progress cleared');
  const databases = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  assert.ok(!databases.includes(`franz/${lkc}`), `the cluster's database is deleted: ${databases}`);
});

test('works offline once loaded: the server stops, a reload still starts the tutorial', async () => {
  const own = await serveSite();
  const context = await harness.browser.newContext();
  const page = await context.newPage();
  await page.goto(own.url);
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  // The service worker is ready once its install has cached every file of the site.
  await page.evaluate(() => navigator.serviceWorker.ready);
  own.stop();
  await new Promise((r) => setTimeout(r, 300));
  await page.reload();
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  await run(page, 'franz topic lint orders');
  await waitForText(page, /conventions suggest/, 'the CLI answers offline');
  await context.close();
});

test('a narrow (390 px) screen shows one column, terminal first, and loads quickly', async () => {
  const page = await harness.browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(harness.site.url);
  const status = page.locator('#status[data-version]');
  await status.waitFor({ timeout: 15_000 });
  const readyMs = Number(await status.getAttribute('data-ready-ms'));
  const wasm = Number(await status.getAttribute('data-wasm-bytes'));
  console.log(`first interaction after ${readyMs} ms; wasm ${wasm} bytes`);
  assert.ok(readyMs < 2000, `ready in under 2 s (${readyMs} ms)`);
  assert.ok(wasm > 0, 'the wasm size is reported');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
  const [terminal, lessons] = await Promise.all(['#console', '#lessons'].map((s) => page.locator(s).boundingBox()));
  assert.ok(terminal.y < lessons.y, 'the terminal comes first');
  await run(page, 'confluent login');
  await waitForText(page, /Logged in/, 'the terminal works on a phone');
  await page.screenshot({ path: artifactPath('tutorial-narrow.png'), fullPage: true });
});

test('the tutorial fetches nothing from outside its own origin', async () => {
  const page = await harness.browser.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(harness.site.url)) outside.push(r.url()); });
  await page.goto(harness.site.url);
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  assert.deepEqual(outside, []);
});
