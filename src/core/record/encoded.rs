//! A batch's records, encoded as they arrive. Kafka's producer appends each record to its open batch's buffer as
//! it is sent; so does franz's: a record is encoded once, from wherever its bytes lie (a packed send, a
//! `Record`), and no `Record` is made on the way. Offset deltas run 0.. and timestamp deltas count from the first
//! record's, so the records are a batch's record section as they stand. Joining two (a request's pieces) or
//! splitting one (a leader's parts) rewrites only each record's deltas and copies its fields as they are.

use std::ops::Range;

use bytes::Bytes;

use super::batch::{seal_crc, seal_crc_of_parts, RecordBatch, HEADER_LEN, LOG_OVERHEAD};
use super::single::{nullable_len, Record};
use super::wire::{varint_len, varlong_len, Staged};

/// Where one record lies in [`EncodedRecords`]'s bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    timestamp: i64,
    /// Its fields after the offset delta (key, value, headers), encoded: what a rewrite copies as it is.
    fields: Range<usize>,
}

/// Records encoded as a batch's record section (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EncodedRecords {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

impl EncodedRecords {
    /// Room for about `records` records of `bytes` bytes in all.
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        EncodedRecords { bytes: Vec::with_capacity(bytes), entries: Vec::with_capacity(records) }
    }

    /// `records`, encoded in order.
    pub fn from_records(records: &[Record]) -> Self {
        let bytes = records.iter().map(|r| super::single::body_len(r, 0, 0) + 6).sum();
        let mut out = Self::with_capacity(records.len(), bytes);
        for r in records {
            let headers = r.headers.iter().map(|(name, value)| (name.as_bytes(), value.as_deref()));
            out.push(r.key.as_deref(), r.value.as_deref(), headers, r.timestamp);
        }
        out
    }

    /// Appends a record. Header names must be UTF-8 (Kafka's format says so; the caller checks).
    pub fn push<'a>(
        &mut self,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: impl ExactSizeIterator<Item = (&'a [u8], Option<&'a [u8]>)> + Clone,
        timestamp: i64,
    ) {
        let header_count = headers.len() as i32;
        let fields_len = nullable_len(key)
            + nullable_len(value)
            + varint_len(header_count)
            + headers.clone().map(|(name, v)| nullable_len(Some(name)) + nullable_len(v)).sum::<usize>();
        let mut staged = Staged::default();
        stage_prefix(&mut staged, self.entries.len() as i32, self.timestamp_delta(timestamp), fields_len);
        let fields_at = self.bytes.len() + staged.len();
        self.bytes.reserve(staged.len() + fields_len);
        stage_nullable(&mut staged, &mut self.bytes, key);
        stage_nullable(&mut staged, &mut self.bytes, value);
        staged.varint(header_count);
        for (name, v) in headers {
            stage_nullable(&mut staged, &mut self.bytes, Some(name));
            stage_nullable(&mut staged, &mut self.bytes, v);
        }
        staged.flush(&mut self.bytes);
        self.end(fields_at, timestamp);
    }

    /// Writes a record's length, attributes and deltas, for fields of `fields_len` bytes.
    fn begin(&mut self, timestamp: i64, fields_len: usize) {
        let timestamp_delta = self.timestamp_delta(timestamp);
        write_prefix(&mut self.bytes, self.entries.len() as i32, timestamp_delta, fields_len);
    }

    /// A next record's timestamp delta: from the first record's timestamp (its own, for the first).
    fn timestamp_delta(&self, timestamp: i64) -> i64 {
        timestamp.wrapping_sub(self.base_timestamp().unwrap_or(timestamp))
    }

    fn end(&mut self, fields_at: usize, timestamp: i64) {
        self.entries.push(Entry { timestamp, fields: fields_at..self.bytes.len() });
    }

    /// The bytes these records would take with `other`'s appended: renumbered, a record's deltas may take more
    /// bytes than in `other` (an offset delta from 64 on takes two).
    pub fn bytes_with(&self, other: &EncodedRecords) -> usize {
        let Some(base) = self.base_timestamp() else { return other.bytes.len() };
        let appended =
            other.entries.iter().enumerate().map(|(j, e)| {
                record_len((self.entries.len() + j) as i32, e.timestamp.wrapping_sub(base), e.fields.len())
            });
        self.bytes.len() + appended.sum::<usize>()
    }

    /// Appends `other`'s records after these, renumbered.
    pub fn append(&mut self, other: EncodedRecords) {
        if self.entries.is_empty() {
            *self = other;
            return;
        }
        self.bytes.reserve(other.bytes.len());
        self.entries.reserve(other.entries.len());
        for e in &other.entries {
            self.begin(e.timestamp, e.fields.len());
            let fields_at = self.bytes.len();
            self.bytes.extend_from_slice(&other.bytes[e.fields.clone()]);
            self.end(fields_at, e.timestamp);
        }
    }

    /// These records as consecutive parts (ranges of their indexes), each of at most `max_bytes` once sealed as
    /// a batch (a larger record goes alone); one part when they fit.
    pub fn parts(&self, max_bytes: usize) -> Vec<Range<usize>> {
        // A record's size in a part: its deltas count from the part's first record.
        let size_in = |first: usize, i: usize| {
            let (e, base) = (&self.entries[i], self.entries[first].timestamp);
            record_len((i - first) as i32, e.timestamp.wrapping_sub(base), e.fields.len())
        };
        let mut parts = Vec::new();
        let (mut first, mut bytes) = (0, HEADER_LEN);
        for i in 0..self.entries.len() {
            let size = size_in(first, i);
            if i > first && bytes + size > max_bytes {
                parts.push(first..i);
                (first, bytes) = (i, HEADER_LEN + size_in(i, i));
            } else {
                bytes += size;
            }
        }
        parts.push(first..self.entries.len());
        parts
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Their size as one batch: what a topic's size limits apply to.
    pub fn batch_bytes(&self) -> usize {
        HEADER_LEN + self.bytes.len()
    }

    /// Whether each record has a key, in order (a compacted topic refuses null ones).
    pub fn has_keys(&self) -> impl Iterator<Item = bool> + '_ {
        // A null key is a length of -1, zigzag-encoded as the single byte 1.
        self.entries.iter().map(|e| self.bytes[e.fields.start] != 1)
    }

    /// Each record's timestamp, in order.
    pub fn timestamps(&self) -> impl Iterator<Item = i64> + '_ {
        self.entries.iter().map(|e| e.timestamp)
    }

    /// The records' bytes: a batch's record section.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn base_timestamp(&self) -> Option<i64> {
        self.entries.first().map(|e| e.timestamp)
    }

    /// The header of a batch of the records `part` (as `RecordBatch::from_records` makes it: no producer id, the
    /// first record's timestamp as the base, the true maximum), finished by `fill`.
    fn header(&self, part: Range<usize>, fill: impl FnOnce(&mut RecordBatch)) -> RecordBatch {
        let entries = &self.entries[part];
        let mut header = RecordBatch::from_records(Vec::new());
        header.base_timestamp = entries.first().map_or(0, |e| e.timestamp);
        header.max_timestamp = entries.iter().map(|e| e.timestamp).max().unwrap_or(-1);
        header.last_offset_delta = entries.len().saturating_sub(1) as i32;
        fill(&mut header);
        header
    }

    /// A sealed batch of the records `part` (a range of [`Self::parts`], or all of them), under a header `fill`
    /// finishes. A part after the first is renumbered from 0, its timestamps counted from its first.
    pub fn seal(&self, part: Range<usize>, fill: impl FnOnce(&mut RecordBatch)) -> (RecordBatch, Bytes) {
        let from_first = part.start == 0;
        let header = self.header(part.clone(), fill);
        let entries = &self.entries[part];
        // Room for every record as encoded here, and for deltas that grow when renumbered.
        let room = entries.last().map_or(0, |e| e.fields.end) - entries.first().map_or(0, |e| e.fields.start);
        let mut out = Vec::with_capacity(HEADER_LEN + room + 16 * entries.len());
        header.write_header(&mut out, HEADER_LEN, entries.len()); // its length is set below
        if from_first {
            // The records from the first on stand as they are: copied in one go.
            out.extend_from_slice(&self.bytes[..entries.last().map_or(0, |e| e.fields.end)]);
        } else {
            for (i, e) in entries.iter().enumerate() {
                write_prefix(&mut out, i as i32, e.timestamp.wrapping_sub(header.base_timestamp), e.fields.len());
                out.extend_from_slice(&self.bytes[e.fields.clone()]);
            }
        }
        let batch_length = (out.len() - LOG_OVERHEAD) as i32;
        out[LOG_OVERHEAD - 4..LOG_OVERHEAD].copy_from_slice(&batch_length.to_be_bytes());
        seal_crc(&mut out);
        (header, Bytes::from(out))
    }

    /// The header of a batch of all these records, `fill` finishing it, sealed over them: the batch is its bytes
    /// followed by [`Self::bytes`], for a caller that copies both on anyway (no copy of the records here).
    pub fn sealed_header(&self, fill: impl FnOnce(&mut RecordBatch)) -> Vec<u8> {
        let mut head = Vec::with_capacity(HEADER_LEN);
        self.header(0..self.len(), fill).write_header(&mut head, self.batch_bytes(), self.len());
        seal_crc_of_parts(&mut head, &self.bytes);
        head
    }
}

