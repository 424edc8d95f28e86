// Transactions through the JS API (tests/web_transactions.rs): what a transaction sends, and the offsets it commits,
// count all together or not at all; read_committed consumers (KafkaJS's default) see only committed records; a
// new producer with the same transactionalId fences the old one; and the same through a MessagePort.

import { check, eq, rejects, sleep, text, throws } from './check.js';

/** Every value of `topic` a fresh consumer reads from the beginning, waiting `ms` for stragglers. */
async function values(kafka, topic, { readUncommitted = false, ms = 600 } = {}) {
  const consumer = kafka.consumer({ groupId: 'read-' + Math.random(), readUncommitted, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  await consumer.run({ eachMessage: async ({ partition, message }) => { got.push([partition, Number(message.offset), text(message.value)]); } });
  await sleep(ms);
  await consumer.disconnect();
  return got.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((g) => g[2]);
}

/** Copies with a transaction as an exactly-once pipeline does: output records and input offsets together. */
async function allOrNothing(kafka, label) {
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'out', numPartitions: 2 }] });
  const producer = kafka.producer({ transactionalId: 'copier', transactionTimeout: 10000 });
  await producer.connect();
  const committed = await producer.transaction();
  check(committed.isActive(), `${label}: a new transaction is active`);
  const sent = await committed.send({ topic: 'out', messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }] });
  eq(sent.map((m) => m.errorCode), sent.map(() => 0), `${label}: sends inside a transaction are acknowledged`);
  await committed.sendBatch({ topicMessages: [{ topic: 'out', messages: [{ value: 'three', partition: 1 }] }] });
  await committed.sendOffsets({ consumerGroupId: 'copy', topics: [{ topic: 'out', partitions: [{ partition: 0, offset: '5' }] }] });
  eq(await values(kafka, 'out'), [], `${label}: read_committed sees nothing of an open transaction`);
  eq((await values(kafka, 'out', { readUncommitted: true })).sort(), ['one', 'three', 'two'], `${label}: read_uncommitted sees its records`);
  let offsets = await admin.fetchOffsets({ groupId: 'copy', topics: ['out'] });
  eq(offsets[0].partitions.find((p) => p.partition === 0).offset, '-1', `${label}: the offsets wait for the commit`);
  await committed.commit();
  check(!committed.isActive(), `${label}: a committed transaction is done`);
  await rejects(committed.send({ topic: 'out', messages: [{ value: 'late' }] }), { message: 'no longer active' }, `${label}: a send after commit`);
  eq((await values(kafka, 'out')).sort(), ['one', 'three', 'two'], `${label}: committed, all at once`);
  offsets = await admin.fetchOffsets({ groupId: 'copy', topics: ['out'] });
  eq(offsets[0].partitions.find((p) => p.partition === 0).offset, '5', `${label}: and the offsets with them`);

  const aborted = await producer.transaction();
  await aborted.send({ topic: 'out', messages: [{ value: 'never' }] });
  await aborted.sendOffsets({ consumerGroupId: 'copy', topics: [{ topic: 'out', partitions: [{ partition: 0, offset: '9' }] }] });
  await aborted.abort();
  eq((await values(kafka, 'out')).sort(), ['one', 'three', 'two'], `${label}: an aborted record is never seen`);
  eq((await values(kafka, 'out', { readUncommitted: true })).sort(), ['never', 'one', 'three', 'two'], `${label}: though it is in the log`);
  offsets = await admin.fetchOffsets({ groupId: 'copy', topics: ['out'] });
  eq(offsets[0].partitions.find((p) => p.partition === 0).offset, '5', `${label}: aborted offsets are never committed`);

  // A second producer with the same id fences the first and aborts what it left open.
  const open = await producer.transaction();
  await open.send({ topic: 'out', messages: [{ value: 'zombie' }] });
  // The admin sees the transaction under way: its state, producer and partitions (KIP-664).
  const listed = await admin.listTransactions();
  eq(listed.map((t) => [t.transactionalId, t.state]), [['copier', 'Ongoing']], `${label}: listTransactions`);
  eq(await admin.listTransactions({ states: ['CompleteCommit'] }), [], `${label}: filtered by state`);
  const [described] = await admin.describeTransactions({ transactionalIds: ['copier'] });
  eq([described.state, described.producerId, described.transactionTimeoutMs, described.topicPartitions.map((p) => p.partition)],
    ['Ongoing', listed[0].producerId, 10000, [described.topicPartitions[0].partition]], `${label}: describeTransactions`);
  check(described.transactionStartTimeMs > 0, `${label}: when it began`);
  await rejects(admin.describeTransactions({ transactionalIds: ['nobody'] }), { type: 'TRANSACTIONAL_ID_NOT_FOUND', code: 105 }, `${label}: an unknown id`);
  await throws(() => admin.listTransactions({ states: ['Running'] }), { name: 'TypeError' }, `${label}: an unknown state`);
  const successor = kafka.producer({ transactionalId: 'copier' });
  await successor.connect();
  const next = await successor.transaction();
  await rejects(open.send({ topic: 'out', messages: [{ value: 'zombie-2' }] }), { type: 'PRODUCER_FENCED', code: 90 }, `${label}: the fenced producer's send`);
  await rejects(open.commit(), { type: 'PRODUCER_FENCED' }, `${label}: the fenced producer's commit`);
  await rejects(producer.transaction(), { type: 'PRODUCER_FENCED' }, `${label}: a fenced producer is done`);
  await next.send({ topic: 'out', messages: [{ value: 'four' }] });
  await next.commit();
  eq((await values(kafka, 'out')).sort(), ['four', 'one', 'three', 'two'], `${label}: the zombie's write was aborted`);
  await successor.disconnect();
  await producer.disconnect();
}

