//! Produce and Fetch, the requests that carry records, as binary frames: what a client and a broker host
//! exchange for them instead of object envelopes. A frame is one buffer, so posting it clones no object, and
//! the record data in it is written once, straight from where it lies; the other requests stay objects.
//!
//! Layout, big-endian as Kafka's protocol, with Kafka's STRING (i16 length, UTF-8; -1 for null) and BYTES
//! (i32 length):
//!
//! ```text
//! frame    = magic "frz\x01" | length u32 (of the frame, from its start) | id f64 | kind i8 | body
//! kind 1   Produce request:  acks i16 | timeout i32 | count i32 | (topic STRING | partition i32 | records BYTES)*
//! kind 2   Produce response: count i32 | (topic | partition i32 | error | base i64 | appendTime i64 | logStart i64)*
//! kind 3   Fetch request:    minBytes u64 | maxBytes u64 | maxWaitMs i32 | rack STRING | isolation i8
//!                            | count i32 | (topic | partition i32 | offset i64 | maxBytes u64)*
//! kind 4   Fetch response:   count i32 | (topic | partition i32 | error | highWatermark i64 | logStart i64
//!                            | replica i32 | lastStable i64 | aborted | records BYTES)*
//! aborted  = count i32 (-1: null, for read_uncommitted) | (producerId i64 | firstOffset i64 | lastOffset i64)*
//! kind 5   an error of the whole request: error
//! error    = name STRING (null: none) | detail STRING (only after a name)
//! ```
//!
//! A partition's fields after an error are left out. The buffer may be longer than its frame (buffers are
//! reused), so readers go by `length`. Frames come from another context, so they are checked like any input:
//! a malformed one is `INVALID_REQUEST`, never a panic.

use bytes::Bytes;

use crate::core::cluster::{FetchResult, ProduceResult};
use crate::core::error::{Error, Result};
use crate::core::log::AbortedTxn;
use crate::core::protocol::{
    FetchPartition, Isolation, PartitionResult, ProduceData, ProducePartition, Request, Response,
};
use crate::core::record::Reader;

const MAGIC: [u8; 4] = *b"frz\x01";
/// Magic, length and id: what a reader needs to route a frame.
const HEAD_LEN: usize = 16;

const PRODUCE_REQUEST: i8 = 1;
const PRODUCE_RESPONSE: i8 = 2;
const FETCH_REQUEST: i8 = 3;
const FETCH_RESPONSE: i8 = 4;
const ERROR: i8 = 5;

/// A frame being written: its own bytes, with borrowed record data spliced in at recorded positions, so that
/// the records are copied once, from where they lie straight into the buffer that is sent.
#[derive(Debug)]
pub struct Frame<'a> {
    head: Vec<u8>,
    splices: Vec<(usize, &'a [u8])>,
}

impl<'a> Frame<'a> {
    fn begin(id: f64, kind: i8) -> Self {
        let mut head = Vec::with_capacity(64);
        head.extend_from_slice(&MAGIC);
        head.extend_from_slice(&[0; 4]); // the length, once known
        head.extend_from_slice(&id.to_be_bytes());
        head.push(kind as u8);
        Frame { head, splices: Vec::new() }
    }

    fn i16(&mut self, v: i16) {
        self.head.extend_from_slice(&v.to_be_bytes());
    }

