//! The sans-IO core: everything that decides something, with no I/O, no clock, no async and no ambient
//! randomness. Time comes in as `now_ms`, randomness as a seed, and results go out as values for a shell to
//! carry out (persist, send, schedule).

pub mod acl;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod error;
pub mod frame;
pub mod groups;
pub mod log;
pub mod partitioner;
pub mod protocol;
pub mod record;
pub mod replication;
pub(crate) mod rng;
pub mod storage;
pub mod topic;
pub mod txn;
