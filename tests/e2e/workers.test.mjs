// franz as workers, end to end in Chromium: a broker-host worker, and the package's ready-made producer and
// consumer workers (franz/worker), each talking to the host through a MessageChannel of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, serveSite, ROOT } from './helpers.mjs';

let site, browser;
before(async () => {
  site = await serveSite(ROOT); // the repository: pkg/ with pkg/worker/
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  site?.stop();
});

/** Runs `body` in a fresh page with franz/worker imported as `w` and helpers as `h`; fails on page errors. */
async function inPage(body, arg) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.url}www/index.html`);
  await page.addScriptTag({
    type: 'module',
    content: `
      import * as w from '/pkg/worker/index.js';
      window.w = w;
      window.h = {
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        until: async (cond, ms, what) => {
          const end = Date.now() + ms;
          while (!(await cond())) {
            if (Date.now() > end) throw new Error('timed out waiting for ' + what);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      };`,
  });
  await page.waitForFunction(() => window.w && window.h);
  const result = await page.evaluate(body, arg);
  await page.close();
  assert.deepEqual(errors, []);
  return result;
}

/** Groups [partition, offset, value] records by partition, checking offsets run 0.. with no gap or repeat. */
function byPartition(records, label) {
  const parts = new Map();
  for (const [partition, offset, value] of records) {
    if (!parts.has(partition)) parts.set(partition, []);
    parts.get(partition).push([offset, value]);
  }
  for (const [partition, list] of parts) {
    list.forEach(([offset], i) => assert.equal(offset, i, `${label}, partition ${partition}: offsets 0.. without gaps or repeats`));
  }
  return parts;
}

test('3 producer workers and 2 consumer workers in one group through a broker-host worker: every record once by offset, in order per partition', async () => {
  const result = await inPage(async () => {
    const host = await w.BrokerHost.start({ cluster: 'workers', brokers: 3, storage: 'memory' });
    const changes = [];
    host.on('cluster.change', (e) => changes.push(e));
    const admin = (await host.connect()).admin();
    await admin.createTopics({ topics: [{ topic: 'clicks', numPartitions: 4, replicationFactor: 2 }] });
    const consumers = [1, 2].map(() => {
      const records = [];
      const c = w.spawnConsumer(host, { topic: 'clicks', groupId: 'readers', echo: true, heartbeatInterval: 200, sessionTimeout: 3000 });
      c.on('consumed', (r) => records.push(...r.records));
      return { c, records };
    });
    // Both members hold their partitions before anything is sent: a rebalance after the first reads would move a
    // partition that one of them had read from (at other offsets) to the other.
    const kafka = await host.connect();
    const describe = () => kafka.consumer({ groupId: 'readers' }).describeGroup();
    const stableOfTwo = async () => { const d = await describe(); return d.state === 'Stable' && d.members.length === 2; };
    await h.until(stableOfTwo, 10000, 'a stable group of two before the producers start');
    // The second producer compresses its sends with GZIP: its records read back as any others.
    const producers = [1, 2, 3].map((id) => w.spawnProducer(host, { topic: 'clicks', rate: 0, count: 1000, key: `w${id}-{n}`, keySpace: 7, value: `w${id}:{n}`, compression: id === 2 ? 1 : 0 }));
    const acked = (await Promise.all(producers.map((p) => p.done))).reduce((n, r) => n + r.acked, 0);
    await h.until(() => consumers.reduce((n, { records }) => n + records.length, 0) >= 3000, 10000, 'the group to read everything');
    await h.sleep(300); // anything read twice would show now
    await h.until(stableOfTwo, 10000, 'a stable group of two');
    const group = await describe();
    await Promise.all(consumers.map(({ c }) => c.stop()));
    return {
      acked,
      seen: consumers.map(({ records }) => records),
      changes: changes.length,
      assignment: group.members.map((m) => m.memberAssignment.map((a) => a.partition)),
    };
  });
  assert.equal(result.acked, 3000);
  assert.ok(result.changes >= 1, 'the page heard cluster.change events from the host worker');
  assert.equal(result.assignment.length, 2, 'two members');
  assert.deepEqual(result.assignment.flat().sort(), [0, 1, 2, 3], 'they split the four partitions');
  assert.ok(result.assignment.every((a) => a.length === 2), 'evenly');
  const [a, b] = result.seen.map((records) => new Set(records.map(([p]) => p)));
  assert.ok([...a].every((p) => !b.has(p)), 'no partition read by both');
  const all = result.seen.flat();
  assert.equal(all.length, 3000, 'every acknowledged record arrived once, across the group');
  const values = new Set();
  for (const [partition, records] of byPartition(all.sort((x, y) => x[0] - y[0] || x[1] - y[1]), 'the group')) {
    for (const id of [1, 2, 3]) {
      const mine = records.map(([, v]) => v).filter((v) => v.startsWith(`w${id}:`)).map((v) => Number(v.split(':')[1]));
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y), `partition ${partition}, producer ${id}: in order`);
    }
    records.forEach(([, v]) => values.add(v));
  }
  assert.equal(values.size, 3000, 'no record twice');
});

test('4 consumer workers on 3 partitions: one idles; the partitions of a killed one move within the session timeout; lag is the log end minus the committed offset', async () => {
  const result = await inPage(async () => {
    const host = await w.BrokerHost.start({ cluster: 'group-e2e', storage: 'memory' });
    const kafka = await host.connect();
    const admin = kafka.admin();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const send = (from, n) => producer.send({ topic: 'jobs', messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `job${from + i}` })) });
    await send(0, 300);
    const group = { groupId: 'workers', sessionTimeout: 1500, heartbeatInterval: 200 };
    const consumers = [0, 1, 2, 3].map(() => {
      const c = { records: [] };
      c.worker = w.spawnConsumer(host, { topic: 'jobs', echo: true, ...group });
      c.worker.on('consumed', (r) => c.records.push(...r.records));
      return c;
    });
    const stable = async (n) => {
      const d = await kafka.consumer({ groupId: 'workers' }).describeGroup();
      return d.state === 'Stable' && d.members.length === n ? d : null;
    };
    await h.until(() => stable(4), 10000, 'four members');
    const four = (await stable(4)).members.map((m) => m.memberAssignment.map((a) => a.partition));
    const read = () => consumers.flatMap((c) => c.records);
    await h.until(() => new Set(read().map(([p, o]) => `${p}@${o}`)).size >= 300, 10000, 'the first 300 read');
    // Kill a member that owns a partition, while more records arrive.
    const owner = consumers.find((c) => c.records.length > 0);
    const ownerPartition = owner.records[0][0];
    await send(300, 300);
    await h.sleep(50);
    owner.worker.terminate();
    const killedAt = Date.now();
    const readByOwner = owner.records.slice();
    await h.sleep(30); // commits already on their way land; a dead worker sends nothing more
    const committedAtKill = Number((await admin.fetchOffsets({ groupId: 'workers', topics: ['jobs'] }))[0].partitions.find((p) => p.partition === ownerPartition).offset);
    const uncommittedWindow = readByOwner.filter(([p, o]) => p === ownerPartition && o >= committedAtKill).length;
    await h.until(() => stable(3), 10000, 'the group to drop the killed member');
    const movedAfterMs = Date.now() - killedAt;
    const three = (await stable(3)).members.map((m) => m.memberAssignment.map((a) => a.partition));
    await h.until(() => new Set(read().map(([p, o]) => `${p}@${o}`)).size >= 600, 10000, 'all 600 read');
    await h.sleep(300);
    const survivors = consumers.filter((c) => c !== owner);
    await Promise.all(survivors.map((c) => c.worker.stop()));
    const lagAfterAll = await admin.fetchGroupLag({ groupId: 'workers' });
    await send(600, 10);
    const lag = await admin.fetchGroupLag({ groupId: 'workers' });
    const high = await admin.fetchTopicOffsets('jobs');
    const committed = (await admin.fetchOffsets({ groupId: 'workers', topics: ['jobs'] }))[0].partitions;
    return { four, three, movedAfterMs, committedAtKill, uncommittedWindow, ownerPartition, records: read(), lagAfterAll, lag, high, committed };
  });
  assert.deepEqual(result.four.map((a) => a.length).sort(), [0, 1, 1, 1], 'exactly three own a partition, one idles');
  assert.deepEqual(result.three.flat().sort(), [0, 1, 2], 'after the kill, the three left own every partition');
  assert.ok(result.movedAfterMs < 1500 + 2500, `moved within the session timeout plus a tick: ${result.movedAfterMs} ms`);
  const counts = new Map();
  for (const [p, o] of result.records) counts.set(`${p}@${o}`, (counts.get(`${p}@${o}`) ?? 0) + 1);
  assert.equal(counts.size, 600, 'every record read');
  const twice = [...counts].filter(([, n]) => n > 1).map(([k]) => k.split('@').map(Number));
  assert.ok(twice.every(([p]) => p === result.ownerPartition), 'only the partition of the killed member is read again');
  assert.ok(twice.every(([, o]) => o >= result.committedAtKill), 'nothing committed is read again');
  assert.ok(twice.length <= result.uncommittedWindow, `re-read ${twice.length} <= the ${result.uncommittedWindow} it had read past its commit`);
  assert.ok(result.lagAfterAll.every((l) => l.lag === '0'), 'no lag once everything is read and committed');
  const byPartition = new Map(result.high.map((h) => [h.partition, Number(h.high)]));
  for (const l of result.lag) {
    const c = result.committed.find((p) => p.partition === l.partition);
    assert.equal(l.committed, c.offset);
    assert.equal(Number(l.logEndOffset), byPartition.get(l.partition));
    assert.equal(Number(l.lag), Number(l.logEndOffset) - Number(l.committed), `partition ${l.partition}: lag = LEO - committed`);
  }
  assert.equal(result.lag.reduce((n, l) => n + Number(l.lag), 0), 10, 'the 10 records sent after the group stopped');
});

test('a producer worker terminated mid-stream: everything it was acknowledged for is kept, and the host drops it', async () => {
  const result = await inPage(async () => {
    const host = await w.BrokerHost.start({ cluster: 'killed-producer', storage: 'memory' }, { clientTimeout: 1000 });
    const kafka = await host.connect();
    await kafka.admin().createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
    const producer = w.spawnProducer(host, { topic: 'events', rate: 3000, batchSize: 30, key: null, value: 'p:{n}' });
    let acked = 0;
    producer.on('progress', (r) => (acked = r.acked));
    await h.until(() => acked >= 300, 10000, '300 acknowledged');
    const clientsBefore = (await host.stats()).clients;
    producer.terminate();
    const ackedAtKill = acked;
    await h.until(async () => (await host.stats()).clients === clientsBefore - 1, 4000, 'the host to drop the dead client');
    const offsets = await kafka.admin().fetchTopicOffsets('events');
    const stored = offsets.reduce((n, p) => n + Number(p.high), 0);
    const consumer = kafka.consumer({ groupId: 'check' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    const values = [];
    await consumer.run({ eachMessage: async ({ message }) => { values.push(new TextDecoder().decode(message.value)); } });
    await h.until(() => values.length >= stored, 5000, 'reading everything back');
    await consumer.stop();
    return { ackedAtKill, stored, values, clientsBefore };
  });
  assert.ok(result.ackedAtKill >= 300);
  assert.ok(result.stored >= result.ackedAtKill, `${result.stored} stored >= ${result.ackedAtKill} acknowledged`);
  const values = new Set(result.values);
  assert.equal(values.size, result.values.length, 'no record twice');
  for (let n = 0; n < result.ackedAtKill; n++) assert.ok(values.has(`p:${n}`), `acknowledged record p:${n} is kept`);
});

test('the broker-host worker killed and restarted on IndexedDB: no acknowledged record is lost, and a group resumes from its committed offsets', async () => {
  const result = await inPage(async () => {
    const config = { cluster: 'restart-e2e', brokers: 3, storage: 'indexeddb' };
    const host = await w.BrokerHost.start(config);
    const kafka = await host.connect();
    await kafka.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
    const acked = { 1: 0, 2: 0 };
    const producers = [1, 2].map((id) => {
      const p = w.spawnProducer(host, { topic: 'orders', rate: 1500, count: 600, batchSize: 20, idempotent: true, key: `c${id}-{n}`, value: `w${id}:{n}` });
      p.on('progress', (r) => (acked[id] = r.acked));
      return p;
    });
    const seen = [];
    const consumer = w.spawnConsumer(host, { topic: 'orders', groupId: 'billing', echo: true });
    consumer.on('consumed', (r) => seen.push(...r.records));
    await h.until(() => acked[1] >= 150 && acked[2] >= 150 && seen.length > 0, 10000, 'traffic before the crash');
    host.terminate(); // a crash: nothing is closed or flushed
    const ackedAtCrash = { ...acked };
    await h.sleep(300);
    await host.restart();
    const done = await Promise.all(producers.map((p) => p.done));
    await h.until(() => seen.length >= 1200, 15000, 'the consumer to catch up after the restart');
    await h.sleep(200);
    await consumer.stop(); // commits
    // A new member of the group starts where the group's committed offsets are: only new records reach it.
    const after = [];
    const next = w.spawnConsumer(host, { topic: 'orders', groupId: 'billing', echo: true });
    next.on('consumed', (r) => after.push(...r.records));
    await h.sleep(300);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ key: `late-${i}`, value: `late:${i}` })) });
    await h.until(() => after.length >= 10, 5000, 'the new member to read the new records');
    await h.sleep(200);
    await next.stop();
    return { ackedAtCrash, done: done.map((d) => d.acked), seen, after, stats: await host.stats() };
  });
  assert.ok(result.ackedAtCrash[1] >= 150 && result.ackedAtCrash[2] >= 150);
  assert.deepEqual(result.done, [600, 600], 'both producers rode out the restart (their sends were retried)');
  const parts = byPartition(result.seen, 'across the restart');
  const values = new Set([...parts.values()].flatMap((list) => list.map(([, v]) => v)));
  assert.equal(values.size, result.seen.length, 'no record twice: idempotent retries were not written again');
  for (const id of [1, 2]) {
    for (let n = 0; n < 600; n++) assert.ok(values.has(`w${id}:${n}`), `acknowledged record w${id}:${n} survived the crash`);
  }
  assert.deepEqual(result.after.map(([, , v]) => v).sort(), Array.from({ length: 10 }, (_, i) => `late:${i}`).sort(), 'the new member read only what came after the committed offsets');
  assert.equal(result.stats.storage, 'indexeddb');
});

test('garbage sent to the broker-host worker gets error answers, and other clients are unaffected', async () => {
  const result = await inPage(async () => {
    const host = await w.BrokerHost.start({ cluster: 'garbage', storage: 'memory' });
    const kafka = await host.connect();
    await kafka.admin().createTopics({ topics: [{ topic: 't' }] });
    const raw = host.port();
    const answers = [];
    raw.onmessage = ({ data }) => answers.push(data);
    const junkBytes = new Uint8Array(80).map((_, i) => (i * 37) & 255);
    const junk = junkBytes.slice().buffer;
    raw.postMessage({ id: 1, kind: 'Produce', acks: 1, partitions: [{ topic: 't', partition: 0, records: junk }] }, [junk]);
    raw.postMessage({ id: 2, kind: 'Explode' });
    raw.postMessage({ nonsense: true });
    raw.postMessage('just a string');
    raw.postMessage({ id: 3, kind: 'Fetch', partitions: 'all of them' });
    // Frames (src/core/frame.rs), written by hand: a Produce of the junk as its one partition's records; one
    // with a head and no body; and a buffer that is no frame at all.
    const frame = (id, kind, body) => {
      const out = new Uint8Array(17 + body.length);
      const view = new DataView(out.buffer);
      out.set([0x66, 0x72, 0x7a, 1]);
      view.setUint32(4, out.length);
      view.setFloat64(8, id);
      view.setInt8(16, kind);
      out.set(body, 17);
      return out.buffer;
    };
    const produceBody = new Uint8Array(2 + 4 + 4 + 3 + 4 + 4 + 80);
    const body = new DataView(produceBody.buffer);
    body.setInt16(0, 1); // acks
    body.setInt32(2, 30000); // timeout
    body.setInt32(6, 1); // one partition
    body.setInt16(10, 1); // topic 't'
    produceBody[12] = 116;
    body.setInt32(13, 0); // partition 0
    body.setInt32(17, 80); // records: the junk
    produceBody.set(junkBytes, 21);
    const framed = [frame(4, 1, produceBody), frame(5, 1, new Uint8Array(0)), new Uint8Array(40).fill(7).buffer];
    for (const f of framed) raw.postMessage(f, [f]);
    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.send({ topic: 't', messages: [{ value: 'fine' }] });
    await h.until(() => answers.length >= 8, 3000, 'eight answers');
    // A logCreator cannot cross to the host's worker: a clear error rather than a DataCloneError.
    const logCreator = await w.BrokerHost.start({ cluster: 'logged', logCreator: () => () => {} }).then(() => null, (e) => [e.name, e.type, e.message]);
    // A frame's answer is a frame: its id, kind, and the first error name in it.
    const read = (buffer) => {
      const view = new DataView(buffer);
      const kind = view.getInt8(16);
      const at = kind === 2 ? 17 + 4 + 2 + view.getInt16(21) + 4 : 17; // past a Produce answer's topic and partition
      const name = new TextDecoder().decode(new Uint8Array(buffer, at + 2, view.getInt16(at)));
      return { id: view.getFloat64(8), frameKind: kind, error: { type: name } };
    };
    const readable = answers.map((a) => (a instanceof ArrayBuffer ? read(a) : a));
    return { answers: readable, sent, high: (await kafka.admin().fetchTopicOffsets('t'))[0].high, logCreator };
  });
  const byId = new Map(result.answers.map((a) => [a.id, a]));
  assert.equal(byId.get(1).body[0].error.type, 'CORRUPT_MESSAGE', 'a batch with a bad CRC');
  assert.equal(byId.get(2).error.type, 'INVALID_REQUEST', 'an unknown kind');
  assert.equal(byId.get(3).error.type, 'INVALID_REQUEST', 'a malformed field');
  assert.deepEqual([byId.get(4).frameKind, byId.get(4).error.type], [2, 'CORRUPT_MESSAGE'], 'a framed batch with a bad CRC');
  assert.deepEqual([byId.get(5).frameKind, byId.get(5).error.type], [5, 'INVALID_REQUEST'], 'a frame cut short');
  assert.equal(result.answers.filter((a) => a.id === null && a.error?.type === 'INVALID_REQUEST').length, 3, 'envelopes without an id, and a buffer that is no frame');
  assert.equal(result.sent[0].baseOffset, '0', 'the other client was served');
  assert.equal(result.high, '1', 'nothing of the garbage was written');
  assert.deepEqual(result.logCreator?.slice(0, 2), ['TypeError', 'INVALID_REQUEST']);
  assert.match(result.logCreator[2], /cannot take logCreator/);
});

test('a byte changed between host and consumer: a consumer with checkCrcs gets CORRUPT_MESSAGE; by default, as KafkaJS, it reads on', async () => {
  const result = await inPage(async () => {
    const { default: init, Kafka } = await import('/pkg/franz.js');
    await init();
    const host = await w.BrokerHost.start({ cluster: 'crc-relay', storage: 'memory' });
    const kafka = await host.connect();
    await kafka.admin().createTopics({ topics: [{ topic: 't' }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 't', messages: [{ value: 'aaaaaaaa' }] });
    /** A consumer reached through a relay that changes one byte of the value in every answer from the host. */
    const consume = async (config) => {
      const toHost = host.port();
      const { port1, port2 } = new MessageChannel();
      const buffers = (v, out = new Set()) => {
        if (v instanceof ArrayBuffer) out.add(v);
        else if (ArrayBuffer.isView(v)) out.add(v.buffer);
        else if (v && typeof v === 'object') for (const k in v) buffers(v[k], out);
        return [...out];
      };
      const corrupt = (buffer) => {
        const bytes = new Uint8Array(buffer);
        for (let i = 0; i + 8 <= bytes.length; i++) if (bytes.subarray(i, i + 8).every((b) => b === 97)) bytes[i] = 98;
      };
      port1.onmessage = ({ data }) => toHost.postMessage(data, buffers(data));
      toHost.onmessage = ({ data }) => {
        buffers(data).forEach(corrupt);
        port1.postMessage(data, buffers(data));
      };
      const consumer = (await Kafka.connect(port2)).consumer({ groupId: `g-${config.checkCrcs}`, ...config });
      let crash = null;
      const values = [];
      consumer.on('consumer.crash', (e) => (crash = e.payload.error));
      await consumer.connect();
      await consumer.subscribe({ topic: 't', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => values.push(new TextDecoder().decode(message.value)) });
      await h.until(() => crash || values.length > 0, 5000, 'a crash or a message');
      await consumer.disconnect();
      return { crash: crash && { type: crash.type, name: crash.name, message: crash.message }, values };
    };
    return { checked: await consume({ checkCrcs: true }), trusted: await consume({}) };
  });
  assert.equal(result.checked.crash?.type, 'CORRUPT_MESSAGE', JSON.stringify(result.checked));
  assert.match(result.checked.crash.message, /CRC mismatch/);
  assert.deepEqual(result.checked.values, [], 'nothing of the corrupted batch reached the handler');
  assert.deepEqual(result.trusted, { crash: null, values: ['baaaaaaa'] }, 'without checkCrcs the changed byte reads through');
});

test('workers as users (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER): a transactional producer worker writes what its ACLs allow, read_committed consumers skip its aborted transactions, and bad credentials are refused', async () => {
  const result = await inPage(async () => {
    const users = { admin: 'admin-pw', writer: 'writer-pw', reader: 'reader-pw' };
    const mechanisms = { admin: 'plain', writer: 'scram-sha-512', reader: 'scram-sha-256' };
    const as = (username, password = users[username]) => ({ sasl: { mechanism: mechanisms[username], username, password } });
    // An unsecured JWT (`"alg": "none"`, no signature), as Kafka's default OAUTHBEARER validator takes them.
    const now = Math.floor(Date.now() / 1000);
    const section = (o) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const bearer = (sub, exp = now + 600) => ({ sasl: { mechanism: 'oauthbearer', token: `${section({ alg: 'none' })}.${section({ sub, exp })}.` } });
    const host = await w.BrokerHost.start({ cluster: 'workers-acl', storage: 'memory', users, oauthBearer: true, authorizer: { superUsers: ['User:admin'] }, ...as('admin') });
    const admin = (await host.connect(as('admin'))).admin();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    const allow = (resourceType, resourceName, resourcePatternType, principal, operation) =>
      ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType: 3 });
    // TOPIC 2, GROUP 3, TRANSACTIONAL_ID 5; LITERAL 3, PREFIXED 4; READ 3, WRITE 4.
    await admin.createAcls({ acl: [
      allow(2, 'ledger', 3, 'User:writer', 4), allow(5, 'ledger-tx', 3, 'User:writer', 4),
      allow(2, 'ledger', 3, 'User:reader', 3), allow(3, 'audit-', 4, 'User:reader', 3),
    ] });
    const read = (groupId, readUncommitted, credentials) => {
      const records = [];
      const c = w.spawnConsumer(host, { topic: 'ledger', groupId, echo: true, readUncommitted, ...credentials });
      c.on('consumed', (r) => records.push(...r.records));
      return { c, records };
    };
    // User:reader twice: with SCRAM, and with a token whose subject is reader.
    const committed = read('audit-committed', false, as('reader'));
    const everything = read('audit-all', true, bearer('reader'));
    const producer = w.spawnProducer(host, { topic: 'ledger', rate: 0, count: 60, batchSize: 10, key: 'k{n}', transactionalId: 'ledger-tx', abortEvery: 3, ...as('writer') });
    const done = await producer.done;
    await h.until(() => everything.records.length >= 80 && committed.records.length >= 60, 10000, 'both consumers to read');
    await h.sleep(300); // anything more would show now
    await Promise.all([committed, everything].map(({ c }) => c.stop()));
    const failed = (options) => new Promise((resolve) => {
      const p = w.spawnProducer(host, { topic: 'ledger', count: 1, ...options });
      p.on('failed', (e) => { p.terminate(); resolve(e.error.type); });
    });
    return {
      done,
      committed: committed.records.map(([, , v]) => v),
      everything: everything.records.length,
      wrongPassword: await failed(as('writer', 'guess')),
      expiredToken: await failed(bearer('writer', now - 1)),
      noCredentials: await failed({ transactionalId: 'ledger-tx' }),
    };
  });
  assert.deepEqual([result.done.acked, result.done.aborted], [60, 20], 'six transactions committed; the 3rd and 6th of the eight aborted');
  assert.equal(result.committed.length, 60, 'read_committed reads the committed records, once each');
  const numbers = result.committed.map((v) => Number(v.split(' ')[1])).sort((a, b) => a - b);
  assert.equal(new Set(numbers).size, 60, 'no record twice');
  assert.equal(result.everything, 80, 'read_uncommitted reads the aborted ones too');
  assert.equal(result.wrongPassword, 'SASL_AUTHENTICATION_FAILED');
  assert.equal(result.expiredToken, 'SASL_AUTHENTICATION_FAILED');
  assert.equal(result.noCredentials, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'User:ANONYMOUS may not use the transactional id');
});
