// The broker-host worker: opens a franz cluster (IndexedDB or memory) and serves it to clients on MessagePorts.
// The page talks to it with small messages (`BrokerHost` in index.js does that for you):
//   page → host  { type: 'open', id, config }        → { type: 'opened', id, warnings } | { type: 'failed', id, error }
//                { type: 'serve', port, clientTimeout? }   (port transferred; the client end goes to Kafka.connect)
//                { type: 'stats', id }                 → { type: 'stats', id, stats }
//                { type: 'close', id }                 → { type: 'closed', id }
//   host → page  { type: 'cluster.change', event }     at most ~20/s
//                { type: 'warning', event }
import init, { Kafka } from '../franz.js';

let kafka;
const errorOf = (e) => ({ name: e?.name, type: e?.type, code: e?.code, message: String(e?.message ?? e) });

async function handle(data) {
  try {
    switch (data.type) {
      case 'open':
        await init();
        kafka = await Kafka.open(data.config);
        kafka.on('cluster.change', (event) => self.postMessage({ type: 'cluster.change', event }));
        kafka.on('warning', (event) => self.postMessage({ type: 'warning', event }));
        self.postMessage({ type: 'opened', id: data.id, warnings: kafka.openWarnings(), cluster: kafka.clusterName });
        break;
      case 'serve':
        kafka.serve(data.port, { clientTimeout: data.clientTimeout });
        break;
      case 'stats':
        self.postMessage({ type: 'stats', id: data.id, stats: kafka.stats() });
        break;
      case 'close':
        await kafka.close();
        self.postMessage({ type: 'closed', id: data.id });
        break;
    }
  } catch (e) {
    self.postMessage({ type: 'failed', id: data.id, error: errorOf(e) });
  }
}

// One message at a time, in order: a port to serve may arrive while the cluster is still opening.
let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};
