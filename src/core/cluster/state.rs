//! The cluster's state and its admin operations: CreateTopics, DeleteTopics, CreatePartitions, Metadata,
//! DescribeConfigs and IncrementalAlterConfigs.
//!
//! Every operation validates fully before it changes anything, so a refused request leaves no trace.

use std::collections::BTreeMap;

use super::data::PendingAck;
use super::metadata::{BrokerId, BrokerInfo, NewTopic, PartitionMetadata, TopicMetadata};
use super::offsets::GroupOffsets;
use super::persist::Journal;
use super::placement::assign_replicas;
use super::txn::{Markers, PendingOffsets};
use crate::core::acl::authorizer::Authorizer;
use crate::core::acl::credentials::Credentials;
use crate::core::acl::Acls;
use crate::core::error::{Error, Result};
use crate::core::groups::Coordinator;
use crate::core::log::PartitionLog;
use crate::core::protocol::{OngoingReassignment, Request};
use crate::core::replication::{LocalCluster, PartitionId, PartitionState, Timing};
use crate::core::rng::SplitMix64;
use crate::core::topic::{ConfigEntry, TopicConfig, TopicName};
use crate::core::txn::TxnMetadata;

/// The most partitions one topic may have in franz: a browser tab's memory is the limit Kafka's brokers do
/// not have.
pub const MAX_PARTITIONS: i32 = 1000;

/// The timeouts of a tab's brokers, with Kafka's names. Kafka's defaults suit machines that fail rarely; a tab
/// shows a failover while a student watches, so its clocks run about ten times faster.
pub const TAB_TIMING: Timing =
    Timing { heartbeat_ms: 200, replica_lag_max_ms: 3000, fetch_timeout_ms: 1000, request_timeout_ms: 30_000 };

/// `broker.session.timeout.ms`: a broker silent this long is fenced and its leaderships move (Kafka: 9 s).
pub const SESSION_TIMEOUT_MS: i64 = 1000;

#[derive(Debug, Clone)]
pub(super) struct Topic {
    pub name: TopicName,
    pub config: TopicConfig,
    pub partition_count: u32,
}

/// A franz cluster: brokers that replicate each partition among themselves by messages (the `replication`
/// module: a controller, leaders and followers), plus topic metadata, committed offsets and groups.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub(super) brokers: BTreeMap<BrokerId, BrokerInfo>,
    pub(super) topics: BTreeMap<TopicName, Topic>,
    /// Kafka's `num.partitions` and `default.replication.factor`, used when a request says -1.
    pub default_partitions: i32,
    pub default_replication_factor: i32,
    pub(super) offsets: GroupOffsets,
    /// Changes waiting to be written to storage; `None` for a cluster that lives in memory only.
    pub(super) journal: Option<Journal>,
    /// The next idempotent producer id InitProducerId hands out.
    pub(super) next_producer_id: i64,
    /// Consumer groups' membership (their committed offsets are in `offsets`). Kept in memory, as Kafka's
    /// coordinator keeps it: after a restart, members join again.
    pub groups: Coordinator,
    /// Each transactional id's latest state, as `__transaction_state` holds it.
    pub(super) txns: BTreeMap<String, TxnMetadata>,
    /// The markers of transactions being ended.
    pub(super) markers: BTreeMap<String, Markers>,
    /// Offsets committed in transactions not yet decided.
    pub(super) pending_offsets: PendingOffsets,
    /// The brokers, the controller and the network between them.
    pub(super) replication: LocalCluster,
    /// Each partition's epoch as last journaled: a controller decision is journaled once.
    pub(super) journaled_epochs: BTreeMap<PartitionId, i32>,
    /// The latest time a request or tick brought; what operations without a clock of their own (CreateTopics)
    /// run at.
    pub(super) now_ms: i64,
    /// Answers to acks=all writes that waited, until [`Cluster::take_acks`] hands them out.
    pub(super) acks: BTreeMap<PendingAck, Result<i64>>,
    /// Bumped whenever replication changed a log or the controller decided something, for views to redraw.
    pub(super) changes: u64,
    /// While a cluster reopens: each replica's record (its high watermark and recovery point), applied with its
    /// tail.
    pub(super) checkpoints: BTreeMap<(String, u32, BrokerId), super::persist::Checkpoint>,
    /// For a cluster that lives in memory only: how many bytes its logs may hold (see
    /// [`Cluster::set_memory_limit`]); `None` for no limit.
    pub(super) memory_limit_bytes: Option<usize>,
    /// Every ACL, kept whether or not an authorizer uses them (as Kafka keeps them in its metadata).
    pub(super) acls: Acls,
    /// `None`: every request is allowed (Kafka without `authorizer.class.name`).
    pub(super) authorizer: Option<Authorizer>,
    /// Whom SaslAuthenticate lets in.
    pub(super) credentials: Credentials,
    /// Kafka's `auto.create.topics.enable`: a Metadata request that allows it creates the topics it names.
    pub(super) auto_create_topics: bool,
    rng: SplitMix64,
}

