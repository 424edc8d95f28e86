//! Transactions, following Kafka's design (KIP-98): a producer with a `transactional.id` gets its producer id
//! and epoch from the id's transaction coordinator, adds each partition it writes to (and each group whose
//! offsets it commits) to the transaction, then ends it with a commit or an abort. The coordinator records every
//! step in `__transaction_state`, then writes a marker into each partition: consumers reading `read_committed`
//! see the records of committed transactions only, and none of a transaction still open.
//!
//! This module holds what a transaction is and what may happen to it, without I/O; the cluster
//! (`cluster::txn`) serves the requests, writes the records and markers, and keeps the coordinator's state.

mod log;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::core::error::{Error, Result};

pub use log::{decode as decode_record, encode_key, encode_value};

/// Kafka's `transaction.max.timeout.ms`: the longest `transaction.timeout.ms` a producer may ask for.
pub const MAX_TIMEOUT_MS: i32 = 900_000;

/// Kafka's transaction states (`TransactionState`), with their codes in `__transaction_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    /// No transaction: the producer was just initialised.
    Empty,
    /// Partitions have been added: the transaction is under way.
    Ongoing,
    /// The producer asked to commit; the markers are being written.
    PrepareCommit,
    PrepareAbort,
    /// Every marker is written.
    CompleteCommit,
    CompleteAbort,
}

impl TxnState {
    const ALL: [TxnState; 6] = [
        TxnState::Empty,
        TxnState::Ongoing,
        TxnState::PrepareCommit,
        TxnState::PrepareAbort,
        TxnState::CompleteCommit,
        TxnState::CompleteAbort,
    ];

    pub fn code(self) -> i8 {
        TxnState::ALL.iter().position(|s| *s == self).unwrap_or(0) as i8
    }

    pub fn from_code(code: i8) -> Option<TxnState> {
        TxnState::ALL.get(usize::try_from(code).ok()?).copied()
    }

    /// The state Kafka names `name` (as [`TxnState::name`] gives it), in any case.
    pub fn from_name(name: &str) -> Option<TxnState> {
        TxnState::ALL.iter().copied().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// Kafka's names, as `kafka-transactions --describe` shows them.
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
        }
    }

    /// A commit or an abort whose markers are still being written.
    pub fn is_ending(self) -> bool {
        matches!(self, TxnState::PrepareCommit | TxnState::PrepareAbort)
    }
}

/// What the coordinator knows of one transactional id (Kafka's `TransactionMetadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnMetadata {
    pub producer_id: i64,
    pub epoch: i16,
    pub timeout_ms: i32,
    pub state: TxnState,
    /// The partitions of the transaction under way (or being ended).
    pub partitions: BTreeSet<(String, u32)>,
    /// When the transaction under way began (-1: none).
    pub started_ms: i64,
    pub updated_ms: i64,
}

impl TxnMetadata {
    /// Checks that a request comes from the producer that holds this transactional id now.
    pub fn check_producer(&self, transactional_id: &str, producer_id: i64, epoch: i16) -> Result<()> {
        if producer_id != self.producer_id {
            return Err(Error::InvalidProducerIdMapping(format!(
                "transactional id {transactional_id:?} belongs to producer {}, not {producer_id}",
                self.producer_id
            )));
        }
        if epoch != self.epoch {
            return Err(Error::ProducerFenced(format!(
                "producer {producer_id} of transactional id {transactional_id:?} has epoch {epoch}, but epoch {} \
                 replaced it (a newer producer with this id started, or its transaction timed out)",
                self.epoch
            )));
        }
        Ok(())
    }

    /// Checks that partitions or offsets may be added: not while the last transaction is still ending.
    pub fn check_open(&self, transactional_id: &str) -> Result<()> {
        if self.state.is_ending() {
            return Err(Error::ConcurrentTransactions(format!(
                "the last transaction of {transactional_id:?} is still being ended ({}): try again shortly",
                self.state.name()
            )));
        }
        Ok(())
    }

