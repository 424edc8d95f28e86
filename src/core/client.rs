//! The client side of produce and fetch, kept pure so that the in-page API and worker clients share it.

mod accumulator;
mod packed;

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::core::error::Result;
use crate::core::partitioner::Partitioner;
use crate::core::record::{BatchHeader, Record, RecordCursor, RecordFields, HEADER_LEN};

pub use accumulator::{record_bytes, Accumulator, Drained, PartitionBatch, Piece};
pub use packed::{unpack as unpack_messages, PackedRecords};

/// A message as a producer hands it over: a record, and maybe the partition it must go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub record: Record,
    pub partition: Option<i32>,
}

/// Splits one `send` into one batch's records per partition, in message order within each partition, as a Kafka
/// producer's accumulator does. Fails without side effects if any message names a partition that does not exist.
pub fn batches_by_partition(
    partitioner: &mut Partitioner,
    topic: &str,
    messages: Vec<OutgoingMessage>,
    partitions: u32,
    available: &[u32],
) -> Result<BTreeMap<u32, Vec<Record>>> {
    let mut chosen = Vec::with_capacity(messages.len());
    for m in &messages {
        chosen.push(partitioner.partition(topic, m.record.key.as_deref(), m.partition, partitions, available)?);
    }
    // All to one partition (a one-partition topic, or a send that names one): the records in one go.
    if let Some(&only) = chosen.first().filter(|&&first| chosen.iter().all(|&p| p == first)) {
        return Ok(BTreeMap::from([(only, messages.into_iter().map(|m| m.record).collect())]));
    }
    let mut by_partition: BTreeMap<u32, Vec<Record>> = BTreeMap::new();
    for (m, p) in messages.into_iter().zip(chosen) {
        by_partition.entry(p).or_default().push(m.record);
    }
    Ok(by_partition)
}

/// Whether a reader of fetched batches checks their CRCs: Kafka's consumer setting `check.crcs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrcCheck {
    /// Every batch's CRC is computed and compared: for bytes of unknown origin.
    Check,
    /// Magic, lengths and every record's framing are still checked, but not the CRC: for bytes a franz broker
    /// sent through memory only. The broker checked the CRC when the batch reached it and whenever it reads it
    /// back from IndexedDB, so no disk or network lies between that check and the reader (KafkaJS never checks
    /// CRCs).
    Trust,
}

/// The records of a fetch response at or after `position`, in offset order, with the position to fetch next.
pub fn records_from(batches: &[Bytes], position: i64) -> Result<(Vec<(i64, Record)>, i64)> {
    let mut out = Vec::new();
    let next = each_fetched(batches, position, CrcCheck::Check, |chunk, body_at, offset, fields| {
        out.push((offset, fields.to_record(&batches[chunk].slice(body_at..))?));
        Ok(())
    })?;
    Ok((out, next))
}

