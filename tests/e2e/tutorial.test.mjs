// The tutorial in Chromium: the lecture's CLI sequence typed into the terminal (keyboard, history, Tab, Ctrl-D,
// Ctrl-C), the live view following it, a broker killed and restarted from its button, and a lesson with a quiz.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, launchChromium, serveSite } from './helpers.mjs';

let site, browser;
before(async () => {
  site = await serveSite();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  site?.stop();
});

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
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(site.url);
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

  // Failover, from the Kill button of partition 0's leader.
  const before = await waitForView(page, (v) => v.topics[0].partitions.length === 3, 'partitions in the view');
  const p0 = before.topics[0].partitions[0];
  await page.locator(`.broker[data-broker="${p0.leader}"] button[data-action="kill"]`).click();
  const failed = await waitForView(page, (v) => v.topics[0].partitions[0].leader !== p0.leader && v.topics[0].partitions[0].leader !== null,
    'the leader moves after the controller fences the dead broker');
  assert.equal(failed.brokers.find((b) => b.id === p0.leader).alive, false);
  assert.ok(!failed.topics[0].partitions[0].isr.includes(p0.leader), 'the dead broker left the ISR');
  await page.locator(`.broker.down[data-broker="${p0.leader}"]`).waitFor();
  await page.screenshot({ path: artifactPath('tutorial-failover.png') });
  await page.locator(`.broker[data-broker="${p0.leader}"] button[data-action="restart"]`).click();
  await waitForView(page, (v) => v.topics[0].partitions[0].leader === p0.leader && v.topics[0].partitions[0].isr.length === 3,
    'restarted, it catches up and leads again');

  // Workers from the UI: a producer, and four consumers in one group on three partitions (one stays idle).
  await page.fill('form[data-kind="producer"] input[name="rate"]', '20');
  await page.click('form[data-kind="producer"] button');
  for (let i = 0; i < 4; i++) await page.click('form[data-kind="consumer"] button');
  await waitForView(page, (v) => {
    const g = v.groups.find((g) => g.group === 'workers');
    return g && g.members.length === 4 && g.members.filter((m) => m.partitions.length).length === 3;
  }, 'four consumer workers: three own a partition, one is idle', 30_000);
  await page.locator('#workers li', { hasText: 'producer' }).filter({ hasText: / [1-9]\d* sent/ }).waitFor({ timeout: 10_000 });
  await page.locator('#workers li', { hasText: 'consumer' }).filter({ hasText: / [1-9]\d* consumed/ }).first().waitFor({ timeout: 10_000 });
  await page.screenshot({ path: artifactPath('tutorial-workers.png') });
  await page.locator('#workers li', { hasText: 'consumer' }).first().locator('button').click();
  await waitForView(page, (v) => v.groups.find((g) => g.group === 'workers').members.length === 3,
    'a stopped consumer worker leaves the group after its session timeout', 30_000);

  // A lesson: its command runs from a click, and its quiz answers.
  await page.locator('#lessons button', { hasText: 'How many partitions?' }).click();
  await page.locator('.lesson code.try').first().click();
  await waitForText(page, /Partitions: 14[\s\S]*Partitions: 4 \(the larger/, 'the calculator, from the lesson');
  await page.locator('#lessons button', { hasText: 'CAP: a short quiz' }).click();
  await page.locator('.quiz button[data-answer="1"]').click();
  assert.match(await page.locator('.quiz .verdict').textContent(), /^Right\./);
  await page.screenshot({ path: artifactPath('tutorial.png') });
  assert.deepEqual(errors, []);
});

test('the tutorial fetches nothing from outside its own origin', async () => {
  const page = await browser.newPage();
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(site.url)) outside.push(r.url()); });
  await page.goto(site.url);
  await page.locator('#status[data-version]').waitFor({ timeout: 15_000 });
  assert.deepEqual(outside, []);
});
