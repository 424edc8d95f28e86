//! Making the cluster durable, without doing any I/O.
//!
//! Every change queues [`StorageOp`]s in a journal. The shell takes them as one [`PendingWrite`], applies it
//! atomically (one IndexedDB transaction, acknowledging nothing before it commits) and reports back with
//! [`Cluster::write_done`]: only then do the written offsets count as durable, and only durable offsets in
//! every in-sync replica move the high watermark. A consumer therefore never sees a record a crash could take
//! back. If a write fails, the shell fails every unacknowledged request and reopens the cluster from storage,
//! which holds exactly what was acknowledged.
//!
//! Metadata records (JSON, small):
//! - `cluster`: brokers and defaults;
//! - `topic/<name>`: config overrides and each partition's replicas, leader, epoch and ISR;
//! - `replica/<topic>/<partition>/<broker>`: log start offset, size, producer state, epochs, aborted transactions,
//!   high watermark and the log end it counts (its recovery point): written every `RECORD_EVERY_BYTES` appended,
//!   when the log is cut, and at close; a reopening replays what was appended after it;
//! - `offset/<topic>/<partition>/<group>`: a committed offset (group last: group ids may contain '/').

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::metadata::{BrokerId, BrokerInfo};
use super::offsets::CommittedOffset;
use super::state::{Cluster, Topic};
use crate::core::acl::scram_users::ScramUsers;
use crate::core::acl::Acls;
use crate::core::error::{Error, Result};
use crate::core::log::{AbortedTxn, LeaderEpochs, PartitionLog, ProducerStates, StoredBatch};
use crate::core::replication::{PartitionId, PartitionState, StorageEvent};
use crate::core::storage::{ReplicaKey, StorageOp};
use crate::core::topic::{TopicConfig, TopicName};

const FORMAT_VERSION: u32 = 1;

/// Bytes a replica appends before its record is written again. In between, a produce writes its batches alone,
/// and what appends change (size, producer state, epochs) is rebuilt on reopening from the batches after the
/// record's end offset, as Kafka recovers a log from its recovery point. A record per produce cost a second
/// IndexedDB put in every transaction (~8% of a one-at-a-time durable produce, measured).
pub const RECORD_EVERY_BYTES: usize = 1 << 20;

#[derive(Serialize, Deserialize)]
struct ClusterRecord {
    version: u32,
    brokers: Vec<(BrokerId, Option<String>)>,
    default_partitions: i32,
    default_replication_factor: i32,
}

#[derive(Serialize, Deserialize)]
struct TopicRecord {
    name: String,
    configs: Vec<(String, String)>,
    partitions: Vec<PartitionRecord>,
}

#[derive(Serialize, Deserialize)]
struct PartitionRecord {
    replicas: Vec<BrokerId>,
    leader: Option<BrokerId>,
    leader_epoch: i32,
    isr: Vec<BrokerId>,
    #[serde(default)]
    partition_epoch: i32,
    /// A reassignment under way: the replicas joining and leaving.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    adding: Vec<BrokerId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removing: Vec<BrokerId>,
}

#[derive(Serialize, Deserialize)]
struct ReplicaRecord {
    log_start_offset: i64,
    /// Where the stored batches may begin, when DeleteRecords left some below the log start (`None`: at it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    storage_start: Option<i64>,
    size_bytes: usize,
    /// Idempotent producers' recent batches: written with every produce, so deduplication survives a reopen.
    #[serde(default)]
    producers: ProducerStates,
    /// The leader epoch cache (Kafka's leader-epoch-checkpoint), so a reopened replica can still find where it
    /// diverges from a new leader.
    #[serde(default)]
    epochs: LeaderEpochs,
    /// The aborted transactions (Kafka's transaction index), for `read_committed` fetches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aborted: Vec<AbortedTxn>,
    /// The high watermark this replica knew when the record was written (Kafka's replication-offset-checkpoint):
    /// a reopened replica shows no more than this until its leader says otherwise.
    #[serde(default)]
    high_watermark: Option<i64>,
    /// The log end offset when the record was written (Kafka's recovery point): the batches from it on are
    /// replayed on reopening. Absent from records written with every append, as older versions did.
    #[serde(default)]
    end_offset: Option<i64>,
}

