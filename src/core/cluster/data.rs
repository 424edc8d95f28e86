//! The data path: Produce, Fetch, ListOffsets, and the periodic cleanup `tick`.
//!
//! Until the replication protocol lands, followers copy the leader synchronously inside each produce, through
//! the same read-from-LEO / append-with-offsets path a follower fetch will use; the high watermark is then the
//! smallest log end offset in the ISR, which is Kafka's rule.

use bytes::Bytes;

use super::metadata::BrokerId;
use super::state::{Cluster, PartitionState};
use crate::core::error::{Error, Result};
use crate::core::log::{AppendInfo, Cleanup, OffsetAndTimestamp, OffsetSpec, PartitionLog, ProducerBatch, StoredBatch};
use crate::core::record::Record;
use crate::core::storage::ReplicaKey;
use crate::core::topic::TopicConfig;

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
    /// Set when the batches at the offset live only in storage: load them with
    /// `load_batches(replica, offset, max_bytes)` and pass them to [`Cluster::serve_from_storage`].
    pub in_storage: Option<ReplicaKey>,
}

/// Batches read back from storage, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub batches: Vec<Bytes>,
    /// What was wrong, when a stored batch failed its check: the replica is now truncated before it.
    pub corruption: Option<String>,
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

    /// Kafka's Produce for one partition: appends `records` (RecordBatch v2 bytes a client built) at the leader.
    /// In a persistent cluster the records become visible (below the high watermark) only once storage has them.
    pub fn produce(&mut self, topic: &str, partition: i32, records: &Bytes, now_ms: i64) -> Result<ProduceResult> {
        self.produce_with(topic, partition, |log, epoch, config| log.append_as_leader(records, epoch, config, now_ms))
    }

    /// Produce for a producer in the same module: the leader builds the batch from `records` itself, sealing its
    /// CRC once, instead of checking bytes it would have just written. Same rules, same result.
    /// `producer` carries an idempotent producer's id, epoch and base sequence for this batch.
    pub fn produce_records(
        &mut self,
        topic: &str,
        partition: i32,
        records: Vec<Record>,
        producer: Option<ProducerBatch>,
        now_ms: i64,
    ) -> Result<ProduceResult> {
        self.produce_with(topic, partition, |log, epoch, config| {
            log.append_records_as_leader(records, producer, epoch, config, now_ms)
        })
    }

    fn produce_with(
        &mut self,
        topic: &str,
        partition: i32,
        append: impl FnOnce(&mut PartitionLog, i32, &TopicConfig) -> Result<AppendInfo>,
    ) -> Result<ProduceResult> {
        self.partition_state(topic, partition)?;
        let persistent = self.is_persistent();
        let t = self.topic_mut(topic)?;
        let (config, p) = (&t.config, &mut t.partitions[partition as usize]);
        let leader = p
            .leader
            .ok_or_else(|| Error::LeaderNotAvailable(format!("partition {topic}-{partition} has no leader")))?;
        let epoch = p.leader_epoch;
        let log = p.logs.get_mut(&leader).ok_or_else(|| missing_replica(topic, partition, leader))?;
        let info = append(log, epoch, config)?;
        let log_start_offset = log.log_start_offset();
        if info.duplicate {
            // A retry of a batch already written: the original offsets, and nothing new to copy or store.
            return Ok(ProduceResult {
                base_offset: info.base_offset,
                log_append_time: -1,
                log_start_offset,
                appended: Vec::new(),
            });
        }
        let mut written = vec![(leader, info.appended.clone())];
        written.extend(replicate(p, leader));
        if !persistent {
            for log in p.logs.values_mut() {
                log.mark_durable(log.log_end_offset());
            }
        }
        p.advance_high_watermark();
        for (broker, batches) in &written {
            self.journal_batches(topic, partition as u32, *broker, batches);
        }
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
        let mut result = FetchResult {
            high_watermark: log.high_watermark(),
            log_start_offset: log.log_start_offset(),
            batches: Vec::new(),
            in_storage: None,
        };
        if offset >= log.log_start_offset() && offset <= log.log_end_offset() && !log.in_memory(offset) {
            let leader = self.partition_state(topic, partition)?.leader.unwrap_or_default();
            result.in_storage = Some(ReplicaKey::new(leader, topic, partition as u32));
        } else {
            result.batches = log.read(offset, max_bytes, log.high_watermark())?;
        }
        Ok(result)
    }

    /// When the leader's log of a partition is partly in storage only: that replica, its log start and the high
    /// watermark, for lookups that must scan the whole log (ListOffsets by timestamp).
    pub fn leader_in_storage(&self, topic: &str, partition: i32) -> Result<Option<(ReplicaKey, i64, i64)>> {
        let p = self.partition_state(topic, partition)?;
        let log = self.leader_log(topic, partition)?;
        Ok((!log.is_whole()).then(|| {
            let replica = ReplicaKey::new(p.leader.unwrap_or_default(), topic, partition as u32);
            (replica, log.log_start_offset(), log.high_watermark())
        }))
    }

    /// Replicas whose oldest batches live only in storage while their topic's retention may delete some: the
    /// shell loads each one's head (`load_batches(replica, log_start, …)`) and passes it to
    /// [`Cluster::clean_head`]. With the in-memory window, [`Cluster::tick`] covers everything else.
    pub fn heads_to_check(&self) -> Vec<(ReplicaKey, i64)> {
        let mut out = Vec::new();
        for t in self.topics.values() {
            let c = &t.config;
            if !c.cleanup_policy.delete || (c.retention_ms < 0 && c.retention_bytes < 0) {
                continue;
            }
            for (i, p) in t.partitions.iter().enumerate() {
                for (&broker, log) in p.logs.iter().filter(|(_, log)| !log.is_whole()) {
                    out.push((ReplicaKey::new(broker, t.name.as_str(), i as u32), log.log_start_offset()));
                }
            }
        }
        out
    }

    /// Applies retention to a replica's oldest batches, loaded from storage; returns how many went.
    pub fn clean_head(&mut self, replica: &ReplicaKey, loaded: Vec<(i64, Bytes)>, now_ms: i64) -> Result<usize> {
        // A batch that fails its check ends the head here; a fetch reaching it repairs the log.
        let head: Vec<StoredBatch> =
            loaded.into_iter().map_while(|(_, bytes)| StoredBatch::from_bytes(bytes).ok()).collect();
        let t = self.topic_mut(&replica.topic)?;
        let config = t.config.clone();
        let Some(log) = t.partitions.get_mut(replica.partition as usize).and_then(|p| p.logs.get_mut(&replica.broker))
        else {
            return Ok(0);
        };
        let removed = log.clean_head(&head, &config, now_ms);
        if !removed.is_empty() {
            self.journal_removed(&replica.topic, replica.partition, replica.broker, &removed);
        }
        Ok(removed.len())
    }

    /// How many batches of a partition's replicas are held in memory (the rest are in storage only).
    pub fn batches_in_memory(&self, topic: &str, partition: i32) -> Result<usize> {
        Ok(self.partition_state(topic, partition)?.logs.values().map(PartitionLog::batch_count).sum())
    }

    /// Checks batches a fetch had to load from storage (`(stored base offset, bytes)`, in order) and returns
    /// those a consumer may see. The first batch that fails its CRC, or is not stored under its own base offset,
    /// ends the replica there: the log is truncated before it and the deletion journaled, so nothing after a
    /// corruption is ever served as valid.
    pub fn serve_from_storage(&mut self, replica: &ReplicaKey, loaded: Vec<(i64, Bytes)>) -> Result<Served> {
        let (topic, partition) = (replica.topic.as_str(), replica.partition);
        let p = self.partition_state(topic, partition as i32)?;
        let hw = p.logs.get(&replica.broker).map_or(0, PartitionLog::high_watermark);
        let mut served = Served { batches: Vec::new(), corruption: None };
        for (base, bytes) in loaded {
            match StoredBatch::from_bytes(bytes) {
                Ok(b) if b.base_offset == base => {
                    if b.last_offset >= hw {
                        break;
                    }
                    served.batches.push(b.bytes);
                }
                checked => {
                    let why = match checked {
                        Err(e) => e.to_string(),
                        Ok(b) => format!("a batch with base offset {} is stored under {base}", b.base_offset),
                    };
                    served.corruption = Some(format!(
                        "{topic}-{partition} on broker {}: stored batch at offset {base} is corrupt ({why}); \
                         the replica is truncated to offset {base}",
                        replica.broker
                    ));
                    self.truncate_replica(replica, base);
                    break;
                }
            }
        }
        Ok(served)
    }

    /// Cuts a replica's log before `offset`, in memory and in storage.
    fn truncate_replica(&mut self, replica: &ReplicaKey, offset: i64) {
        let Some(p) =
            self.topics.get_mut(replica.topic.as_str()).and_then(|t| t.partitions.get_mut(replica.partition as usize))
        else {
            return;
        };
        if let Some(log) = p.logs.get_mut(&replica.broker) {
            log.truncate_to(offset);
        }
        p.advance_high_watermark();
        self.journal_truncation(replica, offset);
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
        for c in &done {
            self.journal_removed(&c.topic, c.partition, c.broker, &c.cleanup.removed);
            self.journal_batches(&c.topic, c.partition, c.broker, &c.cleanup.rewritten);
        }
        Ok(done)
    }
}