impl Cluster {
    /// A cluster of `brokers` live brokers with ids 1..=brokers. `seed` drives replica placement.
    pub fn new(brokers: i32, seed: u64) -> Cluster {
        let brokers = brokers.max(1);
        Cluster {
            brokers: (1..=brokers).map(|id| (id, BrokerInfo { id, rack: None, alive: true })).collect(),
            topics: BTreeMap::new(),
            default_partitions: 1,
            default_replication_factor: 1,
            offsets: GroupOffsets::new(),
            journal: None,
            next_producer_id: 0,
            groups: Coordinator::new(),
            txns: BTreeMap::new(),
            markers: BTreeMap::new(),
            pending_offsets: BTreeMap::new(),
            replication: LocalCluster::new(brokers, TAB_TIMING, SESSION_TIMEOUT_MS, 0),
            journaled_epochs: BTreeMap::new(),
            now_ms: 0,
            acks: BTreeMap::new(),
            checkpoints: BTreeMap::new(),
            changes: 0,
            memory_limit_bytes: None,
            acls: Acls::default(),
            authorizer: None,
            credentials: Credentials::default(),
            auto_create_topics: false,
            rng: SplitMix64::new(seed),
        }
    }

    /// Kafka's `auto.create.topics.enable`: broker configuration, given at each opening, like the authorizer.
    pub fn set_auto_create_topics(&mut self, on: bool) {
        self.auto_create_topics = on;
    }

    /// A number that changes whenever replication changed a log or the controller decided something.
    pub fn change_count(&self) -> u64 {
        self.changes
    }

    /// Every broker, `alive` unless it is down (killed and not yet restarted).
    pub fn brokers(&self) -> Vec<BrokerInfo> {
        let alive = |b: &BrokerInfo| BrokerInfo { alive: self.replication.is_up(b.id), ..b.clone() };
        self.brokers.values().map(alive).collect()
    }

    /// Where new replicas may go: brokers that are up and that the controller has not fenced.
    fn live_brokers(&self) -> Vec<BrokerId> {
        let live = |b: &&BrokerId| self.replication.is_up(**b) && self.replication.controller.is_alive(**b);
        self.brokers.keys().filter(live).copied().collect()
    }

    /// A partition as the controller decided it.
    pub(super) fn partition(&self, topic: &str, partition: i32) -> Result<&PartitionState> {
        let t = self.topic(topic)?;
        let missing = || {
            Error::UnknownTopicOrPartition(format!(
                "partition {partition} of topic {topic:?} does not exist (it has {})",
                t.partition_count
            ))
        };
        let index = u32::try_from(partition).ok().filter(|p| *p < t.partition_count).ok_or_else(missing)?;
        self.replication.controller.partition(&(topic.to_owned(), index)).ok_or_else(missing)
    }

    /// The log of one replica.
    pub(super) fn replica_log(&self, topic: &str, partition: u32, broker: BrokerId) -> Option<&PartitionLog> {
        self.replication.brokers.get(&broker)?.log(&(topic.to_owned(), partition))
    }

