//! One partition replica's log: an ordered run of RecordBatch v2 byte buffers and its offsets.
//!
//! Invariants, kept by every method and checked by the property tests:
//! - batches are ordered and their offset ranges strictly increase, never overlap;
//! - `log_start_offset <= high_watermark <= log_end_offset`, and `durable_end_offset <= log_end_offset`;
//! - every stored batch is whole, CRC-sealed v2 bytes, exactly as a consumer will receive it.
//!
//! With persistent storage the log in memory is a window: the newest batches, from `window_start` to the LEO.
//! Older ones live only in storage and are read from there when a fetch asks (see `in_memory`). Without
//! persistent storage the window is the whole log.
//!
//! Transactions: a transactional producer's batches open a transaction here, and its coordinator's marker
//! closes it. The log keeps Kafka's aborted-transaction index (each aborted transaction's producer, first offset
//! and marker offset), which a `read_committed` consumer is given with its fetch to skip what was aborted, and
//! the last stable offset, past which such a consumer does not read.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use super::epochs::{EpochEnd, LeaderEpochs};
use super::producers::{ProducerBatch, ProducerStates, SequenceCheck, TrackedBatch};
use super::validate::{check_batch, check_keys, check_record_set_size, check_timestamps, validate_produce};
use crate::core::error::{Error, Result};
use crate::core::record::{
    self, Attributes, BatchHeader, Compression, EncodedRecords, Marker, RecordBatch, TimestampType,
};
use crate::core::topic::TopicConfig;

/// The most bytes the leader puts in one batch it builds itself. Chromium's IndexedDB keeps a value larger
/// than 64 KiB outside its database, in a blob file of its own: one 107 KB put per transaction took ~0.47 ms
/// where two of 53 KB took ~0.31 ms (measured), so a large send's records are stored as several batches.
/// The margin leaves room for the structured clone's own header.
pub const LEADER_BATCH_BYTES: usize = 63 * 1024;

/// A batch as the log keeps it: its bytes plus what offset and time lookups need without decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
    pub bytes: Bytes,
}

impl StoredBatch {
    /// Indexes a CRC-checked batch.
    pub fn from_bytes(bytes: Bytes) -> Result<StoredBatch> {
        let h = record::BatchHeader::parse(&bytes)?;
        Ok(StoredBatch {
            base_offset: h.base_offset,
            last_offset: h.last_offset(),
            max_timestamp: h.max_timestamp,
            bytes,
        })
    }

    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    pub fn next_offset(&self) -> i64 {
        self.last_offset + 1
    }
}

/// An idempotent producer's fields of a stored batch, if it has them.
fn producer_batch(batch: &StoredBatch) -> Option<ProducerBatch> {
    let (id, epoch, sequence, last_delta) = record::producer_fields(&batch.bytes)?;
    let p = ProducerBatch::of(id, epoch, sequence, last_delta + 1)?;
    Some(ProducerBatch { transactional: record::attributes_of(&batch.bytes).is_transactional(), ..p })
}

/// An aborted transaction, as Kafka's transaction index and FetchResponse's `AbortedTransactions` give it: a
/// `read_committed` reader skips the producer's transactional batches from `first_offset` to its abort marker
/// at `last_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
}

/// Where a ListOffsets lookup starts, as in Kafka's ListOffsets request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset (Kafka's timestamp -2).
    Earliest,
    /// The high watermark: the next offset a consumer will see (timestamp -1).
    Latest,
    /// The last stable offset: Latest for a `read_committed` consumer (timestamp -1 at that isolation level),
    /// where it starts when it has no offset, so that it misses nothing of a transaction still open.
    LastStable,
    /// The record with the largest timestamp (timestamp -3, KIP-734).
    MaxTimestamp,
    /// The first record whose timestamp is at least this many ms since the epoch.
    Timestamp(i64),
}

/// A ListOffsets answer: an offset, and the timestamp of the record found (-1 when not a timestamp lookup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetAndTimestamp {
    pub offset: i64,
    pub timestamp: i64,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    /// The broker time stamped on the batches, when the topic uses LogAppendTime.
    pub log_append_time: Option<i64>,
    /// The batches as stored, for the shell to persist.
    pub appended: Vec<StoredBatch>,
    /// The request was a retry of a batch already written: nothing was appended, and the offsets are the
    /// original ones, as Kafka answers an idempotent producer's duplicate.
    pub duplicate: bool,
}

