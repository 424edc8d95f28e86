// Object literals with every option KafkaJS's own types allow, as KafkaJS code passes them: franz's types must take
// each (an option franz does not use is still allowed), or a KafkaJS app's TypeScript would not compile.
import { CompressionTypes, Kafka } from '../../pkg/franz.js';

export async function everyKafkaJSOption(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.createTopics({
    validateOnly: false,
    waitForLeaders: true,
    timeout: 5000,
    topics: [{ topic: 't', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
  });
  await admin.deleteTopics({ topics: ['t'], timeout: 5000 });
  await admin.createPartitions({ validateOnly: false, timeout: 5000, topicPartitions: [{ topic: 't', count: 4 }] });
  await admin.fetchTopicMetadata({ topics: ['t'] });
  await admin.fetchOffsets({ groupId: 'g', topics: ['t'], resolveOffsets: false });
  await admin.fetchTopicOffsetsByTimestamp('t', Date.now());
  await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: '1' }] });
  await admin.resetOffsets({ groupId: 'g', topic: 't', earliest: true });
  await admin.deleteTopicRecords({ topic: 't', partitions: [{ partition: 0, offset: '1' }] });
  await admin.alterPartitionReassignments({ topics: [{ topic: 't', partitionAssignment: [{ partition: 0, replicas: [1] }] }], timeout: 5000 });
  await admin.listPartitionReassignments({ topics: [{ topic: 't', partitions: [0] }], timeout: 5000 });

  const producer = kafka.producer({
    createPartitioner: undefined,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000, factor: 0.2, multiplier: 2 },
    metadataMaxAge: 300000,
    allowAutoTopicCreation: true,
    idempotent: false,
    transactionalId: undefined,
    transactionTimeout: 60000,
    maxInFlightRequests: 5,
  });
  await producer.send({ topic: 't', messages: [{ key: 'k', value: 'v', partition: 0, headers: { h: 'x' }, timestamp: '1' }], acks: -1, timeout: 30000, compression: CompressionTypes.GZIP });
  await producer.sendBatch({ topicMessages: [{ topic: 't', messages: [{ value: 'v' }] }], acks: 1, timeout: 30000, compression: CompressionTypes.None });

  const consumer = kafka.consumer({
    groupId: 'g',
    metadataMaxAge: 300000,
    sessionTimeout: 30000,
    rebalanceTimeout: 60000,
    heartbeatInterval: 3000,
    maxBytesPerPartition: 1048576,
    minBytes: 1,
    maxBytes: 10485760,
    maxWaitTimeInMs: 5000,
    retry: { retries: 5, restartOnFailure: async () => true },
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    readUncommitted: false,
    rackId: 'r1',
  });
  await consumer.subscribe({ topics: ['t', /t.*/], fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 5000,
    autoCommitThreshold: 100,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: 2,
    eachMessage: async ({ topic, partition, message, heartbeat, pause }) => void [topic, partition, message, heartbeat, pause],
  });
  consumer.seek({ topic: 't', partition: 0, offset: '0' });
  await consumer.commitOffsets([{ topic: 't', partition: 0, offset: '1', metadata: null }]);
}