    fn i32(&mut self, v: i32) {
        self.head.extend_from_slice(&v.to_be_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.head.extend_from_slice(&v.to_be_bytes());
    }

    /// A size as a u64 (usize is 32 bits in wasm, 64 natively; both round-trip).
    fn size(&mut self, v: usize) {
        self.head.extend_from_slice(&(v as u64).to_be_bytes());
    }

    fn count(&mut self, n: usize) {
        self.i32(i32::try_from(n).unwrap_or(i32::MAX));
    }

    /// Kafka's STRING; longer names than 32767 bytes are cut (no name franz accepts is that long).
    fn string(&mut self, s: Option<&str>) {
        match s {
            None => self.i16(-1),
            Some(s) => {
                let mut end = s.len().min(i16::MAX as usize);
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                self.i16(end as i16);
                self.head.extend_from_slice(&s.as_bytes()[..end]);
            }
        }
    }

    /// Kafka's BYTES, made of `owned` bytes followed by `borrowed` ones, which are spliced in, not copied here.
    fn bytes(&mut self, owned: &[u8], borrowed: &[&'a [u8]]) {
        self.count(owned.len() + borrowed.iter().map(|b| b.len()).sum::<usize>());
        self.head.extend_from_slice(owned);
        for b in borrowed.iter().filter(|b| !b.is_empty()) {
            self.splices.push((self.head.len(), b));
        }
    }

    fn error(&mut self, e: Option<&Error>) {
        self.string(e.map(Error::name));
        if let Some(e) = e {
            self.string(Some(e.detail()));
        }
    }

    /// Per-partition results: each one's topic, partition and error, then, if it has none, its `fields`.
    fn results<T>(&mut self, results: &'a [PartitionResult<T>], fields: impl Fn(&mut Self, &'a T)) {
        self.count(results.len());
        for r in results {
            self.string(Some(&r.topic));
            self.i32(r.partition);
            self.error(r.result.as_ref().err());
            if let Ok(v) = &r.result {
                fields(self, v);
            }
        }
    }

    /// The frame's bytes as pieces to lay end to end, its length written in.
    pub fn chunks(&mut self) -> Vec<&[u8]> {
        let len = u32::try_from(self.byte_len()).unwrap_or(u32::MAX);
        self.head[4..8].copy_from_slice(&len.to_be_bytes());
        let mut chunks = Vec::with_capacity(2 * self.splices.len() + 1);
        let mut from = 0;
        for &(at, b) in &self.splices {
            chunks.push(&self.head[from..at]);
            chunks.push(b);
            from = at;
        }
        chunks.push(&self.head[from..]);
        chunks
    }

    /// The frame's length in bytes.
    pub fn byte_len(&self) -> usize {
        self.head.len() + self.splices.iter().map(|(_, b)| b.len()).sum::<usize>()
    }
}

/// A Produce or Fetch request as a frame (`None` for any other request, which travels as an object). A
/// producer's records are sealed into their RecordBatch here, on the client, as Kafka's producers do.
pub fn request(id: f64, request: &Request) -> Option<Frame<'_>> {
    Some(match request {
        Request::Produce { acks, timeout_ms, partitions } => {
            let mut f = Frame::begin(id, PRODUCE_REQUEST);
            f.i16(*acks);
            f.i32(*timeout_ms);
            f.count(partitions.len());
            for p in partitions {
                f.string(Some(&p.topic));
                f.i32(p.partition);
                match &p.data {
                    ProduceData::Batches(b) => f.bytes(&[], &[b]),
                    ProduceData::Records { records, producer } => {
                        let header = records.sealed_header(|batch| {
                            if let Some(p) = producer {
                                p.stamp(batch);
                            }
                        });
                        f.bytes(&header, &[records.bytes()]);
                    }
                }
            }
            f
        }
        Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack, isolation } => {
            let mut f = Frame::begin(id, FETCH_REQUEST);
            f.size(*min_bytes);
            f.size(*max_bytes);
            f.i32(i32::try_from(*max_wait_ms).unwrap_or(i32::MAX));
            f.string(rack.as_deref());
            f.head.push(isolation.code() as u8);
            f.count(partitions.len());
            for p in partitions {
                f.string(Some(&p.topic));
                f.i32(p.partition);
                f.i64(p.offset);
                f.size(p.max_bytes);
            }
            f
        }
        _ => return None,
    })
}

/// A response to a framed request as a frame: the Produce or Fetch answer, or the error of the whole request.
/// (Any other response cannot answer a framed request; it becomes an error frame saying so.)
pub fn response(id: f64, answer: &Result<Response>) -> Frame<'_> {
    match answer {
        Ok(Response::Produce(parts)) => {
            let mut f = Frame::begin(id, PRODUCE_RESPONSE);
            f.results(parts, |f, v| {
                f.i64(v.base_offset);
                f.i64(v.log_append_time);
                f.i64(v.log_start_offset);
            });
            f
        }
        Ok(Response::Fetch(parts)) => {
            let mut f = Frame::begin(id, FETCH_RESPONSE);
            f.results(parts, |f, v| {
                f.i64(v.high_watermark);
                f.i64(v.log_start_offset);
                f.i32(v.replica);
                f.i64(v.last_stable_offset);
                match &v.aborted {
                    None => f.i32(-1),
                    Some(aborted) => {
                        f.count(aborted.len());
                        for a in aborted {
                            [a.producer_id, a.first_offset, a.last_offset].into_iter().for_each(|v| f.i64(v));
                        }
                    }
                }
                let batches: Vec<&[u8]> = v.batches.iter().map(|b| &b[..]).collect();
                f.bytes(&[], &batches);
            });
            f
        }
        Ok(_) => error(id, &Error::UnknownServerError("a framed request got an answer of another kind".into())),
        Err(e) => error(id, e),
    }
}

