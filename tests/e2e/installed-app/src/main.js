// An app that imports franz as a bundler user does: the package by name, the in-page API and franz/worker's broker
// host and ready-made producer and consumer workers. tests/e2e/installed.test.mjs builds it with Vite.
import init, { Kafka, KafkaJSProtocolError } from 'franz';
import { BrokerHost, spawnConsumer, spawnProducer } from 'franz/worker';

const out = document.getElementById('out');
const say = (line) => (out.textContent += `${line}\n`);

async function main() {
  await init();
  const kafka = await Kafka.open({ cluster: 'bundled', brokers: 1, storage: 'memory' });
  await kafka.admin().createTopics({ topics: [{ topic: 'in-page' }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'in-page', messages: [{ value: 'a' }, { value: 'b' }] });
  const [{ offset }] = await kafka.admin().fetchTopicOffsets('in-page');
  say(`in page: high watermark ${offset}`);
  // KafkaJS's error classes, re-exported by the package's entry, survive bundling as the classes franz throws.
  const refused = await kafka.admin().deleteTopics({ topics: ['missing'] }).catch((e) => e);
  say(`errors: ${refused instanceof KafkaJSProtocolError ? refused.type : refused}`);

  const host = await BrokerHost.start({ cluster: 'bundled-host', brokers: 1, storage: 'memory' });
  await (await host.connect()).admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
  const consumer = spawnConsumer(host, { topic: 'orders', groupId: 'billing' });
  const consumedAll = new Promise((resolve) => consumer.on('consumed', ({ count }) => count >= 20 && resolve(count)));
  const { acked } = await spawnProducer(host, { topic: 'orders', rate: 0, count: 20 }).done;
  say(`workers: ${acked} acked, ${await consumedAll} consumed`);
  await consumer.stop();
  await host.close();
}

main().then(
  () => (window.appDone = 'ok'),
  (e) => {
    say(`failed: ${e}`);
    window.appDone = 'failed';
  },
);