    pub(super) fn replica_log_mut(
        &mut self,
        topic: &str,
        partition: u32,
        broker: BrokerId,
    ) -> Option<&mut PartitionLog> {
        self.replication.brokers.get_mut(&broker)?.log_mut(&(topic.to_owned(), partition))
    }

    pub(super) fn topic(&self, name: &str) -> Result<&Topic> {
        self.topics.get(name).ok_or_else(|| Error::UnknownTopicOrPartition(format!("topic {name:?} does not exist")))
    }

    pub(super) fn topic_mut(&mut self, name: &str) -> Result<&mut Topic> {
        self.topics
            .get_mut(name)
            .ok_or_else(|| Error::UnknownTopicOrPartition(format!("topic {name:?} does not exist")))
    }

    /// Kafka's CreateTopics for one topic. With `validate_only`, checks everything and creates nothing.
    pub fn create_topic(&mut self, request: &NewTopic, validate_only: bool) -> Result<()> {
        let name = TopicName::new(&request.name)?;
        self.create_topic_named(name, request, validate_only)
    }

    /// CreateTopics for an internal topic such as `__consumer_offsets`.
    pub fn create_internal_topic(&mut self, request: &NewTopic) -> Result<()> {
        let name = TopicName::internal(&request.name)?;
        self.create_topic_named(name, request, false)
    }

    /// The topics `request` creates: those a Metadata request that allows auto-creation names and that do not
    /// exist, when the cluster auto-creates topics (Kafka's `auto.create.topics.enable`).
    pub fn auto_creates(&self, request: &Request) -> Vec<String> {
        match request {
            Request::Metadata { topics: Some(names), auto_create: true } => self.missing_where_auto_created(names),
            _ => Vec::new(),
        }
    }

    /// The topics of `names` that do not exist, once each, if the cluster auto-creates topics.
    pub(crate) fn missing_where_auto_created(&self, names: &[String]) -> Vec<String> {
        let mut missing: Vec<String> = Vec::new();
        for name in names.iter().filter(|n| self.auto_create_topics && !self.topics.contains_key(n.as_str())) {
            if !missing.contains(name) {
                missing.push(name.clone());
            }
        }
        missing
    }

    fn create_topic_named(&mut self, name: TopicName, request: &NewTopic, validate_only: bool) -> Result<()> {
        if self.topics.contains_key(&name) {
            return Err(Error::TopicAlreadyExists(format!("topic {name:?} already exists")));
        }
        if let Some(other) = self.topics.keys().find(|t| t.collides_with(&name)) {
            return Err(Error::InvalidTopicException(format!(
                "topic {name:?} collides with existing topic {other:?}: '.' and '_' are the same in metric names"
            )));
        }
        let assigned = match &request.assignment {
            Some(by_partition) => Some(self.check_assignment(request, by_partition)?),
            None => None,
        };
        let (partitions, rf) = match &assigned {
            Some(_) => (0, 0),
            None => (
                self.check_partition_count(request.num_partitions)?,
                self.check_replication_factor(request.replication_factor)?,
            ),
        };
        let config = TopicConfig::from_entries(&request.configs)?;
        if validate_only {
            return Ok(());
        }
        let assignment = assigned.unwrap_or_else(|| {
            let brokers = self.live_brokers();
            let (start, shift) = (self.rng.below(brokers.len()), self.rng.below(brokers.len()));
            assign_replicas(&brokers, partitions, rf, 0, start, shift)
        });
        self.replication.set_topic_config(name.as_str(), &config, self.now_ms);
        self.topics.insert(name.clone(), Topic { name: name.clone(), config, partition_count: 0 });
        self.add_partitions(name.as_str(), assignment);
        Ok(())
    }

