// franz/worker's declarations: the broker-host worker and the ready-made client workers, as the tutorial uses them.
import { Kafka } from '../../pkg/franz.js';
import { BrokerHost, spawnConsumer, spawnProducer, type ClusterChange } from '../../pkg/worker/index.js';

export async function workers(): Promise<void> {
  const host = await BrokerHost.start({ cluster: 'shop', storage: 'indexeddb' }, { clientTimeout: 5000 });
  const off = host.on('cluster.change', (e: ClusterChange) => void e.changes.map((c) => c.type));
  const producer = spawnProducer(host, { topic: 'orders', rate: 50, key: 'customer-{n}', keySpace: 7 });
  producer.on('progress', (r) => void r.acked);
  const consumer = spawnConsumer(host, { topic: 'orders', groupId: 'billing' });
  const stopped: number = (await consumer.stop()).count;
  const clients: number = (await host.stats()).clients;
  const kafka: Kafka = await host.connect({ requestTimeout: 1000, heartbeatInterval: 500, hostTimeout: 3000 });
  await kafka.reconnect(host.port());
  host.terminate();
  await host.restart();
  producer.terminate();
  off();
  void [stopped, clients];

  // @ts-expect-error a producer worker needs a topic
  spawnProducer(host, { rate: 5 });
  // @ts-expect-error a consumer worker needs a topic
  spawnConsumer(host, { groupId: 'billing' });
  // Without a group, a standalone consumer worker reads every partition; rackId picks a replica in its rack.
  spawnConsumer(host, { topic: 'orders', rackId: 'a' });
  // A worker script is posted its token; its own oauthBearerProvider gives it back.
  spawnConsumer(host, { topic: 'orders', sasl: { mechanism: 'oauthbearer', token: 'header.claims.' } });
  // @ts-expect-error a provider is a function, which cannot be posted to a worker
  spawnConsumer(host, { topic: 'orders', sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 't' }) } });
  // @ts-expect-error connect options are numbers
  await Kafka.connect(host.port(), { hostTimeout: 'soon' });
}
