// A ready-made consumer worker: reads `topic` as a member of `groupId` and reports what it consumed. Start it
// with `spawnConsumer` from index.js; it is also a plain example of the franz API in a worker.
//   page → worker  { type: 'start', port, topic, groupId, clientId, sasl, fromBeginning, echo, sessionTimeout,
//                    heartbeatInterval, partitionAssigners, rackId, readUncommitted }
//                  { type: 'reconnect', port }   a new broker host took over
//                  { type: 'stop' }              commits what it consumed and stops
//   worker → page  { type: 'consumed', count, lag, records? }   after every batch; records ([partition, offset,
//                                                               value] each) only with `echo: true`
//                  { type: 'stopped', count } | { type: 'failed', error }
import init from '../franz.js';
import { connect } from './connect.js';

let kafka;
let consumer;
let count = 0;

async function start({ port, topic, groupId, clientId, sasl, fromBeginning = true, echo = false, rackId, readUncommitted = false, ...group }) {
  await init();
  kafka = await connect(port, { clientId, sasl });
  const { sessionTimeout, heartbeatInterval, partitionAssigners } = group;
  consumer = kafka.consumer({ groupId, sessionTimeout, heartbeatInterval, partitionAssigners, rackId, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning });
  // A crash with `restart` is followed by the consumer rejoining its group: not the end of this worker.
  consumer.on('consumer.crash', ({ payload }) => {
    if (!payload.restart) self.postMessage({ type: 'failed', error: { type: payload.error.type, message: payload.error.message } });
  });
  const decoder = new TextDecoder();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
      const lag = Number(batch.offsetLag());
      const records = echo ? batch.messages.map((m) => [batch.partition, Number(m.offset), m.value && decoder.decode(m.value)]) : undefined;
      self.postMessage({ type: 'consumed', partition: batch.partition, count, lag, records });
    },
  });
}

self.onmessage = async ({ data }) => {
  if (data.type === 'start') start(data).catch((e) => self.postMessage({ type: 'failed', error: { type: e.type, message: e.message } }));
  if (data.type === 'reconnect') kafka?.reconnect(data.port).catch(() => {});
  if (data.type === 'stop') {
    await consumer?.stop();
    self.postMessage({ type: 'stopped', count });
  }
};
