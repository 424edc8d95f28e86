//! One partition replica's log: append, read, offsets, retention and compaction.

mod cleanup;
mod partition;
mod validate;

pub use cleanup::Cleanup;
pub use partition::{AppendInfo, OffsetAndTimestamp, OffsetSpec, PartitionLog, StoredBatch};
