//! Kafka's ConsumerProtocol, version 0 (what KafkaJS's `AssignerProtocol` writes): the bytes a group's members
//! pass each other through the coordinator, which never reads them. A member's subscription rides in its
//! JoinGroup as its protocol's metadata; the leader's assignment of each member rides in its SyncGroup. Custom
//! assignors (KafkaJS's assigner functions) read and write these; franz's own assignors need none.
//!
//! Reading never panics: bytes cut short, negative lengths and names that are not UTF-8 are `CORRUPT_MESSAGE`.
//! Bytes after version 0's fields (a later version's owned partitions, generation or rack) are left unread, as
//! Kafka reads a newer version than it knows.

use bytes::BufMut;

use super::assignors::TopicPartition;
use crate::core::error::{Error, Result};
use crate::core::record::Reader;

/// A member's subscription: Kafka's `ConsumerProtocolSubscription`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMetadata {
    pub version: i16,
    pub topics: Vec<String>,
    /// The assignor's own bytes (`None` is Kafka's null).
    pub user_data: Option<Vec<u8>>,
}

/// A member's partitions, per topic: Kafka's `ConsumerProtocolAssignment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAssignment {
    pub version: i16,
    pub assignment: Vec<(String, Vec<i32>)>,
    pub user_data: Option<Vec<u8>>,
}

impl MemberMetadata {
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.put_i16(self.version);
        put_count(&mut out, self.topics.len(), "topics")?;
        for topic in &self.topics {
            put_string(&mut out, topic)?;
        }
        put_bytes(&mut out, self.user_data.as_deref())?;
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<MemberMetadata> {
        let mut r = Reader::new(bytes);
        let version = r.i16("MemberMetadata version")?;
        let topics = read_array(&mut r, "MemberMetadata topics", |r| read_string(r, "MemberMetadata topic"))?;
        let user_data = read_bytes(&mut r, "MemberMetadata userData")?;
        Ok(MemberMetadata { version, topics, user_data })
    }
}

impl MemberAssignment {
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        out.put_i16(self.version);
        put_count(&mut out, self.assignment.len(), "assignment")?;
        for (topic, partitions) in &self.assignment {
            put_string(&mut out, topic)?;
            put_count(&mut out, partitions.len(), "partitions")?;
            for p in partitions {
                out.put_i32(*p);
            }
        }
        put_bytes(&mut out, self.user_data.as_deref())?;
        Ok(out)
    }

    /// The partitions it gives, in order. A negative partition number is INVALID_REQUEST: no such partition can
    /// be read.
    pub fn topic_partitions(&self) -> Result<Vec<TopicPartition>> {
        let mut out = Vec::new();
        for (topic, partitions) in &self.assignment {
            for &p in partitions {
                let p = u32::try_from(p).map_err(|_| {
                    Error::InvalidRequest(format!("the assignment gives partition {p} of topic {topic:?}"))
                })?;
                out.push((topic.clone(), p));
            }
        }
        Ok(out)
    }

    /// `None` for no bytes at all: a member the leader gave nothing (KafkaJS's `decode` answers null).
    pub fn decode(bytes: &[u8]) -> Result<Option<MemberAssignment>> {
        if bytes.is_empty() {
            return Ok(None);
        }
        let mut r = Reader::new(bytes);
        let version = r.i16("MemberAssignment version")?;
        let assignment = read_array(&mut r, "MemberAssignment assignment", |r| {
            let topic = read_string(r, "MemberAssignment topic")?;
            let partitions = read_array(r, "MemberAssignment partitions", |r| r.i32("MemberAssignment partition"))?;
            Ok((topic, partitions))
        })?;
        let user_data = read_bytes(&mut r, "MemberAssignment userData")?;
        Ok(Some(MemberAssignment { version, assignment, user_data }))
    }
}

fn too_long(what: &str, len: usize, max: usize) -> Error {
    Error::InvalidRequest(format!("{what} of {len} is over the {max} Kafka's encoding can carry"))
}

fn put_count(out: &mut Vec<u8>, len: usize, what: &str) -> Result<()> {
    out.put_i32(i32::try_from(len).map_err(|_| too_long(what, len, i32::MAX as usize))?);
    Ok(())
}

fn put_string(out: &mut Vec<u8>, s: &str) -> Result<()> {
    let len = i16::try_from(s.len()).map_err(|_| too_long("a string's bytes", s.len(), i16::MAX as usize))?;
    out.put_i16(len);
    out.put_slice(s.as_bytes());
    Ok(())
}