/// Reads the records of a fetch response at or after `position` in place, in offset order: gives each record's
/// absolute offset and fields (with the timestamp a consumer sees) to `each`, with the index of the chunk it lies
/// in and where its batch's record section starts there. Returns the position to fetch next.
///
/// Records before `position` are there because a fetch returns whole batches; they are skipped, as Kafka's
/// consumer does. Each of `batches` holds whole batches (a fetch never splits one), each checked here, its CRC
/// as `crc` says.
pub fn each_fetched(
    batches: &[Bytes],
    position: i64,
    crc: CrcCheck,
    mut each: impl FnMut(usize, usize, i64, RecordFields) -> Result<()>,
) -> Result<i64> {
    let mut next = position;
    for (i, chunk) in batches.iter().enumerate() {
        let mut at = 0;
        while at < chunk.len() {
            let h = match crc {
                CrcCheck::Check => BatchHeader::parse(&chunk[at..])?,
                CrcCheck::Trust => BatchHeader::parse_without_crc(&chunk[at..])?,
            };
            let mut cursor = RecordCursor::new(&h, &chunk[at..at + h.size()])?;
            while let Some(mut fields) = cursor.next()? {
                // Saturating: the bytes come from elsewhere, and an offset near i64::MAX must not wrap.
                let offset = h.base_offset.saturating_add(i64::from(fields.offset_delta));
                if offset >= position {
                    fields.timestamp = h.attributes.consumer_timestamp(h.max_timestamp, fields.timestamp);
                    each(i, at + HEADER_LEN, offset, fields)?;
                }
            }
            // Compaction can leave a batch's tail empty; the next fetch starts after the batch, not its last record.
            next = next.max(h.last_offset().saturating_add(1));
            at += h.size();
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::partitioner::{partition_for_key, NullKeyStrategy};
    use crate::core::record::RecordBatch;

    fn msg(key: Option<&str>, value: &str, partition: Option<i32>) -> OutgoingMessage {
        let mut record = Record::new(value.to_owned(), 1);
        record.key = key.map(|k| Bytes::copy_from_slice(k.as_bytes()));
        OutgoingMessage { record, partition }
    }

    #[test]
    fn groups_messages_by_partition_keeping_their_order() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
        let messages = vec![msg(Some("a"), "1", None), msg(None, "2", Some(2)), msg(Some("a"), "3", None)];
        let batches = batches_by_partition(&mut p, "t", messages, 3, &[]).unwrap();
        let a = partition_for_key(b"a", 3);
        let values: Vec<_> = batches[&a].iter().map(|r| r.value.clone().unwrap()).collect();
        assert_eq!(values, ["1", "3"]);
        assert_eq!(batches[&2].len(), if a == 2 { 3 } else { 1 });
    }

    #[test]
    fn a_send_to_one_partition_keeps_every_record_in_order() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
        let messages = (0..5).map(|i| msg(None, &i.to_string(), Some(1))).collect();
        let batches = batches_by_partition(&mut p, "t", messages, 3, &[]).unwrap();
        let values: Vec<_> = batches[&1].iter().map(|r| r.value.clone().unwrap()).collect();
        assert_eq!(batches.len(), 1);
        assert_eq!(values, ["0", "1", "2", "3", "4"]);
        let one = batches_by_partition(&mut p, "t", vec![msg(None, "x", None), msg(None, "y", None)], 1, &[]).unwrap();
        assert_eq!(one[&0].len(), 2, "a one-partition topic");
    }

    #[test]
    fn a_bad_explicit_partition_fails_the_whole_send() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
        let err = batches_by_partition(&mut p, "t", vec![msg(None, "1", None), msg(None, "2", Some(9))], 3, &[]);
        assert_eq!(err.unwrap_err().name(), "UNKNOWN_TOPIC_OR_PARTITION");
    }

    #[test]
    fn records_from_skips_what_lies_before_the_position() {
        let mut b = RecordBatch::from_records(vec![Record::new("a", 1), Record::new("b", 1), Record::new("c", 1)]);
        b.base_offset = 10;
        let (records, next) = records_from(&[b.encode()], 11).unwrap();
        assert_eq!(records.iter().map(|(o, _)| *o).collect::<Vec<_>>(), [11, 12]);
        assert_eq!(next, 13);
        assert_eq!(records_from(&[], 5).unwrap(), (vec![], 5));
    }

    #[test]
    fn a_wrong_crc_is_caught_only_when_crcs_are_checked() {
        let mut bytes = RecordBatch::from_records(vec![Record::new("a", 1), Record::new("b", 2)]).encode().to_vec();
        bytes[17] ^= 0xff; // the CRC field itself: every other byte is as written
        let fetched = [Bytes::from(bytes)];
        let err = PackedRecords::fetched(&fetched, 0, CrcCheck::Check).unwrap_err();
        assert_eq!(err.name(), "CORRUPT_MESSAGE");
        let (trusted, next) = PackedRecords::fetched(&fetched, 0, CrcCheck::Trust).unwrap();
        assert_eq!((trusted.len(), next), (2, 2));
        assert_eq!(records_from(&fetched, 0).unwrap_err().name(), "CORRUPT_MESSAGE", "the CLI's reads check");
    }

    #[test]
    fn packed_records_point_at_what_decoding_gives_across_chunks() {
        let chunk = |base, values: &[&'static str]| {
            let mut b = RecordBatch::from_records(values.iter().map(|v| Record::keyed(*v, v.repeat(3), 1)).collect());
            b.base_offset = base;
            b.encode()
        };
        let chunks = [chunk(0, &["a", "b"]), chunk(2, &["c", "d"])];
        let (records, next) = records_from(&chunks, 1).unwrap();
        let (packed, packed_next) = PackedRecords::fetched(&chunks, 1, CrcCheck::Check).unwrap();
        assert_eq!((packed_next, packed.len()), (next, 3));
        for (i, (offset, r)) in records.iter().enumerate() {
            assert_eq!(packed.offset(i), *offset);
            let field = |j: usize| {
                let (start, len) = (packed.refs[5 * i + j] as usize, packed.refs[5 * i + j + 1] as usize);
                &packed.arena[start..start + len]
            };
            assert_eq!((field(0), field(2)), (&r.key.as_ref().unwrap()[..], &r.value.as_ref().unwrap()[..]));
        }
    }
}
