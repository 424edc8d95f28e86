//! A send's arguments: KafkaJS's `send` and `sendBatch` records, their `acks` and `compression`, checked and
//! packed while the caller's objects are at hand.

use wasm_bindgen::prelude::*;

use super::{to_js, State, TopicSend};
use crate::core::error::Error;
use crate::core::record::Compression;
use crate::web::{js, pack};

/// A send's messages, checked and packed, with its acks and codec.
pub(crate) type Sends = Result<(Vec<TopicSend>, i16, Compression), JsValue>;

/// `options.acks`, or `default`; Kafka allows -1 (all), 0 and 1.
pub(super) fn acks(options: &JsValue, default: i16) -> Result<i16, JsValue> {
    let acks = js::opt_int::<i16>(options, "acks", "acks")?.unwrap_or(default);
    if ![-1, 0, 1].contains(&acks) {
        return Err(to_js(Error::InvalidRequiredAcks(format!("acks must be -1 (all), 0 or 1, got {acks}"))));
    }
    Ok(acks)
}

/// KafkaJS's `CompressionTypes`, for a send's `compression`. franz has every one built in, where KafkaJS has
/// GZIP and needs a codec plugin for the others.
#[wasm_bindgen]
#[allow(clippy::upper_case_acronyms)]
pub enum CompressionTypes {
    None = 0,
    GZIP = 1,
    Snappy = 2,
    LZ4 = 3,
    ZSTD = 4,
}

/// `options.compression` (a `CompressionTypes` value), or none.
fn compression(options: &JsValue) -> Result<Compression, JsValue> {
    compression_of(js::opt_int::<i32>(options, "compression", "compression")?)
}

/// The codec a `CompressionTypes` value names.
pub(crate) fn compression_of(value: Option<i32>) -> Result<Compression, JsValue> {
    let Some(n) = value else { return Ok(Compression::None) };
    i16::try_from(n)
        .ok()
        .and_then(Compression::from_bits)
        .ok_or_else(|| js::type_error("compression", "one of CompressionTypes' values", &n.into()))
}

/// One topic's messages, checked and converted now, while the caller's objects are at hand.
/// With `keep`, the messages are kept for the app's own partitioner.
fn topic_send(topic: String, messages: &JsValue, at: &str, keep: bool) -> Result<TopicSend, JsValue> {
    let packed = pack::messages(messages, at)?;
    Ok(TopicSend { topic, packed, sent_ms: js_sys::Date::now() as i64, messages: keep.then(|| messages.clone()) })
}

/// `send({ topic, messages, acks?, compression? })`'s messages, checked and packed.
pub(crate) fn record_sends(state: &State, record: &JsValue) -> Sends {
    let (acks, compression) = (acks(record, state.acks)?, compression(record)?);
    let topic = js::string(record, "topic", "topic")?;
    let keep = state.custom_partitioner.is_some();
    Ok((vec![topic_send(topic, &js::get(record, "messages"), "messages", keep)?], acks, compression))
}

/// `sendBatch({ topicMessages: [{ topic, messages }], acks?, compression? })`'s messages, checked and packed.
pub(crate) fn batch_sends(state: &State, batch: &JsValue) -> Sends {
    let (acks, compression) = (acks(batch, state.acks)?, compression(batch)?);
    let mut sends = Vec::new();
    for (i, tm) in js::list(batch, "topicMessages", "topicMessages", true)?.iter().enumerate() {
        let topic = js::string(tm, "topic", format_args!("topicMessages[{i}].topic"))?;
        let at = format!("topicMessages[{i}].messages");
        sends.push(topic_send(topic, &js::get(tm, "messages"), &at, state.custom_partitioner.is_some())?);
    }
    Ok((sends, acks, compression))
}
