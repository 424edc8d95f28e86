//! Transaction markers: the control batches a transaction coordinator writes into each partition a transaction
//! touched, to say the producer's records there are committed or aborted (Kafka's `EndTxnMarker`).
//!
//! A marker batch has the transactional and control attribute bits, the producer's id and epoch, base sequence
//! -1, and one record: key = version (0) and type (0 abort, 1 commit), value = version (0) and the
//! coordinator's epoch, all big-endian. Consumers never see control records; they only end transactions.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::batch::{Attributes, BatchHeader, RecordBatch};
use super::single::Record;
use crate::core::error::Result;

/// What a transaction marker says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Abort,
    Commit,
}

impl Marker {
    fn type_code(self) -> i16 {
        match self {
            Marker::Abort => 0,
            Marker::Commit => 1,
        }
    }
}

/// A marker batch of `producer_id` at `epoch`, not yet given its offset or leader epoch.
pub fn marker_batch(marker: Marker, producer_id: i64, epoch: i16, coordinator_epoch: i32, now_ms: i64) -> Bytes {
    let mut key = BytesMut::with_capacity(4);
    key.put_i16(0);
    key.put_i16(marker.type_code());
    let mut value = BytesMut::with_capacity(6);
    value.put_i16(0);
    value.put_i32(coordinator_epoch);
    let record = Record { key: Some(key.freeze()), value: Some(value.freeze()), timestamp: now_ms, headers: vec![] };
    let mut batch = RecordBatch::from_records(vec![record]);
    batch.attributes = Attributes(Attributes::TRANSACTIONAL | Attributes::CONTROL);
    (batch.producer_id, batch.producer_epoch) = (producer_id, epoch);
    batch.encode()
}

/// The marker a control batch holds. Its one record's key says which; a control batch of another kind (Kafka
/// has others, such as KRaft's), or an empty one, is `None`.
pub fn marker_of(header: &BatchHeader, batch: &Bytes) -> Result<Option<Marker>> {
    if !header.attributes.is_control() {
        return Ok(None);
    }
    let decoded = RecordBatch::decode_records(*header, batch.clone())?;
    let Some(first) = decoded.records.first() else { return Ok(None) };
    let mut key = first.record.key.as_deref().unwrap_or_default();
    let (Ok(0), Ok(kind)) = (key.try_get_i16(), key.try_get_i16()) else { return Ok(None) };
    Ok(match kind {
        0 => Some(Marker::Abort),
        1 => Some(Marker::Commit),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_control_batches_in_kafkas_layout() {
        let bytes = marker_batch(Marker::Commit, 7, 3, 11, 1_700_000_000_000);
        let h = BatchHeader::parse(&bytes).unwrap();
        assert!(h.attributes.is_control() && h.attributes.is_transactional());
        assert_eq!((h.producer_id, h.producer_epoch, h.base_sequence, h.record_count), (7, 3, -1, 1));
        let decoded = RecordBatch::decode(bytes.clone()).unwrap();
        let record = &decoded.records[0].record;
        assert_eq!(record.key.as_deref(), Some(&[0, 0, 0, 1][..]));
        assert_eq!(record.value.as_deref(), Some(&[0, 0, 0, 0, 0, 11][..]));
        assert_eq!(marker_of(&h, &bytes).unwrap(), Some(Marker::Commit));
        let abort = marker_batch(Marker::Abort, 7, 3, 0, 0);
        assert_eq!(marker_of(&BatchHeader::parse(&abort).unwrap(), &abort).unwrap(), Some(Marker::Abort));
    }

    #[test]
    fn data_batches_and_unknown_control_records_are_not_markers() {
        let data = RecordBatch::from_records(vec![Record::new("v", 1)]).encode();
        assert_eq!(marker_of(&BatchHeader::parse(&data).unwrap(), &data).unwrap(), None);
        let mut other = RecordBatch::from_records(vec![Record::keyed(&[0u8, 0, 0, 9][..], "x", 1)]);
        other.attributes = Attributes(Attributes::CONTROL);
        let other = other.encode();
        assert_eq!(marker_of(&BatchHeader::parse(&other).unwrap(), &other).unwrap(), None);
    }
}
