//! What a leader checks before it appends, as Kafka's `LogValidator` does.
//!
//! Two forms of produce arrive: bytes a client built (checked for structure, then for the topic's rules), and
//! records an in-page producer hands over (the leader builds the batch itself, so only the topic's rules apply).
//! Validation reads everything and changes nothing, so a request that fails leaves no trace: no batch of it is
//! ever half-written or visible.

use bytes::Bytes;

use crate::core::error::{Error, Result};
use crate::core::record::{split_batches, BatchHeader, BatchRecord, RecordBatch};
use crate::core::topic::TopicConfig;

/// One validated batch, ready for offsets to be assigned.
pub struct ValidBatch {
    pub header: BatchHeader,
    pub bytes: Bytes,
    /// The largest record timestamp, which the leader writes into the header whatever the producer claimed.
    pub max_timestamp: i64,
}

/// Checks a produce request's record set (client-built bytes) for structure and against the topic's rules.
pub fn validate_produce(records: &Bytes, config: &TopicConfig) -> Result<Vec<ValidBatch>> {
    if records.is_empty() {
        return Err(Error::InvalidRequest("the produce request holds no record batch".into()));
    }
    check_record_set_size(records.len(), config)?;
    let mut batches = Vec::new();
    for item in split_batches(records) {
        let (header, bytes) = item?;
        if header.attributes.is_control() {
            return Err(Error::InvalidRecord("producers may not send control batches".into()));
        }
        let batch = RecordBatch::decode_records(header, bytes.clone())?;
        validate_offsets(&batch)?;
        check_topic_rules(header.size(), &batch.records, config)?;
        let max_timestamp = batch.records.iter().map(|r| r.record.timestamp).max().unwrap_or(-1);
        batches.push(ValidBatch { header, bytes, max_timestamp });
    }
    Ok(batches)
}

/// The topic's rules for one batch of `size` bytes: its size, and keys on a compacted topic.
pub fn check_topic_rules(size: usize, records: &[BatchRecord], config: &TopicConfig) -> Result<()> {
    if records.is_empty() {
        return Err(Error::InvalidRecord("a produced batch must hold at least one record".into()));
    }
    if size > config.max_message_bytes as usize {
        return Err(Error::MessageTooLarge(format!(
            "a batch of {size} bytes is larger than max.message.bytes={}",
            config.max_message_bytes
        )));
    }
    if config.cleanup_policy.compact {
        if let Some(r) = records.iter().find(|r| r.record.key.is_none()) {
            return Err(Error::InvalidRecord(format!(
                "a compacted topic cannot accept a record without a key (offset delta {})",
                r.offset_delta
            )));
        }
    }
    Ok(())
}

/// One request's record set may not exceed `segment.bytes`.
pub fn check_record_set_size(size: usize, config: &TopicConfig) -> Result<()> {
    if size > config.segment_bytes as usize {
        return Err(Error::RecordListTooLarge(format!(
            "the record set is {size} bytes, larger than segment.bytes={}",
            config.segment_bytes
        )));
    }
    Ok(())
}

/// A producer's batch numbers its records 0..n with no gaps, and says so in lastOffsetDelta.
fn validate_offsets(batch: &RecordBatch) -> Result<()> {
    if batch.records.is_empty() {
        return Err(Error::InvalidRecord("a produced batch must hold at least one record".into()));
    }
    if batch.last_offset_delta as usize != batch.records.len() - 1 {
        return Err(Error::InvalidRecord(format!(
            "lastOffsetDelta is {} but the batch holds {} records",
            batch.last_offset_delta,
            batch.records.len()
        )));
    }
    if let Some((i, r)) = batch.records.iter().enumerate().find(|(i, r)| r.offset_delta as usize != *i) {
        return Err(Error::InvalidRecord(format!("record {i} has offset delta {}, expected {i}", r.offset_delta)));
    }
    Ok(())
}
