//! The packed form of a send's messages (`src/web/js/pack.js` writes it): one buffer per send, so a send crosses
//! from JavaScript into wasm once, and each message is encoded from it straight into its partition's records.
//!
//! Layout, little-endian 32-bit words (so JavaScript writes them as `Int32Array` elements): `count`, `data
//! offset`, then per message `flags` (1 = partition given, 2 = timestamp given), `partition`, the timestamp's low
//! and high words (an `i64`), key ref, value ref, `header count`, and a name ref and a value ref per header. A
//! ref is `start` (-1 = null) and `length` into the data area. The input comes from another language, so it is
//! checked like any input: malformed buffers get `INVALID_REQUEST`.

use std::collections::BTreeMap;
use std::ops::Range;

use bytes::Bytes;

use super::{each_fetched, CrcCheck};
use crate::core::error::Error;
use crate::core::log::AbortedTxn;
use crate::core::record::EncodedRecords;

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Where the data area (the bytes that refs point into) starts.
    data: usize,
}

fn malformed(what: &str) -> Error {
    Error::InvalidRequest(format!("the packed messages are malformed: {what}"))
}

impl Cursor<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let bytes = self.buf.get(self.pos..self.pos + N).ok_or_else(|| malformed("they end early"))?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        self.pos += N;
        Ok(out)
    }

    fn i32(&mut self) -> Result<i32, Error> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A ref into the data area: where its bytes lie, or `None` for null.
    fn field(&mut self) -> Result<Option<Range<usize>>, Error> {
        let [a, b, c, d, e, f, g, h] = self.array()?;
        self.range(i32::from_le_bytes([a, b, c, d]), i32::from_le_bytes([e, f, g, h]))
    }

    /// Where a ref's bytes lie (`start` -1: null), checked to be inside the data area.
    fn range(&self, start: i32, len: i32) -> Result<Option<Range<usize>>, Error> {
        if start == -1 {
            return Ok(None);
        }
        let from = usize::try_from(start).ok().map(|s| self.data + s);
        let to = from.zip(usize::try_from(len).ok()).map(|(f, l)| f + l);
        match (from, to) {
            (Some(f), Some(t)) if t <= self.buf.len() => Ok(Some(f..t)),
            _ => Err(malformed("a field points outside the data")),
        }
    }
}

/// A message's fixed part (flags, partition, timestamp, key and value refs, header count), read in one go: a
/// bounds check per field cost more than the fields.
struct Fixed([u8; FIXED_BYTES]);

const FIXED_BYTES: usize = 36;

