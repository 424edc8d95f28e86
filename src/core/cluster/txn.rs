//! The transaction coordinator, in the cluster: each transactional id's state lives as records of the internal,
//! compacted `__transaction_state` topic (partition `abs(javaHashCode(id)) % partitions`, whose leader is the
//! id's coordinator), in Kafka's formats, with the latest state per id in memory, rebuilt when the cluster
//! reopens.
//!
//! Ending a transaction goes as in Kafka: the decision (PrepareCommit or PrepareAbort) is written first; then a
//! marker goes to the leader of every partition of the transaction; once every marker is below its partition's
//! high watermark the transaction is complete. A marker that cannot be written now (a partition without a
//! leader), or that a leader change cut off, is written again by [`Cluster::tick_coordinators`], as are all of
//! them after a reopen. Offsets a transaction commits (TxnOffsetCommit) are transactional records of
//! `__consumer_offsets` that count for their group once the marker there commits them.

use std::cell::Cell;
use std::collections::BTreeMap;

use super::offsets::CommittedOffset;
use super::offsets_partition_for;
use super::offsets_topic::{encode_key as offset_key, encode_value as offset_value, OffsetKey};
use super::state::Cluster;
use super::BrokerId;
use crate::core::error::{Error, Result};
use crate::core::log::{PartitionLog, ProducerBatch};
use crate::core::protocol::{Named, ProduceData};
use crate::core::record::{Marker, Record};
use crate::core::replication::Acks;
use crate::core::topic::{TopicConfig, CONSUMER_OFFSETS, TRANSACTION_STATE};
use crate::core::txn::{
    self, TxnCall, TxnDescription, TxnFilter, TxnMetadata, TxnOffset, TxnRequest, TxnState, MAX_TIMEOUT_MS,
};

/// A marker of a transaction being ended, per partition: where it was written (offset and leader epoch), or
/// `None` while it still must be.
pub(super) type Markers = BTreeMap<(String, u32), Option<(i64, i32)>>;

/// Offsets transactions committed, not yet decided, by producer id and `__consumer_offsets` partition.
pub(super) type PendingOffsets = BTreeMap<(i64, u32), BTreeMap<OffsetKey, CommittedOffset>>;

