// What franz's calls resolve with, assigned to KafkaJS's own types (from the kafkajs package): KafkaJS code that
// reads these results type-checks against franz. Compiled by tests/e2e/types.test.mjs (tsconfig.kafkajs.json).
// Left out, where KafkaJS's types disagree with what KafkaJS itself returns: describeConfigs', describeAcls' and
// deleteAcls' `errorMessage` (null when there is none, in KafkaJS too) and listPartitionReassignments'
// `partitionIndex` (KafkaJS answers `partition`), and instrumentation events' `id` (a number in KafkaJS too, which
// its types call a string); and by design, describeGroups' `memberAssignment`, which franz gives decoded (README,
// "Consumer groups").
import type * as K from 'kafkajs';
import { Kafka } from '../../pkg/franz.js';

export async function resultsReadAsKafkaJS(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'g' });
  const sent: K.RecordMetadata[] = await producer.send({ topic: 't', messages: [{ value: 'v' }] });
  const batch: K.RecordMetadata[] = await producer.sendBatch({ topicMessages: [] });
  const metadata: { topics: Array<K.ITopicMetadata> } = await admin.fetchTopicMetadata({ topics: ['t'] });
  const offsets: Array<{ topic: string; partitions: K.FetchOffsetsPartition[] }> = await admin.fetchOffsets({ groupId: 'g' });
  const topicOffsets: Array<K.SeekEntry & { high: string; low: string }> = await admin.fetchTopicOffsets('t');
  const byTime: Array<K.SeekEntry> = await admin.fetchTopicOffsetsByTimestamp('t', 1);
  const cluster: Awaited<ReturnType<K.Admin['describeCluster']>> = await admin.describeCluster();
  const groups: { groups: K.GroupOverview[] } = await admin.listGroups();
  const deleted: K.DeleteGroupsResult[] = await admin.deleteGroups(['g']);
  const aclsCreated: boolean = await admin.createAcls({ acl: [] });
  const paused: K.TopicPartitions[] = consumer.paused();
  void [sent, batch, metadata, offsets, topicOffsets, byTime, cluster, groups, deleted, aclsCreated, paused];
  await consumer.run({ eachBatch: async (payload: K.EachBatchPayload) => void payload });
  await consumer.run({ eachMessage: async (payload: K.EachMessagePayload) => void payload });
}
