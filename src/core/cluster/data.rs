//! The data path: Produce, Fetch, ListOffsets, and the periodic `tick` (replication timers, retention).
//!
//! A produce goes to the partition's leader; its followers fetch it by the replication protocol before the call
//! returns (brokers in one tab deliver messages at once), so an acks=all write to a healthy partition is answered
//! at once too. When the ISR cannot take it now (a follower is down but not yet fenced), the answer waits:
//! the result carries a [`PendingAck`], answered later by [`Cluster::take_acks`].

use std::collections::BTreeMap;

use bytes::Bytes;

use super::metadata::BrokerId;
use super::state::{visible_high_watermark, Cluster};
use crate::core::error::{Error, Result};
use crate::core::log::{
    AbortedTxn, AppendInfo, Cleanup, OffsetAndTimestamp, OffsetSpec, PartitionLog, ProducerBatch, StoredBatch,
};
use crate::core::protocol::{DeletedRecords, FetchPartition, Isolation, ProduceData};
use crate::core::record::Record;
use crate::core::replication::{preferred_read_replica, Acks, PartitionId, ProduceOutcome};
use crate::core::storage::ReplicaKey;
use crate::core::topic::TopicConfig;

/// Kafka's ProduceResponse for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResult {
    pub base_offset: i64,
    /// The broker's timestamp for LogAppendTime topics; -1 otherwise.
    pub log_append_time: i64,
    pub log_start_offset: i64,
    /// Set while an acks=all write waits for the ISR: the write is in the leader's log, and its answer (this
    /// result, or an error such as `NOT_ENOUGH_REPLICAS_AFTER_APPEND`) comes from [`Cluster::take_acks`].
    pub pending: Option<PendingAck>,
}

/// An acks=all write waiting for its ISR: which leader holds it, and its request there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PendingAck {
    pub broker: BrokerId,
    pub request: u64,
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
    /// The broker that served it: the leader, or an in-sync follower in the consumer's rack (KIP-392).
    pub replica: BrokerId,
    /// Kafka's last stable offset: where a `read_committed` consumer's lag is counted to.
    pub last_stable_offset: i64,
    /// For a `read_committed` fetch, the aborted transactions the batches may hold, for the consumer to skip;
    /// `None` for `read_uncommitted`, as Kafka answers.
    pub aborted: Option<Vec<AbortedTxn>>,
}

impl FetchResult {
    /// The aborted transactions whose records a reader of these batches leaves out.
    pub fn aborted_txns(&self) -> &[AbortedTxn] {
        self.aborted.as_deref().unwrap_or_default()
    }

    /// Where what the fetch may read ends: the high watermark, or the last stable offset for `read_committed`.
    pub fn readable_end(&self) -> i64 {
        if self.aborted.is_some() {
            self.last_stable_offset
        } else {
            self.high_watermark
        }
    }
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
    /// The partition's leader and its log, for reads. A leader whose broker is down (and not yet fenced by the
    /// controller) cannot answer: the client retries once the controller has elected another.
    pub(super) fn leader_log(&self, topic: &str, partition: i32) -> Result<(BrokerId, &PartitionLog)> {
        let p = self.partition(topic, partition)?;
        let Some(leader) = p.leader else {
            return Err(Error::LeaderNotAvailable(format!(
                "partition {topic}-{partition} has no leader: every replica in its ISR {:?} is down",
                p.isr
            )));
        };
        if !self.replication.is_up(leader) {
            return Err(Error::NotLeaderOrFollower(format!(
                "broker {leader}, the leader of {topic}-{partition}, is down; the controller elects another \
                 within broker.session.timeout.ms"
            )));
        }
        let log = self
            .replica_log(topic, partition as u32, leader)
            .ok_or_else(|| missing_replica(topic, partition, leader))?;
        Ok((leader, log))
    }

    /// Kafka's Produce for one partition: appends `records` (RecordBatch v2 bytes a client built) at the leader,
    /// with acks=all. In a persistent cluster the records become visible (below the high watermark) only once
    /// storage has them.
    pub fn produce(&mut self, topic: &str, partition: i32, records: &Bytes, now_ms: i64) -> Result<ProduceResult> {
        self.produce_data(topic, partition, ProduceData::Batches(records.clone()), Acks::of(-1), now_ms)
    }

