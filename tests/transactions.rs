//! Transactions in a partition log: transactional batches open a transaction, markers close it, the last
//! stable offset holds `read_committed` readers back, and aborted records never reach them.
#![cfg(not(target_arch = "wasm32"))] // property tests run natively (proptest needs an OS randomness source)

use std::collections::BTreeMap;

use franz::core::client::records_from;
use franz::core::log::{AbortedTxn, PartitionLog, ProducerBatch};
use franz::core::record::{EncodedRecords, Marker, Record};
use franz::core::topic::TopicConfig;
use proptest::prelude::*;

const T0: i64 = 1_700_000_000_000;

/// A producer's state as a client keeps it: its id, epoch and next sequence.
struct Producer {
    id: i64,
    epoch: i16,
    sequence: i32,
}

impl Producer {
    fn new(id: i64) -> Producer {
        Producer { id, epoch: 0, sequence: 0 }
    }

    /// Appends `values` as one batch, transactional or not, and returns its offsets.
    fn send(
        &mut self,
        log: &mut PartitionLog,
        values: &[&str],
        transactional: bool,
        config: &TopicConfig,
    ) -> (i64, i64) {
        let records: Vec<Record> = values.iter().map(|v| Record::keyed(v.to_string(), v.to_string(), T0)).collect();
        let p = ProducerBatch {
            producer_id: self.id,
            epoch: self.epoch,
            base_sequence: self.sequence,
            count: records.len() as i32,
            transactional,
        };
        self.sequence += records.len() as i32;
        let info =
            log.append_records_as_leader(&EncodedRecords::from_records(&records), Some(p), 0, config, T0).unwrap();
        (info.base_offset, info.last_offset)
    }

    fn end(&self, log: &mut PartitionLog, marker: Marker) -> i64 {
        log.append_marker(marker, (self.id, self.epoch), 0, 0, T0).unwrap().base_offset
    }
}

/// The values a reader sees from offset 0, read as `read_committed` (below the LSO, aborted ones skipped) or not.
fn read(log: &PartitionLog, committed: bool) -> Vec<(i64, String)> {
    let upper = if committed { log.last_stable_offset() } else { log.high_watermark() };
    let aborted = if committed { log.aborted_between(0, upper) } else { Vec::new() };
    let batches = log.read(0, usize::MAX, upper).unwrap();
    let (records, _) = records_from(&batches, 0, &aborted).unwrap();
    records.into_iter().map(|(o, r)| (o, String::from_utf8(r.value.unwrap().to_vec()).unwrap())).collect()
}

fn commit_all(log: &mut PartitionLog) {
    log.set_high_watermark(log.log_end_offset());
}

fn values(read: &[(i64, String)]) -> Vec<&str> {
    read.iter().map(|(_, v)| v.as_str()).collect()
}

#[test]
fn an_open_transaction_holds_the_last_stable_offset_back_until_its_marker_is_committed() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let (mut plain, mut txn) = (Producer::new(1), Producer::new(2));
    plain.send(&mut log, &["a"], false, &config);
    let (first, _) = txn.send(&mut log, &["t1", "t2"], true, &config);
    plain.send(&mut log, &["b"], false, &config);
    commit_all(&mut log);
    assert_eq!(log.last_stable_offset(), first, "the open transaction starts at {first}");
    assert_eq!(values(&read(&log, true)), ["a"], "read_committed stops before the open transaction");
    assert_eq!(values(&read(&log, false)), ["a", "t1", "t2", "b"], "read_uncommitted reads it all");
    let marker = txn.end(&mut log, Marker::Commit);
    assert_eq!(log.last_stable_offset(), first, "the marker is not yet below the high watermark");
    commit_all(&mut log);
    assert_eq!(log.last_stable_offset(), marker + 1);
    assert_eq!(values(&read(&log, true)), ["a", "t1", "t2", "b"], "committed, and the marker is no record");
}

#[test]
fn aborted_records_are_skipped_by_read_committed_readers_only() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let mut txn = Producer::new(5);
    txn.send(&mut log, &["x1"], true, &config);
    txn.send(&mut log, &["x2"], true, &config);
    let abort = txn.end(&mut log, Marker::Abort);
    txn.send(&mut log, &["y"], true, &config);
    txn.end(&mut log, Marker::Commit);
    commit_all(&mut log);
    assert_eq!(log.aborted_txns(), [AbortedTxn { producer_id: 5, first_offset: 0, last_offset: abort }]);
    assert_eq!(read(&log, true), [(abort + 1, "y".to_owned())]);
    assert_eq!(values(&read(&log, false)), ["x1", "x2", "y"]);
    assert!(log.aborted_between(abort + 1, log.log_end_offset()).is_empty(), "a fetch past the abort needs none");
}

