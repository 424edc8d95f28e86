//! The storage contract (batch-granular, applied atomically), its in-memory implementation, and the contract
//! suite every implementation must pass.

pub mod contract;
mod memory;
mod ops;

pub use memory::MemoryStorage;
pub use ops::{ReplicaKey, StorageFailure, StorageOp};
