// The cost of replication in a tab: acks=1 against acks=all on a 3-broker cluster with RF=3, against RF=1, for
// 100-byte records in sends of 1000, in memory and in IndexedDB. Beside them, the platform limit of the same
// run: one raw IndexedDB put of a 1000-record buffer per transaction. Prints JSON lines; sets window.benchDone.
import init, { Kafka } from '/pkg/franz.js';
import { raw } from './raw-idb.js';

const RECORDS_PER_SEND = 1000;
const VALUE_BYTES = 100;
const SENDS = Number(new URLSearchParams(location.search).get('sends') ?? 100);

const out = document.getElementById('out');
function report(line) {
  const json = JSON.stringify(line);
  console.log(json);
  out.textContent += json + '\n';
}

const messages = Array.from({ length: RECORDS_PER_SEND }, () => ({ value: 'v'.repeat(VALUE_BYTES) }));

/** Seconds for SENDS sends of 1000 records to a topic with replication factor `rf`, with `acks`. */
async function produce(storage, rf, acks) {
  const cluster = `bench-replication-${storage}-${rf}-${acks}`;
  await Kafka.deleteCluster(cluster);
  const kafka = await Kafka.open({ cluster, brokers: 3, storage });
  await kafka.admin().createTopics({ topics: [{ topic: 'bench', numPartitions: 1, replicationFactor: rf }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'bench', messages, acks }); // warm-up
  const start = performance.now();
  for (let i = 0; i < SENDS; i++) await producer.send({ topic: 'bench', messages, acks });
  const seconds = (performance.now() - start) / 1000;
  await kafka.close();
  await Kafka.deleteCluster(cluster);
  return seconds;
}

/** One raw IndexedDB put of a 1000-record buffer per transaction: the platform's limit. The same buffer every
 * time: a put clones its value at once, so the limit allocates nothing per put. */
const batchBytes = new Uint8Array(61 + RECORDS_PER_SEND * (VALUE_BYTES + 7)).fill(0x76).buffer;
const rawPut = () => raw('raw-replication-limit', 'relaxed', SENDS, (s, i) => s.put(batchBytes, i));

const perSec = (seconds) => Math.round((SENDS * RECORDS_PER_SEND) / seconds);

await init();
try {
  const variants = [];
  for (const storage of ['memory', 'indexeddb']) {
    variants.push([`${storage}, RF=1, acks=1`, () => produce(storage, 1, 1)]);
    variants.push([`${storage}, RF=3, acks=1`, () => produce(storage, 3, 1)]);
    variants.push([`${storage}, RF=3, acks=all`, () => produce(storage, 3, -1)]);
  }
  variants.push(['raw limit: one IndexedDB put of a 1000-record buffer per transaction', rawPut]);
  // Each variant twice, interleaved, keeping the faster run, so run order favours none.
  const best = new Map();
  for (let round = 0; round < 2; round++) {
    for (const [name, run] of variants) best.set(name, Math.min(best.get(name) ?? Infinity, await run()));
  }
  const rate = Object.fromEntries([...best].map(([name, s]) => [name, perSec(s)]));
  for (const [name, s] of best) {
    report({ bench: `replication: ${name}`, records: SENDS * RECORDS_PER_SEND, seconds: +s.toFixed(3), records_per_sec: perSec(s), of: 'best of 2 interleaved runs' });
  }
  for (const storage of ['memory', 'indexeddb']) {
    report({
      bench: `replication cost (${storage})`,
      acks_all_over_acks_1_rf3: +(rate[`${storage}, RF=3, acks=all`] / rate[`${storage}, RF=3, acks=1`]).toFixed(2),
      rf3_acks_all_over_rf1: +(rate[`${storage}, RF=3, acks=all`] / rate[`${storage}, RF=1, acks=1`]).toFixed(2),
      ...(storage === 'indexeddb' && { rf3_acks_all_over_raw_idb_limit: +(rate['indexeddb, RF=3, acks=all'] / rate['raw limit: one IndexedDB put of a 1000-record buffer per transaction']).toFixed(2) }),
    });
  }
  window.benchDone = 'ok';
} catch (e) {
  report({ error: String(e && e.stack || e) });
  window.benchDone = 'failed';
}
