// KafkaJS's error classes, which franz's errors are instances of, and its codec registry (js/pack.js defines
// them). franz adds Kafka's
// `type` and `code` to its errors where KafkaJS has none: `KafkaJSNonRetriableError` (franz's name for the misuse),
// `KafkaJSSASLAuthenticationError`, and the aggregates below (the lead failure's).

export interface KafkaJSErrorMetadata {
  retriable?: boolean;
  cause?: Error;
}

/** Every franz error except a `TypeError` for a wrong argument. */
export class KafkaJSError extends Error {
  readonly retriable: boolean;
  readonly helpUrl?: string;
  readonly cause?: Error;
  /** franz's errors: Kafka's error name (`INVALID_TOPIC_EXCEPTION`), or franz's for a client misused. */
  readonly type?: string;
  readonly code?: number;
  constructor(e: Error | string, metadata?: KafkaJSErrorMetadata);
}

export class KafkaJSNonRetriableError extends KafkaJSError {
  constructor(e: Error | string, metadata?: { cause?: Error });
}

/** A Kafka error the broker answered with. */
export class KafkaJSProtocolError extends KafkaJSError {
  readonly type: string;
  readonly code: number;
  constructor(e: Error | string | { message: string; type: string; code: number; retriable: boolean });
}

export class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  readonly topic?: string;
  readonly partition?: number;
  constructor(e: Error | string, metadata?: { topic?: string; partition?: number });
}

export class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  readonly memberId?: string;
  constructor(e: Error | string, metadata?: { memberId?: string });
}

/** A consumer handler's error after `retry.retries` retries; `cause` is the handler's error. */
export class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  readonly stack: string;
  readonly retryCount: number;
  readonly retryTime: number;
  constructor(e: Error | string, metadata?: { retryCount?: number; retryTime?: number });
}

export class KafkaJSConnectionError extends KafkaJSError {
  readonly broker?: string;
  constructor(e: Error | string, metadata?: { broker?: string; code?: string });
}

export class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  readonly host?: string;
  readonly port?: number;
  constructor(e: Error | string, metadata?: { host?: string; port?: number });
}

export class KafkaJSRequestTimeoutError extends KafkaJSError {
  readonly broker?: string;
  readonly correlationId?: number;
  readonly createdAt?: number;
  readonly sentAt?: number;
  readonly pendingDuration?: number;
  constructor(
    e: Error | string,
    metadata?: { broker?: string; correlationId?: number; createdAt?: number; sentAt?: number; pendingDuration?: number },
  );
}

export class KafkaJSMetadataNotLoaded extends KafkaJSError {}

export class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  readonly topic?: string;
  constructor(e: Error | string, metadata?: { topic?: string });
}

export class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  readonly topic?: string;
  readonly unknownPartitions?: number[];
  constructor(e: Error | string, metadata?: { topic?: string; unknownPartitions?: number[] });
}

export class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  readonly apiKey?: number;
  readonly apiName?: string;
  constructor(e: Error | string, metadata?: { apiKey?: number; apiName?: string });
}

export class KafkaJSBrokerNotFound extends KafkaJSError {}
export class KafkaJSPartialMessageError extends KafkaJSNonRetriableError {}
/** A refused login (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM). */
export class KafkaJSSASLAuthenticationError extends KafkaJSNonRetriableError {}
export class KafkaJSGroupCoordinatorNotFound extends KafkaJSNonRetriableError {}
export class KafkaJSNotImplemented extends KafkaJSNonRetriableError {}
export class KafkaJSTimeout extends KafkaJSNonRetriableError {}
export class KafkaJSLockTimeout extends KafkaJSTimeout {}
export class KafkaJSUnsupportedMagicByteInMessageSet extends KafkaJSNonRetriableError {}
export class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {}
export class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {}
export class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor(e: Error | string);
}
export class KafkaJSFetcherRebalanceError extends Error {}

/** One group's failure in deleteGroups. */
export interface KafkaJSDeleteGroupsErrorGroups {
  groupId: string;
  errorCode: number;
  error: KafkaJSProtocolError;
}

/** deleteGroups' rejection: the groups that could not be deleted (the others were). */
export class KafkaJSDeleteGroupsError extends KafkaJSError {
  readonly groups: KafkaJSDeleteGroupsErrorGroups[];
  constructor(e: Error | string, groups?: KafkaJSDeleteGroupsErrorGroups[]);
}

/** One partition's failure in deleteTopicRecords: the offset asked for, as a string. */
export interface KafkaJSDeleteTopicRecordsErrorPartition {
  partition: number;
  offset: string;
  error: KafkaJSProtocolError;
}

/** deleteTopicRecords' rejection: retriable when every partition's error is. */
export class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  readonly partitions: KafkaJSDeleteTopicRecordsErrorPartition[];
  constructor(metadata: { topic?: string; partitions: KafkaJSDeleteTopicRecordsErrorPartition[] });
}

/** One topic's failure in createTopics. */
export class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  readonly topic: string;
  constructor(e: Error | string, topic: string);
}

export class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  readonly topic?: string;
  readonly partition?: number;
  constructor(e: Error | string, topic?: string, partition?: number);
}

/** createTopics' rejection: `errors` holds one `KafkaJSCreateTopicError` per topic not created. */
export class KafkaJSAggregateError extends Error {
  readonly errors: (Error | string)[];
  readonly type?: string;
  readonly code?: number;
  readonly retriable?: boolean;
  constructor(message: Error | string, errors: (Error | string)[]);
}

export class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor();
}

/** KafkaJS's registry of codec plugins, by `CompressionTypes` value. franz compresses with its own built-in
 * codecs and does not use what is registered here; it exists so that KafkaJS code registering plugins runs. */
export const CompressionCodecs: { [type: number]: () => unknown };
