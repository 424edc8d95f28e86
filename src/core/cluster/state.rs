//! The cluster's state and its admin operations: CreateTopics, DeleteTopics, CreatePartitions, Metadata,
//! DescribeConfigs and IncrementalAlterConfigs.
//!
//! Every operation validates fully before it changes anything, so a refused request leaves no trace.

use std::collections::BTreeMap;

use super::metadata::{BrokerId, BrokerInfo, NewTopic, PartitionMetadata, TopicMetadata};
use super::offsets::GroupOffsets;
use super::persist::Journal;
use super::placement::assign_replicas;
use crate::core::error::{Error, Result};
use crate::core::groups::Coordinator;
use crate::core::log::PartitionLog;
use crate::core::rng::SplitMix64;
use crate::core::topic::{ConfigEntry, TopicConfig, TopicName};

/// The most partitions one topic may have in franz: a browser tab's memory is the limit Kafka's brokers do
/// not have.
pub const MAX_PARTITIONS: i32 = 1000;

/// One partition: its assignment, leadership, and the log of each replica.
#[derive(Debug, Clone)]
pub(super) struct PartitionState {
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: i32,
    pub isr: Vec<BrokerId>,
    pub logs: BTreeMap<BrokerId, PartitionLog>,
}

impl PartitionState {
    /// Kafka's rule: the high watermark is the smallest log end in the ISR. franz counts only durable offsets,
    /// so nothing a crash could take back is ever visible.
    pub(super) fn advance_high_watermark(&mut self) {
        let hw = self.isr.iter().filter_map(|b| self.logs.get(b)).map(PartitionLog::durable_end_offset).min();
        for log in self.logs.values_mut() {
            log.set_high_watermark(hw.unwrap_or(0));
        }
    }

    fn new(replicas: Vec<BrokerId>) -> Self {
        PartitionState {
            leader: replicas.first().copied(),
            leader_epoch: 0,
            isr: replicas.clone(),
            logs: replicas.iter().map(|&b| (b, PartitionLog::new())).collect(),
            replicas,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Topic {
    pub name: TopicName,
    pub config: TopicConfig,
    pub partitions: Vec<PartitionState>,
}

/// A franz cluster: brokers, topics and every replica's log.
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
    rng: SplitMix64,
}

impl Cluster {
    /// A cluster of `brokers` live brokers with ids 1..=brokers. `seed` drives replica placement.
    pub fn new(brokers: i32, seed: u64) -> Cluster {
        Cluster {
            brokers: (1..=brokers.max(1)).map(|id| (id, BrokerInfo { id, rack: None, alive: true })).collect(),
            topics: BTreeMap::new(),
            default_partitions: 1,
            default_replication_factor: 1,
            offsets: GroupOffsets::new(),
            journal: None,
            next_producer_id: 0,
            groups: Coordinator::new(),
            rng: SplitMix64::new(seed),
        }
    }

    pub fn brokers(&self) -> impl Iterator<Item = &BrokerInfo> {
        self.brokers.values()
    }

    fn live_brokers(&self) -> Vec<BrokerId> {
        self.brokers.values().filter(|b| b.alive).map(|b| b.id).collect()
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

    fn create_topic_named(&mut self, name: TopicName, request: &NewTopic, validate_only: bool) -> Result<()> {
        if self.topics.contains_key(&name) {
            return Err(Error::TopicAlreadyExists(format!("topic {name:?} already exists")));
        }
        if let Some(other) = self.topics.keys().find(|t| t.collides_with(&name)) {
            return Err(Error::InvalidTopicException(format!(
                "topic {name:?} collides with existing topic {other:?}: '.' and '_' are the same in metric names"
            )));
        }
        let partitions = self.check_partition_count(request.num_partitions)?;
        let rf = self.check_replication_factor(request.replication_factor)?;
        let config = TopicConfig::from_entries(&request.configs)?;
        if validate_only {
            return Ok(());
        }
        let brokers = self.live_brokers();
        let (start, shift) = (self.rng.below(brokers.len()), self.rng.below(brokers.len()));
        let assignment = assign_replicas(&brokers, partitions, rf, 0, start, shift);
        let partitions = assignment.iter().cloned().map(PartitionState::new).collect();
        self.topics.insert(name.clone(), Topic { name: name.clone(), config, partitions });
        self.journal_topic(name.as_str());
        for (i, replicas) in assignment.iter().enumerate() {
            for &b in replicas {
                self.journal_replica(name.as_str(), i as u32, b);
            }
        }
        Ok(())
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
        let offsets: Vec<(String, u32)> =
            self.offsets.keys().filter(|(_, t, _)| t == name).map(|(g, _, p)| (g.clone(), *p)).collect();
        if let Some(topic) = self.topics.remove(name) {
            self.journal_deleted_topic(&topic, &offsets);
        }
        self.offsets.retain(|(_, topic, _), _| topic != name);
        Ok(())
    }

    /// Kafka's CreatePartitions: grows a topic to `total` partitions. Existing partitions keep their data and
    /// assignment; new ones continue Kafka's placement from the first partition's leader.
    pub fn create_partitions(&mut self, name: &str, total: i32, validate_only: bool) -> Result<()> {
        let topic = self.topic(name)?;
        let current = topic.partitions.len() as i32;
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
        let rf = topic.partitions[0].replicas.len();
        self.check_replication_factor(rf as i32)?;
        if validate_only {
            return Ok(());
        }
        let brokers = self.live_brokers();
        let first_leader = topic.partitions[0].replicas[0];
        let start = brokers.iter().position(|&b| b >= first_leader).unwrap_or(0);
        let added = assign_replicas(&brokers, total - current as u32, rf, current as u32, start, start);
        self.topic_mut(name)?.partitions.extend(added.iter().cloned().map(PartitionState::new));
        self.journal_topic(name);
        for (i, replicas) in added.iter().enumerate() {
            for &b in replicas {
                self.journal_replica(name, current as u32 + i as u32, b);
            }
        }
        Ok(())
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
        let partitions = topic
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let leader_log = p.leader.and_then(|l| p.logs.get(&l));
                PartitionMetadata {
                    partition: i as u32,
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    offline_replicas: p
                        .replicas
                        .iter()
                        .copied()
                        .filter(|b| !self.brokers.get(b).is_some_and(|b| b.alive))
                        .collect(),
                    log_start_offset: leader_log.map_or(0, PartitionLog::log_start_offset),
                    high_watermark: leader_log.map_or(0, PartitionLog::high_watermark),
                    replica_log_end_offsets: p
                        .replicas
                        .iter()
                        .map(|b| p.logs.get(b).map_or(0, PartitionLog::log_end_offset))
                        .collect(),
                }
            })
            .collect();
        TopicMetadata {
            name: topic.name.to_string(),
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
            self.topic_mut(name)?.config = config;
            self.journal_topic(name);
        }
        Ok(())
    }
}
