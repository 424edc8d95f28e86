// A producer worker: connects to the broker host through the port it is handed, sends `count` keyed records in
// sends of 100, then reports how many it was acknowledged for.
import init, { Kafka } from '/pkg/franz.js';

self.onmessage = async ({ data: { port, topic, count, id } }) => {
  await init();
  const kafka = await Kafka.connect(port);
  const producer = kafka.producer();
  await producer.connect();
  let acked = 0;
  for (let i = 0; i < count; i += 100) {
    const messages = Array.from({ length: 100 }, (_, j) => ({ key: `w${id}-${(i + j) % 7}`, value: `w${id}:${i + j}` }));
    await producer.send({ topic, messages });
    acked += messages.length;
  }
  self.postMessage({ acked });
};