impl Fixed {
    fn i32_at(&self, at: usize) -> i32 {
        let b = &self.0;
        i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn flags(&self) -> i32 {
        self.i32_at(0)
    }

    fn partition(&self) -> i32 {
        self.i32_at(4)
    }

    fn timestamp(&self) -> i64 {
        i64::from(self.i32_at(8) as u32) | (i64::from(self.i32_at(12)) << 32)
    }

    fn key(&self, c: &Cursor) -> Result<Option<Range<usize>>, Error> {
        c.range(self.i32_at(16), self.i32_at(20))
    }

    fn value(&self, c: &Cursor) -> Result<Option<Range<usize>>, Error> {
        c.range(self.i32_at(24), self.i32_at(28))
    }

    fn header_count(&self) -> i32 {
        self.i32_at(32)
    }
}

/// A packed send's messages, encoded per partition in message order: `partition_of(key, explicit partition)`
/// places each, and `now` stamps those without a timestamp. All or nothing: an error (a malformed buffer, a
/// partition that does not exist) fails the whole send.
pub fn encode(
    buf: &[u8],
    now: i64,
    mut partition_of: impl FnMut(Option<&[u8]>, Option<i32>) -> Result<u32, Error>,
) -> Result<BTreeMap<u32, EncodedRecords>, Error> {
    let mut c = Cursor { buf, pos: 0, data: 0 };
    let count = usize::try_from(c.i32()?).map_err(|_| malformed("negative count"))?;
    c.data = usize::try_from(c.i32()?).map_err(|_| malformed("negative data offset"))?;
    // Partitions in order of first use; a send's messages mostly go where the one before went.
    let mut parts: Vec<(u32, EncodedRecords)> = Vec::new();
    let mut last = 0;
    let mut headers: Vec<(Range<usize>, Option<Range<usize>>)> = Vec::new();
    let at = |r: Option<Range<usize>>| r.map(|r| &buf[r]);
    for _ in 0..count {
        let fixed = Fixed(c.array()?);
        let (flags, partition, timestamp) = (fixed.flags(), fixed.partition(), fixed.timestamp());
        let (key, value, header_count) = (fixed.key(&c)?, fixed.value(&c)?, fixed.header_count());
        headers.clear();
        for _ in 0..header_count {
            let name = c.field()?.unwrap_or(0..0);
            std::str::from_utf8(&buf[name.clone()]).map_err(|_| malformed("a header name is not UTF-8"))?;
            headers.push((name, c.field()?));
        }
        let p = partition_of(at(key.clone()), (flags & 1 != 0).then_some(partition))?;
        if parts.get(last).is_none_or(|(q, _)| *q != p) {
            last = parts.iter().position(|(q, _)| *q == p).unwrap_or_else(|| {
                // The first partition gets room for all the send: the one-partition case grows nothing. (Each
                // message takes at least FIXED_BYTES here, so a count the buffer cannot hold reserves nothing more.)
                let room = if parts.is_empty() {
                    EncodedRecords::with_capacity(count.min(buf.len() / FIXED_BYTES), buf.len())
                } else {
                    EncodedRecords::default()
                };
                parts.push((p, room));
                parts.len() - 1
            });
        }
        let named = headers.iter().map(|(name, v)| (&buf[name.clone()], at(v.clone())));
        parts[last].1.push(at(key), at(value), named, if flags & 2 != 0 { timestamp } else { now });
    }
    Ok(parts.into_iter().collect())
}

/// One message of a send as JavaScript gives it: key, value, explicit partition, timestamp, and headers.
pub type Message = (Option<Vec<u8>>, Option<Vec<u8>>, Option<i32>, Option<i64>, Vec<(String, Option<Vec<u8>>)>);

/// `messages` in the packed layout (described above), as `pack.js` writes it: written independently of
/// `pack.js`, for the tests and benchmarks that feed [`encode`] from Rust.
pub fn pack(messages: &[Message]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut refs = |field: &Option<Vec<u8>>| -> [i32; 2] {
        match field {
            None => [-1, 0],
            Some(b) => {
                data.extend_from_slice(b);
                [(data.len() - b.len()) as i32, b.len() as i32]
            }
        }
    };
    let mut fixed = Vec::new();
    for (key, value, partition, timestamp, headers) in messages {
        let flags = i32::from(partition.is_some()) | (i32::from(timestamp.is_some()) << 1);
        fixed.extend_from_slice(&flags.to_le_bytes());
        fixed.extend_from_slice(&partition.unwrap_or(0).to_le_bytes());
        fixed.extend_from_slice(&timestamp.unwrap_or(0).to_le_bytes());
        for r in [refs(key), refs(value)] {
            r.iter().for_each(|n| fixed.extend_from_slice(&n.to_le_bytes()));
        }
        fixed.extend_from_slice(&(headers.len() as i32).to_le_bytes());
        for (name, v) in headers {
            for r in [refs(&Some(name.as_bytes().to_vec())), refs(v)] {
                r.iter().for_each(|n| fixed.extend_from_slice(&n.to_le_bytes()));
            }
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(messages.len() as i32).to_le_bytes());
    out.extend_from_slice(&((8 + fixed.len()) as i32).to_le_bytes());
    out.extend(fixed);
    out.extend(data);
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::core::partitioner::{partition_for_key, NullKeyStrategy, Partitioner};
    use crate::core::record::Record;
    use proptest::prelude::*;

    fn arb_message() -> impl Strategy<Value = Message> {
        let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20));
        (
            bytes(),
            bytes(),
            proptest::option::of(0i32..100),
            proptest::option::of(-(1i64 << 53)..1 << 53),
            proptest::collection::vec(("[a-zé]{1,5}", bytes()), 0..3),
        )
    }

