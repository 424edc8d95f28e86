// Compiled by tests/e2e/types.test.mjs with `tsc --noEmit --strict`: KafkaJS-style code must type-check against
// franz's declarations, and each `@ts-expect-error` line must really be an error (so the types are not `any`).
import init, { AclOperationTypes, AssignerProtocol, type PartitionAssigner, AclPermissionTypes, AclResourceTypes, Cli, CompressionCodecs, CompressionTypes, ConfigResourceTypes, ConfigSource, Kafka, PartitionAssigners, ResourcePatternTypes, Partitioners, logLevel, partitionForKey, type RecordMetadata, type KafkaMessage, type FranzError, type NetworkRequestPayload, KafkaJSAggregateError, KafkaJSCreateTopicError, KafkaJSDeleteGroupsError, KafkaJSError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from '../../pkg/franz.js';

export async function example(): Promise<void> {
  await init();
  const kafka = await Kafka.open({ clientId: 'app', cluster: 'demo', brokers: 3, storage: 'indexeddb' });
  // @ts-expect-error KafkaJS's constructor: a franz cluster opens asynchronously, with Kafka.open
  new Kafka({ clientId: 'app', brokers: ['localhost:9092'] });
  const entries: string[] = [];
  const quiet = await Kafka.open({
    cluster: 'logged',
    storage: 'memory',
    logLevel: logLevel.WARN,
    logCreator: (level) => ({ namespace, label, log }) => entries.push(`${level} ${namespace} ${label} ${log.message}`),
  });
  quiet.logger().namespace('app').warn('disk almost full', { percent: 93 });
  quiet.logger().setLogLevel(logLevel.DEBUG);
  // @ts-expect-error a level is one of logLevel's
  await Kafka.open({ cluster: 'bad-level', logLevel: 'loud' });
  await Kafka.open({ cluster: 'bounded', storage: 'memory', memoryLimitBytes: 256 * 2 ** 20 });
  // @ts-expect-error a memory limit is a number of bytes
  await Kafka.open({ cluster: 'bounded', storage: 'memory', memoryLimitBytes: '256MB' });
  const admin = kafka.admin();
  const created: boolean = await admin.createTopics({
    topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }],
  });
  const offsets: { partition: number; offset: string; high: string; low: string }[] = await admin.fetchTopicOffsets('orders');
  await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '-1' }] });
  // @ts-expect-error partitions name their offsets
  await admin.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0 }] });
  const metadata = await admin.fetchTopicMetadata();
  const leader: number = metadata.topics[0].partitions[0].leader;
  const leos: string[] = metadata.topics[0].partitions[0].replicaLogEndOffsets;
  await admin.killBroker(leader);
  const secured = await Kafka.open({
    cluster: 'secured',
    storage: 'memory',
    users: { admin: 'admin-secret', alice: 'alice-secret' },
    sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' },
    authorizer: { superUsers: ['User:admin'] },
  });
  const aclAdmin = secured.admin();
  const stored: boolean = await aclAdmin.createAcls({
    acl: [{
      resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW,
    }],
  });
  const described = await aclAdmin.describeAcls({
    resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  });
  const principals: string[] = described.resources.flatMap((r) => r.acls.map((a) => a.principal));
  const deleted = await aclAdmin.deleteAcls({ filters: [{
    resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.MATCH,
    operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  }] });
  const removed: number = deleted.filterResponses[0].matchingAcls.length;
  // @ts-expect-error an ACL names its operation
  await aclAdmin.createAcls({ acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 't', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:a', host: '*', permissionType: AclPermissionTypes.ALLOW }] });
  const open: string[] = (await aclAdmin.listTransactions({ states: ['Ongoing'] })).map((t) => t.transactionalId);
  const [tx] = await aclAdmin.describeTransactions({ transactionalIds: ['tx-1'] });
  const since: number | null = tx.transactionStartTimeMs;
  // @ts-expect-error a state is one of Kafka's transaction states
  await aclAdmin.listTransactions({ states: ['Running'] });
  await aclAdmin.alterUserScramCredentials({
    upsertions: [{ user: 'carol', mechanism: 'SCRAM-SHA-512', password: 'carol-pw', iterations: 8192 }],
    deletions: [{ user: 'dave', mechanism: 'SCRAM-SHA-256' }],
  });
  const iterations: number[] = (await aclAdmin.describeUserScramCredentials(['carol'])).flatMap((d) => d.credentialInfos.map((i) => i.iterations));
  // @ts-expect-error a stored credential is SCRAM's, not PLAIN's
  await aclAdmin.alterUserScramCredentials({ upsertions: [{ user: 'carol', mechanism: 'PLAIN', password: 'p' }] });
  void [stored, principals, removed, open, since, iterations];
  await admin.restartBroker(leader);
  await admin.partitionNetwork([[1, 2], [3]]);
  await admin.healNetwork();
  const down: number[] = (await admin.describeCluster()).offlineBrokers;
  // @ts-expect-error a broker is named by its id
  await admin.killBroker('broker-1');
  await admin.createTopics({ topics: [{ topic: 'placed', replicaAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'placed', count: 2, assignments: [[3, 1]] }] });
  // @ts-expect-error an assignment lists broker ids
  await admin.createPartitions({ topicPartitions: [{ topic: 'placed', count: 3, assignments: [['b3']] }] });
  await admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [2, 3] }] }] });
  await admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: null }] }] });
  const moving = await admin.listPartitionReassignments({ topics: [{ topic: 'orders', partitions: [0] }] });
  const joining: number[] = moving.topics[0].partitions[0].addingReplicas;
  // @ts-expect-error replicas are broker ids
  await admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: ['b2'] }] }] });
  const racked = await Kafka.open({ cluster: 'racked', racks: ['a', 'b', null], storage: 'memory' });
  await Kafka.open({ cluster: 'lkc-abc123', sasl: { mechanism: 'plain', username: 'KEY', password: 'SECRET' } });
  await Kafka.open({ users: { alice: 's' }, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 's' } });
  // @ts-expect-error franz speaks PLAIN, SCRAM and OAUTHBEARER, not Kerberos
  await Kafka.open({ users: { alice: 's' }, sasl: { mechanism: 'gssapi', username: 'alice', password: 's' } });
  const oauthBearerProvider = async () => ({ value: 'header.claims.', extensions: { traceId: 't-1' } });
  await Kafka.open({ oauthBearer: { requiredScope: ['kafka'], allowableClockSkewMs: 1000 }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider } });
  const jwks = { keys: [{ kty: 'RSA', kid: 'k1', n: 'n', e: 'AQAB' }] };
  await Kafka.open({ oauthBearer: { jwks, expectedAudience: ['franz'], expectedIssuer: 'https://idp', clockSkewSeconds: 10 } });
  // @ts-expect-error: the signed-token validator needs the provider's keys
  await Kafka.open({ oauthBearer: { jwks: undefined, expectedIssuer: 'https://idp' } });
  // @ts-expect-error OAUTHBEARER logs in with a token provider, not a password
  await Kafka.open({ oauthBearer: true, sasl: { mechanism: 'oauthbearer', username: 'alice', password: 's' } });
  const renewing = await Kafka.open({ oauthBearer: true, connectionsMaxReauthMs: 60_000 });
  const { port1, port2 } = new MessageChannel();
  // Options are optional wherever Rust takes an Option.
  renewing.serve(port1);
  await Kafka.connect(new MessageChannel().port1);
  await Cli.open();
  await Kafka.connect(port2, { sasl: { mechanism: 'oauthbearer', oauthBearerProvider }, reauthenticationThreshold: 5000 });
  // @ts-expect-error a lifetime is a number of milliseconds
  await Kafka.open({ connectionsMaxReauthMs: '1 minute' });
  const cli = await Cli.open({ storage: 'memory' });
  const result = await cli.run('confluent login');
  const printed: string = result.error ? result.error.text : result.output;
  const mode: 'produce' | 'consume' | null = result.streaming;
  await cli.send('a line');
  const lines: string[] = await cli.poll();
  const words: string[] = cli.complete('confluent ka');
  cli.stop();
  await cli.close();
  void [printed, mode, lines, words];
  racked.consumer({ groupId: 'near', rackId: 'a' });
  void [leos, down, joining];

  const producer = kafka.producer();
  producer.logger().info('ready', { idempotent: producer.isIdempotent() });
  kafka.admin().logger().namespace('setup').debug('topics made');
  // @ts-expect-error isIdempotent is a method
  const flag: boolean = producer.isIdempotent;
  void flag;
  await producer.connect();
  const sent: RecordMetadata[] = await producer.send({
    topic: 'orders',
    messages: [{ key: 'alice', value: 'hi', headers: { trace: 'a1' } }, { value: new Uint8Array([1, 2]) }],
    acks: -1,
  });
  const firstOffset: string = sent[0].baseOffset;
  await producer.send({ topic: 'orders', compression: CompressionTypes.GZIP, messages: [{ value: 'zipped' }] });
  // @ts-expect-error a codec is one of CompressionTypes
  await producer.send({ topic: 'orders', compression: 'gzip', messages: [{ value: 'zipped' }] });
  // KafkaJS's partitioners: franz's own, one wrapped by the app's, and a function of the app's.
  kafka.producer({ allowAutoTopicCreation: false });
  kafka.consumer({ groupId: 'g', allowAutoTopicCreation: false });
  // @ts-expect-error allowAutoTopicCreation is a boolean
  kafka.producer({ allowAutoTopicCreation: 'yes' });
  kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner });
  kafka.producer({
    createPartitioner: () => {
      const byKey = Partitioners.JavaCompatiblePartitioner();
      return ({ topic, partitionMetadata, message }) => (message.headers?.urgent ? 0 : byKey({ topic, partitionMetadata, message }));
    },
  });
  // @ts-expect-error createPartitioner is a factory: it returns the partitioner
  kafka.producer({ createPartitioner: () => 0 });

  // KafkaJS's transactions: a consume-transform-produce step, exactly once.
  const txProducer = kafka.producer({ transactionalId: 'copier', transactionTimeout: 30000, maxInFlightRequests: 1 });
  await txProducer.connect();
  const transaction = await txProducer.transaction();
  const inTxn: RecordMetadata[] = await transaction.send({ topic: 'orders', messages: [{ value: 'copied' }] });
  await transaction.sendBatch({ topicMessages: [{ topic: 'orders', messages: [{ value: 'also' }] }] });
  await transaction.sendOffsets({ consumerGroupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }] });
  const active: boolean = transaction.isActive();
  await (active ? transaction.commit() : transaction.abort());
  // @ts-expect-error offsets are strings, as KafkaJS writes them
  await transaction.sendOffsets({ consumerGroupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: 42 }] }] });
  // @ts-expect-error a transactional id is a string
  kafka.producer({ transactionalId: 7 });
  kafka.consumer({ groupId: 'dirty-reads', readUncommitted: true });
  void inTxn;

  const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] });
  const fromTopic: boolean = configs.resources[0].configEntries.some((e) => e.configSource === ConfigSource.TOPIC_CONFIG);
  void fromTopic;
  kafka.consumer({ groupId: 'ranged', partitionAssigners: [PartitionAssigners.range, PartitionAssigners.roundRobin] });
  const consumer = kafka.consumer({ groupId: 'billing' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const m: KafkaMessage = message;
      const offset: string = m.offset;
      const value: Uint8Array | null = m.value;
      // As KafkaJS users read a Buffer: its text, or its bytes in hex.
      const text: string | undefined = message.value?.toString();
      const hex: string | undefined = message.key?.toString('hex');
      // @ts-expect-error an encoding a Buffer's toString has and franz's does not
      message.value?.toString('ucs2');
      void [topic.length, partition + 1, offset, value, text, hex];
    },
  });
  const off: () => void = kafka.on('warning', (e) => console.warn(e.message));
  off();
  try {
    await admin.createTopics({ topics: [{ topic: 'orders', replicationFactor: 9 }] });
  } catch (e) {
    const err = e as FranzError;
    const kind: string = err.type;
    const code: number = err.code;
    void [kind, code];
    // KafkaJS's classes narrow as they do with KafkaJS.
    if (e instanceof KafkaJSAggregateError) {
      for (const each of e.errors) if (each instanceof KafkaJSCreateTopicError) void [each.topic, each.type.length, each.code + 1];
    }
  }
  try {
    await admin.deleteGroups(['g']);
  } catch (e) {
    if (e instanceof KafkaJSDeleteGroupsError) void e.groups.map((g) => [g.groupId, g.errorCode, g.error.type]);
    else if (e instanceof KafkaJSProtocolError) void [e.type.length, e.retriable];
    else if (e instanceof KafkaJSError) void e.retriable;
    // @ts-expect-error a KafkaJSDeleteGroupsError's groups are objects, not names
    if (e instanceof KafkaJSDeleteGroupsError) void e.groups[0].length;
  }
  // KafkaJS's codec plugin registration type-checks (franz uses its own codecs).
  CompressionCodecs[CompressionTypes.Snappy] = () => ({ compress: async () => new Uint8Array(), decompress: async () => new Uint8Array() });
  const exceeded = new KafkaJSNumberOfRetriesExceeded(new Error('down'), { retryCount: 5, retryTime: 300 });
  const tries: number = exceeded.retryCount;
  void tries;
  const p: number = partitionForKey(new TextEncoder().encode('k'), 6);
  void [created, offsets, leader, firstOffset, p];

  // @ts-expect-error storage is one of 'indexeddb' | 'memory' | 'auto'
  await Kafka.open({ storage: 'disk' });
  // @ts-expect-error a value is a string, bytes or null
  await producer.send({ topic: 'orders', messages: [{ value: 42 }] });
  // @ts-expect-error messages are required
  await producer.send({ topic: 'orders' });
  // @ts-expect-error a groupId is a string
  kafka.consumer({ groupId: 42 });
  kafka.consumer({ groupId: 'fetching', minBytes: 1024, maxBytes: 1 << 20, maxWaitTimeInMs: 100, checkCrcs: true });
  // @ts-expect-error checkCrcs is a boolean
  kafka.consumer({ groupId: 'x', checkCrcs: 'yes' });
  // @ts-expect-error offsets cross into JS as strings
  const n: number = sent[0].baseOffset;
  // @ts-expect-error an unknown event name
  kafka.on('cluster.changed', () => {});
  void n;
}

