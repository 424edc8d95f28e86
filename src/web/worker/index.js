// franz as workers, from the page: a broker-host worker that runs the cluster, and ready-made producer and
// consumer workers that talk to it, each through a MessageChannel of its own. One call each:
//
//   const host = await BrokerHost.start({ cluster: 'shop', storage: 'indexeddb' });
//   host.on('cluster.change', render);
//   const producer = spawnProducer(host, { topic: 'orders', rate: 50, key: 'customer-{n}', keySpace: 7 });
//   const consumer = spawnConsumer(host, { topic: 'orders', groupId: 'billing' });
//   const kafka = await host.connect(); // the same KafkaJS-shaped API, in the page
import init, { Kafka } from '../franz.js';

/** Why a worker failed: its error, or, for an event with no message, that its script could not be loaded (as when
 * an app's build left it out). */
const failure = (e) => e.message ?? 'its script could not be loaded';

/** A broker host running in a dedicated worker. */
export class BrokerHost {
  #config;
  #clientTimeout;
  #worker;
  #listeners = new Set();
  /** Called with a fresh port for each client after a restart. */
  #followers = new Set();
  #replies = new Map();
  #nextId = 1;

  constructor(config, clientTimeout) {
    this.#config = config;
    this.#clientTimeout = clientTimeout;
  }

  /** Starts a host worker on `config` (Kafka.open's). `clientTimeout`: how long a silent client is kept. */
  static async start(config = {}, { clientTimeout } = {}) {
    if (config.logCreator != null) {
      const err = new TypeError("franz: BrokerHost.start cannot take logCreator (a function cannot cross to the host's worker); listen to 'warning' events instead");
      throw Object.assign(err, { type: 'INVALID_REQUEST', code: 42, retriable: false });
    }
    const host = new BrokerHost(config, clientTimeout);
    await host.#boot();
    return host;
  }

  async #boot() {
    // Each worker is created as `new Worker(new URL('./x.js', import.meta.url), …)`, written out in full: the
    // pattern bundlers (Vite, webpack) recognise, so that an app's build includes the worker's script.
    const worker = new Worker(new URL('./host.js', import.meta.url), { type: 'module' });
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const waiting = this.#replies.get(data.id);
      if (waiting) {
        this.#replies.delete(data.id);
        if (data.type === 'failed') waiting.reject(Object.assign(new Error(data.error.message), data.error));
        else waiting.resolve(data);
        return;
      }
      for (const { type, listener } of this.#listeners) if (type === data.type) listener(data.event);
    };
    worker.onerror = (e) => {
      for (const { reject } of this.#replies.values()) reject(new Error(`the broker host failed: ${failure(e)}`));
      this.#replies.clear();
    };
    return this.#ask({ type: 'open', config: this.#config });
  }

  #ask(message, transfer = []) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** A port a new client passes to `Kafka.connect`. `onRestart(port)` is called with a new port after every
   * restart; stop that with `unfollow(onRestart)`. */
  port(onRestart) {
    const { port1, port2 } = new MessageChannel();
    this.#worker.postMessage({ type: 'serve', port: port1, clientTimeout: this.#clientTimeout }, [port1]);
    if (onRestart) this.#followers.add(onRestart);
    return port2;
  }

  unfollow(onRestart) {
    this.#followers.delete(onRestart);
  }

  /** A client in this page: the same API as `Kafka.open` gives. It follows the host across restarts. */
  async connect(options) {
    await init();
    let kafka;
    const port = this.port((p) => kafka.reconnect(p).catch(() => {}));
    kafka = await Kafka.connect(port, options);
    return kafka;
  }

  /** 'cluster.change' (`{ type, topic, changes }`, at most ~20/s) or 'warning'. Returns a remover. */
  on(type, listener) {
    const entry = { type, listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  /** Kafka's `stats()`, from the worker: `{ storage, database, batchesInMemory, bytesInMemory, memoryLimitBytes, clients }`. */
  async stats() {
    return (await this.#ask({ type: 'stats' })).stats;
  }

  /** Kills the worker as a crash would: nothing is closed or flushed. Clients notice within their hostTimeout. */
  terminate() {
    this.#worker.terminate();
    for (const { reject } of this.#replies.values()) reject(new Error('the broker host was terminated'));
    this.#replies.clear();
  }

  /** Starts a new host worker on the same cluster (terminating the old one if it still runs) and hands every
   * following client a port to it. With IndexedDB storage, every acknowledged record is still there. */
  async restart() {
    this.terminate();
    await this.#boot();
    for (const follow of this.#followers) follow(this.port());
  }

  /** Closes the cluster (writes what is pending, releases its lock) and ends the worker. */
  async close() {
    await this.#ask({ type: 'close' });
    this.#worker.terminate();
  }
}

/** A producer or consumer worker started by `spawnProducer` / `spawnConsumer`. */
class ClientWorker {
  #worker;
  #host;
  #follow;
  #listeners = new Set();
  #ended;

  constructor(host, worker, options, endType) {
    this.#host = host;
    this.#worker = worker;
    this.#follow = (port) => this.#worker.postMessage({ type: 'reconnect', port }, [port]);
    this.#ended = new Promise((resolve, reject) => {
      this.#worker.onmessage = ({ data }) => {
        for (const { type, listener } of this.#listeners) if (type === data.type) listener(data);
        if (data.type === endType) resolve(data);
        if (data.type === 'failed') reject(Object.assign(new Error(data.error.message), data.error));
      };
      this.#worker.onerror = (e) => reject(new Error(failure(e)));
    });
    this.#ended.catch(() => {}); // reported through the promise `done`, when asked
    const port = host.port(this.#follow);
    this.#worker.postMessage({ ...options, type: 'start', port }, [port]);
  }

  /** 'progress' / 'done' (producer), 'consumed' / 'stopped' (consumer), 'failed'. Returns a remover. */
  on(type, listener) {
    const entry = { type, listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  /** Resolves when the worker has finished: a producer its `count`, either one after `stop()`. */
  get done() {
    return this.#ended;
  }

  /** Asks the worker to finish (a consumer commits what it consumed first); resolves with its last report. */
  stop() {
    this.#worker.postMessage({ type: 'stop' });
    return this.#ended;
  }

  /** Kills the worker mid-whatever, as closing its tab would. */
  terminate() {
    this.#host.unfollow(this.#follow);
    this.#worker.terminate();
  }
}

/** A producer worker: `{ topic, rate = 10 (records/s, 0 = flat out), count = Infinity, key = 'key-{n}' (null:
 * no key), keySpace = 10, value = 'message {n}', acks = -1, idempotent = false, batchSize = 100,
 * compression = 0 (a `CompressionTypes` value: 1 GZIP, 2 Snappy, 3 LZ4, 4 ZSTD), sasl?, transactionalId? (each
 * send a transaction), abortEvery? (abort every n-th) }`. */
export function spawnProducer(host, options) {
  const worker = new Worker(new URL('./producer.js', import.meta.url), { type: 'module' });
  return new ClientWorker(host, worker, options, 'done');
}

/** A consumer worker: `{ topic, groupId, fromBeginning = true, echo = false, sessionTimeout?, heartbeatInterval?,
 * partitionAssigners?, sasl?, readUncommitted = false }`. */
export function spawnConsumer(host, options) {
  const worker = new Worker(new URL('./consumer.js', import.meta.url), { type: 'module' });
  return new ClientWorker(host, worker, options, 'stopped');
}
