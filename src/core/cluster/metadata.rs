//! What the cluster reports about itself: Kafka's Metadata response, shaped for replication.

use crate::core::topic::TopicConfig;

/// Brokers are numbered 1..=N, as in a Kafka quick start.
pub type BrokerId = i32;

/// A broker as Metadata reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: BrokerId,
    /// The rack (availability zone) for follower fetching, if set.
    pub rack: Option<String>,
    pub alive: bool,
}

/// One partition as Metadata reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    pub partition: u32,
    /// The broker that takes writes; `None` while the partition is offline.
    pub leader: Option<BrokerId>,
    /// Bumped at every leader change, and stamped on every batch the leader appends.
    pub leader_epoch: i32,
    /// All assigned replicas; the first is the preferred leader.
    pub replicas: Vec<BrokerId>,
    /// The replicas caught up with the leader.
    pub isr: Vec<BrokerId>,
    /// Assigned replicas whose broker is down.
    pub offline_replicas: Vec<BrokerId>,
    pub log_start_offset: i64,
    pub high_watermark: i64,
    /// Log end offset of each replica, in `replicas` order.
    pub replica_log_end_offsets: Vec<i64>,
    /// The high watermark each replica knows, in `replicas` order (a follower learns it from its fetches).
    pub replica_high_watermarks: Vec<i64>,
}

/// One topic as Metadata reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicMetadata {
    pub name: String,
    pub is_internal: bool,
    pub config: TopicConfig,
    pub partitions: Vec<PartitionMetadata>,
}

/// A CreateTopics request for one topic. `-1` for partitions or replication factor means the cluster default,
/// as in Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i32,
    pub configs: Vec<(String, String)>,
    /// Kafka's manual replica assignment: each partition (numbered 0 on, every one once) and its brokers, the
    /// first its preferred leader. With it, the partition count and replication factor must be -1.
    pub assignment: Option<Vec<(i32, Vec<BrokerId>)>>,
}

impl NewTopic {
    pub fn new(name: impl Into<String>, num_partitions: i32, replication_factor: i32) -> Self {
        NewTopic { name: name.into(), num_partitions, replication_factor, configs: Vec::new(), assignment: None }
    }

    /// This topic with its replicas placed by hand (Kafka's `replicaAssignment`); partition count and
    /// replication factor come from it.
    pub fn assigned(mut self, assignment: Vec<(i32, Vec<BrokerId>)>) -> Self {
        (self.num_partitions, self.replication_factor, self.assignment) = (-1, -1, Some(assignment));
        self
    }

    pub fn config(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((name.into(), value.into()));
        self
    }
}