    /// Produce for a producer in the same module: the leader builds the batch from `records` itself, sealing its
    /// CRC once, instead of checking bytes it would have just written. Same rules, same result, acks=all.
    /// `producer` carries an idempotent producer's id, epoch and base sequence for this batch.
    pub fn produce_records(
        &mut self,
        topic: &str,
        partition: i32,
        records: Vec<Record>,
        producer: Option<ProducerBatch>,
        now_ms: i64,
    ) -> Result<ProduceResult> {
        self.produce_data(topic, partition, ProduceData::records(&records, producer), Acks::of(-1), now_ms)
    }

    /// Kafka's Produce for one partition with `acks`: a client's RecordBatch bytes, checked, or records the
    /// leader batches itself.
    pub fn produce_data(
        &mut self,
        topic: &str,
        partition: i32,
        data: ProduceData,
        acks: Acks,
        now_ms: i64,
    ) -> Result<ProduceResult> {
        self.check_memory_limit(data.size())?;
        self.check_txn_produce(topic, partition, &data)?;
        self.produce_with(topic, partition, acks, now_ms, data.leader_append(now_ms))
    }

    /// Bounds what a cluster that lives in memory only keeps: a write that would take its logs past `limit`
    /// bytes is refused with `KAFKA_STORAGE_ERROR`, as a broker whose disk is full refuses it, instead of the
    /// tab running out of memory. A cluster in storage keeps only a window of its logs in memory, so the limit
    /// does not apply to one.
    pub fn set_memory_limit(&mut self, limit: Option<usize>) {
        self.memory_limit_bytes = limit;
    }

    /// The limit [`Cluster::set_memory_limit`] set, if this cluster lives in memory (where it applies).
    pub fn memory_limit(&self) -> Option<usize> {
        self.memory_limit_bytes.filter(|_| self.journal.is_none())
    }

    /// The bytes this cluster's logs hold: each partition's once (its largest replica), as its followers share
    /// its leader's batches. Checked at every produce, so it walks the replicas as they lie, looking none up.
    pub fn bytes_in_memory(&self) -> usize {
        let mut largest: BTreeMap<&PartitionId, usize> = BTreeMap::new();
        for (id, log) in self.replication.brokers.values().flat_map(|b| b.logs()) {
            let held = largest.entry(id).or_default();
            *held = (*held).max(log.size_bytes());
        }
        largest.values().sum()
    }

    fn check_memory_limit(&self, incoming: usize) -> Result<()> {
        let Some(limit) = self.memory_limit() else { return Ok(()) };
        let held = self.bytes_in_memory();
        if held.saturating_add(incoming) <= limit {
            return Ok(());
        }
        Err(Error::KafkaStorageError(format!(
            "this cluster lives in memory, and its logs hold {held} bytes: {incoming} more would pass its limit of \
             {limit} (memoryLimitBytes); nothing of this write was stored. Free memory by lowering retention.bytes \
             or retention.ms, deleting records or topics, or open the cluster with storage: 'indexeddb'"
        )))
    }

    /// Produce with `acks` and the leader's append given.
    pub(crate) fn produce_with(
        &mut self,
        topic: &str,
        partition: i32,
        acks: Acks,
        now_ms: i64,
        append: impl FnOnce(&mut PartitionLog, i32, &TopicConfig) -> Result<AppendInfo>,
    ) -> Result<ProduceResult> {
        self.advance_clock(now_ms);
        let leader = self.partition(topic, partition)?.leader.ok_or_else(|| {
            Error::LeaderNotAvailable(format!("partition {topic}-{partition} has no leader: its ISR is all down"))
        })?;
        let id: PartitionId = (topic.to_owned(), partition as u32);
        let (outcome, info) = self.replication.produce_with(leader, &id, acks, now_ms, append);
        self.replication.settle(now_ms);
        self.collect_acks();
        self.record_changes();
        let outcome = match outcome {
            ProduceOutcome::Done(Err(Error::BrokerNotAvailable(_))) => Err(Error::NotLeaderOrFollower(format!(
                "broker {leader}, the leader of {topic}-{partition}, is down; the controller elects another \
                 within broker.session.timeout.ms"
            ))),
            ProduceOutcome::Done(done) => done.map(|_| None),
            ProduceOutcome::Pending(request) => {
                let ack = PendingAck { broker: leader, request };
                match self.acks.remove(&ack) {
                    Some(done) => done.map(|_| None),
                    None => Ok(Some(ack)),
                }
            }
        };
        let pending = outcome?;
        let info = info.ok_or_else(|| Error::UnknownServerError("a produce appended nothing".into()))?;
        let log_start_offset =
            self.replica_log(topic, partition as u32, leader).map_or(0, PartitionLog::log_start_offset);
        Ok(ProduceResult {
            base_offset: info.base_offset,
            log_append_time: if info.duplicate { -1 } else { info.log_append_time.unwrap_or(-1) },
            log_start_offset,
            pending,
        })
    }

