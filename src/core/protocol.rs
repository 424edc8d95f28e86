//! The broker's requests and responses, shaped after Kafka's APIs, and the one function that serves them.
//!
//! Every client speaks this, wherever the broker is: in the same page, or in a broker-host worker behind a
//! `MessagePort`. A shell turns envelopes into [`Request`]s, calls [`Cluster::handle`], persists when the request
//! [`mutates`](Request::mutates) the cluster, and sends the [`Response`] back. Kafka answers several topics in one
//! request with an error per topic; so do CreateTopics and DeleteTopics here.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::core::acl::sasl::{SaslSession, SaslToken};
use crate::core::acl::scram_users::{ScramDeletion, ScramUpsertion, UserScramCredentials};
use crate::core::acl::{AclBinding, AclFilter};
use crate::core::cluster::{
    BrokerId, BrokerInfo, Cluster, CommittedOffset, FetchResult, NewTopic, ProduceResult, TopicMetadata,
};
use crate::core::error::{Error, Result};
use crate::core::groups::{GroupDescription, GroupState, Join, Joined, TopicPartition};
use crate::core::log::{AppendInfo, OffsetAndTimestamp, OffsetSpec, PartitionLog, ProducerBatch};
use crate::core::record::{recompressed, BatchHeader, Compression, EncodedRecords, Record};
use crate::core::replication::Acks;
use crate::core::topic::{ConfigEntry, TopicConfig};
use crate::core::txn::{TxnCall, TxnDescription, TxnFilter, TxnRequest};

mod api;

/// What a Produce carries: RecordBatch v2 bytes a client built, or encoded records for the leader to seal as its
/// batches itself (shared: a producer keeps its request to retry it, and keeping it copies nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProduceData {
    Batches(Bytes),
    Records { records: Rc<EncodedRecords>, producer: Option<ProducerBatch> },
}

impl ProduceData {
    /// `records` for the leader to batch.
    pub fn records(records: &[Record], producer: Option<ProducerBatch>) -> ProduceData {
        ProduceData::Records { records: Rc::new(EncodedRecords::from_records(records)), producer }
    }

    /// This data as a producer with `compression` sends it: records sealed into one RecordBatch v2 whose records
    /// `codec` compresses (the leader then checks and keeps it as it checks any client's batch); as it is for
    /// none.
    pub fn compressed(self, codec: Compression) -> Result<ProduceData> {
        match (self, codec) {
            (ProduceData::Records { records, producer }, codec) if codec != Compression::None => {
                Ok(ProduceData::Batches(sealed_batch(&records, producer.as_ref(), codec)?))
            }
            (data, _) => Ok(data),
        }
    }

    /// The producer id and epoch of a transactional producer's data.
    pub fn transactional_producer(&self) -> Option<(i64, i16)> {
        match self {
            ProduceData::Records { producer: Some(p), .. } => p.transactional.then_some((p.producer_id, p.epoch)),
            ProduceData::Records { producer: None, .. } => None,
            ProduceData::Batches(bytes) => {
                let h = BatchHeader::parse_without_crc(bytes).ok()?;
                h.attributes.is_transactional().then_some((h.producer_id, h.producer_epoch))
            }
        }
    }

    /// Its size: the bytes it adds to a log (before a leader converts its compression).
    pub fn size(&self) -> usize {
        match self {
            ProduceData::Batches(bytes) => bytes.len(),
            ProduceData::Records { records, .. } => records.batch_bytes(),
        }
    }

    /// The leader's append of this data at `now_ms`: a client's bytes checked as Kafka's `LogValidator` does, or
    /// records the leader batches and seals itself.
    pub fn leader_append(self, now_ms: i64) -> impl FnOnce(&mut PartitionLog, i32, &TopicConfig) -> Result<AppendInfo> {
        move |log, epoch, config| match self {
            ProduceData::Batches(bytes) => log.append_as_leader(bytes, epoch, config, now_ms),
            ProduceData::Records { records, producer } => {
                log.append_records_as_leader(&records, producer, epoch, config, now_ms)
            }
        }
    }
}

