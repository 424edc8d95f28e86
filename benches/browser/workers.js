// franz through workers against the raw platform limit, measured in the same page: a producer worker → the
// broker-host worker → a consumer worker, for 100-byte records, next to transferring the same bytes
// worker→worker as 112 KB ArrayBuffers (and through a relay worker, franz's two hops); and end-to-end latency
// at moderate rates, 200 and 1000 records/s (from fresh workers, and after warming them up) next to the raw ping-pong
// RTT and raw sends at the same rate through a relay worker; and what idling costs a thread on this platform.
// Prints one JSON line per figure (console and #out); sets window.benchDone when finished.
import { BrokerHost } from '/pkg/worker/index.js';

const params = new URLSearchParams(location.search);
// 1 000 000 records of 112 bytes in their batch: the same 112 MB as the raw transfer.
const RECORDS = Number(params.get('records') ?? 1_000_000);
const PER_SEND = 1000; // 1000 records of 100 bytes: a ~112 KB RecordBatch
const LATENCY_RECORDS = Number(params.get('latency') ?? 1000);
// Unmeasured records first, as benchmarks of long-lived clients warm up (OpenMessaging's default is a minute).
const WARM_UP_RECORDS = Number(params.get('warmUp') ?? 5000);
const STORAGES = (params.get('storage') ?? 'memory,indexeddb').split(',');
// Warm runs after the cold one; their median is the figure.
const WARM_RUNS = 5;
// A log bound a little over half a run's 112 MB: from the second run on, the host writes into memory it reused.
const RETENTION_BYTES = 64 * 2 ** 20;

const out = document.getElementById('out');
report({ crossOriginIsolated: self.crossOriginIsolated }); // if not, latencies come in steps of 0.1 ms

function report(line) {
  const json = JSON.stringify(line);
  console.log(json);
  out.textContent += json + '\n';
}

/** Starts a bench worker in `role` and waits until it is set up. `go()` runs it and resolves with its report
 * (again at each call: the worker lives on until `stop()`); `once()` runs it and stops it. */
async function ready(role, args) {
  const worker = new Worker('/benches/browser/bench-worker.js', { type: 'module' });
  let next;
  worker.onmessage = ({ data }) => next(data);
  worker.onerror = (e) => next({ error: e.message });
  const reply = () => new Promise((resolve) => (next = resolve));
  const setUp = reply();
  worker.postMessage({ role, ...args }, [args.port, args.onward].filter(Boolean));
  const answer = await setUp;
  if (answer.error) throw new Error(`${role}: ${answer.error}`);
  const go = () => {
    const done = reply();
    worker.postMessage({ go: true });
    return done;
  };
  const stop = () => worker.terminate();
  return { go, stop, once: () => go().finally(stop) };
}

/** Runs a receiving and a sending worker, timing from the sender's start to the receiver's last arrival. */
async function timed(receiver, sender) {
  const received = receiver.go();
  const { started } = await sender.go();
  const { at } = await received;
  return (at - started) / 1000;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const round = (x, digits = 3) => Number(x.toFixed(digits));
const now = () => performance.timeOrigin + performance.now(); // comparable across workers

/** Seconds from the start until the consumer worker has every record, for each of `runs` runs through the same
 * producer, host and consumer workers, as a long-lived pipeline runs: the first run is cold (the engines compile
 * hot JS and wasm as it runs; fresh workers for each run would compile their JS again every time, ~15% slower).
 * `retentionBytes` bounds the topic's log (`retention.bytes`), as a long-running in-memory broker must: unbounded,
 * the host's memory grows by every record (112 MB a run), into fresh memory the system must fault in. */
async function franzThroughput(storage, runs, { checkCrcs = false, retentionBytes = null } = {}) {
  const host = await BrokerHost.start({ cluster: `bench-workers-${storage}`, brokers: 1, storage, durability: 'relaxed' });
  const admin = (await host.connect()).admin();
  await admin.deleteTopics({ topics: ['bench'] }).catch(() => {});
  const configEntries = retentionBytes === null ? [] : [{ name: 'retention.bytes', value: String(retentionBytes) }];
  await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: 1, configEntries }] });
  const consumer = await ready('consume', { port: host.port(), records: RECORDS, options: { checkCrcs } });
  const producer = await ready('produce', { port: host.port(), records: RECORDS, perSend: PER_SEND, window: 5, acks: -1 });
  const seconds = [];
  for (let i = 0; i < runs; i++) seconds.push(await timed(consumer, producer));
  producer.stop();
  consumer.stop();
  await admin.deleteTopics({ topics: ['bench'] });
  await host.close();
  return seconds;
}

/** Each stage alone, in memory: seconds for the producer worker to have every send acknowledged by the host,
 * then for a consumer worker to read them all back from the host. */
