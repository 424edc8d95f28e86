//! The JS side of a send: `js/pack.js` packs the messages into one buffer, and the core unpacks it
//! (`core::client::unpack_messages`).

use bytes::Bytes;
use wasm_bindgen::prelude::*;

use crate::core::client::{unpack_messages, OutgoingMessage};

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    /// Packs KafkaJS messages; throws a field-naming `TypeError` for a wrong type.
    #[wasm_bindgen(catch, js_name = packMessages)]
    fn pack_messages(messages: &JsValue, at: &str) -> Result<Vec<u8>, JsValue>;
}

/// A send's messages as outgoing records; `now` stamps those without a timestamp.
pub fn messages(messages: &JsValue, at: &str, now: i64) -> Result<Vec<OutgoingMessage>, JsValue> {
    let packed = Bytes::from(pack_messages(messages, at)?);
    unpack_messages(packed, now).map_err(|e| super::error::to_js(&e))
}
