//! The client side of produce and fetch, kept pure so that the in-page API and worker clients share it.

mod accumulator;
mod packed;

use bytes::Bytes;

use std::collections::BTreeSet;

use crate::core::error::Result;
use crate::core::log::AbortedTxn;
use crate::core::record::{
    marker_of, records_section, BatchHeader, Compression, Marker, Record, RecordCursor, RecordFields, HEADER_LEN,
};

pub use accumulator::{Accumulator, Drained, PartitionBatch, Piece};
pub use packed::{encode as encode_packed, pack as pack_messages, Message as PackedMessage, PackedRecords};

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

/// The records of a fetch response at or after `position`, in offset order, with the position to fetch next;
/// those of `aborted` transactions (a `read_committed` fetch's) left out.
pub fn records_from(batches: &[Bytes], position: i64, aborted: &[AbortedTxn]) -> Result<(Vec<(i64, Record)>, i64)> {
    let mut out = Vec::new();
    let next = each_fetched(batches, position, CrcCheck::Check, aborted, |section, offset, fields| {
        out.push((offset, fields.to_record(section.bytes)?));
        Ok(())
    })?;
    Ok((out, next))
}

/// A batch's records section, as [`each_fetched`] gives it: which batch of the fetch it is (counting from 0),
/// where it lies in the fetched chunks (`None` when it was decompressed, so lies nowhere in them), and its bytes.
pub struct Section<'a> {
    pub batch: usize,
    pub in_chunk: Option<(usize, usize)>,
    pub bytes: &'a Bytes,
}

/// Reads the records of a fetch response at or after `position` in place, in offset order: gives each record's
/// absolute offset and fields (with the timestamp a consumer sees) to `each`, with its batch's records section
/// (see [`Section`]). Returns the position to fetch next.
///
/// Records before `position` are there because a fetch returns whole batches; they are skipped, as Kafka's
/// consumer does. Each of `batches` holds whole batches (a fetch never splits one), each checked here, its CRC
/// as `crc` says.
///
/// Transaction markers (control batches) are never records. A `read_committed` fetch comes with the aborted
/// transactions its range may hold: a producer's transactional batches are skipped from an aborted
/// transaction's first offset to its abort marker, as Kafka's consumer skips them.
pub fn each_fetched(
    batches: &[Bytes],
    position: i64,
    crc: CrcCheck,
    aborted: &[AbortedTxn],
    mut each: impl FnMut(&Section, i64, RecordFields) -> Result<()>,
) -> Result<i64> {
    let mut next = position;
    let mut batch = 0;
    let mut aborted: Vec<&AbortedTxn> = aborted.iter().collect();
    aborted.sort_by_key(|a| std::cmp::Reverse(a.first_offset));
    let mut aborting = BTreeSet::new();
    for (i, chunk) in batches.iter().enumerate() {
        let mut at = 0;
        while at < chunk.len() {
            let h = match crc {
                CrcCheck::Check => BatchHeader::parse(&chunk[at..])?,
                CrcCheck::Trust => BatchHeader::parse_without_crc(&chunk[at..])?,
            };
            while let Some(a) = aborted.pop_if(|a| a.first_offset <= h.last_offset()) {
                aborting.insert(a.producer_id);
            }
            let skipped = if h.attributes.is_control() {
                let batch_bytes = chunk.slice(at..at + h.size());
                if marker_of(&h, &batch_bytes)? == Some(Marker::Abort) {
                    aborting.remove(&h.producer_id);
                }
                true
            } else {
                h.attributes.is_transactional() && aborting.contains(&h.producer_id)
            };
            if !skipped {
                let (bytes, in_chunk) = match h.attributes.compression()? {
                    Compression::None => (chunk.slice(at + HEADER_LEN..at + h.size()), Some((i, at + HEADER_LEN))),
                    _ => (records_section(&h, &chunk.slice(at..at + h.size()))?, None),
                };
                let section = Section { batch, in_chunk, bytes: &bytes };
                batch += 1;
                let mut cursor = RecordCursor::new(&h, &bytes)?;
                while let Some(mut fields) = cursor.next()? {
                    // Saturating: the bytes come from elsewhere, and an offset near i64::MAX must not wrap.
                    let offset = h.base_offset.saturating_add(i64::from(fields.offset_delta));
                    if offset >= position {
                        fields.timestamp = h.attributes.consumer_timestamp(h.max_timestamp, fields.timestamp);
                        each(&section, offset, fields)?;
                    }
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
    use crate::core::record::RecordBatch;

    #[test]
    fn records_from_skips_what_lies_before_the_position() {
        let mut b = RecordBatch::from_records(vec![Record::new("a", 1), Record::new("b", 1), Record::new("c", 1)]);
        b.base_offset = 10;
        let (records, next) = records_from(&[b.encode()], 11, &[]).unwrap();
        assert_eq!(records.iter().map(|(o, _)| *o).collect::<Vec<_>>(), [11, 12]);
        assert_eq!(next, 13);
        assert_eq!(records_from(&[], 5, &[]).unwrap(), (vec![], 5));
    }

    #[test]
    fn a_wrong_crc_is_caught_only_when_crcs_are_checked() {
        let mut bytes = RecordBatch::from_records(vec![Record::new("a", 1), Record::new("b", 2)]).encode().to_vec();
        bytes[17] ^= 0xff; // the CRC field itself: every other byte is as written
        let fetched = [Bytes::from(bytes)];
        let err = PackedRecords::fetched(&fetched, 0, CrcCheck::Check, &[]).unwrap_err();
        assert_eq!(err.name(), "CORRUPT_MESSAGE");
        let (trusted, next) = PackedRecords::fetched(&fetched, 0, CrcCheck::Trust, &[]).unwrap();
        assert_eq!((trusted.len(), next), (2, 2));
        assert_eq!(records_from(&fetched, 0, &[]).unwrap_err().name(), "CORRUPT_MESSAGE", "the CLI's reads check");
    }

    #[test]
    fn packed_records_point_at_what_decoding_gives_across_chunks_compressed_or_not() {
        let batch = |base, values: &[&'static str], gzip: bool| {
            let mut b = RecordBatch::from_records(values.iter().map(|v| Record::keyed(*v, v.repeat(3), 1)).collect());
            b.base_offset = base;
            b.attributes.0 |= if gzip { Compression::Gzip.bits() } else { 0 };
            b.encode()
        };
        // Two chunks; GZIP batches between plain ones, two of them in a row in one chunk.
        let first = [batch(0, &["a", "b"], false), batch(2, &["c", "d"], true)].concat();
        let second = [batch(4, &["e"], true), batch(5, &["f", "g"], true), batch(7, &["h"], false)].concat();
        let chunks = [Bytes::from(first), Bytes::from(second)];
        let (records, next) = records_from(&chunks, 1, &[]).unwrap();
        let (packed, packed_next) = PackedRecords::fetched(&chunks, 1, CrcCheck::Check, &[]).unwrap();
        assert_eq!((packed_next, packed.len()), (next, 7));
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