export async function groups(kafka: Kafka): Promise<void> {
  const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 10000, heartbeatInterval: 1000, partitionAssigners: ['cooperative-sticky', 'roundrobin'] });
  const d = await consumer.describeGroup();
  const partitions: number[] = d.members.flatMap((m) => m.memberAssignment.map((a) => a.partition));
  consumer.on('consumer.rebalancing', () => {});
  void partitions;
  // @ts-expect-error an unknown assignor
  kafka.consumer({ groupId: 'x', partitionAssigners: ['sticky-ish'] });
}

/** A custom assigner, as KafkaJS's docs write one. */
export function customAssigner(kafka: Kafka): void {
  const MyPartitionAssigner: PartitionAssigner = ({ cluster }) => ({
    name: 'MyPartitionAssigner',
    version: 1,
    async assign({ members, topics }) {
      const partitions = topics.flatMap((topic) => cluster.findTopicPartitionMetadata(topic).map((p) => ({ topic, partition: p.partitionId })));
      return members.map(({ memberId, memberMetadata }, i) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: { [partitions[i].topic]: [partitions[i].partition] },
          userData: AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData,
        }),
      }));
    },
    protocol({ topics }) {
      return { name: 'MyPartitionAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: new Uint8Array(0) }) };
    },
  });
  kafka.consumer({ groupId: 'mine', partitionAssigners: [MyPartitionAssigner, 'roundrobin'] });
  // @ts-expect-error an assigner must say how it assigns
  kafka.consumer({ groupId: 'x', partitionAssigners: [() => ({ name: 'half', version: 0 })] });
}

