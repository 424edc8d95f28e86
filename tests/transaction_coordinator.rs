//! The transaction coordinator in a cluster: InitProducerId with a transactional id, AddPartitionsToTxn,
//! AddOffsetsToTxn, TxnOffsetCommit and EndTxn; fencing, timeouts, markers written again after a leader comes
//! back, and `read_committed` fetches.

#![cfg(not(target_arch = "wasm32"))] // the property test uses proptest

use std::collections::{BTreeMap, BTreeSet};

use franz::core::client::records_from;
use franz::core::cluster::{Cluster, NewTopic};
use franz::core::error::Error;
use franz::core::log::{OffsetSpec, ProducerBatch};
use franz::core::protocol::{FetchPartition, Isolation, Request, Response};
use franz::core::record::Record;
use franz::core::txn::{TxnCall, TxnFilter, TxnOffset, TxnRequest, TxnState};

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

    fn try_init_at(c: &mut Cluster, id: &str, timeout_ms: i32, now: i64) -> Result<Producer, Error> {
        let request = Request::InitProducerId { transactional_id: Some(id.into()), timeout_ms };
        let Response::InitProducerId { producer_id, epoch } = c.handle(request, now)? else { panic!("an answer") };
        Ok(Producer { id: id.into(), producer_id, epoch, sequences: BTreeMap::new(), added: BTreeSet::new() })
    }

    /// Sends one value to `t`'s partition at `now`: whether the write was acknowledged (not left waiting for
    /// its ISR).
    fn send_at(&mut self, c: &mut Cluster, partition: i32, value: &str, now: i64) -> Result<bool, Error> {
        let tp = ("t".to_owned(), partition);
        if !self.added.contains(&tp) {
            self.call(c, TxnRequest::AddPartitions { partitions: vec![tp.clone()] }, now)?;
            self.added.insert(tp.clone());
        }
        let sequence = self.sequences.entry(tp).or_default();
        let batch = ProducerBatch {
            producer_id: self.producer_id,
            epoch: self.epoch,
            base_sequence: *sequence,
            count: 1,
            transactional: true,
        };
        *sequence += 1;
        let sent = c.produce_records("t", partition, vec![Record::new(value.to_owned(), now)], Some(batch), now)?;
        Ok(sent.pending.is_none())
    }

    fn end_at(&mut self, c: &mut Cluster, commit: bool, now: i64) -> Result<(), Error> {
        self.call(c, TxnRequest::End { commit }, now)?;
        self.added.clear();
        Ok(())
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

/// One step of a random run: transactional sends and ends, a new producer taking over an id, brokers dying and
/// coming back, time passing.
#[derive(Debug, Clone)]
enum Op {
    Send { producer: usize, partition: i32 },
    End { producer: usize, commit: bool },
    TakeOver { producer: usize },
    Kill(i32),
    Restart(i32),
    Wait(i64),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        6 => (0..2usize, 0..2i32).prop_map(|(producer, partition)| Op::Send { producer, partition }),
        3 => (0..2usize, proptest::bool::weighted(0.6)).prop_map(|(producer, commit)| Op::End { producer, commit }),
        1 => (0..2usize).prop_map(|producer| Op::TakeOver { producer }),
        1 => (1..=3i32).prop_map(Op::Kill),
        1 => (1..=3i32).prop_map(Op::Restart),
        2 => prop_oneof![Just(100i64), Just(1500), Just(20_000)].prop_map(Op::Wait),
    ]
}

/// A producer as an application drives one: on any failure it aborts, and takes its id over again if fenced.
struct Driven {
    id: &'static str,
    producer: Option<Producer>,
    /// What the transaction under way sent: each value, and whether its send was acknowledged.
    open: Vec<(String, bool)>,
}

/// The fates of the values, as the model knows them.
#[derive(Default)]
struct Fates {
    committed: BTreeMap<String, bool>,
    aborted: BTreeSet<String>,
}

