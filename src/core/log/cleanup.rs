//! Getting rid of old data, as `cleanup.policy` says: retention (delete) and compaction (compact).
//!
//! Both touch only batches wholly below the high watermark, so a consumer never loses a record it was allowed
//! to see without the policy saying so, and uncommitted data is never rewritten. franz stores one value per
//! batch, so retention works batch by batch where Kafka works segment by segment: data goes sooner, never later.
//!
//! Compaction keeps, for every key, the record with the highest offset; earlier records of the key go. A
//! tombstone (null value) stays for `delete.retention.ms` after its timestamp, so that consumers catching up
//! see the delete, then goes too. Kept records keep their offsets, and a rewritten batch keeps its base offset
//! and last offset delta, as Kafka's cleaner does, so offsets never move.
//!
//! As Kafka's cleaner, compaction stops at the last stable offset, so an open transaction is never rewritten;
//! records of aborted transactions go (they never counted as a key's latest), and transaction markers stay.

use std::collections::HashMap;

use bytes::Bytes;

use super::partition::{PartitionLog, StoredBatch};
use crate::core::error::Result;
use crate::core::record::{BatchRecord, RecordBatch, TimestampType};
use crate::core::topic::TopicConfig;

/// What a cleanup pass changed, for the shell to mirror in storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// Base offsets of batches that are gone.
    pub removed: Vec<i64>,
    /// Batches rewritten in place (same base offset, fewer records).
    pub rewritten: Vec<StoredBatch>,
}

impl Cleanup {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.rewritten.is_empty()
    }
}

impl PartitionLog {
    /// Applies the topic's cleanup policy at time `now_ms`: the periodic work Kafka's log manager and log
    /// cleaner do.
    pub fn clean(&mut self, config: &TopicConfig, now_ms: i64) -> Result<Cleanup> {
        let mut cleanup = Cleanup::default();
        if config.cleanup_policy.compact && self.dirty_ratio() >= config.min_cleanable_dirty_ratio {
            cleanup = self.compact(config, now_ms)?;
        }
        if config.cleanup_policy.delete {
            cleanup.removed.extend(self.apply_retention(config, now_ms));
        }
        Ok(cleanup)
    }

    /// The head of a log whose oldest batches are in storage only: `head` is what the shell loaded from the
    /// storage start (in order). Drops the batches DeleteRecords left below the log start, then those that
    /// retention says must go, exactly as [`PartitionLog::clean`] would, and returns their base offsets. Once
    /// storage holds nothing below the in-memory window, the log is whole again.
    pub fn clean_head(&mut self, head: &[StoredBatch], config: &TopicConfig, now_ms: i64) -> Vec<i64> {
        let mut removed = Vec::new();
        if self.is_whole() {
            return removed;
        }
        // Whether the head reached a batch that stays (or storage holds nothing more): nothing is left below
        // the log start then.
        let mut reached_kept = true;
        for batch in head {
            if batch.next_offset() <= self.storage_start {
                continue;
            }
            // Below the log start already (DeleteRecords), or past retention.
            let goes = batch.next_offset() <= self.log_start_offset
                || (config.cleanup_policy.delete && self.expired(batch, config, now_ms));
            if batch.base_offset >= self.window_start() || !goes {
                reached_kept = true;
                break;
            }
            reached_kept = false;
            self.size_bytes = self.size_bytes.saturating_sub(batch.size());
            self.log_start_offset = self.log_start_offset.max(batch.next_offset());
            self.storage_start = batch.next_offset();
            removed.push(batch.base_offset);
        }
        if reached_kept {
            self.storage_start = self.log_start_offset;
        }
        self.forget_before(self.log_start_offset);
        if self.storage_start >= self.window_start() {
            self.mark_whole();
        }
        removed
    }

    /// Whether retention removes `batch` as the oldest batch now: committed, and past `retention.ms` or over
    /// `retention.bytes`.
    fn expired(&self, batch: &StoredBatch, config: &TopicConfig, now_ms: i64) -> bool {
        let below_hw = batch.last_offset < self.high_watermark();
        let too_old = config.retention_ms >= 0 && batch.max_timestamp < now_ms.saturating_sub(config.retention_ms);
        let too_big = config.retention_bytes >= 0
            && self.size_bytes.saturating_sub(batch.size()) as i64 >= config.retention_bytes;
        below_hw && (too_old || too_big)
    }

    /// Drops the oldest batches that are older than `retention.ms` or push the log past `retention.bytes`.
    fn apply_retention(&mut self, config: &TopicConfig, now_ms: i64) -> Vec<i64> {
        let mut removed = Vec::new();
        // Only the oldest batches may go, and they must be in memory to be judged.
        if !self.is_whole() {
            return removed;
        }
        while let Some(first) = self.batches.front() {
            if !self.expired(first, config, now_ms) {
                break;
            }
            let next = first.next_offset();
            if let Some(gone) = self.batches.pop_front() {
                self.size_bytes -= gone.size();
                removed.push(gone.base_offset);
            }
            self.log_start_offset = next;
        }
        self.forget_before(self.log_start_offset);
        removed
    }

