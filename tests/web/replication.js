// Replication scenarios (tests/web_replication.rs): brokers killed, restarted and cut off through the admin API,
// with failover, acks=all and min.insync.replicas as a KafkaJS user sees them.

import { check, consume, eq, readAll, rejects, sleep, text } from './check.js';

/** Polls topic metadata until `ok(partitions)` holds, or fails after `ms`. */
async function until(admin, topic, ok, what, ms = 8000) {
  const end = Date.now() + ms;
  let partitions;
  while (Date.now() < end) {
    partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions;
    if (ok(partitions)) return partitions;
    await sleep(100);
  }
  throw new Error(`${what}: never happened; last metadata ${JSON.stringify(partitions)}`);
}

export async function failoverLosesNothingAcknowledged({ open, deleteCluster }) {
  await deleteCluster('failover');
  let kafka = await open({ cluster: 'failover', brokers: 3, storage: 'indexeddb' });
  const admin = kafka.admin();
  const changes = [];
  kafka.on('cluster.change', (e) => changes.push(...e.changes.map((c) => c.type)));
  await admin.createTopics({ topics: [{ topic: 'pay', numPartitions: 3, replicationFactor: 3,
    configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const acked = [];
  let victim;
  for (let i = 0; i < 60; i++) {
    if (i === 20) {
      victim = (await admin.fetchTopicMetadata({ topics: ['pay'] })).topics[0].partitions[0].leader;
      await admin.killBroker(victim);
    }
    try {
      const [meta] = await producer.send({ topic: 'pay', acks: -1, messages: [{ key: 'k' + (i % 6), value: 'v' + i }] });
      acked.push({ partition: meta.partition, value: 'v' + i });
    } catch (e) {
      check(e.retriable, `a failed send during the failover is retriable (${e.type})`);
    }
  }
  check(acked.length >= 55, `sends ride through the failover on retries: ${acked.length} of 60 acknowledged`);
  console.log(`failover: ${acked.length} of 60 sends acknowledged`);
  const failed = await until(admin, 'pay', (ps) => ps.every((p) => p.leader !== victim && !p.isr.includes(victim)), 'failover');
  for (const p of failed) {
    eq(p.offlineReplicas, [victim], `partition ${p.partitionId}: the dead broker is an offline replica`);
    check(p.isr.length === 2, `partition ${p.partitionId}: the ISR shrank to the two live replicas`);
  }
  check(failed.some((p) => p.leaderEpoch > 0), 'the dead leader\'s partitions have a new leader epoch');
  eq((await admin.describeCluster()).offlineBrokers, [victim], 'describeCluster names the dead broker');
  check(changes.includes('broker') && changes.includes('replication'), `change events: ${[...new Set(changes)]}`);

  await admin.restartBroker(victim);
  const healed = await until(admin, 'pay', (ps) => ps.every((p) => p.isr.length === 3 && p.leader === p.replicas[0]),
    'the restarted broker catches up, rejoins every ISR and leads its preferred partitions again');
  for (const p of healed) {
    eq(new Set(p.replicaLogEndOffsets).size, 1, `partition ${p.partitionId}: replicas agree on the log end`);
  }
  await producer.disconnect();
  await kafka.close();

  kafka = await open({ cluster: 'failover', brokers: 3, storage: 'indexeddb' });
  const read = await readAll(kafka, 'pay', acked.length);
  const values = read.map((r) => r.value);
  eq(new Set(values).size, values.length, 'no record was written twice');
  for (const p of [0, 1, 2]) {
    const sent = acked.filter((a) => a.partition === p).map((a) => a.value);
    const got = read.filter((r) => r.partition === p).map((r) => r.value).filter((v) => sent.includes(v));
    eq(got, sent, `partition ${p}: every acknowledged record survived the failover and the reload, in order`);
  }
  await kafka.close();
}

export async function acksAllNeedsMinInsyncReplicas({ open }) {
  const kafka = await open({ cluster: 'min-isr', brokers: 3, storage: 'memory' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'strict', numPartitions: 1, replicationFactor: 3,
    configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  const [{ replicas }] = (await admin.fetchTopicMetadata({ topics: ['strict'] })).topics[0].partitions;
  await admin.killBroker(replicas[1]);
  await admin.killBroker(replicas[2]);
  await until(admin, 'strict', ([p]) => p.isr.length === 1, 'the ISR shrinks to the leader');
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  await rejects(producer.send({ topic: 'strict', acks: -1, messages: [{ value: 'x' }] }),
    { type: 'NOT_ENOUGH_REPLICAS', retriable: true }, 'acks=all with ISR 1 < min.insync.replicas 2');
  const [one] = await producer.send({ topic: 'strict', acks: 1, messages: [{ value: 'y' }] });
  eq(one.baseOffset, '0', 'acks=1 is written by the leader alone, and only acks=1 wrote');
  await rejects(admin.killBroker(replicas[1]), { type: 'BROKER_NOT_AVAILABLE' }, 'killing a dead broker');
  await rejects(admin.killBroker(7), { type: 'INVALID_REQUEST' }, 'killing a broker that does not exist');
  await rejects(admin.partitionNetwork([[1, 2]]), { type: 'INVALID_REQUEST' }, 'a split that leaves a broker out');
  await kafka.close();
}

export async function aCutOffLeaderIsReplaced({ open }) {
  const kafka = await open({ cluster: 'split', brokers: 3, storage: 'memory', racks: ['a', 'b', 'c'] });
  const admin = kafka.admin();
  eq((await admin.describeCluster()).brokers.map((b) => b.rack), ['a', 'b', 'c'], 'brokers carry their racks');
  await admin.createTopics({ topics: [{ topic: 'cut', numPartitions: 1, replicationFactor: 3 }] });
  const [{ leader }] = (await admin.fetchTopicMetadata({ topics: ['cut'] })).topics[0].partitions;
  const others = [1, 2, 3].filter((b) => b !== leader);
  await admin.partitionNetwork([others, [leader]]);
  // Cut off, the leader still thinks it leads: an acks=all send waits for followers it cannot reach for as long
  // as its `timeout` says, then fails REQUEST_TIMED_OUT (well before the controller elects another leader, after
  // its 1 s session timeout, which would fail it NOT_LEADER_OR_FOLLOWER).
  const impatient = kafka.producer({ retry: { retries: 0 } });
  await impatient.connect();
  const started = Date.now();
  await rejects(impatient.send({ topic: 'cut', acks: -1, timeout: 300, messages: [{ value: 'never acknowledged' }] }),
    { type: 'REQUEST_TIMED_OUT', retriable: true }, 'acks=all past its timeout');
  check(Date.now() - started >= 250, 'the send waited out its timeout');
  await until(admin, 'cut', ([p]) => p.leader !== leader && !p.isr.includes(leader), 'the controller\'s side elects another leader');
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'cut', messages: [{ value: 'during the split' }] });
  await admin.healNetwork();
  const [p] = await until(admin, 'cut', ([p]) => p.leader === leader && p.isr.length === 3, 'healed, the preferred leader returns');
  eq(p.replicaHighWatermarks, ['1', '1', '1'], 'every replica knows the high watermark');
  // A consumer in rack of a follower reads the same records (KIP-392: from that follower, up to the HW).
  const consumer = kafka.consumer({ groupId: 'near', rackId: others[0] === 1 ? 'a' : others[0] === 2 ? 'b' : 'c' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'cut', fromBeginning: true });
  const got = [];
  let done;
  const one = new Promise((r) => (done = r));
  await consumer.run({ eachMessage: async ({ message }) => { got.push(text(message.value)); done(); } });
  await Promise.race([one, sleep(5000)]);
  await consumer.disconnect();
  eq(got, ['during the split'], 'a rack-aware consumer reads what was committed');
  await kafka.close();
}

export async function aLongDeadFollowerCatchesUpFromStorage({ open, deleteCluster }) {
  await deleteCluster('catch-up');
  const kafka = await open({ cluster: 'catch-up', brokers: 3, storage: 'indexeddb' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'bulk', numPartitions: 1, replicationFactor: 3 }] });
  const [{ replicas }] = (await admin.fetchTopicMetadata({ topics: ['bulk'] })).topics[0].partitions;
  const follower = replicas[2];
  await admin.killBroker(follower);
  await until(admin, 'bulk', ([p]) => p.isr.length === 2, 'the dead follower leaves the ISR');
  // 6 MB while it is down: more than the 4 MiB a leader keeps in memory per replica.
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: 1000 }, (_, i) => ({ value: 'x'.repeat(90) + String(i).padStart(10, '0') }));
  for (let i = 0; i < 60; i++) await producer.send({ topic: 'bulk', messages });
  await admin.restartBroker(follower);
  const [p] = await until(admin, 'bulk', ([p]) => p.isr.length === 3, 'the follower catches up from the leader\'s storage', 20000);
  eq(p.replicaLogEndOffsets, ['60000', '60000', '60000'], 'every replica holds all 60 000 records');
  await kafka.close();
}

