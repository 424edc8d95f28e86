// A ready-made producer worker: sends `rate` records a second (0: as fast as it can) to `topic` until `count`
// are acknowledged or it is told to stop. Start it with `spawnProducer` from index.js; it is also a plain example
// of the franz API in a worker. With `transactionalId`, each send is a transaction of its own, committed (or,
// every `abortEvery`-th, aborted, to show what read_committed consumers skip); only committed records count.
//   page → worker  { type: 'start', port, topic, clientId, sasl, rate, count, key, keySpace, value, acks, idempotent,
//                    batchSize, compression, transactionalId, abortEvery }
//                  { type: 'reconnect', port }   a new broker host took over
//                  { type: 'stop' }
//   worker → page  { type: 'progress', acked, errors, aborted }   after every send
//                  { type: 'done', acked, aborted } | { type: 'failed', error }
import init from '../franz.js';
import { connect } from './connect.js';

let kafka;
let running = true;

/** `user-{n}` with {n} the record's number modulo `keySpace`; null for no key (round-robin). */
const keyOf = (pattern, n, keySpace) => (pattern == null ? null : pattern.replaceAll('{n}', String(keySpace ? n % keySpace : n)));
const valueOf = (pattern, n) => pattern.replaceAll('{n}', String(n));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Sends `messages`: as they are, or in a transaction of their own, committed unless `abort`. */
async function sendOnce(producer, transactional, abort, record) {
  if (!transactional) return producer.send(record);
  const transaction = await producer.transaction();
  try {
    await transaction.send(record);
  } catch (e) {
    await transaction.abort();
    throw e;
  }
  return abort ? transaction.abort() : transaction.commit();
}

async function start({ port, topic, clientId, sasl, rate = 10, count = Infinity, key = 'key-{n}', keySpace = 10, value = 'message {n}', acks = -1, idempotent = false, batchSize = 100, compression = 0, transactionalId, abortEvery = 0 }) {
  await init();
  kafka = await connect(port, { clientId, sasl });
  const retry = { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 };
  const producer = kafka.producer(transactionalId ? { transactionalId, retry } : { idempotent, acks, retry });
  await producer.connect();
  let acked = 0;
  let errors = 0;
  let aborted = 0;
  let sends = 0;
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
    const abort = transactionalId != null && abortEvery > 0 && ++sends % abortEvery === 0;
    try {
      await sendOnce(producer, transactionalId != null, abort, { topic, messages, compression });
      if (abort) aborted += n;
      else acked += n;
    } catch (e) {
      // The cluster's ACLs refuse this principal (or its credentials): no retry can help.
      if (/_AUTHORIZATION_FAILED$|^SASL_AUTHENTICATION_FAILED$/.test(e.type ?? '')) throw e;
      errors += 1; // retries are used up: the records were not acknowledged; try them again
      await sleep(500);
    }
    self.postMessage({ type: 'progress', acked, errors, aborted });
  }
  await producer.disconnect();
  self.postMessage({ type: 'done', acked, aborted });
}

self.onmessage = ({ data }) => {
  if (data.type === 'start') start(data).catch((e) => self.postMessage({ type: 'failed', error: { type: e.type, message: e.message } }));
  if (data.type === 'reconnect') kafka?.reconnect(data.port).catch(() => {});
  if (data.type === 'stop') running = false;
};
