//! Kafka's RecordBatch v2 ("magic 2"), byte for byte.
//!
//! ```text
//! offset  field                 type     notes
//!      0  baseOffset            int64    rewritten by the leader on append (outside the CRC)
//!      8  batchLength           int32    bytes after this field
//!     12  partitionLeaderEpoch  int32    rewritten by the leader on append (outside the CRC)
//!     16  magic                 int8     always 2
//!     17  crc                   uint32   CRC32C of bytes 21..end
//!     21  attributes            int16    bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control,
//!                                        6 delete horizon
//!     23  lastOffsetDelta       int32
//!     27  baseTimestamp         int64
//!     35  maxTimestamp          int64
//!     43  producerId            int64
//!     51  producerEpoch         int16
//!     53  baseSequence          int32
//!     57  recordCount           int32
//!     61  records ...
//! ```
//!
//! The broker stores and serves these bytes as they came; only the two fields outside the CRC, and the
//! LogAppendTime fields (which re-seal the CRC), are ever rewritten in place.

use bytes::Bytes;

use super::crc::{crc32c, crc32c_append};
use super::single::{self as record, Record, RecordFields};
use super::wire::{varint_len, Reader};
use crate::core::error::{Error, Result};

pub const MAGIC: i8 = 2;
/// baseOffset + batchLength: the part of a batch that `batchLength` does not count.
pub const LOG_OVERHEAD: usize = 12;
/// Size of a batch with no records.
pub const HEADER_LEN: usize = 61;
const PARTITION_LEADER_EPOCH_AT: usize = 12;
const CRC_AT: usize = 17;
const ATTRIBUTES_AT: usize = 21;
const MAX_TIMESTAMP_AT: usize = 35;
/// The smallest possible record: seven one-byte fields. Bounds a claimed record count before allocating.
const MIN_RECORD_LEN: usize = 7;

/// How a batch's records are compressed (attribute bits 0-2), numbered as Kafka (and KafkaJS's
/// `CompressionTypes`) number the codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}

/// The attribute bits that name the codec.
const CODEC_BITS: i16 = 0x7;

impl Compression {
    /// The codec's value in attribute bits 0-2.
    pub fn bits(self) -> i16 {
        self as i16
    }

    /// The codec numbered `bits`, if there is one.
    pub fn from_bits(bits: i16) -> Option<Compression> {
        CODECS.into_iter().map(|(c, _)| c).find(|c| c.bits() == bits)
    }

    /// The codec a producer's `compression.type` names (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub fn from_name(name: &str) -> Option<Compression> {
        CODECS.into_iter().find(|(_, n)| *n == name).map(|(c, _)| c)
    }

    /// Its name in Kafka's `compression.type`.
    pub fn name(self) -> &'static str {
        CODECS.into_iter().find(|(c, _)| *c == self).map_or("none", |(_, n)| n)
    }
}

/// Every codec, with its name in Kafka's configs.
const CODECS: [(Compression, &str); 5] = [
    (Compression::None, "none"),
    (Compression::Gzip, "gzip"),
    (Compression::Snappy, "snappy"),
    (Compression::Lz4, "lz4"),
    (Compression::Zstd, "zstd"),
];

/// Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    #[default]
    CreateTime,
    LogAppendTime,
}

/// The batch attributes word. The delete-horizon bit, which franz does not interpret, is kept as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attributes(pub i16);

impl Attributes {
    pub const TIMESTAMP_TYPE: i16 = 1 << 3;
    pub const TRANSACTIONAL: i16 = 1 << 4;
    pub const CONTROL: i16 = 1 << 5;

    pub fn compression(self) -> Result<Compression> {
        let bits = self.0 & CODEC_BITS;
        Compression::from_bits(bits)
            .ok_or_else(|| Error::CorruptMessage(format!("compression codec {bits} does not exist")))
    }