    /// What a send of `messages` gives each partition (its explicit one, else 0), by way of `Record`s.
    fn expected(messages: &[Message], now: i64) -> BTreeMap<u32, EncodedRecords> {
        let mut by_partition: BTreeMap<u32, Vec<Record>> = BTreeMap::new();
        for (key, value, partition, timestamp, headers) in messages {
            let bytes = |b: &Option<Vec<u8>>| b.clone().map(Bytes::from);
            let headers = headers.iter().map(|(name, v)| (name.clone(), bytes(v))).collect();
            let record = Record { key: bytes(key), value: bytes(value), timestamp: timestamp.unwrap_or(now), headers };
            by_partition.entry(partition.unwrap_or(0) as u32).or_default().push(record);
        }
        by_partition.into_iter().map(|(p, records)| (p, EncodedRecords::from_records(&records))).collect()
    }

    fn explicit_or_zero(_key: Option<&[u8]>, partition: Option<i32>) -> Result<u32, Error> {
        Ok(partition.unwrap_or(0) as u32)
    }

    proptest! {
        #[test]
        fn encodes_what_was_packed_per_partition_in_order(messages in proptest::collection::vec(arb_message(), 0..10)) {
            let now = 42;
            prop_assert_eq!(encode(&pack(&messages), now, explicit_or_zero).unwrap(), expected(&messages, now));
        }

        #[test]
        fn garbage_is_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Err(e) = encode(&bytes, 0, explicit_or_zero) {
                prop_assert_eq!(e.name(), "INVALID_REQUEST");
            }
        }

        #[test]
        fn a_count_larger_than_the_buffer_is_refused_without_reserving_it(messages in proptest::collection::vec(arb_message(), 1..3)) {
            let mut packed = pack(&messages);
            packed[..4].copy_from_slice(&i32::MAX.to_le_bytes());
            prop_assert_eq!(encode(&packed, 0, explicit_or_zero).unwrap_err().name(), "INVALID_REQUEST");
        }

        #[test]
        fn a_cut_buffer_is_refused(messages in proptest::collection::vec(arb_message(), 1..5), cut in any::<prop::sample::Index>()) {
            let packed = pack(&messages);
            let at = cut.index(packed.len());
            // Every byte is either read (the fixed part) or referenced (the data), so any cut is refused.
            let short = encode(&packed[..at], 0, explicit_or_zero);
            prop_assert_eq!(short.map(|m| m.len()).unwrap_err().name(), "INVALID_REQUEST");
        }
    }

    #[test]
    fn keys_place_messages_as_kafka_does_and_one_bad_partition_fails_the_send() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
        let mut send =
            |messages: &[Message]| encode(&pack(messages), 1, |key, explicit| p.partition("t", key, explicit, 3, &[]));
        let message =
            |key: &str, value: &str, partition| (Some(key.into()), Some(value.into()), partition, None, vec![]);
        let sent = send(&[message("a", "1", None), message("b", "2", Some(2)), message("a", "3", None)]).unwrap();
        let a = partition_for_key(b"a", 3);
        let keyed = [Record::keyed("a", "1", 1), Record::keyed("a", "3", 1)];
        if a == 2 {
            let all = [keyed[0].clone(), Record::keyed("b", "2", 1), keyed[1].clone()];
            assert_eq!(sent, BTreeMap::from([(2, EncodedRecords::from_records(&all))]));
        } else {
            let b = EncodedRecords::from_records(&[Record::keyed("b", "2", 1)]);
            assert_eq!(sent, BTreeMap::from([(a, EncodedRecords::from_records(&keyed)), (2, b)]));
        }
        let err = send(&[message("a", "1", None), message("b", "2", Some(9))]).unwrap_err();
        assert_eq!(err.name(), "UNKNOWN_TOPIC_OR_PARTITION");
    }
}

