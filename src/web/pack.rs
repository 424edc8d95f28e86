//! Crossing between JavaScript and wasm once per send or fetch, not per record: `js/pack.js` packs a send's
//! messages into one buffer that the core unpacks (`core::client::unpack_messages`), and builds the messages of
//! a fetch from the core's `PackedRecords`.

use bytes::Bytes;
use wasm_bindgen::prelude::*;

use crate::core::client::{unpack_messages, OutgoingMessage, PackedRecords};
use crate::core::record::Record;

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    /// Packs KafkaJS messages; throws a field-naming `TypeError` for a wrong type.
    #[wasm_bindgen(catch, js_name = packMessages)]
    fn pack_messages(messages: &JsValue, at: &str) -> Result<Vec<u8>, JsValue>;

    #[wasm_bindgen(js_name = unpackRecords)]
    fn unpack_records(
        arena: js_sys::Uint8Array,
        numbers: js_sys::BigInt64Array,
        refs: js_sys::Int32Array,
    ) -> js_sys::Array;
}

/// A send's messages as outgoing records; `now` stamps those without a timestamp.
pub fn messages(messages: &JsValue, at: &str, now: i64) -> Result<Vec<OutgoingMessage>, JsValue> {
    let packed = Bytes::from(pack_messages(messages, at)?);
    unpack_messages(packed, now).map_err(|e| super::error::to_js(&e))
}

/// KafkaJS message objects for fetched records, built in JavaScript from one copy of their bytes.
pub fn records<'a>(records: impl IntoIterator<Item = (i64, &'a Record)>) -> js_sys::Array {
    let packed = PackedRecords::pack(records);
    // Copies out of wasm memory: the messages' views must not alias memory that wasm reuses.
    unpack_records(
        js_sys::Uint8Array::from(&packed.arena[..]),
        js_sys::BigInt64Array::from(&packed.numbers[..]),
        js_sys::Int32Array::from(&packed.refs[..]),
    )
}