/// `records` sealed as one RecordBatch v2, as a producer sends them: with its producer fields, if idempotent,
/// and its records compressed by `codec`.
pub fn sealed_batch(records: &EncodedRecords, producer: Option<&ProducerBatch>, codec: Compression) -> Result<Bytes> {
    let (_, bytes) = records.seal(0..records.len(), |batch| {
        if let Some(p) = producer {
            p.stamp(batch);
        }
    });
    match codec {
        Compression::None => Ok(bytes),
        codec => recompressed(&bytes, &BatchHeader::parse_without_crc(&bytes)?, codec, None),
    }
}

/// One partition's part of a Produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducePartition {
    pub topic: String,
    pub partition: i32,
    pub data: ProduceData,
}

/// One partition's DeleteRecords, done at its leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedRecords {
    /// The broker that led the partition and moved its log start.
    pub leader: BrokerId,
    /// The leader's new log start.
    pub log_start: i64,
    /// Kafka's answer: the smallest log start of the replicas on live brokers. Kafka answers once it reaches
    /// `log_start`; the shell waits for that (see `Cluster::low_watermark`).
    pub low_watermark: i64,
}

/// Kafka's isolation level: what of a partition a consumer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Isolation {
    /// Everything below the high watermark, open and aborted transactions' records too (Java's default).
    #[default]
    ReadUncommitted,
    /// Only what is stable (below the last stable offset), without aborted transactions' records (KafkaJS's
    /// default).
    ReadCommitted,
}

impl Isolation {
    /// Kafka's `isolation_level` on the wire: 0 read_uncommitted, 1 read_committed.
    pub fn code(self) -> i8 {
        match self {
            Isolation::ReadUncommitted => 0,
            Isolation::ReadCommitted => 1,
        }
    }

    /// The level a wire code names; anything else is `INVALID_REQUEST`.
    pub fn from_code(code: i64) -> Result<Isolation> {
        match code {
            0 => Ok(Isolation::ReadUncommitted),
            1 => Ok(Isolation::ReadCommitted),
            other => Err(Error::InvalidRequest(format!("isolation level {other} does not exist (0 or 1)"))),
        }
    }

    /// Where a consumer at this level starts when it starts at the end: the high watermark, or, reading
    /// committed records only, the last stable offset (so it misses nothing of a transaction still open).
    pub fn end(self) -> OffsetSpec {
        match self {
            Isolation::ReadUncommitted => OffsetSpec::Latest,
            Isolation::ReadCommitted => OffsetSpec::LastStable,
        }
    }
}

/// One partition's part of a Fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartition {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub max_bytes: usize,
}

/// One partition's answer: Kafka reports errors per partition, so one bad partition does not fail the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionResult<T> {
    pub topic: String,
    pub partition: i32,
    pub result: Result<T>,
}

/// Kafka's fetch `max_bytes` (KIP-74): the partitions' batches, in order, up to `max_bytes` in all. The first
/// batch of the first partition that has any goes whatever its size, so that a consumer always makes progress;
/// a partition whose next batch does not fit answers with none, and a consumer fetches it again from there.
pub fn cap_fetch_bytes(answers: &mut [PartitionResult<FetchResult>], max_bytes: usize) {
    let mut total = 0;
    for fetched in answers.iter_mut().filter_map(|a| a.result.as_mut().ok()) {
        let fits = fetched.batches.iter().take_while(|b| {
            let fits = total == 0 || total + b.len() <= max_bytes;
            total += if fits { b.len() } else { 0 };
            fits
        });
        let keep = fits.count();
        fetched.batches.truncate(keep);
    }
}

