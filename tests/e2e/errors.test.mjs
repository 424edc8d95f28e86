// KafkaJS's error classes, in Node: franz exports each with KafkaJS's hierarchy and fields, and franz's errors are
// instances of the class KafkaJS would throw, so `instanceof` checks written against KafkaJS hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import * as franz from '../../pkg/franz.js';
import { ROOT } from './helpers.mjs';

const { Kafka } = franz;
franz.initSync({ module: readFileSync(`${ROOT}pkg/franz_bg.wasm`) });

const KAFKAJS_ERRORS = Object.keys(kafkajs).filter((name) => name.startsWith('KafkaJS'));

/** What an error holds, apart from its stack (and KafkaJS's link to its own issue tracker). */
function fields(err) {
  const { stack, helpUrl, ...own } = Object.fromEntries(Object.getOwnPropertyNames(err).map((k) => [k, err[k]]));
  return { ...own, name: err.name, message: err.message, retriable: err.retriable };
}

/** Arguments for each class's constructor: one metadata object naming every field any class keeps. */
function argsFor(name) {
  const kafka = { message: 'went wrong', type: 'NOT_LEADER_OR_FOLLOWER', code: 6, retriable: true };
  const metadata = {
    retriable: false, topic: 't', partition: 1, memberId: 'm-1', retryCount: 2, retryTime: 50, broker: 'b:9092',
    code: 'ECONNREFUSED', host: 'h', port: 9, correlationId: 4, createdAt: 1, sentAt: 2, pendingDuration: 3,
    unknownPartitions: [7], apiKey: 3, apiName: 'Metadata',
  };
  switch (name) {
    case 'KafkaJSDeleteTopicRecordsError':
      return [{ topic: 't', partitions: [{ partition: 0, offset: '5', error: kafka }] }];
    case 'KafkaJSAggregateError': return ['several', [new Error('one')]];
    case 'KafkaJSCreateTopicError': return [kafka, 't'];
    case 'KafkaJSAlterPartitionReassignmentsError': return [kafka, 't', 2];
    case 'KafkaJSDeleteGroupsError': return ['Error in DeleteGroups', [{ groupId: 'g', errorCode: 69, error: kafka }]];
    case 'KafkaJSNumberOfRetriesExceeded': return [new Error('still down'), metadata];
    default: return [kafka, metadata];
  }
}

test("franz exports every KafkaJS error class, with KafkaJS's hierarchy, names and fields", () => {
  assert.ok(KAFKAJS_ERRORS.length >= 30, KAFKAJS_ERRORS.join());
  for (const name of KAFKAJS_ERRORS) {
    const [Ours, Theirs] = [franz[name], kafkajs[name]];
    assert.equal(typeof Ours, 'function', `${name} is exported`);
    assert.equal(Ours.name, name);
    assert.equal(Object.getPrototypeOf(Ours).name, Object.getPrototypeOf(Theirs).name, `${name}'s parent`);
    const [ours, theirs] = [new Ours(...argsFor(name)), new Theirs(...argsFor(name))];
    assert.ok(ours instanceof Error && ours instanceof Ours);
    assert.deepEqual(fields(ours), fields(theirs), name);
    if (name !== 'KafkaJSAggregateError' && name !== 'KafkaJSDeleteTopicRecordsError' && name !== 'KafkaJSNoBrokerAvailableError') {
      // A plain message, as most of KafkaJS's own code passes.
      assert.deepEqual(fields(new Ours('plain', {})), fields(new Theirs('plain', {})), `${name} with a message`);
    }
  }
});