export async function transactionsAreAllOrNothing({ open, connect }) {
  const kafka = await open({ cluster: 'txn', storage: 'memory', brokers: 3 });
  await allOrNothing(kafka, 'in page');
  const throughPort = await open({ cluster: 'txn-port', storage: 'memory', brokers: 3 });
  const channel = new MessageChannel();
  throughPort.serve(channel.port1);
  const client = await connect(channel.port2, { clientId: 'remote' });
  await allOrNothing(client, 'through a port');
  await client.close();
  await throughPort.close();

  // Misuse gets Kafka's errors.
  await throws(() => kafka.producer({ transactionalId: '' }), { name: 'TypeError', message: 'transactionalId must not be empty' }, 'an empty id');
  await throws(() => kafka.producer({ transactionalId: 't', idempotent: false }), { name: 'TypeError', message: 'idempotent' }, 'a transactional producer is idempotent');
  await throws(() => kafka.producer({ transactionalId: 't', transactionTimeout: 0 }), { type: 'INVALID_TRANSACTION_TIMEOUT', code: 50 }, 'a timeout of 0');
  const plain = kafka.producer();
  await plain.connect();
  await rejects(plain.transaction(), { type: 'INVALID_TXN_STATE', code: 48 }, 'transactions without a transactionalId');
  const txn = kafka.producer({ transactionalId: 'misuse' });
  await rejects(txn.transaction(), { type: 'CLIENT_NOT_CONNECTED' }, 'before connect');
  await txn.connect();
  await rejects(txn.send({ topic: 'out', messages: [{ value: 'x' }] }), { type: 'INVALID_TXN_STATE', message: 'producer.transaction()' }, 'a send outside a transaction');
  const t = await txn.transaction();
  await rejects(txn.transaction(), { type: 'INVALID_TXN_STATE', message: 'already an ongoing transaction' }, 'two at once');
  await rejects(t.send({ topic: 'missing', messages: [{ value: 'x' }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'a topic that does not exist');
  await rejects(t.commit(), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'a commit after a failed send');
  check(t.isActive(), 'it can only be aborted now');
  await t.abort();
  const after = await txn.transaction();
  await after.send({ topic: 'out', messages: [{ value: 'five' }] });
  await after.commit();
  eq((await values(kafka, 'out')).includes('five'), true, 'the producer goes on after an abort');
  await plain.disconnect();
  await txn.disconnect();
  await kafka.close();
  return true;
}
