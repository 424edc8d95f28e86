// The JS API scenarios the browser tests run (tests/web_api.rs, tests/web_durable.rs): plain JavaScript, as a
// user writes it. Each scenario throws on its first failed check.

function check(cond, what) { if (!cond) throw new Error('check failed: ' + what); }
function eq(a, b, what) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`${what}: expected ${y}, got ${x}`);
}
const text = (bytes) => (bytes == null ? null : new TextDecoder().decode(bytes));
async function rejects(promise, expect, what) {
  try { await promise; } catch (e) {
    for (const [k, v] of Object.entries(expect)) {
      if (k === 'message') { check(e.message.includes(v), `${what}: message ${e.message} mentions ${v}`); continue; }
      eq(e[k], v, `${what}: error.${k}`);
    }
    check(e instanceof Error, `${what}: is an Error`);
    return e;
  }
  throw new Error(`${what}: expected a rejection`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function throws(fn, expect, what) { return rejects((async () => fn())(), expect, what); }


// ---- tests/web_api.rs: the API over a memory cluster

/** Collects messages with eachMessage until `count` have arrived, then stops the consumer. */
async function consume(consumer, count, opts = {}) {
  const got = [];
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({ ...opts, eachMessage: async ({ topic, partition, message }) => {
    got.push({ topic, partition, offset: message.offset, key: text(message.key), value: text(message.value),
               timestamp: message.timestamp, headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, text(v)])) });
    if (got.length === count) done();
  } });
  await Promise.race([finished, new Promise((_, no) => setTimeout(() => no(new Error(`only ${got.length} of ${count} arrived`)), 5000))]);
  await consumer.stop();
  return got;
}

