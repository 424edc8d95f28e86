// franz's JS API types: KafkaJS's shapes, with Uint8Array where KafkaJS has Buffer.

export type StorageMode = 'indexeddb' | 'memory' | 'auto';

/**
 * KafkaJS's SASL options: a client logs in as `User:<username>`. A cluster opened with `users` enables PLAIN and
 * both SCRAMs; one the CLI created takes its API keys with PLAIN only, as Confluent Cloud does. SCRAM
 * (RFC 5802/7677) proves the password without sending it, and checks that the broker holds the user's
 * credential.
 */
export type PasswordSASLOptions = {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
};

/** What KafkaJS's `oauthBearerProvider` gives: a token (a JWT), and SASL extensions to send with it. */
export type OauthbearerProviderResponse = { value: string; extensions?: Record<string, string> };

/**
 * KafkaJS's SASL/OAUTHBEARER options, for a cluster opened with `oauthBearer`: the client logs in as
 * `User:<sub>` of the token its provider gives, called again at each login (so it may refresh tokens).
 */
export type OAuthBearerSASLOptions = {
  mechanism: 'oauthbearer';
  oauthBearerProvider: () => Promise<OauthbearerProviderResponse>;
  /** Must be the token's principal if given, as Kafka checks. */
  authorizationIdentity?: string;
};

export type SASLOptions = PasswordSASLOptions | OAuthBearerSASLOptions;

/** `oauthBearer`: Kafka's validator of unsecured tokens, or with `jwks`, its validator of signed ones. */
export type OAuthBearerValidatorOptions = OAuthBearerUnsecuredValidatorOptions | OAuthBearerSignedValidatorOptions;

/**
 * Kafka's validator of signed tokens (`OAuthBearerValidatorCallbackHandler`, its `sasl.oauthbearer.*` broker
 * configs): a JWT signed by one of the identity provider's keys, with an `exp` in the future, an `iat`, the
 * expected audience and issuer, and a subject claim.
 */
export type OAuthBearerSignedValidatorOptions = {
  /** The identity provider's public keys, as its JWKS endpoint serves them (`{ keys: [...] }`). Its RSA signing
   * keys check RS256, RS384, RS512, PS256, PS384 and PS512 signatures, its P-256 and P-384 keys ES256 and ES384;
   * its other keys are left out. */
  jwks: { keys: object[] };
  /** `sasl.oauthbearer.expected.audience`: a token's `aud` must name one of these. With none, a token must not
   * name an audience. */
  expectedAudience?: string[];
  /** `sasl.oauthbearer.expected.issuer`: a token's `iss` must be this. */
  expectedIssuer?: string;
  /** `sasl.oauthbearer.clock.skew.seconds`. Default 30. */
  clockSkewSeconds?: number;
  /** `sasl.oauthbearer.sub.claim.name`: the claim that names the principal. Default 'sub'. */
  subClaimName?: string;
  /** `sasl.oauthbearer.scope.claim.name`. Default 'scope'. */
  scopeClaimName?: string;
};

/**
 * Kafka's validator of unsecured tokens (`OAuthBearerUnsecuredValidatorCallbackHandler`, its
 * `unsecuredValidator*` options): a JWT with `"alg": "none"`, no signature, an `exp` in the future, an `iat`
 * (if any) not in the future, and a principal claim.
 */
export type OAuthBearerUnsecuredValidatorOptions = {
  /** The claim that names the principal. Default 'sub'. */
  principalClaimName?: string;
  /** The claim that holds the token's scope (a string is one scope; a list, several). Default 'scope'. */
  scopeClaimName?: string;
  /** Scopes every token must have, or it is refused with `insufficient_scope`. Default none. */
  requiredScope?: string[];
  /** How far the token's times may be from the broker's clock. Default 0. */
  allowableClockSkewMs?: number;
};

