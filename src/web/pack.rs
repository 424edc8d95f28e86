//! Crossing between JavaScript and wasm once per send or fetch, not per record: `js/pack.js` packs a send's
//! messages into one buffer that the core encodes from (`core::client::encode_packed`), and builds the messages
//! of a fetch from the core's `PackedRecords`.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::core::client::PackedRecords;
use crate::core::error::Error;

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    /// Checks a send's messages (a wrong type is a field-naming `TypeError`) and packs them into the `length`
    /// bytes of wasm `memory` at `start`: the bytes written, or minus the bytes needed when that is too short.
    #[wasm_bindgen(catch, js_name = packMessages)]
    fn pack_at(messages: &JsValue, at: &str, memory: &JsValue, start: *mut u8, length: usize) -> Result<f64, JsValue>;

    // The numbers and refs cross as views of wasm memory (unpacking calls nothing in wasm, so they stay valid):
    // a copy of each cost as much as a third of building the messages.
    #[wasm_bindgen(js_name = unpackRecords)]
    fn unpack_records_doubles(arena: js_sys::Uint8Array, numbers: &[f64], refs: &[i32]) -> js_sys::Array;
    #[wasm_bindgen(js_name = unpackRecords)]
    fn unpack_records_bigints(arena: js_sys::Uint8Array, numbers: &[i64], refs: &[i32]) -> js_sys::Array;
}

/// [`pack_at`] into `out`.
fn pack_into(messages: &JsValue, at: &str, out: &mut [u8]) -> Result<f64, JsValue> {
    pack_at(messages, at, &super::js::memory(), out.as_mut_ptr(), out.len())
}

/// A send's messages packed for the core to encode (`core::client::encode_packed`), written by JavaScript
/// straight into wasm memory (a copy of each send's ~110 KB into wasm was ~4% of an in-page send's CPU). Its
/// buffer goes back to a pool when it is dropped, so that the next send writes into memory already in use.
pub struct Packed {
    buffer: Vec<u8>,
    len: usize,
}

