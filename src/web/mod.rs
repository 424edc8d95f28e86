//! The browser shell: what JavaScript sees of franz. Thin by design; every decision is made in the core.

mod admin;
mod broker;
mod cli;
mod consumer;
mod durable;
mod envelope;
mod envelope_client;
mod error;
mod events;
mod host;
pub mod idb;
mod js;
mod kafka;
mod lock;
mod log;
mod pack;
mod partitioners;
mod producer;
mod retry;
mod sasl;
mod signal;
mod transaction;
mod transfer;

use wasm_bindgen::prelude::*;

pub use admin::{
    AclOperationTypes, AclPermissionTypes, AclResourceTypes, Admin, ConfigResourceTypes, ConfigSource,
    ResourcePatternTypes,
};
pub use cli::Cli;
pub use consumer::{AssignerProtocol, Consumer};
pub use kafka::Kafka;
pub use log::LogLevel;
pub use partitioners::Partitioners;
pub use producer::{CompressionTypes, Producer};

use crate::core::error::Error;
use crate::core::partitioner;

/// franz's version, from Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// A RecordBatch v2 holding `messages` (KafkaJS's message shape), as a client builds it for a Produce envelope;
/// its records compressed with `compression` (a `CompressionTypes` value; none by default).
#[wasm_bindgen(js_name = recordBatch)]
pub fn record_batch(
    #[wasm_bindgen(unchecked_param_type = "Message[]")] messages: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "CompressionTypes")] compression: Option<i32>,
) -> Result<js_sys::Uint8Array, JsValue> {
    let codec = producer::compression_of(compression)?;
    let packed = pack::messages(messages, "messages")?;
    let now = js_sys::Date::now() as i64;
    // One batch of them all, whatever partitions they name.
    let mut parts = crate::core::client::encode_packed(&packed, now, |_, _| Ok(0)).map_err(|e| error::to_js(&e))?;
    let records = parts.remove(&0).unwrap_or_default();
    let bytes = crate::core::protocol::sealed_batch(&records, None, codec).map_err(|e| error::to_js(&e))?;
    Ok(js_sys::Uint8Array::from(&bytes[..]))
}

/// The records of concatenated RecordBatch v2 bytes (a Fetch answer), each `{ offset, key, value, timestamp,
/// headers }` as KafkaJS gives them. Corrupt bytes get `CORRUPT_MESSAGE`.
#[wasm_bindgen(js_name = readRecordBatches, unchecked_return_type = "KafkaMessage[]")]
pub fn read_record_batches(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let fetched = [bytes::Bytes::copy_from_slice(bytes)];
    let (packed, _) =
        crate::core::client::PackedRecords::fetched(&fetched, i64::MIN, crate::core::client::CrcCheck::Check, &[])
            .map_err(|e| error::to_js(&e))?;
    Ok(pack::records(&packed).into())
}

/// The partition Kafka's default partitioner gives `key` among `partitions` partitions: the same answer as
/// Java Kafka's and KafkaJS's `DefaultPartitioner`.
#[wasm_bindgen(js_name = partitionForKey)]
pub fn partition_for_key(key: &[u8], partitions: u32) -> Result<u32, JsValue> {
    if partitions == 0 {
        return Err(error::to_js(&Error::InvalidPartitions("a topic has at least one partition".into())));
    }
    Ok(partitioner::partition_for_key(key, partitions))
}

#[wasm_bindgen(typescript_custom_section)]
const API_TYPES: &str = include_str!("api.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const ERROR_TYPES: &str = include_str!("errors.d.ts");