/// The error of a whole request as a frame.
pub fn error(id: f64, e: &Error) -> Frame<'static> {
    let mut f = Frame::begin(id, ERROR);
    f.error(Some(e));
    f
}

/// The id of a frame, if `bytes` begin like one.
pub fn id_of(bytes: &[u8]) -> Option<f64> {
    (bytes.len() >= HEAD_LEN && bytes[..4] == MAGIC).then(|| f64::from_be_bytes(bytes[8..16].try_into().unwrap()))
}

/// How many of `bytes` are their frame: its length, when the magic is there and the length fits in them.
fn frame_len(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < 8 || bytes[..4] != MAGIC {
        return None;
    }
    let len = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
    (HEAD_LEN < len && len <= bytes.len()).then_some(len)
}

fn malformed(e: Error) -> Error {
    Error::InvalidRequest(format!("the frame is malformed: {}", e.detail()))
}

/// Reads a frame: checks its head and hands `body` a reader after it, and the frame's bytes to slice records from.
fn read<T>(frame: &Bytes, want: &[i8], body: impl FnOnce(i8, &mut Reader, &Bytes) -> Result<T>) -> Result<(f64, T)> {
    let id = id_of(frame).ok_or_else(|| Error::InvalidRequest("not a franz frame (no magic)".into()))?;
    let len = frame_len(frame)
        .ok_or_else(|| Error::InvalidRequest(format!("the frame's length does not match its {} bytes", frame.len())))?;
    let frame = frame.slice(..len);
    let mut r = Reader::new(&frame);
    r.take(HEAD_LEN, "head").map_err(malformed)?;
    let kind = r.i8("kind").map_err(malformed)?;
    if !want.contains(&kind) {
        return Err(Error::InvalidRequest(format!("a frame of kind {kind} is not one expected here")));
    }
    let value = body(kind, &mut r, &frame).map_err(malformed)?;
    if r.remaining() != 0 {
        return Err(Error::InvalidRequest(format!("the frame has {} bytes left over", r.remaining())));
    }
    Ok((id, value))
}

fn string(r: &mut Reader, what: &str) -> Result<Option<String>> {
    let len = r.i16(what)?;
    if len < 0 {
        return Ok(None);
    }
    let bytes = r.take(len as usize, what)?;
    let s = std::str::from_utf8(bytes).map_err(|_| Error::CorruptMessage(format!("{what} is not UTF-8")))?;
    Ok(Some(s.to_owned()))
}

fn required(r: &mut Reader, what: &str) -> Result<String> {
    string(r, what)?.ok_or_else(|| Error::CorruptMessage(format!("{what} is null")))
}

fn count(r: &mut Reader, what: &str, least_each: usize) -> Result<usize> {
    let n = r.i32(what)?;
    // Every item takes at least `least_each` bytes: a count the frame cannot hold is refused before reserving.
    match usize::try_from(n) {
        Ok(n) if n.saturating_mul(least_each) <= r.remaining() => Ok(n),
        _ => Err(Error::CorruptMessage(format!("{what} {n} does not fit in the frame"))),
    }
}

fn size(r: &mut Reader, what: &str) -> Result<usize> {
    Ok(usize::try_from(r.i64(what)? as u64).unwrap_or(usize::MAX))
}

/// Kafka's BYTES, as a slice of the frame (no copy).
fn bytes(r: &mut Reader, frame: &Bytes, what: &str) -> Result<Bytes> {
    let len = r.i32(what)?;
    let len = usize::try_from(len).map_err(|_| Error::CorruptMessage(format!("{what} has a negative length")))?;
    let at = r.position();
    r.take(len, what)?;
    Ok(frame.slice(at..at + len))
}