export interface KafkaConfig {
  /** This client's name: consumers report it to their groups, and their member ids start with it. Default 'franz'
   * (KafkaJS's is 'kafkajs'). */
  clientId?: string;
  /** The cluster's name; one IndexedDB database per cluster. Default 'default'. */
  cluster?: string;
  /** How many brokers, 1 to 9. Default 3. */
  brokers?: number;
  /** Where the cluster lives. Default 'indexeddb'; 'auto' falls back to memory where IndexedDB is missing. */
  storage?: StorageMode;
  /** 'relaxed' (default): acknowledged once the browser has the write. 'strict': once it is flushed to disk. */
  durability?: 'relaxed' | 'strict';
  /** Kafka's auto.create.topics.enable. Default false. */
  autoCreateTopics?: boolean;
  /**
   * For a cluster that lives in memory ('memory', or 'auto' without IndexedDB): what its logs may hold, in bytes
   * (each partition counted once). A write past it gets KAFKA_STORAGE_ERROR, as on a full disk, instead of the tab
   * running out of memory. Default 1 GiB; -1 for no limit.
   */
  memoryLimitBytes?: number;
  /** Seed for replica placement, so a run replays. */
  seed?: number;
  /** Each broker's rack (availability zone), in broker order, for follower fetching (KIP-392). */
  racks?: (string | null)[];
  /**
   * This client's credentials (SASL/PLAIN or SCRAM), checked against `users`, or on a cluster the CLI created
   * against its API keys (PLAIN; username = key, password = secret); or its OAUTHBEARER token provider. The
   * client is then `User:<username>` (or the token's principal) to the authorizer; without credentials,
   * `User:ANONYMOUS`.
   */
  sasl?: SASLOptions;
  /** The SASL users the cluster accepts, `{ name: password }` (Kafka's JAAS `user_<name>` entries for PLAIN,
   * and its SCRAM credentials), for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. */
  users?: Record<string, string>;
  /** Enables SASL/OAUTHBEARER, with Kafka's validator of unsecured tokens (`true`: its defaults). */
  oauthBearer?: boolean | OAuthBearerValidatorOptions;
  /** Kafka's `connections.max.reauth.ms` (KIP-368): how long a client's session through a port lasts (no longer
   * than its OAUTHBEARER token) before it must log in again; after it, requests fail with
   * SASL_AUTHENTICATION_FAILED until it does. `Kafka.connect` clients renew in time. Default 0: no end. */
  connectionsMaxReauthMs?: number;
  /**
   * Turns on Kafka's standard authorizer: every request must then be allowed by the cluster's ACLs
   * (`admin.createAcls`). `superUsers` (Kafka's `super.users`, e.g. `['User:admin']`) may do anything;
   * `allowEveryoneIfNoAclFound` (default false) opens resources that no ACL covers. Without it, everything is
   * allowed and the ACL calls fail with SECURITY_DISABLED, as on a Kafka broker without an authorizer.
   */
  authorizer?: boolean | { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean };
  /** KafkaJS's: the most detailed level logged. Default `logLevel.INFO`. */
  logLevel?: logLevel;
  /** KafkaJS's: called once with the level; what it returns gets every log entry (the console otherwise). */
  logCreator?: logCreator;
}

/** A log entry, as KafkaJS's `logCreator` gets it. */
export interface LogEntry {
  namespace: string;
  level: logLevel;
  label: string;
  log: { timestamp: string; logger: string; message: string; [field: string]: any };
}

export type logCreator = (level: logLevel) => (entry: LogEntry) => void;

/** KafkaJS's `kafka.logger()`. */
export interface Logger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(name: string): Logger;
  setLogLevel(level: logLevel): void;
}

/** `Kafka.connect(port, options)`: how a client talks to a broker host behind a MessagePort. */
export interface ConnectOptions {
  /** This client's name, as in `KafkaConfig`. Default 'franz'. */
  clientId?: string;
  /** How long a request may go unanswered before it fails with the retriable REQUEST_TIMED_OUT. Default 30000. */
  requestTimeout?: number;
  /** How often the client tells the host it is alive. Default 1000. */
  heartbeatInterval?: number;
  /** How long the host may be silent before requests fail with the retriable BROKER_NOT_AVAILABLE. Default 5000. */
  hostTimeout?: number;
  /** This client's credentials, checked by the host against its cluster's `users` (or API keys), or its
   * OAUTHBEARER token provider; the client is then `User:<username>` (or the token's principal) to the
   * authorizer, and `User:ANONYMOUS` without them. */
  sasl?: SASLOptions;
  /** KafkaJS's: where the host's sessions end (`connectionsMaxReauthMs`), how long before the end the client logs
   * in again (calling an `oauthBearerProvider` again). Default 10000. */
  reauthenticationThreshold?: number;
  logLevel?: logLevel;
  logCreator?: logCreator;
}