    /// Share of the committed bytes not yet compacted.
    pub fn dirty_ratio(&self) -> f64 {
        let committed = self.committed_batches();
        let total: usize = committed.clone().map(StoredBatch::size).sum();
        let dirty: usize = committed.filter(|b| b.base_offset >= self.cleaned_up_to).map(StoredBatch::size).sum();
        if total == 0 {
            0.0
        } else {
            dirty as f64 / total as f64
        }
    }

    /// The batches compaction may touch: below the last stable offset.
    fn committed_batches(&self) -> impl Iterator<Item = &StoredBatch> + Clone {
        let stable = self.last_stable_offset();
        self.batches.iter().take_while(move |b| b.last_offset < stable)
    }

    /// Whether `batch` holds records of an aborted transaction.
    fn is_aborted(&self, batch: &RecordBatch) -> bool {
        batch.attributes.is_transactional()
            && !batch.attributes.is_control()
            && self.aborted.iter().any(|a| {
                a.producer_id == batch.producer_id && (a.first_offset..a.last_offset).contains(&batch.base_offset)
            })
    }

    /// Compacts every batch below the high watermark, whatever the dirty ratio.
    pub fn compact(&mut self, config: &TopicConfig, now_ms: i64) -> Result<Cleanup> {
        let committed: Vec<RecordBatch> =
            self.committed_batches().map(|b| RecordBatch::decode(b.bytes.clone())).collect::<Result<_>>()?;
        let mut cleanup = Cleanup::default();
        let (committed, aborted): (Vec<RecordBatch>, Vec<RecordBatch>) =
            committed.into_iter().partition(|b| !self.is_aborted(b));
        cleanup.removed.extend(aborted.iter().map(|b| b.base_offset));
        // Markers carry no data key: they stay as they are.
        let committed: Vec<RecordBatch> = committed.into_iter().filter(|b| !b.attributes.is_control()).collect();
        let mut latest: HashMap<Bytes, i64> = HashMap::new();
        for batch in &committed {
            for (offset, record) in batch.consumer_records() {
                if let Some(key) = record.key {
                    latest.insert(key, offset);
                }
            }
        }
        let tombstone_horizon = now_ms.saturating_sub(config.delete_retention_ms);
        let keep = |batch: &RecordBatch, r: &BatchRecord| {
            let offset = batch.base_offset + i64::from(r.offset_delta);
            let is_latest = r.record.key.as_ref().is_none_or(|k| latest.get(k) == Some(&offset));
            let timestamp = match batch.attributes.timestamp_type() {
                TimestampType::LogAppendTime => batch.max_timestamp,
                TimestampType::CreateTime => r.record.timestamp,
            };
            let live_tombstone = r.record.value.is_some() || timestamp >= tombstone_horizon;
            is_latest && live_tombstone
        };

        for batch in committed {
            let kept: Vec<BatchRecord> = batch.records.iter().filter(|r| keep(&batch, r)).cloned().collect();
            if kept.is_empty() {
                cleanup.removed.push(batch.base_offset);
            } else if kept.len() < batch.records.len() {
                cleanup.rewritten.push(rewrite_with(&batch, kept));
            }
        }
        cleanup.removed.sort_unstable();
        self.replace_committed(&cleanup);
        self.cleaned_up_to = self.last_stable_offset();
        Ok(cleanup)
    }

    /// Applies a compaction's removals and rewrites to the batch list, keeping the byte count right.
    fn replace_committed(&mut self, cleanup: &Cleanup) {
        let mut rewritten = cleanup.rewritten.iter().peekable();
        let mut size = 0;
        self.batches.retain_mut(|b| {
            if cleanup.removed.binary_search(&b.base_offset).is_ok() {
                return false;
            }
            if let Some(new) = rewritten.next_if(|n| n.base_offset == b.base_offset) {
                *b = new.clone();
            }
            size += b.size();
            true
        });
        self.size_bytes = size;
    }
}

/// The same batch with fewer records: base offset, last offset delta and producer fields kept, timestamps
/// recomputed from what is left (for LogAppendTime the broker's stamp stays), CRC re-sealed.
fn rewrite_with(original: &RecordBatch, kept: Vec<BatchRecord>) -> StoredBatch {
    let base_timestamp = kept[0].record.timestamp;
    let max_timestamp = match original.attributes.timestamp_type() {
        TimestampType::LogAppendTime => original.max_timestamp,
        TimestampType::CreateTime => kept.iter().map(|r| r.record.timestamp).max().unwrap_or(base_timestamp),
    };
    let batch = RecordBatch { base_timestamp, max_timestamp, records: kept, ..original.clone() };
    StoredBatch {
        base_offset: batch.base_offset,
        last_offset: batch.last_offset(),
        max_timestamp,
        bytes: batch.encode(),
    }
}
