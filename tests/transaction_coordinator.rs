//! The transaction coordinator in a cluster: InitProducerId with a transactional id, AddPartitionsToTxn,
//! AddOffsetsToTxn, TxnOffsetCommit and EndTxn; fencing, timeouts, markers written again after a leader comes
//! back, and `read_committed` fetches.

use std::collections::{BTreeMap, BTreeSet};

use franz::core::client::records_from;
use franz::core::cluster::{Cluster, NewTopic};
use franz::core::error::Error;
use franz::core::log::{OffsetSpec, ProducerBatch};
use franz::core::protocol::{FetchPartition, Isolation, Request, Response};
use franz::core::record::Record;
use franz::core::txn::{TxnCall, TxnOffset, TxnRequest, TxnState};

const T0: i64 = 1_700_000_000_000;

/// A transactional producer as a client drives one.
struct Producer {
    id: String,
    producer_id: i64,
    epoch: i16,
    sequences: BTreeMap<(String, i32), i32>,
    added: BTreeSet<(String, i32)>,
}

impl Producer {
    fn init(c: &mut Cluster, id: &str) -> Producer {
        Producer::try_init(c, id, 60_000).unwrap()
    }

    fn try_init(c: &mut Cluster, id: &str, timeout_ms: i32) -> Result<Producer, Error> {
        let request = Request::InitProducerId { transactional_id: Some(id.into()), timeout_ms };
        let Response::InitProducerId { producer_id, epoch } = c.handle(request, T0)? else { panic!("an answer") };
        Ok(Producer { id: id.into(), producer_id, epoch, sequences: BTreeMap::new(), added: BTreeSet::new() })
    }

    fn call(&self, c: &mut Cluster, request: TxnRequest, now: i64) -> Result<(), Error> {
        let call =
            TxnCall { transactional_id: self.id.clone(), producer_id: self.producer_id, epoch: self.epoch, request };
        c.handle(Request::Txn(call), now).map(|_| ())
    }

    /// Sends `values` in the transaction, adding the partition first as a client does.
    fn send(&mut self, c: &mut Cluster, topic: &str, partition: i32, values: &[&str]) -> Result<i64, Error> {
        let tp = (topic.to_owned(), partition);
        if !self.added.contains(&tp) {
            self.call(c, TxnRequest::AddPartitions { partitions: vec![tp.clone()] }, T0)?;
            self.added.insert(tp.clone());
        }
        let sequence = self.sequences.entry(tp).or_default();
        let records: Vec<Record> = values.iter().map(|v| Record::new(v.to_string(), T0)).collect();
        let batch = ProducerBatch {
            producer_id: self.producer_id,
            epoch: self.epoch,
            base_sequence: *sequence,
            count: records.len() as i32,
            transactional: true,
        };
        let sent = c.produce_records(topic, partition, records, Some(batch), T0)?;
        *sequence += values.len() as i32;
        Ok(sent.base_offset)
    }

    fn end(&mut self, c: &mut Cluster, commit: bool) -> Result<(), Error> {
        self.added.clear();
        self.call(c, TxnRequest::End { commit }, T0)
    }

    fn state(&self, c: &Cluster) -> TxnState {
        c.transactions().into_iter().find(|(id, _)| *id == self.id).map(|(_, m)| m.state).unwrap()
    }
}

fn cluster() -> Cluster {
    let mut c = Cluster::new(3, 1);
    c.create_topic(&NewTopic::new("t", 2, 3), false).unwrap();
    c
}

/// The values a consumer reads from partition `p` of `t` from 0, at `isolation`.
fn read(c: &mut Cluster, p: i32, isolation: Isolation) -> Vec<String> {
    let partitions = vec![FetchPartition { topic: "t".into(), partition: p, offset: 0, max_bytes: 1 << 20 }];
    let fetch = Request::Fetch { partitions, min_bytes: 1, max_bytes: 1 << 20, max_wait_ms: 0, rack: None, isolation };
    let Ok(Response::Fetch(answers)) = c.handle(fetch, T0) else { panic!("a fetch") };
    let fetched = answers[0].result.as_ref().unwrap();
    let (records, _) = records_from(&fetched.batches, 0, fetched.aborted_txns()).unwrap();
    records.into_iter().map(|(_, r)| String::from_utf8(r.value.unwrap().to_vec()).unwrap()).collect()
}