/// How long a Produce waits for its ISR, unless it says otherwise: Kafka's `request.timeout.ms` default, and
/// KafkaJS's `send` `timeout`.
pub const DEFAULT_PRODUCE_TIMEOUT_MS: i32 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Kafka's Produce: many partitions, one `acks` (-1 all, 0 or 1), and with acks=all how long the leader
    /// waits for its ISR before answering REQUEST_TIMED_OUT (Kafka's `timeout_ms`).
    Produce {
        acks: i16,
        timeout_ms: i32,
        partitions: Vec<ProducePartition>,
    },
    /// Kafka's Fetch: many partitions. `min_bytes` and `max_wait_ms` are for the shell's long poll; the core
    /// answers at once. `max_bytes` caps the whole answer (see [`cap_fetch_bytes`]).
    Fetch {
        partitions: Vec<FetchPartition>,
        min_bytes: usize,
        max_bytes: usize,
        max_wait_ms: u32,
        /// The consumer's rack (`client.rack`): an in-sync replica there serves it (KIP-392).
        rack: Option<String>,
        isolation: Isolation,
    },
    ListOffsets {
        topic: String,
        partition: i32,
        spec: OffsetSpec,
    },
    /// `None`: every topic. With `auto_create` (a producer's `allowAutoTopicCreation`), a topic named that does not
    /// exist is created, where the cluster's `auto.create.topics.enable` allows it, as Kafka's brokers do.
    Metadata {
        topics: Option<Vec<String>>,
        auto_create: bool,
    },
    CreateTopics {
        topics: Vec<NewTopic>,
        validate_only: bool,
    },
    DeleteTopics {
        topics: Vec<String>,
    },
    /// `assignments`: the new partitions' replicas, placed by hand (Kafka's `assignments`).
    CreatePartitions {
        topic: String,
        count: i32,
        assignments: Option<Vec<Vec<BrokerId>>>,
        validate_only: bool,
    },
    /// Kafka's DeleteRecords: each partition's records before its offset go (-1: the high watermark).
    DeleteRecords {
        topic: String,
        partitions: Vec<(i32, i64)>,
    },
    DescribeConfigs {
        topic: String,
    },
    /// Each config set (`Some`) or reset to its default (`None`).
    AlterConfigs {
        topic: String,
        changes: Vec<(String, Option<String>)>,
        validate_only: bool,
    },
    /// `member`: the committing member's id and generation, when it commits as a group member; the coordinator
    /// refuses a commit from an older generation (a member that missed a rebalance).
    OffsetCommit {
        group: String,
        topic: String,
        partition: i32,
        offset: i64,
        metadata: Option<String>,
        member: Option<(String, i32)>,
    },
    OffsetFetch {
        group: String,
        topic: String,
        partition: u32,
    },
    /// Kafka's InitProducerId: a new idempotent producer, or with a transactional id that id's producer, its
    /// epoch bumped (fencing older producers of the id), whose transactions time out after `timeout_ms`.
    InitProducerId {
        transactional_id: Option<String>,
        timeout_ms: i32,
    },
    /// The transactional requests: AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn.
    Txn(TxnCall),
    /// Kafka's JoinGroup: answered once the group's join round ends (see [`Response::GroupPending`]).
    JoinGroup(Join),
    /// Kafka's SyncGroup; the leader brings every member's partitions. Answered once the leader's is in.
    SyncGroup {
        group: String,
        member_id: String,
        generation: i32,
        assignments: Option<BTreeMap<String, Vec<TopicPartition>>>,
    },
    Heartbeat {
        group: String,
        member_id: String,
        generation: i32,
    },
    LeaveGroup {
        group: String,
        member_id: String,
    },
    DescribeGroup {
        group: String,
    },
    ListGroups,
    DeleteGroups {
        groups: Vec<String>,
    },
    /// A failure on purpose (franz's own: a tab has no other way to crash a broker or cut a cable).
    Fault(Fault),
    /// Kafka's FindCoordinator for a consumer group.
    FindCoordinator {
        group: String,
    },
    AlterPartitionReassignments(Vec<Reassignment>),
    /// Each topic with the partitions asked about; `None`: every topic's.
    ListPartitionReassignments {
        topics: Option<Vec<(String, Vec<u32>)>>,
    },
    CreateAcls(Vec<AclBinding>),
    DescribeAcls(AclFilter),
    DeleteAcls(Vec<AclFilter>),
    /// Kafka's ListTransactions.
    ListTransactions(TxnFilter),
    DescribeTransactions {
        ids: Vec<String>,
    },
    /// Kafka's SaslHandshake: the mechanism the connection's SaslAuthenticate will speak.
    SaslHandshake {
        mechanism: String,
    },
    /// Kafka's DescribeConfigs for a broker resource: its configs, read-only.
    DescribeBrokerConfigs {
        broker: BrokerId,
    },
    /// Kafka's AlterUserScramCredentials (KIP-554): credentials to remove, and salted ones to store.
    AlterUserScramCredentials {
        deletions: Vec<ScramDeletion>,
        upsertions: Vec<ScramUpsertion>,
    },
    /// Kafka's DescribeUserScramCredentials: the users named, or (`None`) every user with a credential.
    DescribeUserScramCredentials {
        users: Option<Vec<String>>,
    },
    /// Kafka's SaslAuthenticate: PLAIN's credentials, or a SCRAM message. A connection's session
    /// (`acl::sasl::SaslSession`) serves both; the shell makes the principal it answers the connection's.
    SaslAuthenticate(SaslToken),
}

