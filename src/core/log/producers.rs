//! Idempotent producers: what a partition remembers of each producer so that a retried batch is never written
//! twice, as Kafka's `ProducerStateManager` does.
//!
//! A producer has an id and an epoch (from InitProducerId) and numbers its batches per partition from 0. The
//! partition keeps the last [`MAX_TRACKED_BATCHES`] batches of each producer (Kafka's bound on batches in flight):
//! a batch equal to one of them is a retry and gets the original offsets back; a batch that skips a sequence
//! gets `OUT_OF_ORDER_SEQUENCE_NUMBER`; a batch from an older epoch gets `INVALID_PRODUCER_EPOCH` (a newer
//! epoch starts the producer's sequence over, at 0).
//!
//! A producer whose every batch lies before the log start (retention, DeleteRecords) is forgotten, and one the
//! partition does not know may go on at any sequence, as Kafka's `ProducerStateManager` allows since KIP-360:
//! otherwise deleting a topic's records would fail the next send of every idempotent producer writing to it.
//!
//! A transactional producer's batches also open a transaction in the partition, which its coordinator's marker
//! (a control batch) closes. Until the marker is below the high watermark the transaction is unstable: a
//! `read_committed` consumer reads no further than the first unstable offset (Kafka's last stable offset).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::core::error::{Error, Result};
use crate::core::record::{Attributes, BatchHeader, RecordBatch};

/// How many recent batches per producer a partition remembers: Kafka's limit on batches in flight.
pub const MAX_TRACKED_BATCHES: usize = 5;

/// The producer fields of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub epoch: i16,
    pub base_sequence: i32,
    /// Records in the batch.
    pub count: i32,
    /// Part of a transaction: the batch has the transactional attribute bit.
    pub transactional: bool,
}

impl ProducerBatch {
    /// The producer fields of a batch header, or `None` for a batch from a producer that is not idempotent.
    pub fn of(producer_id: i64, epoch: i16, base_sequence: i32, count: i32) -> Option<ProducerBatch> {
        (producer_id >= 0 && base_sequence >= 0).then_some(ProducerBatch {
            producer_id,
            epoch,
            base_sequence,
            count,
            transactional: false,
        })
    }

    /// The producer fields of a checked batch header (`None`: not an idempotent producer's, or a control batch).
    pub fn of_header(h: &BatchHeader) -> Option<ProducerBatch> {
        let batch = ProducerBatch::of(h.producer_id, h.producer_epoch, h.base_sequence, h.last_offset_delta + 1)?;
        Some(ProducerBatch { transactional: h.attributes.is_transactional(), ..batch })
    }

    fn last_sequence(&self) -> i32 {
        add_sequence(self.base_sequence, self.count - 1)
    }

    /// Writes these producer fields into a batch about to be sealed.
    pub fn stamp(&self, batch: &mut RecordBatch) {
        (batch.producer_id, batch.producer_epoch, batch.base_sequence) =
            (self.producer_id, self.epoch, self.base_sequence);
        if self.transactional {
            batch.attributes.0 |= Attributes::TRANSACTIONAL;
        }
    }
}

/// Sequences wrap from `i32::MAX` to 0, as in Kafka.
fn add_sequence(seq: i32, n: i32) -> i32 {
    ((i64::from(seq) + i64::from(n)) % (i64::from(i32::MAX) + 1)) as i32
}

/// One remembered batch: its sequences and where it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedBatch {
    pub first_sequence: i32,
    pub last_sequence: i32,
    pub base_offset: i64,
    pub last_offset: i64,
}

/// One transaction of a producer in a partition: where its records start, and where its marker lies once
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnSpan {
    pub first_offset: i64,
    pub marker_offset: Option<i64>,
}

