//! Consumer groups: the coordinator of Kafka's classic group protocol, and the partition assignors a group's
//! leader runs.

pub mod assignors;
pub mod consumer_protocol;
mod coordinator;
pub mod link;
mod member;
pub mod sim;

pub use assignors::{Assignor, GroupProtocol, Subscription, TopicPartition};
pub use coordinator::{
    Coordinator, GroupDescription, GroupState, Join, Joined, Reply, MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS,
};
pub use member::{Action, GroupMember, MemberConfig, MemberState};