/// What a reopening replica's record says beyond what its log is reopened with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checkpoint {
    high_watermark: Option<i64>,
    end_offset: Option<i64>,
}

/// A stored batch that cannot be read back: the op that cuts it and every batch after it from storage, and what
/// to tell the user.
#[derive(Debug)]
pub struct Repair {
    pub cut: StorageOp,
    pub warning: String,
}

#[derive(Serialize, Deserialize)]
struct ProducerIdsRecord {
    next: i64,
}

#[derive(Serialize, Deserialize)]
struct OffsetRecord {
    offset: i64,
    metadata: Option<String>,
}

/// Which replica, within the cluster's maps.
type ReplicaId = (String, u32, BrokerId);

/// A write for the shell to apply atomically, and the offsets it makes durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub ops: Vec<StorageOp>,
    durable: Vec<(ReplicaId, i64)>,
}

/// The journal of a persistent cluster: ops not yet handed out, and the replicas they touch.
#[derive(Debug, Clone, Default)]
pub(super) struct Journal {
    ops: Vec<StorageOp>,
    touched: BTreeSet<ReplicaId>,
    /// Bytes each replica appended since its record was last journaled.
    unrecorded: BTreeMap<ReplicaId, usize>,
    /// Bytes of batches kept in memory per replica; older durable batches are read back from storage.
    pub window_budget: usize,
}

fn json<T: Serialize>(value: &T) -> Bytes {
    // These records are plain data with string keys: serialising them cannot fail.
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

fn parse<'a, T: Deserialize<'a>>(key: &str, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::KafkaStorageError(format!("metadata {key:?} is unreadable: {e}")))
}

fn topic_key(topic: &str) -> String {
    format!("topic/{topic}")
}

fn replica_key(topic: &str, partition: u32, broker: BrokerId) -> String {
    format!("replica/{topic}/{partition}/{broker}")
}

fn offset_key(topic: &str, partition: u32, group: &str) -> String {
    format!("offset/{topic}/{partition}/{group}")
}

impl Cluster {
    /// A new cluster whose every change is journaled for storage. `window_budget` bounds the bytes each
    /// replica keeps in memory.
    pub fn persistent(brokers: i32, seed: u64, window_budget: usize) -> Cluster {
        let mut cluster = Cluster::new(brokers, seed);
        cluster.journal = Some(Journal { window_budget, ..Journal::default() });
        cluster.journal_cluster();
        cluster
    }

    pub fn is_persistent(&self) -> bool {
        self.journal.is_some()
    }

    fn push_op(&mut self, op: StorageOp) {
        if let Some(j) = self.journal.as_mut() {
            j.ops.push(op);
        }
    }

    pub(super) fn journal_cluster(&mut self) {
        let record = ClusterRecord {
            version: FORMAT_VERSION,
            brokers: self.brokers.values().map(|b| (b.id, b.rack.clone())).collect(),
            default_partitions: self.default_partitions,
            default_replication_factor: self.default_replication_factor,
        };
        self.push_op(StorageOp::PutMeta { key: "cluster".into(), value: json(&record) });
    }

    /// Records a topic's definition (after create, grow or config change) and its partitions as the controller
    /// decided them.
    pub(super) fn journal_topic(&mut self, name: &str) {
        let Some(t) = self.topics.get(name) else { return };
        let partitions = (0..t.partition_count)
            .filter_map(|i| self.replication.controller.partition(&(name.to_owned(), i)))
            .map(|p| PartitionRecord {
                replicas: p.replicas.clone(),
                leader: p.leader,
                leader_epoch: p.leader_epoch,
                isr: p.isr.clone(),
                partition_epoch: p.partition_epoch,
                adding: p.adding.clone(),
                removing: p.removing.clone(),
            })
            .collect();
        let record = TopicRecord { name: t.name.to_string(), configs: t.config.overrides(), partitions };
        self.push_op(StorageOp::PutMeta { key: topic_key(name), value: json(&record) });
    }