fn put_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) -> Result<()> {
    match bytes {
        None => out.put_i32(-1),
        Some(b) => {
            put_count(out, b.len(), "userData's bytes")?;
            out.put_slice(b);
        }
    }
    Ok(())
}

fn corrupt(what: &str, why: impl std::fmt::Display) -> Error {
    Error::CorruptMessage(format!("{what}: {why}"))
}

/// An ARRAY: an i32 count (-1 is null, read as empty), then the items. The count is not trusted to size
/// anything: a lying one runs out of bytes.
fn read_array<T>(r: &mut Reader, what: &str, mut item: impl FnMut(&mut Reader) -> Result<T>) -> Result<Vec<T>> {
    let count = r.i32(what)?;
    if count < -1 {
        return Err(corrupt(what, format_args!("count {count}")));
    }
    let mut items = Vec::new();
    for _ in 0..count {
        items.push(item(r)?);
    }
    Ok(items)
}

fn read_string(r: &mut Reader, what: &str) -> Result<String> {
    let len = r.i16(what)?;
    let len = usize::try_from(len).map_err(|_| corrupt(what, format_args!("length {len}")))?;
    String::from_utf8(r.take(len, what)?.to_vec()).map_err(|_| corrupt(what, "not UTF-8"))
}

fn read_bytes(r: &mut Reader, what: &str) -> Result<Option<Vec<u8>>> {
    let len = r.i32(what)?;
    if len == -1 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| corrupt(what, format_args!("length {len}")))?;
    Ok(Some(r.take(len, what)?.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_kafkajs_writes() {
        // KafkaJS's `MemberAssignment.encode({ version: 0, assignment: { a: [0, 2] } })`.
        let kafkajs = [0, 0, 0, 0, 0, 1, 0, 1, b'a', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0];
        let decoded = MemberAssignment::decode(&kafkajs).unwrap().unwrap();
        assert_eq!(decoded.assignment, vec![("a".to_owned(), vec![0, 2])]);
        assert_eq!(decoded.user_data, Some(Vec::new()));
        assert_eq!(decoded.encode().unwrap(), kafkajs);
        assert_eq!(decoded.topic_partitions().unwrap(), [("a".to_owned(), 0), ("a".to_owned(), 2)]);
        assert_eq!(MemberAssignment::decode(&[]).unwrap(), None);
        let negative = MemberAssignment { version: 0, assignment: vec![("a".into(), vec![-1])], user_data: None };
        assert_eq!(negative.topic_partitions().unwrap_err().name(), "INVALID_REQUEST");
    }

    #[test]
    fn a_later_version_s_fields_are_left_unread_and_a_cut_or_lying_count_is_corrupt() {
        let m = MemberMetadata { version: 1, topics: vec!["t".into()], user_data: None };
        let mut bytes = m.encode().unwrap();
        bytes.extend([0, 0, 0, 0]); // v1's owned partitions: none
        assert_eq!(MemberMetadata::decode(&bytes).unwrap(), m);
        let cut = MemberMetadata::decode(&bytes[..5]).unwrap_err();
        assert_eq!(cut.name(), "CORRUPT_MESSAGE", "{cut}");
        let lying = [0, 0, 0x7f, 0xff, 0xff, 0xff];
        assert_eq!(MemberMetadata::decode(&lying).unwrap_err().name(), "CORRUPT_MESSAGE");
    }

    #[cfg(not(target_arch = "wasm32"))] // proptest needs an OS randomness source
    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn assignments_and_metadata_round_trip(
                version in any::<i16>(),
                assignment in proptest::collection::vec(("[a-z._-]{0,20}", proptest::collection::vec(any::<i32>(), 0..8)), 0..6),
                user_data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            ) {
                let a = MemberAssignment { version, assignment: assignment.clone(), user_data: user_data.clone() };
                prop_assert_eq!(MemberAssignment::decode(&a.encode().unwrap()).unwrap(), Some(a));
                let topics = assignment.into_iter().map(|(t, _)| t).collect();
                let m = MemberMetadata { version, topics, user_data };
                prop_assert_eq!(MemberMetadata::decode(&m.encode().unwrap()).unwrap(), m);
            }

            #[test]
            fn garbage_is_an_error_or_a_value_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
                let _ = MemberAssignment::decode(&bytes);
                let _ = MemberMetadata::decode(&bytes);
            }
        }
    }
}
