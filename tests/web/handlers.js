// What a consumer does around its handlers (tests/web_consumer.rs), as KafkaJS does it: a failing handler is retried,
// then the consumer restarts or crashes; eachBatch resolves by hand; seek makes what was fetched stale; pause()
// returns its resume; heartbeat() keeps a long handler's member in its group.

import { check, eq, sleep, text, throws } from './check.js';

async function until(cond, what, ms = 5000) {
  for (const started = performance.now(); !cond(); await sleep(10)) {
    check(performance.now() - started < ms, `in time: ${what}`);
  }
}

const committed = async (kafka, groupId, topic) =>
  (await kafka.admin().fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset;

/** A topic of one partition holding `values`, in one batch. */
async function topicOf(kafka, topic, values) {
  await kafka.admin().createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })) });
}

/** Runs a consumer of `groupId` whose eachMessage records each value, then calls `fail(value)`, which may throw.
 * Resolves with what it saw and the crashes it reported, once `done(seen, crashes)` says so. */
async function consumeWith(kafka, topic, groupId, retry, fail, done) {
  const consumer = kafka.consumer({ groupId, retry });
  const seen = [];
  const crashes = [];
  consumer.on('consumer.crash', ({ payload }) => crashes.push(payload));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => {
    const value = text(message.value);
    seen.push(value);
    fail(value);
  } });
  await until(() => done(seen, crashes), `${groupId}: ${JSON.stringify(seen)}`);
  await consumer.disconnect();
  return { seen, crashes };
}

export async function failingHandlersAreRetried(kafka) {
  await topicOf(kafka, 'flaky', ['a', 'b', 'c']);
  const failing = (times, error = () => new Error('downstream unavailable')) => {
    let failures = 0;
    return (value) => {
      if (value === 'b' && failures < times) {
        failures++;
        throw error();
      }
    };
  };
  const sawC = (seen) => seen.includes('c');

  // Within its retries: the failed record comes again (the one before it does not), and nothing crashes.
  const retried = await consumeWith(kafka, 'flaky', 'retried', { retries: 2, initialRetryTime: 10 }, failing(2), sawC);
  eq(retried.seen, ['a', 'b', 'b', 'b', 'c'], 'handed over again from the record that failed');
  eq(retried.crashes, [], 'no crash within the retries');
  eq(await committed(kafka, 'retried', 'flaky'), '3', 'committed past every record');

  // Past its retries: consumer.crash with restart: true, then the consumer rejoins and reads on.
  const restarted = await consumeWith(kafka, 'flaky', 'restarted', { retries: 1, initialRetryTime: 10 }, failing(2), sawC);
  eq(restarted.seen, ['a', 'b', 'b', 'b', 'c'], 'after the restart, on from the committed offset');
  eq(restarted.crashes.length, 1, 'one crash');
  const [{ error, restart, groupId }] = restarted.crashes;
  eq([error.name, error.message, error.cause.message, error.retriable, restart, groupId],
    ['KafkaJSNumberOfRetriesExceeded', 'downstream unavailable', 'downstream unavailable', false, true, 'restarted'],
    'the crash says the retries ran out, and that the consumer restarts');

  // retry.restartOnFailure may say no: the consumer stops, with what it handled committed.
  const asked = [];
  const restartOnFailure = async (e) => (asked.push([e.name, e.cause.message]), false);
  const gaveUp = await consumeWith(kafka, 'flaky', 'gave-up', { retries: 0, initialRetryTime: 10, restartOnFailure },
    failing(Infinity), (_, crashes) => crashes.length > 0);
  eq(asked, [['KafkaJSNumberOfRetriesExceeded', 'downstream unavailable']], 'restartOnFailure is asked, with the crash\'s error');
  eq([gaveUp.seen, gaveUp.crashes.map((c) => c.restart)], [['a', 'b'], [false]], 'no restart');
  eq(await committed(kafka, 'gave-up', 'flaky'), '1', 'committed up to the record that failed');

  // An error no retry can mend crashes at once: a programming error, or one that says retriable: false.
  for (const [group, fail, name] of [
    ['type-error', () => null.field, 'TypeError'],
    ['not-retriable', () => { throw Object.assign(new Error('a record no retry can mend'), { retriable: false }); }, 'Error'],
  ]) {
    const crashed = await consumeWith(kafka, 'flaky', group, { retries: 5, initialRetryTime: 10 },
      (value) => value === 'b' && fail(), (_, crashes) => crashes.length > 0);
    eq(crashed.seen, ['a', 'b'], `${group}: not retried`);
    eq(crashed.crashes.map((c) => [c.error.name, c.restart]), [[name, false]], `${group}: a crash, no restart`);
    eq(await committed(kafka, group, 'flaky'), '1', `${group}: committed up to the record that failed`);
  }
  await throws(() => kafka.consumer({ groupId: 'g', retry: { restartOnFailure: true } }), { name: 'TypeError' }, 'a restartOnFailure that is not a function');
}