async function franzStages() {
  const host = await BrokerHost.start({ cluster: 'bench-stages', brokers: 1, storage: 'memory' });
  const admin = (await host.connect()).admin();
  await admin.createTopics({ topics: [{ topic: 'bench', numPartitions: 1 }] });
  const producer = await ready('produce', { port: host.port(), records: RECORDS, perSend: PER_SEND, window: 5, acks: -1 });
  const { started } = await producer.once();
  const produced = (now() - started) / 1000;
  const consumer = await ready('consume', { port: host.port(), records: RECORDS });
  const consuming = now();
  const { at } = await consumer.once();
  await host.close();
  return { produced, consumed: (at - consuming) / 1000 };
}

/** Seconds to move `bytes` worker→worker as `chunk`-byte transferred ArrayBuffers; with `relayed`, through a
 * worker in the middle, as franz's records go through the host. */
async function rawTransfer(bytes, chunk, relayed = false) {
  const { port1, port2 } = new MessageChannel();
  let receiveFrom = port2;
  let relay;
  if (relayed) {
    const onward = new MessageChannel();
    relay = await ready('relay', { port: port2, onward: onward.port1 });
    receiveFrom = onward.port2;
  }
  const [receiver, sender] = [await ready('rawReceive', { port: receiveFrom, bytes }), await ready('rawSend', { port: port1, bytes, chunk })];
  const seconds = await timed(receiver, sender);
  [receiver, sender, relay].forEach((w) => w?.stop());
  return seconds;
}

/** Latencies of `LATENCY_RECORDS` acks=1 records sent every `intervalMs` by a fresh producer worker through a host
 * to a fresh consumer worker, sorted; after `warmUp` unmeasured records sent back to back. */
async function latencies(warmUp, intervalMs) {
  const host = await BrokerHost.start({ cluster: 'bench-latency', brokers: 1, storage: 'memory' });
  await (await host.connect()).admin().createTopics({ topics: [{ topic: 'latency', numPartitions: 1 }] });
  const measure = await ready('measure', { port: host.port(), records: LATENCY_RECORDS });
  const tick = await ready('tick', { port: host.port(), records: LATENCY_RECORDS, intervalMs, warmUp });
  const measured = measure.once();
  await tick.once();
  const sorted = (await measured).latencies.sort((a, b) => a - b);
  await host.close();
  return sorted;
}

/** Latencies of raw paced sends through a worker in the middle: franz's path, without franz. */
async function rawPacedRelay(records, intervalMs) {
  const [toRelay, fromRelay] = [new MessageChannel(), new MessageChannel()];
  const relay = await ready('relay', { port: toRelay.port2, onward: fromRelay.port1 });
  const measure = await ready('rawMeasure', { port: fromRelay.port2, records });
  const tick = await ready('rawTick', { port: toRelay.port1, records, intervalMs });
  const measured = measure.once();
  await tick.once();
  const { latencies } = await measured;
  relay.stop();
  return latencies.sort((a, b) => a - b);
}