    /// Starts a transaction if none is under way.
    pub fn begin(&mut self, now_ms: i64) {
        if self.state != TxnState::Ongoing {
            self.state = TxnState::Ongoing;
            self.partitions.clear();
            self.started_ms = now_ms;
        }
        self.updated_ms = now_ms;
    }

    /// Whether the transaction under way has outlived its timeout at `now_ms`.
    pub fn timed_out(&self, now_ms: i64) -> bool {
        self.state == TxnState::Ongoing && now_ms - self.started_ms > i64::from(self.timeout_ms)
    }
}

/// A transactional request after InitProducerId: who sends it, and what it asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxnCall {
    pub transactional_id: String,
    pub producer_id: i64,
    pub epoch: i16,
    pub request: TxnRequest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum TxnRequest {
    /// Kafka's AddPartitionsToTxn: the producer is about to write to these partitions.
    AddPartitions { partitions: Vec<(String, i32)> },
    /// Kafka's AddOffsetsToTxn: the producer is about to commit offsets of `group`.
    AddOffsets { group: String },
    /// Kafka's TxnOffsetCommit: offsets that the group commits if, and when, the transaction commits. `member`:
    /// the member id and generation of the consumer whose offsets they are (KIP-447), checked as a commit is.
    CommitOffsets { group: String, member: Option<(String, i32)>, offsets: Vec<TxnOffset> },
    /// Kafka's EndTxn.
    End { commit: bool },
}

/// Which transactional ids Kafka's ListTransactions lists: those in `states` (all when empty) of the producers
/// in `producer_ids` (all when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxnFilter {
    pub states: Vec<TxnState>,
    pub producer_ids: Vec<i64>,
}

/// One transactional id as Kafka's DescribeTransactions answers it (KIP-664): its producer, and the
/// transaction under way, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxnDescription {
    pub transactional_id: String,
    pub state: TxnState,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub timeout_ms: i32,
    /// When the transaction under way began (-1: none).
    pub started_ms: i64,
    /// The partitions of the transaction under way (or being ended).
    pub partitions: Vec<(String, u32)>,
}

impl TxnDescription {
    pub fn new(transactional_id: &str, m: &TxnMetadata) -> TxnDescription {
        TxnDescription {
            transactional_id: transactional_id.to_owned(),
            state: m.state,
            producer_id: m.producer_id,
            producer_epoch: m.epoch,
            timeout_ms: m.timeout_ms,
            started_ms: m.started_ms,
            partitions: m.partitions.iter().cloned().collect(),
        }
    }
}

/// One partition's offset in a TxnOffsetCommit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxnOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub metadata: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> TxnMetadata {
        TxnMetadata {
            producer_id: 4,
            epoch: 2,
            timeout_ms: 1000,
            state: TxnState::Empty,
            partitions: BTreeSet::new(),
            started_ms: -1,
            updated_ms: 0,
        }
    }

    #[test]
    fn states_keep_kafkas_codes() {
        assert_eq!(TxnState::ALL.map(TxnState::code), [0, 1, 2, 3, 4, 5]);
        assert!(TxnState::ALL.iter().all(|s| TxnState::from_code(s.code()) == Some(*s)));
        assert_eq!(TxnState::from_code(9), None);
    }

    #[test]
    fn only_the_current_producer_may_act() {
        let m = meta();
        assert!(m.check_producer("t", 4, 2).is_ok());
        assert_eq!(m.check_producer("t", 5, 2).unwrap_err().name(), "INVALID_PRODUCER_ID_MAPPING");
        assert_eq!(m.check_producer("t", 4, 1).unwrap_err().name(), "PRODUCER_FENCED");
    }

    #[test]
    fn a_transaction_begins_once_and_times_out_after_its_timeout() {
        let mut m = meta();
        m.begin(100);
        m.partitions.insert(("a".into(), 0));
        m.begin(500);
        assert_eq!((m.state, m.started_ms, m.partitions.len()), (TxnState::Ongoing, 100, 1));
        assert!(!m.timed_out(1100) && m.timed_out(1101));
        m.state = TxnState::PrepareCommit;
        assert_eq!(m.check_open("t").unwrap_err().name(), "CONCURRENT_TRANSACTIONS");
    }
}
