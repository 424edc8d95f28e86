// Custom partition assigners, in Node: KafkaJS's own assigner functions and hand-written ones run franz's
// consumer groups, and franz's `AssignerProtocol` writes and reads the same bytes as KafkaJS's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import * as franz from '../../pkg/franz.js';
import { ROOT } from './helpers.mjs';

const { Kafka, AssignerProtocol } = franz;
franz.initSync({ module: readFileSync(`${ROOT}pkg/franz_bg.wasm`) });
const theirs = kafkajs.AssignerProtocol;

const bytes = (b) => [...b];

test("AssignerProtocol's bytes are KafkaJS's, both ways", () => {
  const subscriptions = [
    { version: 0, topics: ['orders', 'payments'] },
    { version: 3, topics: [], userData: Buffer.from([1, 2, 3]) },
    { version: 1, topics: ['ünïcödé'], userData: Buffer.alloc(0) },
  ];
  for (const s of subscriptions) {
    const ours = AssignerProtocol.MemberMetadata.encode(s);
    assert.deepEqual(bytes(ours), bytes(theirs.MemberMetadata.encode(s)), JSON.stringify(s));
    const back = AssignerProtocol.MemberMetadata.decode(theirs.MemberMetadata.encode(s));
    assert.deepEqual({ ...back, userData: bytes(back.userData) }, { ...s, userData: bytes(s.userData ?? []) });
  }
  const assignments = [
    { version: 0, assignment: { a: [0, 2, 4], b: [1] } },
    { version: 0, assignment: {}, userData: Buffer.from('sticky') },
  ];
  for (const a of assignments) {
    const ours = AssignerProtocol.MemberAssignment.encode(a);
    assert.deepEqual(bytes(ours), bytes(theirs.MemberAssignment.encode(a)), JSON.stringify(a));
    assert.deepEqual(theirs.MemberAssignment.decode(Buffer.from(ours)).assignment, a.assignment);
    assert.deepEqual(AssignerProtocol.MemberAssignment.decode(theirs.MemberAssignment.encode(a)).assignment, a.assignment);
  }
  assert.equal(AssignerProtocol.MemberAssignment.decode(new Uint8Array(0)), null, 'no bytes: no assignment, as KafkaJS');
});

test('AssignerProtocol refuses what it cannot read or write, with a named error', () => {
  const cut = theirs.MemberAssignment.encode({ version: 0, assignment: { topic: [0, 1] } }).subarray(0, 12);
  assert.throws(() => AssignerProtocol.MemberAssignment.decode(cut), (e) => e.type === 'CORRUPT_MESSAGE' && /MemberAssignment/.test(e.message));
  assert.throws(() => AssignerProtocol.MemberMetadata.decode('not bytes'), (e) => e instanceof TypeError && /Uint8Array/.test(e.message));
  assert.throws(() => AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [7] }), (e) => e instanceof TypeError && /topics\[0\]/.test(e.message));
  assert.throws(() => AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { t: [-1.5] } }), TypeError);
});

/** A cluster with topic `t` of `partitions` partitions, its admin and a producer. */
async function cluster(name, partitions, more = []) {
  const kafka = await Kafka.open({ cluster: name, brokers: 1, storage: 'memory' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 't', numPartitions: partitions }, ...more.map((topic) => ({ topic }))] });
  const producer = kafka.producer();
  await producer.connect();
  return { kafka, admin, producer };
}

/** A consumer of `t` (from the beginning) in group `g` that records what it reads; `joined` resolves at its
 * first group join. */
async function member(kafka, options, seen) {
  const consumer = kafka.consumer({ groupId: 'g', heartbeatInterval: 50, sessionTimeout: 2000, rebalanceTimeout: 2000, ...options });
  await consumer.connect();
  await consumer.subscribe({ topic: 't', fromBeginning: true });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, (e) => resolve(e.payload)));
  await consumer.run({ eachMessage: async ({ topic, partition, message }) => seen.push(`${topic}/${partition}/${message.offset}`) });
  return { consumer, joined };
}