export async function eachBatchResolvesByHand(kafka) {
  const values = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5'];
  await topicOf(kafka, 'manual', values);
  const consumer = kafka.consumer({ groupId: 'manual' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'manual', fromBeginning: true });
  const batches = [];
  const checks = [];
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, uncommittedOffsets, commitOffsetsIfNecessary, isRunning }) => {
      batches.push(batch.messages.map((m) => text(m.value)));
      checks.push(isRunning());
      if (batches.length === 1) {
        eq([batch.offsetLag(), batch.offsetLagLow()], ['0', '5'], 'offsetLag and offsetLagLow');
        for (const m of batch.messages.slice(0, 3)) resolveOffset(m.offset);
        eq(uncommittedOffsets(), { topics: [{ topic: 'manual', partitions: [{ partition: 0, offset: '3' }] }] }, 'resolved, not committed');
        await throws(() => resolveOffset('three'), { name: 'TypeError' }, 'an offset that is not a number');
      } else if (batches.length === 2) {
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary({ topics: [{ topic: 'manual', partitions: [{ partition: 0, offset: '5' }] }] });
        checks.push(await committed(kafka, 'manual', 'manual'));
      }
    },
  });
  await until(() => batches.length >= 2 && checks.length >= 3, 'two batches');
  await consumer.stop();
  eq(batches, [values, values.slice(3)], 'what the handler did not resolve is read again, and only that');
  eq(checks, [true, true, '5'], 'isRunning, and commitOffsetsIfNecessary(offsets) commits them');
  eq(await committed(kafka, 'manual', 'manual'), '6', 'what was resolved is committed when the consumer stops');
}

export async function seekMakesFetchedRecordsStale(kafka) {
  const values = ['r0', 'r1', 'r2', 'r3'];
  await topicOf(kafka, 'rewind', values);

  // eachBatch: after a seek the batch is stale, is not resolved, and the next one starts at the seek.
  const batchConsumer = kafka.consumer({ groupId: 'rewind-batches' });
  await batchConsumer.connect();
  await batchConsumer.subscribe({ topic: 'rewind', fromBeginning: true });
  const batches = [];
  await batchConsumer.run({ eachBatch: async ({ batch, isStale }) => {
    if (batches.length === 0) batchConsumer.seek({ topic: 'rewind', partition: 0, offset: '1' });
    batches.push([batch.messages.map((m) => text(m.value)), isStale()]);
  } });
  await until(() => batches.length >= 2, 'a batch after the seek');
  await batchConsumer.stop();
  eq(batches.slice(0, 2), [[values, true], [values.slice(1), false]], 'stale after the seek, then read from it');

  // eachMessage: a seek from the handler wins over the record it handled; the rest of its batch is dropped.
  const messageConsumer = kafka.consumer({ groupId: 'rewind-messages' });
  await messageConsumer.connect();
  await messageConsumer.subscribe({ topic: 'rewind', fromBeginning: true });
  const seen = [];
  await messageConsumer.run({ eachMessage: async ({ message }) => {
    seen.push(text(message.value));
    if (seen.length === 3) messageConsumer.seek({ topic: 'rewind', partition: 0, offset: '0' });
  } });
  await until(() => seen.length >= 7, 'every record after the seek');
  await messageConsumer.stop();
  eq(seen, ['r0', 'r1', 'r2', 'r0', 'r1', 'r2', 'r3'], 'read again from the offset sought');
}