fn missing_replica(topic: &str, partition: i32, broker: BrokerId) -> Error {
    Error::ReplicaNotAvailable(format!("broker {broker} holds no replica of {topic}-{partition}"))
}

/// Brings every in-sync follower up to the leader's LEO; returns what each follower appended.
fn replicate(p: &mut PartitionState, leader: BrokerId) -> Vec<(BrokerId, Vec<StoredBatch>)> {
    let Some(leader_log) = p.logs.get(&leader) else { return Vec::new() };
    let mut copies = Vec::new();
    for &follower in p.isr.iter().filter(|&&b| b != leader) {
        let Some(log) = p.logs.get(&follower) else { continue };
        let from = log.log_end_offset().max(leader_log.log_start_offset());
        if let Ok(batches) = leader_log.read(from, usize::MAX, leader_log.log_end_offset()) {
            copies.push((follower, batches));
        }
    }
    let mut appended = Vec::new();
    for (follower, batches) in copies {
        let Some(log) = p.logs.get_mut(&follower) else { continue };
        let mut copied = Vec::new();
        for batch in batches.into_iter().filter_map(|b| StoredBatch::from_bytes(b).ok()) {
            // A batch the follower already has (it straddles the follower's LEO) is skipped.
            if batch.base_offset >= log.log_end_offset() {
                if log.append_with_offsets(batch.clone()).is_err() {
                    break;
                }
                copied.push(batch);
            }
        }
        appended.push((follower, copied));
    }
    appended
}