async function until(check, what) {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

test("KafkaJS's own round-robin assigner runs a franz group", async () => {
  const { kafka, admin, producer } = await cluster('kafkajs-assigner', 4);
  const seen = [];
  const options = { partitionAssigners: [kafkajs.PartitionAssigners.roundRobin] };
  const a = await member(kafka, options, seen);
  await a.joined;
  const b = await member(kafka, options, seen);
  let group;
  for (let i = 0; i < 200; i++) {
    group = (await admin.describeGroups(['g'])).groups[0];
    if (group.state === 'Stable' && group.members.length === 2 && group.members.every((m) => m.memberAssignment.length === 2)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(group.protocol, 'RoundRobinAssigner', "the group runs KafkaJS's assigner, by its name");
  // KafkaJS's round robin: members sorted by id, partitions dealt in turn.
  const ids = group.members.map((m) => m.memberId).sort();
  const partitionsOf = (id) => group.members.find((m) => m.memberId === id).memberAssignment.map((p) => p.partition).sort();
  assert.deepEqual([partitionsOf(ids[0]), partitionsOf(ids[1])], [[0, 2], [1, 3]]);
  await producer.send({ topic: 't', messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
  await until(() => seen.length >= 40, `read ${seen.length} of 40`);
  assert.equal(new Set(seen).size, 40, 'each record read once');
  await Promise.all([a.consumer.disconnect(), b.consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  await kafka.close();
});

/** A custom assigner: each member says in its metadata's userData which partition it wants; the leader gives
 * each its wish, the rest round-robin, and hands the first member topic `other`, which it did not subscribe to. */
function wishing(wish, log) {
  return ({ cluster, groupId, logger }) => ({
    name: 'Wishing',
    version: 1,
    protocol({ topics }) {
      return { name: this.name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: new Uint8Array([wish]) }) };
    },
    async assign({ members, topics }) {
      log.push({ groupId, hasLogger: typeof logger.info === 'function', topics, nodes: cluster.getNodeIds() });
      const wishes = new Map(members.map((m) => [m.memberId, AssignerProtocol.MemberMetadata.decode(m.memberMetadata).userData[0]]));
      const all = cluster.findTopicPartitionMetadata('t').map((p) => p.partitionId);
      const rest = all.filter((p) => ![...wishes.values()].includes(p));
      const ids = [...wishes.keys()].sort();
      const byMember = new Map(ids.map((id) => [id, [wishes.get(id)]]));
      rest.forEach((p, i) => byMember.get(ids[i % ids.length]).push(p));
      log.push({ wishes: Object.fromEntries(wishes) });
      return ids.map((memberId, i) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: i === 0 ? { t: byMember.get(memberId), other: [0] } : { t: byMember.get(memberId) } }),
      }));
    },
  });
}

test('a custom assigner gets every member its metadata carries, and its assignment is what members read', async () => {
  const { kafka, admin, producer } = await cluster('custom-assigner', 4, ['other']);
  const [seen, log] = [[], []];
  const a = await member(kafka, { partitionAssigners: [wishing(3, log), 'roundrobin'] }, seen);
  await a.joined;
  const unsubscribed = [];
  const b = await member(kafka, { partitionAssigners: [wishing(1, log)] }, seen);
  for (const m of [a, b]) m.consumer.on(m.consumer.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e) => unsubscribed.push(e.payload));
  let group;
  for (let i = 0; i < 200; i++) {
    group = (await admin.describeGroups(['g'])).groups[0];
    if (group.state === 'Stable' && group.members.length === 2 && log.filter((l) => l.wishes).some((l) => Object.keys(l.wishes).length === 2)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(group.protocol, 'Wishing', 'b offers only the custom assigner, so the group runs it');
  const last = log.filter((l) => l.wishes).at(-1).wishes;
  assert.deepEqual(Object.values(last).sort(), [1, 3], "the leader read each member's userData");
  const context = log.find((l) => l.groupId);
  const nodes = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
  assert.deepEqual([context.groupId, context.hasLogger, context.topics, context.nodes], ['g', true, ['t'], nodes]);
  const byId = Object.fromEntries(group.members.map((m) => [m.memberId, m.memberAssignment.filter((p) => p.topic === 't').map((p) => p.partition).sort()]));
  const wishOf = (id) => last[id];
  for (const [id, partitions] of Object.entries(byId)) assert.ok(partitions.includes(wishOf(id)), `${id} got its wish: ${partitions}`);
  await until(() => unsubscribed.length > 0, 'the member given `other` said so');
  assert.deepEqual(unsubscribed.at(-1).topicsNotSubscribed, ['other']);
  assert.deepEqual(unsubscribed.at(-1).assignedTopics, ['other', 't']);
  await producer.send({ topic: 'other', messages: [{ value: 'not for the group' }] });
  await producer.send({ topic: 't', messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
  await until(() => seen.length >= 20, `read ${seen.length} of 20`);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(seen.filter((s) => s.startsWith('other/')).length, 0, 'an unsubscribed topic is not read');
  assert.equal(new Set(seen).size, 20);
  await Promise.all([a.consumer.disconnect(), b.consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  await kafka.close();
});

test('bad assigners get named errors; one that throws crashes its consumer; no shared assignor is INCONSISTENT_GROUP_PROTOCOL', async () => {
  const { kafka, admin, producer } = await cluster('bad-assigners', 2);
  assert.throws(() => kafka.consumer({ groupId: 'g', partitionAssigners: [42] }), (e) => e instanceof TypeError && /partitionAssigners\[0\]/.test(e.message));
  assert.throws(() => kafka.consumer({ groupId: 'g', partitionAssigners: [() => ({ name: 'x' })] }), (e) => e instanceof TypeError && /partitionAssigners\[0\]\(\)/.test(e.message));
  assert.throws(() => kafka.consumer({ groupId: 'g', partitionAssigners: ['sticky-ish'] }), (e) => e.type === 'INCONSISTENT_GROUP_PROTOCOL');

  /** A consumer of `t` in `groupId` with `partitionAssigners`, run: the payload of its first crash. */
  const firstCrash = async (groupId, partitionAssigners) => {
    const consumer = kafka.consumer({ groupId, partitionAssigners });
    const crashes = [];
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload));
    await consumer.connect();
    await consumer.subscribe({ topic: 't' });
    await consumer.run({ eachMessage: async () => {} });
    await until(() => crashes.length > 0, `a consumer of ${groupId} crashed`);
    return { consumer, crash: crashes[0] };
  };
  const throwing = () => ({ name: 'Broken', version: 0, protocol: ({ topics }) => ({ name: 'Broken', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }) }), assign: async () => { throw new Error('assigner bug'); } });
  const broken = await firstCrash('broken', [throwing]);
  assert.equal(broken.crash.error.message, 'assigner bug');
  assert.equal(broken.crash.restart, false);

  const seen = [];
  const plain = await member(kafka, { partitionAssigners: ['roundrobin'] }, seen);
  await plain.joined;
  const odd = await firstCrash('g', [kafkajs.PartitionAssigners.roundRobin]);
  assert.equal(odd.crash.error.type, 'INCONSISTENT_GROUP_PROTOCOL');
  assert.equal((await admin.describeGroups(['g'])).groups[0].members.length, 1, 'the group kept its member');
  await Promise.all([broken.consumer.disconnect(), odd.consumer.disconnect(), plain.consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  await kafka.close();
});