impl Driven {
    fn decided(&mut self, fates: &mut Fates, commit: bool) {
        for (value, acked) in self.open.drain(..) {
            if commit {
                fates.committed.insert(value, acked);
            } else {
                fates.aborted.insert(value);
            }
        }
    }
}

fn read_committed_now(c: &mut Cluster, p: i32, now: i64) -> Option<Vec<String>> {
    let partitions = vec![FetchPartition { topic: "t".into(), partition: p, offset: 0, max_bytes: 1 << 20 }];
    let isolation = Isolation::ReadCommitted;
    let fetch = Request::Fetch { partitions, min_bytes: 1, max_bytes: 1 << 20, max_wait_ms: 0, rack: None, isolation };
    let Ok(Response::Fetch(answers)) = c.handle(fetch, now) else { return None };
    let fetched = answers.into_iter().next()?.result.ok()?;
    let (records, _) = records_from(&fetched.batches, 0, fetched.aborted_txns()).ok()?;
    Some(records.into_iter().map(|(_, r)| String::from_utf8(r.value.unwrap().to_vec()).unwrap()).collect())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
    /// Through broker deaths (the coordinator's among them), takeovers and timeouts, a read_committed reader
    /// never sees a record of an aborted or unfinished transaction; once the cluster heals and time passes,
    /// every transaction is ended and the reader sees every acknowledged record of each committed one.
    #[test]
    fn transactions_stay_all_or_nothing_through_failures(ops in proptest::collection::vec(op(), 1..60)) {
        let mut c = cluster();
        let mut now = T0;
        let mut fates = Fates::default();
        let mut driven: Vec<Driven> = ["alpha", "beta"]
            .into_iter()
            .map(|id| Driven { id, producer: Producer::try_init(&mut c, id, 10_000).ok(), open: Vec::new() })
            .collect();
        let mut n = 0;
        for op in ops {
            match op {
                Op::Send { producer, partition } => {
                    let d = &mut driven[producer];
                    let Some(p) = d.producer.as_mut() else { continue };
                    n += 1;
                    let value = format!("{}-{n}", d.id);
                    match p.send_at(&mut c, partition, &value, now) {
                        Ok(acked) => d.open.push((value, acked)),
                        Err(_) => {
                            // The app aborts; if that fails too, its next takeover aborts it.
                            d.open.push((value, false));
                            if p.end_at(&mut c, false, now).is_ok() {
                                d.decided(&mut fates, false);
                            }
                            d.producer = None;
                        }
                    }
                }
                Op::End { producer, commit } => {
                    let d = &mut driven[producer];
                    let Some(p) = d.producer.as_mut().filter(|_| !d.open.is_empty()) else { continue };
                    match p.end_at(&mut c, commit, now) {
                        Ok(()) => d.decided(&mut fates, commit),
                        Err(e) if e.retriable() => {}
                        Err(_) => d.producer = None, // fenced: its transaction was aborted
                    }
                }
                Op::TakeOver { producer } => {
                    let d = &mut driven[producer];
                    if let Ok(p) = Producer::try_init_at(&mut c, d.id, 10_000, now) {
                        d.decided(&mut fates, false);
                        d.producer = Some(p);
                    }
                }
                Op::Kill(b) => drop(c.kill_broker(b, now)),
                Op::Restart(b) => drop(c.restart_broker(b, now)),
                Op::Wait(ms) => {
                    for _ in 0..ms / 100 {
                        now += 100;
                        c.tick(now).unwrap();
                        c.tick_coordinators(now);
                    }
                }
            }
            // A producer without a transaction open whose last one the coordinator aborted (timeout) is fenced.
            for d in &mut driven {
                if d.producer.is_none() && !d.open.is_empty() {
                    if let Ok(p) = Producer::try_init_at(&mut c, d.id, 10_000, now) {
                        d.decided(&mut fates, false);
                        d.producer = Some(p);
                    }
                }
            }
            for partition in 0..2 {
                let Some(seen) = read_committed_now(&mut c, partition, now) else { continue };
                let open: BTreeSet<&String> = driven.iter().flat_map(|d| d.open.iter().map(|(v, _)| v)).collect();
                for v in &seen {
                    proptest::prop_assert!(!fates.aborted.contains(v), "saw aborted {v}");
                    proptest::prop_assert!(!open.contains(v), "saw {v} of a transaction not ended");
                }
            }
        }
        // Heal, and let every timeout and marker run its course.
        for b in 1..=3 {
            let _ = c.restart_broker(b, now);
        }
        for _ in 0..300 {
            now += 100;
            c.tick(now).unwrap();
            c.tick_coordinators(now);
        }
        for d in &mut driven {
            // Whatever is still open was aborted by its timeout.
            d.decided(&mut fates, false);
        }
        let states: Vec<TxnState> = c.transactions().into_iter().map(|(_, m)| m.state).collect();
        proptest::prop_assert!(states.iter().all(|s| matches!(s, TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort)), "every transaction ended: {states:?}");
        let mut seen = BTreeSet::new();
        for partition in 0..2 {
            let values = read_committed_now(&mut c, partition, now).expect("every partition has its leader back");
            for v in values {
                proptest::prop_assert!(fates.committed.contains_key(&v), "{v} is not committed");
                seen.insert(v);
            }
        }
        for (v, acked) in &fates.committed {
            proptest::prop_assert!(!acked || seen.contains(v), "committed and acknowledged {v} is missing");
        }
    }
}

