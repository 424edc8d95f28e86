//! Kafka's primitive encodings: big-endian fixed-width integers and zigzag varints (protobuf style).
//!
//! The reader never panics: every read checks the remaining length and returns `CORRUPT_MESSAGE` when the input
//! ends early or a varint runs past its maximum width.

use bytes::{Buf, BufMut};

use crate::core::error::{Error, Result};

/// Appends Kafka's STRING (an i16 length, then the UTF-8 bytes), as the internal topics' records hold their
/// names (which franz has checked to be short).
pub fn put_string(buf: &mut impl BufMut, s: &str) {
    buf.put_i16(s.len() as i16);
    buf.put_slice(s.as_bytes());
}

/// Reads a Kafka STRING off the front of `buf`; `None` when it is cut short, has a negative length or is not
/// UTF-8.
pub fn get_string(buf: &mut &[u8]) -> Option<String> {
    let len = usize::try_from(buf.try_get_i16().ok()?).ok()?;
    let bytes = buf.get(..len)?.to_vec();
    buf.advance(len);
    String::from_utf8(bytes).ok()
}

/// Appends Kafka's zigzag varint encoding of a 32-bit value.
pub fn put_varint(out: &mut Vec<u8>, value: i32) {
    put_unsigned_varint(out, zigzag32(value) as u64);
}

/// Appends Kafka's zigzag varint encoding of a 64-bit value ("varlong").
pub fn put_varlong(out: &mut Vec<u8>, value: i64) {
    put_unsigned_varint(out, zigzag64(value));
}

/// How many bytes `put_varint(value)` writes.
pub fn varint_len(value: i32) -> usize {
    unsigned_varint_len(zigzag32(value) as u64)
}

/// How many bytes `put_varlong(value)` writes.
pub fn varlong_len(value: i64) -> usize {
    unsigned_varint_len(zigzag64(value))
}

fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Varints and bytes gathered on the stack and appended to a buffer in one go: a record's prefix is a handful of
/// one- or two-byte varints, and a `Vec` push per byte (a capacity check and a length update each) cost more
/// than writing them.
pub struct Staged {
    buf: [u8; Staged::ROOM],
    len: usize,
}

impl Default for Staged {
    fn default() -> Self {
        Staged { buf: [0; Staged::ROOM], len: 0 }
    }
}

impl Staged {
    /// Room for four varlongs and a few bytes: callers append (`flush`) before they could run out.
    pub const ROOM: usize = 48;

    pub fn byte(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }

    pub fn varint(&mut self, value: i32) {
        self.unsigned(zigzag32(value) as u64);
    }

    pub fn varlong(&mut self, value: i64) {
        self.unsigned(zigzag64(value));
    }

    fn unsigned(&mut self, v: u64) {
        each_varint_byte(v, |b| self.byte(b));
    }

    /// How many bytes are staged.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends what is staged to `out`, and starts over.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.buf[..self.len]);
        self.len = 0;
    }
}

fn put_unsigned_varint(out: &mut Vec<u8>, v: u64) {
    each_varint_byte(v, |b| out.push(b));
}

/// Gives `put` the bytes of `v`'s unsigned varint (seven bits each, low first), in order.
#[inline]
fn each_varint_byte(mut v: u64, mut put: impl FnMut(u8)) {
    while v >= 0x80 {
        put((v as u8) | 0x80);
        v >>= 7;
    }
    put(v as u8);
}

fn unsigned_varint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.max(1).div_ceil(7)
}

#[cold]
fn too_wide(what: &str) -> Error {
    Error::CorruptMessage(format!("{what}: varint does not fit in 32 bits"))
}

