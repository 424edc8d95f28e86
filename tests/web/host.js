// A cluster serving other contexts (tests/web_host.rs, web_api.rs and web_worker.rs; tests/web/clusters.rs for the
// binaries that run a scenario through a port): envelopes on a MessagePort, hosts that go away, clients that go
// silent, and the producer's pipelining.

import { check, consume, eq, rejects, sleep, text, throws } from './check.js';

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

  // Buffers of record data go back to whoever sent them, to be written again.
  await call({ kind: 'CreateTopics', topics: [{ name: 'r', partitions: 1, replicationFactor: 1 }] });
  const big = recordBatch(Array.from({ length: 400 }, (_, i) => ({ value: `${i}`.padEnd(100, '.') })));
  const size = big.buffer.byteLength;
  check(size >= 16 << 10, 'a batch big enough to be worth giving back');
  const bigProduced = await call({ kind: 'Produce', acks: 1, partitions: [{ topic: 'r', partition: 0, records: big }] }, [big.buffer]);
  eq(bigProduced.give?.map((b) => b.byteLength), [size], 'the answer gives the request\'s buffer back');
  // Two partitions' records as views of one buffer: it goes back once (twice would make the answer unsendable).
  await call({ kind: 'CreateTopics', topics: [{ name: 'r2', partitions: 2, replicationFactor: 1 }] });
  const pair = recordBatch(Array.from({ length: 400 }, (_, i) => ({ value: `${i}`.padEnd(100, '.') })));
  const shared = new Uint8Array(pair.length * 2);
  shared.set(pair);
  shared.set(pair, pair.length);
  const halves = [0, 1].map((partition) => ({ topic: 'r2', partition, records: shared.subarray(partition * pair.length, (partition + 1) * pair.length) }));
  const both = await call({ kind: 'Produce', acks: 1, partitions: halves }, [shared.buffer]);
  eq([both.body.map((p) => p.error ?? null), both.give?.map((b) => b.byteLength)], [[null, null], [pair.length * 2]], 'one buffer, given back once');
  const spareSize = Math.ceil(size * 1.5);
  const spare = new ArrayBuffer(spareSize);
  await call({ kind: 'Metadata', topics: ['r'], give: [spare, 7, 'x', null] }, [spare]);
  const fetchedBig = await call({ kind: 'Fetch', partitions: [{ topic: 'r', partition: 0, offset: 0, maxBytes: 1 << 20 }], minBytes: 0, maxWaitMs: 0 });
  const { records } = fetchedBig.body[0];
  eq([records.byteLength, records.buffer.byteLength], [size, spareSize], 'the answer is written into the buffer given back');
  const values = readRecordBatches(records).map((m) => text(m.value));
  eq([values.length, values[0], values[399]], [400, '0'.padEnd(100, '.'), '399'.padEnd(100, '.')], 'and reads as produced');
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
  const forgotten = await connect(serve(), { heartbeatInterval: 50 });
  // A raw client that starts a long poll and is never heard from again, like a worker terminated mid-request.
  const silent = serve();
  silent.postMessage({ id: 1, kind: 'Fetch', maxWaitMs: 60000, partitions: [{ topic: 't', partition: 0, offset: 0 }] });
  eq(host.stats().clients, 4, 'four clients served');
  await leaving.close();
  await sleep(50);
  eq(host.stats().clients, 3, 'a client that says goodbye is dropped at once');
  forgotten.free(); // what collecting a client that was never closed comes to
  await sleep(50);
  eq(host.stats().clients, 2, 'a client freed without being closed says goodbye too');
  const deadline = Date.now() + 3000;
  while (host.stats().clients > 1 && Date.now() < deadline) await sleep(50);
  eq(host.stats().clients, 1, 'the silent one is dropped after clientTimeout, its long poll with it');
  eq(await live.admin().listTopics(), ['t'], 'the live client is still served');
  await throws(() => host.serve(new MessageChannel().port1, { clientTimeout: 0 }), { name: 'TypeError' }, 'clientTimeout 0');
  await live.close();
  await host.close();
  return true;
}