    /// Records a replica's log start, size, producers, epochs and high watermark, and marks it touched so the
    /// write makes it durable.
    pub(super) fn journal_replica(&mut self, topic: &str, partition: u32, broker: BrokerId) {
        let Some(log) = self.replica_log(topic, partition, broker) else { return };
        let record = ReplicaRecord {
            log_start_offset: log.log_start_offset(),
            storage_start: Some(log.storage_start()).filter(|&s| s < log.log_start_offset()),
            size_bytes: log.size_bytes(),
            producers: log.producer_states().clone(),
            epochs: log.leader_epochs().clone(),
            aborted: log.aborted_txns().to_vec(),
            high_watermark: Some(log.high_watermark()),
            end_offset: Some(log.log_end_offset()),
        };
        self.push_op(StorageOp::PutMeta { key: replica_key(topic, partition, broker), value: json(&record) });
        if let Some(j) = self.journal.as_mut() {
            let id = (topic.to_owned(), partition, broker);
            j.unrecorded.remove(&id);
            j.touched.insert(id);
        }
    }

    /// Journals the record of every replica that appended since its record was written: at close, so that a
    /// reopening replays nothing.
    pub fn checkpoint(&mut self) {
        let due: Vec<ReplicaId> =
            self.journal.as_ref().map_or_else(Vec::new, |j| j.unrecorded.keys().cloned().collect());
        for (topic, partition, broker) in due {
            self.journal_replica(&topic, partition, broker);
        }
    }

    /// Carries what replication changed to storage: batches brokers appended, logs they truncated to agree
    /// with a new leader, and the controller's decisions (leaders, epochs, ISRs). In a memory-only cluster,
    /// what was appended is as durable as it will ever be.
    pub(super) fn record_changes(&mut self) {
        let mut appended: BTreeMap<ReplicaId, Vec<StoredBatch>> = BTreeMap::new();
        let mut events = Vec::new();
        for (&b, broker) in self.replication.brokers.iter_mut() {
            events.extend(broker.take_storage_events().into_iter().map(|e| (b, e)));
        }
        let logs_changed = !events.is_empty();
        for (b, event) in events {
            match event {
                StorageEvent::Appended((topic, p), batch) => appended.entry((topic, p, b)).or_default().push(batch),
                StorageEvent::TruncatedTo((topic, p), offset) => {
                    // Batches appended before the cut and cut again must not be written after it.
                    if let Some(batches) = appended.get_mut(&(topic.clone(), p, b)) {
                        batches.retain(|batch| batch.base_offset < offset);
                    }
                    self.journal_truncation(&ReplicaKey::new(b, &topic, p), offset);
                }
                StorageEvent::Dropped((topic, p)) => {
                    appended.remove(&(topic.clone(), p, b));
                    self.journal_deleted_replica(&topic, p, b);
                }
                StorageEvent::StartMoved((topic, p), removed) => {
                    if let Some(batches) = appended.get_mut(&(topic.clone(), p, b)) {
                        batches.retain(|batch| !removed.contains(&batch.base_offset));
                    }
                    // The record carries the new log start, even when no whole batch went.
                    self.journal_removed(&topic, p, b, &removed);
                }
            }
        }
        let persistent = self.is_persistent();
        for ((topic, p, b), batches) in appended {
            if persistent {
                self.journal_batches(&topic, p, b, &batches);
            } else if let Some(log) = self.replica_log_mut(&topic, p, b) {
                log.mark_durable(log.log_end_offset());
            }
        }
        let decided: Vec<(PartitionId, i32, Vec<BrokerId>)> = self
            .replication
            .controller
            .partitions()
            .filter(|s| self.journaled_epochs.get(&s.partition) != Some(&s.partition_epoch))
            .map(|s| (s.partition.clone(), s.partition_epoch, s.replicas.clone()))
            .collect();
        if logs_changed || !decided.is_empty() {
            self.changes += 1;
        }
        let topics: BTreeSet<String> = decided.iter().map(|(id, _, _)| id.0.clone()).collect();
        for topic in topics {
            self.journal_topic(&topic);
        }
        for (id, epoch, replicas) in decided {
            // A leadership change also changed the leader's epoch cache.
            for b in replicas {
                self.journal_replica(&id.0, id.1, b);
            }
            self.journaled_epochs.insert(id, epoch);
        }
    }

