//! The one error type of the core.
//!
//! Every variant is a Kafka protocol error: it carries Kafka's name (`INVALID_TOPIC_EXCEPTION`), its numeric code
//! from the protocol's error table, and whether Kafka marks it retriable. The JS shell maps these three onto a JS
//! `Error` (`type`, `code`, `retriable`), as KafkaJS does. The detail string says what went wrong in plain words.

/// Declares the error enum from one table, so that name, code and retriability cannot drift apart.
macro_rules! kafka_errors {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $retriable:literal; )*) => {
        /// A Kafka error with a human-readable detail.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            $( $(#[$doc])* #[error("{}: {}", $name, .0)] $variant(String), )*
        }

        impl Error {
            /// Kafka's name for this error, e.g. `OFFSET_OUT_OF_RANGE`.
            pub fn name(&self) -> &'static str {
                match self { $( Error::$variant(_) => $name, )* }
            }
            /// Kafka's numeric error code.
            pub fn code(&self) -> i16 {
                match self { $( Error::$variant(_) => $code, )* }
            }
            /// Whether a client may retry the same request and expect it to succeed later.
            pub fn retriable(&self) -> bool {
                match self { $( Error::$variant(_) => $retriable, )* }
            }
            /// The plain-words detail, without the Kafka name.
            pub fn detail(&self) -> &str {
                match self { $( Error::$variant(d) => d, )* }
            }
            /// The error Kafka calls `name`, with `detail`: how an error crosses a wire and comes back. An unknown
            /// name becomes UNKNOWN_SERVER_ERROR, keeping the name in the detail.
            pub fn from_name(name: &str, detail: String) -> Error {
                match name {
                    $( $name => Error::$variant(detail), )*
                    _ => Error::UnknownServerError(format!("{name}: {detail}")),
                }
            }
            /// Every error name with its code, for documentation and exhaustive tests.
            pub const ALL: &'static [(&'static str, i16)] = &[ $( ($name, $code), )* ];
        }
    };
}