export async function roundTrip(kafka) {
  const admin = kafka.admin();
  await admin.connect();
  eq(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }] }), true, 'created');
  eq(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'already existed');
  eq(await admin.listTopics(), ['orders'], 'listTopics');

  const producer = kafka.producer();
  await producer.connect();
  const sent = await producer.send({ topic: 'orders', messages: [
    { key: 'alice', value: 'first', headers: { source: 'web' }, timestamp: '1700000000000' },
    { key: 'alice', value: new TextEncoder().encode('second'), timestamp: 1700000000001 },
    { key: null, value: 'no key', partition: 2, timestamp: '1700000000002' },
  ] });
  check(sent.every((m) => m.topicName === 'orders' && m.errorCode === 0 && typeof m.baseOffset === 'string'), 'RecordMetadata shape');
  const alice = sent.find((m) => m.partition !== 2 || sent.length === 1);

  const consumer = kafka.consumer({ groupId: 'billing' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  const got = await consume(consumer, 3);
  const byValue = Object.fromEntries(got.map((m) => [m.value, m]));
  eq(byValue.first.key, 'alice', 'key');
  eq(byValue.first.headers, { source: 'web' }, 'headers');
  eq(byValue.first.timestamp, '1700000000000', 'timestamp as a string');
  eq(byValue.second.partition, byValue.first.partition, 'same key, same partition');
  eq(Number(byValue.second.offset), Number(byValue.first.offset) + 1, 'order within the partition');
  eq(byValue['no key'].partition, 2, 'explicit partition');
  eq(byValue['no key'].key, null, 'null key');

  // Mixed text in one send: non-ASCII takes the packer's slow path; bytes and strings interleave.
  await admin.createTopics({ topics: [{ topic: 'text', numPartitions: 1 }] });
  const mixed = [
    { key: 'ünï', value: 'çödé ✓ 日本', headers: { 'ключ': 'значение', raw: new Uint8Array([0, 255]) } },
    { key: new Uint8Array([1, 2, 3]), value: 'plain' },
    { value: '' },
  ];
  await producer.send({ topic: 'text', messages: mixed });
  const reader = kafka.consumer({ groupId: 'text-reader' });
  await reader.connect();
  await reader.subscribe({ topic: 'text', fromBeginning: true });
  const texts = await consume(reader, 3);
  eq(texts.map((m) => [m.key, m.value]), [['ünï', 'çödé ✓ 日本'], ['\u0001\u0002\u0003', 'plain'], [null, '']], 'non-ASCII, bytes and empty values');
  eq(texts[0].headers['ключ'], 'значение', 'non-ASCII header');

  const committed = await admin.fetchOffsets({ groupId: 'billing', topics: ['orders'] });
  const total = committed[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  eq(total, 3, 'committed offsets cover every consumed record');
  const offsets = await admin.fetchTopicOffsets('orders');
  eq(offsets.reduce((n, p) => n + Number(p.high), 0), 3, 'high watermarks');
  check(offsets.every((p) => p.low === '0' && p.offset === p.high), 'fetchTopicOffsets shape');
  return alice !== undefined;
}

export async function errorsAreKafkaShaped(kafka) {
  const admin = kafka.admin();
  await rejects(admin.createTopics({ topics: [{ topic: 't', numPartitions: 1, replicationFactor: 4 }] }),
    { name: 'KafkaJSProtocolError', type: 'INVALID_REPLICATION_FACTOR', code: 38, retriable: false, message: 'larger than available brokers: 3' }, 'RF > brokers');
  await rejects(admin.createTopics({ topics: [{ topic: 'bad name!' }] }), { type: 'INVALID_TOPIC_EXCEPTION', code: 17 }, 'bad name');
  await rejects(admin.createTopics({ topics: [{ topic: 't', numPartitions: 0 }] }), { type: 'INVALID_PARTITIONS', code: 37 }, 'zero partitions');
  await rejects(admin.createTopics({ topics: [{ topic: 't', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }), { type: 'INVALID_CONFIG', code: 40 }, 'bad config');
  await rejects(admin.createTopics({ topics: [{ topic: 42 }] }), { name: 'TypeError', type: 'INVALID_REQUEST', message: 'topics[0].topic must be a string, got number' }, 'wrong type');
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });

  const producer = kafka.producer();
  await rejects(producer.send({ topic: 't', messages: [{ value: 'x' }] }), { type: 'CLIENT_NOT_CONNECTED' }, 'send before connect');
  await producer.connect();
  await rejects(producer.send({ topic: 'missing', messages: [{ value: 'x' }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }, 'unknown topic');
  await rejects(producer.send({ topic: 't', messages: [{ value: 7 }] }), { name: 'TypeError', message: 'messages[0].value must be a string, a Uint8Array or null, got number' }, 'value type');
  await rejects(producer.send({ topic: 't', messages: [{ key: {}, value: 'v' }] }), { message: 'messages[0].key must be' }, 'key type');
  await rejects(producer.send({ topic: 't', messages: [{ value: 'v', headers: { h: 1 } }] }), { message: 'messages[0].headers.h must be' }, 'header type');
  await rejects(producer.send({ topic: 't', messages: [{ value: 'v', partition: 5 }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'partition out of range');
  await rejects(producer.send({ topic: 't', acks: 2, messages: [{ value: 'v' }] }), { type: 'INVALID_REQUIRED_ACKS', code: 21 }, 'acks');
  const big = new Uint8Array(1_100_000);
  await rejects(producer.send({ topic: 't', messages: [{ value: big }] }), { type: 'MESSAGE_TOO_LARGE', code: 10 }, 'too large');
  eq((await admin.fetchTopicOffsets('t')).map((p) => p.high), ['0', '0'], 'nothing of a refused send was written');
  const idempotent = kafka.producer({ idempotent: true });
  await idempotent.connect();
  await rejects(idempotent.send({ topic: 't', acks: 1, messages: [{ value: 'x' }] }), { type: 'INVALID_REQUIRED_ACKS', code: 21 }, 'idempotence needs acks=-1');
  const idemSent = await idempotent.send({ topic: 't', messages: [{ value: 'i1', partition: 0 }, { value: 'i2', partition: 0 }] });
  eq(idemSent.map((m) => [m.partition, m.errorCode]), [[0, 0]], 'an idempotent send');
  const again = await idempotent.send({ topic: 't', messages: [{ value: 'i3', partition: 0 }] });
  eq(Number(again[0].baseOffset), Number(idemSent[0].baseOffset) + 2, 'its sequence continues');
  await throws(() => kafka.producer({ acks: 3 }), { type: 'INVALID_REQUIRED_ACKS' }, 'producer acks');
  const fireAndForget = kafka.producer({ acks: 0 });
  await fireAndForget.connect();
  eq(await fireAndForget.send({ topic: 't', messages: [{ value: 'x' }] }), [], 'acks=0 from the producer config: no metadata');
  eq((await fireAndForget.send({ topic: 't', acks: 1, messages: [{ value: 'y' }] })).length, 1, "a send's acks wins");

  await throws(() => kafka.consumer({ groupId: 42 }), { message: 'groupId must be a string' }, 'a groupId that is not a string');
  await throws(() => kafka.consumer({ groupId: '' }), { type: 'INVALID_GROUP_ID' }, 'an empty groupId');
  const consumer = kafka.consumer({ groupId: 'g' });
  await rejects(consumer.subscribe({ topics: ['missing'] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'subscribe to unknown topic');
  await rejects(consumer.run({ eachMessage: async () => {} }), { type: 'CLIENT_NOT_CONNECTED' }, 'run before connect');
  await consumer.connect();
  await rejects(consumer.run({}), { message: 'eachMessage or eachBatch' }, 'run without handler');
  return true;
}

export async function committedOffsetsResumeAGroup(kafka) {
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'events', messages: [1, 2, 3, 4].map((i) => ({ value: `e${i}` })) });

  const first = kafka.consumer({ groupId: 'g' });
  await first.connect();
  await first.subscribe({ topic: 'events', fromBeginning: true });
  eq((await consume(first, 4)).map((m) => m.value), ['e1', 'e2', 'e3', 'e4'], 'first reader');
  await first.disconnect();

  await producer.send({ topic: 'events', messages: [{ value: 'e5' }] });
  const second = kafka.consumer({ groupId: 'g' });
  await second.connect();
  await second.subscribe({ topic: 'events', fromBeginning: true });
  eq((await consume(second, 1)).map((m) => [m.value, m.offset]), [['e5', '4']], 'a restarted group resumes from its commit');

  const other = kafka.consumer({ groupId: 'other' });
  await other.connect();
  await other.subscribe({ topic: 'events' }); // latest: only what arrives from now on
  const pending = consume(other, 1);
  await new Promise((r) => setTimeout(r, 50));
  await producer.send({ topic: 'events', messages: [{ value: 'e6' }] });
  eq((await pending).map((m) => m.value), ['e6'], 'a new group without fromBeginning starts at the end');

  const seeker = kafka.consumer({ groupId: 'seeker' });
  await seeker.connect();
  await seeker.subscribe({ topic: 'events', fromBeginning: true });
  seeker.seek({ topic: 'events', partition: 0, offset: '2' });
  eq((await consume(seeker, 2)).map((m) => m.value), ['e3', 'e4'], 'seek moves the position');
  return true;
}

export async function eachBatchAndPause(kafka) {
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'b', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'b', messages: [{ value: 'p0-a', partition: 0 }, { value: 'p0-b', partition: 0 }, { value: 'p1-a', partition: 1 }] });
  const consumer = kafka.consumer({ groupId: 'batches' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'b', fromBeginning: true });
  consumer.pause([{ topic: 'b', partitions: [1] }]);
  eq(consumer.paused(), [{ topic: 'b', partitions: [1] }], 'paused()');
  const batches = [];
  let done;
  const two = new Promise((r) => (done = r));
  await consumer.run({ eachBatch: async ({ batch }) => {
    batches.push({ partition: batch.partition, values: batch.messages.map((m) => text(m.value)), first: batch.firstOffset(), last: batch.lastOffset(), lag: batch.offsetLag(), empty: batch.isEmpty() });
    if (batches.length === 1) consumer.resume([{ topic: 'b' }]);
    if (batches.length === 2) done();
  } });
  await two;
  await consumer.stop();
  eq(batches[0], { partition: 0, values: ['p0-a', 'p0-b'], first: '0', last: '1', lag: '0', empty: false }, 'partition 0 first, while 1 is paused');
  eq(batches[1].values, ['p1-a'], 'partition 1 after resume');
  return true;
}

export async function adminOperations(kafka, { events = true } = {}) {
  const admin = kafka.admin();
  const changes = [];
  const off = kafka.on('cluster.change', (e) => changes.push(...e.changes.map((c) => c.type)));
  await admin.createTopics({ topics: [{ topic: 'cfg', numPartitions: 2, replicationFactor: 2, configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
  const meta = await admin.fetchTopicMetadata({ topics: ['cfg'] });
  eq(meta.topics[0].name, 'cfg', 'metadata name');
  eq(meta.topics[0].partitions.length, 2, 'metadata partitions');
  check(meta.topics[0].partitions.every((p) => p.replicas.length === 2 && p.leader === p.replicas[0] && p.isr.length === 2), 'replicas, leader, isr');
  const described = await admin.describeConfigs({ resources: [{ type: 2, name: 'cfg' }], includeSynonyms: false });
  const retention = described.resources[0].configEntries.find((e) => e.configName === 'retention.ms');
  eq([retention.configValue, retention.isDefault], ['60000', false], 'describeConfigs');
  await admin.alterConfigs({ resources: [{ type: 2, name: 'cfg', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const after = (await admin.describeConfigs({ resources: [{ type: 2, name: 'cfg' }] })).resources[0].configEntries;
  eq(after.find((e) => e.configName === 'cleanup.policy').configValue, 'compact', 'alterConfigs sets');
  eq(after.find((e) => e.configName === 'retention.ms').isDefault, true, 'alterConfigs replaces the whole set, as Kafka AlterConfigs does');
  eq(await admin.createPartitions({ topicPartitions: [{ topic: 'cfg', count: 4 }] }), true, 'createPartitions');
  eq((await admin.fetchTopicOffsets('cfg')).length, 4, 'grown');
  await rejects(admin.createPartitions({ topicPartitions: [{ topic: 'cfg', count: 2 }] }), { type: 'INVALID_PARTITIONS' }, 'shrink');
  const cluster = await admin.describeCluster();
  eq(cluster.brokers.map((b) => b.nodeId), [1, 2, 3], 'brokers');
  await admin.deleteTopics({ topics: ['cfg'] });
  eq(await admin.listTopics(), [], 'deleted');
  await sleep(100); // events are coalesced: at most one per 50 ms
  off();
  await admin.createTopics({ topics: [{ topic: 'quiet' }] });
  // Events are emitted where the cluster runs, so a client connected through a port hears none.
  eq(changes, events ? ['createTopics', 'alterConfigs', 'createPartitions', 'deleteTopics'] : [], 'cluster.change events, none after off()');
  return true;
}

// ---- tests/web_durable.rs: clusters in IndexedDB

/** Reads every record of a topic from the beginning with a fresh group, then stops. */
async function readAll(kafka, topic, count) {
  const consumer = kafka.consumer({ groupId: 'reader-' + Math.random() });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({ eachBatch: async ({ batch }) => {
    for (const m of batch.messages) got.push({ partition: batch.partition, offset: m.offset, key: text(m.key), value: text(m.value), timestamp: m.timestamp, headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v)])) });
    if (got.length >= count) done();
  } });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 8000))]);
  await consumer.disconnect();
  got.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  return got;
}

/** Overwrites one stored batch with garbage through raw IndexedDB, as a bad disk would. */
async function corrupt(cluster, key) {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('franz/' + cluster); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  await new Promise((ok, no) => {
    const tx = db.transaction('batches', 'readwrite');
    tx.objectStore('batches').put(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer, key);
    tx.oncomplete = ok; tx.onabort = () => no(tx.error);
  });
  db.close();
}

export async function survivesReopen({ open, deleteCluster }) {
  await deleteCluster('reopen');
  let kafka = await open({ cluster: 'reopen', brokers: 3, storage: 'indexeddb' });
  await kafka.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'retention.ms', value: '-1' }] }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [
    { key: 'alice', value: 'one', headers: { trace: 'a1' }, timestamp: '1700000000000' },
    { key: 'bob', value: 'two', timestamp: '1700000000001' },
    { key: 'alice', value: 'three', timestamp: '1700000000002' },
  ] });
  const group = kafka.consumer({ groupId: 'billing' });
  await group.connect();
  await group.subscribe({ topic: 'orders', fromBeginning: true });
  let seen = 0, done;
  const two = new Promise((r) => (done = r));
  await group.run({ autoCommitThreshold: 1, eachMessage: async () => { if (++seen === 2) { done(); } } });
  await two;
  await group.stop();
  const before = await readAll(kafka, 'orders', 3);
  const committedBefore = await kafka.admin().fetchOffsets({ groupId: 'billing', topics: ['orders'] });
  await kafka.close();

  kafka = await open({ cluster: 'reopen', brokers: 3, storage: 'indexeddb' });
  eq(await kafka.admin().listTopics(), ['orders'], 'topics');
  const cfg = (await kafka.admin().describeConfigs({ resources: [{ type: 2, name: 'orders' }] })).resources[0].configEntries;
  eq(cfg.find((e) => e.configName === 'retention.ms').configValue, '-1', 'configs');
  const meta = (await kafka.admin().fetchTopicMetadata({ topics: ['orders'] })).topics[0].partitions;
  check(meta.length === 3 && meta.every((p) => p.replicas.length === 2), 'partitions and replicas');
  eq(await readAll(kafka, 'orders', 3), before, 'records, offsets, keys, headers and timestamps');
  eq(await kafka.admin().fetchOffsets({ groupId: 'billing', topics: ['orders'] }), committedBefore, 'committed offsets');
  eq(kafka.stats().storage, 'indexeddb', 'stats');
  await kafka.close();
  return true;
}