    /// A topic's replicas placed by hand, as the partitions' replica lists in order: every partition from 0 on
    /// once, all with as many replicas, each list as `check_replicas` wants it.
    fn check_assignment(
        &self,
        request: &NewTopic,
        by_partition: &[(i32, Vec<BrokerId>)],
    ) -> Result<Vec<Vec<BrokerId>>> {
        if request.num_partitions != -1 || request.replication_factor != -1 {
            return Err(Error::InvalidRequest(
                "a replica assignment gives the partitions and replication factor: leave numPartitions and \
                 replicationFactor out (-1)"
                    .into(),
            ));
        }
        self.check_partition_count(by_partition.len() as i32)?;
        let mut sorted: Vec<&(i32, Vec<BrokerId>)> = by_partition.iter().collect();
        sorted.sort_by_key(|(p, _)| *p);
        if let Some((i, (p, _))) = sorted.iter().enumerate().find(|(i, (p, _))| *p != *i as i32) {
            return Err(Error::InvalidReplicaAssignment(format!(
                "partitions must be numbered 0 to {} once each; found {p} at place {i}",
                sorted.len() - 1
            )));
        }
        let lists: Vec<Vec<BrokerId>> = sorted.into_iter().map(|(_, r)| r.clone()).collect();
        self.check_replica_lists(&lists, lists[0].len())?;
        Ok(lists)
    }

    /// Replica lists placed by hand, each as `check_replicas` wants it and with the `rf` replicas of the topic's
    /// other partitions.
    fn check_replica_lists(&self, lists: &[Vec<BrokerId>], rf: usize) -> Result<()> {
        for replicas in lists {
            self.check_replicas(replicas)?;
            if replicas.len() != rf {
                return Err(Error::InvalidReplicaAssignment(format!(
                    "replicas {replicas:?}: the topic's partitions have {rf} replicas each"
                )));
            }
        }
        Ok(())
    }

    /// A partition's replica list, as a reassignment or a placement by hand names it: at least one broker, each
    /// of the cluster, none twice (INVALID_REPLICA_ASSIGNMENT).
    pub(super) fn check_replicas(&self, replicas: &[BrokerId]) -> Result<()> {
        let invalid = |why: String| Err(Error::InvalidReplicaAssignment(format!("replicas {replicas:?}: {why}")));
        if replicas.is_empty() {
            return invalid("a partition needs at least one".into());
        }
        if let Some(b) = replicas.iter().find(|b| !self.brokers.contains_key(b)) {
            return invalid(format!("broker {b} does not exist"));
        }
        if let Some((i, b)) = replicas.iter().enumerate().find(|(i, b)| replicas[..*i].contains(b)) {
            return invalid(format!("broker {b} is named twice (at {i})"));
        }
        Ok(())
    }

    /// New partitions of a topic, numbered on from its last, each led by its first replica.
    fn add_partitions(&mut self, topic: &str, assignment: Vec<Vec<BrokerId>>) {
        let Some(t) = self.topics.get_mut(topic) else { return };
        let (first, min_insync) = (t.partition_count, t.config.min_insync_replicas.max(1) as usize);
        t.partition_count += assignment.len() as u32;
        for (i, replicas) in assignment.into_iter().enumerate() {
            self.replication.create_partition((topic.to_owned(), first + i as u32), replicas, min_insync, self.now_ms);
        }
        self.record_changes();
    }

    fn check_partition_count(&self, requested: i32) -> Result<u32> {
        let n = if requested == -1 { self.default_partitions } else { requested };
        if n <= 0 {
            return Err(Error::InvalidPartitions(format!("number of partitions must be larger than 0, got {n}")));
        }
        if n > MAX_PARTITIONS {
            return Err(Error::InvalidPartitions(format!(
                "{n} partitions is more than franz allows per topic ({MAX_PARTITIONS})"
            )));
        }
        Ok(n as u32)
    }