    /// Kafka's DeleteRecords for one partition: its log starts at `offset` from now on (-1: the high
    /// watermark), at the leader and, within this call, at every follower the leader can reach.
    pub fn delete_records(&mut self, topic: &str, partition: i32, offset: i64, now_ms: i64) -> Result<DeletedRecords> {
        self.advance_clock(now_ms);
        if !self.topic(topic)?.config.cleanup_policy.delete {
            return Err(Error::PolicyViolation(format!(
                "topic {topic} has cleanup.policy=compact: its records go by compaction, not by DeleteRecords"
            )));
        }
        let (leader, _) = self.leader_log(topic, partition)?;
        let id: PartitionId = (topic.to_owned(), partition as u32);
        let deleted = self.replication.delete_records(leader, &id, offset, now_ms);
        self.record_changes();
        let log_start = deleted?;
        Ok(DeletedRecords { leader, log_start, low_watermark: self.low_watermark(topic, partition)? })
    }

    /// Whether a DeleteRecords is done, as Kafka's delayed answer decides: `Some(low watermark)` once every
    /// live replica's log starts at the leader's new start, `None` while one does not yet (a follower that
    /// cannot fetch), NOT_LEADER_OR_FOLLOWER once the broker that deleted leads the partition no more.
    pub fn deleted_records_settled(
        &self,
        topic: &str,
        partition: i32,
        deleted: &DeletedRecords,
    ) -> Result<Option<i64>> {
        let leader = self.partition(topic, partition)?.leader;
        if leader != Some(deleted.leader) || !self.replication.is_up(deleted.leader) {
            return Err(Error::NotLeaderOrFollower(format!(
                "broker {} lost the leadership of {topic}-{partition} before every replica had deleted the records",
                deleted.leader
            )));
        }
        let low = self.low_watermark(topic, partition)?;
        Ok((low >= deleted.log_start).then_some(low))
    }

    /// Kafka's low watermark of a partition: the smallest log start of its replicas on live brokers (up, and
    /// not fenced by the controller).
    pub fn low_watermark(&self, topic: &str, partition: i32) -> Result<i64> {
        let p = self.partition(topic, partition)?;
        let live = |b: &&BrokerId| self.replication.is_up(**b) && self.replication.controller.is_alive(**b);
        let starts = p.replicas.iter().filter(live).filter_map(|&b| self.replica_log(topic, partition as u32, b));
        starts
            .map(PartitionLog::log_start_offset)
            .min()
            .ok_or_else(|| Error::LeaderNotAvailable(format!("no replica of {topic}-{partition} is on a live broker")))
    }

    /// Answers to acks=all writes that waited for their ISR, by the ack their produce returned: the base offset,
    /// or why the write did not make it (`NOT_ENOUGH_REPLICAS_AFTER_APPEND`, `NOT_LEADER_OR_FOLLOWER` when the
    /// leader lost its leadership first, `REQUEST_TIMED_OUT`).
    pub fn take_acks(&mut self) -> Vec<(PendingAck, Result<i64>)> {
        self.collect_acks();
        std::mem::take(&mut self.acks).into_iter().collect()
    }

    pub(super) fn collect_acks(&mut self) {
        for (broker, done) in self.replication.take_completed() {
            self.acks.insert(PendingAck { broker, request: done.id }, done.result);
        }
    }

    pub(super) fn advance_clock(&mut self, now_ms: i64) {
        self.now_ms = self.now_ms.max(now_ms);
    }

    /// Kafka's Fetch for one partition, as a consumer: whole batches from `offset`, below the high watermark,
    /// from the leader.
    pub fn fetch(&self, topic: &str, partition: i32, offset: i64, max_bytes: usize) -> Result<FetchResult> {
        let p = FetchPartition { topic: topic.to_owned(), partition, offset, max_bytes };
        self.fetch_in_rack(&p, None, Isolation::ReadUncommitted)
    }

