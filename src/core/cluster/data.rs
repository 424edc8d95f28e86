//! The data path: Produce, Fetch, ListOffsets, and the periodic cleanup `tick`.
//!
//! Until the replication protocol lands, followers copy the leader synchronously inside each produce, through
//! the same read-from-LEO / append-with-offsets path a follower fetch will use; the high watermark is then the
//! smallest log end offset in the ISR, which is Kafka's rule.

use bytes::Bytes;

use super::metadata::BrokerId;
use super::state::{Cluster, PartitionState};
use crate::core::error::{Error, Result};
use crate::core::log::{Cleanup, OffsetAndTimestamp, OffsetSpec, PartitionLog, StoredBatch};

/// Kafka's ProduceResponse for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResult {
    pub base_offset: i64,
    /// The broker's timestamp for LogAppendTime topics; -1 otherwise.
    pub log_append_time: i64,
    pub log_start_offset: i64,
    /// The batches as the leader stored them, for the shell to persist.
    pub appended: Vec<StoredBatch>,
}

/// Kafka's FetchResponse for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResult {
    pub high_watermark: i64,
    pub log_start_offset: i64,
    /// Whole RecordBatch v2 buffers; the first may start before the fetch offset, as in Kafka.
    pub batches: Vec<Bytes>,
}

/// Cleanup done on one replica during a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaCleanup {
    pub topic: String,
    pub partition: u32,
    pub broker: BrokerId,
    pub cleanup: Cleanup,
}

impl Cluster {
    fn partition_state(&self, topic: &str, partition: i32) -> Result<&PartitionState> {
        let t = self.topic(topic)?;
        usize::try_from(partition).ok().and_then(|p| t.partitions.get(p)).ok_or_else(|| {
            Error::UnknownTopicOrPartition(format!(
                "partition {partition} of topic {topic:?} does not exist (it has {})",
                t.partitions.len()
            ))
        })
    }

    fn leader_log(&self, topic: &str, partition: i32) -> Result<&PartitionLog> {
        let p = self.partition_state(topic, partition)?;
        p.leader
            .and_then(|l| p.logs.get(&l))
            .ok_or_else(|| Error::LeaderNotAvailable(format!("partition {topic}-{partition} has no leader right now")))
    }

    /// Kafka's Produce for one partition: appends `records` (RecordBatch v2 bytes) at the leader.
    pub fn produce(&mut self, topic: &str, partition: i32, records: &Bytes, now_ms: i64) -> Result<ProduceResult> {
        self.partition_state(topic, partition)?;
        let t = self.topic_mut(topic)?;
        let (config, p) = (&t.config, &mut t.partitions[partition as usize]);
        let leader = p
            .leader
            .ok_or_else(|| Error::LeaderNotAvailable(format!("partition {topic}-{partition} has no leader")))?;
        let epoch = p.leader_epoch;
        let log = p.logs.get_mut(&leader).ok_or_else(|| missing_replica(topic, partition, leader))?;
        let info = log.append_as_leader(records, epoch, config, now_ms)?;
        let log_start_offset = log.log_start_offset();
        replicate(p, leader);
        Ok(ProduceResult {
            base_offset: info.base_offset,
            log_append_time: info.log_append_time.unwrap_or(-1),
            log_start_offset,
            appended: info.appended,
        })
    }

    /// Kafka's Fetch for one partition, as a consumer: whole batches from `offset`, below the high watermark.
    pub fn fetch(&self, topic: &str, partition: i32, offset: i64, max_bytes: usize) -> Result<FetchResult> {
        let log = self.leader_log(topic, partition)?;
        Ok(FetchResult {
            high_watermark: log.high_watermark(),
            log_start_offset: log.log_start_offset(),
            batches: log.read(offset, max_bytes, log.high_watermark())?,
        })
    }

    /// Kafka's ListOffsets for one partition. `None` means no record matches (Kafka answers -1).
    pub fn list_offsets(&self, topic: &str, partition: i32, spec: OffsetSpec) -> Result<Option<OffsetAndTimestamp>> {
        self.leader_log(topic, partition)?.list_offset(spec)
    }

    /// Periodic work at time `now_ms`: retention and compaction on every replica, per its topic's config.
    pub fn tick(&mut self, now_ms: i64) -> Result<Vec<ReplicaCleanup>> {
        let mut done = Vec::new();
        for topic in self.topics.values_mut() {
            for (i, p) in topic.partitions.iter_mut().enumerate() {
                for (&broker, log) in p.logs.iter_mut() {
                    let cleanup = log.clean(&topic.config, now_ms)?;
                    if !cleanup.is_empty() {
                        done.push(ReplicaCleanup {
                            topic: topic.name.to_string(),
                            partition: i as u32,
                            broker,
                            cleanup,
                        });
                    }
                }
            }
        }
        Ok(done)
    }
}

fn missing_replica(topic: &str, partition: i32, broker: BrokerId) -> Error {
    Error::ReplicaNotAvailable(format!("broker {broker} holds no replica of {topic}-{partition}"))
}

/// Brings every in-sync follower up to the leader's LEO and sets the high watermark to the ISR's smallest LEO.
fn replicate(p: &mut PartitionState, leader: BrokerId) {
    let Some(leader_log) = p.logs.get(&leader) else { return };
    let mut copies = Vec::new();
    for &follower in p.isr.iter().filter(|&&b| b != leader) {
        let Some(log) = p.logs.get(&follower) else { continue };
        let from = log.log_end_offset().max(leader_log.log_start_offset());
        if let Ok(batches) = leader_log.read(from, usize::MAX, leader_log.log_end_offset()) {
            copies.push((follower, batches));
        }
    }
    for (follower, batches) in copies {
        let Some(log) = p.logs.get_mut(&follower) else { continue };
        for batch in batches.into_iter().filter_map(|b| StoredBatch::from_bytes(b).ok()) {
            // A batch the follower already has (it straddles the follower's LEO) is skipped.
            if batch.base_offset >= log.log_end_offset() && log.append_with_offsets(batch).is_err() {
                break;
            }
        }
    }
    let hw = p.isr.iter().filter_map(|b| p.logs.get(b)).map(PartitionLog::log_end_offset).min().unwrap_or(0);
    for log in p.logs.values_mut() {
        log.set_high_watermark(hw);
    }
}
