// Shared checks for the JS scenarios of the browser tests: each scenario throws on its first failed check.

export function check(cond, what) { if (!cond) throw new Error('check failed: ' + what); }

export function eq(a, b, what) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`${what}: expected ${y}, got ${x}`);
}

export const text = (bytes) => (bytes == null ? null : new TextDecoder().decode(bytes));

export async function rejects(promise, expect, what) {
  try { await promise; } catch (e) {
    for (const [k, v] of Object.entries(expect)) {
      if (k === 'message') { check(e.message.includes(v), `${what}: message ${e.message} mentions ${v}`); continue; }
      eq(e[k], v, `${what}: error.${k}`);
    }
    check(e instanceof Error, `${what}: is an Error`);
    return e;
  }
  throw new Error(`${what}: expected a rejection`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function throws(fn, expect, what) { return rejects((async () => fn())(), expect, what); }

/** Collects messages with eachMessage until `count` have arrived, then stops the consumer. */
export async function consume(consumer, count, opts = {}) {
  const got = [];
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({ ...opts, eachMessage: async ({ topic, partition, message }) => {
    // KafkaJS users read a value as a Buffer: `message.value.toString()` is its text here too.
    check(message.value === null || message.value.toString() === text(message.value), 'value.toString() is its text');
    got.push({ topic, partition, offset: message.offset, key: text(message.key), value: text(message.value),
               timestamp: message.timestamp, headers: Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, text(v)])) });
    if (got.length === count) done();
  } });
  await Promise.race([finished, new Promise((_, no) => setTimeout(() => no(new Error(`only ${got.length} of ${count} arrived`)), 5000))]);
  await consumer.stop();
  return got;
}

/** Reads every record of a topic from the beginning with a fresh group, then stops. */
export async function readAll(kafka, topic, count) {
  const consumer = kafka.consumer({ groupId: 'reader-' + Math.random() });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  let done;
  const finished = new Promise((r) => (done = r));
  await consumer.run({ eachBatch: async ({ batch }) => {
    for (const m of batch.messages) got.push({ partition: batch.partition, offset: m.offset, key: text(m.key), value: text(m.value), timestamp: m.timestamp, headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v)])) });
    if (got.length >= count) done();
  } });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 8000))]);
  await consumer.disconnect();
  got.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  return got;
}
