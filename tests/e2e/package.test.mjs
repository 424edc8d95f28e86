// The npm package as a user installs it: its package.json, and the real wasm module run in Node (memory storage),
// where random KafkaJS-style messages must come back exactly as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, CompressionCodecs, CompressionTypes, ConfigResourceTypes, ConfigSource, initSync, Kafka, PartitionAssigners, ResourcePatternTypes } from '../../pkg/franz.js';
import { ROOT } from './helpers.mjs';

initSync({ module: readFileSync(`${ROOT}pkg/franz_bg.wasm`) });

test('package.json names its entries and pulls in no runtime dependency', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}pkg/package.json`, 'utf8'));
  assert.equal(pkg.name, 'franz');
  assert.match(pkg.description, /Kafka/);
  assert.equal(pkg.license, 'MIT OR Apache-2.0');
  assert.deepEqual(Object.keys(pkg.exports), ['.', './worker', './franz_bg.wasm']);
  assert.equal(pkg.types, 'franz.d.ts');
  // The tutorial's terminal and chart are the site's, not the library's.
  assert.equal(pkg.dependencies, undefined, JSON.stringify(pkg.dependencies));
});

test("KafkaJS's `new Kafka({ brokers })` is a TypeError that names Kafka.open", () => {
  assert.throws(() => new Kafka({ clientId: 'shop', brokers: ['localhost:9092'] }), (e) => {
    assert.equal(e.name, 'TypeError');
    assert.equal(e.type, 'INVALID_REQUEST');
    assert.match(e.message, /await Kafka\.open\(/);
    return true;
  });
});

/** A small seeded generator, so a failure replays. */
function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0));
}

const ASCII = ['', 'a', 'plain ascii', 'x'.repeat(300)];
const TEXTS = [...ASCII, 'héllo wörld', '日本語', 'emoji 😀'];

/** A random key, value or header value as KafkaJS accepts it: a string, a Uint8Array or null. Sends whose text
 * is all ASCII take a faster path in packing than the others, so both kinds are drawn. */
function fieldOf(next, texts) {
  switch (next() % 3) {
    case 0: return null;
    case 1: return texts[next() % texts.length];
    default: return Uint8Array.from({ length: next() % 40 }, () => next() & 0xff);
  }
}

const bytesOf = (v) => (v === null ? null : typeof v === 'string' ? new TextEncoder().encode(v) : v);
/** A consumed key or value's bytes as a plain Uint8Array, to compare with what was sent. */
const plain = (v) => (v === null ? null : Uint8Array.from(v));

test('random messages (text of every width, bytes, nulls, repeated headers) round-trip exactly', async () => {
  const next = xorshift(2611);
  const kafka = await Kafka.open({ cluster: 'package-test', brokers: 1, storage: 'memory' });
  await kafka.admin().createTopics({ topics: [{ topic: 'mixed', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  const sent = [];
  for (let send = 0; send < 60; send++) {
    const texts = send % 2 ? ASCII : TEXTS;
    const field = (n) => fieldOf(n, texts);
    const messages = Array.from({ length: 1 + (next() % 30) }, () => {
      const m = { key: field(next), value: field(next), partition: next() % 2 };
      if (next() % 2) m.timestamp = String(1_700_000_000_000 + (next() % 1000));
      if (next() % 2) {
        m.headers = {};
        for (let h = next() % 3; h > 0; h--) {
          const name = `${texts[next() % texts.length]}#${h}`;
          m.headers[name] = next() % 3 === 0 ? [field(next), field(next)] : field(next);
        }
      }
      return m;
    });
    await producer.send({ topic: 'mixed', messages });
    sent.push(...messages);
  }
  const consumer = kafka.consumer({ groupId: 'package-test' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'mixed', fromBeginning: true });
  const got = [[], []];
  await new Promise((resolve) => {
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        got[partition].push(message);
        if (got[0].length + got[1].length === sent.length) resolve();
      },
    });
  });
  await consumer.disconnect();
  await kafka.close();

  const byPartition = [sent.filter((m) => m.partition === 0), sent.filter((m) => m.partition === 1)];
  for (const p of [0, 1]) {
    assert.equal(got[p].length, byPartition[p].length);
    byPartition[p].forEach((m, i) => {
      const g = got[p][i];
      assert.equal(g.offset, String(i));
      assert.deepEqual(plain(g.key), bytesOf(m.key ?? null));
      assert.deepEqual(plain(g.value), bytesOf(m.value));
      if (m.timestamp !== undefined) assert.equal(g.timestamp, m.timestamp);
      const expected = Object.fromEntries(
        Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(bytesOf) : bytesOf(v)]),
      );
      const headers = Object.fromEntries(Object.entries(g.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(plain) : plain(v)]));
      assert.deepEqual(headers, expected, `partition ${p} offset ${i}`);
      // Each reads as a Buffer of the same bytes would: text sent as text, and any bytes in the other encodings.
      for (const [field, as] of [[g.key, m.key ?? null], [g.value, m.value]]) {
        if (as === null) continue;
        if (typeof as === 'string') assert.equal(field.toString(), as);
        const buffer = Buffer.from(bytesOf(as));
        for (const encoding of ['hex', 'base64', 'latin1']) assert.equal(field.toString(encoding), buffer.toString(encoding));
      }
    });
  }
});