#[test]
fn a_committed_transaction_becomes_visible_to_read_committed_consumers_all_at_once() {
    let mut c = cluster();
    let mut p = Producer::init(&mut c, "payments");
    p.send(&mut c, "t", 0, &["a", "b"]).unwrap();
    p.send(&mut c, "t", 1, &["c"]).unwrap();
    assert_eq!(p.state(&c), TxnState::Ongoing);
    assert!(
        read(&mut c, 0, Isolation::ReadCommitted).is_empty() && read(&mut c, 1, Isolation::ReadCommitted).is_empty()
    );
    assert_eq!(read(&mut c, 0, Isolation::ReadUncommitted), ["a", "b"]);
    let latest = |c: &Cluster, spec| c.list_offsets("t", 0, spec).unwrap().unwrap().offset;
    assert_eq!((latest(&c, OffsetSpec::Latest), latest(&c, OffsetSpec::LastStable)), (2, 0));
    p.end(&mut c, true).unwrap();
    assert_eq!(latest(&c, OffsetSpec::LastStable), 3, "past the records and their marker");
    assert_eq!(p.state(&c), TxnState::CompleteCommit, "every marker is committed at once on a healthy cluster");
    assert_eq!(read(&mut c, 0, Isolation::ReadCommitted), ["a", "b"]);
    assert_eq!(read(&mut c, 1, Isolation::ReadCommitted), ["c"]);
    // The next transaction of the same producer.
    p.send(&mut c, "t", 0, &["d"]).unwrap();
    p.end(&mut c, false).unwrap();
    assert_eq!(p.state(&c), TxnState::CompleteAbort);
    assert_eq!(read(&mut c, 0, Isolation::ReadCommitted), ["a", "b"], "the aborted record never shows");
    assert_eq!(read(&mut c, 0, Isolation::ReadUncommitted), ["a", "b", "d"], "markers are never records");
}

#[test]
fn a_new_producer_with_the_same_id_fences_the_old_one_and_aborts_its_open_transaction() {
    let mut c = cluster();
    let mut old = Producer::init(&mut c, "orders-app");
    old.send(&mut c, "t", 0, &["zombie"]).unwrap();
    let mut new = Producer::init(&mut c, "orders-app");
    assert_eq!(new.producer_id, old.producer_id);
    assert!(new.epoch > old.epoch);
    assert_eq!(old.send(&mut c, "t", 0, &["late"]).unwrap_err().name(), "PRODUCER_FENCED");
    assert_eq!(old.end(&mut c, true).unwrap_err().name(), "PRODUCER_FENCED");
    new.send(&mut c, "t", 0, &["fresh"]).unwrap();
    new.end(&mut c, true).unwrap();
    assert_eq!(read(&mut c, 0, Isolation::ReadCommitted), ["fresh"], "the zombie's write was aborted");
}