/// One partition's move in Kafka's AlterPartitionReassignments: to `replicas` (the first one preferred as
/// leader), or with `None` back to where it was, cancelling the move under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    pub topic: String,
    pub partition: i32,
    pub replicas: Option<Vec<BrokerId>>,
}

/// A partition being reassigned, as Kafka's ListPartitionReassignments answers: all its replicas now, and
/// those joining and leaving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OngoingReassignment {
    pub topic: String,
    pub partition: u32,
    pub replicas: Vec<BrokerId>,
    pub adding_replicas: Vec<BrokerId>,
    pub removing_replicas: Vec<BrokerId>,
}

/// What [`Request::Fault`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "camelCase")]
pub enum Fault {
    KillBroker {
        broker: i32,
    },
    RestartBroker {
        broker: i32,
    },
    /// Brokers reach only those in their own group; the controller is with the first group.
    PartitionNetwork {
        groups: Vec<Vec<i32>>,
    },
    HealNetwork,
}

/// One topic's outcome in a request about several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicOutcome {
    pub topic: String,
    pub error: Option<Error>,
}

/// One named item's answer (a topic's, a transactional id's, a user's): its value, or its own error.
pub type Named<T> = (String, Result<T>);

#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Produce(Vec<PartitionResult<ProduceResult>>),
    Fetch(Vec<PartitionResult<FetchResult>>),
    /// `None`: no record matches (Kafka answers offset -1).
    ListOffsets(Option<OffsetAndTimestamp>),
    /// Kafka's Metadata response: the brokers, and each topic asked for (or every topic the client may see),
    /// with its metadata or its own error, as Kafka answers each topic on its own.
    Metadata {
        brokers: Vec<BrokerInfo>,
        topics: Vec<Named<TopicMetadata>>,
    },
    CreateTopics(Vec<TopicOutcome>),
    DeleteTopics(Vec<TopicOutcome>),
    CreatePartitions,
    /// Each partition's new log start and low watermark, or why it failed.
    DeleteRecords(Vec<PartitionResult<DeletedRecords>>),
    DescribeConfigs(Vec<ConfigEntry>),
    AlterConfigs,
    OffsetCommit,
    OffsetFetch(Option<CommittedOffset>),
    InitProducerId {
        producer_id: i64,
        epoch: i16,
    },
    Txn,
    /// A JoinGroup or SyncGroup that waits for other members: its answer will be a group reply for this member
    /// (`Cluster::take_group_replies`), which the shell turns into `Joined` or `Synced`.
    GroupPending {
        group: String,
        member_id: String,
    },
    Joined(Joined),
    Synced(Vec<TopicPartition>),
    Heartbeat,
    LeaveGroup,
    DescribeGroup(Option<GroupDescription>),
    ListGroups(Vec<(String, GroupState)>),
    /// Each group's outcome.
    DeleteGroups(Vec<(String, Option<Error>)>),
    Fault,
    /// The coordinator's broker id.
    FindCoordinator(BrokerId),
    /// Each partition's outcome.
    AlterPartitionReassignments(Vec<PartitionResult<()>>),
    ListPartitionReassignments(Vec<OngoingReassignment>),
    /// Each ACL's outcome, in the request's order.
    CreateAcls(Vec<Option<Error>>),
    DescribeAcls(Vec<AclBinding>),
    /// The ACLs each filter removed, in the request's order.
    DeleteAcls(Vec<Vec<AclBinding>>),
    ListTransactions(Vec<TxnDescription>),
    /// Each id's description, or why not, in the request's order.
    DescribeTransactions(Vec<Named<TxnDescription>>),
    /// The mechanisms the cluster enables.
    SaslHandshake {
        mechanisms: Vec<String>,
    },
    /// Who the client is once authenticated (`User:<name>`), the server's message (SCRAM's; empty for PLAIN),
    /// and how long the session lasts before the client must authenticate again (0: no end; KIP-368).
    SaslAuthenticate {
        principal: Option<String>,
        message: String,
        session_lifetime_ms: i64,
    },
    /// Each user's outcome, in the order first named.
    AlterUserScramCredentials(Vec<(String, Option<Error>)>),
    DescribeUserScramCredentials(Vec<UserScramCredentials>),
}

