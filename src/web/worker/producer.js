// A ready-made producer worker: sends `rate` records a second (0: as fast as it can) to `topic` until `count`
// are acknowledged or it is told to stop. Start it with `spawnProducer` from index.js; it is also a plain example
// of the franz API in a worker.
//   page → worker  { type: 'start', port, topic, clientId, sasl, rate, count, key, keySpace, value, acks, idempotent,
//                    batchSize, compression }
//                  { type: 'reconnect', port }   a new broker host took over
//                  { type: 'stop' }
//   worker → page  { type: 'progress', acked, errors }   after every send
//                  { type: 'done', acked } | { type: 'failed', error }
import init, { Kafka } from '../franz.js';

let kafka;
let running = true;

/** `user-{n}` with {n} the record's number modulo `keySpace`; null for no key (round-robin). */
const keyOf = (pattern, n, keySpace) => (pattern == null ? null : pattern.replaceAll('{n}', String(keySpace ? n % keySpace : n)));
const valueOf = (pattern, n) => pattern.replaceAll('{n}', String(n));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function start({ port, topic, clientId, sasl, rate = 10, count = Infinity, key = 'key-{n}', keySpace = 10, value = 'message {n}', acks = -1, idempotent = false, batchSize = 100, compression = 0 }) {
  await init();
  kafka = await Kafka.connect(port, { clientId, sasl });
  const producer = kafka.producer({ idempotent, acks, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  await producer.connect();
  let acked = 0;
  let errors = 0;
  const started = performance.now();
  while (running && acked < count) {
    // As many records as the rate allows by now, in one send (never one request per record).
    const due = rate > 0 ? Math.floor(((performance.now() - started) / 1000) * rate) : acked + batchSize;
    const n = Math.min(due - acked, batchSize, count - acked);
    if (n <= 0) {
      await sleep(Math.max(1, 1000 / rate));
      continue;
    }
    const messages = Array.from({ length: n }, (_, i) => ({ key: keyOf(key, acked + i, keySpace), value: valueOf(value, acked + i) }));
    try {
      await producer.send({ topic, messages, compression });
      acked += n;
    } catch (e) {
      errors += 1; // retries are used up: the records were not acknowledged; try them again
      await sleep(500);
    }
    self.postMessage({ type: 'progress', acked, errors });
  }
  await producer.disconnect();
  self.postMessage({ type: 'done', acked });
}

self.onmessage = ({ data }) => {
  if (data.type === 'start') start(data).catch((e) => self.postMessage({ type: 'failed', error: { type: e.type, message: e.message } }));
  if (data.type === 'reconnect') kafka?.reconnect(data.port).catch(() => {});
  if (data.type === 'stop') running = false;
};