/** KafkaJS's eachBatch, written as its docs write it, and its retry's restartOnFailure. */
export async function handlers(kafka: Kafka): Promise<void> {
  const consumer = kafka.consumer({ groupId: 'batches', retry: { retries: 3, restartOnFailure: async (e) => e.message !== 'fatal' } });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale, pause }) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        resolveOffset(message.offset);
        await heartbeat();
      }
      const pending: string[] = uncommittedOffsets().topics.flatMap((t) => t.partitions.map((p) => p.offset));
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: batch.lastOffset() }] }] });
      await commitOffsetsIfNecessary();
      const resume: () => void = pause();
      const low: string = batch.offsetLagLow();
      void [pending, resume, low];
    },
  });
  await consumer.run({ eachMessage: async ({ pause }) => void setTimeout(pause(), 1000) });
  // @ts-expect-error an offset crosses into JS as a string
  await consumer.run({ eachBatch: async ({ resolveOffset }) => resolveOffset(3) });
  // @ts-expect-error restartOnFailure answers with a promise
  kafka.consumer({ groupId: 'x', retry: { restartOnFailure: () => true } });

  const { GROUP_JOIN, END_BATCH_PROCESS } = consumer.events;
  const off: () => void = consumer.on(END_BATCH_PROCESS, (e) => console.log(e.id, e.type, e.timestamp, e.payload.duration));
  consumer.on(GROUP_JOIN, () => {});
  off();
  kafka.producer().on(kafka.producer().events.CONNECT, () => {});
  kafka.admin().on('admin.disconnect', () => {});
  // @ts-expect-error a misspelt event
  consumer.on('consumer.heartbeet', () => {});
  kafka.producer().on('producer.network.request', (e) => void (e.payload as NetworkRequestPayload).apiKey);
  // @ts-expect-error another client's event
  kafka.producer().on('consumer.network.request', () => {});
}

export async function groupAdmin(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  const ids: string[] = (await admin.listGroups()).groups.map((g) => g.groupId);
  const states: string[] = (await admin.describeGroups(ids)).groups.map((g) => g.state);
  await admin.setOffsets({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: '5' }] });
  await admin.resetOffsets({ groupId: 'g', topic: 't', earliest: true });
  const deleted: number[] = (await admin.deleteGroups(['g'])).map((r) => r.errorCode);
  const lag: bigint = (await admin.fetchGroupLag({ groupId: 'g' })).reduce((n, l) => n + BigInt(l.lag), 0n);
  void lag;
  void [states, deleted];
  // @ts-expect-error describeGroups takes an array of ids
  await admin.describeGroups('g');
}