fn error_of(r: &mut Reader) -> Result<Option<Error>> {
    Ok(match string(r, "error")? {
        None => None,
        Some(name) => Some(Error::from_name(&name, required(r, "error detail")?)),
    })
}

fn partitions<T>(
    r: &mut Reader,
    frame: &Bytes,
    mut fields: impl FnMut(&mut Reader, &Bytes) -> Result<T>,
) -> Result<Vec<PartitionResult<T>>> {
    let n = count(r, "partition count", 8)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let topic = required(r, "topic")?;
        let partition = r.i32("partition")?;
        let result = match error_of(r)? {
            Some(e) => Err(e),
            None => Ok(fields(r, frame)?),
        };
        out.push(PartitionResult { topic, partition, result });
    }
    Ok(out)
}

/// A request frame, as a broker host reads it: its id and the request. Its records are slices of `frame`.
pub fn read_request(frame: &Bytes) -> Result<(f64, Request)> {
    read(frame, &[PRODUCE_REQUEST, FETCH_REQUEST], |kind, r, frame| {
        if kind == PRODUCE_REQUEST {
            let acks = r.i16("acks")?;
            let timeout_ms = r.i32("timeout")?;
            let n = count(r, "partition count", 10)?;
            let mut partitions = Vec::with_capacity(n);
            for _ in 0..n {
                let topic = required(r, "topic")?;
                let partition = r.i32("partition")?;
                let data = ProduceData::Batches(bytes(r, frame, "records")?);
                partitions.push(ProducePartition { topic, partition, data });
            }
            return Ok(Request::Produce { acks, timeout_ms, partitions });
        }
        let (min_bytes, max_bytes) = (size(r, "minBytes")?, size(r, "maxBytes")?);
        let max_wait_ms =
            u32::try_from(r.i32("maxWaitMs")?).map_err(|_| Error::CorruptMessage("maxWaitMs is negative".into()))?;
        let rack = string(r, "rack")?;
        let isolation = Isolation::from_code(r.i8("isolation")?.into())?;
        let n = count(r, "partition count", 22)?;
        let mut partitions = Vec::with_capacity(n);
        for _ in 0..n {
            let topic = required(r, "topic")?;
            let (partition, offset) = (r.i32("partition")?, r.i64("offset")?);
            partitions.push(FetchPartition { topic, partition, offset, max_bytes: size(r, "maxBytes")? });
        }
        Ok(Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack, isolation })
    })
}