export async function reopeningIsLazy({ open, deleteCluster }) {
  await deleteCluster('lazy');
  let kafka = await open({ cluster: 'lazy', brokers: 1, storage: 'indexeddb' });
  await kafka.admin().createTopics({ topics: [{ topic: 'big', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  const value = 'x'.repeat(100);
  const messages = Array.from({ length: 1000 }, () => ({ value }));
  for (let i = 0; i < 200; i++) await producer.send({ topic: 'big', messages });
  await kafka.close();

  kafka = await open({ cluster: 'lazy', brokers: 1, storage: 'indexeddb' });
  eq(kafka.stats().batchesInMemory, 1, 'after reopening only the newest batch is in memory');
  eq((await kafka.admin().fetchTopicOffsets('big'))[0].high, '200000', 'the log end is known from the tail');
  const got = await readAll(kafka, 'big', 200000);
  eq(got.length, 200000, 'every record read back from IndexedDB on demand');
  eq(got[199999].offset, '199999', 'in order');
  check(kafka.stats().batchesInMemory <= 50, 'fetches do not pull the log into memory: ' + kafka.stats().batchesInMemory);
  await kafka.close();
  return true;
}

export async function corruptionIsTruncatedAndReported({ open, deleteCluster }) {
  await deleteCluster('corrupt');
  let kafka = await open({ cluster: 'corrupt', brokers: 1, storage: 'indexeddb' });
  await kafka.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  for (const v of ['a', 'b', 'c', 'd']) await producer.send({ topic: 't', messages: [{ value: v }] });
  await kafka.close();

  await corrupt('corrupt', [1, 't', 0, 3]); // the tail: found while reopening
  kafka = await open({ cluster: 'corrupt', brokers: 1, storage: 'indexeddb' });
  const warnings = kafka.openWarnings();
  eq(warnings.length, 1, 'one warning');
  check(warnings[0].includes('corrupt') && warnings[0].includes('offset 3'), warnings[0]);
  eq((await readAll(kafka, 't', 3)).map((m) => m.value), ['a', 'b', 'c'], 'truncated to the last valid batch');
  await kafka.close();

  await corrupt('corrupt', [1, 't', 0, 1]); // in the middle: found by a fetch
  kafka = await open({ cluster: 'corrupt', brokers: 1, storage: 'indexeddb' });
  const events = [];
  kafka.on('warning', (e) => events.push(e.message));
  const values = (await readAll(kafka, 't', 1)).map((m) => m.value);
  eq(values, ['a'], 'nothing at or after the corrupt batch is served');
  check(events.length === 1 && events[0].includes('offset 1'), 'warning event: ' + JSON.stringify(events));
  const p2 = kafka.producer();
  await p2.connect();
  eq((await p2.send({ topic: 't', messages: [{ value: 'e' }] }))[0].baseOffset, '1', 'the log continues from the truncation');
  await kafka.close();
  return true;
}

export async function failedWritesLeaveNoTrace({ open, deleteCluster }) {
  await deleteCluster('quota');
  let kafka = await open({ cluster: 'quota', brokers: 1, storage: 'indexeddb', durability: 'strict' });
  await kafka.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 't', messages: [{ value: 'kept' }] });

  kafka.simulateStorageFailure(0); // the next transaction aborts before its first write
  await rejects(producer.send({ topic: 't', messages: [{ value: 'lost' }] }), { name: 'KafkaJSProtocolError', type: 'KAFKA_STORAGE_ERROR', code: 56, message: 'nothing' }, 'abort');
  kafka.simulateStorageFailure(1); // aborts halfway: one put issued, then the abort
  await rejects(producer.send({ topic: 't', messages: [{ value: 'half' }] }), { type: 'KAFKA_STORAGE_ERROR' }, 'half-written');
  kafka.simulateStorageFailure(0);
  await rejects(kafka.admin().createTopics({ topics: [{ topic: 'never' }] }), { type: 'KAFKA_STORAGE_ERROR' }, 'admin write');
  eq(await kafka.admin().listTopics(), ['t'], 'the refused topic does not exist');
  // An idempotent producer whose write failed starts over under a new producer id and keeps working.
  const idem = kafka.producer({ idempotent: true });
  await idem.connect();
  kafka.simulateStorageFailure(0);
  await rejects(idem.send({ topic: 't', messages: [{ value: 'idem-lost' }] }), { type: 'KAFKA_STORAGE_ERROR' }, 'idempotent write fails');
  await rejects(idem.send({ topic: 't', acks: 0, messages: [{ value: 'x' }] }), { type: 'INVALID_REQUIRED_ACKS' }, 'idempotence needs acks=-1');
  eq((await kafka.admin().fetchTopicOffsets('t'))[0].high, '1', 'nothing of a failed write is visible');
  await producer.send({ topic: 't', messages: [{ value: 'after' }] });
  eq((await idem.send({ topic: 't', messages: [{ value: 'idem-ok' }] }))[0].baseOffset, '2', 'and the next send works');

  // Sends racing a failing write, its reload and the writes after it: whatever was acknowledged is stored, and
  // nothing else is.
  kafka.simulateStorageFailure(0);
  // Spread over ~20 ms, so some land while the failed write is reloading the cluster from storage.
  const racing = Array.from({ length: 40 }, (_, i) => `r${i}`).map(async (v, i) => {
    if (i % 2 === 1) await sleep(i / 2);
    await producer.send({ topic: 't', messages: [{ value: v }] });
    return v;
  });
  const settled = await Promise.allSettled(racing);
  const acked = settled.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  check(settled.some((r) => r.status === 'rejected'), 'the injected failure hit at least one send');
  await kafka.close();

  kafka = await open({ cluster: 'quota', brokers: 1, storage: 'indexeddb' });
  const stored = (await readAll(kafka, 't', 3 + acked.length)).map((m) => m.value);
  eq(stored.slice(0, 3), ['kept', 'after', 'idem-ok'], 'the records acknowledged before');
  eq([...stored.slice(3)].sort(), [...acked].sort(), 'exactly the racing sends that were acknowledged');
  await kafka.close();
  return true;
}

export async function oneOwnerAtATime({ open, deleteCluster }) {
  await deleteCluster('owned');
  const first = await open({ cluster: 'owned', storage: 'indexeddb' });
  await first.admin().createTopics({ topics: [{ topic: 't' }] });
  await rejects(open({ cluster: 'owned', storage: 'indexeddb' }), { type: 'CLUSTER_LOCKED', retriable: true, message: '"owned"' }, 'second owner');
  eq(await first.admin().listTopics(), ['t'], 'the owner is unaffected');
  await first.close();
  const second = await open({ cluster: 'owned', storage: 'indexeddb' });
  eq(await second.admin().listTopics(), ['t'], 'after close, another may open it');
  await rejects(first.admin().createTopics({ topics: [{ topic: 'u' }] }), { type: 'CLUSTER_CLOSED' }, 'a closed handle');
  await second.close();
  const memory = await open({ cluster: 'owned', storage: 'memory' });
  eq(await memory.admin().listTopics(), [], 'a memory cluster shares nothing with storage');
  const auto = await open({ cluster: 'auto-mode', storage: 'auto' });
  eq(auto.stats().storage, 'indexeddb', 'auto uses IndexedDB when it is there');
  await auto.close();
  await rejects(open({ storage: 'disk' }), { name: 'TypeError', message: "storage must be 'indexeddb', 'memory' or 'auto'" }, 'bad storage');
  return true;
}
export async function retentionAndTimeLookupsReachStorage({ open, deleteCluster }) {
  await deleteCluster('retention');
  let kafka = await open({ cluster: 'retention', brokers: 1, storage: 'indexeddb' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'r', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '2000' }] }] });
  const producer = kafka.producer();
  await producer.connect();
  const now = Date.now();
  // Ten batches of 40 KB with timestamps an hour old, then a fresh one: the old ones are past retention.ms.
  for (let i = 0; i < 10; i++) {
    await producer.send({ topic: 'r', messages: Array.from({ length: 40 }, (_, j) => ({ value: 'x'.repeat(1000), timestamp: String(now - 3_600_000 + i * 1000 + j) })) });
  }
  await producer.send({ topic: 'r', messages: [{ value: 'fresh', timestamp: String(now) }] });
  const byTime = await admin.fetchTopicOffsetsByTimestamp('r', now - 3_600_000 + 5000);
  eq(byTime, [{ partition: 0, offset: '200' }], 'timestamp lookup in memory');
  await kafka.close();

  kafka = await open({ cluster: 'retention', brokers: 1, storage: 'indexeddb' });
  eq(kafka.stats().batchesInMemory, 1, 'lazily reopened');
  eq(await kafka.admin().fetchTopicOffsetsByTimestamp('r', now - 3_600_000 + 5000), [{ partition: 0, offset: '200' }], 'timestamp lookup that must read storage');
  eq(await kafka.admin().fetchTopicOffsetsByTimestamp('r', now + 60_000), [{ partition: 0, offset: '401' }], 'nothing that late: the high watermark');
  const changes = [];
  kafka.on('cluster.change', (e) => changes.push(...e.changes.map((c) => c.type)));
  const deadline = Date.now() + 5000;
  let low;
  while (Date.now() < deadline) {
    low = (await kafka.admin().fetchTopicOffsets('r'))[0].low;
    if (low === '400') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  eq(low, '400', 'the ticker applied retention to batches only IndexedDB held');
  await sleep(100); // events are coalesced: at most one per 50 ms
  check(changes.includes('retention'), 'a cluster.change event for it');
  await kafka.close();
  kafka = await open({ cluster: 'retention', brokers: 1, storage: 'indexeddb' });
  eq((await kafka.admin().fetchTopicOffsets('r'))[0].low, '400', 'and it was written to storage');
  eq((await readAll(kafka, 'r', 1)).map((m) => m.value), ['fresh'], 'what is left');
  await kafka.close();
  return true;
}

