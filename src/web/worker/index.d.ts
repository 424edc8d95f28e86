// Types of franz/worker: a broker host in a dedicated worker, and ready-made producer/consumer workers.
import type { Kafka, KafkaConfig, ConnectOptions, PasswordSASLOptions } from '../franz.js';

/** A worker script's credentials. A function cannot be posted to a worker, so OAUTHBEARER takes the token
 * itself, which the worker's `oauthBearerProvider` then gives. */
export type WorkerSASLOptions =
  | PasswordSASLOptions
  | { mechanism: 'oauthbearer'; token: string; authorizationIdentity?: string };

export interface ClusterChange {
  type: string;
  topic: string;
  changes: { type: string; topic: string }[];
}

export interface HostStats {
  storage: 'indexeddb' | 'memory';
  database: string | null;
  batchesInMemory: number;
  bytesInMemory: number;
  memoryLimitBytes: number | null;
  clients: number;
}

export declare class BrokerHost {
  static start(config?: KafkaConfig, options?: { clientTimeout?: number }): Promise<BrokerHost>;
  port(onRestart?: (port: MessagePort) => void): MessagePort;
  unfollow(onRestart: (port: MessagePort) => void): void;
  connect(options?: ConnectOptions): Promise<Kafka>;
  on(type: 'cluster.change', listener: (event: ClusterChange) => void): () => void;
  on(type: 'warning', listener: (event: { message: string; cluster: string }) => void): () => void;
  stats(): Promise<HostStats>;
  terminate(): void;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `acked`: records acknowledged (with `transactionalId`, committed); `aborted`: records of aborted transactions. */
export interface ProducerProgress { type: 'progress'; acked: number; errors: number; aborted: number }
export interface ProducerDone { type: 'done'; acked: number; aborted: number }
export interface Consumed { type: 'consumed'; partition: number; count: number; lag: number; records?: [number, number, string | null][] }
export interface ConsumerStopped { type: 'stopped'; count: number }

export interface ClientWorker<Report, End> {
  on(type: string, listener: (report: Report) => void): () => void;
  readonly done: Promise<End>;
  stop(): Promise<End>;
  terminate(): void;
}

export interface ProducerWorkerOptions {
  topic: string;
  /** The worker's `clientId` (its Kafka object's). Default 'franz'. */
  clientId?: string;
  /** The worker's credentials, as `Kafka.connect` takes them: who it is to the cluster's ACLs. */
  sasl?: WorkerSASLOptions;
  /** Records a second; 0 sends as fast as acknowledgements come back. Default 10. */
  rate?: number;
  count?: number;
  /** Key pattern, {n} the record number modulo keySpace; null for no key. Default 'key-{n}'. */
  key?: string | null;
  keySpace?: number;
  /** Value pattern, {n} the record number. Default 'message {n}'. */
  value?: string;
  acks?: number;
  idempotent?: boolean;
  /** Most records in one send. Default 100. */
  batchSize?: number;
  /** A `CompressionTypes` value for every send: 1 GZIP, 2 Snappy, 3 LZ4, 4 ZSTD. Default 0 (none). */
  compression?: number;
  /** Makes each send a transaction of its own under this id, committed; only committed records count to `count`. */
  transactionalId?: string;
  /** With `transactionalId`: aborts every n-th transaction instead (what read_committed consumers skip). */
  abortEvery?: number;
}

export interface ConsumerWorkerOptions {
  topic: string;
  /** Omit for a standalone consumer that reads every partition. */
  groupId?: string;
  /** The worker's `clientId`: its group member id starts with it. Default 'franz'. */
  clientId?: string;
  /** The worker's credentials, as `Kafka.connect` takes them: who it is to the cluster's ACLs. */
  sasl?: WorkerSASLOptions;
  /** Read from an in-sync replica in this rack (KIP-392). */
  rackId?: string;
  fromBeginning?: boolean;
  /** Report every record ([partition, offset, value]), not only counts. */
  echo?: boolean;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  partitionAssigners?: ('roundrobin' | 'range' | 'cooperative-sticky')[];
  /** Reads aborted and open transactions' records too (read_uncommitted). Default false: read_committed. */
  readUncommitted?: boolean;
}

export declare function spawnProducer(host: BrokerHost, options: ProducerWorkerOptions): ClientWorker<ProducerProgress, ProducerDone>;
export declare function spawnConsumer(host: BrokerHost, options: ConsumerWorkerOptions): ClientWorker<Consumed, ConsumerStopped>;
