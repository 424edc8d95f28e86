//! One partition replica's log: append, read, offsets, retention and compaction.

mod cleanup;
mod epochs;
mod partition;
mod producers;
mod validate;

pub use cleanup::Cleanup;
pub use epochs::{truncation_offset, EpochEnd, LeaderEpochs, UNDEFINED_EPOCH, UNDEFINED_OFFSET};
pub use partition::{
    first_at_or_after, AbortedTxn, AppendInfo, OffsetAndTimestamp, OffsetSpec, PartitionLog, StoredBatch,
    LEADER_BATCH_BYTES,
};
pub use producers::{ProducerBatch, ProducerStates, SequenceCheck, TrackedBatch, TxnSpan, MAX_TRACKED_BATCHES};
pub use validate::validate_produce;