    fn check_replication_factor(&self, requested: i32) -> Result<usize> {
        let rf = if requested == -1 { self.default_replication_factor } else { requested };
        let live = self.live_brokers().len();
        if rf <= 0 {
            return Err(Error::InvalidReplicationFactor(format!("replication factor must be larger than 0, got {rf}")));
        }
        if rf as usize > live {
            return Err(Error::InvalidReplicationFactor(format!(
                "replication factor: {rf} larger than available brokers: {live}"
            )));
        }
        Ok(rf as usize)
    }

    /// Kafka's DeleteTopics for one topic: the topic and every replica's log go.
    pub fn delete_topic(&mut self, name: &str) -> Result<()> {
        let topic = self.topic(name)?;
        if topic.name.is_internal() {
            return Err(Error::InvalidTopicException(format!("internal topic {name:?} cannot be deleted")));
        }
        let offsets: Vec<(String, String, u32)> = self.offsets.keys().filter(|(_, t, _)| t == name).cloned().collect();
        let mut replicas = Vec::new();
        for p in 0..topic.partition_count {
            let id = (name.to_owned(), p);
            replicas.push(self.replication.controller.partition(&id).map(|s| s.replicas.clone()).unwrap_or_default());
            self.replication.delete_partition(&id);
            self.journaled_epochs.remove(&id);
        }
        self.topics.remove(name);
        self.journal_deleted_topic(name, &replicas);
        // The topic's committed offsets go too: tombstones in `__consumer_offsets`. Should the coordinator be
        // down, the topic is gone all the same and its offsets are forgotten here; they would come back from
        // the log at a reopen, and apply only to a topic created again under the same name.
        for key in offsets {
            self.journal_legacy_offset_deleted(&key);
            if self.append_offset(key.clone(), None).is_err() {
                self.offsets.remove(&key);
            }
        }
        Ok(())
    }

    /// Kafka's CreatePartitions: grows a topic to `total` partitions. Existing partitions keep their data and
    /// assignment; new ones continue Kafka's placement from the first partition's leader.
    /// With `assignments`, the new partitions' replicas are placed by hand (Kafka's `assignments`): one list per
    /// new partition, each with as many replicas as the topic's first partition.
    pub fn create_partitions(
        &mut self,
        name: &str,
        total: i32,
        assignments: Option<&[Vec<BrokerId>]>,
        validate_only: bool,
    ) -> Result<()> {
        let current = self.topic(name)?.partition_count as i32;
        if total == current {
            return Err(Error::InvalidPartitions(format!("topic {name:?} already has {current} partitions")));
        }
        if total < current {
            return Err(Error::InvalidPartitions(format!(
                "topic {name:?} currently has {current} partitions, which is higher than the requested {total}; \
                 partitions can only grow"
            )));
        }
        let total = self.check_partition_count(total)?;
        let first = self.partition(name, 0)?.target_replicas();
        let new = total - current as u32;
        match assignments {
            Some(lists) => {
                if lists.len() != new as usize {
                    return Err(Error::InvalidReplicaAssignment(format!(
                        "{} replica lists for the {new} new partitions",
                        lists.len()
                    )));
                }
                self.check_replica_lists(lists, first.len())?;
            }
            None => {
                self.check_replication_factor(first.len() as i32)?;
            }
        }
        if validate_only {
            return Ok(());
        }
        let added = match assignments {
            Some(lists) => lists.to_vec(),
            None => {
                let brokers = self.live_brokers();
                let first_leader = first.first().copied().unwrap_or(1);
                let start = brokers.iter().position(|&b| b >= first_leader).unwrap_or(0);
                assign_replicas(&brokers, new, first.len(), current as u32, start, start)
            }
        };
        self.add_partitions(name, added);
        Ok(())
    }

    /// Kafka's AlterPartitionReassignments for one partition (see `Controller::reassign`): `replicas` must name
    /// brokers of the cluster, each once; `None` cancels the move under way.
    pub fn reassign_partition(
        &mut self,
        topic: &str,
        partition: i32,
        replicas: Option<Vec<BrokerId>>,
        now_ms: i64,
    ) -> Result<()> {
        let id = self.partition(topic, partition)?.partition.clone();
        if let Some(replicas) = &replicas {
            self.check_replicas(replicas)?;
        }
        self.advance_clock(now_ms);
        self.replication.reassign(&id, replicas, self.now_ms)?;
        self.collect_acks();
        self.record_changes();
        Ok(())
    }