/// A cursor over a byte slice that reads Kafka's primitive types.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Takes the next `n` bytes, or fails with `CORRUPT_MESSAGE` naming `what` if fewer remain.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::CorruptMessage(format!("{what} needs {n} bytes but only {} remain", self.remaining())));
        }
        let slice = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn i8(&mut self, what: &str) -> Result<i8> {
        Ok(i8::from_be_bytes(self.array(what)?))
    }
    pub fn i16(&mut self, what: &str) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    pub fn i64(&mut self, what: &str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// A zigzag varint that must fit in 32 bits (at most 5 bytes).
    #[inline]
    pub fn varint(&mut self, what: &str) -> Result<i32> {
        let raw = self.unsigned_varint(5, what)?;
        let Ok(raw) = u32::try_from(raw) else { return Err(too_wide(what)) };
        Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    }

    /// A zigzag varlong (at most 10 bytes).
    #[inline]
    pub fn varlong(&mut self, what: &str) -> Result<i64> {
        let raw = self.unsigned_varint(10, what)?;
        Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
    }

    #[inline]
    fn unsigned_varint(&mut self, max_bytes: usize, what: &str) -> Result<u64> {
        // A batch's varints are one byte (attributes, small deltas, null keys, header counts) or two (lengths,
        // offset deltas under 8192): read inline, the rest out of line.
        match self.buf.get(self.pos..self.pos + 2) {
            Some(&[a, _]) if a < 0x80 => {
                self.pos += 1;
                Ok(u64::from(a))
            }
            Some(&[a, b]) if b < 0x80 && max_bytes >= 2 => {
                self.pos += 2;
                Ok(u64::from(a & 0x7f) | u64::from(b) << 7)
            }
            _ => self.longer_varint(max_bytes, what),
        }
    }

    #[inline(never)]
    fn longer_varint(&mut self, max_bytes: usize, what: &str) -> Result<u64> {
        let mut value: u64 = 0;
        for (i, &byte) in self.buf[self.pos..].iter().take(max_bytes).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(value);
            }
        }
        Err(Error::CorruptMessage(if self.remaining() < max_bytes {
            format!("{what}: varint runs past the end")
        } else {
            format!("{what}: varint longer than {max_bytes} bytes")
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_kafkas_examples() {
        // From Kafka's ByteUtilsTest / the protobuf spec: 0→0, -1→1, 1→2, -2→3, 63→126, -64→127, 64→0x80 0x01.
        let cases: [(i32, &[u8]); 7] =
            [(0, &[0]), (-1, &[1]), (1, &[2]), (-2, &[3]), (63, &[126]), (-64, &[127]), (64, &[0x80, 0x01])];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out, bytes, "encoding {value}");
            assert_eq!(varint_len(value), bytes.len());
            assert_eq!(Reader::new(bytes).varint("v").unwrap(), value);
        }
    }

    #[test]
    fn overlong_and_truncated_varints_are_corrupt() {
        let overlong = [0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&overlong).varint("v").unwrap_err().name(), "CORRUPT_MESSAGE");
        assert_eq!(Reader::new(&[0x80]).varlong("v").unwrap_err().name(), "CORRUPT_MESSAGE");
        assert_eq!(Reader::new(&[1, 2]).i32("v").unwrap_err().name(), "CORRUPT_MESSAGE");
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn varint_round_trips(v in proptest::prelude::any::<i32>()) {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            proptest::prop_assert_eq!(out.len(), varint_len(v));
            let mut r = Reader::new(&out);
            proptest::prop_assert_eq!(r.varint("v").unwrap(), v);
            proptest::prop_assert_eq!(r.remaining(), 0);
        }

        #[test]
        fn the_inline_varint_paths_read_as_the_general_one(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
            max in 1usize..=10,
        ) {
            let (mut fast, mut general) = (Reader::new(&bytes), Reader::new(&bytes));
            let read = fast.unsigned_varint(max, "v").map_err(|e| e.to_string());
            proptest::prop_assert_eq!(read, general.longer_varint(max, "v").map_err(|e| e.to_string()));
            proptest::prop_assert_eq!(fast.position(), general.position());
        }

        #[test]
        fn varlong_round_trips(v in proptest::prelude::any::<i64>()) {
            let mut out = Vec::new();
            put_varlong(&mut out, v);
            proptest::prop_assert_eq!(out.len(), varlong_len(v));
            proptest::prop_assert_eq!(Reader::new(&out).varlong("v").unwrap(), v);
        }
    }
}