    pub fn timestamp_type(self) -> TimestampType {
        if self.0 & Self::TIMESTAMP_TYPE != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    /// The timestamp a consumer sees for a record stamped `timestamp` in a batch whose max timestamp is
    /// `max_timestamp`: with LogAppendTime every record carries the broker's append time (the batch's max
    /// timestamp), as Kafka's consumer reports it.
    pub fn consumer_timestamp(self, max_timestamp: i64, timestamp: i64) -> i64 {
        match self.timestamp_type() {
            TimestampType::LogAppendTime => max_timestamp,
            TimestampType::CreateTime => timestamp,
        }
    }

    pub fn is_transactional(self) -> bool {
        self.0 & Self::TRANSACTIONAL != 0
    }

    pub fn is_control(self) -> bool {
        self.0 & Self::CONTROL != 0
    }
}

/// The fixed part of a batch, read and CRC-checked without touching the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub crc: u32,
    pub attributes: Attributes,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

impl BatchHeader {
    /// Parses the header at the start of `buf` and checks magic, length and CRC. `buf` may hold more batches.
    pub fn parse(buf: &[u8]) -> Result<BatchHeader> {
        let h = Self::parse_without_crc(buf)?;
        let actual = crc32c(&buf[ATTRIBUTES_AT..h.size()]);
        if actual != h.crc {
            return Err(Error::CorruptMessage(format!(
                "CRC mismatch at base offset {}: stored {:#010x}, computed {actual:#010x}",
                h.base_offset, h.crc
            )));
        }
        Ok(h)
    }

    /// Parses the header and checks magic and length, but not the CRC: for bytes whose CRC their sender already
    /// checked, in memory since (a consumer's fetch answer from its host; see `CrcCheck`).
    pub fn parse_without_crc(buf: &[u8]) -> Result<BatchHeader> {
        let mut r = Reader::new(buf);
        let base_offset = r.i64("baseOffset")?;
        let batch_length = r.i32("batchLength")?;
        let partition_leader_epoch = r.i32("partitionLeaderEpoch")?;
        let magic = r.i8("magic")?;
        if magic != MAGIC {
            return Err(Error::CorruptMessage(format!("magic byte is {magic}; franz reads only v2 batches (magic 2)")));
        }
        let size = usize::try_from(batch_length)
            .ok()
            .and_then(|l| l.checked_add(LOG_OVERHEAD))
            .filter(|&s| s >= HEADER_LEN)
            .ok_or_else(|| Error::CorruptMessage(format!("batchLength {batch_length} is impossible")))?;
        if size > buf.len() {
            return Err(Error::CorruptMessage(format!(
                "batch declares {size} bytes but only {} are present",
                buf.len()
            )));
        }
        let crc = r.u32("crc")?;
        Ok(BatchHeader {
            base_offset,
            batch_length,
            partition_leader_epoch,
            crc,
            attributes: Attributes(r.i16("attributes")?),
            last_offset_delta: r.i32("lastOffsetDelta")?,
            base_timestamp: r.i64("baseTimestamp")?,
            max_timestamp: r.i64("maxTimestamp")?,
            producer_id: r.i64("producerId")?,
            producer_epoch: r.i16("producerEpoch")?,
            base_sequence: r.i32("baseSequence")?,
            record_count: r.i32("recordCount")?,
        })
    }

    /// Total bytes of this batch, overhead included.
    pub fn size(&self) -> usize {
        self.batch_length as usize + LOG_OVERHEAD
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset.saturating_add(i64::from(self.last_offset_delta))
    }
}

/// A record inside a batch, with its offset relative to the batch's base offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    pub offset_delta: i32,
    pub record: Record,
}

/// A decoded RecordBatch v2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub attributes: Attributes,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records: Vec<BatchRecord>,
}

impl RecordBatch {
    /// A producer's batch: offsets 0..n, no producer id (-1, as a non-idempotent Java producer sends), base
    /// timestamp from the first record and max timestamp over all of them.
    pub fn from_records(records: Vec<Record>) -> RecordBatch {
        let base_timestamp = records.first().map_or(0, |r| r.timestamp);
        let max_timestamp = records.iter().map(|r| r.timestamp).max().unwrap_or(-1);
        RecordBatch {
            base_offset: 0,
            partition_leader_epoch: -1,
            attributes: Attributes::default(),
            last_offset_delta: records.len().saturating_sub(1) as i32,
            base_timestamp,
            max_timestamp,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            records: records
                .into_iter()
                .enumerate()
                .map(|(i, record)| BatchRecord { offset_delta: i as i32, record })
                .collect(),
        }
    }

    /// Encodes to v2 bytes, sealing the CRC.
    pub fn encode(&self) -> Bytes {
        self.encode_with(self.records.iter().map(|r| (r.offset_delta, &r.record)))
    }

