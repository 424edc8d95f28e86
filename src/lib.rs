//! franz: a real Kafka broker that runs inside a browser tab.
//!
//! - [`core`] is the sans-IO broker: RecordBatch v2 codec, murmur2 partitioner, topics, partition logs and the
//!   cluster. It compiles and is tested natively.
//! - `web` (wasm32 only) is the thin shell that exposes it to JavaScript.
#![forbid(unsafe_code)]

pub mod core;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::error::{Error, Result};
