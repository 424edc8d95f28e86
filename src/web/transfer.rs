//! Record data crossing to another context. RecordBatch bytes go out in transferred buffers, and the side that
//! receives them gives each buffer back (an envelope's `give`) once it has copied the bytes into its wasm memory;
//! the sender writes its next records into a buffer given back. Writing fresh memory is most of what a transfer
//! costs (page faults: ~50 µs per 112 KB measured here, against ~2 µs into memory already written). `js/pack.js`
//! keeps both lists: buffers to give back, and buffers given back. A frame (`core::frame`) needs no list: its
//! answer is written into the buffer it came in, and a Fetch frame carries a spare buffer to the host to fill
//! (a frame too small to be worth recycling is posted as a copy).

use bytes::Bytes;
use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::MessagePort;

use crate::core::frame::Frame;

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    #[wasm_bindgen(js_name = copyOutToSend)]
    fn copy_out_to_send(memory: &JsValue, spans: *const u32, count: usize, total: usize) -> Uint8Array;
    #[wasm_bindgen(js_name = giveBackLater)]
    fn give_back_later(buffer: &JsValue);
    /// The buffers received since the last call, to give back. A host takes a request's own right after reading
    /// it and gives them back with its answer, so they return to the client that sent them.
    #[wasm_bindgen(js_name = takeToGive)]
    pub fn to_give() -> Array;
    /// Adds `buffers` to an outgoing `envelope` (and its `transfer` list) to give them back.
    #[wasm_bindgen(js_name = attachGiven)]
    pub fn give(envelope: &JsValue, transfer: &Array, buffers: &Array);
    /// On receiving `envelope`: keeps the buffers it gives back.
    #[wasm_bindgen(js_name = keepGiven)]
    pub fn received(envelope: &JsValue);
    #[wasm_bindgen(js_name = copyOutFrame)]
    fn copy_out_frame(
        memory: &JsValue,
        spans: *const u32,
        count: usize,
        total: usize,
        into: Option<ArrayBuffer>,
        carry: bool,
    ) -> ArrayBuffer;
    /// Posts a frame's buffer, transferred when it is worth recycling and copied when small.
    #[wasm_bindgen(catch, js_name = postFrame)]
    pub fn post_frame(port: &MessagePort, buffer: &ArrayBuffer) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = frameIn)]
    fn frame_in(buffer: &ArrayBuffer) -> Uint8Array;
    /// Keeps a buffer whose frame is copied into wasm, to write the next record data into.
    #[wasm_bindgen(js_name = keepSpare)]
    pub fn keep_spare(buffer: &ArrayBuffer);
}

/// The spans of wasm memory that `chunks` are, as `[start, length]` pairs, which JavaScript reads where they lie
/// (passing them as an array would cost a view of them per message).
fn spans(chunks: &[&[u8]]) -> Vec<u32> {
    chunks.iter().flat_map(|c| [c.as_ptr() as u32, c.len() as u32]).collect()
}

/// `chunks` laid end to end in a buffer of their own, to transfer (its buffer is pushed onto `transfer`): a view
/// of exactly their bytes.
pub fn outgoing(chunks: &[&[u8]], transfer: &Array) -> Uint8Array {
    let total = chunks.iter().map(|c| c.len()).sum();
    let view = copy_out_to_send(&super::js::memory(), spans(chunks).as_ptr(), chunks.len(), total);
    transfer.push(&view.buffer());
    view
}

/// Received record data (an ArrayBuffer, or a view of one) copied into wasm, its buffer noted to give back;
/// `None` for anything else.
pub fn incoming(v: &JsValue) -> Option<Bytes> {
    let (bytes, buffer): (Vec<u8>, JsValue) = if let Some(buf) = v.dyn_ref::<ArrayBuffer>() {
        (Uint8Array::new(buf).to_vec(), buf.into())
    } else if let Some(view) = v.dyn_ref::<Uint8Array>() {
        (view.to_vec(), view.buffer().into())
    } else {
        return None;
    };
    give_back_later(&buffer);
    Some(Bytes::from(bytes))
}

/// Before a client posts `envelope`: it gives back every buffer received since its last one.
pub fn sending(envelope: &JsValue, transfer: &Array) {
    give(envelope, transfer, &to_give());
}

/// A frame laid out in a buffer to transfer (see `copyOutFrame`): `into`, the buffer its request came in, when
/// it fits; with `carry`, the largest spare buffer, which goes back to the side that sends record data.
pub fn outgoing_frame(frame: &mut Frame, into: Option<ArrayBuffer>, carry: bool) -> ArrayBuffer {
    let total = frame.byte_len();
    let chunks = frame.chunks();
    copy_out_frame(&super::js::memory(), spans(&chunks).as_ptr(), chunks.len(), total, into, carry)
}

/// A received frame's bytes, copied into wasm. Its buffer is the caller's to reuse or keep.
pub fn incoming_frame(buffer: &ArrayBuffer) -> Bytes {
    Bytes::from(frame_in(buffer).to_vec())
}
