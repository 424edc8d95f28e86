//! One Kafka record, and its encoding inside a v2 batch.
//!
//! Inside a batch, each record is `length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//! key (varint length, -1 = null) | value (same) | header count varint | headers`. Deltas are relative to the
//! batch's base timestamp and base offset.

use std::ops::Range;

use bytes::Bytes;

use super::wire::{put_varint, put_varlong, varint_len, varlong_len, Reader};
use crate::core::error::{Error, Result};

/// A header: a UTF-8 key and a value. Kafka's format allows a null value (length -1), so the value is an
/// `Option`: a batch from Java Kafka that carries one must round-trip byte for byte.
pub type Header = (String, Option<Bytes>);

/// A Kafka record: the unit a producer sends and a consumer reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    /// Milliseconds since the Unix epoch (CreateTime, unless the topic uses LogAppendTime).
    pub timestamp: i64,
    pub headers: Vec<Header>,
}

impl Record {
    /// A record with a value and no key, the round-robin case.
    pub fn new(value: impl Into<Bytes>, timestamp: i64) -> Self {
        Record { key: None, value: Some(value.into()), timestamp, headers: Vec::new() }
    }

    /// A keyed record.
    pub fn keyed(key: impl Into<Bytes>, value: impl Into<Bytes>, timestamp: i64) -> Self {
        Record { key: Some(key.into()), ..Record::new(value, timestamp) }
    }

    /// A record whose value is null: on a compacted topic this deletes the key.
    pub fn tombstone(key: impl Into<Bytes>, timestamp: i64) -> Self {
        Record { key: Some(key.into()), value: None, timestamp, headers: Vec::new() }
    }

    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push((key.into(), Some(value.into())));
        self
    }
}

pub(super) fn nullable_len(field: Option<&[u8]>) -> usize {
    match field {
        None => varint_len(-1),
        Some(b) => varint_len(b.len() as i32) + b.len(),
    }
}

pub(super) fn put_nullable(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i32);
            out.extend_from_slice(b);
        }
    }
}

/// Size of a record's body: everything after its length prefix.
pub(super) fn body_len(record: &Record, offset_delta: i32, timestamp_delta: i64) -> usize {
    1 + varlong_len(timestamp_delta)
        + varint_len(offset_delta)
        + nullable_len(record.key.as_deref())
        + nullable_len(record.value.as_deref())
        + varint_len(record.headers.len() as i32)
        + record
            .headers
            .iter()
            .map(|(k, v)| varint_len(k.len() as i32) + k.len() + nullable_len(v.as_deref()))
            .sum::<usize>()
}

/// Appends one record in batch v2 form; `body_len` is what [`body_len`] gives for it.
pub(super) fn encode(out: &mut Vec<u8>, record: &Record, offset_delta: i32, timestamp_delta: i64, body_len: usize) {
    put_varint(out, body_len as i32);
    out.push(0); // record attributes: unused by every Kafka version so far
    put_varlong(out, timestamp_delta);
    put_varint(out, offset_delta);
    put_nullable(out, record.key.as_deref());
    put_nullable(out, record.value.as_deref());
    put_varint(out, record.headers.len() as i32);
    for (key, value) in &record.headers {
        put_nullable(out, Some(key.as_bytes()));
        put_nullable(out, value.as_deref());
    }
}

/// Where a header's name and value (`None` for null) lie in a record section.
pub type HeaderAt = (Range<usize>, Option<Range<usize>>);

/// Where one record's fields lie in its batch's record section, read in place: `read` makes every structural
/// check of the format, but copies and allocates nothing, which is all a leader needs to validate a produce.
#[derive(Debug, PartialEq, Eq)]
pub struct RecordFields {
    pub offset_delta: i32,
    pub timestamp: i64,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
    header_count: usize,
    /// Where the headers start (they end where the record does).
    headers_at: usize,
}

impl RecordFields {
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// Where the key lies in the record section, if there is one.
    pub fn key(&self) -> Option<Range<usize>> {
        self.key.clone()
    }

    pub fn value(&self) -> Option<Range<usize>> {
        self.value.clone()
    }

