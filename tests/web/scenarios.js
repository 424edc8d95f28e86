// The JS API scenarios of tests/web_api.rs: plain JavaScript, as a user writes it, each throwing on its first
// failed check. IndexedDB scenarios are in durable.js, hosts and ports in host.js, consumer groups in groups.js.

import { check, consume, eq, readAll, rejects, sleep, text, throws } from './check.js';

export async function roundTrip(kafka) {
  const admin = kafka.admin();
  await admin.connect();
  // The records below carry 2023 timestamps: the default retention.ms (7 days) would delete them at once.
  eq(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '-1' }] }] }), true, 'created');
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
  check(offsets.every((p) => p.low === '0' && p.offset === p.high), 'fetchTopicOffsets shape: ' + JSON.stringify(offsets));
  return alice !== undefined;
}

export async function errorsAreKafkaShaped(kafka) {
  const admin = kafka.admin();
  await rejects(admin.createTopics({ topics: [{ topic: 't', numPartitions: 1, replicationFactor: 4 }] }),
    { name: 'KafkaJSAggregateError', type: 'INVALID_REPLICATION_FACTOR', code: 38, retriable: false, message: 'larger than available brokers: 3' }, 'RF > brokers');
  // As KafkaJS reports createTopics' failures: one KafkaJSCreateTopicError per topic, in an aggregate.
  const failed = await admin.createTopics({ topics: [{ topic: 'bad name!' }, { topic: 't', numPartitions: 0 }] }).catch((e) => e);
  eq(failed.errors.map((e) => [e.name, e.topic, e.type]), [['KafkaJSCreateTopicError', 'bad name!', 'INVALID_TOPIC_EXCEPTION'], ['KafkaJSCreateTopicError', 't', 'INVALID_PARTITIONS']], 'each topic\'s failure');
  await rejects(admin.createTopics({ topics: [{ topic: 'bad name!' }] }), { type: 'INVALID_TOPIC_EXCEPTION', code: 17 }, 'bad name');
  await rejects(admin.createTopics({ topics: [{ topic: 't', numPartitions: 0 }] }), { type: 'INVALID_PARTITIONS', code: 37 }, 'zero partitions');
  await rejects(admin.createTopics({ topics: [{ topic: 't', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }), { type: 'INVALID_CONFIG', code: 40 }, 'bad config');
  await rejects(admin.createTopics({ topics: [{ topic: 42 }] }), { name: 'TypeError', type: 'INVALID_REQUEST', message: 'topics[0].topic must be a string, got number' }, 'wrong type');
  // KIP-937: a CreateTime record's timestamp must lie within the topic's bounds around the broker's clock.
  await admin.createTopics({ topics: [{ topic: 'timely', configEntries: [{ name: 'message.timestamp.after.max.ms', value: '60000' }] }] });
  const early = kafka.producer({ retry: { retries: 0 } });
  await early.connect();
  await rejects(early.send({ topic: 'timely', messages: [{ value: 'from the future', timestamp: String(Date.now() + 3600000) }] }),
    { type: 'INVALID_TIMESTAMP', code: 32, message: 'out of range' }, 'a timestamp an hour ahead');
  eq((await early.send({ topic: 'timely', messages: [{ value: 'now' }] }))[0].baseOffset, '0', 'nothing of the refused send was written');
  await early.disconnect();
  await admin.deleteTopics({ topics: ['timely'] });
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
  await rejects(producer.send({ topic: 't', timeout: -1, messages: [{ value: 'v' }] }), { name: 'TypeError', message: 'timeout must be a number of milliseconds, 0 or more' }, 'a negative timeout');
  await rejects(producer.sendBatch({ topicMessages: [], timeout: 'soon' }), { name: 'TypeError', message: 'timeout must be a whole number' }, 'a timeout that is no number');
  const big = new Uint8Array(1_100_000);
  await rejects(producer.send({ topic: 't', messages: [{ value: big }] }), { type: 'MESSAGE_TOO_LARGE', code: 10 }, 'too large');
  // Packed, this send takes more than any before it and is not a whole number of 32-bit words: the pooled
  // packing buffer in wasm memory grows to its size, and its words are still written whole.
  await rejects(producer.send({ topic: 't', messages: [{ value: 'x'.repeat(5_000_003) }] }), { type: 'MESSAGE_TOO_LARGE', code: 10 }, 'packed at any size');
  eq((await admin.fetchTopicOffsets('t')).map((p) => p.high), ['0', '0'], 'nothing of a refused send was written');
  const idempotent = kafka.producer({ idempotent: true });
  await idempotent.connect();
  await rejects(idempotent.send({ topic: 't', acks: 1, messages: [{ value: 'x' }] }), { type: 'INVALID_REQUIRED_ACKS', code: 21 }, 'idempotence needs acks=-1');
  const idemSent = await idempotent.send({ topic: 't', messages: [{ value: 'i1', partition: 0 }, { value: 'i2', partition: 0 }] });
  eq(idemSent.map((m) => [m.partition, m.errorCode]), [[0, 0]], 'an idempotent send');
  const again = await idempotent.send({ topic: 't', messages: [{ value: 'i3', partition: 0 }] });
  eq(Number(again[0].baseOffset), Number(idemSent[0].baseOffset) + 2, 'its sequence continues');
  await throws(() => kafka.producer({ acks: 3 }), { type: 'INVALID_REQUIRED_ACKS' }, 'producer acks');
  await rejects(idempotent.transaction(), { type: 'INVALID_TXN_STATE', code: 48 }, 'a transaction needs a transactionalId');
  const fireAndForget = kafka.producer({ acks: 0 });
  await fireAndForget.connect();
  eq(await fireAndForget.send({ topic: 't', messages: [{ value: 'x' }] }), [], 'acks=0 from the producer config: no metadata');
  eq((await fireAndForget.send({ topic: 't', acks: 1, messages: [{ value: 'y' }] })).length, 1, "a send's acks wins");

  await throws(() => kafka.consumer({ groupId: 42 }), { message: 'groupId must be a string' }, 'a groupId that is not a string');
  await throws(() => kafka.consumer({ groupId: '' }), { type: 'INVALID_GROUP_ID' }, 'an empty groupId');
  await throws(() => kafka.consumer({ groupId: 'g', checkCrcs: 'yes' }), { name: 'TypeError', message: 'checkCrcs must be a boolean, got string' }, 'a checkCrcs that is not a boolean');
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
  const picked = await admin.describeConfigs({ resources: [{ type: 2, name: 'cfg', configNames: ['cleanup.policy', 'no.such.config'] }] });
  eq(picked.resources[0].configEntries.map((e) => [e.configName, e.configValue, e.configSource]), [['cleanup.policy', 'compact', 1]],
    'configNames picks the configs described; an unknown one is left out');
  // A broker's configs, read-only, under Kafka's names.
  const brokers = await admin.describeConfigs({ resources: [{ type: 4, name: '2', configNames: ['broker.id', 'num.partitions', 'auto.create.topics.enable'] }] });
  const [broker2] = brokers.resources;
  eq([broker2.resourceType, broker2.resourceName], [4, '2'], 'a broker resource');
  eq(broker2.configEntries.map((e) => [e.configName, e.configValue, e.configSource, e.readOnly]),
    [['auto.create.topics.enable', 'false', 4, true], ['broker.id', '2', 4, true], ['num.partitions', '1', 5, true]],
    'broker 2 says its id, and which settings are Kafka\'s defaults');
  const all = (await admin.describeConfigs({ resources: [{ type: 4, name: '1' }] })).resources[0].configEntries;
  check(all.length > 20 && all.some((e) => e.configName === 'log.retention.ms' && e.configValue === '604800000'), 'every broker config, by default');
  await rejects(admin.alterConfigs({ resources: [{ type: 4, name: '1', configEntries: [{ name: 'num.partitions', value: '3' }] }] }),
    { type: 'INVALID_REQUEST', message: 'read-only' }, 'broker configs cannot be altered');
  await rejects(admin.describeConfigs({ resources: [{ type: 4, name: '9' }] }), { type: 'INVALID_REQUEST', message: 'not one of this cluster' }, 'an unknown broker');
  await rejects(admin.describeConfigs({ resources: [{ type: 3, name: 'g' }] }), { type: 'INVALID_REQUEST' }, 'a resource type franz does not have');
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
  // ~20 a second while busy, not one per send and not one at the end: 9 or so on an idle machine. A busy one runs
  // the 50 ms timers late, so the bounds are on the gaps, not on a count.
  check(events.length >= 4 && events.length < sends / 2, `~20 events/s over ~450 ms, not one per send: ${events.length} for ${sends} sends`);
  for (let i = 1; i < events.length; i++) {
    const gap = events[i].at - events[i - 1].at;
    check(gap >= 45 && gap <= 250, `events 50 ms apart, give or take a late timer: ${gap}`);
  }
  const all = events.flatMap((e) => e.changes.map((c) => `${c.type}:${c.topic}`));
  check(all.includes('produce:busy') && all.at(-1) === 'createPartitions:busy', 'every kind of change is told: ' + all.slice(-3));
  return true;
}

/** KafkaJS's `minBytes`: a fetch waits (up to its wait) until that much is there, so records produced close
 * together come in one batch; by default a fetch answers as soon as anything is there. */
export async function minBytesWaitsForEnough(kafka) {
  const producer = kafka.producer();
  await producer.connect();
  const firstBatchAfterWarmUp = async (topic, config) => {
    await kafka.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 1000, ...config });
    const batches = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => { batches.push(batch.messages.map((m) => text(m.value).slice(0, 1))); } });
    // Once the warm-up record is read, the consumer's next fetch is waiting for new records.
    await producer.send({ topic, messages: [{ value: 'w'.repeat(2000) }] });
    for (let i = 0; batches.length === 0; i++) { check(i < 250, `${topic}: the warm-up record arrives`); await sleep(20); }
    // A wakes the waiting fetch before its send resolves, so B comes after that fetch has seen A.
    await producer.send({ topic, messages: [{ value: 'a' }] });
    await producer.send({ topic, messages: [{ value: 'b'.repeat(2000) }] });
    for (let i = 0; batches.flat().length < 3; i++) { check(i < 250, `${topic}: both records arrive`); await sleep(20); }
    await consumer.disconnect();
    return batches.slice(1);
  };
  eq(await firstBatchAfterWarmUp('min-bytes-default', {}), [['a'], ['b']], 'by default each record comes as soon as it is there');
  eq(await firstBatchAfterWarmUp('min-bytes-1000', { minBytes: 1000 }), [['a', 'b']], 'with minBytes the fetch waits for enough');
  await throws(() => kafka.consumer({ groupId: 'g', minBytes: -1 }), { name: 'TypeError' }, 'a negative minBytes');
}