test("a consumed value reads as KafkaJS users read a Buffer: toString(), JSON.parse, a template", async () => {
  const kafka = await Kafka.open({ cluster: 'buffer-like', brokers: 1, storage: 'memory' });
  await kafka.admin().createTopics({ topics: [{ topic: 'orders' }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: [{ key: 'order-7', value: JSON.stringify({ id: 7, item: 'tée ☕' }) }] });
  const consumer = kafka.consumer({ groupId: 'readers' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  const message = await new Promise((resolve) => consumer.run({ eachMessage: async ({ message }) => resolve(message) }));
  await consumer.disconnect();
  await kafka.close();
  assert.ok(message.value instanceof Uint8Array);
  assert.equal(message.key.toString(), 'order-7');
  assert.equal(message.key.toString('utf-8'), 'order-7');
  assert.deepEqual(JSON.parse(message.value), { id: 7, item: 'tée ☕' });
  assert.equal(`${message.key}`, 'order-7');
  assert.throws(() => message.value.toString('ucs2'), { name: 'TypeError', message: /unknown encoding ucs2/ });
  // A view of it is one too, as a Buffer's subarray is a Buffer.
  assert.equal(message.key.subarray(6).toString(), '7');
});

test("KafkaJS's ConfigResourceTypes and ConfigSource, and its PartitionAssigners, serve as in KafkaJS", async () => {
  for (const [franz, theirs] of [[ConfigResourceTypes, kafkajs.ConfigResourceTypes], [ConfigSource, kafkajs.ConfigSource]]) {
    for (const [name, code] of Object.entries(theirs)) assert.equal(franz[name], code, name);
  }
  const kafka = await Kafka.open({ cluster: 'kafkajs-names', brokers: 1, storage: 'memory' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const { resources: [topic] } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: 'compacted', configNames: ['cleanup.policy', 'retention.ms'] }],
  });
  assert.equal(topic.resourceType, ConfigResourceTypes.TOPIC);
  const source = Object.fromEntries(topic.configEntries.map((e) => [e.configName, e.configSource]));
  assert.deepEqual(source, { 'cleanup.policy': ConfigSource.TOPIC_CONFIG, 'retention.ms': ConfigSource.DEFAULT_CONFIG });
  const { resources: [broker] } = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '1' }] });
  assert.equal(broker.resourceType, ConfigResourceTypes.BROKER);
  // KafkaJS's `partitionAssigners: [PartitionAssigners.roundRobin]`, and franz's other two.
  for (const [assigner, protocol] of [[PartitionAssigners.roundRobin, 'roundrobin'], [PartitionAssigners.range, 'range'], [PartitionAssigners.cooperativeSticky, 'cooperative-sticky']]) {
    const consumer = kafka.consumer({ groupId: `by-${protocol}`, partitionAssigners: [assigner] });
    await consumer.connect();
    await consumer.subscribe({ topic: 'compacted' });
    await consumer.run({ eachMessage: async () => {} });
    let described;
    for (let i = 0; i < 100 && described?.state !== 'Stable'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      described = await consumer.describeGroup();
    }
    assert.equal(described.protocol, protocol);
    await consumer.disconnect();
  }
  await kafka.close();
});

test("the ACL enums have KafkaJS's values, and an ACL made with them guards a topic", async () => {
  // KafkaJS's AclResourceTypes, AclOperationTypes, AclPermissionTypes and ResourcePatternTypes (Kafka's codes).
  const expected = [
    [AclResourceTypes, ['UNKNOWN', 'ANY', 'TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN']],
    [AclOperationTypes, ['UNKNOWN', 'ANY', 'ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION',
      'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE']],
    [AclPermissionTypes, ['UNKNOWN', 'ANY', 'DENY', 'ALLOW']],
    [ResourcePatternTypes, ['UNKNOWN', 'ANY', 'MATCH', 'LITERAL', 'PREFIXED']],
  ];
  for (const [values, names] of expected) names.forEach((name, code) => assert.equal(values[name], code, name));

  const users = { admin: 'a', carol: 'c' };
  const sasl = (username) => ({ sasl: { mechanism: 'plain', username, password: users[username] } });
  const kafka = await Kafka.open({ cluster: 'acl-package', brokers: 1, storage: 'memory', users, authorizer: { superUsers: ['User:admin'] }, ...sasl('admin') });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'audit' }] });
  await admin.createAcls({ acl: [{
    resourceType: AclResourceTypes.TOPIC, resourceName: 'aud', resourcePatternType: ResourcePatternTypes.PREFIXED,
    principal: 'User:carol', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW,
  }] });
  const { port1, port2 } = new MessageChannel();
  kafka.serve(port1);
  const carol = await Kafka.connect(port2, sasl('carol'));
  assert.deepEqual(await carol.admin().listTopics(), ['audit']);
  const producer = carol.producer();
  await producer.connect();
  await assert.rejects(producer.send({ topic: 'audit', messages: [{ value: 'x' }] }), { type: 'TOPIC_AUTHORIZATION_FAILED' });
  await carol.close();
  await kafka.close();
});