    /// Where each header's name (checked UTF-8) and value lie; `src` is the record section these fields were
    /// read from.
    pub fn headers(&self, src: &[u8]) -> Result<Vec<HeaderAt>> {
        if self.header_count == 0 {
            return Ok(Vec::new()); // most records: nothing to walk
        }
        let mut r = Reader::new(src);
        r.take(self.headers_at, "record")?;
        (0..self.header_count).map(|_| header_at(&mut r)).collect()
    }

    /// The record itself: key, value and header values are zero-copy slices of `src`, the record section
    /// these fields were read from.
    pub fn to_record(&self, src: &Bytes) -> Result<Record> {
        let slice = |field: Option<Range<usize>>| field.map(|at| src.slice(at));
        let mut headers = Vec::with_capacity(self.header_count);
        for (name, value) in self.headers(src)? {
            headers.push((header_key(&src[name])?.to_owned(), slice(value)));
        }
        Ok(Record { key: slice(self.key()), value: slice(self.value()), timestamp: self.timestamp, headers })
    }
}

/// The usual record, read with no error path: every varint of one or two bytes (lengths, deltas and counts under
/// 8 KiB) and no headers. `None` leaves the record at `at` to [`read`], which reads any record and names what is
/// wrong with a bad one; where both read a record, they read the same fields. Returns where the next one starts.
#[inline]
pub(super) fn read_plain(src: &[u8], at: usize, base_timestamp: i64) -> Option<(RecordFields, usize)> {
    let mut pos = at;
    let len = usize::try_from(short_varint(src, &mut pos)?).ok()?;
    let end = pos.checked_add(len).filter(|&end| end <= src.len())?;
    pos += 1; // the attributes
    let timestamp_delta = short_varint(src, &mut pos)?;
    let offset_delta = short_varint(src, &mut pos)?;
    let key = short_field(src, &mut pos, end)?;
    let value = short_field(src, &mut pos, end)?;
    let no_headers = short_varint(src, &mut pos)? == 0;
    let timestamp = base_timestamp.checked_add(i64::from(timestamp_delta))?;
    (no_headers && pos == end)
        .then_some((RecordFields { offset_delta, timestamp, key, value, header_count: 0, headers_at: pos }, end))
}

/// A length-prefixed field at `pos` (`Some(None)` for null) that ends by `end`, as [`read_plain`] reads it.
#[inline(always)]
fn short_field(src: &[u8], pos: &mut usize, end: usize) -> Option<Option<Range<usize>>> {
    let len = short_varint(src, pos)?;
    if len == -1 {
        return Some(None);
    }
    let start = *pos;
    *pos = start.checked_add(usize::try_from(len).ok()?).filter(|&p| p <= end)?;
    Some(Some(start..*pos))
}

/// A zigzag varint of one or two bytes at `pos`, which it moves past it.
#[inline(always)]
fn short_varint(src: &[u8], pos: &mut usize) -> Option<i32> {
    let a = *src.get(*pos)?;
    let raw = if a < 0x80 {
        *pos += 1;
        u32::from(a)
    } else {
        let b = *src.get(*pos + 1)?;
        if b >= 0x80 {
            return None;
        }
        *pos += 2;
        u32::from(a & 0x7f) | u32::from(b) << 7
    };
    Some(((raw >> 1) as i32) ^ -((raw & 1) as i32))
}

/// Reads one record's fields from `r`, which reads `src` (the batch's record section).
pub(super) fn read(r: &mut Reader, src: &[u8], base_timestamp: i64) -> Result<RecordFields> {
    let len = r.varint("record length")?;
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= r.remaining())
        .ok_or_else(|| Error::CorruptMessage(format!("record length {len} is impossible here")))?;
    let end = r.position() + len;
    r.i8("record attributes")?;
    let timestamp_delta = r.varlong("timestamp delta")?;
    let offset_delta = r.varint("offset delta")?;
    let key = nullable_at(r, "record key")?;
    let value = nullable_at(r, "record value")?;
    let header_count = r.varint("header count")?;
    // Each header takes at least two bytes, so a count beyond that is a lie.
    let header_count = usize::try_from(header_count)
        .ok()
        .filter(|&n| n * 2 <= end.saturating_sub(r.position()))
        .ok_or_else(|| Error::CorruptMessage(format!("header count {header_count} is impossible")))?;
    let headers_at = r.position();
    for _ in 0..header_count {
        let (key, _) = header_at(r)?;
        header_key(&src[key])?;
    }
    if r.position() != end {
        return Err(Error::CorruptMessage(format!(
            "record declares {len} bytes but its fields take {}",
            len as isize + r.position() as isize - end as isize
        )));
    }
    let timestamp = base_timestamp
        .checked_add(timestamp_delta)
        .ok_or_else(|| Error::CorruptMessage("record timestamp overflows".into()))?;
    Ok(RecordFields { offset_delta, timestamp, key, value, header_count, headers_at })
}