test("franz's errors are instances of the classes KafkaJS throws for the same failures", async () => {
  const { KafkaJSError, KafkaJSProtocolError, KafkaJSNonRetriableError } = franz;
  const kafka = await Kafka.open({ cluster: 'error-classes', brokers: 1, storage: 'memory' });
  const admin = kafka.admin();
  await admin.createTopics({ topics: [{ topic: 'kept' }] });

  // createTopics: one aggregate, one KafkaJSCreateTopicError per topic; only existing topics answer false.
  assert.equal(await admin.createTopics({ topics: [{ topic: 'kept' }] }), false);
  await assert.rejects(admin.createTopics({ topics: [{ topic: 'kept' }, { topic: 'bad name!' }] }), (e) => {
    assert.ok(e instanceof franz.KafkaJSAggregateError, e.name);
    assert.deepEqual(e.errors.map((each) => [each instanceof franz.KafkaJSCreateTopicError, each instanceof KafkaJSProtocolError, each.topic, each.type]),
      [[true, true, 'bad name!', 'INVALID_TOPIC_EXCEPTION'], [true, true, 'kept', 'TOPIC_ALREADY_EXISTS']]);
    assert.deepEqual([e.type, e.code, e.retriable], ['INVALID_TOPIC_EXCEPTION', 17, false], 'the lead failure');
    assert.match(e.message, /^Topic creation errors: .*bad name!/);
    return true;
  });

  // A broker's answer: KafkaJSProtocolError, with Kafka's type, code and retriable.
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await assert.rejects(producer.send({ topic: 'kept', messages: [{ value: 'x' }] }), (e) =>
    e instanceof KafkaJSNonRetriableError && !(e instanceof KafkaJSProtocolError) && e.type === 'CLIENT_NOT_CONNECTED');
  await producer.connect();
  await assert.rejects(producer.send({ topic: 'missing', messages: [{ value: 'x' }] }), (e) =>
    e instanceof KafkaJSProtocolError && e instanceof KafkaJSError && e.type === 'UNKNOWN_TOPIC_OR_PARTITION' && e.code === 3 && e.retriable === true);
  await producer.send({ topic: 'kept', messages: [{ value: 'a' }, { value: 'b' }] });

  // deleteTopicRecords past the high watermark: KafkaJSDeleteTopicRecordsError, each partition's error kept.
  await assert.rejects(admin.deleteTopicRecords({ topic: 'kept', partitions: [{ partition: 0, offset: '9' }] }), (e) => {
    assert.ok(e instanceof franz.KafkaJSDeleteTopicRecordsError, e.name);
    const [{ partition, offset, error }] = e.partitions;
    assert.deepEqual([partition, offset, error.type], [0, '9', 'OFFSET_OUT_OF_RANGE']);
    assert.ok(error instanceof franz.KafkaJSOffsetOutOfRange && error instanceof KafkaJSProtocolError);
    assert.equal(e.retriable, false, 'KafkaJS retries it only if every partition error is retriable');
    return true;
  });

  // deleteGroups: KafkaJSDeleteGroupsError, listing the groups that were not deleted.
  await assert.rejects(admin.deleteGroups(['nobody']), (e) => {
    assert.ok(e instanceof franz.KafkaJSDeleteGroupsError, e.name);
    assert.deepEqual(e.groups.map((g) => [g.groupId, g.errorCode, g.error.type, g.error instanceof KafkaJSProtocolError]),
      [['nobody', 69, 'GROUP_ID_NOT_FOUND', true]]);
    assert.equal(e.type, 'GROUP_ID_NOT_FOUND');
    return true;
  });

  // A handler that keeps failing: KafkaJSNumberOfRetriesExceeded, its cause the handler's error.
  let gaveUp;
  const crashed = new Promise((resolve) => { gaveUp = resolve; });
  const consumer = kafka.consumer({ groupId: 'flaky', retry: { retries: 1, initialRetryTime: 10, restartOnFailure: async (e) => (gaveUp(e), false) } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'kept', fromBeginning: true });
  await consumer.run({ eachMessage: async () => { throw new Error('downstream unavailable'); } });
  const exceeded = await crashed;
  assert.ok(exceeded instanceof franz.KafkaJSNumberOfRetriesExceeded && exceeded instanceof KafkaJSNonRetriableError, exceeded.name);
  assert.deepEqual([exceeded.message, exceeded.cause.message, exceeded.retryCount, exceeded.retriable], ['downstream unavailable', 'downstream unavailable', 1, false]);
  assert.equal(typeof exceeded.retryTime, 'number');
  await consumer.disconnect();

  // A wrong argument stays a TypeError, as KafkaJS's retrier treats it: never retried.
  await assert.rejects(admin.createTopics({ topics: [{ topic: 42 }] }), (e) => e instanceof TypeError && !(e instanceof KafkaJSError));
  await kafka.close();

  // A refused login: KafkaJSSASLAuthenticationError, with Kafka's type.
  const users = { admin: 'admin-secret' };
  await assert.rejects(Kafka.open({ cluster: 'error-login', storage: 'memory', users, sasl: { mechanism: 'plain', username: 'admin', password: 'guess' } }), (e) =>
    e instanceof franz.KafkaJSSASLAuthenticationError && e instanceof KafkaJSNonRetriableError && e.type === 'SASL_AUTHENTICATION_FAILED' && e.code === 58);
});