    /// Each record's body length (what its length prefix says) in this batch.
    fn bodies<'a>(&self, records: impl Iterator<Item = (i32, &'a Record)>) -> Vec<usize> {
        records.map(|(delta, r)| record::body_len(r, delta, self.timestamp_delta(r))).collect()
    }

    /// This batch's header with `records` (offset delta, record) as its records.
    fn encode_with<'a>(&self, records: impl Iterator<Item = (i32, &'a Record)> + Clone) -> Bytes {
        // Each body's length is worked out once: the total sizes the buffer, then each prefixes its record.
        let bodies = self.bodies(records.clone());
        self.write(records, &bodies)
    }

    /// This batch's header with `records`, whose body lengths `bodies` holds.
    fn write<'a>(&self, records: impl Iterator<Item = (i32, &'a Record)>, bodies: &[usize]) -> Bytes {
        let size = HEADER_LEN + bodies.iter().map(|&b| varint_len(b as i32) + b).sum::<usize>();
        let mut out = Vec::with_capacity(size);
        self.write_header(&mut out, size, bodies.len());
        for ((delta, r), &body) in records.zip(bodies) {
            record::encode(&mut out, r, delta, self.timestamp_delta(r), body);
        }
        debug_assert_eq!(out.len(), size);
        if let Some(codec) = self.attributes.compression().ok().filter(|&c| c != Compression::None) {
            let packed = super::compression::compress(codec, &out[HEADER_LEN..], None);
            out.truncate(HEADER_LEN);
            out.extend_from_slice(&packed);
            set_length(&mut out);
        }
        seal_crc(&mut out);
        Bytes::from(out)
    }

    /// Appends this batch's header for a batch of `size` bytes holding `count` records, its CRC left zero.
    pub(super) fn write_header(&self, out: &mut Vec<u8>, size: usize, count: usize) {
        // Bits that name no codec would mislabel the records `write` leaves plain.
        let codec = self.attributes.0 & CODEC_BITS;
        let attributes =
            if Compression::from_bits(codec).is_some() { self.attributes.0 } else { self.attributes.0 & !CODEC_BITS };
        out.extend_from_slice(&self.base_offset.to_be_bytes());
        out.extend_from_slice(&((size - LOG_OVERHEAD) as i32).to_be_bytes());
        out.extend_from_slice(&self.partition_leader_epoch.to_be_bytes());
        out.push(MAGIC as u8);
        out.extend_from_slice(&[0; 4]); // CRC, sealed once the records follow
        out.extend_from_slice(&attributes.to_be_bytes());
        out.extend_from_slice(&self.last_offset_delta.to_be_bytes());
        out.extend_from_slice(&self.base_timestamp.to_be_bytes());
        out.extend_from_slice(&self.max_timestamp.to_be_bytes());
        out.extend_from_slice(&self.producer_id.to_be_bytes());
        out.extend_from_slice(&self.producer_epoch.to_be_bytes());
        out.extend_from_slice(&self.base_sequence.to_be_bytes());
        out.extend_from_slice(&(count as i32).to_be_bytes());
    }

    fn timestamp_delta(&self, record: &Record) -> i64 {
        record.timestamp.wrapping_sub(self.base_timestamp)
    }

    /// Decodes exactly one batch that fills `buf`.
    pub fn decode(buf: Bytes) -> Result<RecordBatch> {
        let header = BatchHeader::parse(&buf)?;
        if header.size() != buf.len() {
            return Err(Error::CorruptMessage(format!(
                "batch is {} bytes but the buffer holds {}",
                header.size(),
                buf.len()
            )));
        }
        Self::decode_records(header, buf)
    }

    /// Decodes the records of a batch whose header `BatchHeader::parse` already read (and CRC-checked) from
    /// exactly these bytes, so the CRC is not computed twice.
    pub fn decode_records(h: BatchHeader, buf: Bytes) -> Result<RecordBatch> {
        let body = records_section(&h, &buf)?;
        let mut cursor = RecordCursor::new(&h, &body)?;
        let mut records = Vec::with_capacity(cursor.len());
        while let Some(fields) = cursor.next()? {
            records.push(BatchRecord { offset_delta: fields.offset_delta, record: fields.to_record(&body)? });
        }
        Ok(RecordBatch {
            base_offset: h.base_offset,
            partition_leader_epoch: h.partition_leader_epoch,
            attributes: h.attributes,
            last_offset_delta: h.last_offset_delta,
            base_timestamp: h.base_timestamp,
            max_timestamp: h.max_timestamp,
            producer_id: h.producer_id,
            producer_epoch: h.producer_epoch,
            base_sequence: h.base_sequence,
            records,
        })
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset.saturating_add(i64::from(self.last_offset_delta))
    }

    /// The records as a consumer sees them: absolute offsets, and timestamps as `Attributes::consumer_timestamp`
    /// says.
    pub fn consumer_records(&self) -> impl Iterator<Item = (i64, Record)> + '_ {
        self.records.iter().map(move |r| {
            let mut record = r.record.clone();
            record.timestamp = self.attributes.consumer_timestamp(self.max_timestamp, record.timestamp);
            (self.base_offset.saturating_add(i64::from(r.offset_delta)), record)
        })
    }
}

