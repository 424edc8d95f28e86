//! `__transaction_state` records in Kafka's formats: TransactionLogKey v0 (version, transactional id) and
//! TransactionLogValue v0 (version, producer id, epoch, timeout, state, the partitions by topic, last update and
//! start time). A tombstone (null value) deletes the id.

use std::collections::{BTreeMap, BTreeSet};

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{TxnMetadata, TxnState};
use crate::core::record::{get_string, put_string};

const VERSION: i16 = 0;

pub fn encode_key(transactional_id: &str) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_i16(VERSION);
    put_string(&mut buf, transactional_id);
    buf.freeze()
}

pub fn encode_value(m: &TxnMetadata) -> Bytes {
    let mut by_topic: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (topic, partition) in &m.partitions {
        by_topic.entry(topic).or_default().push(*partition);
    }
    let mut buf = BytesMut::new();
    buf.put_i16(VERSION);
    buf.put_i64(m.producer_id);
    buf.put_i16(m.epoch);
    buf.put_i32(m.timeout_ms);
    buf.put_i8(m.state.code());
    buf.put_i32(by_topic.len() as i32);
    for (topic, partitions) in by_topic {
        put_string(&mut buf, topic);
        buf.put_i32(partitions.len() as i32);
        partitions.iter().for_each(|p| buf.put_i32(*p as i32));
    }
    buf.put_i64(m.updated_ms);
    buf.put_i64(m.started_ms);
    buf.freeze()
}

/// A record of `__transaction_state`: the transactional id, and its metadata (`None`: a tombstone). `None` for
/// a record of another version or one that does not parse.
pub fn decode(key: &[u8], value: Option<&[u8]>) -> Option<(String, Option<TxnMetadata>)> {
    let mut k = key;
    if k.try_get_i16().ok()? != VERSION {
        return None;
    }
    let id = get_string(&mut k)?;
    let Some(mut v) = value else { return Some((id, None)) };
    if v.try_get_i16().ok()? != VERSION {
        return None;
    }
    let (producer_id, epoch, timeout_ms) = (v.try_get_i64().ok()?, v.try_get_i16().ok()?, v.try_get_i32().ok()?);
    let state = TxnState::from_code(v.try_get_i8().ok()?)?;
    let mut partitions = BTreeSet::new();
    // A null array (-1) is none.
    for _ in 0..v.try_get_i32().ok()?.max(0) {
        let topic = get_string(&mut v)?;
        for _ in 0..v.try_get_i32().ok()?.max(0) {
            partitions.insert((topic.clone(), u32::try_from(v.try_get_i32().ok()?).ok()?));
        }
    }
    let (updated_ms, started_ms) = (v.try_get_i64().ok()?, v.try_get_i64().ok()?);
    Some((id, Some(TxnMetadata { producer_id, epoch, timeout_ms, state, partitions, started_ms, updated_ms })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_in_kafkas_layout() {
        let m = TxnMetadata {
            producer_id: 7,
            epoch: 3,
            timeout_ms: 60_000,
            state: TxnState::PrepareCommit,
            partitions: [("a".to_owned(), 0), ("a".to_owned(), 2), ("b".to_owned(), 1)].into_iter().collect(),
            started_ms: 1_700_000_000_000,
            updated_ms: 1_700_000_000_500,
        };
        let (key, value) = (encode_key("pay-1"), encode_value(&m));
        assert_eq!(&key[..], b"\x00\x00\x00\x05pay-1");
        // version, producer id, epoch, timeout, state: then 2 topics.
        assert_eq!(&value[..17], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 3, 0, 0, 0xea, 0x60, 2][..]);
        assert_eq!(&value[17..21], &[0, 0, 0, 2]);
        assert_eq!(decode(&key, Some(&value)), Some(("pay-1".to_owned(), Some(m))));
        assert_eq!(decode(&key, None), Some(("pay-1".to_owned(), None)));
        assert_eq!(decode(&key, Some(&value[..20])), None, "a cut value is refused, not a panic");
        assert_eq!(decode(b"\x00\x01\x00\x01x", None), None, "another key version");
    }
}
