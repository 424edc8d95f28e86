//! The browser shell: what JavaScript sees of franz. Thin by design; every decision is made in the core.

mod admin;
mod consumer;
mod durable;
mod error;
mod events;
pub mod idb;
mod js;
mod kafka;
mod lock;
mod pack;
mod producer;

use wasm_bindgen::prelude::*;

pub use admin::Admin;
pub use consumer::Consumer;
pub use kafka::Kafka;
pub use producer::Producer;

use crate::core::error::Error;
use crate::core::partitioner;

/// franz's version, from Cargo.toml.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
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