impl TxnSpan {
    /// Not yet safe to read past: open, or closed by a marker not yet below the high watermark `hw`.
    fn is_unstable(&self, hw: i64) -> bool {
        self.marker_offset.is_none_or(|m| m >= hw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProducerEntry {
    pub epoch: i16,
    pub batches: VecDeque<TrackedBatch>,
    /// Its transactions here that are unstable, or were when the last one closed; an open one is last. Closed
    /// ones are kept until their markers are committed, so that a replica that cuts a marker off its log (a
    /// diverging follower) knows the transaction it opens again.
    #[serde(default, skip_serializing_if = "VecDeque::is_empty")]
    pub txns: VecDeque<TxnSpan>,
}

impl ProducerEntry {
    fn open_txn(&self) -> Option<&TxnSpan> {
        self.txns.back().filter(|t| t.marker_offset.is_none())
    }

    /// Whether the partition must remember it: for deduplication, or for its transactions.
    fn is_needed(&self) -> bool {
        !self.batches.is_empty() || !self.txns.is_empty()
    }
}

/// What the partition decides about an idempotent batch before appending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Write it.
    Append,
    /// Already written: answer with these offsets and write nothing.
    Duplicate(TrackedBatch),
}

/// The producers a partition replica knows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProducerStates(BTreeMap<i64, ProducerEntry>);

impl ProducerStates {
    /// Checks a batch a leader is about to append.
    pub fn check(&self, batch: &ProducerBatch) -> Result<SequenceCheck> {
        let Some(entry) = self.0.get(&batch.producer_id) else {
            return Ok(SequenceCheck::Append);
        };
        if batch.epoch < entry.epoch {
            return Err(Error::InvalidProducerEpoch(format!(
                "producer {} sent epoch {}, but epoch {} has replaced it",
                batch.producer_id, batch.epoch, entry.epoch
            )));
        }
        if batch.epoch > entry.epoch {
            return self.first_of_new_epoch(batch);
        }
        if let Some(seen) = entry
            .batches
            .iter()
            .find(|b| b.first_sequence == batch.base_sequence && b.last_sequence == batch.last_sequence())
        {
            return Ok(SequenceCheck::Duplicate(*seen));
        }
        // A producer kept only for its open transaction (its batches deleted) may go on at any sequence.
        let Some(last) = entry.batches.back() else { return Ok(SequenceCheck::Append) };
        let expected = add_sequence(last.last_sequence, 1);
        if batch.base_sequence != expected {
            return Err(Error::OutOfOrderSequenceNumber(format!(
                "producer {} sent sequence {} where {expected} was expected",
                batch.producer_id, batch.base_sequence
            )));
        }
        Ok(SequenceCheck::Append)
    }

    fn first_of_new_epoch(&self, batch: &ProducerBatch) -> Result<SequenceCheck> {
        if batch.base_sequence != 0 {
            return Err(Error::OutOfOrderSequenceNumber(format!(
                "producer {} epoch {} must start at sequence 0, not {}",
                batch.producer_id, batch.epoch, batch.base_sequence
            )));
        }
        Ok(SequenceCheck::Append)
    }

    /// Remembers a batch the log now holds (appended as leader, copied as follower, or found on reopen).
    pub fn record(&mut self, batch: &ProducerBatch, base_offset: i64, last_offset: i64) {
        let entry = self.0.entry(batch.producer_id).or_default();
        if batch.epoch != entry.epoch {
            (entry.epoch, entry.batches) = (batch.epoch, VecDeque::new());
        }
        if batch.transactional && entry.open_txn().is_none() {
            entry.txns.push_back(TxnSpan { first_offset: base_offset, marker_offset: None });
        }
        entry.batches.push_back(TrackedBatch {
            first_sequence: batch.base_sequence,
            last_sequence: batch.last_sequence(),
            base_offset,
            last_offset,
        });
        while entry.batches.len() > MAX_TRACKED_BATCHES {
            entry.batches.pop_front();
        }
    }

    /// The sequence the producer's next batch at `epoch` must have here.
    pub fn next_sequence(&self, producer_id: i64, epoch: i16) -> i32 {
        let entry = self.0.get(&producer_id).filter(|e| e.epoch == epoch);
        entry.and_then(|e| e.batches.back()).map_or(0, |b| add_sequence(b.last_sequence, 1))
    }

    /// Checks a transaction marker a leader is about to append: it may not come from an older epoch.
    pub fn check_marker(&self, producer_id: i64, epoch: i16) -> Result<()> {
        match self.0.get(&producer_id) {
            Some(entry) if epoch < entry.epoch => Err(Error::InvalidProducerEpoch(format!(
                "a transaction marker of producer {producer_id} has epoch {epoch}, but epoch {} has replaced it",
                entry.epoch
            ))),
            _ => Ok(()),
        }
    }

    /// Closes the producer's open transaction with its marker at `marker_offset`, returning the transaction it
    /// closed, if one was open. A marker of a newer epoch (the coordinator fenced the producer) moves the
    /// producer to it: its next batch starts at sequence 0. Closed transactions that were stable below `hw`
    /// are forgotten.
    pub fn end_txn(&mut self, producer_id: i64, epoch: i16, marker_offset: i64, hw: i64) -> Option<TxnSpan> {
        let entry = self.0.entry(producer_id).or_default();
        if epoch > entry.epoch {
            (entry.epoch, entry.batches) = (epoch, VecDeque::new());
        }
        entry.txns.retain(|t| t.is_unstable(hw));
        let open = entry.txns.back_mut().filter(|t| t.marker_offset.is_none())?;
        open.marker_offset = Some(marker_offset);
        Some(*open)
    }

    /// The first offset of a transaction that is still unstable below the high watermark `hw`.
    pub fn first_unstable(&self, hw: i64) -> Option<i64> {
        self.0.values().flat_map(|e| &e.txns).filter(|t| t.is_unstable(hw)).map(|t| t.first_offset).min()
    }

    /// Adds the producers of `other` that this one does not know.
    /// Transactions are taken from `other` for every producer: the batches a log rebuilds its state from may
    /// not reach back to where a transaction opened.
    pub fn merge_missing(&mut self, other: ProducerStates) {
        for entry in self.0.values_mut() {
            entry.txns.clear();
        }
        for (id, entry) in other.0 {
            match self.0.get_mut(&id) {
                Some(rebuilt) => rebuilt.txns = entry.txns,
                None => {
                    self.0.insert(id, entry);
                }
            }
        }
    }

    /// The log now starts at `offset`: producers whose every batch lies before it are forgotten (Kafka's
    /// `evictUnretainedProducers`).
    /// A producer with a transaction still unstable is kept for it, without its batches if they are all gone.
    pub fn forget_before(&mut self, offset: i64) {
        for entry in self.0.values_mut() {
            if entry.batches.back().is_none_or(|b| b.last_offset < offset) {
                entry.batches.clear();
            }
            entry.txns.retain(|t| t.marker_offset.is_none_or(|m| m >= offset));
        }
        self.0.retain(|_, e| e.is_needed());
    }

    /// Forgets batches at or after `offset` (the log was truncated there): transactions that began there go, and
    /// those whose markers were cut are open again.
    pub fn truncate(&mut self, offset: i64) {
        for entry in self.0.values_mut() {
            entry.batches.retain(|b| b.last_offset < offset);
            entry.txns.retain(|t| t.first_offset < offset);
            for t in &mut entry.txns {
                t.marker_offset = t.marker_offset.filter(|m| *m < offset);
            }
        }
        self.0.retain(|_, e| e.is_needed());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(pid: i64, epoch: i16, seq: i32, count: i32) -> ProducerBatch {
        ProducerBatch { producer_id: pid, epoch, base_sequence: seq, count, transactional: false }
    }

    #[test]
    fn sequences_must_follow_on() {
        let mut s = ProducerStates::default();
        assert_eq!(s.check(&batch(1, 0, 0, 3)).unwrap(), SequenceCheck::Append);
        s.record(&batch(1, 0, 0, 3), 10, 12);
        assert_eq!(s.check(&batch(1, 0, 3, 2)).unwrap(), SequenceCheck::Append);
        assert_eq!(s.check(&batch(1, 0, 4, 1)).unwrap_err().name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
        // A producer the partition does not know (its batches deleted) may go on where it is.
        assert_eq!(s.check(&batch(2, 0, 5, 1)).unwrap(), SequenceCheck::Append);
    }

    #[test]
    fn producers_wholly_before_the_log_start_are_forgotten() {
        let mut s = ProducerStates::default();
        s.record(&batch(1, 0, 0, 2), 0, 1);
        s.record(&batch(2, 0, 0, 2), 2, 3);
        s.record(&batch(1, 0, 2, 2), 4, 5);
        s.forget_before(4);
        assert_eq!(s.check(&batch(1, 0, 5, 1)).unwrap_err().name(), "OUT_OF_ORDER_SEQUENCE_NUMBER", "kept");
        assert_eq!(s.check(&batch(2, 0, 9, 1)).unwrap(), SequenceCheck::Append, "forgotten");
        s.forget_before(6);
        assert!(s.is_empty());
    }

    #[test]
    fn a_retry_of_a_recent_batch_is_a_duplicate_with_its_original_offsets() {
        let mut s = ProducerStates::default();
        for i in 0..7 {
            s.record(&batch(1, 0, i * 2, 2), 100 + i64::from(i) * 2, 101 + i64::from(i) * 2);
        }
        let dup = s.check(&batch(1, 0, 10, 2)).unwrap();
        assert_eq!(
            dup,
            SequenceCheck::Duplicate(TrackedBatch {
                first_sequence: 10,
                last_sequence: 11,
                base_offset: 110,
                last_offset: 111
            })
        );
        // Older than the last five: no longer known, so out of order rather than silently accepted.
        assert_eq!(s.check(&batch(1, 0, 0, 2)).unwrap_err().name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    }

    #[test]
    fn epochs_fence_and_restart_sequences() {
        let mut s = ProducerStates::default();
        s.record(&batch(1, 3, 0, 1), 0, 0);
        assert_eq!(s.check(&batch(1, 2, 1, 1)).unwrap_err().name(), "INVALID_PRODUCER_EPOCH");
        assert_eq!(s.check(&batch(1, 4, 0, 1)).unwrap(), SequenceCheck::Append);
        assert_eq!(s.check(&batch(1, 4, 1, 1)).unwrap_err().name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        let mut s = ProducerStates::default();
        s.record(&batch(1, 0, i32::MAX - 1, 2), 1, 2); // as if the producer had counted that far
        assert_eq!(s.check(&batch(1, 0, 0, 1)).unwrap(), SequenceCheck::Append);
        assert_eq!(s.check(&batch(1, 0, 1, 1)).unwrap_err().name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    }

    #[test]
    fn a_producer_whose_batches_are_deleted_is_kept_for_its_open_transaction_only() {
        let mut s = ProducerStates::default();
        s.record(&ProducerBatch { transactional: true, ..batch(1, 0, 0, 2) }, 10, 11);
        s.record(&batch(2, 0, 0, 1), 12, 12);
        s.forget_before(20);
        assert_eq!(s.first_unstable(30), Some(10), "the open transaction still holds readers back");
        assert_eq!(s.check(&batch(1, 0, 7, 1)).unwrap(), SequenceCheck::Append, "its sequences are forgotten");
        assert_eq!(s.check(&batch(2, 0, 9, 1)).unwrap(), SequenceCheck::Append, "the other producer is gone");
        s.end_txn(1, 0, 21, 20);
        s.forget_before(22);
        assert!(s.is_empty());
    }

    #[test]
    fn truncation_forgets_what_is_gone() {
        let mut s = ProducerStates::default();
        s.record(&batch(1, 0, 0, 1), 0, 0);
        s.record(&batch(1, 0, 1, 1), 1, 1);
        s.truncate(1);
        assert_eq!(s.check(&batch(1, 0, 1, 1)).unwrap(), SequenceCheck::Append);
        s.truncate(0);
        assert!(s.is_empty());
    }
}