/** Keys, values and header values: a string (sent as UTF-8) or bytes. */
export type Bytes = string | Uint8Array;

export interface IHeaders {
  [key: string]: Bytes | Bytes[] | undefined;
}

export interface Message {
  key?: Bytes | null;
  value: Bytes | null;
  partition?: number;
  headers?: IHeaders;
  /** Milliseconds since the epoch, as a string or a number. */
  timestamp?: string | number;
}

/** KafkaJS's retry options: how a client rides out a broker host that cannot be reached for a while
 * (BROKER_NOT_AVAILABLE, REQUEST_TIMED_OUT). Waits grow from initialRetryTime by multiplier, up to maxRetryTime. */
export interface RetryOptions {
  /** Producer: tries after the first before a send rejects. Consumer: retries of a failing handler before
   * `consumer.crash` (an unreachable broker it retries for as long as it runs). Default 5. */
  retries?: number;
  /** Default 300 ms. */
  initialRetryTime?: number;
  /** Default 30000 ms (a running consumer waits at most 1000 ms). */
  maxRetryTime?: number;
  /** Default 2. */
  multiplier?: number;
  /** Each wait is drawn at random within ±factor of the exponential one (0 to 1). Default 0.2. */
  factor?: number;
  /** Consumer: asked, when a handler has failed `retries` times more in a row, whether the consumer restarts
   * (leaves its group, joins it again after initialRetryTime and reads on from the committed offsets), given the
   * crash's KafkaJSNumberOfRetriesExceeded (its `cause` is the handler's error). Default: it does. */
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

export interface ProducerConfig {
  retry?: RetryOptions;
  /** Makes the producer transactional: it sends inside `producer.transaction()`, and starting its first
   * transaction fences any older producer with the same id (PRODUCER_FENCED). Implies `idempotent`. */
  transactionalId?: string;
  /** Kafka's transaction.timeout.ms: a transaction open longer is aborted by its coordinator, and its producer
   * fenced. 1..900000, default 60000. */
  transactionTimeout?: number;
  /** Kafka's batch.size: most bytes of records per partition in one request. Default 16384. */
  batchSize?: number;
  /** Kafka's linger.ms: how long a send may wait for others to share its request. Default 0. */
  lingerMs?: number;
  /** Most Produce requests out at once; sends made meanwhile are batched. Default 5. */
  maxInFlightRequests?: number;
  /** How long topic metadata (partition counts) is cached, in ms. Default 300000. */
  metadataMaxAge?: number;
  /** KafkaJS's: lets the cluster create a topic a send names that does not exist, where the cluster was opened
   * with `autoCreateTopics` (Kafka's `auto.create.topics.enable`). Default true. */
  allowAutoTopicCreation?: boolean;
  /** The default for every send: -1 (all, the default), 0 or 1. A send's own `acks` wins. */
  acks?: number;
  /** Kafka's idempotent producer: a retried batch is never written twice. Needs acks -1 (the default). A
   * transactional producer always is. */
  idempotent?: boolean;
  /** How records without a key are spread: 'round-robin' (default, KafkaJS's) or 'sticky' (KIP-480). For franz's
   * own partitioners only (none given, or one of `Partitioners`). */
  nullKeyPartitioner?: 'round-robin' | 'sticky';
  /** KafkaJS's: called once; what it returns chooses each message's partition. `Partitioners.DefaultPartitioner`
   * (the default), `JavaCompatiblePartitioner` and `LegacyPartitioner` run inside franz; any other function is
   * called per message. */
  createPartitioner?: ICustomPartitioner;
}

/** KafkaJS's `alterPartitionReassignments` request: each partition's new replicas (broker ids, the first its
 * preferred leader), or `null` to cancel the move under way (franz's own; Kafka's protocol has it). */
export interface AlterPartitionReassignmentsRequest {
  topics: { topic: string; partitionAssignment: { partition: number; replicas: number[] | null }[] }[];
  timeout?: number;
}

/** KafkaJS's `listPartitionReassignments` answer: the partitions being moved. */
export interface ListPartitionReassignmentsResponse {
  topics: {
    topic: string;
    /** The same as `topic`: KafkaJS's own answer names it `name`. */
    name: string;
    partitions: { partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[];
  }[];
}

/** KafkaJS's `SeekEntry`: a partition and an offset (a string, as KafkaJS writes offsets; `'-1'`: the high
 * watermark, for `deleteTopicRecords`). */
export interface SeekEntry {
  partition: number;
  offset: string;
}

/** What a partitioner is given for each message, as in KafkaJS. */
export interface PartitionerArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  message: Message;
}

/** KafkaJS's `createPartitioner` type: returns the function that chooses each message's partition. */
export type ICustomPartitioner = () => (args: PartitionerArgs) => number;

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** -1 (all, the default), 0 or 1. */
  acks?: number;
  /** The codec of the send's batches: `CompressionTypes.GZIP`, `Snappy`, `LZ4` or `ZSTD` (all built in), or none. */
  compression?: CompressionTypes;
  /** How long, in ms, an acks=all send waits for the in-sync replicas before it fails with REQUEST_TIMED_OUT
   * (Kafka's Produce timeout_ms). Default 30000, KafkaJS's. */
  timeout?: number;
}