impl Cluster {
    /// Kafka's InitProducerId for a transactional producer: the id's producer id, with its epoch bumped so that
    /// an older producer with the same id is fenced. A transaction that producer left open is aborted first.
    pub fn init_transactional_producer(
        &mut self,
        transactional_id: &str,
        timeout_ms: i32,
        now_ms: i64,
    ) -> Result<(i64, i16)> {
        self.advance_clock(now_ms);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(Error::InvalidTransactionTimeout(format!(
                "transactionTimeout {timeout_ms} ms is not within 1..={MAX_TIMEOUT_MS} (transaction.max.timeout.ms)"
            )));
        }
        self.find_txn_coordinator(transactional_id)?;
        if self.txns.get(transactional_id).is_some_and(|m| m.state == TxnState::Ongoing) {
            self.begin_end(transactional_id, false, true, now_ms)?;
        }
        if let Some(m) = self.txns.get(transactional_id).filter(|m| m.state.is_ending()) {
            return Err(Error::ConcurrentTransactions(format!(
                "the last transaction of {transactional_id:?} is still being ended ({}): try again shortly",
                m.state.name()
            )));
        }
        let next = match self.txns.get(transactional_id) {
            // Epochs run out at i16::MAX: the id then gets a new producer id, as in Kafka.
            Some(m) if m.epoch < i16::MAX - 1 => (m.producer_id, m.epoch + 1),
            _ => (self.init_producer_id().0, 0),
        };
        let m = TxnMetadata {
            producer_id: next.0,
            epoch: next.1,
            timeout_ms,
            state: TxnState::Empty,
            partitions: Default::default(),
            started_ms: -1,
            updated_ms: now_ms,
        };
        self.write_txn(transactional_id, m)?;
        Ok(next)
    }

    /// Kafka's AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn.
    pub fn handle_txn(&mut self, call: TxnCall, now_ms: i64) -> Result<()> {
        self.advance_clock(now_ms);
        let id = call.transactional_id.as_str();
        self.find_txn_coordinator(id)?;
        let mut m = self.txns.get(id).cloned().ok_or_else(|| {
            Error::InvalidProducerIdMapping(format!("transactional id {id:?} has no producer: call InitProducerId"))
        })?;
        m.check_producer(id, call.producer_id, call.epoch)?;
        match call.request {
            TxnRequest::AddPartitions { partitions } => {
                m.check_open(id)?;
                let mut added = Vec::with_capacity(partitions.len());
                for (topic, partition) in partitions {
                    self.partition(&topic, partition)?;
                    added.push((topic, partition as u32));
                }
                m.begin(now_ms);
                m.partitions.extend(added);
                self.write_txn(id, m)
            }
            TxnRequest::AddOffsets { group } => {
                m.check_open(id)?;
                self.find_coordinator(&group)?;
                let partition = self.offsets_partition(&group)?;
                m.begin(now_ms);
                m.partitions.insert((CONSUMER_OFFSETS.to_owned(), partition));
                self.write_txn(id, m)
            }
            TxnRequest::CommitOffsets { group, member, offsets } => {
                let partition = self.offsets_partition(&group)?;
                if m.state != TxnState::Ongoing || !m.partitions.contains(&(CONSUMER_OFFSETS.to_owned(), partition)) {
                    return Err(Error::InvalidTxnState(format!(
                        "the transaction of {id:?} has not added the offsets of group {group:?} (AddOffsetsToTxn)"
                    )));
                }
                if let Some((member_id, generation)) = member {
                    self.groups.check_commit(&group, &member_id, generation)?;
                }
                self.append_txn_offsets(&group, (m.producer_id, m.epoch), offsets)
            }
            TxnRequest::End { commit } => match (m.state, commit) {
                (TxnState::Ongoing, _) => self.begin_end(id, commit, false, now_ms),
                // A retry of the end already decided.
                (TxnState::PrepareCommit | TxnState::CompleteCommit, true)
                | (TxnState::PrepareAbort | TxnState::CompleteAbort, false) => Ok(()),
                (TxnState::Empty, _) => {
                    Err(Error::InvalidTxnState(format!("{id:?} has no transaction under way: nothing was sent in it")))
                }
                (state, _) => Err(Error::InvalidTxnState(format!(
                    "the transaction of {id:?} was already ended ({}): it cannot be {} now",
                    state.name(),
                    if commit { "committed" } else { "aborted" }
                ))),
            },
        }
    }

    /// Checks a produce of `data` to a partition: a transactional batch may only go to a partition its
    /// transaction added (Kafka's partition verification, KIP-890).
    pub(super) fn check_txn_produce(&self, topic: &str, partition: i32, data: &ProduceData) -> Result<()> {
        let Some((producer_id, epoch)) = data.transactional_producer() else { return Ok(()) };
        let txn = self.txns.iter().find(|(_, m)| m.producer_id == producer_id);
        let added = txn.is_some_and(|(_, m)| {
            m.state == TxnState::Ongoing && m.partitions.contains(&(topic.to_owned(), partition as u32))
        });
        match txn {
            Some((id, m)) if m.epoch != epoch => Err(Error::ProducerFenced(format!(
                "producer {producer_id} of {id:?} has epoch {epoch}, but epoch {} replaced it",
                m.epoch
            ))),
            _ if added => Ok(()),
            _ => Err(Error::InvalidTxnState(format!(
                "producer {producer_id} sent a transactional batch to {topic}-{partition}, which its transaction \
                 has not added (AddPartitionsToTxn)"
            ))),
        }
    }

    /// Decides the end of `id`'s transaction (fencing its producer when the coordinator aborts on its own), then
    /// writes the markers.
    fn begin_end(&mut self, id: &str, commit: bool, fence: bool, now_ms: i64) -> Result<()> {
        let Some(mut m) = self.txns.get(id).cloned() else { return Ok(()) };
        if fence && m.epoch < i16::MAX - 1 {
            m.epoch += 1;
        }
        m.state = if commit { TxnState::PrepareCommit } else { TxnState::PrepareAbort };
        m.updated_ms = now_ms;
        let markers = m.partitions.iter().map(|p| (p.clone(), None)).collect();
        self.write_txn(id, m)?;
        self.markers.insert(id.to_owned(), markers);
        self.write_markers(id, now_ms);
        Ok(())
    }

    /// Writes the markers of `id`'s ending transaction that are not yet in their partitions, and completes the
    /// transaction once every one is committed there.
    fn write_markers(&mut self, id: &str, now_ms: i64) {
        let Some(m) = self.txns.get(id).cloned().filter(|m| m.state.is_ending()) else { return };
        let marker = if m.state == TxnState::PrepareCommit { Marker::Commit } else { Marker::Abort };
        let coordinator_epoch = self.txn_coordinator_epoch(id);
        // After a reopen nothing is known of the markers: all are written (again; a second one changes nothing).
        let mut markers =
            self.markers.remove(id).unwrap_or_else(|| m.partitions.iter().map(|p| (p.clone(), None)).collect());
        for ((topic, partition), written) in markers.iter_mut() {
            if written.is_some_and(|(offset, epoch)| self.marker_lost(topic, *partition, offset, epoch)) {
                *written = None;
            }
            if written.is_some() || self.topic(topic).is_err() {
                continue;
            }
            // The leader epoch the marker is stamped with: where to look for it later.
            let stamped = Cell::new(0);
            let append = |log: &mut PartitionLog, epoch: i32, _: &TopicConfig| {
                stamped.set(epoch);
                log.append_marker(marker, (m.producer_id, m.epoch), coordinator_epoch, epoch, now_ms)
            };
            // acks=1: whether the marker is committed is checked below, and again at every tick.
            if let Ok(done) = self.produce_with(topic, *partition as i32, Acks::of(1), now_ms, append) {
                *written = Some((done.base_offset, stamped.get()));
                if topic == CONSUMER_OFFSETS {
                    self.decide_offsets(m.producer_id, *partition, marker == Marker::Commit);
                }
            }
        }
        let complete = markers.iter().all(|((topic, partition), written)| {
            self.topic(topic).is_err() || written.is_some_and(|(o, e)| self.marker_committed(topic, *partition, o, e))
        });
        if !complete {
            self.markers.insert(id.to_owned(), markers);
            return;
        }
        let state = if marker == Marker::Commit { TxnState::CompleteCommit } else { TxnState::CompleteAbort };
        let done = TxnMetadata { state, partitions: Default::default(), started_ms: -1, updated_ms: now_ms, ..m };
        if self.write_txn(id, done).is_err() {
            // The coordinator is down: the next tick completes it.
            self.markers.insert(id.to_owned(), markers);
        }
    }

    /// Whether the marker written at `offset` in leader epoch `epoch` is below the partition's high watermark:
    /// its leader holds that epoch's records past it.
    fn marker_committed(&self, topic: &str, partition: u32, offset: i64, epoch: i32) -> bool {
        let Ok((_, log)) = self.leader_log(topic, partition as i32) else { return false };
        let end = log.end_offset_for_epoch(epoch);
        end.epoch == epoch && end.end_offset > offset && log.high_watermark() > offset
    }

    /// Whether a leader change cut the marker written at `offset` in `epoch` off the partition's log.
    fn marker_lost(&self, topic: &str, partition: u32, offset: i64, epoch: i32) -> bool {
        let Ok((_, log)) = self.leader_log(topic, partition as i32) else { return false };
        let end = log.end_offset_for_epoch(epoch);
        end.epoch != epoch || end.end_offset <= offset
    }

    /// The marker in a `__consumer_offsets` partition decides the offsets a transaction committed there.
    pub(super) fn decide_offsets(&mut self, producer_id: i64, partition: u32, commit: bool) {
        let Some(pending) = self.pending_offsets.remove(&(producer_id, partition)) else { return };
        if commit {
            self.offsets.extend(pending);
        }
    }

    /// TxnOffsetCommit: the offsets, as transactional records of the group's `__consumer_offsets` partition.
    fn append_txn_offsets(
        &mut self,
        group: &str,
        (producer_id, epoch): (i64, i16),
        offsets: Vec<TxnOffset>,
    ) -> Result<()> {
        let partition = self.offsets_partition(group)?;
        let mut records = Vec::with_capacity(offsets.len());
        let mut staged = Vec::with_capacity(offsets.len());
        for o in offsets {
            let p =
                u32::try_from(o.partition).ok().filter(|p| self.topic(&o.topic).is_ok_and(|t| *p < t.partition_count));
            let p = p.ok_or_else(|| {
                Error::UnknownTopicOrPartition(format!(
                    "partition {} of topic {:?} does not exist",
                    o.partition, o.topic
                ))
            })?;
            if o.metadata.as_ref().is_some_and(|m| m.len() > super::MAX_METADATA_BYTES) {
                return Err(Error::OffsetMetadataTooLarge(format!(
                    "commit metadata is larger than offset.metadata.max.bytes={}",
                    super::MAX_METADATA_BYTES
                )));
            }
            let committed = CommittedOffset { offset: o.offset, metadata: o.metadata };
            let (key, value) = (offset_key(group, &o.topic, p), offset_value(&committed, self.now_ms));
            records.push(Record { key: Some(key), value: Some(value), timestamp: self.now_ms, headers: Vec::new() });
            staged.push(((group.to_owned(), o.topic, p), committed));
        }
        if records.is_empty() {
            return Ok(());
        }
        // The coordinator numbers its own batches: the next sequence this producer has in the partition.
        let leader = self.partition(CONSUMER_OFFSETS, partition as i32)?.leader;
        let log = leader.and_then(|b| self.replica_log(CONSUMER_OFFSETS, partition, b));
        let base_sequence = log.map_or(0, |l| l.producer_states().next_sequence(producer_id, epoch));
        let count = records.len() as i32;
        let producer = ProducerBatch { producer_id, epoch, base_sequence, count, transactional: true };
        let data = ProduceData::records(&records, Some(producer));
        self.produce_data(CONSUMER_OFFSETS, partition as i32, data, Acks::of(1), self.now_ms)
            .map_err(|e| coordinator_down(group, e))?;
        self.pending_offsets.entry((producer_id, partition)).or_default().extend(staged);
        Ok(())
    }

    /// Transactions' timeouts (an open one that outlives its `transaction.timeout.ms` is aborted, its producer
    /// fenced), and markers still to be written, for ids whose coordinator is up.
    pub(super) fn tick_transactions(&mut self, now_ms: i64) {
        let ids: Vec<String> = self.txns.keys().cloned().collect();
        for id in ids {
            if self.find_txn_coordinator(&id).is_err() {
                continue;
            }
            match self.txns.get(&id) {
                Some(m) if m.timed_out(now_ms) => {
                    let _ = self.begin_end(&id, false, true, now_ms);
                }
                Some(m) if m.state.is_ending() => self.write_markers(&id, now_ms),
                _ => {}
            }
        }
    }

    /// Writes `id`'s state to its `__transaction_state` partition, then to the coordinator's memory.
    fn write_txn(&mut self, id: &str, m: TxnMetadata) -> Result<()> {
        let partition = self.txn_partition(id)?;
        let now = self.now_ms;
        let record = Record {
            key: Some(txn::encode_key(id)),
            value: Some(txn::encode_value(&m)),
            timestamp: now,
            headers: Vec::new(),
        };
        self.produce_data(TRANSACTION_STATE, partition as i32, ProduceData::records(&[record], None), Acks::of(1), now)
            .map_err(|e| coordinator_down(id, e))?;
        self.txns.insert(id.to_owned(), m);
        Ok(())
    }

    /// The id's `__transaction_state` partition, creating the topic on first use as Kafka does.
    fn txn_partition(&mut self, id: &str) -> Result<u32> {
        self.coordinator_partition(TRANSACTION_STATE, id)
    }

    /// Kafka's FindCoordinator for a transactional id: the leader of its `__transaction_state` partition.
    pub fn find_txn_coordinator(&mut self, id: &str) -> Result<BrokerId> {
        if id.is_empty() {
            return Err(Error::InvalidRequest("the transactional id must not be empty".into()));
        }
        self.coordinator_of(TRANSACTION_STATE, id, &format!("transactional id {id:?}"))
    }

    /// The coordinator's epoch, written in markers: its partition's leader epoch.
    fn txn_coordinator_epoch(&self, id: &str) -> i32 {
        let partitions = self.topic(TRANSACTION_STATE).map_or(1, |t| t.partition_count);
        self.partition(TRANSACTION_STATE, offsets_partition_for(id, partitions) as i32).map_or(0, |p| p.leader_epoch)
    }

    /// Every transactional id with its state, for `kafka-transactions` style views.
    pub fn transactions(&self) -> Vec<(String, TxnMetadata)> {
        self.txns.iter().map(|(id, m)| (id.clone(), m.clone())).collect()
    }

    /// Kafka's ListTransactions (KIP-664): the latest state of every transactional id `filter` takes.
    pub fn list_transactions(&self, filter: &TxnFilter) -> Vec<TxnDescription> {
        self.txns
            .iter()
            .filter(|(_, m)| filter.states.is_empty() || filter.states.contains(&m.state))
            .filter(|(_, m)| filter.producer_ids.is_empty() || filter.producer_ids.contains(&m.producer_id))
            .map(|(id, m)| TxnDescription::new(id, m))
            .collect()
    }

    /// Kafka's DescribeTransactions: each id's producer and the transaction under way; an id no producer has
    /// used is TRANSACTIONAL_ID_NOT_FOUND.
    pub fn describe_transactions(&self, ids: &[String]) -> Vec<Named<TxnDescription>> {
        ids.iter()
            .map(|id| {
                let described = self.txns.get(id).map(|m| TxnDescription::new(id, m)).ok_or_else(|| {
                    Error::TransactionalIdNotFound(format!("no producer has used transactional id {id:?}"))
                });
                (id.clone(), described)
            })
            .collect()
    }

    /// Replays batches of `__transaction_state` (in offset order) into the coordinator's memory.
    pub(super) fn load_txn_records(&mut self, key: &[u8], value: Option<&[u8]>) {
        match txn::decode_record(key, value) {
            Some((id, Some(m))) => {
                self.txns.insert(id, m);
            }
            Some((id, None)) => {
                self.txns.remove(&id);
            }
            None => {}
        }
    }
}

fn coordinator_down(of: &str, e: Error) -> Error {
    match e {
        Error::NotLeaderOrFollower(why) | Error::LeaderNotAvailable(why) => {
            Error::CoordinatorNotAvailable(format!("the coordinator of {of:?} is not available: {why}"))
        }
        other => other,
    }
}