/// A response frame, as a client reads it: its id, and the response or the error of the whole request.
pub fn read_response(frame: &Bytes) -> Result<(f64, Result<Response>)> {
    read(frame, &[PRODUCE_RESPONSE, FETCH_RESPONSE, ERROR], |kind, r, frame| {
        Ok(match kind {
            PRODUCE_RESPONSE => Ok(Response::Produce(partitions(r, frame, |r, _| {
                Ok(ProduceResult {
                    base_offset: r.i64("baseOffset")?,
                    log_append_time: r.i64("logAppendTime")?,
                    log_start_offset: r.i64("logStartOffset")?,
                    // A host answers a produce only once it is acknowledged.
                    pending: None,
                })
            })?)),
            FETCH_RESPONSE => Ok(Response::Fetch(partitions(r, frame, |r, frame| {
                let (high_watermark, log_start_offset) = (r.i64("highWatermark")?, r.i64("logStartOffset")?);
                let (replica, last_stable_offset) = (r.i32("replica")?, r.i64("lastStableOffset")?);
                let aborted = match r.i32("aborted count")? {
                    -1 => None,
                    n => {
                        let n = usize::try_from(n).ok().filter(|n| n.saturating_mul(24) <= r.remaining());
                        let n =
                            n.ok_or_else(|| Error::CorruptMessage("aborted count does not fit in the frame".into()))?;
                        let each = |r: &mut Reader| -> Result<AbortedTxn> {
                            let (producer_id, first_offset) = (r.i64("producerId")?, r.i64("firstOffset")?);
                            Ok(AbortedTxn { producer_id, first_offset, last_offset: r.i64("lastOffset")? })
                        };
                        Some((0..n).map(|_| each(r)).collect::<Result<Vec<_>>>()?)
                    }
                };
                let records = bytes(r, frame, "records")?;
                Ok(FetchResult {
                    high_watermark,
                    log_start_offset,
                    batches: if records.is_empty() { Vec::new() } else { vec![records] },
                    in_storage: None,
                    replica,
                    last_stable_offset,
                    aborted,
                })
            })?)),
            _ => Err(error_of(r)?.ok_or_else(|| Error::CorruptMessage("an error frame without an error".into()))?),
        })
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::core::log::ProducerBatch;
    use crate::core::record::{Record, RecordBatch};

    fn laid_out(mut f: Frame) -> Bytes {
        Bytes::from(f.chunks().concat())
    }

    fn batch(values: &[String]) -> Bytes {
        RecordBatch::from_records(values.iter().map(|v| Record::new(v.clone(), 7)).collect()).encode()
    }

    fn arb_error() -> impl Strategy<Value = Error> {
        prop_oneof![
            "\\PC{0,30}".prop_map(Error::NotEnoughReplicas),
            "\\PC{0,30}".prop_map(Error::UnknownTopicOrPartition),
            "\\PC{0,30}".prop_map(Error::CorruptMessage),
        ]
    }

    fn arb_result<T: std::fmt::Debug>(ok: impl Strategy<Value = T>) -> impl Strategy<Value = PartitionResult<T>> {
        ("\\PC{0,20}", any::<i32>(), prop_oneof![ok.prop_map(Ok), arb_error().prop_map(Err)])
            .prop_map(|(topic, partition, result)| PartitionResult { topic, partition, result })
    }

    fn arb_fetch() -> impl Strategy<Value = Request> {
        let partition = ("\\PC{0,20}", any::<i32>(), any::<i64>(), any::<usize>())
            .prop_map(|(topic, partition, offset, max_bytes)| FetchPartition { topic, partition, offset, max_bytes });
        (proptest::collection::vec(partition, 0..4), any::<usize>(), any::<usize>(), 0..=i32::MAX as u32).prop_flat_map(
            |(partitions, min_bytes, max_bytes, max_wait_ms)| {
                let isolation = prop_oneof![Just(Isolation::ReadUncommitted), Just(Isolation::ReadCommitted)];
                (proptest::option::of("[a-z-]{0,12}"), isolation).prop_map(move |(rack, isolation)| Request::Fetch {
                    partitions: partitions.clone(),
                    min_bytes,
                    max_bytes,
                    max_wait_ms,
                    rack,
                    isolation,
                })
            },
        )
    }

    fn arb_batches() -> impl Strategy<Value = Request> {
        let partition = ("\\PC{0,20}", any::<i32>(), proptest::collection::vec(".{0,40}", 1..4)).prop_map(
            |(topic, partition, values)| ProducePartition {
                topic,
                partition,
                data: ProduceData::Batches(batch(&values)),
            },
        );
        (prop_oneof![Just(-1i16), Just(0), Just(1)], any::<i32>(), proptest::collection::vec(partition, 0..4))
            .prop_map(|(acks, timeout_ms, partitions)| Request::Produce { acks, timeout_ms, partitions })
    }

    fn arb_response() -> impl Strategy<Value = Result<Response>> {
        let produced = (any::<i64>(), any::<i64>(), any::<i64>()).prop_map(|(b, t, s)| ProduceResult {
            base_offset: b,
            log_append_time: t,
            log_start_offset: s,
            pending: None,
        });
        let aborted = (any::<i64>(), any::<i64>(), any::<i64>())
            .prop_map(|(producer_id, first_offset, last_offset)| AbortedTxn { producer_id, first_offset, last_offset });
        let fetched = (
            (any::<i64>(), any::<i64>(), any::<i32>(), any::<i64>()),
            proptest::option::of(proptest::collection::vec(aborted, 0..3)),
            proptest::collection::vec(".{0,40}", 0..3),
        )
            .prop_map(|((high_watermark, log_start_offset, replica, last_stable_offset), aborted, values)| {
                FetchResult {
                    high_watermark,
                    log_start_offset,
                    batches: if values.is_empty() { Vec::new() } else { vec![batch(&values)] },
                    in_storage: None,
                    replica,
                    last_stable_offset,
                    aborted,
                }
            });
        prop_oneof![
            proptest::collection::vec(arb_result(produced), 0..4).prop_map(|p| Ok(Response::Produce(p))),
            proptest::collection::vec(arb_result(fetched), 0..4).prop_map(|p| Ok(Response::Fetch(p))),
            arb_error().prop_map(Err),
        ]
    }

    proptest! {
        #[test]
        fn requests_round_trip(request in prop_oneof![arb_fetch(), arb_batches()], id in any::<u32>()) {
            let frame = laid_out(super::request(f64::from(id), &request).unwrap());
            prop_assert_eq!(read_request(&frame).unwrap(), (f64::from(id), request));
        }

        #[test]
        fn responses_round_trip(answer in arb_response(), id in any::<u32>()) {
            let frame = laid_out(response(f64::from(id), &answer));
            prop_assert_eq!(read_response(&frame).unwrap(), (f64::from(id), answer));
        }

        /// A reused buffer is longer than its frame: readers go by the frame's length.
        #[test]
        fn a_frame_in_a_longer_buffer_reads_the_same(request in arb_fetch(), tail in proptest::collection::vec(any::<u8>(), 0..50)) {
            let mut bytes = laid_out(super::request(3.0, &request).unwrap()).to_vec();
            bytes.extend_from_slice(&tail);
            prop_assert_eq!(read_request(&Bytes::from(bytes)).unwrap(), (3.0, request));
        }

        #[test]
        fn garbage_is_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), framed in any::<bool>()) {
            let mut bytes = bytes;
            if framed && bytes.len() >= HEAD_LEN {
                // Past the magic and length, so the body's checks are reached.
                bytes[..4].copy_from_slice(&MAGIC);
                let len = bytes.len() as u32;
                bytes[4..8].copy_from_slice(&len.to_be_bytes());
            }
            let bytes = Bytes::from(bytes);
            for e in [read_request(&bytes).err(), read_response(&bytes).err()].into_iter().flatten() {
                prop_assert_eq!(e.name(), "INVALID_REQUEST");
            }
        }

        #[test]
        fn a_cut_frame_is_refused(request in arb_batches(), cut in any::<prop::sample::Index>()) {
            let frame = laid_out(super::request(1.0, &request).unwrap());
            let cut = frame.slice(..cut.index(frame.len()));
            prop_assert!(read_request(&cut).is_err());
        }
    }

    #[test]
    fn a_producer_s_records_are_sealed_into_the_batch_it_would_send() {
        let records = vec![Record::keyed("k", "v", 5), Record::new("w", 6)];
        let producer =
            Some(ProducerBatch { producer_id: 3, epoch: 1, base_sequence: 8, count: 2, transactional: false });
        let data = ProduceData::records(&records, producer);
        let sent = Request::Produce {
            acks: -1,
            timeout_ms: 9,
            partitions: vec![ProducePartition { topic: "t".into(), partition: 2, data }],
        };
        let (_, Request::Produce { partitions, .. }) = read_request(&laid_out(request(9.0, &sent).unwrap())).unwrap()
        else {
            panic!("not a produce")
        };
        let ProduceData::Batches(bytes) = &partitions[0].data else { panic!("records travel as a batch") };
        let batch = RecordBatch::decode(bytes.clone()).unwrap();
        assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (3, 1, 8));
        assert_eq!(batch.records.iter().map(|r| r.record.clone()).collect::<Vec<_>>(), records);
    }

    #[test]
    fn only_produce_and_fetch_are_framed_and_a_request_frame_is_no_response() {
        assert!(request(1.0, &Request::metadata(None)).is_none());
        let partitions = vec![FetchPartition { topic: "t".into(), partition: 0, offset: 5, max_bytes: 100 }];
        let fetch = Request::Fetch {
            partitions,
            min_bytes: 1,
            max_bytes: 1000,
            max_wait_ms: 50,
            rack: None,
            isolation: Isolation::ReadCommitted,
        };
        let frame = laid_out(request(1.0, &fetch).unwrap());
        assert_eq!(read_response(&frame).unwrap_err().name(), "INVALID_REQUEST");
        let answer = laid_out(response(2.0, &Ok(Response::Fetch(vec![]))));
        assert_eq!(read_request(&answer).unwrap_err().name(), "INVALID_REQUEST");
        // An answer of another kind cannot be framed: it says so instead.
        let other = laid_out(response(4.0, &Ok(Response::Heartbeat)));
        assert_eq!(read_response(&other).unwrap().1.unwrap_err().name(), "UNKNOWN_SERVER_ERROR");
    }
}