export interface ProducerBatch {
  acks?: number;
  compression?: CompressionTypes;
  /** As `ProducerRecord.timeout`. */
  timeout?: number;
  topicMessages: { topic: string; messages: Message[] }[];
}

export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset: string;
  logAppendTime: string;
  logStartOffset: string;
}

export interface IResourceConfigEntry {
  name: string;
  value: string;
}

export interface ITopicConfig {
  topic: string;
  /** -1 or absent: the cluster default (1). */
  numPartitions?: number;
  /** -1 or absent: the cluster default (1). */
  replicationFactor?: number;
  /** Replicas placed by hand: every partition from 0 on, each with its brokers (the first leads), all with as
   * many. With it, leave numPartitions and replicationFactor out. */
  replicaAssignment?: { partition: number; replicas: number[] }[];
  configEntries?: IResourceConfigEntry[];
}

export interface CreateTopicsOptions {
  validateOnly?: boolean;
  /** KafkaJS's; franz's topics have their leaders when createTopics resolves, so it always waits for them. */
  waitForLeaders?: boolean;
  /** KafkaJS's; not used (the cluster answers at once). */
  timeout?: number;
  topics: ITopicConfig[];
}

export interface PartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  /** franz: the high watermark consumers see, as a string offset. */
  highWatermark: string;
  /** franz: each replica's log end offset, in `replicas` order. */
  replicaLogEndOffsets: string[];
  /** franz: the high watermark each replica knows, in `replicas` order. */
  replicaHighWatermarks: string[];
}

export interface ITopicMetadata {
  name: string;
  partitions: PartitionMetadata[];
}

export interface ConfigEntry {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  readOnly: boolean;
  configSynonyms: unknown[];
}

export interface DescribeConfigResponse {
  resources: {
    configEntries: ConfigEntry[];
    errorCode: number;
    errorMessage: string | null;
    resourceName: string;
    resourceType: number;
  }[];
  throttleTime: number;
}