export async function anUncleanElectionIsReported({ open }) {
  const kafka = await open({ cluster: 'unclean', brokers: 3, storage: 'memory' });
  const warnings = [];
  kafka.on('warning', (w) => warnings.push(w.message));
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'risky', numPartitions: 1, replicationFactor: 3,
    configEntries: [{ name: 'unclean.leader.election.enable', value: 'true' }] }] });
  const [{ replicas: r }] = (await admin.fetchTopicMetadata({ topics: ['risky'] })).topics[0].partitions;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'risky', messages: [{ value: 'a' }] });
  await admin.killBroker(r[2]);
  await until(admin, 'risky', ([p]) => p.isr.length === 2, 'the first dead follower leaves the ISR');
  await producer.send({ topic: 'risky', messages: [{ value: 'b' }] }); // broker r[2] never gets it
  await admin.killBroker(r[0]);
  await admin.killBroker(r[1]);
  await until(admin, 'risky', ([p]) => p.leader === -1, 'with its whole ISR dead the partition is offline');
  await admin.restartBroker(r[2]);
  await until(admin, 'risky', ([p]) => p.leader === r[2], 'the out-of-sync replica leads');
  const end = Date.now() + 2000;
  while (!warnings.some((w) => w.includes('unclean leader election')) && Date.now() < end) await sleep(50);
  const warning = warnings.find((w) => w.includes('unclean leader election'));
  check(warning && warning.includes('1 records'), `the election and its loss are reported: ${warnings}`);
  await kafka.close();
}