/** KafkaJS's `maxBytes` caps a whole fetch, but its first batch always comes (KIP-74): three batches stored
 * come in one fetch by default, and one at a time under a cap of one byte. */
export async function maxBytesCapsAFetch(kafka) {
  await kafka.admin().createTopics({ topics: [{ topic: 'max-bytes', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  for (const value of ['a', 'b', 'c']) await producer.send({ topic: 'max-bytes', messages: [{ value }] });
  const batchesRead = async (config) => {
    const consumer = kafka.consumer({ groupId: `g-max-bytes-${config.maxBytes ?? 'default'}`, ...config });
    const batches = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'max-bytes', fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => { batches.push(batch.messages.map((m) => text(m.value))); } });
    for (let i = 0; batches.flat().length < 3; i++) { check(i < 250, 'all three records arrive'); await sleep(20); }
    await consumer.disconnect();
    return batches;
  };
  eq(await batchesRead({}), [['a', 'b', 'c']], 'by default one fetch brings all three batches');
  eq(await batchesRead({ maxBytes: 1 }), [['a'], ['b'], ['c']], 'under a cap of one byte, one batch a fetch');
  await throws(() => kafka.consumer({ groupId: 'g', maxBytes: 'lots' }), { name: 'TypeError' }, 'a maxBytes that is not a number');
}

/** KafkaJS's `createPartitioner`: franz's `Partitioners` (placing inside wasm, or called by the app), the app's
 * own function (called once per message with KafkaJS's arguments), and every way one can go wrong. */
export async function customPartitioners(kafka, Partitioners) {
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'placed', numPartitions: 3 }] });
  // Java's murmur2 puts key '1' on partition 0 and '128' on 2 of 3; KafkaJS 1.x's hash puts them on 2 and 0
  // (from the hash values KafkaJS's own tests give: 1311020360 and 2053105854).
  const keyed = [{ key: '1', value: 'a' }, { key: '128', value: 'b' }];
  const placed = async (options) => {
    const producer = kafka.producer(options);
    await producer.connect();
    const partitions = [];
    for (const m of keyed) partitions.push((await producer.send({ topic: 'placed', messages: [m] }))[0].partition);
    return partitions;
  };
  eq(await placed({}), [0, 2], 'no partitioner: Java murmur2');
  eq(await placed({ createPartitioner: Partitioners.DefaultPartitioner }), [0, 2], 'DefaultPartitioner: Java murmur2');
  eq(await placed({ createPartitioner: Partitioners.JavaCompatiblePartitioner }), [0, 2], 'JavaCompatiblePartitioner');
  eq(await placed({ createPartitioner: Partitioners.LegacyPartitioner }), [2, 0], "LegacyPartitioner: KafkaJS 1.x's hash");

  // Called by the app, franz's partitioners answer as they place.
  const metadata = (await admin.fetchTopicMetadata({ topics: ['placed'] })).topics[0].partitions;
  const ask = (partitioner, message) => partitioner({ topic: 'placed', partitionMetadata: metadata, message });
  const java = Partitioners.DefaultPartitioner();
  const legacy = Partitioners.LegacyPartitioner();
  eq(keyed.map((m) => ask(java, m)), [0, 2], 'DefaultPartitioner() called directly');
  eq(keyed.map((m) => ask(legacy, { key: new TextEncoder().encode(m.key) })), [2, 0], 'LegacyPartitioner() with byte keys');
  eq(ask(java, { key: 'x', partition: 1 }), 1, "a message's own partition wins");
  eq([0, 1, 2, 3].map(() => ask(java, { value: 'v' })).sort(), [0, 0, 1, 2], 'no key: round-robin');
  await throws(() => ask(java, { key: 42 }), { name: 'TypeError', message: 'message.key must be a string, a Uint8Array or null, got number' }, 'a bad key');

  // The app's own partitioner: created once per producer, called once per message with KafkaJS's arguments.
  let created = 0;
  const calls = [];
  const vip = kafka.producer({
    createPartitioner: () => {
      created++;
      const byKey = Partitioners.DefaultPartitioner();
      return (args) => {
        calls.push(args);
        return args.message.headers?.vip ? 1 : byKey(args);
      };
    },
  });
  await vip.connect();
  const sent = await vip.send({ topic: 'placed', messages: [
    { key: '1', value: 'plain' }, { key: '1', value: 'vip', headers: { vip: 'yes' } }, { key: '128', value: 'plain', partition: 0 },
  ] });
  eq(created, 1, 'createPartitioner is called once');
  eq(calls.length, 3, 'the partitioner is called once per message');
  eq(calls.map((c) => c.message.value), ['plain', 'vip', 'plain'], 'in order, with the message as given');
  check(calls.every((c) => c.topic === 'placed' && c.partitionMetadata.length === 3), 'topic and partitionMetadata');
  eq(calls[0].partitionMetadata.map((p) => [p.partitionId, p.leader >= 0]), [[0, true], [1, true], [2, true]], 'partitionMetadata entries');
  eq(sent.map((s) => s.partition).sort(), [0, 1], 'its choices: 1 for the vip, 0 for the others');
  await vip.sendBatch({ topicMessages: [{ topic: 'placed', messages: [{ value: 'batch', headers: { vip: '1' } }] }] });
  eq(calls.length, 4, 'sendBatch asks it too');

  // Whatever goes wrong is a clear error, and nothing of a refused send is written.
  const before = (await admin.fetchTopicOffsets('placed')).map((p) => p.high);
  const sending = async (createPartitioner, what, expect) => {
    const producer = kafka.producer({ createPartitioner });
    await producer.connect();
    return rejects(producer.send({ topic: 'placed', messages: [{ value: 'a' }, { value: 'b' }] }), expect, what);
  };
  await sending(() => () => 7, 'a partition that does not exist', { type: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'partition 7 does not exist' });
  await sending(() => () => 'one', 'a partition that is not a number', { name: 'TypeError', message: "the partition that createPartitioner's partitioner chose for message 0 must be a whole number" });
  const mine = new Error('mine');
  const thrown = await sending(() => (args) => { if (args.message.value === 'b') throw mine; return 0; }, 'a partitioner that throws', { message: 'mine' });
  check(thrown === mine, 'what the partitioner throws rejects the send as it is');
  eq((await admin.fetchTopicOffsets('placed')).map((p) => p.high), before, 'nothing of a refused send was written');
  await throws(() => kafka.producer({ createPartitioner: 'java' }), { name: 'TypeError', message: 'createPartitioner must be a function, got string' }, 'not a function');
  await throws(() => kafka.producer({ createPartitioner: () => 1 }), { name: 'TypeError', message: 'what createPartitioner returns must be a function, got number' }, 'not a factory');
  await throws(() => kafka.producer({ createPartitioner: () => () => 0, nullKeyPartitioner: 'sticky' }), { name: 'TypeError', message: 'nullKeyPartitioner is for franz' }, 'both');
  return true;
}