export async function withoutIndexedDB({ open }) {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
  Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
  try {
    const auto = await open({ cluster: 'no-idb', storage: 'auto' });
    eq(auto.stats().storage, 'memory', 'auto falls back to memory');
    check(auto.openWarnings().some((w) => w.includes('memory only')), 'and says so: ' + auto.openWarnings());
    await auto.close();
    await rejects(open({ cluster: 'no-idb-2', storage: 'indexeddb' }), { type: 'KAFKA_STORAGE_ERROR', message: 'IndexedDB' }, 'indexeddb explicitly');
  } finally {
    Object.defineProperty(globalThis, 'indexedDB', saved);
  }
  return true;
}

// ---- tests/web_host.rs: a cluster serving the protocol on a MessagePort

export async function hostServesEnvelopes({ open, recordBatch, readRecordBatches }) {
  const kafka = await open({ cluster: 'host', brokers: 1, storage: 'memory' });
  const { port1, port2 } = new MessageChannel();
  kafka.serve(port1);
  const order = [];
  let next = 1;
  const pending = new Map();
  port2.onmessage = (e) => {
    order.push(e.data.id);
    const resolve = pending.get(e.data.id);
    pending.delete(e.data.id);
    resolve(e.data);
  };
  const call = (envelope, transfer = []) =>
    new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      port2.postMessage({ id, ...envelope }, transfer);
    });

  const created = await call({ kind: 'CreateTopics', topics: [{ name: 'w', partitions: 2, replicationFactor: 1 }] });
  eq(created.body, [{ topic: 'w', error: null }], 'CreateTopics');

  const batch = recordBatch([{ key: 'k', value: 'v1', headers: { h: 'x' } }, { value: 'v2' }]);
  const produced = await call({ kind: 'Produce', acks: -1, partitions: [{ topic: 'w', partition: 0, records: batch.buffer }] }, [batch.buffer]);
  eq([produced.body[0].baseOffset, produced.body[0].error], [0, undefined], 'Produce');
  eq(batch.buffer.byteLength, 0, 'the batch was transferred, not copied');

  // A long poll on an empty partition waits; a later request is answered first; data ends the wait.
  const fetchId = next;
  const waiting = call({ kind: 'Fetch', partitions: [{ topic: 'w', partition: 1, offset: 0 }], minBytes: 1, maxWaitMs: 5000 });
  const metaId = next;
  const meta = await call({ kind: 'Metadata', topics: ['w'] });
  eq(meta.body.topics[0].partitions.map((p) => p.highWatermark), [2, 0], 'Metadata');
  const later = recordBatch([{ value: 'late' }]);
  await call({ kind: 'Produce', acks: 1, partitions: [{ topic: 'w', partition: 1, records: later.buffer }] }, [later.buffer]);
  const fetched = await waiting;
  check(order.indexOf(metaId) < order.indexOf(fetchId), 'answers come back out of order: ' + order);
  eq(readRecordBatches(new Uint8Array(fetched.body[0].records)).map((m) => text(m.value)), ['late'], 'the long poll returns the new data');
  const all = await call({ kind: 'Fetch', partitions: [{ topic: 'w', partition: 0, offset: 0 }], minBytes: 0, maxWaitMs: 0 });
  const messages = readRecordBatches(new Uint8Array(all.body[0].records));
  eq(messages.map((m) => [m.offset, text(m.key), text(m.value)]), [['0', 'k', 'v1'], ['1', null, 'v2']], 'records read back');
  eq(text(messages[0].headers.h), 'x', 'headers');

  // Bad input gets an error answer, and the host keeps serving.
  eq((await call({ kind: 'Nope' })).error.type, 'INVALID_REQUEST', 'unknown kind');
  eq((await call({ kind: 'Produce', partitions: [{ topic: 'w', partition: 0 }] })).error.type, 'INVALID_REQUEST', 'no records');
  const corrupt = await call({ kind: 'Produce', partitions: [{ topic: 'w', partition: 0, records: new Uint8Array(80).buffer }] });
  eq(corrupt.body[0].error.type, 'CORRUPT_MESSAGE', 'a bad batch, per partition');
  const noId = new Promise((resolve) => pending.set(null, resolve));
  port2.postMessage('not an envelope');
  eq((await noId).error.type, 'INVALID_REQUEST', 'an envelope without an id');
  eq((await call({ kind: 'OffsetCommit', group: 'g', topic: 'w', partition: 0, offset: 2 })).kind, 'OffsetCommit', 'still serving');
  eq((await call({ kind: 'OffsetFetch', group: 'g', topic: 'w', partition: 0 })).body.offset, 2, 'OffsetFetch');
  eq((await call({ kind: 'ListOffsets', topic: 'w', partition: 0, spec: 'latest' })).body.offset, 2, 'ListOffsets');
  eq((await call({ kind: 'CreatePartitions', topic: 'w', count: 3 })).kind, 'CreatePartitions', 'CreatePartitions');
  eq((await call({ kind: 'AlterConfigs', topic: 'w', changes: [['retention.ms', '1000']] })).kind, 'AlterConfigs', 'AlterConfigs');
  const configs = (await call({ kind: 'DescribeConfigs', topic: 'w' })).body;
  eq(configs.find((c) => c.name === 'retention.ms'), { name: 'retention.ms', value: '1000', isDefault: false }, 'DescribeConfigs');
  eq((await call({ kind: 'AlterConfigs', topic: 'w', changes: [['nope', '1']] })).error.type, 'INVALID_CONFIG', 'a request error');
  await kafka.close();
  return true;
}

