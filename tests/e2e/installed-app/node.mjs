// franz in Node.js, as an app's own tests might use it (memory storage; workers are a browser's): Node's fetch
// cannot read files, so the wasm module is read from the package and handed to `init`.
import { readFile } from 'node:fs/promises';
import init, { Kafka } from 'franz';

await init({ module_or_path: await readFile(new URL(import.meta.resolve('franz/franz_bg.wasm'))) });
const kafka = await Kafka.open({ cluster: 'node', storage: 'memory' });
await kafka.admin().createTopics({ topics: [{ topic: 'greetings' }] });
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: 'greetings', messages: ['hello', 'from', 'node'].map((value) => ({ value })) });
const consumer = kafka.consumer({ groupId: 'readers' });
await consumer.connect();
await consumer.subscribe({ topic: 'greetings', fromBeginning: true });
const values = [];
await new Promise((resolve) => {
  consumer.run({
    eachMessage: async ({ message }) => {
      values.push(new TextDecoder().decode(message.value));
      if (values.length === 3) resolve();
    },
  });
});
await consumer.disconnect();
await producer.disconnect();
await kafka.close();
console.log(values.join(' '));