/** KafkaJS's `admin.deleteTopicRecords`: records before an offset go (`'-1'`: up to the high watermark), readers
 * start at the new log start, a group whose committed offset is gone starts over there, and bad requests get
 * Kafka's errors. */
export async function deleteTopicRecords(kafka, { events = true } = {}) {
  const admin = kafka.admin();
  const changes = [];
  const off = kafka.on('cluster.change', (e) => changes.push(...e.changes.map((c) => c.type)));
  await admin.createTopics({ topics: [{ topic: 'purge', numPartitions: 2, replicationFactor: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'purge', messages: ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value, partition: 0 })) });
  await producer.send({ topic: 'purge', messages: ['x', 'y', 'z'].map((value) => ({ value, partition: 1 })) });
  await admin.setOffsets({ groupId: 'late', topic: 'purge', partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '3' }] });

  await admin.deleteTopicRecords({ topic: 'purge', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '-1' }] });
  eq((await admin.fetchTopicOffsets('purge')).map((p) => [p.partition, p.low, p.high]), [[0, '3', '5'], [1, '3', '3']], 'new log starts');
  const left = await readAll(kafka, 'purge', 2);
  eq(left.map((m) => [m.partition, m.offset, m.value]), [[0, '3', 'd'], [0, '4', 'e']], 'a reader from the beginning starts at the new log start');
  // The group had committed offset 1, which is gone: it starts over at the earliest record left.
  const late = kafka.consumer({ groupId: 'late' });
  await late.connect();
  await late.subscribe({ topic: 'purge', fromBeginning: true });
  eq((await consume(late, 2)).map((m) => m.offset), ['3', '4'], 'a committed offset below the log start resets to it');
  // Before the log start already: nothing changes.
  await admin.deleteTopicRecords({ topic: 'purge', partitions: [{ partition: 0, offset: 1 }] });
  eq((await admin.fetchTopicOffsets('purge'))[0].low, '3', 'an offset before the log start changes nothing');

  await rejects(admin.deleteTopicRecords({ topic: 'purge', partitions: [{ partition: 0, offset: '6' }] }), { type: 'OFFSET_OUT_OF_RANGE', code: 1 }, 'past the high watermark');
  await rejects(admin.deleteTopicRecords({ topic: 'purge', partitions: [{ partition: 7, offset: '0' }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'no such partition');
  await rejects(admin.deleteTopicRecords({ topic: 'nope', partitions: [{ partition: 0, offset: '0' }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'no such topic');
  await admin.createTopics({ topics: [{ topic: 'table', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  await rejects(admin.deleteTopicRecords({ topic: 'table', partitions: [{ partition: 0, offset: '-1' }] }), { type: 'POLICY_VIOLATION', code: 44 }, 'a compacted topic');
  await rejects(admin.deleteTopicRecords({ topic: 'purge', partitions: [] }), { name: 'TypeError', message: 'partitions must be a non-empty array' }, 'no partitions');
  await rejects(admin.deleteTopicRecords({ topic: 'purge', partitions: [{ partition: 0, offset: 'soon' }] }), { name: 'TypeError', message: 'partitions[0].offset must be a whole number' }, 'a bad offset');
  await rejects(admin.deleteTopicRecords({ partitions: [{ partition: 0, offset: '0' }] }), { name: 'TypeError', message: 'topic must be a string' }, 'no topic');
  await sleep(100); // events are coalesced
  off();
  check(!events || changes.includes('deleteRecords'), 'views hear of it: ' + JSON.stringify(changes));
  return true;
}

/** KafkaJS's `logLevel`, `logCreator` and `kafka.logger()`: franz's own warnings and the app's lines go to the
 * app's logger, each only within the level (KafkaJS's values: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5). */
export async function logsGoWhereAsked({ open }) {
  const created = [];
  const entries = [];
  const kafka = await open({ cluster: 'logs', storage: 'memory', logLevel: 2, logCreator: (level) => { created.push(level); return (e) => entries.push(e); } });
  eq(created, [2], 'logCreator is called once, with the level');
  const logger = kafka.logger();
  logger.info('hidden');
  logger.warn('shown', { disk: 93 });
  logger.namespace('app').error('bad');
  eq(entries.map((e) => [e.namespace, e.level, e.label, e.log.message]), [['Kafka', 2, 'WARN', 'shown'], ['app', 1, 'ERROR', 'bad']], 'entries within the level');
  eq([entries[0].log.disk, entries[0].log.logger, typeof entries[0].log.timestamp], [93, 'franz', 'string'], "an entry's log carries the extra fields");
  logger.setLogLevel(5);
  logger.debug('now shown');
  eq(entries.at(-1).log.message, 'now shown', 'setLogLevel');
  // franz's own warnings go the same way: a fire-and-forget send that fails.
  const producer = kafka.producer({ acks: 0 });
  await producer.connect();
  await producer.send({ topic: 'nowhere', messages: [{ value: 'x' }] });
  for (let i = 0; i < 50 && !entries.some((e) => e.namespace === 'Cluster'); i++) await sleep(20);
  const warning = entries.find((e) => e.namespace === 'Cluster');
  check(warning && warning.label === 'WARN' && warning.log.message.includes('acks=0 send failed') && warning.log.cluster === 'logs', 'a cluster warning: ' + JSON.stringify(warning));
  await kafka.close();

  await clientsLogAsKafkaJS(open);

  const silent = await open({ cluster: 'silent', storage: 'memory', logLevel: 0, logCreator: () => (e) => entries.push(e) });
  const before = entries.length;
  silent.logger().error('never');
  eq(entries.length, before, 'logLevel NOTHING logs nothing');
  await silent.close();
  const throwing = await open({ cluster: 'throwing', storage: 'memory', logCreator: () => () => { throw new Error('the logger broke'); } });
  throwing.logger().warn('still fine');
  await throwing.close();
  await rejects(open({ cluster: 'x', storage: 'memory', logLevel: 3 }), { name: 'TypeError', message: 'logLevel must be one of' }, 'a level that does not exist');
  await rejects(open({ cluster: 'x', storage: 'memory', logCreator: 'console' }), { name: 'TypeError', message: 'logCreator must be a function' }, 'a logCreator that is no function');
  await rejects(open({ cluster: 'x', storage: 'memory', logCreator: () => 'console' }), { name: 'TypeError', message: 'what logCreator returns must be a function' }, 'a logCreator that makes no logger');
  return true;
}

/** Clients log what KafkaJS's log, in its namespaces, and their `logger()` is the cluster's, in theirs. */
async function clientsLogAsKafkaJS(open) {
  const lines = [];
  const kafka = await open({ cluster: 'client-logs', storage: 'memory', memoryLimitBytes: 50_000, logCreator: () => (e) => lines.push(e) });
  const said = (namespace, message) => lines.find((e) => e.namespace === namespace && e.log.message.startsWith(message));
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'work' }] });
  const producer = kafka.producer({ idempotent: true, retry: { retries: 1, initialRetryTime: 10 } });
  eq([producer.isIdempotent(), kafka.producer().isIdempotent()], [true, false], 'isIdempotent');
  producer.logger().info('a producer line');
  admin.logger().warn('an admin line');
  eq([said('Producer', 'a producer line')?.label, said('Admin', 'an admin line')?.label], ['INFO', 'WARN'], "each client's logger() logs in its namespace");
  await producer.connect();
  const tooMuch = new Uint8Array(60_000);
  await rejects(producer.send({ topic: 'work', messages: [{ value: tooMuch }] }), { type: 'KAFKA_STORAGE_ERROR' }, 'a send past the memory limit');
  const retry = said('Producer', 'Failed to send messages: ');
  eq([retry?.label, retry?.log.retryCount, retry?.log.message.includes('KAFKA_STORAGE_ERROR')], ['ERROR', 0, true], 'a send tried again is logged: ' + JSON.stringify(retry));
  // KafkaJS's retry.factor: each wait is drawn from ±factor around the exponential one.
  const jittery = kafka.producer({ retry: { retries: 8, initialRetryTime: 20, multiplier: 1, factor: 0.5 } });
  await jittery.connect();
  const logged = lines.length;
  await rejects(jittery.send({ topic: 'work', messages: [{ value: tooMuch }] }), { type: 'KAFKA_STORAGE_ERROR' }, 'retried to the end');
  const waits = lines.slice(logged).filter((e) => e.log.message.startsWith('Failed to send messages')).map((e) => e.log.retryTime);
  check(waits.length === 8 && waits.every((ms) => ms >= 10 && ms <= 30) && new Set(waits).size > 1, 'waits within ±50% of 20 ms, not all alike: ' + waits);
  for (const factor of [1.5, 'lots']) {
    await throws(() => kafka.producer({ retry: { factor } }), { name: 'TypeError', message: 'retry.factor must be a number from 0 to 1' }, `factor ${factor}`);
  }
  await producer.send({ topic: 'work', messages: [{ value: 'a' }] });

  const consumer = kafka.consumer({ groupId: 'workers', retry: { retries: 0, restartOnFailure: async () => false } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'work', fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => { throw new Error('the listener broke'); });
  await consumer.run({ eachMessage: async () => { throw new Error('cannot handle it'); } });
  for (let i = 0; i < 100 && !said('Consumer', 'Crash: '); i++) await sleep(20);
  eq(said('Consumer', 'Starting')?.log.groupId, 'workers', 'Starting');
  const joined = said('ConsumerGroup', 'Consumer has joined the group');
  eq([joined?.label, joined?.log.groupId, joined?.log.isLeader, joined?.log.memberAssignment], ['INFO', 'workers', true, { work: [0] }], 'joined');
  check(joined.log.memberId.startsWith('franz-'), 'the member id: ' + joined.log.memberId);
  const listener = said('Consumer', 'Failed to execute listener: the listener broke');
  eq([listener?.label, listener?.log.eventName], ['ERROR', 'consumer.group_join'], 'a listener that throws');
  const handler = said('Runner', 'Error when calling eachMessage');
  eq([handler?.log.topic, handler?.log.partition, handler?.log.offset, handler?.log.error?.message], ['work', 0, '0', 'cannot handle it'], 'the handler that failed');
  const crash = said('Consumer', 'Crash: KafkaJSNumberOfRetriesExceeded: cannot handle it');
  eq([crash?.label, crash?.log.groupId, crash?.log.retryCount], ['ERROR', 'workers', 0], 'the crash');
  consumer.pause([{ topic: 'work' }]);
  consumer.resume([{ topic: 'work' }]);
  eq([said('ConsumerGroup', 'Pausing fetching from 1 topics')?.log.topicPartitions, !!said('ConsumerGroup', 'Resuming fetching from 1 topics')], [[{ topic: 'work' }], true], 'pause and resume');
  const handled = [];
  await consumer.run({ eachMessage: async ({ message }) => { handled.push(message.value.toString()); } });
  await consumer.run({ eachMessage: async () => { throw new Error('never called'); } });
  eq(said('Consumer', 'consumer#run was called, but the consumer is already running')?.label, 'WARN', 'a second run only warns');
  await producer.send({ topic: 'work', messages: [{ value: 'b' }] });
  for (let i = 0; i < 100 && handled.length < 2; i++) await sleep(20);
  eq(handled, ['a', 'b'], 'the first run goes on with its handler');
  await consumer.stop();
  eq(said('Consumer', 'Stopped')?.log.groupId, 'workers', 'Stopped');
  await kafka.close();
}

/** KafkaJS's `compression` (CompressionTypes: None 0, GZIP 1, Snappy 2, LZ4 3, ZSTD 4) and a topic's
 * `compression.type`: batches of every codec are written, stored and read back like any others. */
export async function compressedSends(kafka) {
  const admin = kafka.admin();
  const codecs = [[1, 'gzip'], [2, 'snappy'], [3, 'lz4'], [4, 'zstd']];
  await admin.createTopics({
    topics: [{ topic: 'zipped', numPartitions: 2 }, ...codecs.map(([, name]) => ({ topic: `zipped-${name}`, numPartitions: 1, configEntries: [{ name: 'compression.type', value: name }] }))],
  });
  const producer = kafka.producer();
  await producer.connect();
  const messages = (codec) => Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 5}`, value: `codec ${codec} value ${i} `.repeat(20), headers: { n: String(i) } }));
  for (const [codec, name] of codecs) {
    const sent = await producer.send({ topic: 'zipped', compression: codec, messages: messages(codec) });
    check(sent.length > 0 && sent.every((m) => m.errorCode === 0), `RecordMetadata for a ${name} send`);
  }
  await producer.sendBatch({ compression: 4, topicMessages: [{ topic: 'zipped', messages: [{ value: 'batched' }] }] });
  await producer.send({ topic: 'zipped', messages: [{ value: 'plain' }] });
  const got = await readAll(kafka, 'zipped', 402);
  eq(got.length, 402, 'every record read back');
  const byValue = new Map(got.map((m) => [m.value, m]));
  for (const [codec, name] of codecs) {
    check(messages(codec).every((m) => byValue.get(m.value)?.key === m.key && byValue.get(m.value).headers.n === m.headers.n), `keys, values and headers of the ${name} send`);
  }
  check(byValue.has('batched') && byValue.has('plain'), 'a ZSTD sendBatch and a plain send beside them');
  // A topic whose compression.type names a codec stores every batch in it, whatever the producer used; readers
  // see no difference.
  for (const [, name] of codecs) {
    await producer.send({ topic: `zipped-${name}`, messages: [{ value: `stored as ${name}` }] });
    await producer.send({ topic: `zipped-${name}`, compression: 1, messages: [{ value: 'sent as GZIP' }] });
    eq((await readAll(kafka, `zipped-${name}`, 2)).map((m) => m.value), [`stored as ${name}`, 'sent as GZIP'], `a ${name} topic reads back`);
    const cfg = (await admin.describeConfigs({ resources: [{ type: 2, name: `zipped-${name}` }] })).resources[0].configEntries;
    eq(cfg.find((e) => e.configName === 'compression.type').configValue, name, `describeConfigs shows ${name}`);
  }
  await rejects(producer.send({ topic: 'zipped', compression: 9, messages: [{ value: 'x' }] }), { name: 'TypeError', message: 'compression must be one of' }, 'no such codec');
  await rejects(admin.createTopics({ topics: [{ topic: 'z', configEntries: [{ name: 'compression.type', value: 'brotli' }] }] }), { type: 'INVALID_CONFIG' }, 'a codec Kafka does not have');
  // compression.gzip.level: the level a GZIP topic converts at (the core's tests compare the sizes it gives).
  await admin.createTopics({ topics: [{ topic: 'zipped-best', configEntries: [{ name: 'compression.type', value: 'gzip' }, { name: 'compression.gzip.level', value: '9' }] }] });
  // (A small send: a large one leaves a large buffer pooled, which web_api's frames test would then reuse.)
  await producer.send({ topic: 'zipped-best', messages: messages(9).slice(0, 5) });
  eq((await readAll(kafka, 'zipped-best', 5)).map((m) => m.value), messages(9).slice(0, 5).map((m) => m.value), 'a level-9 GZIP topic reads back');
  const best = (await admin.describeConfigs({ resources: [{ type: 2, name: 'zipped-best' }] })).resources[0].configEntries;
  eq(best.find((e) => e.configName === 'compression.gzip.level').configValue, '9', 'describeConfigs shows the level');
  await rejects(admin.createTopics({ topics: [{ topic: 'z', configEntries: [{ name: 'compression.gzip.level', value: '10' }] }] }), { type: 'INVALID_CONFIG' }, 'a GZIP level past 9');
  await rejects(admin.createTopics({ topics: [{ topic: 'z', configEntries: [{ name: 'compression.zstd.level', value: '3' }] }] }), { type: 'INVALID_CONFIG', message: 'compress at one level' }, 'a ZSTD level franz cannot honour');
  return true;
}

/** A cluster in memory bounds what its logs hold (`memoryLimitBytes`): a send past it is refused with
 * KAFKA_STORAGE_ERROR and writes nothing, and goes through once deleted records have freed memory. */
export async function memoryLimitBoundsALogInMemory({ open }) {
  await rejects(open({ cluster: 'mem-zero', storage: 'memory', memoryLimitBytes: 0 }), { name: 'TypeError', message: 'memoryLimitBytes must be a positive number of bytes (or -1 for no limit), got 0' }, 'a zero limit');
  await rejects(open({ cluster: 'mem-word', storage: 'memory', memoryLimitBytes: 'lots' }), { name: 'TypeError', message: 'memoryLimitBytes' }, 'a limit that is not a number');
  const kafka = await open({ cluster: 'mem-limit', storage: 'memory', brokers: 3, memoryLimitBytes: 350_000 });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: 1, replicationFactor: 3 }] });
  const impatient = kafka.producer({ retry: { retries: 0 } });
  await impatient.connect();
  const value = new Uint8Array(100_000).fill(1);
  await impatient.send({ topic: 't', messages: [{ value }] });
  await impatient.send({ topic: 't', messages: [{ value }, { value }] });
  await rejects(impatient.send({ topic: 't', messages: [{ value }] }), { type: 'KAFKA_STORAGE_ERROR', code: 56, retriable: true, message: 'memoryLimitBytes' }, 'a send past the limit');
  eq((await admin.fetchTopicOffsets('t')).map((p) => p.high), ['3'], 'nothing of the refused send was written');
  const held = kafka.stats();
  eq(held.memoryLimitBytes, 350_000, 'stats: the limit');
  check(held.bytesInMemory > 300_000 && held.bytesInMemory <= 350_000, `stats: three records' batches, once each: ${held.bytesInMemory}`);
  // Deleted records free their memory, and the same send goes through.
  await admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 0, offset: -1 }] });
  const sent = await impatient.send({ topic: 't', messages: [{ value }, { value }, { value }] });
  eq(sent.map((m) => m.baseOffset), ['3'], 'written after the deleted records');
  const unlimited = await open({ cluster: 'mem-unlimited', storage: 'memory', brokers: 1, memoryLimitBytes: -1 });
  await unlimited.admin().createTopics({ topics: [{ topic: 't' }] });
  const free = unlimited.producer({ retry: { retries: 0 } });
  await free.connect();
  for (let i = 0; i < 5; i++) await free.send({ topic: 't', messages: [{ value }] });
  eq(unlimited.stats().memoryLimitBytes, null, 'stats: no limit');
  for (const k of [kafka, unlimited]) await k.close();
}

/** KafkaJS's network events: every request a client's broker answers is a `network.request` (with Kafka's API
 * key and name), a producer whose records wait for a place among `maxInFlightRequests` reports its request queue,
 * and a request a broker host leaves unanswered is a `network.request_timeout`. */
export async function networkEventsReportRequests(kafka, { throughPort, connect, open }) {
  const admin = kafka.admin();
  const adminSeen = [];
  const off = admin.on(admin.events.REQUEST, (e) => adminSeen.push(e));
  await admin.createTopics({ topics: [{ topic: 'net', numPartitions: 2 }] });
  off();
  await admin.listTopics();
  const created = adminSeen.find((e) => e.payload.apiName === 'CreateTopics');
  check(created?.type === 'admin.network.request', 'CreateTopics: ' + JSON.stringify(adminSeen.map((e) => e.payload.apiName)));
  const p = created.payload;
  eq([p.apiKey, p.clientId, p.broker.endsWith('.franz.local'), p.duration >= 0, p.pendingDuration >= 0, p.sentAt >= p.createdAt], [19, 'franz', true, true, true, true], 'its fields');
  eq(adminSeen.filter((e) => e.payload.apiName === 'Metadata').length, 0, 'no event once the listener is off');

  const producer = kafka.producer({ maxInFlightRequests: 1 });
  const produced = [];
  const queue = [];
  producer.on(producer.events.REQUEST, (e) => produced.push(e.payload));
  producer.on(producer.events.REQUEST_QUEUE_SIZE, (e) => queue.push(e.payload.queueSize));
  await producer.connect();
  await Promise.all(Array.from({ length: 30 }, (_, i) => producer.send({ topic: 'net', messages: [{ key: `k${i}`, value: `v${i}` }] })));
  const produces = produced.filter((r) => r.apiName === 'Produce');
  check(produces.length > 0 && produces.every((r) => r.apiKey === 0), 'Produce requests: ' + JSON.stringify(produced.map((r) => r.apiName)));
  const ids = produced.map((r) => r.correlationId);
  eq(new Set(ids).size, ids.length, 'each request has its own correlation id');
  // Through a port, the answer's bytes; in the page there are none.
  eq(produces.every((r) => (throughPort ? r.size > 0 : r.size === undefined)), true, 'size: ' + produces.map((r) => r.size));
  check(queue.includes(1) && queue.at(-1) === 0, 'the request queue filled and emptied: ' + queue);

  const consumer = kafka.consumer({ groupId: 'net-readers' });
  const asked = new Set();
  consumer.on(consumer.events.REQUEST, (e) => asked.add(`${e.payload.apiName}:${e.payload.apiKey}`));
  await consumer.connect();
  await consumer.subscribe({ topic: 'net', fromBeginning: true });
  let read = 0;
  await consumer.run({ eachMessage: async () => { read += 1; } });
  for (let i = 0; i < 200 && read < 30; i++) await sleep(20);
  await consumer.stop();
  for (const api of ['JoinGroup:11', 'SyncGroup:14', 'OffsetFetch:9', 'Fetch:1']) check(asked.has(api), `a consumer's ${api}: ${[...asked]}`);
  await consumer.disconnect();
  await producer.disconnect();

  if (throughPort) {
    // A host that stops answering: the request times out, and says so.
    const host = await open({ cluster: 'net-silent', storage: 'memory' });
    const toClient = new MessageChannel();
    const toHost = new MessageChannel();
    let relaying = true;
    toClient.port2.onmessage = (e) => toHost.port1.postMessage(e.data);
    toHost.port1.onmessage = (e) => relaying && toClient.port2.postMessage(e.data);
    host.serve(toHost.port2);
    const client = await connect(toClient.port1, { requestTimeout: 200 });
    const silentAdmin = client.admin();
    const timeouts = [];
    silentAdmin.on(silentAdmin.events.REQUEST_TIMEOUT, (e) => timeouts.push(e));
    relaying = false;
    await rejects(silentAdmin.listTopics(), { type: 'REQUEST_TIMED_OUT' }, 'a request the host never answers');
    eq(timeouts.map((e) => [e.type, e.payload.apiName, e.payload.apiKey, e.payload.duration]), [['admin.network.request_timeout', 'Metadata', 3, undefined]], 'the timeout event');
    await client.close();
    await host.close();
  }
  return true;
}
