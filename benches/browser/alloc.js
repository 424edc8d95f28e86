// JS heap allocated per record on the latency path (one acks=1 record every 5 ms, as the workers page's latency
// runs): in the producer, the broker host and the consumer, each measured in this page while the other two run as
// workers. Every young-generation collection pauses a worker for 0.3–2 ms, so fewer bytes per record mean fewer
// slow records. Needs Chromium's `--enable-precise-memory-info` (run.mjs passes it): `performance.memory` is
// otherwise rounded. Prints one JSON line (console and #out); sets window.benchDone when finished.
import init, { Kafka } from '/pkg/franz.js';
import { BrokerHost } from '/pkg/worker/index.js';

const params = new URLSearchParams(location.search);
const RECORDS = Number(params.get('records') ?? 2000);
const WARM_UP = 3000; // unmeasured records first, so that the measured ones run compiled code
const out = document.getElementById('out');
const report = (line) => {
  const json = JSON.stringify(line);
  console.log(json);
  out.textContent += json + '\n';
};
const heap = () => performance.memory.usedJSHeapSize;
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A bench worker in `role` (see bench-worker.js), set up; `once()` runs it and stops it. */
async function ready(role, args) {
  const worker = new Worker('/benches/browser/bench-worker.js', { type: 'module' });
  let next;
  worker.onmessage = ({ data }) => next(data);
  const reply = () => new Promise((resolve) => (next = resolve));
  const setUp = reply();
  worker.postMessage({ role, ...args }, [args.port]);
  await setUp;
  return { once: () => { const done = reply(); worker.postMessage({ go: true }); return done.finally(() => worker.terminate()); } };
}

async function topicOn(host) {
  await (await host.connect()).admin().createTopics({ topics: [{ topic: 'latency', numPartitions: 1 }] });
}

/** The producer: each send's heap growth, measured around it (a collection during one makes it negative: left out). */
async function producerBytes() {
  const host = await BrokerHost.start({ cluster: 'alloc-producer', brokers: 1, storage: 'memory' });
  await topicOn(host);
  const measure = await ready('measure', { port: host.port(), records: WARM_UP + RECORDS });
  const measured = measure.once();
  const producer = (await Kafka.connect(host.port())).producer({ acks: 1 });
  await producer.connect();
  const send = () => producer.send({ topic: 'latency', messages: [{ value: String(performance.now()) }] });
  for (let i = 0; i < WARM_UP; i++) await send();
  const grew = [];
  for (let i = 0; i < RECORDS; i++) {
    await sleep(5);
    const before = heap();
    await send();
    const delta = heap() - before;
    if (delta >= 0) grew.push(delta);
  }
  await measured;
  await host.close();
  return median(grew);
}

/** The consumer: heap growth from one record's batch to the next, a paced producer worker sending. */
async function consumerBytes() {
  const host = await BrokerHost.start({ cluster: 'alloc-consumer', brokers: 1, storage: 'memory' });
  await topicOn(host);
  const consumer = (await Kafka.connect(host.port())).consumer({ groupId: 'alloc', maxWaitTimeInMs: 5000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'latency', fromBeginning: true });
  const grew = [];
  let seen = 0;
  let last = null;
  const done = new Promise((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const now = heap();
        seen += batch.messages.length;
        if (seen > WARM_UP && last !== null && now >= last && batch.messages.length === 1) grew.push(now - last);
        last = heap();
        if (seen >= WARM_UP + RECORDS) resolve();
      },
    });
  });
  const tick = await ready('tick', { port: host.port(), records: RECORDS, intervalMs: 5, warmUp: WARM_UP });
  await tick.once();
  await done;
  await consumer.disconnect();
  await host.close();
  return median(grew);
}

/** The host: this page opens the cluster and serves a paced producer worker and a consumer worker. Its heap is
 * sampled every 20 ms; the growth between samples (a collection makes it negative: left out) is summed over the
 * measured records, less what sampling alone allocates, measured first. */
async function hostBytes() {
  await init();
  const kafka = await Kafka.open({ cluster: 'alloc-host', storage: 'memory' });
  await kafka.admin().createTopics({ topics: [{ topic: 'latency', numPartitions: 1 }] });
  const port = () => {
    const { port1, port2 } = new MessageChannel();
    kafka.serve(port1);
    return port2;
  };
  const sampled = async (until) => {
    let grown = 0;
    let last = heap();
    const started = performance.now();
    while (!(await Promise.race([until.then(() => true), sleep(20).then(() => false)]))) {
      const now = heap();
      if (now >= last) grown += now - last;
      last = now;
    }
    return { grown, ms: performance.now() - started };
  };
  const idle = await sampled(sleep(2000));
  const measure = await ready('measure', { port: port(), records: RECORDS });
  const measured = measure.once();
  // A warm-up producer first (its records are not measured), then the measured one.
  await (await ready('tick', { port: port(), records: 0, intervalMs: 5, warmUp: WARM_UP })).once();
  const tick = await ready('tick', { port: port(), records: RECORDS, intervalMs: 5 });
  const busy = await sampled(Promise.all([measured, tick.once()]));
  await kafka.close();
  return (busy.grown - (idle.grown / idle.ms) * busy.ms) / RECORDS;
}

async function main() {
  if (!performance.memory) throw new Error('performance.memory is missing: run in Chromium');
  report({
    bench: 'JS heap allocated per record, acks=1, ~200 records/s, memory (bytes; median per record, the host averaged)',
    records: RECORDS,
    producer: Math.round(await producerBytes()),
    host: Math.round(await hostBytes()),
    consumer: Math.round(await consumerBytes()),
  });
}

main().then(() => (window.benchDone = 'ok'), (e) => { report({ error: String(e), stack: e.stack }); window.benchDone = 'failed'; });