impl Request {
    /// Metadata of `topics` (`None`: every topic), creating none.
    pub fn metadata(topics: Option<Vec<String>>) -> Request {
        Request::Metadata { topics, auto_create: false }
    }

    /// InitProducerId for an idempotent producer (no transactional id).
    pub fn init_idempotent() -> Request {
        Request::InitProducerId { transactional_id: None, timeout_ms: 0 }
    }

    /// Whether serving this request may change what storage must hold, so the answer waits for the write.
    pub fn mutates(&self) -> bool {
        match self {
            Request::Produce { .. }
            | Request::CreateTopics { validate_only: false, .. }
            | Request::DeleteTopics { .. }
            | Request::CreatePartitions { validate_only: false, .. }
            | Request::DeleteRecords { .. }
            | Request::AlterConfigs { validate_only: false, .. }
            | Request::OffsetCommit { .. }
            | Request::DeleteGroups { .. }
            | Request::Fault(_)
            // It creates `__consumer_offsets` on first use.
            | Request::FindCoordinator { .. }
            | Request::AlterPartitionReassignments(_)
            | Request::InitProducerId { .. }
            | Request::CreateAcls(_)
            | Request::DeleteAcls(_)
            | Request::AlterUserScramCredentials { .. }
            | Request::Metadata { auto_create: true, .. }
            | Request::Txn(_) => true,
            Request::Fetch { .. }
            | Request::ListOffsets { .. }
            | Request::Metadata { .. }
            | Request::CreateTopics { .. }
            | Request::CreatePartitions { .. }
            | Request::DescribeConfigs { .. }
            | Request::AlterConfigs { .. }
            | Request::OffsetFetch { .. }
            | Request::JoinGroup(_)
            | Request::SyncGroup { .. }
            | Request::Heartbeat { .. }
            | Request::LeaveGroup { .. }
            | Request::DescribeGroup { .. }
            | Request::ListPartitionReassignments { .. }
            | Request::DescribeAcls(_)
            | Request::SaslHandshake { .. }
            | Request::SaslAuthenticate(_)
            | Request::ListTransactions(_)
            | Request::DescribeTransactions { .. }
            | Request::DescribeUserScramCredentials { .. }
            | Request::DescribeBrokerConfigs { .. }
            | Request::ListGroups => false,
        }
    }
}