export interface ConsumerConfig {
  retry?: RetryOptions;
  /** The consumer group. Without one, a standalone consumer reads every partition and commits nothing. */
  groupId?: string;
  /** Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Kafka's fetch.min.bytes: a fetch waits (up to its wait) until this many bytes are there. Default 1. */
  minBytes?: number;
  /** Kafka's fetch.max.bytes: at most this many bytes in one fetch over all its partitions, except that its first
   * batch always comes (KIP-74). Default 10 MiB. */
  maxBytes?: number;
  /** How long a fetch waits for new data. Default 5000. */
  maxWaitTimeInMs?: number;
  /** A member not heard from for this long is removed from the group, and its partitions move. Default 30000. */
  sessionTimeout?: number;
  /** How long a rebalance waits for every member to rejoin. Default 60000. */
  rebalanceTimeout?: number;
  /** How often the member heartbeats (and learns of a rebalance). Default 3000. */
  heartbeatInterval?: number;
  /** Assignors, preferred first: franz's by name, and KafkaJS-style assigner functions (custom assigners).
   * Default ['roundrobin'] (KafkaJS's). The group uses the first that every member offers. */
  partitionAssigners?: ('roundrobin' | 'range' | 'cooperative-sticky' | PartitionAssigner)[];
  /** Kafka's client.rack: an in-sync replica in this rack serves the fetches (KIP-392). */
  rackId?: string;
  /** Kafka's check.crcs: compute every fetched batch's CRC-32C again. Default false, as KafkaJS (which never
   * checks them): the broker checked each batch's CRC when it arrived and checks it whenever it reads the batch
   * back from IndexedDB, and from there to the consumer the bytes only move through memory. Magic, lengths and
   * every record's framing are checked either way. */
  checkCrcs?: boolean;
  /** KafkaJS's: read records of open and aborted transactions too (Kafka's isolation.level=read_uncommitted).
   * Default false: only committed records, up to the last stable offset (read_committed). */
  readUncommitted?: boolean;
  /** KafkaJS's: subscribing to a topic by name lets the cluster create it, where the cluster was opened with
   * `autoCreateTopics`. Default true. */
  allowAutoTopicCreation?: boolean;
  /** KafkaJS's; not used: a running consumer takes its partitions' metadata afresh every second. */
  metadataMaxAge?: number;
  /** KafkaJS's; not used: a consumer's fetches go one at a time. */
  maxInFlightRequests?: number;
}

/** `transaction.sendOffsets`: a consumer group's offsets (each the next record to read), committed with the
 * transaction. */
export interface TxnOffsetCommit {
  consumerGroupId: string;
  topics: { topic: string; partitions: { partition: number; offset: string; metadata?: string | null }[] }[];
}

export interface ConsumerSubscribeTopics {
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
}

export interface ConsumerSubscribeTopic {
  topic: string | RegExp;
  fromBeginning?: boolean;
}

/** A consumed key, value or header value. Its `toString()` decodes it as a Node Buffer's does (where KafkaJS gives
 * Buffers): UTF-8 unless another encoding is named. */
export interface MessageBytes extends Uint8Array {
  toString(encoding?: 'utf8' | 'utf-8' | 'hex' | 'base64' | 'latin1' | 'binary'): string;
}

export interface KafkaMessage {
  key: MessageBytes | null;
  value: MessageBytes | null;
  timestamp: string;
  attributes: number;
  offset: string;
  headers: { [key: string]: MessageBytes | null | (MessageBytes | null)[] };
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  /** Pauses this partition; returns the function that resumes it. */
  pause(): () => void;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  /** The high watermark's distance from the batch's last offset. */
  offsetLag(): string;
  /** The high watermark's distance from the batch's first offset. */
  offsetLagLow(): string;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[];
}

export interface OffsetsByTopicPartition {
  topics: TopicOffsets[];
}

export interface EachBatchPayload {
  batch: Batch;
  /** Marks the records up to `offset` handled: the consumer reads on after it, and commits it. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** Pauses this partition; returns the function that resumes it. */
  pause(): () => void;
  /** Commits `offsets` if given; otherwise what was resolved, if autoCommitInterval or autoCommitThreshold
   * says it is time. */
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>;
  /** What was resolved and not committed yet (`offset`: the next record to read). */
  uncommittedOffsets(): OffsetsByTopicPartition;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once `seek` has moved this partition: the rest of the batch is not to be handled. */
  isStale(): boolean;
}

export interface ConsumerRunConfig {
  autoCommit?: boolean;
  autoCommitInterval?: number | null;
  autoCommitThreshold?: number | null;
  /** How many partitions' records are handled at once (each partition's in order). Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Whether a batch counts as handled, all of it, once eachBatch returns. Default true; with false, only what
   * the handler passed to resolveOffset does, and the rest is read again. */
  eachBatchAutoResolve?: boolean;
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
}

/** KafkaJS's instrumentation event, as `on` listeners get it. */
export interface InstrumentationEvent<T> {
  id: number;
  type: string;
  timestamp: number;
  payload: T;
}