impl AppendInfo {
    fn duplicate(seen: TrackedBatch) -> AppendInfo {
        AppendInfo {
            base_offset: seen.base_offset,
            last_offset: seen.last_offset,
            log_append_time: None,
            appended: Vec::new(),
            duplicate: true,
        }
    }
}

/// Kafka's ListOffsets by timestamp over whole batches in offset order: the first record below `hw` whose
/// timestamp is at least `target`. Producer timestamps need not rise, so every batch is considered; its header's
/// max timestamp lets most be skipped without decoding.
pub fn first_at_or_after(
    batches: impl IntoIterator<Item = Bytes>,
    target: i64,
    hw: i64,
) -> Result<Option<OffsetAndTimestamp>> {
    for bytes in batches {
        let header = record::BatchHeader::parse(&bytes)?;
        if header.last_offset() >= hw {
            break;
        }
        if header.max_timestamp < target {
            continue;
        }
        let decoded = RecordBatch::decode(bytes)?;
        let found = decoded.consumer_records().find(|(_, r)| r.timestamp >= target);
        if let Some((offset, r)) = found {
            return Ok(Some(OffsetAndTimestamp { offset, timestamp: r.timestamp }));
        }
    }
    Ok(None)
}

/// One partition replica's log.
#[derive(Debug, Clone, Default)]
pub struct PartitionLog {
    pub(super) batches: VecDeque<StoredBatch>,
    pub(super) log_start_offset: i64,
    log_end_offset: i64,
    high_watermark: i64,
    pub(super) size_bytes: usize,
    /// Offsets below this have been compacted; what lies above is "dirty".
    pub(super) cleaned_up_to: i64,
    /// Offsets below this are in storage: a crash now would not lose them.
    durable_end_offset: i64,
    /// Some batches live only in storage (after a reopen or an eviction), live or below the log start.
    partial: bool,
    /// Storage may still hold batches from this offset on: below the log start when DeleteRecords moved the
    /// start past batches that only storage held. The next check of the log's head deletes them.
    pub(super) storage_start: i64,
    /// Idempotent producers' recent batches, for deduplication.
    pub(super) producers: ProducerStates,
    /// Where each leader epoch's records start: how a replica finds where it diverges from a new leader.
    pub(super) epochs: LeaderEpochs,
    /// Aborted transactions, by marker offset.
    pub(super) aborted: Vec<AbortedTxn>,
}

impl PartitionLog {
    pub fn new() -> PartitionLog {
        PartitionLog::default()
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next appended record gets (LEO).
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    /// Records below this offset are committed: consumers may see them.
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }

    /// Offsets below this are safely in storage.
    pub fn durable_end_offset(&self) -> i64 {
        self.durable_end_offset
    }

    /// Storage confirmed everything below `offset`.
    pub fn mark_durable(&mut self, offset: i64) {
        self.durable_end_offset = self.durable_end_offset.max(offset.min(self.log_end_offset));
    }

    /// The first offset held in memory: the base of the oldest in-memory batch, or the LEO.
    pub fn window_start(&self) -> i64 {
        self.batches.front().map_or(self.log_end_offset, |b| b.base_offset)
    }

    /// Whether a read from `offset` can be served from memory; if not, the batches are in storage.
    pub fn in_memory(&self, offset: i64) -> bool {
        !self.partial || offset >= self.window_start()
    }

    /// The idempotent producers this replica knows, to persist with its metadata.
    pub fn producer_states(&self) -> &ProducerStates {
        &self.producers
    }

    /// The aborted-transaction index, to persist with its metadata.
    pub fn aborted_txns(&self) -> &[AbortedTxn] {
        &self.aborted
    }

    /// This reopened log, with its aborted-transaction index as persisted.
    pub fn with_aborted_txns(mut self, aborted: Vec<AbortedTxn>) -> PartitionLog {
        self.aborted = aborted;
        self
    }