impl std::ops::Deref for Packed {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Packed {
    fn drop(&mut self) {
        if self.buffer.len() <= POOLED_MAX_BYTES {
            SPARE.with(|spare| {
                let mut spare = spare.borrow_mut();
                if spare.len() < POOLED_MAX {
                    spare.push(std::mem::take(&mut self.buffer));
                }
            });
        }
    }
}

/// Buffers kept for the next sends: as many as a producer keeps in flight by default, each of a send's size.
const POOLED_MAX: usize = 5;
const POOLED_MAX_BYTES: usize = 8 << 20;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A send's `messages` (named `at` in errors), checked and packed.
pub fn messages(messages: &JsValue, at: &str) -> Result<Packed, JsValue> {
    let mut buffer = SPARE.with(|spare| spare.borrow_mut().pop()).unwrap_or_default();
    loop {
        let written = pack_into(messages, at, &mut buffer)?;
        if written >= 0.0 {
            return Ok(Packed { buffer, len: written as usize });
        }
        // Grown once to the size packing asks for (an upper bound: up to three UTF-8 bytes a UTF-16 unit); a
        // size memory cannot hold is an error, not an abort.
        let needed = -written as usize;
        buffer.try_reserve_exact(needed.saturating_sub(buffer.len())).map_err(|_| {
            super::error::to_js(&Error::MessageTooLarge(format!(
                "{at} pack to up to {needed} bytes, more than this tab's wasm memory can hold"
            )))
        })?;
        buffer.resize(needed, 0);
    }
}

/// KafkaJS message objects for fetched records, built in JavaScript from one copy of the fetched bytes.
pub fn records(packed: &PackedRecords) -> js_sys::Array {
    // Copied out of wasm memory: the messages' views must not alias memory that wasm reuses.
    let arena = js_sys::Uint8Array::new(&super::js::copied(&packed.arena));
    // Offsets and timestamps cross as doubles when every one is exact as a double, as BigInts otherwise: a
    // double's string is made several times faster than a BigInt's.
    if packed.numbers.iter().all(|&n| super::js::exact_as_double(n)) {
        let doubles: Vec<f64> = packed.numbers.iter().map(|&n| n as f64).collect();
        unpack_records_doubles(arena, &doubles, &packed.refs)
    } else {
        unpack_records_bigints(arena, &packed.numbers, &packed.refs)
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::*;

    use bytes::Bytes;

    use super::*;
    use crate::core::client::CrcCheck;
    use crate::core::record::{Record, RecordBatch};
    use crate::web::js;

    wasm_bindgen_test_configure!(run_in_browser);

    fn offsets_and_timestamps(records: &[(i64, Record)]) -> Vec<(String, String)> {
        // Each record in a batch of its own, at its offset.
        let fetched: Vec<u8> = records
            .iter()
            .flat_map(|(offset, r)| {
                let mut batch = RecordBatch::from_records(vec![r.clone()]);
                batch.base_offset = *offset;
                batch.encode()
            })
            .collect();
        let (packed, _) = PackedRecords::fetched(&[Bytes::from(fetched)], i64::MIN, CrcCheck::Check, &[]).unwrap();
        super::records(&packed)
            .iter()
            .map(|m| {
                let field = |name| super::super::js::get_dyn(&m, name).as_string().unwrap();
                (field("offset"), field("timestamp"))
            })
            .collect()
    }

    /// Packing writes straight into wasm memory, or through its scratch buffer into a target its words cannot
    /// be written to: the same bytes either way, and a short target learns the size it needs.
    #[wasm_bindgen_test]
    fn a_misaligned_target_gets_the_same_packed_bytes() {
        let sent = js_sys::JSON::parse(
            r#"[{"key":"k","value":"v","headers":{"h":"x"}},{"value":"é ü","partition":1,"timestamp":7},{"value":null}]"#,
        )
        .unwrap();
        let packed = messages(&sent, "messages").unwrap();
        let mut buffer = vec![0u8; packed.len() * 3 + 64];
        let needed = pack_into(&sent, "messages", &mut buffer[..0]).unwrap();
        assert!(needed < 0.0 && -needed as usize >= packed.len(), "a short target gets the size it needs");
        let aligned_at = (4 - buffer.as_ptr() as usize % 4) % 4;
        for skip in aligned_at..aligned_at + 4 {
            let written = pack_into(&sent, "messages", &mut buffer[skip..]).unwrap() as usize;
            assert_eq!(&buffer[skip..skip + written], &packed[..], "target offset {skip}");
        }
    }

    /// Text is packed as its UTF-8, byte for byte as the core's own packer lays it out, whichever way
    /// `pack.js` encodes it: a loop for short text, one `encodeInto` for long, string by string when any is
    /// not ASCII.
    #[wasm_bindgen_test]
    fn text_of_every_length_and_script_packs_to_its_utf8() {
        use crate::core::client::{pack_messages, PackedMessage};
        let pieces = ["a", "é", "日", "😀", "\u{7f}", "\u{80}"];
        for len in [0, 1, 40, 63, 64, 65, 127, 128, 129, 300] {
            for piece in pieces {
                for ascii_first in [false, true] {
                    // `len` units of ASCII then one `piece`, or the other way round, in the value; short ASCII in
                    // the key and a header around it.
                    let text = if ascii_first { "x".repeat(len) + piece } else { piece.repeat(len.max(1)) + "x" };
                    let key = format!("k{len}");
                    let expected: Vec<PackedMessage> = vec![
                        (
                            Some(key.clone().into()),
                            Some(text.clone().into()),
                            Some(1),
                            Some(7),
                            vec![("h".into(), Some(b"v".to_vec()))],
                        ),
                        (None, Some(b"tail".to_vec()), None, None, vec![]),
                    ];
                    let sent = js_sys::Array::of2(
                        &js::object([
                            ("key", key.as_str().into()),
                            ("value", text.as_str().into()),
                            ("partition", 1.into()),
                            ("timestamp", 7.into()),
                            ("headers", js::object([("h", "v".into())]).into()),
                        ])
                        .into(),
                        &js::object([("value", "tail".into())]).into(),
                    );
                    let packed = messages(&sent, "messages").unwrap();
                    assert_eq!(&packed[..], &pack_messages(&expected)[..], "{len} units around {piece:?}");
                }
            }
        }
    }

    #[wasm_bindgen_test]
    fn offsets_and_timestamps_are_exact_as_doubles_and_beyond() {
        let small = [(0, Record::new("a", -1)), ((1 << 53) - 1, Record::new("b", 1_795_642_158_190))];
        assert_eq!(
            offsets_and_timestamps(&small),
            [("0".into(), "-1".into()), ("9007199254740991".into(), "1795642158190".into())]
        );
        // Offsets' strings are made from their thousands (see `offsetString`): every boundary is exact.
        let offsets: Vec<i64> = [0, 999, 1000, 1001, 99_999, 100_000, 5_000_007]
            .into_iter()
            .chain(1990..2010)
            .chain((0..200).map(|i| 999_999_999_999_999 - i * 4_999_999_999_993))
            .chain([1_000_000_000_000_000, (1 << 53) - 1])
            .collect();
        let records: Vec<_> = offsets.iter().map(|&o| (o, Record::new("v", 1))).collect();
        let strings: Vec<String> = offsets_and_timestamps(&records).into_iter().map(|(o, _)| o).collect();
        assert_eq!(strings, offsets.iter().map(i64::to_string).collect::<Vec<_>>());
        // One number past 2^53 sends them all as BigInts, still exact.
        let large = [(5, Record::new("a", 7)), (i64::MAX, Record::new("b", (1 << 53) + 1))];
        assert_eq!(
            offsets_and_timestamps(&large),
            [("5".into(), "7".into()), (i64::MAX.to_string(), "9007199254740993".into())]
        );
    }
}