impl Request {
    /// SaslHandshake and SaslAuthenticate: a connection's session answers them (`acl::sasl::SaslSession`).
    pub fn is_sasl(&self) -> bool {
        matches!(self, Request::SaslHandshake { .. } | Request::SaslAuthenticate(_))
    }

    /// The name views of the cluster know a change by (`cluster.change` events), for requests that change it.
    pub fn change_kind(&self) -> Option<&'static str> {
        if !self.mutates() {
            return None;
        }
        Some(match self {
            Request::Produce { .. } => "produce",
            Request::CreateTopics { .. } => "createTopics",
            Request::DeleteTopics { .. } => "deleteTopics",
            Request::CreatePartitions { .. } => "createPartitions",
            Request::DeleteRecords { .. } => "deleteRecords",
            Request::AlterConfigs { .. } => "alterConfigs",
            Request::OffsetCommit { .. } => "commitOffsets",
            Request::AlterPartitionReassignments(_) => "reassignPartitions",
            Request::Txn(TxnCall { request: TxnRequest::End { .. }, .. }) => "endTransaction",
            Request::Fault(Fault::KillBroker { .. } | Fault::RestartBroker { .. }) => "broker",
            Request::Fault(_) => "network",
            _ => return None,
        })
    }

    /// The topic of a request about exactly one.
    pub fn single_topic(&self) -> Option<&str> {
        match self {
            Request::CreatePartitions { topic, .. }
            | Request::DeleteRecords { topic, .. }
            | Request::AlterConfigs { topic, .. }
            | Request::OffsetCommit { topic, .. }
            | Request::DescribeConfigs { topic }
            | Request::ListOffsets { topic, .. }
            | Request::OffsetFetch { topic, .. } => Some(topic),
            _ => None,
        }
    }
}

impl Response {
    /// A Metadata answer's brokers and topics, or its first topic's error, as KafkaJS rejects a metadata call
    /// that any topic failed.
    pub fn into_metadata(self) -> Result<(Vec<BrokerInfo>, Vec<TopicMetadata>)> {
        let Response::Metadata { brokers, topics } = self else {
            return Err(Error::UnknownServerError("metadata was answered with something else".into()));
        };
        Ok((brokers, topics.into_iter().map(|(_, topic)| topic).collect::<Result<_>>()?))
    }

    /// The topics a successful request changed: those whose part of it succeeded (`topic`: the request's own,
    /// for a request about one).
    pub fn changed_topics(&self, topic: Option<&str>) -> Vec<String> {
        let mut topics: Vec<String> = match self {
            Response::Produce(results) => {
                results.iter().filter(|r| r.result.is_ok()).map(|r| r.topic.clone()).collect()
            }
            Response::CreateTopics(outcomes) | Response::DeleteTopics(outcomes) => {
                outcomes.iter().filter(|o| o.error.is_none()).map(|o| o.topic.clone()).collect()
            }
            Response::AlterPartitionReassignments(results) => {
                results.iter().filter(|r| r.result.is_ok()).map(|r| r.topic.clone()).collect()
            }
            // A fault concerns the whole cluster: one change, about no topic in particular.
            Response::Fault => vec![String::new()],
            _ => topic.map(str::to_owned).into_iter().collect(),
        };
        topics.dedup();
        topics
    }
}