    /// Records batches a replica appended or rewrote; its record too once `RECORD_EVERY_BYTES` were appended
    /// since the last (a rewrite is journaled with the removals, which write the record).
    pub(super) fn journal_batches(&mut self, topic: &str, partition: u32, broker: BrokerId, batches: &[StoredBatch]) {
        let replica = ReplicaKey::new(broker, topic, partition);
        for b in batches {
            self.push_op(StorageOp::PutBatch {
                replica: replica.clone(),
                base_offset: b.base_offset,
                bytes: b.bytes.clone(),
            });
        }
        let Some(j) = self.journal.as_mut() else { return };
        let id = (topic.to_owned(), partition, broker);
        j.touched.insert(id.clone());
        let unrecorded = j.unrecorded.entry(id).or_default();
        *unrecorded += batches.iter().map(StoredBatch::size).sum::<usize>();
        if *unrecorded >= RECORD_EVERY_BYTES {
            self.journal_replica(topic, partition, broker);
        }
    }

    /// Records batches a replica dropped (retention, compaction).
    pub(super) fn journal_removed(&mut self, topic: &str, partition: u32, broker: BrokerId, bases: &[i64]) {
        let replica = ReplicaKey::new(broker, topic, partition);
        for &base in bases {
            self.push_op(StorageOp::DeleteBatches { replica: replica.clone(), from: base, to: base + 1 });
        }
        self.journal_replica(topic, partition, broker);
    }

    /// Records that a replica's log was cut before `offset`.
    pub(super) fn journal_truncation(&mut self, replica: &ReplicaKey, offset: i64) {
        self.push_op(StorageOp::DeleteBatches { replica: replica.clone(), from: offset, to: i64::MAX });
        self.journal_replica(&replica.topic, replica.partition, replica.broker);
    }

    /// Records that a topic, its batches, replica records (`replicas`: each partition's) and committed offsets
    /// are gone.
    pub(super) fn journal_deleted_topic(&mut self, name: &str, replicas: &[Vec<BrokerId>]) {
        for (i, brokers) in replicas.iter().enumerate() {
            for &broker in brokers {
                self.journal_deleted_replica(name, i as u32, broker);
            }
        }
        self.push_op(StorageOp::DeleteMeta { key: topic_key(name) });
    }

    /// Records that a replica is gone, its batches and its record: its topic was deleted, or its partition
    /// reassigned away from its broker.
    pub(super) fn journal_deleted_replica(&mut self, topic: &str, partition: u32, broker: BrokerId) {
        if let Some(j) = self.journal.as_mut() {
            let id = (topic.to_owned(), partition, broker);
            j.unrecorded.remove(&id);
            j.touched.remove(&id);
        }
        let replica = ReplicaKey::new(broker, topic, partition);
        self.push_op(StorageOp::DeleteBatches { replica, from: i64::MIN, to: i64::MAX });
        self.push_op(StorageOp::DeleteMeta { key: replica_key(topic, partition, broker) });
    }

    /// Kafka's InitProducerId for an idempotent producer: a new id, never given out before (the counter is
    /// journaled with it), at epoch 0.
    pub fn init_producer_id(&mut self) -> (i64, i16) {
        let id = self.next_producer_id;
        self.next_producer_id += 1;
        let record = ProducerIdsRecord { next: self.next_producer_id };
        self.push_op(StorageOp::PutMeta { key: "producer-ids".into(), value: json(&record) });
        (id, 0)
    }

    /// Records every ACL (after a CreateAcls or DeleteAcls): one record, as a cluster keeps few.
    pub(super) fn journal_acls(&mut self) {
        let value = json(&self.acls);
        self.push_op(StorageOp::PutMeta { key: "acls".into(), value });
    }

