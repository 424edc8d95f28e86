//! Unpacking the buffer `js/pack.js` builds from a send's messages: one crossing into wasm per send, and every
//! key, value and header a zero-copy slice of it.

use bytes::Bytes;
use wasm_bindgen::prelude::*;

use crate::core::client::OutgoingMessage;
use crate::core::error::Error;
use crate::core::record::Record;

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    /// Packs KafkaJS messages; throws a field-naming `TypeError` for a wrong type.
    #[wasm_bindgen(catch, js_name = packMessages)]
    fn pack_messages(messages: &JsValue, at: &str) -> Result<Vec<u8>, JsValue>;
}

struct Cursor {
    buf: Bytes,
    pos: usize,
    /// Where the data area (the bytes that refs point into) starts.
    data: usize,
}

fn malformed(what: &str) -> Error {
    Error::InvalidRequest(format!("the packed messages are malformed: {what}"))
}

impl Cursor {
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

    /// A ref into the data area: a zero-copy slice, or `None` for null.
    fn bytes(&mut self) -> Result<Option<Bytes>, Error> {
        let (start, len) = (self.i32()?, self.i32()?);
        if start == -1 {
            return Ok(None);
        }
        let from = usize::try_from(start).ok().map(|s| self.data + s);
        let to = from.zip(usize::try_from(len).ok()).map(|(f, l)| f + l);
        match (from, to) {
            (Some(f), Some(t)) if t <= self.buf.len() => Ok(Some(self.buf.slice(f..t))),
            _ => Err(malformed("a field points outside the data")),
        }
    }
}

/// A send's messages as outgoing records; `now` stamps those without a timestamp.
pub fn messages(messages: &JsValue, at: &str, now: i64) -> Result<Vec<OutgoingMessage>, JsValue> {
    let packed = Bytes::from(pack_messages(messages, at)?);
    unpack(packed, now).map_err(|e| super::error::to_js(&e))
}

fn unpack(buf: Bytes, now: i64) -> Result<Vec<OutgoingMessage>, Error> {
    let mut c = Cursor { buf, pos: 0, data: 0 };
    let count = usize::try_from(c.i32()?).map_err(|_| malformed("negative count"))?;
    c.data = usize::try_from(c.i32()?).map_err(|_| malformed("negative data offset"))?;
    let mut out = Vec::with_capacity(count.min(c.buf.len()));
    for _ in 0..count {
        let flags = c.array::<1>()?[0];
        let partition = c.i32()?;
        let timestamp = f64::from_le_bytes(c.array()?) as i64;
        let key = c.bytes()?;
        let value = c.bytes()?;
        let header_count = c.i32()?;
        let mut headers = Vec::with_capacity(usize::try_from(header_count).unwrap_or(0).min(64));
        for _ in 0..header_count {
            let name = c.bytes()?.unwrap_or_default();
            let name = String::from_utf8(name.to_vec()).map_err(|_| malformed("a header name is not UTF-8"))?;
            headers.push((name, c.bytes()?));
        }
        out.push(OutgoingMessage {
            record: Record { key, value, timestamp: if flags & 2 != 0 { timestamp } else { now }, headers },
            partition: (flags & 1 != 0).then_some(partition),
        });
    }
    Ok(out)
}