#[test]
fn admins_list_and_describe_transactions() {
    let mut c = cluster();
    let mut open = Producer::init(&mut c, "open");
    open.send(&mut c, "t", 1, &["x"]).unwrap();
    let mut done = Producer::init(&mut c, "done");
    done.send(&mut c, "t", 0, &["y"]).unwrap();
    done.end(&mut c, true).unwrap();
    let list = |c: &mut Cluster, states: Vec<TxnState>, producer_ids: Vec<i64>| match c
        .handle(Request::ListTransactions(TxnFilter { states, producer_ids }), T0)
    {
        Ok(Response::ListTransactions(list)) => {
            list.into_iter().map(|t| (t.transactional_id, t.state)).collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    let finished = done.state(&c);
    assert!(matches!(finished, TxnState::PrepareCommit | TxnState::CompleteCommit), "{finished:?}");
    assert_eq!(list(&mut c, vec![], vec![]), [("done".into(), finished), ("open".into(), TxnState::Ongoing)]);
    assert_eq!(list(&mut c, vec![TxnState::Ongoing], vec![]), [("open".into(), TxnState::Ongoing)]);
    assert_eq!(list(&mut c, vec![], vec![done.producer_id]), [("done".into(), finished)]);
    assert_eq!(list(&mut c, vec![TxnState::PrepareAbort], vec![]), []);

    let Ok(Response::DescribeTransactions(described)) =
        c.handle(Request::DescribeTransactions { ids: vec!["open".into()] }, T0)
    else {
        panic!("an answer")
    };
    let d = described[0].1.as_ref().unwrap();
    assert_eq!(
        (d.state, d.producer_id, d.producer_epoch, d.timeout_ms),
        (TxnState::Ongoing, open.producer_id, open.epoch, 60_000)
    );
    assert_eq!((d.started_ms, d.partitions.clone()), (T0, vec![("t".to_owned(), 1)]));
    // Each id is answered on its own, as Kafka does.
    let Ok(Response::DescribeTransactions(described)) =
        c.handle(Request::DescribeTransactions { ids: vec!["never".into(), "open".into()] }, T0)
    else {
        panic!("an answer")
    };
    let e = described[0].1.as_ref().unwrap_err();
    assert_eq!((described[0].0.as_str(), e.name(), e.code()), ("never", "TRANSACTIONAL_ID_NOT_FOUND", 105));
    assert_eq!(described[1].1.as_ref().map(|d| d.state), Ok(TxnState::Ongoing));
}