/// The length of a record's body (after its length prefix) with these deltas and encoded fields.
fn body_len(offset_delta: i32, timestamp_delta: i64, fields_len: usize) -> usize {
    1 + varlong_len(timestamp_delta) + varint_len(offset_delta) + fields_len
}

/// All of a record's bytes, length prefix included.
fn record_len(offset_delta: i32, timestamp_delta: i64, fields_len: usize) -> usize {
    let body = body_len(offset_delta, timestamp_delta, fields_len);
    varint_len(body as i32) + body
}

/// Writes a record's length prefix, attributes and deltas, for encoded fields of `fields_len` bytes.
fn write_prefix(out: &mut Vec<u8>, offset_delta: i32, timestamp_delta: i64, fields_len: usize) {
    let mut staged = Staged::default();
    stage_prefix(&mut staged, offset_delta, timestamp_delta, fields_len);
    out.reserve(staged.len() + fields_len);
    staged.flush(out);
}

/// Stages a record's length prefix, attributes and deltas (at most 21 bytes).
fn stage_prefix(staged: &mut Staged, offset_delta: i32, timestamp_delta: i64, fields_len: usize) {
    staged.varint(body_len(offset_delta, timestamp_delta, fields_len) as i32);
    staged.byte(0); // record attributes: unused by every Kafka version so far
    staged.varlong(timestamp_delta);
    staged.varint(offset_delta);
}