async function main() {
  const recordBytes = 112; // a 100-byte value in a batch: its varints, deltas and attributes
  const bytes = RECORDS * recordBytes;
  const mb = bytes / 1e6;
  // The raw transfer takes milliseconds: its median of five runs.
  const median = async (run) => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await run());
    return runs.sort((a, b) => a - b)[2];
  };
  // At least 112 MB, so that the raw figures are not a few milliseconds of timer noise; ratios are per byte.
  const rawBytes = Math.max(bytes, 1000 * PER_SEND * recordBytes);
  const rawMb = rawBytes / 1e6;
  const rawRate = await median(() => rawTransfer(rawBytes, PER_SEND * recordBytes)).then((s) => rawMb / s);
  report({ bench: 'raw worker→worker transfer, 112 KB ArrayBuffers', mb: round(rawMb, 1), mbPerSec: round(rawRate, 1) });
  const relayRate = await median(() => rawTransfer(rawBytes, PER_SEND * recordBytes, true)).then((s) => rawMb / s);
  report({ bench: 'raw worker→worker→worker relay, 112 KB ArrayBuffers (franz\'s two hops)', mb: round(rawMb, 1), mbPerSec: round(relayRate, 1) });
  // In memory with an unbounded log, then with the log bounded by retention.bytes (the sustainable setting: the host
  // reuses the memory of deleted batches), once more with a consumer that computes every CRC again (checkCrcs,
  // Java's default); then IndexedDB.
  const bounded = { retentionBytes: RETENTION_BYTES };
  const configs = STORAGES.flatMap((storage) =>
    storage === 'memory' ? [[storage, {}], [storage, bounded], [storage, { ...bounded, checkCrcs: true }]] : [[storage, {}]]);
  for (const [storage, options] of configs) {
    // The median of the warm runs is the figure; the cold one is shown beside it.
    const runs = await franzThroughput(storage, 1 + WARM_RUNS, options);
    const cold = runs[0];
    const seconds = runs.slice(1).sort((a, b) => a - b)[Math.floor(WARM_RUNS / 2)];
    const setting = [
      storage,
      storage === 'indexeddb' ? 'relaxed' : null,
      options.retentionBytes ? `retention.bytes ${options.retentionBytes / 2 ** 20} MiB` : storage === 'memory' ? 'unbounded log' : null,
      options.checkCrcs ? 'consumer checkCrcs: true' : null,
    ];
    report({
      bench: `franz producer worker → host worker → consumer worker (${setting.filter(Boolean).join(', ')})`,
      records: RECORDS, seconds: round(seconds), recordsPerSec: Math.round(RECORDS / seconds), mbPerSec: round(mb / seconds, 1),
      ratioToRaw: round(mb / seconds / rawRate, 2), ratioToRawRelay: round(mb / seconds / relayRate, 2),
      coldRecordsPerSec: Math.round(RECORDS / cold), runsRecordsPerSec: runs.map((s) => Math.round(RECORDS / s)),
    });
  }

  if (STORAGES.includes('memory')) {
    const { produced, consumed } = await franzStages();
    report({
      bench: 'franz stages alone, memory: producer worker → host / host → consumer worker',
      records: RECORDS, produceRecordsPerSec: Math.round(RECORDS / produced), consumeRecordsPerSec: Math.round(RECORDS / consumed),
    });
  }

  const cold = await latencies(0, 5);
  const warm = await latencies(WARM_UP_RECORDS, 5);
  const { port1, port2 } = new MessageChannel();
  await ready('pong', { port: port2 }); // echoes from set-up on
  const rtts = (await (await ready('ping', { port: port1, count: LATENCY_RECORDS })).once()).rtts.sort((a, b) => a - b);
  const paced = await rawPacedRelay(LATENCY_RECORDS, 5);
  const figures = (sorted) => ({
    records: sorted.length, p50Ms: round(percentile(sorted, 50)), p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1)),
  });
  report({
    bench: 'end-to-end latency, acks=1, ~200 records/s, memory: producer worker → host → consumer worker',
    warm: { warmUpRecords: WARM_UP_RECORDS, ...figures(warm) }, cold: figures(cold),
    rawPingPongRttP50Ms: round(percentile(rtts, 50)), rawPingPongRttP99Ms: round(percentile(rtts, 99)),
    rawPacedRelayP50Ms: round(percentile(paced, 50)), rawPacedRelayP99Ms: round(percentile(paced, 99)),
  });
  // Five times the pace: each thread idles 1 ms between records instead of 5, and finds more of its code and data
  // still in the CPU's caches (see idlePenalty).
  const brisk = await latencies(WARM_UP_RECORDS, 1);
  const brisklyPaced = await rawPacedRelay(LATENCY_RECORDS, 1);
  report({
    bench: 'end-to-end latency, acks=1, ~1000 records/s, memory: producer worker → host → consumer worker',
    warm: { warmUpRecords: WARM_UP_RECORDS, ...figures(brisk) },
    rawPacedRelayP50Ms: round(percentile(brisklyPaced, 50)), rawPacedRelayP99Ms: round(percentile(brisklyPaced, 99)),
  });
  report({ bench: 'the platform: the same JS work back to back, and after the thread idled (µs, median of 300)', ...(await idlePenalty()) });
}

/** Microseconds a fixed piece of JS work (reading and writing 16 384 numbers spread over 1 MB) takes back to back,
 * and after this thread has idled for 1 and 5 ms: on a virtual machine, what else runs while a thread sleeps
 * evicts its code and data from the CPU's caches, so every hop of a paced record pays more than a busy one. */
async function idlePenalty() {
  const data = new Float64Array(1 << 17);
  const work = () => {
    let sum = 0;
    for (let i = 0; i < data.length; i += 8) {
      sum += data[i];
      data[i] = sum * 1e-9;
    }
    return sum;
  };
  for (let i = 0; i < 1000; i++) work(); // compiled
  const figures = {};
  for (const idleMs of [0, 1, 5]) {
    const took = [];
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => (idleMs ? setTimeout(r, idleMs) : queueMicrotask(r)));
      const start = performance.now();
      work();
      took.push(performance.now() - start);
    }
    figures[idleMs ? `afterIdle${idleMs}MsUs` : 'backToBackUs'] = round(1000 * percentile(took.sort((a, b) => a - b), 50), 1);
  }
  return figures;
}

main().then(() => (window.benchDone = 'ok'), (e) => { report({ error: String(e), stack: e.stack }); window.benchDone = 'failed'; });