kafka_errors! {
    UnknownServerError = -1, "UNKNOWN_SERVER_ERROR", false;
    OffsetOutOfRange = 1, "OFFSET_OUT_OF_RANGE", false;
    /// A batch failed its CRC, has a bad magic byte, or is truncated or malformed.
    CorruptMessage = 2, "CORRUPT_MESSAGE", true;
    UnknownTopicOrPartition = 3, "UNKNOWN_TOPIC_OR_PARTITION", true;
    InvalidFetchSize = 4, "INVALID_FETCH_SIZE", false;
    LeaderNotAvailable = 5, "LEADER_NOT_AVAILABLE", true;
    NotLeaderOrFollower = 6, "NOT_LEADER_OR_FOLLOWER", true;
    RequestTimedOut = 7, "REQUEST_TIMED_OUT", true;
    /// Retriable here, unlike in Java Kafka's table: a browser's broker host that went away is restarted on the
    /// same storage, so trying again later is exactly right (as KafkaJS's retriable KafkaJSConnectionError).
    BrokerNotAvailable = 8, "BROKER_NOT_AVAILABLE", true;
    ReplicaNotAvailable = 9, "REPLICA_NOT_AVAILABLE", true;
    /// One batch is larger than the topic's `max.message.bytes`.
    MessageTooLarge = 10, "MESSAGE_TOO_LARGE", false;
    OffsetMetadataTooLarge = 12, "OFFSET_METADATA_TOO_LARGE", false;
    /// The leader of the group's `__consumer_offsets` partition (its coordinator) is not available.
    CoordinatorNotAvailable = 15, "COORDINATOR_NOT_AVAILABLE", true;
    InvalidTopicException = 17, "INVALID_TOPIC_EXCEPTION", false;
    /// The record set of one request is larger than the topic's `segment.bytes`.
    RecordListTooLarge = 18, "RECORD_LIST_TOO_LARGE", false;
    NotEnoughReplicas = 19, "NOT_ENOUGH_REPLICAS", true;
    NotEnoughReplicasAfterAppend = 20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true;
    InvalidRequiredAcks = 21, "INVALID_REQUIRED_ACKS", false;
    IllegalGeneration = 22, "ILLEGAL_GENERATION", false;
    /// The members of a group name no partition assignor in common.
    InconsistentGroupProtocol = 23, "INCONSISTENT_GROUP_PROTOCOL", false;
    InvalidGroupId = 24, "INVALID_GROUP_ID", false;
    UnknownMemberId = 25, "UNKNOWN_MEMBER_ID", false;
    InvalidSessionTimeout = 26, "INVALID_SESSION_TIMEOUT", false;
    RebalanceInProgress = 27, "REBALANCE_IN_PROGRESS", false;
    /// The client's principal may not do this to the topic (its ACLs).
    TopicAuthorizationFailed = 29, "TOPIC_AUTHORIZATION_FAILED", false;
    GroupAuthorizationFailed = 30, "GROUP_AUTHORIZATION_FAILED", false;
    ClusterAuthorizationFailed = 31, "CLUSTER_AUTHORIZATION_FAILED", false;
    InvalidTimestamp = 32, "INVALID_TIMESTAMP", false;
    /// A SaslHandshake naming a mechanism the cluster has not enabled.
    UnsupportedSaslMechanism = 33, "UNSUPPORTED_SASL_MECHANISM", false;
    /// A SASL message the connection's exchange does not expect now.
    IllegalSaslState = 34, "ILLEGAL_SASL_STATE", false;
    /// A request for an API or a version franz does not have.
    UnsupportedVersion = 35, "UNSUPPORTED_VERSION", false;
    TopicAlreadyExists = 36, "TOPIC_ALREADY_EXISTS", false;
    InvalidPartitions = 37, "INVALID_PARTITIONS", false;
    InvalidReplicationFactor = 38, "INVALID_REPLICATION_FACTOR", false;
    InvalidConfig = 40, "INVALID_CONFIG", false;
    InvalidRequest = 42, "INVALID_REQUEST", false;
    /// The topic's configuration forbids the request: DeleteRecords on a topic whose cleanup.policy is only
    /// compact.
    PolicyViolation = 44, "POLICY_VIOLATION", false;
    OutOfOrderSequenceNumber = 45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false;
    InvalidProducerEpoch = 47, "INVALID_PRODUCER_EPOCH", false;
    /// A transactional request the transaction's state does not allow (EndTxn with nothing begun, a send to a
    /// partition not added to the transaction).
    InvalidTxnState = 48, "INVALID_TXN_STATE", false;
    /// A transactional id used with a producer id its coordinator did not give it.
    InvalidProducerIdMapping = 49, "INVALID_PRODUCER_ID_MAPPING", false;
    /// A `transactionTimeout` outside 1 ms..transaction.max.timeout.ms.
    InvalidTransactionTimeout = 50, "INVALID_TRANSACTION_TIMEOUT", false;
    /// The transaction's previous commit or abort is still being written: try again shortly.
    ConcurrentTransactions = 51, "CONCURRENT_TRANSACTIONS", true;
    /// Another producer with the same transactional id has started since (or the transaction timed out): this
    /// one may do nothing more.
    ProducerFenced = 90, "PRODUCER_FENCED", false;
    TransactionalIdAuthorizationFailed = 53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false;
    /// An ACL request to a cluster that has no authorizer.
    SecurityDisabled = 54, "SECURITY_DISABLED", false;
    KafkaStorageError = 56, "KAFKA_STORAGE_ERROR", true;
    SaslAuthenticationFailed = 58, "SASL_AUTHENTICATION_FAILED", false;
    /// DeleteGroups on a group that still has members.
    NonEmptyGroup = 68, "NON_EMPTY_GROUP", false;
    GroupIdNotFound = 69, "GROUP_ID_NOT_FOUND", false;
    /// The request's leader epoch is older than the replica's: the sender missed a leader change.
    FencedLeaderEpoch = 74, "FENCED_LEADER_EPOCH", true;
    /// The request's leader epoch is newer than the replica's: the replica has not heard of it yet.
    UnknownLeaderEpoch = 75, "UNKNOWN_LEADER_EPOCH", true;
    /// A replica assignment that names a broker twice, an unknown broker, or none.
    InvalidReplicaAssignment = 39, "INVALID_REPLICA_ASSIGNMENT", false;
    /// A cancelled reassignment of a partition that is not being reassigned.
    NoReassignmentInProgress = 85, "NO_REASSIGNMENT_IN_PROGRESS", false;
    /// A SCRAM credential to describe or delete that is not there.
    ResourceNotFound = 91, "RESOURCE_NOT_FOUND", false;
    /// A user named twice where once is allowed (AlterUserScramCredentials, DescribeUserScramCredentials).
    DuplicateResource = 92, "DUPLICATE_RESOURCE", false;
    /// A SCRAM credential Kafka would not store: too few or too many iterations, no user name, no salt.
    UnacceptableCredential = 93, "UNACCEPTABLE_CREDENTIAL", false;
    /// DescribeTransactions of a transactional id no producer has used.
    TransactionalIdNotFound = 105, "TRANSACTIONAL_ID_NOT_FOUND", false;
    /// A record that a topic's rules forbid, such as a null key on a compacted topic.
    InvalidRecord = 87, "INVALID_RECORD", false;
    /// franz's own: the cluster is open in another tab. Kafka has no such error (a broker owns its log dir by a
    /// file lock), so franz uses a code outside Kafka's table.
    ClusterLocked = -100, "CLUSTER_LOCKED", true;
}