/// Where a length-prefixed byte field lies; -1 means null.
fn nullable_at(r: &mut Reader, what: &str) -> Result<Option<Range<usize>>> {
    let len = r.varint(what)?;
    if len == -1 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| Error::CorruptMessage(format!("{what} has length {len}")))?;
    let start = r.position();
    r.take(len, what)?;
    Ok(Some(start..start + len))
}

/// Where one header's key and value lie.
fn header_at(r: &mut Reader) -> Result<HeaderAt> {
    let key = nullable_at(r, "header key")?.ok_or_else(|| Error::CorruptMessage("a header key is null".into()))?;
    Ok((key, nullable_at(r, "header value")?))
}

fn header_key(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| Error::CorruptMessage("a header key is not UTF-8".into()))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::core::record::RecordBatch;
    use proptest::prelude::*;

    /// `read`'s answer for the record at `at`, and where it ends.
    fn read_at(src: &[u8], at: usize, base_timestamp: i64) -> Result<(RecordFields, usize)> {
        let mut r = Reader::new(src);
        r.take(at, "skip")?;
        let fields = read(&mut r, src, base_timestamp)?;
        Ok((fields, r.position()))
    }

    proptest! {
        /// Wherever the fast path reads a record, the full reader reads the same fields and ends at the same place:
        /// whatever a byte of a record is changed to, whatever length it declares, and for any bytes at all.
        #[test]
        fn the_fast_path_reads_as_the_full_reader(
            value in proptest::collection::vec(any::<u8>(), 0..200),
            delta in -10_000i64..10_000,
            at in any::<prop::sample::Index>(),
            to in any::<u8>(),
            noise in proptest::collection::vec(any::<u8>(), 0..32),
            misdeclared in prop_oneof![Just(0isize), -3isize..8],
            base in prop_oneof![Just(1_700_000_000_000i64), Just(i64::MAX - 5), any::<i64>()],
        ) {
            let mut bytes = Vec::new();
            let record = Record::new(value, base.wrapping_add(delta));
            let declared = body_len(&record, 3, delta).saturating_add_signed(misdeclared);
            encode(&mut bytes, &record, 3, delta, declared);
            if misdeclared == 0 {
                let i = at.index(bytes.len());
                bytes[i] = to;
            }
            // Bytes after the record (the next one's, or garbage) give a changed length something to run into.
            let followed = [&bytes[..], &noise].concat();
            for src in [&bytes, &followed, &noise] {
                if let Some(plain) = read_plain(src, 0, base) {
                    prop_assert_eq!(read_at(src, 0, base).unwrap(), plain);
                }
            }
        }

        /// Ordinary records (lengths under 8 KiB, no headers) all take the fast path; those with headers never do.
        #[test]
        fn ordinary_records_take_the_fast_path(
            values in proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)), 1..40),
            header in any::<bool>(),
        ) {
            let records: Vec<Record> = values
                .into_iter()
                .map(|v| Record { value: v.map(Bytes::from), ..Record::new("", 1_700_000_000_000) })
                .map(|r| if header { r.with_header("h", "v") } else { r })
                .collect();
            let batch = RecordBatch::from_records(records).encode();
            let body = &batch[super::super::batch::HEADER_LEN..];
            let mut at = 0;
            while at < body.len() {
                let (full, next) = read_at(body, at, 1_700_000_000_000).unwrap();
                match read_plain(body, at, 1_700_000_000_000) {
                    Some(plain) => {
                        prop_assert!(!header, "a record with a header took the fast path");
                        prop_assert_eq!(plain, (full, next));
                    }
                    None => prop_assert!(header, "a record without headers missed the fast path"),
                }
                at = next;
            }
        }
    }
}