    /// Fetch for a consumer in `rack` (KIP-392): from an in-sync replica in that rack when there is one, and only
    /// up to the high watermark that replica knows; from the leader otherwise. A `read_committed` consumer reads
    /// below the last stable offset, and is told the aborted transactions there.
    pub fn fetch_in_rack(&self, p: &FetchPartition, rack: Option<&str>, isolation: Isolation) -> Result<FetchResult> {
        let (topic, partition, offset, max_bytes) = (p.topic.as_str(), p.partition, p.offset, p.max_bytes);
        let committed = isolation == Isolation::ReadCommitted;
        let (leader, leader_log) = self.leader_log(topic, partition)?;
        let racks = self.brokers.values().filter_map(|b| Some((b.id, b.rack.clone()?))).collect();
        let (broker, log) = preferred_read_replica(self.partition(topic, partition)?, &racks, rack)
            .filter(|b| *b != leader && self.replication.is_up(*b))
            .and_then(|b| Some((b, self.replica_log(topic, partition as u32, b)?)))
            // A follower that has not reached the offset yet (the consumer learnt it from the leader) cannot serve it.
            .filter(|(_, log)| offset <= log.log_end_offset())
            .unwrap_or((leader, leader_log));
        let hw = visible_high_watermark(log);
        let stable = log.last_stable_offset().min(hw);
        let upper = if committed { stable } else { hw };
        let mut result = FetchResult {
            high_watermark: hw,
            log_start_offset: log.log_start_offset(),
            batches: Vec::new(),
            in_storage: None,
            replica: broker,
            last_stable_offset: stable,
            aborted: committed.then(|| log.aborted_between(offset, upper)),
        };
        if offset >= log.log_start_offset() && offset <= log.log_end_offset() && !log.in_memory(offset) {
            result.in_storage = Some(ReplicaKey::new(broker, topic, partition as u32));
        } else {
            result.batches = log.read(offset, max_bytes, upper)?;
        }
        Ok(result)
    }

    /// When the leader's log of a partition is partly in storage only: that replica, its log start and the high
    /// watermark, for lookups that must scan the whole log (ListOffsets by timestamp).
    pub fn leader_in_storage(&self, topic: &str, partition: i32) -> Result<Option<(ReplicaKey, i64, i64)>> {
        let (leader, log) = self.leader_log(topic, partition)?;
        Ok((!log.is_whole()).then(|| {
            let replica = ReplicaKey::new(leader, topic, partition as u32);
            (replica, log.log_start_offset(), visible_high_watermark(log))
        }))
    }