export async function pauseReturnsItsResume(kafka) {
  await kafka.admin().createTopics({ topics: [{ topic: 'breather', numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  for (const value of ['first', 'second']) await producer.send({ topic: 'breather', messages: [{ value }] });
  const consumer = kafka.consumer({ groupId: 'breather' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'breather', fromBeginning: true });
  const arrivals = [];
  let pausedMeanwhile;
  await consumer.run({ eachMessage: async ({ message, pause }) => {
    arrivals.push([text(message.value), performance.now()]);
    if (arrivals.length === 1) {
      const resume = pause();
      pausedMeanwhile = consumer.paused();
      setTimeout(resume, 150);
    }
  } });
  await until(() => arrivals.length === 2, 'the second record, after resume');
  await consumer.stop();
  eq(pausedMeanwhile, [{ topic: 'breather', partitions: [0] }], 'paused by the payload\'s pause()');
  eq(arrivals.map(([v]) => v), ['first', 'second'], 'both records, in order');
  check(arrivals[1][1] - arrivals[0][1] >= 140, `the second waited for resume: ${arrivals[1][1] - arrivals[0][1]} ms`);
}

/** KafkaJS's instrumentation events: each client's `events` names them, `on` refuses any other name, and each
 * event comes as `{ id, type, timestamp, payload }` with KafkaJS's payload. */
export async function instrumentationEvents(kafka) {
  await topicOf(kafka, 'observed', ['o0', 'o1', 'o2']);
  const consumer = kafka.consumer({ groupId: 'observed', heartbeatInterval: 50 });
  eq(consumer.events.GROUP_JOIN, 'consumer.group_join', 'consumer.events');
  eq(Object.keys(consumer.events).length, 16, 'every consumer event is named');
  const byType = {};
  const offs = Object.values(consumer.events).map((name) => consumer.on(name, (e) => (byType[e.type] ??= []).push(e)));
  await throws(() => consumer.on('consumer.heartbeet', () => {}), { name: 'KafkaJSNonRetriableError', message: 'consumer.heartbeat' }, 'a misspelt event');
  await consumer.connect();
  await consumer.subscribe({ topic: 'observed', fromBeginning: true });
  await consumer.run({ eachBatch: async () => {} });
  await until(() => byType['consumer.end_batch_process'] && byType['consumer.heartbeat'] && byType['consumer.commit_offsets'], 'a batch, a heartbeat and a commit');
  await consumer.disconnect();
  const all = Object.values(byType).flat();
  check(all.every((e) => typeof e.id === 'number' && typeof e.timestamp === 'number'), 'every event has an id and a timestamp');
  eq(new Set(all.map((e) => e.id)).size, all.length, 'ids are unique');
  const [start] = byType['consumer.start_batch_process'];
  eq(start.payload, { topic: 'observed', partition: 0, highWatermark: '3', offsetLag: '0', offsetLagLow: '2', batchSize: 3, firstOffset: '0', lastOffset: '2' }, 'start_batch_process');
  check(byType['consumer.end_batch_process'][0].payload.duration >= 0, 'end_batch_process has a duration');
  const [commit] = byType['consumer.commit_offsets'];
  eq([commit.payload.groupId, commit.payload.topics], ['observed', [{ topic: 'observed', partitions: [{ partition: 0, offset: '3' }] }]], 'commit_offsets');
  const [beat] = byType['consumer.heartbeat'];
  check(beat.payload.groupId === 'observed' && typeof beat.payload.memberId === 'string' && beat.payload.groupGenerationId >= 1, 'heartbeat: ' + JSON.stringify(beat.payload));
  check(byType['consumer.fetch'][0].payload.duration >= 0 && byType['consumer.fetch_start'].length >= 1, 'fetch_start and fetch');
  for (const name of ['consumer.connect', 'consumer.group_join', 'consumer.stop', 'consumer.disconnect']) eq(byType[name]?.length, 1, name);
  offs.forEach((off) => off());
  const before = all.length;
  await consumer.connect();
  eq(Object.values(byType).flat().length, before, 'no events after every listener is removed');

  const producer = kafka.producer();
  const admin = kafka.admin();
  const network = (client) => ({ REQUEST: `${client}.network.request`, REQUEST_TIMEOUT: `${client}.network.request_timeout`, REQUEST_QUEUE_SIZE: `${client}.network.request_queue_size` });
  eq([producer.events, admin.events], [{ CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect', ...network('producer') }, { CONNECT: 'admin.connect', DISCONNECT: 'admin.disconnect', ...network('admin') }], 'producer.events and admin.events');
  const seen = [];
  producer.on(producer.events.CONNECT, (e) => seen.push(e.type));
  admin.on(admin.events.DISCONNECT, (e) => seen.push(e.type));
  await producer.connect();
  await admin.connect();
  await admin.disconnect();
  eq(seen, ['producer.connect', 'admin.disconnect'], 'producer and admin events');
  await throws(() => producer.on('consumer.group_join', () => {}), { name: 'KafkaJSNonRetriableError' }, "another client's event");
  await throws(() => kafka.on('cluster.changed', () => {}), { name: 'KafkaJSNonRetriableError', message: 'cluster.change' }, 'a misspelt kafka event');
}

/** A handler that runs longer than the session timeout keeps its member in the group by calling `heartbeat()`, as
 * in KafkaJS; one that does not is taken out, and joins again once it is done. */
export async function heartbeatKeepsALongHandlerInItsGroup(kafka) {
  await topicOf(kafka, 'slow', ['s0']);
  const joinsWhile = async (groupId, beats) => {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 600, heartbeatInterval: 100 });
    let joins = 0;
    let handled = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joins += 1));
    await consumer.connect();
    await consumer.subscribe({ topic: 'slow', fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ heartbeat }) => {
        if (handled) return;
        for (let i = 0; i < 15; i++) {
          await sleep(100); // 1.5 s in all, well past the 600 ms session
          if (beats) await heartbeat();
        }
        handled = true;
      },
    });
    await until(() => handled, `${groupId}: the long batch`);
    await sleep(800); // the loop's own heartbeats, and a rejoin if the member was taken out
    await consumer.disconnect();
    return joins;
  };
  eq(await joinsWhile('beating', true), 1, 'with heartbeat(), the member stays');
  eq(await joinsWhile('silent', false), 2, 'without it, the member is taken out and joins again');
  // eachMessage over a batch that takes long in all: the loop heartbeats between messages, as KafkaJS's does.
  await topicOf(kafka, 'slow-messages', Array.from({ length: 15 }, (_, i) => `m${i}`));
  const consumer = kafka.consumer({ groupId: 'one-by-one', sessionTimeout: 600, heartbeatInterval: 100 });
  let joins = 0;
  const seen = [];
  consumer.on(consumer.events.GROUP_JOIN, () => (joins += 1));
  await consumer.connect();
  await consumer.subscribe({ topic: 'slow-messages', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(text(message.value)); await sleep(100); } });
  await until(() => seen.length >= 15, 'fifteen slow messages');
  await sleep(300);
  await consumer.disconnect();
  eq([joins, seen.length], [1, 15], 'one membership, each message once');
  return true;
}