    /// Kafka's last stable offset: the high watermark, or, if earlier, the first offset of a transaction not yet
    /// stable (open, or closed by a marker not yet committed). A `read_committed` consumer reads below it.
    pub fn last_stable_offset(&self) -> i64 {
        let hw = self.high_watermark;
        self.producers.first_unstable(hw).map_or(hw, |first| first.clamp(self.log_start_offset, hw))
    }

    /// The aborted transactions a `read_committed` fetch of `[from, upper)` must know: those whose records
    /// may lie there.
    pub fn aborted_between(&self, from: i64, upper: i64) -> Vec<AbortedTxn> {
        let start = self.aborted.partition_point(|a| a.last_offset < from);
        self.aborted[start..].iter().filter(|a| a.first_offset < upper).copied().collect()
    }

    /// Whether every batch of the log is in memory.
    pub fn is_whole(&self) -> bool {
        !self.partial
    }

    /// Where the batches storage may hold begin: the log start, or below it while batches that DeleteRecords
    /// put below the start wait for the head check to delete them.
    pub fn storage_start(&self) -> i64 {
        self.storage_start
    }

    /// This reopened log, with storage holding batches from `offset` on (its record's `storage_start`).
    pub fn with_storage_start(mut self, offset: i64) -> PartitionLog {
        self.storage_start = offset.min(self.log_start_offset);
        self.partial |= self.storage_start < self.window_start();
        self
    }

    pub(super) fn mark_whole(&mut self) {
        self.partial = false;
    }

    /// Forgets the oldest durable batches until the window holds at most `budget` bytes. Storage still has them.
    pub fn evict_to(&mut self, budget: usize) {
        let mut window: usize = self.batches.iter().map(StoredBatch::size).sum();
        while window > budget && self.batches.front().is_some_and(|b| b.next_offset() <= self.durable_end_offset) {
            if let Some(b) = self.batches.pop_front() {
                window -= b.size();
                self.partial = true;
            }
        }
    }

    /// A log reopened from storage: its start, size, producers and leader epochs from metadata, and only its
    /// newest batch in memory.
    pub fn reopened(
        log_start_offset: i64,
        size_bytes: usize,
        producers: ProducerStates,
        mut epochs: LeaderEpochs,
        tail: Option<StoredBatch>,
    ) -> PartitionLog {
        let end = tail.as_ref().map_or(log_start_offset, StoredBatch::next_offset).max(log_start_offset);
        let partial = tail.as_ref().is_some_and(|t| t.base_offset > log_start_offset);
        // Storage may have lost a corrupt tail since the epochs were written: they end where the log now ends.
        epochs.truncate_from_end(end);
        if let Some(t) = &tail {
            epochs.assign(record::partition_leader_epoch(&t.bytes), t.base_offset);
        }
        PartitionLog {
            epochs,
            partial,
            batches: tail.into_iter().collect(),
            log_start_offset,
            storage_start: log_start_offset,
            log_end_offset: end,
            high_watermark: end,
            size_bytes,
            cleaned_up_to: log_start_offset,
            durable_end_offset: end,
            producers,
            aborted: Vec::new(),
        }
    }
    /// Moves the high watermark, clamped to `[log_start, LEO]`: it can never pass what the log holds.
    pub fn set_high_watermark(&mut self, offset: i64) {
        self.high_watermark = offset.clamp(self.log_start_offset, self.log_end_offset);
    }

