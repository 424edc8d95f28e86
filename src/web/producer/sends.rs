//! A send's arguments: KafkaJS's `send` and `sendBatch` records, their `acks`, `timeout` and `compression`,
//! checked and packed while the caller's objects are at hand.

use wasm_bindgen::prelude::*;

use super::{to_js, State, TopicSend};
use crate::core::error::Error;
use crate::core::protocol::DEFAULT_PRODUCE_TIMEOUT_MS;
use crate::core::record::Compression;
use crate::web::{js, pack};

/// A send's messages, checked and packed, with how they go.
pub(crate) type Sends = Result<(Vec<TopicSend>, Delivery), JsValue>;

/// How a send's records go: its `acks`, its `timeout` (how long the leader may wait for its ISR, with
/// acks=all) and its `compression`.
#[derive(Clone, Copy)]
pub(crate) struct Delivery {
    pub acks: i16,
    pub timeout_ms: i32,
    pub compression: Compression,
}

/// A send's `acks` (the producer's when it names none), `timeout` (KafkaJS's default, 30000) and
/// `compression`.
fn delivery(options: &JsValue, state: &State) -> Result<Delivery, JsValue> {
    let timeout_ms = js::opt_int::<i32>(options, "timeout", "timeout")?.unwrap_or(DEFAULT_PRODUCE_TIMEOUT_MS);
    if timeout_ms < 0 {
        return Err(js::type_error("timeout", "a number of milliseconds, 0 or more", &timeout_ms.into()));
    }
    Ok(Delivery { acks: acks(options, state.acks)?, timeout_ms, compression: compression(options)? })
}

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

/// `send({ topic, messages, acks?, timeout?, compression? })`'s messages, checked and packed.
pub(crate) fn record_sends(state: &State, record: &JsValue) -> Sends {
    let delivery = delivery(record, state)?;
    let topic = js::string(record, "topic", "topic")?;
    let keep = state.custom_partitioner.is_some();
    Ok((vec![topic_send(topic, &js::get(record, "messages"), "messages", keep)?], delivery))
}

/// `sendBatch({ topicMessages: [{ topic, messages }], acks?, timeout?, compression? })`'s messages, checked and
/// packed.
pub(crate) fn batch_sends(state: &State, batch: &JsValue) -> Sends {
    let delivery = delivery(batch, state)?;
    let mut sends = Vec::new();
    for (i, tm) in js::list(batch, "topicMessages", "topicMessages", true)?.iter().enumerate() {
        let topic = js::string(tm, "topic", format_args!("topicMessages[{i}].topic"))?;
        let at = format!("topicMessages[{i}].messages");
        sends.push(topic_send(topic, &js::get(tm, "messages"), &at, state.custom_partitioner.is_some())?);
    }
    Ok((sends, delivery))
}
