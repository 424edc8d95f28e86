// IndexedDB scenarios (tests/web_durable.rs, tests/web_worker_durable.rs): clusters that survive reopening, corruption
// and failed writes, with one owner at a time.

import { check, consume, eq, readAll, rejects, sleep, throws } from './check.js';

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
  eq(kafka.stats().memoryLimitBytes, null, 'a cluster in IndexedDB has no memory limit: it keeps a window in memory');
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
  // A send to two partitions is one transaction of two batch puts: it aborts after the first.
  await kafka.admin().createTopics({ topics: [{ topic: 'two', numPartitions: 2 }] });
  kafka.simulateStorageFailure(1);
  const halves = [0, 1].map((partition) => ({ value: 'half', partition }));
  await rejects(producer.send({ topic: 'two', messages: halves }), { type: 'KAFKA_STORAGE_ERROR' }, 'half-written');
  eq((await kafka.admin().fetchTopicOffsets('two')).map((p) => p.high), ['0', '0'], 'neither half is visible');
  kafka.simulateStorageFailure(0);
  await rejects(kafka.admin().createTopics({ topics: [{ topic: 'never' }] }), { type: 'KAFKA_STORAGE_ERROR' }, 'admin write');
  eq(await kafka.admin().listTopics(), ['t', 'two'], 'the refused topic does not exist');
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

/** Storage never waits for answers: a write that commits is followed at once by the next one, carrying what
 * was produced meanwhile, before the sends of the first are answered. (In-page only: it watches IndexedDB.) */
export async function theNextWriteGoesOutBeforeAnswers({ open, deleteCluster }) {
  await deleteCluster('pipeline');
  const kafka = await open({ cluster: 'pipeline', brokers: 1, storage: 'indexeddb' });
  await kafka.admin().createTopics({ topics: [{ topic: 't' }] });
  const producer = kafka.producer();
  await producer.connect();
  const events = [];
  const transaction = IDBDatabase.prototype.transaction;
  let second = null;
  IDBDatabase.prototype.transaction = function (...args) {
    if (args[1] === 'readwrite') {
      events.push('write');
      // A send made while the first write is in flight.
      second ??= new Promise((resolve) => queueMicrotask(() => {
        resolve(producer.send({ topic: 't', messages: [{ value: 'b' }] }).then(() => events.push('b answered')));
      }));
    }
    return transaction.apply(this, args);
  };
  try {
    await producer.send({ topic: 't', messages: [{ value: 'a' }] }).then(() => events.push('a answered'));
    await second;
  } finally {
    IDBDatabase.prototype.transaction = transaction;
  }
  eq(events, ['write', 'write', 'a answered', 'b answered'], 'the second write went out before the first send was answered');
  eq((await kafka.admin().fetchTopicOffsets('t'))[0].high, '2', 'both stored');
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
  // Retention starts long, so that the lookups below run before it could apply; it is shortened after them.
  await admin.createTopics({ topics: [{ topic: 'r', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
  const producer = kafka.producer();
  await producer.connect();
  const now = Date.now();
  // Ten batches of 40 KB with timestamps an hour old, then a fresh one: the old ones will be past retention.ms.
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
  await kafka.admin().alterConfigs({ resources: [{ type: 2, name: 'r', configEntries: [{ name: 'retention.ms', value: '2000' }] }] });
  eq(kafka.stats().batchesInMemory, 1, 'the old batches are still only in storage');
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

/** The keys IndexedDB holds in a cluster's batch store. */
async function storedBatchKeys(cluster) {
  const db = await new Promise((ok, no) => { const r = indexedDB.open('franz/' + cluster); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  const keys = await new Promise((ok, no) => {
    const r = db.transaction('batches', 'readonly').objectStore('batches').getAllKeys();
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
  });
  db.close();
  return keys;
}

export async function deletedRecordsLeaveStorage({ open, deleteCluster }) {
  await deleteCluster('purged');
  let kafka = await open({ cluster: 'purged', brokers: 1, storage: 'indexeddb' });
  await kafka.admin().createTopics({ topics: [{ topic: 'p', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] }] });
  const producer = kafka.producer();
  await producer.connect();
  // Ten batches of 40 records (40 KB each): after a reopen, only the newest is in memory.
  for (let i = 0; i < 10; i++) {
    await producer.send({ topic: 'p', messages: Array.from({ length: 40 }, (_, j) => ({ value: `${i * 40 + j}`.padEnd(1000, '.') })) });
  }
  await kafka.close();

  kafka = await open({ cluster: 'purged', brokers: 1, storage: 'indexeddb' });
  eq(kafka.stats().batchesInMemory, 1, 'lazily reopened');
  eq((await storedBatchKeys('purged')).length, 10, 'ten batches stored');
  // Offset 250 lies in the batch at 240, which only storage holds; the six before it go.
  await kafka.admin().deleteTopicRecords({ topic: 'p', partitions: [{ partition: 0, offset: '250' }] });
  eq((await kafka.admin().fetchTopicOffsets('p'))[0].low, '250', 'the new log start');
  const deadline = Date.now() + 5000;
  let bases;
  while (Date.now() < deadline) {
    bases = (await storedBatchKeys('purged')).map((k) => k[3]);
    if (bases.length === 4) break;
    await sleep(100);
  }
  eq(bases, [240, 280, 320, 360], 'the ticker freed the batches wholly before the log start');
  await kafka.close();

  kafka = await open({ cluster: 'purged', brokers: 1, storage: 'indexeddb' });
  eq((await kafka.admin().fetchTopicOffsets('p'))[0].low, '250', 'the log start survives a reopen');
  const left = await readAll(kafka, 'p', 150);
  eq([left.length, left[0].offset, left[0].value.slice(0, 3)], [150, '250', '250'], 'offsets 250 to 399 are read, from storage');
  await kafka.close();
  return true;
}