    /// Appends a producer's record set as leader: validates all of it, then assigns offsets from the LEO and
    /// stamps the leader epoch (and LogAppendTime, if the topic uses it). All or nothing.
    pub fn append_as_leader(
        &mut self,
        records: Bytes,
        leader_epoch: i32,
        config: &TopicConfig,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        let valid = validate_produce(&records, config, now_ms)?;
        // The batches are now the record set's only holders: a lone batch, a request's usual content, is then
        // stamped where it lies instead of copied.
        drop(records);
        // Sequence checks run against a staged copy, so a refused request changes no producer's state.
        let mut staged = self.producers.clone();
        for (i, batch) in valid.iter().enumerate() {
            let h = &batch.header;
            let Some(p) = ProducerBatch::of_header(h) else { continue };
            match staged.check(&p)? {
                SequenceCheck::Duplicate(seen) if valid.len() == 1 => return Ok(AppendInfo::duplicate(seen)),
                SequenceCheck::Duplicate(_) => {
                    return Err(Error::InvalidRequest(format!("batch {i} repeats one already written")));
                }
                // Only the sequences matter while staging; the real offsets are recorded on append.
                SequenceCheck::Append => staged.record(&p, self.log_end_offset, self.log_end_offset),
            }
        }
        let log_append_time = (config.message_timestamp_type == TimestampType::LogAppendTime).then_some(now_ms);
        let base_offset = self.log_end_offset;
        let mut next = base_offset;
        let mut appended = Vec::with_capacity(valid.len());
        for mut batch in valid {
            // The topic's compression.type, when it names a codec, is what the log stores (Kafka converts too).
            if let Some(codec) =
                config.compression_type.codec().filter(|c| Ok(*c) != batch.header.attributes.compression())
            {
                batch.bytes = record::recompressed(&batch.bytes, &batch.header, codec, config.gzip_level())?;
                batch.header = record::BatchHeader::parse_without_crc(&batch.bytes)?;
                check_batch(batch.header.size(), batch.header.record_count as usize, config)?;
            }
            let mut bytes = batch.bytes.try_into_mut().unwrap_or_else(|shared| BytesMut::from(&shared[..]));
            record::set_base_offset(&mut bytes, next);
            record::set_partition_leader_epoch(&mut bytes, leader_epoch);
            let (timestamp_type, max_timestamp) = match log_append_time {
                Some(t) => (TimestampType::LogAppendTime, t),
                None => (TimestampType::CreateTime, batch.max_timestamp),
            };
            if (timestamp_type, max_timestamp) != (batch.header.attributes.timestamp_type(), batch.header.max_timestamp)
            {
                record::set_max_timestamp(&mut bytes, timestamp_type, max_timestamp);
            }
            let last_offset = next + i64::from(batch.header.last_offset_delta);
            appended.push(StoredBatch { base_offset: next, last_offset, max_timestamp, bytes: bytes.freeze() });
            next = last_offset + 1;
        }
        for batch in &appended {
            self.push(batch.clone());
        }
        Ok(AppendInfo { base_offset, last_offset: next - 1, log_append_time, appended, duplicate: false })
    }

    /// Appends records as leader, building their batches here: offsets from the LEO, the leader epoch, and the
    /// timestamps (or LogAppendTime) set before each CRC is sealed once. The topic's rules apply as for a
    /// client-built batch of them all; the structural checks do not, since the leader wrote the bytes itself.
    /// Records of more than [`LEADER_BATCH_BYTES`] go in several batches, except an idempotent producer's: its
    /// sequence numbers name one batch, which a retry must find again.
    pub fn append_records_as_leader(
        &mut self,
        records: &EncodedRecords,
        producer: Option<ProducerBatch>,
        leader_epoch: i32,
        config: &TopicConfig,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        if let Some(p) = &producer {
            if let SequenceCheck::Duplicate(seen) = self.producers.check(p)? {
                return Ok(AppendInfo::duplicate(seen));
            }
        }
        check_keys(records.has_keys(), config)?;
        check_timestamps(records.timestamps(), config, now_ms)?;
        check_record_set_size(records.batch_bytes(), config)?;
        check_batch(records.batch_bytes(), records.len(), config)?;
        // An idempotent producer's records are one batch: its sequence numbers name it.
        let most = if producer.is_some() { usize::MAX } else { LEADER_BATCH_BYTES };
        let parts = records.parts(most);
        let log_append_time = (config.message_timestamp_type == TimestampType::LogAppendTime).then_some(now_ms);
        let base_offset = self.log_end_offset;
        let mut appended = Vec::with_capacity(parts.len());
        for part in parts {
            let first = part.start;
            let (batch, bytes) = records.seal(part, |batch| {
                batch.base_offset = base_offset + first as i64;
                batch.partition_leader_epoch = leader_epoch;
                if let Some(p) = &producer {
                    p.stamp(batch);
                }
                if let Some(t) = log_append_time {
                    batch.attributes.0 |= Attributes::TIMESTAMP_TYPE;
                    batch.max_timestamp = t;
                }
            });
            let (last_offset, max_timestamp) = (batch.last_offset(), batch.max_timestamp);
            let bytes = match config.compression_type.codec() {
                Some(Compression::None) | None => bytes,
                Some(codec) => {
                    let header = record::BatchHeader::parse_without_crc(&bytes)?;
                    record::recompressed(&bytes, &header, codec, config.gzip_level())?
                }
            };
            appended.push(StoredBatch { base_offset: batch.base_offset, last_offset, max_timestamp, bytes });
        }
        // Pushed once every batch is built: an error above leaves the log as it was.
        for stored in &appended {
            self.push(stored.clone());
        }
        Ok(AppendInfo {
            base_offset,
            last_offset: self.log_end_offset - 1,
            log_append_time,
            appended,
            duplicate: false,
        })
    }