export async function aGroupRidesThroughItsCoordinatorsFailover({ open }) {
  const kafka = await open({ cluster: 'coordinator', brokers: 3, storage: 'memory' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'work', numPartitions: 2, replicationFactor: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'workers' });
  const crashes = [];
  consumer.on('consumer.crash', (e) => crashes.push(e.payload.error));
  await consumer.connect();
  await consumer.subscribe({ topic: 'work', fromBeginning: true });
  const seen = new Set();
  await consumer.run({ autoCommitThreshold: 1, eachMessage: async ({ message }) => { seen.add(text(message.value)); } });
  const send = (from) => producer.send({ topic: 'work', messages: Array.from({ length: 5 }, (_, i) => ({ key: 'k' + i, value: 'm' + (from + i) })) });
  await send(0);
  const committed = async () => (await admin.fetchOffsets({ groupId: 'workers', topics: ['work'] }))[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  for (let end = Date.now() + 8000; (await committed()) < 5 && Date.now() < end;) await sleep(100);
  const { coordinator } = (await admin.describeGroups(['workers'])).groups[0];
  check(coordinator, 'the group has a coordinator');
  await admin.killBroker(coordinator.nodeId);
  await send(5);
  for (let end = Date.now() + 12000; (await committed()) < 10 && Date.now() < end;) await sleep(100);
  eq(await committed(), 10, 'commits resumed under the new coordinator');
  eq(seen.size, 10, 'every record was consumed');
  eq(crashes, [], 'the consumer never crashed');
  check((await admin.describeGroups(['workers'])).groups[0].coordinator.nodeId !== coordinator.nodeId, 'the coordinator moved');
  await consumer.disconnect();
  await kafka.close();
}

/** DeleteRecords across a split network, as Kafka answers it: a follower the network cuts off holds the answer
 * until the controller fences it; a cut-off leader answers NOT_LEADER_OR_FOLLOWER once another leads; an
 * idempotent producer goes on after its records are deleted; and no failover brings deleted records back. */
export async function deletedRecordsThroughASplit({ open }) {
  const kafka = await open({ cluster: 'purge-split', brokers: 3, storage: 'memory' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'gone', numPartitions: 1, replicationFactor: 3 }] });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: 'gone', messages: [{ value: 'a' }, { value: 'b' }] });
  const [{ leader, replicas }] = (await admin.fetchTopicMetadata({ topics: ['gone'] })).topics[0].partitions;
  const follower = replicas.find((b) => b !== leader);

  await admin.partitionNetwork([replicas.filter((b) => b !== follower), [follower]]);
  await admin.deleteTopicRecords({ topic: 'gone', partitions: [{ partition: 0, offset: '-1' }] });
  const [fenced] = (await admin.fetchTopicMetadata({ topics: ['gone'] })).topics[0].partitions;
  check(!fenced.isr.includes(follower), `the answer came once the cut-off follower was fenced: ${JSON.stringify(fenced)}`);
  await admin.healNetwork();
  await until(admin, 'gone', ([p]) => p.isr.length === 3, 'healed, the follower is back in the ISR');
  // The idempotent producer's batches were all deleted: it goes on all the same (KIP-360).
  await producer.send({ topic: 'gone', messages: [{ value: 'c' }] });
  // Every replica but the one that was cut off dies: it leads, and the deleted records stay deleted.
  for (const b of replicas.filter((b) => b !== follower)) await admin.killBroker(b);
  await until(admin, 'gone', ([p]) => p.leader === follower, 'the follower that was cut off leads');
  eq((await admin.fetchTopicOffsets('gone')).map((p) => [p.low, p.high]), [['2', '3']], 'its log starts at the deletion');
  // A consumer without a group (the group coordinator may have died too) reads only what came after.
  const reader = kafka.consumer({});
  await reader.connect();
  await reader.subscribe({ topic: 'gone', fromBeginning: true });
  eq((await consume(reader, 1)).map((m) => [m.offset, m.value]), [['2', 'c']], 'only what came after');
  for (const b of replicas.filter((b) => b !== follower)) await admin.restartBroker(b);
  await until(admin, 'gone', ([p]) => p.isr.length === 3, 'everyone back');

  // A leader the network cuts off deletes alone and loses the partition before anyone follows.
  const [{ leader: alone }] = (await admin.fetchTopicMetadata({ topics: ['gone'] })).topics[0].partitions;
  await admin.partitionNetwork([replicas.filter((b) => b !== alone), [alone]]);
  await rejects(admin.deleteTopicRecords({ topic: 'gone', partitions: [{ partition: 0, offset: '-1' }] }), { type: 'NOT_LEADER_OR_FOLLOWER', retriable: true }, 'a cut-off leader');
  await admin.healNetwork();
  await kafka.close();
}