/// A batch's records section (everything after its header), decompressed if its attributes say so. `batch`
/// holds exactly the batch, whose header `h` is; an uncompressed section is a slice of it, never a copy.
pub fn records_section(h: &BatchHeader, batch: &Bytes) -> Result<Bytes> {
    let section = batch.slice(HEADER_LEN..h.size());
    match h.attributes.compression()? {
        Compression::None => Ok(section),
        codec => Ok(Bytes::from(super::compression::decompress(codec, &section)?)),
    }
}

/// Reads a batch's records one by one, in place (see `RecordFields`), checking the format as it goes.
pub struct RecordCursor<'a> {
    reader: Reader<'a>,
    body: &'a [u8],
    left: usize,
    base_timestamp: i64,
}

impl<'a> RecordCursor<'a> {
    /// A cursor over `body`, the records section (see [`records_section`]) of a batch whose header
    /// `BatchHeader::parse` read (and CRC-checked).
    pub fn new(h: &BatchHeader, body: &'a [u8]) -> Result<RecordCursor<'a>> {
        let left = usize::try_from(h.record_count)
            .ok()
            .filter(|&n| n <= body.len() / MIN_RECORD_LEN)
            .ok_or_else(|| Error::CorruptMessage(format!("record count {} is impossible", h.record_count)))?;
        Ok(RecordCursor { reader: Reader::new(body), body, left, base_timestamp: h.base_timestamp })
    }

    /// Records not read yet.
    pub fn len(&self) -> usize {
        self.left
    }

    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The next record's fields; after the last, checks that no stray bytes follow it.
    #[allow(clippy::should_implement_trait)] // an Iterator of Results would hide the end-of-batch check
    pub fn next(&mut self) -> Result<Option<RecordFields>> {
        if self.left == 0 {
            return match self.reader.remaining() {
                0 => Ok(None),
                stray => Err(Error::CorruptMessage(format!("{stray} stray bytes after the last record"))),
            };
        }
        self.left -= 1;
        let at = self.reader.position();
        if let Some((fields, next)) = record::read_plain(self.body, at, self.base_timestamp) {
            self.reader.take(next - at, "record")?;
            return Ok(Some(fields));
        }
        record::read(&mut self.reader, self.body, self.base_timestamp).map(Some)
    }
}

/// Splits concatenated batches (a produce record set, a fetch response) into `(header, bytes)` pairs, checking
/// each CRC. Stops at the first error.
pub fn split_batches(buf: &Bytes) -> impl Iterator<Item = Result<(BatchHeader, Bytes)>> + '_ {
    let mut pos = 0;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= buf.len() {
            return None;
        }
        let item = BatchHeader::parse(&buf[pos..]).map(|h| {
            let bytes = buf.slice(pos..pos + h.size());
            pos += h.size();
            (h, bytes)
        });
        failed = item.is_err();
        Some(item)
    })
}

/// Decodes every batch in `buf` (as a consumer does with a fetch response).
pub fn decode_batches(buf: &Bytes) -> Result<Vec<RecordBatch>> {
    split_batches(buf).map(|item| item.and_then(|(h, bytes)| RecordBatch::decode_records(h, bytes))).collect()
}

/// `(producerId, producerEpoch, baseSequence, lastOffsetDelta)` of a batch, read from their fixed places without
/// checking the CRC (for a batch already checked). `None` if `batch` is too short to hold them.
pub fn producer_fields(batch: &[u8]) -> Option<(i64, i16, i32, i32)> {
    let at = |i: usize, n: usize| batch.get(i..i + n);
    Some((
        i64::from_be_bytes(at(43, 8)?.try_into().ok()?),
        i16::from_be_bytes(at(51, 2)?.try_into().ok()?),
        i32::from_be_bytes(at(53, 4)?.try_into().ok()?),
        i32::from_be_bytes(at(23, 4)?.try_into().ok()?),
    ))
}