/** A cluster served on one end of a MessageChannel, and a client connected to the other end. */
export async function connectedPair(open, connect, cluster) {
  const host = await open({ cluster, brokers: 3, storage: 'memory', seed: 7 });
  const { port1, port2 } = new MessageChannel();
  host.serve(port1);
  return { host, client: await connect(port2) };
}

/** A client whose host never answers: every request fails with the retriable REQUEST_TIMED_OUT, never hangs. */
export async function silentHostTimesOut({ connect }) {
  const { port2 } = new MessageChannel(); // nobody serves port1
  const started = Date.now();
  await rejects(connect(port2, { requestTimeout: 300 }), { type: 'REQUEST_TIMED_OUT', code: 7, retriable: true }, 'connect to a silent host');
  const waited = Date.now() - started;
  check(waited >= 250 && waited < 3000, 'the timeout was honoured: ' + waited + ' ms');
  return true;
}

/** A busy cluster tells its views at most about 20 times a second, and every change is in some event. */
export async function changeEventsAreThrottled(kafka) {
  await kafka.admin().createTopics({ topics: [{ topic: 'busy', numPartitions: 2 }] });
  await sleep(100);
  const events = [];
  const off = kafka.on('cluster.change', (e) => events.push({ at: performance.now(), changes: e.changes }));
  const producer = kafka.producer();
  await producer.connect();
  const started = performance.now();
  let sends = 0;
  while (performance.now() - started < 400) {
    await producer.send({ topic: 'busy', messages: [{ value: `v${sends++}` }] });
    if (sends % 10 === 0) await sleep(0); // let timers run, as any real page or worker does between bursts
  }
  await producer.send({ topic: 'busy', acks: 1, messages: [{ value: 'last' }] });
  await kafka.admin().createPartitions({ topicPartitions: [{ topic: 'busy', count: 3 }] });
  await sleep(100);
  off();
  check(sends > 20, `enough sends to need throttling: ${sends}`);
  check(events.length >= 8 && events.length <= 12, `~20 events/s over ~450 ms, not one per send: ${events.length} for ${sends} sends`);
  for (let i = 1; i < events.length; i++) {
    check(events[i].at - events[i - 1].at >= 45, `events at least 50 ms apart: ${events[i].at - events[i - 1].at}`);
  }
  const all = events.flatMap((e) => e.changes.map((c) => `${c.type}:${c.topic}`));
  check(all.includes('produce:busy') && all.at(-1) === 'createPartitions:busy', 'every kind of change is told: ' + all.slice(-3));
  return true;
}