/** Kafka's partition reassignment (KIP-455) as KafkaJS has it: a partition moves to two other brokers, one of
 * them down, while it serves. The move waits for the dead broker, shows in `listPartitionReassignments`,
 * completes once it is back and caught up, and survives a reload; bad moves get Kafka's errors. With `connect`,
 * the admin calls go through a MessagePort to the cluster. */
export async function partitionsMoveBetweenBrokers({ open, connect, deleteCluster }, throughPort) {
  const cluster = throughPort ? 'reassign-port' : 'reassign';
  await deleteCluster(cluster);
  const local = await open({ cluster, brokers: 4, storage: 'indexeddb' });
  let kafka = local;
  if (throughPort) {
    const { port1, port2 } = new MessageChannel();
    local.serve(port1);
    kafka = await connect(port2, {});
  }
  const admin = kafka.admin();
  // Replicas placed by hand, at creation and growth (KafkaJS's replicaAssignment and assignments).
  await admin.createTopics({ topics: [{ topic: 'placed', replicaAssignment: [{ partition: 1, replicas: [2, 3] }, { partition: 0, replicas: [4, 1] }] }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'placed', count: 3, assignments: [[3, 4]] }] });
  const placed = async () => (await kafka.admin().fetchTopicMetadata({ topics: ['placed'] })).topics[0].partitions.map((p) => p.replicas);
  eq(await placed(), [[4, 1], [2, 3], [3, 4]], 'each partition on the brokers it was given');
  await rejects(admin.createTopics({ topics: [{ topic: 'badly', replicaAssignment: [{ partition: 0, replicas: [1, 1] }] }] }), { type: 'INVALID_REPLICA_ASSIGNMENT', code: 39 }, 'a broker twice');
  await rejects(admin.createTopics({ topics: [{ topic: 'badly', numPartitions: 2, replicaAssignment: [{ partition: 0, replicas: [1] }] }] }), { type: 'INVALID_REQUEST' }, 'a partition count beside an assignment');
  await rejects(admin.createPartitions({ topicPartitions: [{ topic: 'placed', count: 4, assignments: [[1]] }] }), { type: 'INVALID_REPLICA_ASSIGNMENT' }, 'a new partition with fewer replicas');
  await admin.createTopics({ topics: [{ topic: 'moving', numPartitions: 1, replicationFactor: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  const send = (from, to) => producer.send({ topic: 'moving', acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ value: `v${from + i}` })) });
  await send(0, 100);
  const [{ replicas }] = (await admin.fetchTopicMetadata({ topics: ['moving'] })).topics[0].partitions;
  const target = [1, 2, 3, 4].filter((b) => !replicas.includes(b));
  await admin.killBroker(target[1]);

  await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: target }] }] });
  const listed = await admin.listPartitionReassignments();
  eq(listed.topics.map((t) => [t.topic, t.name]), [['moving', 'moving']], 'the move is listed (`name`, as KafkaJS\'s answer has it)');
  const [moving] = listed.topics[0].partitions;
  check(moving.addingReplicas.includes(target[1]), `the dead broker is still joining: ${JSON.stringify(moving)}`);
  eq([...moving.removingReplicas].sort(), [...replicas].sort(), 'the old replicas leave once it is done');
  eq((await admin.listPartitionReassignments({ topics: [{ topic: 'moving', partitions: [1] }] })).topics, [], 'only the partitions asked for');
  await send(100, 120); // it serves while it moves

  await admin.restartBroker(target[1]);
  const moved = await until(admin, 'moving', ([p]) => p.replicas.join() === target.join() && p.isr.length === 2, 'the move completes');
  eq(new Set(moved[0].replicaLogEndOffsets).size, 1, 'both new replicas hold the whole log');
  eq((await admin.listPartitionReassignments()).topics, [], 'nothing is moving any more');

  await rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [1, 9] }] }] }), { name: 'KafkaJSAggregateError', type: 'INVALID_REPLICA_ASSIGNMENT', code: 39 }, 'an unknown broker');
  const refused = await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [1, 9] }] }] }).catch((e) => e);
  eq(refused.errors.map((e) => [e.name, e.topic, e.partition, e.type]), [['KafkaJSAlterPartitionReassignmentsError', 'moving', 0, 'INVALID_REPLICA_ASSIGNMENT']], 'each partition\'s failure');
  await rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: null }] }] }), { type: 'NO_REASSIGNMENT_IN_PROGRESS', code: 85 }, 'cancelling nothing');
  await rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 3, replicas: [1] }] }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'a partition that does not exist');
  await rejects(admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: ['b1'] }] }] }), { name: 'TypeError', message: 'replicas must be an array of broker ids' }, 'replicas that are not broker ids');
  await producer.disconnect();
  await local.close();

  const reopened = await open({ cluster, brokers: 4, storage: 'indexeddb' });
  const [after] = (await reopened.admin().fetchTopicMetadata({ topics: ['moving'] })).topics[0].partitions;
  eq(after.replicas, target, 'the partition is where it moved after a reload');
  kafka = reopened;
  eq(await placed(), [[4, 1], [2, 3], [3, 4]], 'and the placed topic where it was put');
  eq((await readAll(reopened, 'moving', 120)).map((m) => m.value), Array.from({ length: 120 }, (_, i) => `v${i}`), 'every record, in order');
  await reopened.close();
  return true;
}