/// The attributes of a (checked) batch, read from their fixed place.
pub fn attributes_of(batch: &[u8]) -> Attributes {
    Attributes(batch.get(ATTRIBUTES_AT..ATTRIBUTES_AT + 2).map_or(0, |b| i16::from_be_bytes([b[0], b[1]])))
}

/// Rewrites the base offset in place. It sits outside the CRC, so the seal stays valid.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    batch[..8].copy_from_slice(&base_offset.to_be_bytes());
}

/// The partition leader epoch of the (checked) batch at the start of `batch`.
pub fn partition_leader_epoch(batch: &[u8]) -> i32 {
    let mut epoch = [0; 4];
    epoch.copy_from_slice(&batch[PARTITION_LEADER_EPOCH_AT..PARTITION_LEADER_EPOCH_AT + 4]);
    i32::from_be_bytes(epoch)
}

/// Rewrites the partition leader epoch in place (also outside the CRC).
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[PARTITION_LEADER_EPOCH_AT..PARTITION_LEADER_EPOCH_AT + 4].copy_from_slice(&epoch.to_be_bytes());
}

/// Sets the timestamp type and the max timestamp in place and re-seals the CRC, as Kafka's leader does on
/// every append: with LogAppendTime the max is the broker's clock, with CreateTime the true maximum of the
/// records (a producer's header may say otherwise; KafkaJS sends the last record's timestamp).
pub fn set_max_timestamp(batch: &mut [u8], timestamp_type: TimestampType, max_timestamp: i64) {
    let old = i16::from_be_bytes([batch[ATTRIBUTES_AT], batch[ATTRIBUTES_AT + 1]]);
    let attributes = match timestamp_type {
        TimestampType::LogAppendTime => old | Attributes::TIMESTAMP_TYPE,
        TimestampType::CreateTime => old & !Attributes::TIMESTAMP_TYPE,
    };
    batch[ATTRIBUTES_AT..ATTRIBUTES_AT + 2].copy_from_slice(&attributes.to_be_bytes());
    batch[MAX_TIMESTAMP_AT..MAX_TIMESTAMP_AT + 8].copy_from_slice(&max_timestamp.to_be_bytes());
    seal_crc(batch);
}

/// `batch` (whose header is `h`) with its records compressed by `codec` instead (`Compression::None`: not at
/// all): the same records, count, deltas, timestamps and producer fields, its length and CRC made anew. What a
/// producer does to a batch it compresses, and a leader to one its topic's `compression.type` converts (GZIP at
/// the topic's `compression.gzip.level`).
pub fn recompressed(batch: &Bytes, h: &BatchHeader, codec: Compression, gzip_level: Option<u32>) -> Result<Bytes> {
    let section = records_section(h, batch)?;
    let mut out = Vec::with_capacity(HEADER_LEN + section.len());
    out.extend_from_slice(&batch[..HEADER_LEN]);
    match codec {
        Compression::None => out.extend_from_slice(&section),
        codec => out.extend_from_slice(&super::compression::compress(codec, &section, gzip_level)),
    }
    set_length(&mut out);
    set_compression(&mut out, codec);
    seal_crc(&mut out);
    Ok(Bytes::from(out))
}

/// Sets batchLength to what follows it (before the CRC is sealed).
fn set_length(batch: &mut [u8]) {
    let length = (batch.len() - LOG_OVERHEAD) as i32;
    batch[8..LOG_OVERHEAD].copy_from_slice(&length.to_be_bytes());
}

/// Sets the codec bits of the attributes (before the CRC is sealed).
fn set_compression(batch: &mut [u8], codec: Compression) {
    let old = i16::from_be_bytes([batch[ATTRIBUTES_AT], batch[ATTRIBUTES_AT + 1]]);
    let attributes = (old & !CODEC_BITS) | codec.bits();
    batch[ATTRIBUTES_AT..ATTRIBUTES_AT + 2].copy_from_slice(&attributes.to_be_bytes());
}

pub(super) fn seal_crc(batch: &mut [u8]) {
    let crc = crc32c(&batch[ATTRIBUTES_AT..]);
    batch[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Seals the CRC of a batch held as its `header` and, apart, its `records`.
pub(super) fn seal_crc_of_parts(header: &mut [u8], records: &[u8]) {
    let crc = crc32c_append(crc32c(&header[ATTRIBUTES_AT..]), records);
    header[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_be_bytes());
}