    /// Replicas whose oldest batches live only in storage while some of those may go (their topic's retention
    /// may delete some, or DeleteRecords left some below the log start): the shell loads each one's head
    /// (`load_batches(replica, storage_start, …)`) and passes it to [`Cluster::clean_head`]. With the in-memory
    /// window, [`Cluster::tick`] covers everything else.
    pub fn heads_to_check(&self) -> Vec<(ReplicaKey, i64)> {
        let mut out = Vec::new();
        for (&b, broker) in &self.replication.brokers {
            for id in broker.partitions() {
                let Some(c) = self.topics.get(id.0.as_str()).map(|t| &t.config) else { continue };
                let retained = c.cleanup_policy.delete && (c.retention_ms >= 0 || c.retention_bytes >= 0);
                let Some(log) = broker.log(id).filter(|log| !log.is_whole()) else { continue };
                if retained || log.storage_start() < log.log_start_offset() {
                    out.push((ReplicaKey::new(b, &id.0, id.1), log.storage_start()));
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
        let config = self.topic(&replica.topic)?.config.clone();
        let Some(log) = self.replica_log_mut(&replica.topic, replica.partition, replica.broker) else { return Ok(0) };
        let removed = log.clean_head(&head, &config, now_ms);
        if !removed.is_empty() {
            self.journal_removed(&replica.topic, replica.partition, replica.broker, &removed);
        }
        Ok(removed.len())
    }

    /// How many batches of a partition's replicas are held in memory (the rest are in storage only).
    pub fn batches_in_memory(&self, topic: &str, partition: i32) -> Result<usize> {
        let replicas = &self.partition(topic, partition)?.replicas;
        let logs = replicas.iter().filter_map(|b| self.replica_log(topic, partition as u32, *b));
        Ok(logs.map(PartitionLog::batch_count).sum())
    }

    /// Checks batches a fetch had to load from storage (`(stored base offset, bytes)`, in order) and returns
    /// those a consumer may see: below the high watermark and `upper` (the fetch's [`FetchResult::readable_end`]).
    /// The first batch that fails its CRC, or is not stored under its own base offset,
    /// ends the replica there: the log is truncated before it and the deletion journaled, so nothing after a
    /// corruption is ever served as valid.
    pub fn serve_from_storage(
        &mut self,
        replica: &ReplicaKey,
        loaded: Vec<(i64, Bytes)>,
        upper: i64,
    ) -> Result<Served> {
        let (topic, partition) = (replica.topic.as_str(), replica.partition);
        self.partition(topic, partition as i32)?;
        let hw = self.replica_log(topic, partition, replica.broker).map_or(0, visible_high_watermark).min(upper);
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

    /// Leaders' replicas that followers wait on for batches older than the leader keeps in memory (a follower
    /// that was down a long time), with the offset to load from: the shell loads them
    /// (`load_batches(replica, offset, …)`) and passes them to [`Cluster::serve_follower_from_storage`].
    pub fn follower_reads(&self) -> Vec<(ReplicaKey, i64)> {
        let mut out = Vec::new();
        for (&b, broker) in self.replication.brokers.iter().filter(|(b, _)| self.replication.is_up(**b)) {
            out.extend(broker.storage_reads().into_iter().map(|((t, p), offset)| (ReplicaKey::new(b, &t, p), offset)));
        }
        out
    }

    /// Answers followers waiting on `leader`'s replica with batches loaded from its storage; they are checked
    /// first, and a corrupt one ends what is sent.
    pub fn serve_follower_from_storage(&mut self, leader: &ReplicaKey, loaded: Vec<(i64, Bytes)>, now_ms: i64) {
        let batches: Vec<StoredBatch> = loaded
            .into_iter()
            .map_while(|(base, bytes)| StoredBatch::from_bytes(bytes).ok().filter(|b| b.base_offset == base))
            .collect();
        let id = (leader.topic.clone(), leader.partition);
        let Some(broker) = self.replication.brokers.get_mut(&leader.broker) else { return };
        broker.answer_from_storage(&id, &batches);
        let out = broker.take_outbox();
        self.replication.send(out, now_ms);
        self.collect_acks();
        self.record_changes();
    }

    /// Cuts a replica's log before `offset`, in memory and in storage.
    fn truncate_replica(&mut self, replica: &ReplicaKey, offset: i64) {
        if let Some(log) = self.replica_log_mut(&replica.topic, replica.partition, replica.broker) {
            log.truncate_to(offset);
            self.journal_truncation(replica, offset);
        }
    }

    /// Kafka's ListOffsets for one partition. `None` means no record matches (Kafka answers -1).
    pub fn list_offsets(&self, topic: &str, partition: i32, spec: OffsetSpec) -> Result<Option<OffsetAndTimestamp>> {
        let (_, log) = self.leader_log(topic, partition)?;
        log.list_offset_below(spec, visible_high_watermark(log))
    }

    /// Periodic work at time `now_ms`: the brokers' and controller's timers (heartbeats, fetches, ISR changes,
    /// elections), then retention and compaction on every replica, per its topic's config.
    pub fn tick(&mut self, now_ms: i64) -> Result<Vec<ReplicaCleanup>> {
        self.advance_clock(now_ms);
        self.replication.tick(now_ms);
        self.collect_acks();
        self.record_changes();
        let topics = &self.topics;
        let mut done = Vec::new();
        for (id, broker, log) in self
            .replication
            .brokers
            .iter_mut()
            .flat_map(|(&b, broker)| broker.logs_mut().map(move |(id, log)| (id, b, log)))
        {
            let Some(topic) = topics.get(id.0.as_str()) else { continue };
            let cleanup = log.clean(&topic.config, now_ms)?;
            if !cleanup.is_empty() {
                done.push(ReplicaCleanup { topic: id.0.clone(), partition: id.1, broker, cleanup });
            }
        }
        for c in &done {
            // Rewritten batches lie before the recovery point: the record the removals write counts them.
            self.journal_batches(&c.topic, c.partition, c.broker, &c.cleanup.rewritten);
            self.journal_removed(&c.topic, c.partition, c.broker, &c.cleanup.removed);
        }
        Ok(done)
    }
}

fn missing_replica(topic: &str, partition: i32, broker: BrokerId) -> Error {
    Error::ReplicaNotAvailable(format!("broker {broker} holds no replica of {topic}-{partition}"))
}