export interface ConsumerEvents {
  HEARTBEAT: 'consumer.heartbeat';
  COMMIT_OFFSETS: 'consumer.commit_offsets';
  GROUP_JOIN: 'consumer.group_join';
  FETCH_START: 'consumer.fetch_start';
  FETCH: 'consumer.fetch';
  START_BATCH_PROCESS: 'consumer.start_batch_process';
  END_BATCH_PROCESS: 'consumer.end_batch_process';
  CONNECT: 'consumer.connect';
  DISCONNECT: 'consumer.disconnect';
  STOP: 'consumer.stop';
  CRASH: 'consumer.crash';
  REBALANCING: 'consumer.rebalancing';
  /** Never emitted: a member is only ever given partitions of the topics it subscribed to. */
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics';
  REQUEST: 'consumer.network.request';
  REQUEST_TIMEOUT: 'consumer.network.request_timeout';
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size';
}
export type ConsumerEventName = ConsumerEvents[keyof ConsumerEvents];

export interface ProducerEvents {
  CONNECT: 'producer.connect';
  DISCONNECT: 'producer.disconnect';
  REQUEST: 'producer.network.request';
  REQUEST_TIMEOUT: 'producer.network.request_timeout';
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size';
}
export type ProducerEventName = ProducerEvents[keyof ProducerEvents];

export interface AdminEvents {
  CONNECT: 'admin.connect';
  DISCONNECT: 'admin.disconnect';
  REQUEST: 'admin.network.request';
  REQUEST_TIMEOUT: 'admin.network.request_timeout';
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size';
}
export type AdminEventName = AdminEvents[keyof AdminEvents];

/** The payload of a `network.request` event: one request answered. `broker` is a franz-local name for the
 * cluster; `size` (the answer's bytes) is given through a port only; franz has no API versions. A
 * `network.request_timeout` event has the same fields but `duration` and `size`. */
export interface NetworkRequestPayload {
  broker: string;
  clientId: string;
  correlationId: number;
  apiKey: number;
  apiName: string;
  createdAt: number;
  sentAt: number;
  pendingDuration: number;
  duration?: number;
  size?: number;
}

/** The payload of a producer's `network.request_queue_size` event: 1 while records wait for a place among the
 * `maxInFlightRequests`, 0 once they have one. */
export interface NetworkQueueSizePayload {
  broker: string;
  clientId: string;
  queueSize: number;
}

export interface TopicPartitionOffsetAndMetadata {
  topic: string;
  partition: number;
  offset: string;
  metadata?: string | null;
}

export interface GroupDescription {
  groupId: string;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    /** The partitions the group gave this member (KafkaJS gives the encoded bytes; franz decodes them). */
    memberAssignment: { topic: string; partition: number }[];
  }[];
  protocol: string;
  protocolType: string;
  /** franz (as Java's ConsumerGroupDescription): the broker leading the group's __consumer_offsets partition. */
  coordinator: { nodeId: number } | null;
  state: string;
  errorCode: number;
}