/// Stages a nullable field's length; its bytes, if any, go straight to `out` after what is staged.
fn stage_nullable(staged: &mut Staged, out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => staged.varint(-1),
        Some(b) => {
            staged.varint(b.len() as i32);
            if !b.is_empty() {
                staged.flush(out);
                out.extend_from_slice(b);
            }
        }
    }
    if staged.len() > Staged::ROOM - 16 {
        staged.flush(out);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::core::record::RecordBatch;
    use proptest::prelude::*;

    fn arb_record() -> impl Strategy<Value = Record> {
        let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from));
        let header = ("[a-z]{1,4}", bytes());
        // Timestamps that jump both ways: deltas counted from a part's first record can grow.
        let timestamp = prop_oneof![-5i64..5_000_000, Just(i64::MIN / 4), Just(i64::MAX / 4)];
        (bytes(), bytes(), timestamp, proptest::collection::vec(header, 0..3))
            .prop_map(|(key, value, timestamp, headers)| Record { key, value, timestamp, headers })
    }

    fn records() -> impl Strategy<Value = Vec<Record>> {
        proptest::collection::vec(arb_record(), 0..80)
    }

    /// The batch `RecordBatch` encodes from the same records, as a producer makes it.
    fn reference(records: &[Record]) -> Bytes {
        RecordBatch::from_records(records.to_vec()).encode()
    }

    proptest! {
        #[test]
        fn sealed_records_are_the_batch_record_batch_encodes(records in records()) {
            let encoded = EncodedRecords::from_records(&records);
            prop_assert_eq!(encoded.batch_bytes(), reference(&records).len());
            prop_assert_eq!(encoded.seal(0..records.len(), |_| {}).1, reference(&records));
            let head = encoded.sealed_header(|_| {});
            prop_assert_eq!([&head[..], encoded.bytes()].concat(), reference(&records).to_vec());
        }

        #[test]
        fn appending_renumbers_as_one_batch_of_both(a in records(), b in records()) {
            let mut joined = EncodedRecords::from_records(&a);
            let predicted = joined.bytes_with(&EncodedRecords::from_records(&b));
            joined.append(EncodedRecords::from_records(&b));
            prop_assert_eq!(predicted, joined.bytes().len(), "bytes_with is what appending makes");
            let both = [a, b].concat();
            prop_assert_eq!(joined.seal(0..both.len(), |_| {}).1, reference(&both));
            prop_assert_eq!(joined.has_keys().collect::<Vec<_>>(), both.iter().map(|r| r.key.is_some()).collect::<Vec<_>>());
        }

        #[test]
        fn parts_hold_every_record_in_order_within_the_limit(records in records(), max in 100usize..3000) {
            let encoded = EncodedRecords::from_records(&records);
            let parts = encoded.parts(max);
            prop_assert_eq!(parts.first().map(|p| p.start), Some(0));
            for part in &parts {
                let batch = encoded.seal(part.clone(), |_| {}).1;
                prop_assert!(batch.len() <= max || part.len() == 1, "a part over the limit holds one record");
                // Each part is the batch its records make on their own.
                prop_assert_eq!(batch, reference(&records[part.clone()]));
            }
            prop_assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), records.len());
            prop_assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
            let split = encoded.batch_bytes() > max && records.len() > 1;
            prop_assert_eq!(parts.len() > 1, split, "only what does not fit is split");
        }
    }
}