#[test]
fn requests_out_of_place_get_kafkas_errors_and_change_nothing() {
    let mut c = cluster();
    let err = |r: Result<Producer, Error>| r.err().map(|e| e.name());
    assert_eq!(err(Producer::try_init(&mut c, "x", 0)), Some("INVALID_TRANSACTION_TIMEOUT"));
    assert_eq!(err(Producer::try_init(&mut c, "x", 900_001)), Some("INVALID_TRANSACTION_TIMEOUT"));
    assert_eq!(err(Producer::try_init(&mut c, "", 1000)), Some("INVALID_REQUEST"));
    let mut p = Producer::init(&mut c, "x");
    assert_eq!(p.end(&mut c, true).unwrap_err().name(), "INVALID_TXN_STATE", "nothing was begun");
    // A transactional batch to a partition the transaction has not added.
    p.added.insert(("t".into(), 1));
    assert_eq!(p.send(&mut c, "t", 1, &["v"]).unwrap_err().name(), "INVALID_TXN_STATE");
    let stranger = Producer { producer_id: p.producer_id + 100, ..Producer::init(&mut c, "y") };
    let add = TxnRequest::AddPartitions { partitions: vec![("t".into(), 0)] };
    assert_eq!(stranger.call(&mut c, add, T0).unwrap_err().name(), "INVALID_PRODUCER_ID_MAPPING");
    let missing = TxnRequest::AddPartitions { partitions: vec![("nope".into(), 0)] };
    assert_eq!(p.call(&mut c, missing, T0).unwrap_err().name(), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(p.state(&c), TxnState::Empty, "refused requests began nothing");
    p.send(&mut c, "t", 0, &["v"]).unwrap();
    p.end(&mut c, true).unwrap();
    assert_eq!(p.end(&mut c, true), Ok(()), "a retried commit is answered as the first was");
    assert_eq!(p.end(&mut c, false).unwrap_err().name(), "INVALID_TXN_STATE", "a committed one cannot abort");
}

#[test]
fn a_transaction_that_outlives_its_timeout_is_aborted_and_its_producer_fenced() {
    let mut c = cluster();
    let mut p = Producer::try_init(&mut c, "slow", 1000).unwrap();
    p.send(&mut c, "t", 0, &["never"]).unwrap();
    c.tick_coordinators(T0 + 1000);
    assert_eq!(p.state(&c), TxnState::Ongoing, "not past its timeout yet");
    c.tick_coordinators(T0 + 1001);
    assert_eq!(p.state(&c), TxnState::CompleteAbort);
    assert_eq!(p.end(&mut c, true).unwrap_err().name(), "PRODUCER_FENCED");
    assert!(read(&mut c, 0, Isolation::ReadCommitted).is_empty());
    let p2 = Producer::init(&mut c, "slow");
    assert!(p2.epoch > p.epoch + 1, "the abort bumped the epoch, and the new producer bumps it again");
}

#[test]
fn offsets_committed_in_a_transaction_count_only_when_it_commits() {
    let mut c = cluster();
    let mut p = Producer::init(&mut c, "copier");
    let offsets = |offset| TxnRequest::CommitOffsets {
        group: "g".into(),
        member: None,
        offsets: vec![TxnOffset { topic: "t".into(), partition: 1, offset, metadata: None }],
    };
    assert_eq!(p.call(&mut c, offsets(5), T0).unwrap_err().name(), "INVALID_TXN_STATE", "not added (AddOffsetsToTxn)");
    p.call(&mut c, TxnRequest::AddOffsets { group: "g".into() }, T0).unwrap();
    p.call(&mut c, offsets(5), T0).unwrap();
    assert_eq!(c.committed_offset("g", "t", 1).unwrap(), None, "pending until the commit");
    p.end(&mut c, false).unwrap();
    assert_eq!(c.committed_offset("g", "t", 1).unwrap(), None, "aborted: never committed");
    p.call(&mut c, TxnRequest::AddOffsets { group: "g".into() }, T0).unwrap();
    p.call(&mut c, offsets(7), T0).unwrap();
    p.send(&mut c, "t", 0, &["out"]).unwrap();
    p.end(&mut c, true).unwrap();
    assert_eq!(c.committed_offset("g", "t", 1).unwrap().map(|o| o.offset), Some(7));

    // Replaying __consumer_offsets gives back the same decision: the aborted offset stays out.
    let mut replayed = Cluster::new(3, 1);
    for (replica, _, _) in c.coordinator_state_to_load() {
        let f = c.fetch(&replica.topic, replica.partition as i32, 0, usize::MAX).unwrap();
        replayed.load_coordinator_state(&replica.topic, replica.partition, &f.batches).unwrap();
    }
    assert_eq!(replayed.committed_offset("g", "t", 1).unwrap().map(|o| o.offset), Some(7));
    let states: Vec<_> = replayed.transactions().into_iter().map(|(id, m)| (id, m.state)).collect();
    assert_eq!(states, [("copier".to_owned(), TxnState::CompleteCommit)]);
}

#[test]
fn a_marker_that_cannot_be_written_yet_is_written_once_its_partition_has_a_leader_again() {
    let mut c = cluster();
    let coordinator = c.find_txn_coordinator("stuck").unwrap();
    // One replica, on a broker that is not the coordinator: killing it leaves the partition without a leader.
    let solo = (1..=3).find(|b| *b != coordinator).unwrap();
    c.create_topic(&NewTopic::new("solo", 0, 0).assigned(vec![(0, vec![solo])]), false).unwrap();
    let mut p = Producer::init(&mut c, "stuck");
    p.send(&mut c, "t", 0, &["a"]).unwrap();
    p.send(&mut c, "solo", 0, &["b"]).unwrap();
    c.kill_broker(solo, T0).unwrap();
    p.end(&mut c, true).unwrap();
    assert_eq!(p.state(&c), TxnState::PrepareCommit, "the decision is written; one marker waits");
    let again = Producer::try_init(&mut c, "stuck", 60_000).err().map(|e| e.name());
    assert_eq!(again, Some("CONCURRENT_TRANSACTIONS"));
    c.restart_broker(solo, T0 + 10).unwrap();
    for t in 1..50 {
        c.tick(T0 + 10 + t * 100).unwrap();
        c.tick_coordinators(T0 + 10 + t * 100);
    }
    assert_eq!(p.state(&c), TxnState::CompleteCommit);
    assert_eq!(read(&mut c, 0, Isolation::ReadCommitted), ["a"]);
    assert!(Producer::try_init(&mut c, "stuck", 60_000).is_ok());
}