    /// Appends a batch that already carries its offsets (a follower copying its leader, or a reload from
    /// storage). It must start at or after the LEO; or, in an empty log, hold the LEO: the leader's log start
    /// (moved by DeleteRecords) may fall inside a batch, and a follower that starts over there gets that batch
    /// whole, as Kafka's follower does.
    pub fn append_with_offsets(&mut self, batch: StoredBatch) -> Result<()> {
        let empty = self.batches.is_empty() && self.log_end_offset == self.log_start_offset;
        let holds_start = empty && (batch.base_offset..=batch.last_offset).contains(&self.log_end_offset);
        if (batch.base_offset < self.log_end_offset && !holds_start) || batch.last_offset < batch.base_offset {
            return Err(Error::InvalidRecord(format!(
                "batch {}..={} does not follow the log end offset {}",
                batch.base_offset, batch.last_offset, self.log_end_offset
            )));
        }
        if empty && !holds_start {
            self.log_start_offset = batch.base_offset;
            if !self.partial {
                self.storage_start = batch.base_offset;
            }
            self.high_watermark = self.high_watermark.max(batch.base_offset);
            self.cleaned_up_to = self.cleaned_up_to.max(batch.base_offset);
        }
        self.push(batch);
        Ok(())
    }

    /// Appends a transaction marker as leader: the coordinator ends `producer_id`'s transaction here. A marker
    /// from an epoch older than the producer's is INVALID_PRODUCER_EPOCH.
    pub fn append_marker(
        &mut self,
        marker: Marker,
        (producer_id, epoch): (i64, i16),
        coordinator_epoch: i32,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo> {
        self.producers.check_marker(producer_id, epoch)?;
        let batch = record::marker_batch(marker, producer_id, epoch, coordinator_epoch, now_ms);
        let mut bytes = BytesMut::from(&batch[..]);
        let offset = self.log_end_offset;
        record::set_base_offset(&mut bytes, offset);
        record::set_partition_leader_epoch(&mut bytes, leader_epoch);
        let stored =
            StoredBatch { base_offset: offset, last_offset: offset, max_timestamp: now_ms, bytes: bytes.freeze() };
        self.push(stored.clone());
        Ok(AppendInfo {
            base_offset: offset,
            last_offset: offset,
            log_append_time: None,
            appended: vec![stored],
            duplicate: false,
        })
    }

    fn push(&mut self, batch: StoredBatch) {
        self.epochs.assign(record::partition_leader_epoch(&batch.bytes), batch.base_offset);
        if record::attributes_of(&batch.bytes).is_control() {
            self.close_txn(&batch);
        } else if let Some(p) = producer_batch(&batch) {
            self.producers.record(&p, batch.base_offset, batch.last_offset);
        }
        self.log_end_offset = batch.next_offset();
        self.size_bytes += batch.size();
        self.batches.push_back(batch);
    }

    /// A marker closes its producer's transaction; an abort goes in the index.
    fn close_txn(&mut self, batch: &StoredBatch) {
        let Ok(h) = BatchHeader::parse_without_crc(&batch.bytes) else { return };
        let Ok(Some(marker)) = record::marker_of(&h, &batch.bytes) else { return };
        let closed = self.producers.end_txn(h.producer_id, h.producer_epoch, batch.base_offset, self.high_watermark);
        if let (Marker::Abort, Some(txn)) = (marker, closed) {
            let (producer_id, first_offset, last_offset) = (h.producer_id, txn.first_offset, batch.base_offset);
            self.aborted.push(AbortedTxn { producer_id, first_offset, last_offset });
        }
    }

    /// Reads whole batches starting with the one that holds `offset`, up to `max_bytes`, never reaching
    /// `upper` (exclusive: the HW for consumers, the LEO for followers). The first batch is returned even if it
    /// alone exceeds `max_bytes`, so a consumer can always make progress (KIP-74).
    pub fn read(&self, offset: i64, max_bytes: usize, upper: i64) -> Result<Vec<Bytes>> {
        if offset < self.log_start_offset || offset > self.log_end_offset {
            return Err(Error::OffsetOutOfRange(format!(
                "offset {offset} is outside the log [{}, {}]",
                self.log_start_offset, self.log_end_offset
            )));
        }
        if !self.in_memory(offset) {
            return Err(Error::KafkaStorageError(format!("offset {offset} is in storage, not in memory: load it")));
        }
        let first = self.batches.partition_point(|b| b.last_offset < offset);
        let mut out = Vec::new();
        let mut bytes = 0;
        for batch in self.batches.range(first..) {
            if batch.last_offset >= upper || (!out.is_empty() && bytes + batch.size() > max_bytes) {
                break;
            }
            bytes += batch.size();
            out.push(batch.bytes.clone());
        }
        Ok(out)
    }

    /// Kafka's ListOffsets for one partition, as a consumer sees it (nothing at or above the HW).
    /// `None` means no record matches (Kafka answers offset -1).
    pub fn list_offset(&self, spec: OffsetSpec) -> Result<Option<OffsetAndTimestamp>> {
        self.list_offset_below(spec, self.high_watermark)
    }

    /// ListOffsets as a consumer sees it when less than the high watermark is visible (`upper`: what storage
    /// already holds).
    pub fn list_offset_below(&self, spec: OffsetSpec, upper: i64) -> Result<Option<OffsetAndTimestamp>> {
        let upper = upper.min(self.high_watermark);
        let at = |offset| Some(OffsetAndTimestamp { offset, timestamp: -1 });
        match spec {
            OffsetSpec::Earliest => Ok(at(self.log_start_offset)),
            OffsetSpec::Latest => Ok(at(upper)),
            OffsetSpec::LastStable => Ok(at(upper.min(self.last_stable_offset()))),
            OffsetSpec::MaxTimestamp => {
                // The batch headers say which batch holds the largest timestamp; only that one is decoded.
                let committed = self.batches.iter().take_while(|b| b.last_offset < upper);
                let Some(max) = committed.clone().map(|b| b.max_timestamp).max() else { return Ok(None) };
                let Some(batch) = committed.clone().find(|b| b.max_timestamp == max) else { return Ok(None) };
                let decoded = RecordBatch::decode(batch.bytes.clone())?;
                let found = decoded.consumer_records().find(|(_, r)| r.timestamp == max);
                Ok(found.map(|(offset, r)| OffsetAndTimestamp { offset, timestamp: r.timestamp }))
            }
            OffsetSpec::Timestamp(target) => {
                first_at_or_after(self.batches.iter().map(|b| b.bytes.clone()), target, upper)
            }
        }
    }

    /// Removes every batch that holds `offset` or anything after it; the LEO becomes the first removed offset.
    /// Used when a replica's log diverges from its leader, and to roll back a failed write.
    pub fn truncate_to(&mut self, offset: i64) {
        while let Some(last) = self.batches.back() {
            if last.last_offset < offset {
                break;
            }
            self.log_end_offset = last.base_offset;
            self.size_bytes -= last.size();
            self.batches.pop_back();
        }
        self.log_end_offset = self.log_end_offset.min(offset).max(self.log_start_offset);
        self.high_watermark = self.high_watermark.min(self.log_end_offset);
        self.cleaned_up_to = self.cleaned_up_to.min(self.log_end_offset);
        self.durable_end_offset = self.durable_end_offset.min(self.log_end_offset);
        self.epochs.truncate_from_end(self.log_end_offset);
        self.aborted.retain(|a| a.last_offset < self.log_end_offset);
        // Producer state comes back from the batches that remain, as Kafka rebuilds it from the log: the few
        // batches tracked per producer may all have been cut, while older ones of the same producer remain.
        let mut survivors = std::mem::take(&mut self.producers);
        survivors.truncate(self.log_end_offset);
        for batch in &self.batches {
            if let Some(p) = producer_batch(batch) {
                self.producers.record(&p, batch.base_offset, batch.last_offset);
            }
        }
        self.producers.merge_missing(survivors);
    }

    /// Kafka's DeleteRecords: moves the log start to `offset` (at most the HW), dropping whole batches below it.
    /// Returns the base offsets of the dropped batches, for the shell to delete from storage.
    pub fn delete_records_before(&mut self, offset: i64) -> Result<Vec<i64>> {
        if offset > self.high_watermark {
            return Err(Error::OffsetOutOfRange(format!(
                "cannot delete records before {offset}: the high watermark is {}",
                self.high_watermark
            )));
        }
        Ok(self.move_start(offset))
    }

    /// A follower's side of DeleteRecords: its leader's log start is `offset` (committed there, so past this
    /// replica's high watermark if need be). A log that ends before it starts over, empty, at `offset`, as
    /// Kafka's follower truncates fully when it has fallen behind its leader's log start.
    pub fn follow_log_start(&mut self, offset: i64) -> Vec<i64> {
        let behind = offset > self.log_end_offset;
        let dropped = self.move_start(offset);
        if behind {
            // Nothing of the old log is left to compare epochs with, nor to know producers and transactions by:
            // they are learnt again from the batches to come (Kafka's truncateFullyAndStartAt). A transaction
            // this replica saw open may have ended below the new start, where its marker can never come.
            self.epochs = LeaderEpochs::default();
            self.producers = ProducerStates::default();
            self.aborted.clear();
        }
        dropped
    }

    /// Moves the log start up to `offset`, dropping the in-memory batches wholly below it (their base offsets
    /// are returned). Batches below it that only storage holds stay counted until the head check deletes them.
    fn move_start(&mut self, offset: i64) -> Vec<i64> {
        if offset <= self.log_start_offset {
            return Vec::new();
        }
        let mut dropped = Vec::new();
        while self.batches.front().is_some_and(|b| b.last_offset < offset) {
            if let Some(b) = self.batches.pop_front() {
                self.size_bytes -= b.size();
                dropped.push(b.base_offset);
            }
        }
        self.log_start_offset = offset;
        self.log_end_offset = self.log_end_offset.max(offset);
        self.high_watermark = self.high_watermark.max(offset);
        self.durable_end_offset = self.durable_end_offset.max(offset);
        self.cleaned_up_to = self.cleaned_up_to.max(offset);
        if !self.partial {
            self.storage_start = offset;
        }
        self.forget_before(offset);
        dropped
    }

    /// The log now starts at `offset`: what its epochs, producers and aborted transactions say of earlier
    /// records goes.
    pub(super) fn forget_before(&mut self, offset: i64) {
        self.epochs.truncate_from_start(offset);
        self.producers.forget_before(offset);
        self.aborted.retain(|a| a.last_offset >= offset);
    }

    /// This replica leads from now on in `epoch`: the epoch starts at the LEO, recorded before anything is
    /// written in it, so the leader's latest epoch is always its own (as Kafka's `makeLeader` does).
    pub fn begin_leader_epoch(&mut self, epoch: i32) {
        self.epochs.assign(epoch, self.log_end_offset);
    }

    /// The leader epoch cache: where each epoch's records start.
    pub fn leader_epochs(&self) -> &LeaderEpochs {
        &self.epochs
    }

    /// Kafka's OffsetsForLeaderEpoch on this replica: the largest epoch at or below `epoch`, and where it ends.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> EpochEnd {
        self.epochs.end_offset_for(epoch, self.log_end_offset)
    }

    /// The stored batches, oldest first.
    pub fn batches(&self) -> impl Iterator<Item = &StoredBatch> {
        self.batches.iter()
    }
}
