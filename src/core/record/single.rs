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
#[derive(Debug)]
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
