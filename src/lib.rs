//! franz: a real Kafka broker that runs inside a browser tab.
//!
//! - [`core`] is the sans-IO broker: RecordBatch v2 codec, murmur2 partitioner, topics, partition logs and the
//!   cluster. It compiles and is tested natively.
//! - `web` (wasm32 only) is the thin shell that exposes it to JavaScript.
//!
//! ```
//! use franz::core::cluster::{Cluster, NewTopic};
//! use franz::core::partitioner::{NullKeyStrategy, Partitioner};
//! use franz::core::record::{decode_batches, Record, RecordBatch};
//!
//! # fn main() -> franz::Result<()> {
//! let now = 1_700_000_000_000;
//! let mut cluster = Cluster::new(3, /* seed */ 42); // brokers 1, 2, 3
//! cluster.create_topic(&NewTopic::new("sales.orders.v1", 3, 3).config("retention.ms", "86400000"), false)?;
//!
//! let mut partitioner = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
//! let p = partitioner.partition("sales.orders.v1", Some(b"customer-7"), None, 3, &[])?;
//! let batch = RecordBatch::from_records(vec![Record::keyed("customer-7", "order 1", now)]);
//! let produced = cluster.produce("sales.orders.v1", p as i32, &batch.encode(), now)?;
//!
//! let fetched = cluster.fetch("sales.orders.v1", p as i32, produced.base_offset, 1 << 20)?;
//! let mut values = Vec::new();
//! for batch in decode_batches(&bytes::Bytes::from(fetched.batches.concat()))? {
//!     values.extend(batch.consumer_records().map(|(offset, record)| (offset, record.value)));
//! }
//! assert_eq!(values, [(0, Some("order 1".into()))]);
//! cluster.tick(now + 1000)?; // retention and compaction, on the clock you pass in
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

pub mod core;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::error::{Error, Result};
