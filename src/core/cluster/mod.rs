//! The cluster: brokers, topic metadata with replica placement, and the admin and data operations.

mod data;
mod metadata;
mod offsets;
mod persist;
mod placement;
mod state;

pub use data::{FetchResult, ProduceResult, ReplicaCleanup, Served};
pub use metadata::{BrokerId, BrokerInfo, NewTopic, PartitionMetadata, TopicMetadata};
pub use offsets::{lag, CommittedOffset, MAX_METADATA_BYTES};
pub use persist::PendingWrite;
pub use placement::assign_replicas;
pub use state::{Cluster, MAX_PARTITIONS};
