//! What a leader checks before it appends, as Kafka's `LogValidator` does.
//!
//! Two forms of produce arrive: bytes a client built (checked for structure, then for the topic's rules), and
//! records an in-page producer hands over (the leader builds the batch itself, so only the topic's rules apply).
//! Validation reads everything and changes nothing, so a request that fails leaves no trace: no batch of it is
//! ever half-written or visible.

use bytes::Bytes;

use crate::core::error::{Error, Result};
use crate::core::record::{records_section, split_batches, BatchHeader, RecordCursor, TimestampType};
use crate::core::topic::TopicConfig;

/// One validated batch, ready for offsets to be assigned.
pub struct ValidBatch {
    pub header: BatchHeader,
    pub bytes: Bytes,
    /// The largest record timestamp, which the leader writes into the header whatever the producer claimed.
    pub max_timestamp: i64,
}

/// Checks a produce request's record set (client-built bytes) for structure and against the topic's rules, at
/// the broker's time `now_ms`. Records are read in place, never materialised: Kafka's `LogValidator` reads each
/// record too.
pub fn validate_produce(records: &Bytes, config: &TopicConfig, now_ms: i64) -> Result<Vec<ValidBatch>> {
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
        if header.attributes.is_transactional() && (header.producer_id < 0 || header.base_sequence < 0) {
            return Err(Error::InvalidRecord(
                "a transactional batch must carry its producer's id, epoch and sequence".into(),
            ));
        }
        // A compressed batch is read decompressed, and stored as it came.
        let body = records_section(&header, &bytes)?;
        let mut cursor = RecordCursor::new(&header, &body)?;
        check_batch(header.size(), cursor.len(), config)?;
        // A producer's batch numbers its records 0..n with no gaps, and says so in lastOffsetDelta.
        if header.last_offset_delta as usize != cursor.len() - 1 {
            return Err(Error::InvalidRecord(format!(
                "lastOffsetDelta is {} but the batch holds {} records",
                header.last_offset_delta,
                cursor.len()
            )));
        }
        let mut max_timestamp = -1;
        let mut expected = 0;
        while let Some(record) = cursor.next()? {
            if record.offset_delta != expected {
                return Err(Error::InvalidRecord(format!(
                    "record {expected} has offset delta {}, expected {expected}",
                    record.offset_delta
                )));
            }
            check_key(record.has_key(), record.offset_delta, config)?;
            check_timestamp(record.timestamp, record.offset_delta, config, now_ms)?;
            max_timestamp = max_timestamp.max(record.timestamp);
            expected += 1;
        }
        batches.push(ValidBatch { header, bytes, max_timestamp });
    }
    Ok(batches)
}

/// Keys on a compacted topic, for records the leader batches itself: whether each has one, in order.
pub fn check_keys(has_keys: impl Iterator<Item = bool>, config: &TopicConfig) -> Result<()> {
    (0..).zip(has_keys).try_for_each(|(delta, has_key)| check_key(has_key, delta, config))
}

/// Timestamps, for records the leader batches itself: each in order.
pub fn check_timestamps(timestamps: impl Iterator<Item = i64>, config: &TopicConfig, now_ms: i64) -> Result<()> {
    (0..).zip(timestamps).try_for_each(|(delta, t)| check_timestamp(t, delta, config, now_ms))
}

/// A CreateTime record's timestamp must lie within `message.timestamp.before.max.ms` before the broker's clock
/// and `message.timestamp.after.max.ms` after it (KIP-937). LogAppendTime topics stamp their own time, and a
/// record without a timestamp (-1) has nothing to check.
fn check_timestamp(timestamp: i64, offset_delta: i32, config: &TopicConfig, now_ms: i64) -> Result<()> {
    if config.message_timestamp_type == TimestampType::LogAppendTime || timestamp == -1 {
        return Ok(());
    }
    let earliest = now_ms.saturating_sub(config.message_timestamp_before_max_ms);
    let latest = now_ms.saturating_add(config.message_timestamp_after_max_ms);
    if timestamp < earliest || timestamp > latest {
        return Err(Error::InvalidTimestamp(format!(
            "timestamp {timestamp} of the record with offset delta {offset_delta} is out of range: it must lie within \
             [{earliest}, {latest}] (message.timestamp.before.max.ms={}, message.timestamp.after.max.ms={})",
            config.message_timestamp_before_max_ms, config.message_timestamp_after_max_ms
        )));
    }
    Ok(())
}

/// A batch of `size` bytes and `count` records: not empty, and within `max.message.bytes`.
pub fn check_batch(size: usize, count: usize, config: &TopicConfig) -> Result<()> {
    if count == 0 {
        return Err(Error::InvalidRecord("a produced batch must hold at least one record".into()));
    }
    if size > config.max_message_bytes as usize {
        return Err(Error::MessageTooLarge(format!(
            "a batch of {size} bytes is larger than max.message.bytes={}",
            config.max_message_bytes
        )));
    }
    Ok(())
}

/// A compacted topic keeps the last record per key, so a record without one has no place in it.
fn check_key(has_key: bool, offset_delta: i32, config: &TopicConfig) -> Result<()> {
    if config.cleanup_policy.compact && !has_key {
        return Err(Error::InvalidRecord(format!(
            "a compacted topic cannot accept a record without a key (offset delta {offset_delta})"
        )));
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