impl Cluster {
    /// Serves one request at time `now_ms`. Errors that concern the whole request come back as `Err`; errors per
    /// topic come back inside the response, as Kafka's do.
    pub fn handle(&mut self, request: Request, now_ms: i64) -> Result<Response> {
        Ok(match request {
            Request::Produce { acks, timeout_ms, partitions } => {
                if ![-1, 0, 1].contains(&acks) {
                    return Err(Error::InvalidRequiredAcks(format!("acks must be -1 (all), 0 or 1, got {acks}")));
                }
                let acks = Acks { acks, timeout_ms: Some(i64::from(timeout_ms.max(0))) };
                Response::Produce(
                    partitions
                        .into_iter()
                        .map(|p| {
                            let result = self.produce_data(&p.topic, p.partition, p.data, acks, now_ms);
                            PartitionResult { topic: p.topic, partition: p.partition, result }
                        })
                        .collect(),
                )
            }
            Request::Fetch { partitions, rack, max_bytes, isolation, .. } => {
                let mut answers: Vec<_> = partitions
                    .into_iter()
                    .map(|p| {
                        let result = self.fetch_in_rack(&p, rack.as_deref(), isolation);
                        PartitionResult { topic: p.topic, partition: p.partition, result }
                    })
                    .collect();
                cap_fetch_bytes(&mut answers, max_bytes);
                Response::Fetch(answers)
            }
            Request::ListOffsets { topic, partition, spec } => {
                Response::ListOffsets(self.list_offsets(&topic, partition, spec)?)
            }
            Request::Metadata { topics, auto_create } => {
                let topics = match topics {
                    None => self.metadata().into_iter().map(|t| (t.name.clone(), Ok(t))).collect(),
                    Some(names) => {
                        // With the cluster's defaults, as Kafka's broker creates them; a topic that cannot be
                        // created (its name is invalid) is answered with why.
                        let created = if auto_create { self.missing_where_auto_created(&names) } else { Vec::new() };
                        let mut failed = Vec::new();
                        for topic in created {
                            if let Err(e) = self.create_topic(&NewTopic::new(topic.clone(), -1, -1), false) {
                                failed.push((topic, e));
                            }
                        }
                        let answer = |name: String| {
                            let result = match failed.iter().find(|(f, _)| *f == name) {
                                Some((_, e)) => Err(e.clone()),
                                None => self.describe_topic(&name),
                            };
                            (name, result)
                        };
                        names.into_iter().map(answer).collect()
                    }
                };
                Response::Metadata { brokers: self.brokers(), topics }
            }
            Request::CreateTopics { topics, validate_only } => Response::CreateTopics(
                topics
                    .iter()
                    .map(|t| TopicOutcome { topic: t.name.clone(), error: self.create_topic(t, validate_only).err() })
                    .collect(),
            ),
            Request::DeleteTopics { topics } => Response::DeleteTopics(
                topics.into_iter().map(|t| TopicOutcome { error: self.delete_topic(&t).err(), topic: t }).collect(),
            ),
            Request::CreatePartitions { topic, count, assignments, validate_only } => {
                self.create_partitions(&topic, count, assignments.as_deref(), validate_only)?;
                Response::CreatePartitions
            }
            Request::DeleteRecords { topic, partitions } => Response::DeleteRecords(
                partitions
                    .into_iter()
                    .map(|(partition, offset)| PartitionResult {
                        topic: topic.clone(),
                        partition,
                        result: self.delete_records(&topic, partition, offset, now_ms),
                    })
                    .collect(),
            ),
            Request::DescribeConfigs { topic } => Response::DescribeConfigs(self.describe_configs(&topic)?),
            Request::AlterConfigs { topic, changes, validate_only } => {
                self.alter_configs(&topic, &changes, validate_only)?;
                Response::AlterConfigs
            }
            Request::OffsetCommit { group, topic, partition, offset, metadata, member } => {
                if let Some((member_id, generation)) = member {
                    self.groups.check_commit(&group, &member_id, generation)?;
                }
                self.commit_offset(&group, &topic, partition, offset, metadata)?;
                Response::OffsetCommit
            }
            Request::OffsetFetch { group, topic, partition } => {
                Response::OffsetFetch(self.committed_offset(&group, &topic, partition)?)
            }
            Request::FindCoordinator { group } => Response::FindCoordinator(self.find_coordinator(&group)?),
            Request::JoinGroup(join) => {
                self.find_coordinator(&join.group)?;
                let group = join.group.clone();
                let member_id = self.groups.join(join, now_ms);
                Response::GroupPending { group, member_id }
            }
            Request::SyncGroup { group, member_id, generation, assignments } => {
                self.find_coordinator(&group)?;
                self.groups.sync(&group, &member_id, generation, assignments, now_ms);
                Response::GroupPending { group, member_id }
            }
            Request::Heartbeat { group, member_id, generation } => {
                self.find_coordinator(&group)?;
                self.groups.heartbeat(&group, &member_id, generation, now_ms)?;
                Response::Heartbeat
            }
            Request::LeaveGroup { group, member_id } => {
                self.find_coordinator(&group)?;
                self.groups.leave(&group, &member_id, now_ms)?;
                Response::LeaveGroup
            }
            Request::DescribeGroup { group } => Response::DescribeGroup(self.groups.describe(&group)),
            Request::ListGroups => Response::ListGroups(self.list_groups()),
            Request::DeleteGroups { groups } => {
                Response::DeleteGroups(groups.into_iter().map(|g| (g.clone(), self.delete_group(&g).err())).collect())
            }
            Request::InitProducerId { transactional_id: None, .. } => {
                let (producer_id, epoch) = self.init_producer_id();
                Response::InitProducerId { producer_id, epoch }
            }
            Request::InitProducerId { transactional_id: Some(id), timeout_ms } => {
                let (producer_id, epoch) = self.init_transactional_producer(&id, timeout_ms, now_ms)?;
                Response::InitProducerId { producer_id, epoch }
            }
            Request::Txn(call) => {
                self.handle_txn(call, now_ms)?;
                Response::Txn
            }
            Request::AlterPartitionReassignments(moves) => Response::AlterPartitionReassignments(
                moves
                    .into_iter()
                    .map(|m| PartitionResult {
                        result: self.reassign_partition(&m.topic, m.partition, m.replicas, now_ms),
                        topic: m.topic,
                        partition: m.partition,
                    })
                    .collect(),
            ),
            Request::ListPartitionReassignments { topics } => {
                Response::ListPartitionReassignments(self.ongoing_reassignments(topics.as_deref()))
            }
            Request::CreateAcls(acls) => Response::CreateAcls(self.create_acls(acls)?),
            Request::DescribeAcls(filter) => Response::DescribeAcls(self.describe_acls(&filter)?),
            Request::DeleteAcls(filters) => Response::DeleteAcls(self.delete_acls(&filters)?),
            Request::ListTransactions(filter) => Response::ListTransactions(self.list_transactions(&filter)),
            Request::DescribeTransactions { ids } => Response::DescribeTransactions(self.describe_transactions(&ids)),
            Request::AlterUserScramCredentials { deletions, upsertions } => {
                Response::AlterUserScramCredentials(self.alter_user_scram_credentials(&deletions, &upsertions))
            }
            Request::DescribeBrokerConfigs { broker } => Response::DescribeConfigs(self.broker_configs(broker)?),
            Request::DescribeUserScramCredentials { users } => {
                Response::DescribeUserScramCredentials(self.credentials().scram.describe(users.as_deref()))
            }
            // Without the connection's session: PLAIN alone, as a connection's first and only message.
            request @ (Request::SaslHandshake { .. } | Request::SaslAuthenticate(_)) => {
                SaslSession::default().serve(self.credentials(), request, now_ms, &mut |_| ())?
            }
            Request::Fault(fault) => {
                match fault {
                    Fault::KillBroker { broker } => self.kill_broker(broker, now_ms)?,
                    Fault::RestartBroker { broker } => self.restart_broker(broker, now_ms)?,
                    Fault::PartitionNetwork { groups } => self.partition_network(&groups, now_ms)?,
                    Fault::HealNetwork => self.heal_network(now_ms),
                }
                Response::Fault
            }
        })
    }
}
