//! The cluster: brokers, topic metadata with replica placement, and the admin and data operations.

mod broker_configs;
mod data;
mod faults;
mod metadata;
mod offsets;
mod offsets_topic;
mod persist;
mod placement;
mod security;
mod state;
mod txn;

pub use broker_configs::BROKER_CONFIG_NAMES;
pub use data::{FetchResult, PendingAck, ProduceResult, ReplicaCleanup, Served};
pub use faults::UncleanElection;
pub use metadata::{BrokerId, BrokerInfo, NewTopic, PartitionMetadata, TopicMetadata};
pub use offsets::{lag, CommittedOffset, MAX_METADATA_BYTES};
pub use offsets_topic::{partition_for as offsets_partition_for, OFFSETS_TOPIC_PARTITIONS};
pub use persist::{PendingWrite, Repair, RECORD_EVERY_BYTES};
pub use placement::assign_replicas;
pub use state::{Cluster, MAX_PARTITIONS, SESSION_TIMEOUT_MS, TAB_TIMING};