    /// Records every stored SCRAM credential (after an AlterUserScramCredentials): one record, as for ACLs.
    pub(super) fn journal_scram_credentials(&mut self) {
        let value = json(&self.credentials.scram);
        self.push_op(StorageOp::PutMeta { key: "scram-credentials".into(), value });
    }

    /// Deletes a committed offset as clusters before `__consumer_offsets` stored it (a metadata record), should
    /// this cluster have one.
    pub(super) fn journal_legacy_offset_deleted(&mut self, (group, topic, partition): &(String, String, u32)) {
        self.push_op(StorageOp::DeleteMeta { key: offset_key(topic, *partition, group) });
    }

    /// Changes are journaled that no write has taken yet.
    pub fn has_pending_write(&self) -> bool {
        self.journal.as_ref().is_some_and(|j| !j.ops.is_empty())
    }

    /// Everything changed since the last call, as one write; `None` when nothing did. In a memory-only cluster
    /// there is never anything to write.
    pub fn take_write(&mut self) -> Option<PendingWrite> {
        let journal = self.journal.as_mut()?;
        if journal.ops.is_empty() {
            return None;
        }
        let ops = std::mem::take(&mut journal.ops);
        let touched = std::mem::take(&mut journal.touched);
        let durable = touched
            .into_iter()
            .filter_map(|id| Some((id.clone(), self.replica_log(&id.0, id.1, id.2)?.log_end_offset())))
            .collect();
        Some(PendingWrite { ops, durable })
    }

    /// Storage committed `write`: its offsets are durable (so visible below the high watermark), and memory
    /// beyond each replica's window budget is released.
    pub fn write_done(&mut self, write: &PendingWrite) {
        let budget = self.journal.as_ref().map_or(usize::MAX, |j| j.window_budget);
        for ((topic, partition, broker), leo) in &write.durable {
            if let Some(log) = self.replica_log_mut(topic, *partition, *broker) {
                log.mark_durable(*leo);
                log.evict_to(budget);
            }
        }
    }