impl Error {
    /// Whether a login was refused (SASL): the client is not in, whatever it asks.
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            Error::SaslAuthenticationFailed(_) | Error::UnsupportedSaslMechanism(_) | Error::IllegalSaslState(_)
        )
    }

    /// Whether the cluster's ACLs refused the request: retrying cannot help until they change.
    pub fn is_authorization(&self) -> bool {
        matches!(
            self,
            Error::TopicAuthorizationFailed(_)
                | Error::GroupAuthorizationFailed(_)
                | Error::ClusterAuthorizationFailed(_)
                | Error::TransactionalIdAuthorizationFailed(_)
        )
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_kafka_name_code_and_detail() {
        let e = Error::OffsetOutOfRange("offset 9 is past the log end 5".into());
        assert_eq!(e.name(), "OFFSET_OUT_OF_RANGE");
        assert_eq!(e.code(), 1);
        assert!(!e.retriable());
        assert_eq!(e.to_string(), "OFFSET_OUT_OF_RANGE: offset 9 is past the log end 5");
        assert_eq!(e.detail(), "offset 9 is past the log end 5");
    }

    #[test]
    fn a_refused_login_is_authentication_and_not_authorization() {
        let refused = Error::SaslAuthenticationFailed("wrong password".into());
        assert!(refused.is_authentication() && !refused.is_authorization());
        let denied = Error::TopicAuthorizationFailed("User:x may not WRITE".into());
        assert!(!denied.is_authentication() && denied.is_authorization());
    }

    #[test]
    fn names_map_back_to_their_errors() {
        let e = Error::NotEnoughReplicas("isr 1 < min.insync.replicas 2".into());
        assert_eq!(Error::from_name(e.name(), e.detail().to_owned()), e);
        let unknown = Error::from_name("SOMETHING_NEW", "x".into());
        assert_eq!((unknown.name(), unknown.detail()), ("UNKNOWN_SERVER_ERROR", "SOMETHING_NEW: x"));
    }

    #[test]
    fn codes_match_kafkas_protocol_table() {
        // Spot checks against org.apache.kafka.common.protocol.Errors.
        let expect = [
            ("CORRUPT_MESSAGE", 2),
            ("UNKNOWN_TOPIC_OR_PARTITION", 3),
            ("INVALID_TOPIC_EXCEPTION", 17),
            ("RECORD_LIST_TOO_LARGE", 18),
            ("NOT_ENOUGH_REPLICAS", 19),
            ("TOPIC_ALREADY_EXISTS", 36),
            ("INVALID_REPLICATION_FACTOR", 38),
            ("INVALID_CONFIG", 40),
            ("UNSUPPORTED_VERSION", 35),
            ("UNKNOWN_LEADER_EPOCH", 75),
        ];
        for (name, code) in expect {
            assert_eq!(Error::ALL.iter().find(|(n, _)| *n == name).map(|(_, c)| *c), Some(code), "{name}");
        }
        let mut codes: Vec<i16> = Error::ALL.iter().map(|(_, c)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Error::ALL.len(), "codes are unique");
    }
}