#[test]
fn a_marker_from_an_older_epoch_is_refused_and_a_newer_one_fences_the_producer() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let mut txn = Producer::new(3);
    txn.epoch = 2;
    txn.send(&mut log, &["a"], true, &config);
    let stale = log.append_marker(Marker::Commit, (3, 1), 0, 0, T0).unwrap_err();
    assert_eq!(stale.name(), "INVALID_PRODUCER_EPOCH");
    // The coordinator fences the producer: it aborts with the next epoch.
    log.append_marker(Marker::Abort, (3, 3), 0, 0, T0).unwrap();
    let p = ProducerBatch { producer_id: 3, epoch: 2, base_sequence: 1, count: 1, transactional: true };
    let records = EncodedRecords::from_records(&[Record::new("late", T0)]);
    let late = log.append_records_as_leader(&records, Some(p), 0, &config, T0).unwrap_err();
    assert_eq!(late.name(), "INVALID_PRODUCER_EPOCH", "the fenced producer's next batch");
    commit_all(&mut log);
    assert!(read(&log, true).is_empty());
}

#[test]
fn cutting_a_marker_off_the_log_opens_its_transaction_again() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let mut txn = Producer::new(9);
    let (first, _) = txn.send(&mut log, &["a", "b"], true, &config);
    let marker = txn.end(&mut log, Marker::Abort);
    // A follower that copied the marker while its leader did not commit it truncates to its new leader.
    log.truncate_to(marker);
    commit_all(&mut log);
    assert_eq!(log.last_stable_offset(), first, "open again");
    assert!(log.aborted_txns().is_empty(), "the abort is gone with its marker");
    txn.end(&mut log, Marker::Commit);
    commit_all(&mut log);
    assert_eq!(values(&read(&log, true)), ["a", "b"]);
}

#[test]
fn compaction_stops_at_the_last_stable_offset_and_drops_aborted_records() {
    let config = TopicConfig::from_entries(&[("cleanup.policy", "compact")]).unwrap();
    let mut log = PartitionLog::new();
    let (mut plain, mut txn, mut open) = (Producer::new(1), Producer::new(2), Producer::new(3));
    plain.send(&mut log, &["k"], false, &config);
    // An aborted write of the same key must not count as its latest value.
    txn.send(&mut log, &["k"], true, &config);
    txn.end(&mut log, Marker::Abort);
    let (open_at, _) = open.send(&mut log, &["k"], true, &config);
    commit_all(&mut log);
    log.compact(&config, T0).unwrap();
    assert_eq!(read(&log, true), [(0, "k".to_owned())], "the committed value of k survives");
    assert_eq!(log.last_stable_offset(), open_at, "the open transaction is untouched");
    assert_eq!(values(&read(&log, false)), ["k", "k"], "the aborted record is gone; the open one stays");
}

/// One step of a random workload on one partition.
#[derive(Debug, Clone)]
enum Step {
    Send { producer: usize, transactional: bool, count: usize },
    End { producer: usize, commit: bool },
    Commit,
    Truncate { back: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, any::<bool>(), 1..4usize)
            .prop_map(|(producer, transactional, count)| Step::Send { producer, transactional, count }),
        2 => (0..3usize, any::<bool>()).prop_map(|(producer, commit)| Step::End { producer, commit }),
        2 => Just(Step::Commit),
        1 => (1..4usize).prop_map(|back| Step::Truncate { back }),
    ]
}