/// The other direction: fetched records packed for JavaScript, which builds KafkaJS's message objects from them
/// in one call (`unpackRecords` in `src/web/js/pack.js`) instead of several calls into wasm per record.
///
/// `arena` holds every key, value, header name and header value: it is the fetched bytes themselves, so nothing is
/// copied per record. `numbers` holds each record's offset and timestamp (exact: they cross as doubles only when
/// every one is below 2^53). `refs` holds per record a key ref, a value ref, the header count, then a name ref
/// and a value ref per header, where a ref is `start` (-1 = null) and `length` into the arena.
#[derive(Debug, Default, PartialEq)]
pub struct PackedRecords {
    pub arena: Bytes,
    pub numbers: Vec<i64>,
    pub refs: Vec<i32>,
}

impl PackedRecords {
    /// The records of a fetch response at or after `position` (as `records_from` reads them, CRCs as `crc`
    /// says, without those of `aborted` transactions), and the position to fetch next.
    pub fn fetched(
        batches: &[Bytes],
        position: i64,
        crc: CrcCheck,
        aborted: &[AbortedTxn],
    ) -> Result<(PackedRecords, i64), Error> {
        // One chunk (what a fetch of one partition gives) is the arena as it is; several are laid end to end.
        let arena = match batches {
            [one] => one.clone(),
            many => Bytes::from(many.concat()),
        };
        // Room for a record per 100 bytes fetched, so that the usual fetch grows neither list record by record.
        let records = arena.len() / 100;
        let (numbers, refs) = (Vec::with_capacity(2 * records), Vec::with_capacity(5 * records));
        let mut out = PackedRecords { arena, numbers, refs };
        let chunk_starts: Vec<usize> =
            batches.iter().scan(0, |at, b| Some(std::mem::replace(at, *at + b.len()))).collect();
        // Decompressed sections lie in no chunk: they go after the chunks in the arena, each once.
        let mut decompressed: Vec<u8> = Vec::new();
        let mut last_apart: Option<(usize, usize)> = None; // (batch, where its section starts in the arena)
        let next = each_fetched(batches, position, crc, aborted, |section, offset, fields| {
            let base = match section.in_chunk {
                Some((chunk, at)) => chunk_starts[chunk] + at,
                None => match last_apart {
                    Some((batch, base)) if batch == section.batch => base,
                    _ => {
                        let base = out.arena.len() + decompressed.len();
                        decompressed.extend_from_slice(section.bytes);
                        last_apart = Some((section.batch, base));
                        base
                    }
                },
            };
            out.numbers.extend([offset, fields.timestamp]);
            out.push(base, fields.key());
            out.push(base, fields.value());
            let headers = fields.headers(section.bytes)?;
            out.refs.push(headers.len() as i32);
            for (name, value) in headers {
                out.push(base, Some(name));
                out.push(base, value);
            }
            Ok(())
        })?;
        if !decompressed.is_empty() {
            out.arena = Bytes::from([&out.arena[..], &decompressed].concat());
        }
        Ok((out, next))
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.numbers.len() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// The offset of record `i`.
    pub fn offset(&self, i: usize) -> i64 {
        self.numbers[2 * i]
    }

    fn push(&mut self, base: usize, field: Option<Range<usize>>) {
        match field {
            None => self.refs.extend([-1, 0]),
            Some(at) => self.refs.extend([(base + at.start) as i32, at.len() as i32]),
        }
    }
}
