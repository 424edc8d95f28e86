// A consumer worker: reads a topic from the beginning through its port until it has `expect` records, then
// reports [partition, offset, value] for each.
import init, { Kafka } from '/pkg/franz.js';

self.onmessage = async ({ data: { port, topic, expect, groupId } }) => {
  await init();
  const kafka = await Kafka.connect(port);
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  const decoder = new TextDecoder();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) seen.push([batch.partition, Number(m.offset), decoder.decode(m.value)]);
      if (seen.length >= expect) {
        self.postMessage({ seen });
        consumer.stop(); // not awaited: stop() waits for this handler to return
      }
    },
  });
};