proptest! {
    /// A `read_committed` reader sees exactly the non-transactional records and those of committed
    /// transactions, below the first open one; a `read_uncommitted` reader sees every data record; neither sees
    /// a marker. Truncations above the high watermark (a follower's divergent tail) keep it so.
    #[test]
    fn read_committed_sees_exactly_what_was_committed(steps in proptest::collection::vec(step(), 1..60)) {
        let config = TopicConfig::default();
        let mut log = PartitionLog::new();
        let mut producers: Vec<Producer> = (0..3).map(|i| Producer::new(i as i64 + 10)).collect();
        // The model: every data record's offset, producer, whether transactional and its value.
        let mut model: BTreeMap<i64, (usize, bool, String)> = BTreeMap::new();
        // Markers: offset -> (producer, commit).
        let mut markers: BTreeMap<i64, (usize, bool)> = BTreeMap::new();
        // Where each batch starts: truncation cuts whole batches.
        let mut bases: Vec<i64> = Vec::new();
        let mut n = 0;
        for step in steps {
            match step {
                Step::Send { producer, transactional, count } => {
                    // A producer that has a non-transactional batch in an open transaction would be a client bug.
                    let open = open_txn(&model, &markers, producer).is_some();
                    let transactional = transactional || open;
                    let vals: Vec<String> = (0..count).map(|_| { n += 1; format!("v{n}") }).collect();
                    let refs: Vec<&str> = vals.iter().map(String::as_str).collect();
                    let (base, _) = producers[producer].send(&mut log, &refs, transactional, &config);
                    bases.push(base);
                    for (i, v) in vals.into_iter().enumerate() {
                        model.insert(base + i as i64, (producer, transactional, v));
                    }
                }
                Step::End { producer, commit } => {
                    let marker = if commit { Marker::Commit } else { Marker::Abort };
                    let at = producers[producer].end(&mut log, marker);
                    markers.insert(at, (producer, commit));
                    bases.push(at);
                }
                Step::Commit => commit_all(&mut log),
                Step::Truncate { back } => {
                    let Some(&to) = bases.iter().rev().nth(back - 1).filter(|b| **b >= log.high_watermark()) else {
                        continue;
                    };
                    log.truncate_to(to);
                    bases.retain(|b| *b < to);
                    model.retain(|o, _| *o < to);
                    markers.retain(|o, _| *o < to);
                    // A client whose batches were cut would retry them; here the producer just goes on numbering
                    // from what the log kept.
                    for (i, p) in producers.iter_mut().enumerate() {
                        p.sequence = model.values().filter(|(q, _, _)| *q == i).count() as i32;
                    }
                }
            }
        }
        commit_all(&mut log);
        // Expected: the LSO is the first offset of an unfinished transaction.
        let first_open = (0..3).filter_map(|p| open_txn(&model, &markers, p)).min();
        prop_assert_eq!(log.last_stable_offset(), first_open.unwrap_or(log.high_watermark()));
        let committed: Vec<(i64, String)> = model
            .iter()
            .filter(|(o, _)| first_open.is_none_or(|f| **o < f))
            .filter(|(o, (p, transactional, _))| !*transactional || outcome(&markers, *p, **o) == Some(true))
            .map(|(o, (_, _, v))| (*o, v.clone()))
            .collect();
        prop_assert_eq!(read(&log, true), committed);
        let everything: Vec<(i64, String)> = model.iter().map(|(o, (_, _, v))| (*o, v.clone())).collect();
        prop_assert_eq!(read(&log, false), everything);
    }
}

/// The first offset of `producer`'s transaction that no marker has closed, in the model.
fn open_txn(
    model: &BTreeMap<i64, (usize, bool, String)>,
    markers: &BTreeMap<i64, (usize, bool)>,
    producer: usize,
) -> Option<i64> {
    let last_marker = markers.iter().filter(|(_, (p, _))| *p == producer).map(|(o, _)| *o).max().unwrap_or(-1);
    model.iter().find(|(o, (p, t, _))| **o > last_marker && *p == producer && *t).map(|(o, _)| *o)
}

/// Whether the marker after `offset` for `producer` committed (`None`: no marker yet).
fn outcome(markers: &BTreeMap<i64, (usize, bool)>, producer: usize, offset: i64) -> Option<bool> {
    markers.range(offset..).find(|(_, (p, _))| *p == producer).map(|(_, (_, commit))| *commit)
}

#[test]
fn a_replica_that_starts_over_at_its_leaders_log_start_forgets_what_it_cannot_finish() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    Producer::new(1).send(&mut log, &["a"], true, &config);
    commit_all(&mut log);
    assert_eq!(log.last_stable_offset(), 0, "open here");
    // Its leader deleted the records before 5, which this replica never reached: the marker, below 5, never
    // comes. It starts over at 5, knowing no transaction.
    log.follow_log_start(5);
    assert_eq!((log.log_start_offset(), log.last_stable_offset(), log.high_watermark()), (5, 5, 5));
}