    /// Rebuilds a cluster from its metadata records. Each replica starts empty at its log start; feed it its
    /// newest batch with [`Cluster::restore_tail`], then [`Cluster::start`] it. Nothing else is read: older
    /// batches stay in storage until a fetch asks for them.
    pub fn restore(meta: &[(String, Bytes)], seed: u64, window_budget: usize) -> Result<Cluster> {
        let mut cluster_record = None;
        let mut topics = Vec::new();
        let mut replicas: BTreeMap<ReplicaId, ReplicaRecord> = BTreeMap::new();
        let mut next_producer_id = 0;
        let mut offsets = Vec::new();
        let mut acls = Acls::default();
        let mut scram = ScramUsers::default();
        for (key, value) in meta {
            let mut parts = key.splitn(4, '/');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("cluster"), None, None, None) => {
                    let r: ClusterRecord = parse(key, value)?;
                    if r.version != FORMAT_VERSION {
                        return Err(Error::KafkaStorageError(format!(
                            "storage format {} is not {FORMAT_VERSION}",
                            r.version
                        )));
                    }
                    cluster_record = Some(r);
                }
                (Some("topic"), Some(_), None, None) => topics.push(parse::<TopicRecord>(key, value)?),
                (Some("replica"), Some(topic), Some(partition), Some(broker)) => {
                    let id = (topic.to_owned(), parse_num(key, partition)?, parse_num(key, broker)?);
                    replicas.insert(id, parse(key, value)?);
                }
                (Some("acls"), None, None, None) => acls = parse(key, value)?,
                (Some("scram-credentials"), None, None, None) => scram = parse(key, value)?,
                (Some("producer-ids"), None, None, None) => {
                    next_producer_id = parse::<ProducerIdsRecord>(key, value)?.next;
                }
                (Some("offset"), Some(topic), Some(partition), Some(group)) => {
                    let r: OffsetRecord = parse(key, value)?;
                    let id = (group.to_owned(), topic.to_owned(), parse_num(key, partition)?);
                    offsets.push((id, CommittedOffset { offset: r.offset, metadata: r.metadata }));
                }
                _ => return Err(Error::KafkaStorageError(format!("unknown metadata record {key:?}"))),
            }
        }
        let r = cluster_record.ok_or_else(|| Error::KafkaStorageError("the cluster record is missing".into()))?;
        let mut cluster = Cluster::persistent(r.brokers.len() as i32, seed, window_budget);
        if let Some(j) = cluster.journal.as_mut() {
            j.ops.clear(); // nothing to write: storage already holds all of it
        }
        cluster.brokers = r.brokers.into_iter().map(|(id, rack)| (id, BrokerInfo { id, rack, alive: true })).collect();
        cluster.default_partitions = r.default_partitions;
        cluster.default_replication_factor = r.default_replication_factor;
        cluster.next_producer_id = next_producer_id;
        cluster.acls = acls;
        cluster.credentials.scram = scram;
        cluster.offsets.extend(offsets);
        for t in topics {
            let name = TopicName::internal(&t.name)?;
            let config = TopicConfig::from_entries(&t.configs)?;
            cluster.replication.set_topic_config(name.as_str(), &config, 0);
            for (i, p) in t.partitions.into_iter().enumerate() {
                let id: PartitionId = (name.to_string(), i as u32);
                cluster.journaled_epochs.insert(id.clone(), p.partition_epoch);
                cluster.replication.controller.restore_partition(PartitionState {
                    partition: id,
                    replicas: p.replicas,
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                    isr: p.isr,
                    partition_epoch: p.partition_epoch,
                    min_insync_replicas: config.min_insync_replicas.max(1) as usize,
                    adding: p.adding,
                    removing: p.removing,
                });
            }
            let partition_count =
                cluster.replication.controller.partitions().filter(|p| p.partition.0 == name.as_str()).count() as u32;
            cluster.topics.insert(name.clone(), Topic { name, config, partition_count });
        }
        for ((topic, partition, broker), r) in replicas {
            let id = (topic.clone(), partition);
            if cluster.replication.controller.partition(&id).is_some_and(|p| !p.replicas.contains(&broker)) {
                // Reassigned away while its broker was down, which never dropped it: it goes now.
                cluster.journal_deleted_replica(&topic, partition, broker);
                continue;
            }
            let log = PartitionLog::reopened(r.log_start_offset, r.size_bytes, r.producers, r.epochs, None)
                .with_storage_start(r.storage_start.unwrap_or(r.log_start_offset))
                .with_aborted_txns(r.aborted);
            if let Some(b) = cluster.replication.brokers.get_mut(&broker) {
                b.restore_replica((topic.clone(), partition), log);
            }
            let checkpoint = Checkpoint { high_watermark: r.high_watermark, end_offset: r.end_offset };
            cluster.checkpoints.insert((topic, partition, broker), checkpoint);
        }
        Ok(cluster)
    }

    /// Every replica of every topic, for the shell to read each one's newest batch.
    pub fn replica_keys(&self) -> Vec<ReplicaKey> {
        let mut keys = Vec::new();
        for (&b, broker) in &self.replication.brokers {
            keys.extend(broker.partitions().map(|(topic, p)| ReplicaKey::new(b, topic, *p)));
        }
        keys
    }

    /// Where a reopening replica's stored batches must be read from, for [`Cluster::restore_tail`]: the last
    /// offset its record counts (the batch holding it says where the log stood), or `i64::MAX` (just the newest
    /// batch) for a record that counts every batch.
    pub fn recovery_point(&self, replica: &ReplicaKey) -> i64 {
        let id = (replica.topic.clone(), replica.partition, replica.broker);
        self.checkpoints.get(&id).and_then(|c| c.end_offset).map_or(i64::MAX, |end| end - 1)
    }

    /// Gives a reopened replica its stored batches from [`Cluster::recovery_point`] on (the batch holding that
    /// offset, and every one after). The newest one its record counts sets where the log stood; those after it
    /// are replayed, so that the log end, size, producer state and epochs are what they were. A batch that fails
    /// its CRC, or does not lie where its key says, gives a [`Repair`]: apply it, and offer the batches again,
    /// so the log ends at its last valid batch.
    pub fn restore_tail(&mut self, replica: &ReplicaKey, batches: Vec<(i64, Bytes)>) -> Result<Option<Repair>> {
        let id = (replica.topic.clone(), replica.partition, replica.broker);
        let checkpoint = self.checkpoints.get(&id).copied().unwrap_or_default();
        let recorded_end = checkpoint.end_offset.unwrap_or(i64::MAX);
        let log = self.replica_log_mut(&id.0, id.1, id.2).ok_or_else(|| {
            Error::KafkaStorageError(format!("storage holds a replica {replica:?} that the metadata does not name"))
        })?;
        let start = log.log_start_offset();
        let mut counted = None;
        let mut replayed = Vec::new();
        for (base, bytes) in batches {
            let batch = match StoredBatch::from_bytes(bytes) {
                Ok(b) if b.base_offset == base => b,
                Ok(b) => return Ok(Some(repair(replica, base, &format!("it says it starts at {}", b.base_offset)))),
                Err(e) => return Ok(Some(repair(replica, base, &e.to_string()))),
            };
            if batch.base_offset < recorded_end {
                counted = Some(batch);
            } else {
                replayed.push(batch);
            }
        }
        let (producers, epochs) = (log.producer_states().clone(), log.leader_epochs().clone());
        let aborted = log.aborted_txns().to_vec();
        let mut reopened = PartitionLog::reopened(
            start,
            log.size_bytes(),
            producers,
            epochs,
            counted.filter(|b| b.next_offset() > start),
        )
        .with_storage_start(log.storage_start())
        .with_aborted_txns(aborted);
        let mut unrecorded = 0;
        for batch in replayed {
            let (base, size) = (batch.base_offset, batch.size());
            if let Err(e) = reopened.append_with_offsets(batch) {
                return Ok(Some(repair(replica, base, &e.to_string())));
            }
            unrecorded += size;
        }
        // Every batch read back is in storage: durable.
        reopened.mark_durable(reopened.log_end_offset());
        if let Some(hw) = checkpoint.high_watermark {
            reopened.set_high_watermark(hw);
        }
        *log = reopened;
        if let Some(j) = self.journal.as_mut().filter(|_| unrecorded > 0) {
            j.unrecorded.insert(id, unrecorded);
        }
        Ok(None)
    }

    /// Starts a reopened cluster at `now_ms`: every broker reports to the controller and learns the partitions it
    /// leads or follows. Call it once every replica has its tail.
    pub fn start(&mut self, now_ms: i64) {
        self.checkpoints.clear();
        // A record's high watermark may be older than its log: every in-sync replica's moves up to what all of
        // them hold in storage, which is committed. (Left stale, it would let a replica that lags behind what was
        // acknowledged count as in sync.)
        let committed: Vec<(PartitionId, Vec<BrokerId>, i64)> = self
            .replication
            .controller
            .partitions()
            .filter_map(|p| {
                let (topic, partition) = (&p.partition.0, p.partition.1);
                let ends = p.isr.iter().map(|&b| self.replica_log(topic, partition, b).map(|l| l.log_end_offset()));
                Some((p.partition.clone(), p.isr.clone(), ends.collect::<Option<Vec<i64>>>()?.into_iter().min()?))
            })
            .collect();
        for ((topic, partition), isr, offset) in committed {
            for broker in isr {
                if let Some(log) = self.replica_log_mut(&topic, partition, broker) {
                    log.set_high_watermark(log.high_watermark().max(offset));
                }
            }
        }
        self.advance_clock(now_ms);
        self.replication.tick(now_ms);
        self.record_changes();
    }
}

fn repair(replica: &ReplicaKey, base: i64, why: &str) -> Repair {
    Repair {
        cut: StorageOp::DeleteBatches { replica: replica.clone(), from: base, to: i64::MAX },
        warning: format!(
            "{}-{} on broker {}: the stored batch at offset {base} is corrupt ({why}); the log is truncated to offset {base}",
            replica.topic, replica.partition, replica.broker
        ),
    }
}

fn parse_num<T: std::str::FromStr>(key: &str, part: &str) -> Result<T> {
    part.parse().map_err(|_| Error::KafkaStorageError(format!("metadata key {key:?} is malformed")))
}
