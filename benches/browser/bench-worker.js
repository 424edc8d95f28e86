// The workers of the workers benchmark: a franz producer, a franz consumer, and the raw postMessage baselines.
import init, { Kafka } from '/pkg/franz.js';

const now = () => performance.timeOrigin + performance.now(); // comparable across workers
const VALUE_BYTES = 100;
const WARM_UP = 'warm-up'; // the value of records sent before the measured ones

const roles = {
  /** Sends `records` 100-byte records in sends of `perSend`, keeping `window` sends outstanding. */
  async produce({ port, records, perSend, window, acks }) {
    await init();
    const kafka = await Kafka.connect(port);
    const producer = kafka.producer({ acks });
    await producer.connect();
    const value = new Uint8Array(VALUE_BYTES).fill(118);
    const messages = Array.from({ length: perSend }, () => ({ value }));
    return async () => {
      const started = now();
      const outstanding = [];
      for (let sent = 0; sent < records; sent += perSend) {
        outstanding.push(producer.send({ topic: 'bench', messages }));
        if (outstanding.length >= window) await outstanding.shift();
      }
      await Promise.all(outstanding);
      return { started };
    };
  },

  /** Reads until `records` more have arrived (at each run); reports when the last one did. `options` go to the
   * consumer (`checkCrcs: true` computes every batch's CRC again, as Java's consumer does by default). */
  async consume({ port, records, options = {} }) {
    await init();
    const kafka = await Kafka.connect(port);
    const consumer = kafka.consumer({ groupId: `bench-${Math.random()}`, maxWaitTimeInMs: 1000, ...options });
    await consumer.connect();
    await consumer.subscribe({ topic: 'bench', fromBeginning: true });
    let seen = 0;
    let bytes = 0;
    let wanted = 0;
    let arrived = null; // resolves the run under way
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        // Every message is read, as a real consumer would.
        for (const message of batch.messages) bytes += message.value.length;
        seen += batch.messages.length;
        if (arrived && seen >= wanted) {
          arrived({ at: now(), bytes });
          arrived = null;
        }
      },
    });
    return () => {
      wanted += records;
      return new Promise((resolve) => (arrived = resolve));
    };
  },

  /** Sends one acks=1 record every `intervalMs`, its send time in its value. With `warmUp`, first sends that many
   * records back to back (valued `warm-up`, not measured) and pauses a second, so that the measured records run
   * compiled code, as in a long-lived client: the engines compile JS and wasm hot paths as they run. */
  async tick({ port, records, intervalMs, warmUp = 0 }) {
    await init();
    const kafka = await Kafka.connect(port);
    const producer = kafka.producer({ acks: 1 });
    await producer.connect();
    return async () => {
      for (let i = 0; i < warmUp; i++) await producer.send({ topic: 'latency', messages: [{ value: WARM_UP }] });
      if (warmUp > 0) await new Promise((r) => setTimeout(r, 1000));
      for (let i = 0; i < records; i++) {
        await producer.send({ topic: 'latency', messages: [{ value: String(now()) }] });
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      return {};
    };
  },

  /** Latency of every record: arrival time minus the send time in its value. */
  async measure({ port, records }) {
    await init();
    const kafka = await Kafka.connect(port);
    const consumer = kafka.consumer({ groupId: 'latency', maxWaitTimeInMs: 5000 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'latency', fromBeginning: true });
    const latencies = [];
    const decoder = new TextDecoder();
    const done = new Promise((resolve) => {
      consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const at = now();
          for (const m of batch.messages) {
            const value = decoder.decode(m.value);
            if (value !== WARM_UP) latencies.push(at - Number(value));
          }
          if (latencies.length >= records) {
            resolve({ latencies });
            consumer.stop();
          }
        },
      });
    });
    return () => done;
  },

  /** Raw limit: transfers `bytes` as `chunk`-byte ArrayBuffers to the port, then says done. */
  async rawSend({ port, bytes, chunk }) {
    return async () => {
      const started = now();
      for (let sent = 0; sent < bytes; sent += chunk) {
        const buf = new ArrayBuffer(chunk);
        new Uint8Array(buf).fill(118); // the sender touches its bytes, as a producer builds its batch
        port.postMessage(buf, [buf]);
      }
      return { started };
    };
  },

  async rawReceive({ port, bytes }) {
    let got = 0;
    const done = new Promise((resolve) => {
      port.onmessage = ({ data }) => {
        got += data.byteLength;
        if (got >= bytes) resolve({ at: now() });
      };
    });
    return () => done;
  },

  /** Raw relay: forwards whatever arrives on `port` to `onward`, transferring ArrayBuffers, as a host would. */
  async relay({ port, onward }) {
    port.onmessage = ({ data }) => onward.postMessage(data, data instanceof ArrayBuffer ? [data] : []);
    return async () => ({});
  },

  /** Raw paced sends: its send time, every `intervalMs`, as the `tick` producer sends records. */
  async rawTick({ port, records, intervalMs }) {
    return async () => {
      for (let i = 0; i < records; i++) {
        port.postMessage(now());
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      return {};
    };
  },

  /** Latency of every raw paced send: arrival time minus send time. */
  async rawMeasure({ port, records }) {
    const latencies = [];
    const done = new Promise((resolve) => {
      port.onmessage = ({ data }) => {
        latencies.push(now() - data);
        if (latencies.length >= records) resolve({ latencies });
      };
    });
    return () => done;
  },

  /** Raw round trips over a MessageChannel: the other end echoes. */
  async ping({ port, count }) {
    return () => pingPong(port, count);
  },

  async pong({ port }) {
    port.onmessage = ({ data }) => port.postMessage(data);
    return async () => ({});
  },
};

async function pingPong(port, count) {
    const rtts = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await new Promise((resolve) => {
        port.onmessage = resolve;
        port.postMessage(i);
      });
      rtts.push(performance.now() - t0);
    }
    return { rtts };
}

// Two phases, so that start-up (loading wasm, connecting) is never timed: set up and say ready; run on 'go'.
let go;
self.onmessage = async ({ data }) => {
  if (data.go) {
    self.postMessage(await go());
    return;
  }
  go = await roles[data.role](data);
  self.postMessage({ ready: true });
};
