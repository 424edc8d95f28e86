//! The storage contract, as data: what the core asks a store to do, and what it reads back.
//!
//! Storage is batch-granular: one value per RecordBatch, keyed `(broker, topic, partition, base offset)`, plus a
//! small key/value metadata area. A write is a list of [`StorageOp`]s applied atomically (one IndexedDB
//! transaction), so a failure leaves nothing half-written. The core never calls storage; it returns ops for its
//! shell to apply, and reads happen before the core needs them (on open, and when a fetch asks for old data).

use bytes::Bytes;

/// One replica's log in storage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaKey {
    pub broker: i32,
    pub topic: String,
    pub partition: u32,
}

impl ReplicaKey {
    pub fn new(broker: i32, topic: impl Into<String>, partition: u32) -> Self {
        ReplicaKey { broker, topic: topic.into(), partition }
    }
}

/// One change to storage. A list of them is applied all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageOp {
    /// Stores a batch under its base offset, replacing any batch already there (compaction rewrites).
    PutBatch {
        replica: ReplicaKey,
        base_offset: i64,
        bytes: Bytes,
    },
    /// Deletes the batches whose base offset lies in `[from, to)`: retention (`from` = `i64::MIN`), truncation
    /// (`to` = `i64::MAX`), or a whole replica (both, when a topic is deleted).
    DeleteBatches {
        replica: ReplicaKey,
        from: i64,
        to: i64,
    },
    PutMeta {
        key: String,
        value: Bytes,
    },
    DeleteMeta {
        key: String,
    },
}

/// A storage failure, named after what the browser reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageFailure {
    /// The origin's storage quota is full (IndexedDB's QuotaExceededError).
    QuotaExceeded(String),
    /// The transaction was aborted, by the browser or by a fault injected in a test.
    Aborted(String),
    /// Storage cannot be used at all (IndexedDB missing, blocked, or closed).
    Unavailable(String),
}

impl From<StorageFailure> for crate::core::error::Error {
    fn from(f: StorageFailure) -> Self {
        use crate::core::error::Error;
        match f {
            StorageFailure::QuotaExceeded(d) => Error::KafkaStorageError(format!(
                "the browser's storage quota is full ({d}); nothing of this write was stored. Free space by \
                 deleting topics or lowering retention.ms / retention.bytes"
            )),
            StorageFailure::Aborted(d) => {
                Error::KafkaStorageError(format!("the storage transaction was aborted ({d}); nothing was stored"))
            }
            StorageFailure::Unavailable(d) => Error::KafkaStorageError(format!("storage is unavailable: {d}")),
        }
    }
}