/** An ACL's access control entry, as KafkaJS has it. */
export interface Acl {
  /** `Type:name`, e.g. 'User:alice'; 'User:*' for every user. */
  principal: string;
  /** The client's host, or '*'. franz's clients all come from '127.0.0.1'. */
  host: string;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

/** An ACL's resource pattern, as KafkaJS has it. */
export interface AclResource {
  resourceType: AclResourceTypes;
  resourceName: string;
  resourcePatternType: ResourcePatternTypes;
}

export type AclEntry = Acl & AclResource;

export interface DescribeAclResponse {
  throttleTime: number;
  errorCode: number;
  errorMessage?: string | null;
  resources: Array<AclResource & { acls: Acl[] }>;
}

/** Which ACLs `describeAcls` lists and `deleteAcls` removes: ANY (and a missing name, principal or host) match
 * any value; `resourcePatternType: MATCH` with a name matches every ACL that applies to that resource. */
export interface AclFilter {
  resourceType: AclResourceTypes;
  resourceName?: string | null;
  resourcePatternType: ResourcePatternTypes;
  principal?: string | null;
  host?: string | null;
  operation: AclOperationTypes;
  permissionType: AclPermissionTypes;
}

export interface MatchingAcl extends AclEntry {
  errorCode: number;
  errorMessage?: string | null;
}

export interface DeleteAclResponse {
  throttleTime: number;
  filterResponses: Array<{ errorCode: number; errorMessage?: string | null; matchingAcls: MatchingAcl[] }>;
}

/** Kafka's transaction states, as `admin.listTransactions` and `describeTransactions` name them. */
export type TransactionState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

/** `admin.describeTransactions`: Java's `TransactionDescription`. */
export interface TransactionDescription {
  transactionalId: string;
  state: TransactionState;
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** When the transaction under way began; null when none is. */
  transactionStartTimeMs: number | null;
  topicPartitions: { topic: string; partition: number }[];
}

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** `admin.alterUserScramCredentials`: Java's `UserScramCredentialUpsertion` and `UserScramCredentialDeletion`.
 * A password is salted in the calling context; only the salted form reaches the broker. */
export interface ScramCredentialAlterations {
  /** `iterations`: 4096 (the default) to 16384, as Kafka takes. */
  upsertions?: { user: string; mechanism: ScramMechanismName; password: string; iterations?: number }[];
  deletions?: { user: string; mechanism: ScramMechanismName }[];
}

/** `admin.describeUserScramCredentials`: Java's `UserScramCredentialsDescription`. */
export interface UserScramCredentialsDescription {
  user: string;
  credentialInfos: { mechanism: ScramMechanismName; iterations: number }[];
}

/** Every error franz rejects with: KafkaJS's fields. */
export interface FranzError extends Error {
  /** Kafka's error name, e.g. 'UNKNOWN_TOPIC_OR_PARTITION'. */
  type: string;
  /** Kafka's error code (-1 for client-side errors). */
  code: number;
  retriable: boolean;
}

// Optional arguments, as KafkaJS has them (merged into the generated class declarations).
export interface Kafka {
  producer(config?: ProducerConfig): Producer;
}
export interface Admin {
  fetchTopicMetadata(options?: { topics?: string[] }): Promise<{ topics: ITopicMetadata[] }>;
}

/** `cli.view()`: the cluster in use, as the tutorial's live view draws it. */
export interface ClusterView {
  cluster: { id: string; name: string; environment: string };
  brokers: { id: number; alive: boolean; rack: string | null; leaders: number }[];
  topics: {
    name: string;
    partitions: {
      partition: number;
      leader: number | null;
      leaderEpoch: number;
      replicas: number[];
      /** Per replica, in `replicas` order. */
      replicaStates: ('leader' | 'follower' | 'out' | 'offline')[];
      isr: number[];
      offline: number[];
      logStartOffset: number;
      highWatermark: number;
      /** Per replica, in `replicas` order. */
      logEndOffsets: number[];
      highWatermarks: number[];
      last: { offset: number; key: string | null; value: string | null }[];
    }[];
  }[];
  groups: {
    group: string;
    state: string;
    members: { id: string; clientId: string; partitions: [string, number][] }[];
    lag: { topic: string; partition: number; committed: number | null; logEnd: number; lag: number }[];
  }[];
}

/** KafkaJS's custom partition assigner: called once, as the consumer is made. */
export type PartitionAssigner = (config: { cluster: AssignerCluster; groupId: string; logger: Logger }) => Assigner;

/** What a custom assigner is. The group knows it by `name`; `protocol` gives this member's metadata for each
 * JoinGroup (`AssignerProtocol.MemberMetadata`); `assign`, run on the group's leader, gives each member's
 * partitions (`AssignerProtocol.MemberAssignment`). */
export type Assigner = {
  name: string;
  version: number;
  assign(group: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]>;
  protocol(subscription: { topics: string[] }): GroupState;
};

export type GroupMember = { memberId: string; memberMetadata: Uint8Array };
export type GroupMemberAssignment = { memberId: string; memberAssignment: Uint8Array };
export type GroupState = { name: string; metadata: Uint8Array };
export type Assignment = { [topic: string]: number[] };

/** The part of KafkaJS's `Cluster` a custom assigner reads. The leader refreshes its metadata before each
 * `assign`. */
export interface AssignerCluster {
  isConnected(): boolean;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  metadata(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>; topicMetadata: Array<{ topicErrorCode: number; topic: string; partitionMetadata: PartitionMetadata[] }> }>;
  getNodeIds(): number[];
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findLeaderForPartitions(topic: string, partitions: number[]): { [leader: string]: number[] };
}

export interface ISerializer<T> {
  encode(value: T): Uint8Array;
  decode(buffer: Uint8Array): T | null;
}

export type MemberMetadata = { version: number; topics: string[]; userData?: Uint8Array | null };
export type MemberAssignment = { version: number; assignment: Assignment; userData?: Uint8Array | null };