/** The buffers an envelope carries, to transfer on: its partitions' records, and those it gives back. */
function buffersOf(envelope, partitions) {
  const records = (partitions ?? []).map((p) => (ArrayBuffer.isView(p.records) ? p.records.buffer : p.records));
  return [...records, ...(envelope.give ?? [])].filter((b) => b instanceof ArrayBuffer);
}

/** A frame's kind (1 Produce request: `core::frame`), or null for an envelope. */
const frameKind = (data) => (data instanceof ArrayBuffer && data.byteLength > 16 ? new DataView(data).getInt8(16) : null);
/** The id of an envelope or a frame. */
const idOf = (data) => (data instanceof ArrayBuffer ? new DataView(data).getFloat64(8) : data.id);
/** What to transfer on with a message: a frame is its own buffer. */
const transferOf = (data, partitions) => (data instanceof ArrayBuffer ? [data] : buffersOf(data, partitions));

/** A MessagePort between a client and a host that counts Produce requests in flight. */
function countingRelay(host) {
  const toHost = new MessageChannel();
  host.serve(toHost.port1);
  const toClient = new MessageChannel();
  const stats = { produces: 0, outstanding: 0, maxOutstanding: 0 };
  const produces = new Set();
  toClient.port1.onmessage = ({ data }) => {
    if (data.kind === 'Produce' || frameKind(data) === 1) {
      produces.add(idOf(data));
      stats.produces += 1;
      stats.outstanding += 1;
      stats.maxOutstanding = Math.max(stats.maxOutstanding, stats.outstanding);
    }
    toHost.port2.postMessage(data, transferOf(data, data.partitions));
  };
  toHost.port2.onmessage = ({ data }) => {
    if (produces.delete(idOf(data))) stats.outstanding -= 1;
    toClient.port1.postMessage(data, transferOf(data, data.kind === 'Fetch' ? data.body : []));
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
  const { buffer, byteOffset, byteLength } = answer.body[0].records;
  const view = new DataView(buffer, byteOffset, byteLength);
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

/** Produce and Fetch travel as frames (src/core/frame.rs) that recycle their buffers: a Produce is answered in
 * its own buffer, which the producer writes its next send into, and a consumer's Fetch carries the buffer its
 * last answer came in back to the host, which writes the next answer into it. */
export async function framesRecycleTheirBuffers({ open, connect }) {
  const host = await open({ cluster: 'frames', brokers: 1, storage: 'memory' });
  await host.admin().createTopics({ topics: [{ topic: 'f', numPartitions: 1 }] });
  const toHost = new MessageChannel();
  host.serve(toHost.port1);
  const toClient = new MessageChannel();
  const frames = []; // each frame that passes: its kind, its length, and the length of the buffer it is in
  const note = (data) => {
    if (frameKind(data) !== null) frames.push({ kind: frameKind(data), length: new DataView(data).getUint32(4), size: data.byteLength });
  };
  toClient.port1.onmessage = ({ data }) => {
    note(data);
    toHost.port2.postMessage(data, transferOf(data, data.partitions));
  };
  toHost.port2.onmessage = ({ data }) => {
    note(data);
    toClient.port1.postMessage(data, transferOf(data, data.kind === 'Fetch' ? data.body : []));
  };
  const client = await connect(toClient.port2, {});
  const producer = client.producer();
  await producer.connect();
  const send = (n) => producer.send({ topic: 'f', messages: Array.from({ length: n }, (_, i) => ({ value: `${i}`.padEnd(100, '.') })) });
  await send(300); // ~33 KB: worth recycling
  await send(250); // smaller, so it fits in the first one's buffer
  const [first, second] = frames.filter((f) => f.kind === 1);
  const [ack] = frames.filter((f) => f.kind === 2);
  check(first.length >= 30000 && first.length === first.size, `a fresh buffer holds the first send's frame (${first.length} bytes)`);
  eq([ack.size, ack.length < 100], [first.size, true], 'a Produce is answered in its own buffer');
  eq([second.size, second.length < second.size], [first.size, true], 'the next send goes out in the buffer that came back');

  const consumer = client.consumer({ groupId: 'frames' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'f', fromBeginning: true });
  let read = 0;
  await consumer.run({ eachMessage: async () => void (read += 1) });
  // The answer that brings the records, and the Fetch the consumer sends after reading them.
  const fetches = () => frames.slice(frames.indexOf(second) + 1).filter((f) => f.kind === 3 || f.kind === 4);
  const records = () => fetches().findIndex((f) => f.kind === 4 && f.length > 50000);
  const after = () => fetches().slice(records() + 1).find((f) => f.kind === 3);
  for (let i = 0; i < 250 && !(read === 550 && records() >= 0 && after()); i++) await sleep(20);
  check(read === 550 && records() >= 0 && after() !== undefined, `the records, then another Fetch: ${JSON.stringify(fetches())}`);
  eq([after().size, after().length < 200], [fetches()[records()].size, true], 'the next Fetch carries that answer\'s buffer back');
  await consumer.disconnect();
  await client.close();
  await host.close();
  return true;
}

/** Kafka's auto.create.topics.enable is the broker's: a producer's Metadata creates the topic it names, in the
 * page and through a port alike, unless the producer says allowAutoTopicCreation: false or the cluster is opened
 * without autoCreateTopics. */
export async function brokersCreateTopicsProducersName({ open, connect }) {
  const noRetry = { retry: { retries: 0 } };
  const kafka = await open({ cluster: 'auto-create', brokers: 3, storage: 'memory', autoCreateTopics: true });
  const created = [];
  const off = kafka.on('cluster.change', (e) => created.push(...e.changes.filter((c) => c.type === 'createTopics').map((c) => c.topic)));
  const { port1, port2 } = new MessageChannel();
  kafka.serve(port1);
  const remote = await connect(port2);
  for (const [who, client] of [['page-made', kafka], ['port-made', remote]]) {
    const producer = client.producer(noRetry);
    await producer.connect();
    const [sent] = await producer.send({ topic: who, messages: [{ key: 'k', value: 'v' }] });
    eq([sent.topicName, sent.partition, sent.baseOffset], [who, 0, '0'], `${who}: the send went to the new topic`);
    await producer.disconnect();
  }
  const meta = await kafka.admin().fetchTopicMetadata({ topics: ['page-made', 'port-made'] });
  eq(meta.topics.map((t) => [t.name, t.partitions.length, t.partitions[0].replicas.length]), [['page-made', 1, 1], ['port-made', 1, 1]],
    'created with the broker defaults (num.partitions 1, default.replication.factor 1)');
  const refusing = remote.producer({ ...noRetry, allowAutoTopicCreation: false });
  await refusing.connect();
  await rejects(refusing.send({ topic: 'not-made', messages: [{ value: 'v' }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
    'a producer with allowAutoTopicCreation: false');
  // A consumer subscribing by name creates its topic too, unless it says allowAutoTopicCreation: false.
  await remote.consumer({ groupId: 'g' }).subscribe({ topic: 'read-made' });
  await rejects(remote.consumer({ groupId: 'g', allowAutoTopicCreation: false }).subscribe({ topic: 'not-read' }),
    { type: 'UNKNOWN_TOPIC_OR_PARTITION' }, 'a consumer with allowAutoTopicCreation: false');
  eq(await kafka.admin().listTopics(), ['page-made', 'port-made', 'read-made'], 'what producers and consumers named, and nothing else');
  await sleep(100); // change events are coalesced
  eq(created.sort(), ['page-made', 'port-made', 'read-made'], 'each auto-created topic is told once, as a createTopics change');
  off();
  await remote.close();
  await kafka.close();

  const strict = await open({ cluster: 'no-auto-create', storage: 'memory' });
  const producer = strict.producer(noRetry);
  await producer.connect();
  await rejects(producer.send({ topic: 'not-made', messages: [{ value: 'v' }] }), { type: 'UNKNOWN_TOPIC_OR_PARTITION' },
    'a cluster opened without autoCreateTopics');
  eq(await strict.admin().listTopics(), [], 'nothing was created');
  await strict.close();
}
