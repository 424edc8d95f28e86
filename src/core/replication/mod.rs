//! Replication as Kafka does it, between independent state machines that talk only by messages: brokers that
//! lead or follow each partition's replicas, and a controller (KRaft's role) that tracks broker liveness by
//! heartbeats, elects leaders and records ISR changes. Sans-IO: each machine takes a message or a tick with
//! `now_ms` and returns the messages to send; a shell (or the simulator in `sim`) delivers them.
//!
//! The rules, each with Kafka's name:
//! - followers fetch from the leader (`FetchRequest` with the follower's LEO and last fetched epoch); the leader
//!   tracks each follower's LEO, and the high watermark is the smallest LEO over the ISR;
//! - a follower that has not caught up within `replica.lag.time.max.ms` leaves the ISR, and rejoins once it has
//!   caught up to the high watermark (`AlterPartition`, applied by the controller only for the current epoch);
//! - a follower whose log diverges from a new leader's truncates where they agree (leader epochs, KIP-101/279);
//! - acks=all waits for the high watermark; it needs `min.insync.replicas` in the ISR (`NOT_ENOUGH_REPLICAS`),
//!   and fails with `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the ISR shrinks below it before the write is in;
//! - a dead leader is replaced by an ISR member with a bumped leader epoch; with every ISR member dead the
//!   partition stays offline unless `unclean.leader.election.enable`; a returning preferred replica leads again
//!   once it is back in the ISR.

mod broker;
mod controller;
mod local;
pub mod sim;

use bytes::Bytes;

pub use broker::{Acks, Broker, Completed, ProduceOutcome, ReplicaView, StorageEvent, Timing};
pub use controller::Controller;
pub use local::LocalCluster;

use crate::core::error::Error;
use crate::core::log::EpochEnd;

pub type BrokerId = i32;

/// A partition: topic and index.
pub type PartitionId = (String, u32);

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Broker(BrokerId),
    Controller,
}

/// What the controller decided about a partition: Kafka's PartitionRecord / LeaderAndIsr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: PartitionId,
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: i32,
    pub isr: Vec<BrokerId>,
    /// Bumped by every change, so a broker can tell a newer state from an older one.
    pub partition_epoch: i32,
    pub min_insync_replicas: usize,
    /// A reassignment under way (KIP-455): replicas joining, which `replicas` already lists and which must
    /// catch up into the ISR, and replicas leaving once they have. Both empty otherwise.
    pub adding: Vec<BrokerId>,
    pub removing: Vec<BrokerId>,
}

impl PartitionState {
    /// A reassignment is under way.
    pub fn is_moving(&self) -> bool {
        !self.adding.is_empty() || !self.removing.is_empty()
    }

    /// The replicas a reassignment under way moves to (`replicas` once it is done).
    pub fn target_replicas(&self) -> Vec<BrokerId> {
        self.replicas.iter().copied().filter(|b| !self.removing.contains(b)).collect()
    }

    /// The replicas before a reassignment under way (`replicas` when none is).
    pub fn original_replicas(&self) -> Vec<BrokerId> {
        self.replicas.iter().copied().filter(|b| !self.adding.contains(b)).collect()
    }
}

/// What a leader answers a follower's fetch with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchData {
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub batches: Vec<Bytes>,
    /// The follower's log diverges from the leader's: where the follower's last fetched epoch ends on the leader.
    pub diverging: Option<EpochEnd>,
}

/// A follower's fetch of one partition (Kafka's replica FetchRequest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaFetch {
    pub replica: BrokerId,
    /// Rises with every fetch a broker sends, so a late or repeated fetch is recognised and ignored, and an answer
    /// is matched to its request (what a TCP connection gives Kafka).
    pub fetch_id: u64,
    pub leader_epoch: i32,
    pub fetch_offset: i64,
    pub last_fetched_epoch: i32,
    /// The follower's log start (Kafka's FetchRequest carries it too).
    pub log_start_offset: i64,
    /// The partition epoch of the state the follower fetches under. A fetch sent before its replica was
    /// reassigned away and back (dropped, then made again) carries an older one than the leader's, so it never
    /// vouches for the new replica (KIP-903 fences a restarted broker's stale fetches the same way).
    pub partition_epoch: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Broker → controller: this broker is alive (Kafka's BrokerHeartbeat), and the partition epoch it knows
    /// of each partition it hosts; the controller answers with every state it has missed (KRaft brokers catch up
    /// on the metadata log the same way), so a lost state message is never lost for good.
    Heartbeat { broker: BrokerId, known: Vec<(PartitionId, i32)> },
    /// Controller → broker: the state of a partition it hosts.
    State(PartitionState),
    /// Follower → leader (Kafka's replica FetchRequest).
    Fetch { partition: PartitionId, fetch: ReplicaFetch },
    /// Leader → follower.
    FetchReply { partition: PartitionId, fetch_id: u64, leader_epoch: i32, result: Result<FetchData, Error> },
    /// Leader → controller: the ISR it wants (Kafka's AlterPartition), valid only for its leader epoch.
    AlterIsr { partition: PartitionId, leader: BrokerId, leader_epoch: i32, partition_epoch: i32, isr: Vec<BrokerId> },
}

/// Kafka's RackAwareReplicaSelector (KIP-392): the replica a consumer in `client_rack` reads from: the leader
/// if it shares the rack (or the consumer has none), else an in-sync replica that does, else the leader.
pub fn preferred_read_replica(
    state: &PartitionState,
    racks: &std::collections::BTreeMap<BrokerId, String>,
    client_rack: Option<&str>,
) -> Option<BrokerId> {
    let leader = state.leader?;
    let Some(rack) = client_rack else { return Some(leader) };
    let in_rack = |b: &BrokerId| racks.get(b).is_some_and(|r| r == rack);
    if in_rack(&leader) {
        return Some(leader);
    }
    Some(state.isr.iter().copied().find(in_rack).unwrap_or(leader))
}

/// A message on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub from: Node,
    pub to: Node,
    pub message: Message,
}