/** A host that stops answering fails the client's requests with the retriable BROKER_NOT_AVAILABLE; after a new
 * host opens the same IndexedDB cluster and the client reconnects, producer and consumer carry on, nothing
 * acknowledged is lost and nothing is read twice. */
export async function hostGoesAndComesBack({ open, connect, deleteCluster }) {
  const cluster = 'host-comes-back';
  await deleteCluster(cluster);
  const config = { cluster, brokers: 3, storage: 'indexeddb' };
  let host = await open(config);
  await host.admin().createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
  let channel = new MessageChannel();
  host.serve(channel.port1);
  const client = await connect(channel.port2, { heartbeatInterval: 50, hostTimeout: 300 });
  const producer = client.producer({ idempotent: true, retry: { retries: 8, initialRetryTime: 100, multiplier: 1.5 } });
  const impatient = client.producer({ retry: { retries: 0 } });
  await Promise.all([producer.connect(), impatient.connect()]);
  const consumer = client.consumer({ groupId: 'g', maxWaitTimeInMs: 2000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  const seen = [];
  await consumer.run({ eachMessage: async ({ partition, message }) => { seen.push(`${partition}:${message.offset}:${text(message.value)}`); } });
  const acked = [];
  const send = async (p, v) => { await p.send({ topic: 'events', messages: [{ key: v, value: v }] }); acked.push(v); };
  for (const v of ['a', 'b', 'c', 'd']) await send(producer, v);

  await host.close(); // the host goes: from now on nobody answers the client
  const t0 = performance.now();
  await rejects(send(impatient, 'never'), { type: 'BROKER_NOT_AVAILABLE', retriable: true, code: 8 }, 'a send while the host is gone');
  const noticed = performance.now() - t0;
  check(noticed >= 200 && noticed < 1500, `the host's silence is noticed after hostTimeout: ${noticed} ms`);
  await rejects(client.admin().listTopics(), { type: 'BROKER_NOT_AVAILABLE' }, 'and fails at once afterwards');
  const riding = send(producer, 'e'); // retries until the new host is there

  await sleep(200);
  host = await open(config);
  channel = new MessageChannel();
  host.serve(channel.port1);
  await client.reconnect(channel.port2);
  await riding;
  await send(producer, 'f');
  const deadline = Date.now() + 5000;
  while (seen.length < acked.length && Date.now() < deadline) await sleep(50);
  await consumer.stop();
  eq(acked, ['a', 'b', 'c', 'd', 'e', 'f'], 'acknowledged');
  eq([...seen.map((s) => s.split(':')[2])].sort(), acked, 'each acknowledged record consumed once, across the restart');
  eq(new Set(seen.map((s) => s.split(':').slice(0, 2).join(':'))).size, seen.length, 'no offset twice');
  const committed = await client.admin().fetchOffsets({ groupId: 'g', topics: ['events'] });
  const total = committed[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  eq(total, 6, 'the group committed everything it read');
  await client.close();
  await host.close();
  return true;
}

/** The host drops a client it has not heard from (a terminated worker), and one that says goodbye; a client
 * whose heartbeat keeps it heard stays. */
export async function silentClientsAreDropped({ open, connect }) {
  const host = await open({ cluster: 'dropping', brokers: 1, storage: 'memory' });
  await host.admin().createTopics({ topics: [{ topic: 't' }] });
  const serve = () => { const c = new MessageChannel(); host.serve(c.port1, { clientTimeout: 300 }); return c.port2; };
  const live = await connect(serve(), { heartbeatInterval: 50 });
  const leaving = await connect(serve(), { heartbeatInterval: 50 });
  // A raw client that starts a long poll and is never heard from again, like a worker terminated mid-request.
  const silent = serve();
  silent.postMessage({ id: 1, kind: 'Fetch', maxWaitMs: 60000, partitions: [{ topic: 't', partition: 0, offset: 0 }] });
  eq(host.stats().clients, 3, 'three clients served');
  await leaving.close();
  await sleep(50);
  eq(host.stats().clients, 2, 'a client that says goodbye is dropped at once');
  const deadline = Date.now() + 3000;
  while (host.stats().clients > 1 && Date.now() < deadline) await sleep(50);
  eq(host.stats().clients, 1, 'the silent one is dropped after clientTimeout, its long poll with it');
  eq(await live.admin().listTopics(), ['t'], 'the live client is still served');
  await throws(() => host.serve(new MessageChannel().port1, { clientTimeout: 0 }), { name: 'TypeError' }, 'clientTimeout 0');
  await live.close();
  await host.close();
  return true;
}

/** A MessagePort between a client and a host that counts Produce requests in flight. */
function countingRelay(host) {
  const toHost = new MessageChannel();
  host.serve(toHost.port1);
  const toClient = new MessageChannel();
  const stats = { produces: 0, outstanding: 0, maxOutstanding: 0 };
  const produces = new Set();
  toClient.port1.onmessage = ({ data }) => {
    if (data.kind === 'Produce') {
      produces.add(data.id);
      stats.produces += 1;
      stats.outstanding += 1;
      stats.maxOutstanding = Math.max(stats.maxOutstanding, stats.outstanding);
    }
    toHost.port2.postMessage(data, (data.partitions ?? []).map((p) => p.records).filter((r) => r instanceof ArrayBuffer));
  };
  toHost.port2.onmessage = ({ data }) => {
    if (produces.delete(data.id)) stats.outstanding -= 1;
    const buffers = data.kind === 'Fetch' ? data.body.map((p) => p.records).filter((r) => r instanceof ArrayBuffer) : [];
    toClient.port1.postMessage(data, buffers);
  };
  return { port: toClient.port2, stats };
}

/** How many RecordBatches partition 0 of `topic` holds, read with a raw Fetch envelope. */
async function batchesIn(host, topic) {
  const { port1, port2 } = new MessageChannel();
  host.serve(port1);
  const answer = await new Promise((resolve) => {
    port2.onmessage = ({ data }) => resolve(data);
    port2.postMessage({ id: 1, kind: 'Fetch', partitions: [{ topic, partition: 0, offset: 0, maxBytes: 1 << 24 }] });
  });
  port2.close();
  const view = new DataView(answer.body[0].records);
  let count = 0;
  for (let at = 0; at < view.byteLength; at += 12 + view.getInt32(at + 8)) count += 1;
  return count;
}

/** The producer batches as Kafka's does (linger.ms, batch.size), keeps at most maxInFlightRequests requests out,
 * and resolves sends in the order they were made. */
export async function producerBatchesAndPipelines({ open, connect }) {
  const host = await open({ cluster: 'batching', brokers: 1, storage: 'memory' });
  const topics = ['linger', 'inflight', 'small', 'idem'];
  await host.admin().createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
  const fire = (producer, topic, n, size = 10) => {
    const order = [];
    const sends = Array.from({ length: n }, (_, i) =>
      producer.send({ topic, messages: [{ value: `${i}:`.padEnd(size, 'x') }] }).then((m) => { order.push(i); return Number(m[0].baseOffset); }));
    return Promise.all(sends).then((offsets) => ({ offsets, order }));
  };
  const inOrder = (n) => Array.from({ length: n }, (_, i) => i);

  // linger.ms: sends made together go as one batch.
  const relay = countingRelay(host);
  const client = await connect(relay.port, {});
  const lingering = client.producer({ lingerMs: 30 });
  await lingering.connect();
  const a = await fire(lingering, 'linger', 50);
  eq(a.offsets, inOrder(50), 'offsets follow the order of the sends');
  eq(a.order, inOrder(50), 'sends resolve in order');
  check((await batchesIn(host, 'linger')) <= 2, 'lingering 30 ms gathers 50 sends into one or two batches');

  // maxInFlightRequests bounds the requests out; what waits meanwhile is batched.
  relay.stats.maxOutstanding = 0;
  relay.stats.produces = 0;
  const bounded = client.producer({ maxInFlightRequests: 2 });
  await bounded.connect();
  const b = await fire(bounded, 'inflight', 300);
  eq(b.offsets, inOrder(300), 'pipelined offsets in order');
  eq(b.order, inOrder(300), 'pipelined sends resolve in order');
  eq(relay.stats.maxOutstanding, 2, 'two requests in flight, never more');
  check(relay.stats.produces < 100, `300 sends went in ${relay.stats.produces} requests`);

  // batch.size: a piece never joins a batch it would push past batchSize.
  const small = client.producer({ batchSize: 100, lingerMs: 20 });
  await small.connect();
  await fire(small, 'small', 20, 60);
  eq(await batchesIn(host, 'small'), 20, 'sends of ~70 bytes each fill a 100-byte batch alone');

  // An idempotent producer pipelines too: sequence numbers keep the order, nothing is written twice.
  const idem = client.producer({ idempotent: true });
  await idem.connect();
  const c = await fire(idem, 'idem', 200);
  eq(c.offsets, inOrder(200), 'idempotent pipelined offsets');

  for (const bad of [{ maxInFlightRequests: 0 }, { batchSize: 0 }, { lingerMs: -1 }]) {
    await throws(() => client.producer(bad), { name: 'TypeError' }, `producer(${JSON.stringify(bad)})`);
  }
  await client.close();
  await host.close();
  return true;
}

/** Consumers in one group split the partitions: a fourth on three partitions idles; one that stops hands its
 * partitions over at once; and nothing is read twice, since a member commits what it read before it lets go. */
export async function aGroupSplitsPartitions(kafka) {
  await kafka.admin().createTopics({ topics: [{ topic: 'split', numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  const send = (from, n) => producer.send({ topic: 'split', messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await send(0, 30);
  const seen = new Map();
  const until = async (cond, what) => {
    const end = Date.now() + 8000;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error('timed out waiting for ' + what);
      await sleep(50);
    }
  };
  const members = [];
  const crashes = [];
  const changes = [];
  kafka.on('cluster.change', (e) => changes.push(...e.changes));
  for (let i = 0; i < 4; i++) {
    const consumer = kafka.consumer({ groupId: 'splitters', heartbeatInterval: 100, sessionTimeout: 1000, rebalanceTimeout: 3000 });
    const member = { consumer, id: null, generation: -1 };
    consumer.on('consumer.group_join', ({ payload }) => Object.assign(member, { id: payload.memberId, generation: payload.generationId }));
    consumer.on('consumer.crash', ({ payload }) => crashes.push(`${payload.error.type}: ${payload.error.message}`));
    await consumer.connect();
    await consumer.subscribe({ topic: 'split', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { const v = text(message.value); seen.set(v, (seen.get(v) ?? 0) + 1); } });
    members.push(member);
  }
  const settled = async (n) => {
    const d = await members.at(-1).consumer.describeGroup();
    return d.state === 'Stable' && d.members.length === n && members.filter((m) => m.id).every((m) => m.generation === members.at(-1).generation) ? d : null;
  };
  await until(() => settled(4), 'four members in a stable group');
  const d = await settled(4);
  eq(d.protocol, 'roundrobin', 'KafkaJS default assignor');
  eq(d.members.map((m) => m.memberAssignment.length).sort(), [0, 1, 1, 1], 'three partitions among four members: one idles');
  await until(() => seen.size === 30, 'every record read');
  const busy = members.find((m) => d.members.find((x) => x.memberId === m.id).memberAssignment.length === 1);
  await busy.consumer.stop();
  members.splice(members.indexOf(busy), 1);
  try { await until(() => settled(3), 'three members after one left'); } catch (e) {
    const d = await members.at(-1).consumer.describeGroup();
    throw new Error(e.message + ' ' + JSON.stringify({ state: d.state, members: d.members.map((m) => [m.memberId, m.memberAssignment.length]), gens: members.map((m) => [m.id, m.generation]), crashes }));
  }
  eq((await settled(3)).members.map((m) => m.memberAssignment.length).sort(), [1, 1, 1], 'the idle member took over');
  await send(30, 30);
  await until(() => seen.size === 60, 'the new records read');
  await sleep(300);
  check([...seen.values()].every((n) => n === 1), 'no record read twice: ' + [...seen].filter(([, n]) => n > 1).map(([v]) => v));
  const admin = kafka.admin();
  await rejects(admin.resetOffsets({ groupId: 'splitters', topic: 'split' }), { type: 'NON_EMPTY_GROUP' }, 'reset while members consume');
  await rejects(admin.deleteGroups(['splitters']), { type: 'NON_EMPTY_GROUP' }, 'delete while members consume');
  for (const m of members) await m.consumer.stop();
  const empty = await kafka.consumer({ groupId: 'splitters' }).describeGroup();
  eq([empty.state, empty.members.length], ['Empty', 0], 'everyone left');

  // Administration of the (now inactive) group.
  check((await admin.listGroups()).groups.some((g) => g.groupId === 'splitters' && g.protocolType === 'consumer'), 'listGroups');
  eq((await admin.describeGroups(['splitters', 'nobody'])).groups.map((g) => [g.groupId, g.state]), [['splitters', 'Empty'], ['nobody', 'Dead']], 'describeGroups');
  const committed = async () => (await admin.fetchOffsets({ groupId: 'splitters', topics: ['split'] }))[0].partitions.map((p) => p.offset).join();
  const high = (await admin.fetchTopicOffsets('split')).sort((a, b) => a.partition - b.partition).map((p) => p.high).join();
  eq(await committed(), high, 'the group committed everything it read');
  await admin.setOffsets({ groupId: 'splitters', topic: 'split', partitions: [{ partition: 1, offset: '3' }] });
  eq((await admin.fetchOffsets({ groupId: 'splitters', topics: ['split'] }))[0].partitions.find((p) => p.partition === 1).offset, '3', 'setOffsets');
  await admin.resetOffsets({ groupId: 'splitters', topic: 'split', earliest: true });
  eq(await committed(), '0,0,0', 'resetOffsets to the earliest');
  eq(await admin.deleteGroups(['splitters']), [{ groupId: 'splitters', errorCode: 0 }], 'deleteGroups');
  check(!(await admin.listGroups()).groups.some((g) => g.groupId === 'splitters'), 'gone from listGroups');
  eq(await committed(), '-1,-1,-1', 'its offsets went with it');
  await rejects(admin.deleteGroups(['nobody']), { type: 'GROUP_ID_NOT_FOUND', code: 69 }, 'deleting a group that does not exist');
  const local = (() => { try { return kafka.stats() && true; } catch { return false; } })();
  check(!local || changes.some((c) => c.type === 'group' && c.topic === 'splitters'), 'views hear of rebalances (where the cluster runs)');
  await throws(() => admin.describeGroups('splitters'), { name: 'TypeError' }, 'describeGroups takes an array');
  return true;
}

/** partitionsConsumedConcurrently: handlers of different partitions overlap, each partition stays in order; by
 * default one partition at a time. */
export async function partitionsConsumedConcurrently(kafka) {
  await kafka.admin().createTopics({ topics: [{ topic: 'para', numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'para', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `${i % 3}:${i}` })) });
  const run = async (groupId, concurrency) => {
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic: 'para', fromBeginning: true });
    let inFlight = 0, most = 0, n = 0;
    const order = new Map();
    let done;
    const finished = new Promise((r) => (done = r));
    await consumer.run({
      partitionsConsumedConcurrently: concurrency,
      eachMessage: async ({ partition, message }) => {
        most = Math.max(most, ++inFlight);
        await sleep(2);
        inFlight -= 1;
        (order.get(partition) ?? order.set(partition, []).get(partition)).push(Number(text(message.value).split(':')[1]));
        if (++n === 30) done();
      },
    });
    await Promise.race([finished, sleep(8000)]);
    await consumer.stop();
    return { most, n, order };
  };
  const together = await run('para-3', 3);
  eq(together.n, 30, 'every record handled');
  check(together.most >= 2, `partitions handled at once: at most ${together.most} in flight`);
  for (const [p, list] of together.order) eq(list, [...list].sort((a, b) => a - b), `partition ${p} in order`);
  const alone = await run('para-1', undefined);
  eq([alone.n, alone.most], [30, 1], 'by default one at a time');
  const bad = kafka.consumer({ groupId: 'x' });
  await bad.connect();
  await throws(() => bad.run({ partitionsConsumedConcurrently: 0, eachMessage: async () => {} }), { name: 'TypeError' }, 'zero');
  return true;
}

/** Consumers without a groupId stand alone: each reads every partition (the broadcast case) and commits
 * nothing. */
export async function standaloneConsumersBroadcast(kafka) {
  await kafka.admin().createTopics({ topics: [{ topic: 'news', numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'news', messages: Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `n${i}` })) });
  const readers = [0, 1].map(() => kafka.consumer({}));
  const got = await Promise.all(readers.map(async (c) => {
    await c.connect();
    await c.subscribe({ topic: 'news', fromBeginning: true });
    return (await consume(c, 12)).map((m) => m.value).sort();
  }));
  const all = Array.from({ length: 12 }, (_, i) => `n${i}`).sort();
  eq(got, [all, all], 'each standalone consumer read every record of every partition');
  await rejects(readers[0].commitOffsets([{ topic: 'news', partition: 0, offset: '1' }]), { type: 'INVALID_GROUP_ID' }, 'nothing to commit to');
  eq((await kafka.admin().listGroups()).groups.length, 0, 'no group was formed');
  return true;
}