    /// Kafka's ListPartitionReassignments: the partitions asked about (each topic's named ones, or every
    /// partition with `None`) that are being moved.
    pub fn ongoing_reassignments(&self, topics: Option<&[(String, Vec<u32>)]>) -> Vec<OngoingReassignment> {
        self.replication
            .controller
            .partitions()
            .filter(|p| p.is_moving())
            .filter(|p| {
                let (topic, partition) = &p.partition;
                topics.is_none_or(|asked| asked.iter().any(|(t, ps)| t == topic && ps.contains(partition)))
            })
            .map(|p| OngoingReassignment {
                topic: p.partition.0.clone(),
                partition: p.partition.1,
                replicas: p.replicas.clone(),
                adding_replicas: p.adding.clone(),
                removing_replicas: p.removing.clone(),
            })
            .collect()
    }

    /// Kafka's Metadata for all topics (internal ones included), by name.
    pub fn metadata(&self) -> Vec<TopicMetadata> {
        self.topics.values().map(|t| self.describe(t)).collect()
    }

    /// Kafka's Metadata for one topic.
    pub fn describe_topic(&self, name: &str) -> Result<TopicMetadata> {
        Ok(self.describe(self.topic(name)?))
    }

    fn describe(&self, topic: &Topic) -> TopicMetadata {
        let name = topic.name.as_str();
        let partitions = (0..topic.partition_count)
            .filter_map(|i| {
                let p = self.replication.controller.partition(&(name.to_owned(), i))?;
                let log = |b: &BrokerId| self.replica_log(name, i, *b);
                let leader_log = p.leader.as_ref().and_then(log);
                Some(PartitionMetadata {
                    partition: i,
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    offline_replicas: p.replicas.iter().copied().filter(|b| !self.replication.is_up(*b)).collect(),
                    log_start_offset: leader_log.map_or(0, PartitionLog::log_start_offset),
                    high_watermark: leader_log.map_or(0, visible_high_watermark),
                    replica_log_end_offsets: p
                        .replicas
                        .iter()
                        .map(|b| log(b).map_or(0, PartitionLog::log_end_offset))
                        .collect(),
                    replica_high_watermarks: p
                        .replicas
                        .iter()
                        .map(|b| log(b).map_or(0, visible_high_watermark))
                        .collect(),
                })
            })
            .collect();
        TopicMetadata {
            name: name.to_owned(),
            is_internal: topic.name.is_internal(),
            config: topic.config.clone(),
            partitions,
        }
    }

    /// Kafka's DescribeConfigs for a topic.
    pub fn describe_configs(&self, name: &str) -> Result<Vec<ConfigEntry>> {
        Ok(self.topic(name)?.config.entries())
    }

    /// Kafka's IncrementalAlterConfigs: sets (`Some`) or resets to default (`None`) each named config. All or
    /// nothing; with `validate_only`, nothing either way.
    pub fn alter_configs(
        &mut self,
        name: &str,
        changes: &[(String, Option<String>)],
        validate_only: bool,
    ) -> Result<()> {
        let mut config = self.topic(name)?.config.clone();
        for (key, value) in changes {
            match value {
                Some(v) => config.set(key, v)?,
                None => config.reset(key)?,
            }
        }
        if !validate_only {
            self.replication.set_topic_config(name, &config, self.now_ms);
            self.topic_mut(name)?.config = config;
            self.journal_topic(name);
            self.record_changes();
        }
        Ok(())
    }
}

/// The high watermark consumers see: what replication committed, but only as far as this replica's storage
/// has it, so nothing a crash could take back is ever read.
pub(super) fn visible_high_watermark(log: &PartitionLog) -> i64 {
    log.high_watermark().min(log.durable_end_offset()).max(log.log_start_offset())
}
