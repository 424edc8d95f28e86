// Consumers and their groups (tests/web_groups.rs): members splitting and handing over partitions, group
// administration, partitions handled concurrently, and consumers without a group.

import { check, consume, eq, rejects, sleep, text, throws } from './check.js';

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
  // Commits are records of __consumer_offsets, in the partition Kafka's partitionFor(groupId) names; its leader
  // is the group's coordinator. listTopics leaves the internal topic out, as Kafka's AdminClient does.
  const javaHash = (s) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 0);
  const [offsetsTopic] = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics;
  const home = offsetsTopic.partitions[(javaHash('splitters') & 0x7fffffff) % offsetsTopic.partitions.length];
  check(Number(home.highWatermark) > 0, 'the group\'s commits are records of its __consumer_offsets partition');
  eq((await admin.describeGroups(['splitters'])).groups[0].coordinator, { nodeId: home.leader }, 'the coordinator leads that partition');
  check(!(await admin.listTopics()).includes('__consumer_offsets'), 'listTopics hides internal topics');
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

/** `clientId`, of `Kafka.open` and of `Kafka.connect`: the members a client's consumers make report it, and their
 * member ids start with it, as in Kafka; 'franz' when none is given. */
export async function clientIdsNameGroupMembers({ open, connect }) {
  const kafka = await open({ cluster: 'client-ids', storage: 'memory', clientId: 'orders-service' });
  await kafka.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
  const channel = new MessageChannel();
  kafka.serve(channel.port1);
  const billing = await connect(channel.port2, { clientId: 'billing' });
  const members = [];
  for (const client of [kafka, billing]) {
    const consumer = client.consumer({ groupId: 'ids', heartbeatInterval: 100, sessionTimeout: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders' });
    await consumer.run({ eachMessage: async () => {} });
    members.push(consumer);
  }
  let group;
  for (let i = 0; i < 100; i++) {
    group = (await kafka.admin().describeGroups(['ids'])).groups[0];
    if (group.state === 'Stable' && group.members.length === 2) break;
    await sleep(50);
  }
  eq(group.members.map((m) => m.clientId).sort(), ['billing', 'orders-service'], 'each member reports its client');
  check(group.members.every((m) => m.memberId.startsWith(`${m.clientId}-`)), 'member ids start with the client id: ' + group.members.map((m) => m.memberId));
  for (const consumer of members) await consumer.stop();
  await billing.close();
  await kafka.close();

  const plain = await open({ cluster: 'client-ids-default', storage: 'memory', brokers: 1 });
  await plain.admin().createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
  const consumer = plain.consumer({ groupId: 'plain', heartbeatInterval: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 't' });
  await consumer.run({ eachMessage: async () => {} });
  for (let i = 0; i < 100 && !(await consumer.describeGroup()).members.length; i++) await sleep(50);
  eq((await consumer.describeGroup()).members.map((m) => m.clientId), ['franz'], 'the default client id');
  await consumer.stop();
  await plain.close();
  await rejects(open({ cluster: 'x', storage: 'memory', clientId: 7 }), { name: 'TypeError', message: 'clientId' }, 'a client id that is no string');
  await rejects(open({ cluster: 'x', storage: 'memory', clientId: '' }), { name: 'TypeError', message: 'clientId must not be empty' }, 'an empty client id');
  await rejects(connect(new MessageChannel().port1, { clientId: 7 }), { name: 'TypeError', message: 'clientId' }, 'through a port too');
  return true;
}

/** A custom partition assigner (KafkaJS's assigner functions) runs the group, in the page and through a port:
 * each member says in its metadata which partition it wants, the leader reads every member's metadata, gives
 * each its wish and deals the rest, and each member reads what it was given, every record once. `protocol` is
 * franz's `AssignerProtocol`. */
export async function aCustomAssignerRunsTheGroup(kafka, protocol) {
  await kafka.admin().createTopics({ topics: [{ topic: 'wishes', numPartitions: 4 }] });
  const seenMetadata = [];
  const wishing = (wish) => ({ cluster }) => ({
    name: 'Wishing',
    version: 0,
    protocol: ({ topics }) => ({ name: 'Wishing', metadata: protocol.MemberMetadata.encode({ version: 0, topics, userData: new Uint8Array([wish]) }) }),
    async assign({ members }) {
      const wishes = new Map(members.map((m) => [m.memberId, protocol.MemberMetadata.decode(m.memberMetadata).userData[0]]));
      seenMetadata.push([...wishes.values()].sort());
      const ids = [...wishes.keys()].sort();
      const given = new Map(ids.map((id) => [id, [wishes.get(id)]]));
      const rest = cluster.findTopicPartitionMetadata('wishes').map((p) => p.partitionId).filter((p) => ![...wishes.values()].includes(p));
      rest.forEach((p, i) => given.get(ids[i % ids.length]).push(p));
      return ids.map((memberId) => ({ memberId, memberAssignment: protocol.MemberAssignment.encode({ version: 0, assignment: { wishes: given.get(memberId) } }) }));
    },
  });
  const seen = new Map();
  const members = [];
  for (const wish of [3, 0]) {
    const consumer = kafka.consumer({ groupId: 'wishers', heartbeatInterval: 100, sessionTimeout: 1000, rebalanceTimeout: 3000, partitionAssigners: [wishing(wish)] });
    const member = { consumer, wish, id: null, assignment: null };
    consumer.on('consumer.group_join', ({ payload }) => Object.assign(member, { id: payload.memberId, assignment: payload.memberAssignment }));
    await consumer.connect();
    await consumer.subscribe({ topic: 'wishes', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { const v = text(message.value); seen.set(v, (seen.get(v) ?? 0) + 1); } });
    members.push(member);
  }
  const end = Date.now() + 8000;
  const stable = async () => {
    const d = await members[0].consumer.describeGroup();
    return d.state === 'Stable' && d.members.length === 2 && members.every((m) => m.assignment?.wishes?.length === 2);
  };
  while (!(await stable()) && Date.now() < end) await sleep(50);
  check(await stable(), 'two members, stable, two partitions each: ' + JSON.stringify(members.map((m) => m.assignment)));
  eq((await members[0].consumer.describeGroup()).protocol, 'Wishing', 'the group runs the custom assigner');
  eq(seenMetadata.at(-1), [0, 3], "the leader read both members' metadata");
  for (const m of members) check(m.assignment.wishes.includes(m.wish), `member wishing ${m.wish} got it: ${m.assignment.wishes}`);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'wishes', messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })) });
  while (seen.size < 40 && Date.now() < end + 8000) await sleep(50);
  eq(seen.size, 40, 'every record read');
  check([...seen.values()].every((n) => n === 1), 'no record read twice');
  for (const m of members) await m.consumer.stop();
  await producer.disconnect();
  return true;
}