test("network.request events name each request by Kafka's API key and name, as KafkaJS's do", async () => {
  const apiKeys = createRequire(import.meta.url)('kafkajs/src/protocol/requests/apiKeys.js');
  const kafka = await Kafka.open({ cluster: 'api-keys', storage: 'memory', clientId: 'keys' });
  const seen = new Map();
  const clients = [kafka.admin(), kafka.producer({ transactionalId: 'tx' }), kafka.consumer({ groupId: 'g' })];
  for (const client of clients) client.on(client.events.REQUEST, ({ payload }) => seen.set(payload.apiName, payload.apiKey));
  const [admin, producer, consumer] = clients;
  await admin.createTopics({ topics: [{ topic: 't' }] });
  await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 't' }] });
  await admin.fetchTopicOffsets('t');
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic: 't', messages: [{ value: 'x' }] });
  await txn.sendOffsets({ consumerGroupId: 'g-txn', topics: [{ topic: 't', partitions: [{ partition: 0, offset: '1' }] }] });
  await txn.commit();
  await consumer.connect();
  await consumer.subscribe({ topic: 't', fromBeginning: true });
  await new Promise((resolve) => consumer.run({ eachMessage: async () => resolve() }));
  await consumer.disconnect();
  await admin.deleteGroups(['g']);
  await admin.deleteTopics({ topics: ['t'] });
  await kafka.close();
  const names = [...seen.keys()];
  for (const name of ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetFetch', 'JoinGroup', 'SyncGroup', 'CreateTopics', 'DeleteTopics', 'DescribeConfigs', 'InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn', 'DeleteGroups']) {
    assert.ok(seen.has(name), `${name} in ${names}`);
  }
  for (const [name, key] of seen) assert.equal(key, apiKeys[name], name);
});

test("each client's events object is KafkaJS's, so code that listens to every event runs", async () => {
  const theirs = new kafkajs.Kafka({ brokers: ['localhost:9092'], logLevel: kafkajs.logLevel.NOTHING });
  const kafka = await Kafka.open({ cluster: 'events-names', storage: 'memory' });
  const pairs = [
    [kafka.producer(), theirs.producer()],
    [kafka.consumer({ groupId: 'g' }), theirs.consumer({ groupId: 'g' })],
    [kafka.admin(), theirs.admin()],
  ];
  for (const [ours, kafkajsClient] of pairs) {
    assert.deepEqual({ ...ours.events }, { ...kafkajsClient.events });
    for (const name of Object.values(ours.events)) ours.on(name, () => {})();
  }
  await kafka.close();
});

test('KafkaJS code that registers a codec plugin runs, and franz compresses with its own codecs', async () => {
  const calls = [];
  const plugin = () => ({ compress: async () => calls.push('compress'), decompress: async () => calls.push('decompress') });
  CompressionCodecs[CompressionTypes.ZSTD] = plugin;
  const kafka = await Kafka.open({ cluster: 'codec-plugins', storage: 'memory' });
  await kafka.admin().createTopics({ topics: [{ topic: 'zipped' }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'zipped', compression: CompressionTypes.ZSTD, messages: [{ value: 'a'.repeat(1000) }] });
  const consumer = kafka.consumer({ groupId: 'unzip' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'zipped', fromBeginning: true });
  const value = await new Promise((resolve) => consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) }));
  await consumer.disconnect();
  await kafka.close();
  assert.equal(value, 'a'.repeat(1000));
  assert.deepEqual(calls, [], 'the plugin is not used');
});

test("fetchOffsets' resolveOffsets commits the high watermark where the group has no offset, as KafkaJS's does", async () => {
  const kafka = await Kafka.open({ cluster: 'resolve-offsets', storage: 'memory' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 't', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }] });
  await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 1, offset: '0' }] });
  const offsets = async (resolveOffsets) => (await admin.fetchOffsets({ groupId: 'g', topics: ['t'], resolveOffsets }))[0].partitions.map((p) => p.offset);
  assert.deepEqual(await offsets(false), ['-1', '0']);
  assert.deepEqual(await offsets(true), ['2', '0'], 'the missing offset resolved to the high watermark; the committed one kept');
  assert.deepEqual(await offsets(false), ['2', '0'], 'and committed');
  // As setOffsets, it will not commit under a running member.
  const consumer = kafka.consumer({ groupId: 'busy' });
  await consumer.connect();
  await consumer.subscribe({ topic: 't' });
  let joined;
  const member = new Promise((resolve) => { joined = resolve; });
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ eachMessage: async () => {} });
  await member;
  await assert.rejects(admin.fetchOffsets({ groupId: 'busy', topics: ['t'], resolveOffsets: true }), (e) => e.type === 'NON_EMPTY_GROUP');
  await consumer.disconnect();
  await kafka.close();
});
