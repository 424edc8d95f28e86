//! Durability, natively: a cluster journals every change, a driver applies the writes to the memory store as
//! the browser shell applies them to IndexedDB, and reopening rebuilds the cluster from storage alone.
#![cfg(not(target_arch = "wasm32"))] // the property test uses proptest

use bytes::Bytes;
use franz::core::client::records_from;
use franz::core::cluster::{Cluster, NewTopic, RECORD_EVERY_BYTES};
use franz::core::record::{Attributes, Compression, Record, RecordBatch};
use franz::core::storage::{MemoryStorage, ReplicaKey, StorageOp};
use proptest::prelude::*;

const T0: i64 = 1_700_000_000_000;
const BUDGET: usize = 64 * 1024;

/// The shell's duties, done synchronously: write after each request, reopen from storage, load old batches.
struct Node {
    cluster: Cluster,
    store: MemoryStorage,
    warnings: Vec<String>,
}

impl Node {
    fn new(brokers: i32) -> Node {
        let mut node =
            Node { cluster: Cluster::persistent(brokers, 1, BUDGET), store: MemoryStorage::new(), warnings: vec![] };
        node.flush().unwrap();
        node
    }

    /// Applies what the cluster journaled; on failure, reopens from storage (so unacknowledged changes vanish).
    fn flush(&mut self) -> Result<(), String> {
        let Some(write) = self.cluster.take_write() else { return Ok(()) };
        match self.store.apply(&write.ops) {
            Ok(()) => {
                self.cluster.write_done(&write);
                Ok(())
            }
            Err(e) => {
                self.reopen();
                Err(format!("{e:?}"))
            }
        }
    }

    /// A clean close (every replica's record brought up to date, as `Kafka.close` does), then a reopen.
    fn close_and_reopen(&mut self) {
        self.cluster.checkpoint();
        self.flush().unwrap();
        self.reopen();
    }

    /// Reopens from storage as after a crash: whatever was journaled but not flushed is lost.
    fn reopen(&mut self) {
        let meta = self.store.meta_with_prefix("");
        self.cluster = Cluster::restore(&meta, 1, BUDGET).unwrap();
        for replica in self.cluster.replica_keys() {
            loop {
                let from = self.cluster.recovery_point(&replica);
                let batches = self.store.load_batches(&replica, from, usize::MAX);
                let Some(repair) = self.cluster.restore_tail(&replica, batches).unwrap() else { break };
                self.store.apply(&[repair.cut]).unwrap();
                self.warnings.push(repair.warning);
            }
        }
        self.cluster.start(T0);
        // Committed offsets and transactions are records of internal topics: the coordinators' state is rebuilt.
        for (replica, from, to) in self.cluster.coordinator_state_to_load() {
            let loaded = self.store.load_batches(&replica, from, usize::MAX);
            let batches: Vec<Bytes> = loaded.into_iter().filter(|(base, _)| *base < to).map(|(_, b)| b).collect();
            self.cluster.load_coordinator_state(&replica.topic, replica.partition, &batches).unwrap();
        }
    }

    fn produce(&mut self, topic: &str, partition: i32, values: &[&str]) -> Result<i64, String> {
        let records = values
            .iter()
            .enumerate()
            .map(|(i, v)| Record::keyed(format!("k{i}"), v.to_string(), T0 + i as i64))
            .collect();
        let base = self
            .cluster
            .produce(topic, partition, &RecordBatch::from_records(records).encode(), T0)
            .map_err(|e| e.to_string())?;
        self.flush().map(|()| base.base_offset)
    }

    /// Everything a consumer reads from `from`, loading from storage where memory does not reach.
    fn consume(&mut self, topic: &str, partition: i32, from: i64) -> Vec<(i64, Record)> {
        let mut out = Vec::new();
        let mut position = from;
        loop {
            let fetched = self.cluster.fetch(topic, partition, position, 4096).unwrap();
            let readable = fetched.readable_end();
            let batches = match fetched.in_storage {
                None => fetched.batches,
                Some(replica) => {
                    let loaded = self.store.load_batches(&replica, position, 4096);
                    let served = self.cluster.serve_from_storage(&replica, loaded, readable).unwrap();
                    self.warnings.extend(served.corruption);
                    self.flush().unwrap();
                    served.batches
                }
            };
            let (records, next) = records_from(&batches, position, &[]).unwrap();
            if records.is_empty() && next == position {
                return out;
            }
            out.extend(records);
            position = next;
        }
    }

    fn values(&mut self, topic: &str, partition: i32) -> Vec<String> {
        let start = self.cluster.describe_topic(topic).unwrap().partitions[partition as usize].log_start_offset;
        self.consume(topic, partition, start)
            .into_iter()
            .map(|(_, r)| String::from_utf8(r.value.unwrap().to_vec()).unwrap())
            .collect()
    }
}

#[test]
fn records_are_invisible_until_storage_has_them() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    node.flush().unwrap();
    node.cluster.produce("t", 0, &RecordBatch::from_records(vec![Record::new("x", T0)]).encode(), T0).unwrap();
    assert_eq!(node.cluster.fetch("t", 0, 0, 100).unwrap().high_watermark, 0, "not yet durable, not yet visible");
    node.flush().unwrap();
    assert_eq!(node.cluster.fetch("t", 0, 0, 100).unwrap().high_watermark, 1);
}

#[test]
fn everything_acknowledged_survives_a_reopen() {
    let mut node = Node::new(3);
    node.cluster.create_topic(&NewTopic::new("orders", 2, 3).config("retention.ms", "-1"), false).unwrap();
    node.cluster.create_topic(&NewTopic::new("gone", 1, 1), false).unwrap();
    node.flush().unwrap();
    let sent = RecordBatch::from_records(vec![
        Record::keyed("alice", "hi", T0).with_header("trace", "abc"),
        Record::new("bye", T0 + 5),
    ]);
    node.cluster.produce("orders", 1, &sent.encode(), T0).unwrap();
    node.cluster.commit_offset("billing", "orders", 1, 1, Some("note".into())).unwrap();
    node.cluster.delete_topic("gone").unwrap();
    node.cluster.create_partitions("orders", 3, None, false).unwrap();
    node.flush().unwrap();
    let before = node.cluster.metadata();

    node.reopen();
    assert_eq!(node.cluster.metadata(), before, "topics, configs, assignment, log offsets");
    let consumed = node.consume("orders", 1, 0);
    assert_eq!(
        consumed.iter().map(|(o, r)| (*o, r.clone())).collect::<Vec<_>>(),
        sent.consumer_records().collect::<Vec<_>>()
    );
    let committed = node.cluster.committed_offset("billing", "orders", 1).unwrap().unwrap();
    assert_eq!((committed.offset, committed.metadata.as_deref()), (1, Some("note")));
    assert!(node.cluster.describe_topic("gone").is_err());
    assert!(node.store.load_batches(&ReplicaKey::new(1, "gone", 0), 0, usize::MAX).is_empty());
}

#[test]
fn a_failed_write_loses_only_what_was_not_acknowledged() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    node.flush().unwrap();
    node.produce("t", 0, &["a", "b"]).unwrap();
    node.store.fail_next_apply_at(0);
    assert!(node.produce("t", 0, &["lost"]).is_err(), "the produce fails with the write");
    assert_eq!(node.values("t", 0), ["a", "b"], "state was reloaded from storage");
    assert_eq!(node.produce("t", 0, &["c"]).unwrap(), 2, "offsets continue after the last acknowledged record");
    node.reopen();
    assert_eq!(node.values("t", 0), ["a", "b", "c"]);
}

#[test]
fn reopening_is_lazy_and_old_batches_load_on_demand() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("big", 1, 1), false).unwrap();
    node.flush().unwrap();
    let value = "v".repeat(100);
    for _ in 0..200 {
        node.produce("big", 0, &vec![value.as_str(); 1000]).unwrap();
    }
    node.reopen(); // as after a crash: the batches appended since the replica's record was written are replayed
    let meta = &node.cluster.describe_topic("big").unwrap().partitions[0];
    assert_eq!((meta.log_start_offset, meta.high_watermark), (0, 200_000));
    let replayed = node.cluster.batches_in_memory("big", 0).unwrap();
    let batch_bytes = 61 + 1000 * 110; // about: 1000 records of a 100-byte value and a 3-byte key
    assert!(replayed <= RECORD_EVERY_BYTES / batch_bytes + 2, "{replayed} of 200 batches read");
    node.close_and_reopen();
    assert_eq!(node.cluster.batches_in_memory("big", 0).unwrap(), 1, "after a clean close, only the newest batch");
    assert_eq!(node.consume("big", 0, 0).len(), 200_000, "every record, read back from storage");
    assert_eq!(node.consume("big", 0, 150_500).first().map(|(o, _)| *o), Some(150_500));
}

#[test]
fn a_crash_keeps_the_size_that_appends_since_the_last_record_made() {
    // Twenty 1 KB batches, fewer bytes than a replica writes its record after: it still holds the size of none.
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("s", 1, 1).config("retention.bytes", "10000"), false).unwrap();
    node.flush().unwrap();
    let value = "v".repeat(1000);
    for _ in 0..20 {
        node.produce("s", 0, &[value.as_str()]).unwrap();
    }
    node.reopen();
    node.cluster.tick(T0 + 1_000).unwrap();
    node.flush().unwrap();
    let start = node.cluster.describe_topic("s").unwrap().partitions[0].log_start_offset;
    assert!(start >= 10, "retention.bytes sees the replayed batches' bytes: the log starts at {start}");
    assert_eq!(node.values("s", 0).len() as i64, 20 - start);
}

#[test]
fn memory_holds_only_the_window_while_writing() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("w", 1, 1), false).unwrap();
    node.flush().unwrap();
    for _ in 0..50 {
        node.produce("w", 0, &["x".repeat(1000).as_str(); 10]).unwrap();
    }
    assert!(node.cluster.fetch("w", 0, 0, 100).unwrap().in_storage.is_some(), "the oldest batches left memory");
    let in_memory = node.cluster.batches_in_memory("w", 0).unwrap();
    assert!(in_memory < 10, "{in_memory} of 50 batches (~10 KB each) kept under a 64 KB budget");
    assert_eq!(node.values("w", 0).len(), 500);
}

#[test]
fn a_corrupt_tail_is_truncated_to_the_last_valid_batch() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    node.flush().unwrap();
    node.produce("t", 0, &["a"]).unwrap();
    node.produce("t", 0, &["b"]).unwrap();
    let replica = ReplicaKey::new(1, "t", 0);
    node.store
        .apply(&[StorageOp::PutBatch { replica, base_offset: 1, bytes: Bytes::from_static(b"garbage") }])
        .unwrap();
    node.reopen();
    assert_eq!(node.warnings.len(), 1, "{:?}", node.warnings);
    assert_eq!(node.values("t", 0), ["a"]);
    assert_eq!(node.produce("t", 0, &["c"]).unwrap(), 1, "the log continues from its last valid batch");
}

#[test]
fn a_corrupt_batch_met_by_a_fetch_ends_the_log_there() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    node.flush().unwrap();
    for v in ["a", "b", "c", "d"] {
        node.produce("t", 0, &[v]).unwrap();
    }
    let mut flipped = node.store.load_batches(&ReplicaKey::new(1, "t", 0), 1, 1)[0].1.to_vec();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    node.store
        .apply(&[StorageOp::PutBatch { replica: ReplicaKey::new(1, "t", 0), base_offset: 1, bytes: flipped.into() }])
        .unwrap();
    node.reopen();
    assert_eq!(node.values("t", 0), ["a"], "nothing at or after the corrupt batch is served");
    assert_eq!(node.warnings.len(), 1);
    assert!(node.warnings[0].contains("corrupt"), "{}", node.warnings[0]);
    node.reopen();
    assert_eq!(node.values("t", 0), ["a"], "the truncation itself was made durable");
}

#[test]
fn retention_is_durable() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("short", 1, 1).config("retention.ms", "1000"), false).unwrap();
    node.flush().unwrap();
    node.produce("short", 0, &["old"]).unwrap();
    node.cluster.tick(T0 + 10_000).unwrap();
    node.flush().unwrap();
    node.reopen();
    let p = &node.cluster.describe_topic("short").unwrap().partitions[0];
    assert_eq!((p.log_start_offset, p.high_watermark), (1, 1));
    assert!(node.store.load_batches(&ReplicaKey::new(1, "short", 0), 0, usize::MAX).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever mix of produces, write failures and reopens happens, a reader afterwards sees exactly the
    /// acknowledged records, in order: nothing acknowledged is lost, nothing unacknowledged appears.
    #[test]
    fn acknowledged_means_durable(steps in proptest::collection::vec((0u8..10, 1usize..5), 1..40)) {
        let mut node = Node::new(2);
        node.cluster.create_topic(&NewTopic::new("t", 2, 2), false).unwrap();
        node.flush().unwrap();
        let mut acked: [Vec<String>; 2] = [vec![], vec![]];
        for (i, (action, n)) in steps.into_iter().enumerate() {
            let partition = (i % 2) as i32;
            let values: Vec<String> = (0..n).map(|j| format!("{i}.{j}")).collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            match action {
                0 => node.reopen(),
                1 | 2 => {
                    node.store.fail_next_apply_at(0);
                    prop_assert!(node.produce("t", partition, &refs).is_err());
                }
                _ => {
                    node.produce("t", partition, &refs).unwrap();
                    acked[partition as usize].extend(values);
                }
            }
        }
        node.reopen();
        for p in 0..2 {
            prop_assert_eq!(node.values("t", p), acked[p as usize].clone());
        }
    }
}

#[test]
fn retention_reaches_batches_that_are_only_in_storage() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("r", 1, 1).config("retention.ms", "1000"), false).unwrap();
    node.flush().unwrap();
    for _ in 0..5 {
        node.produce("r", 0, &["old"; 3]).unwrap();
    }
    node.close_and_reopen(); // only the newest batch is in memory now
    node.cluster.tick(T0 + 60_000).unwrap();
    assert_eq!(
        node.cluster.describe_topic("r").unwrap().partitions[0].log_start_offset,
        0,
        "tick alone cannot see the head"
    );
    let heads = node.cluster.heads_to_check();
    assert_eq!(heads.len(), 1);
    let (replica, start) = heads[0].clone();
    let loaded = node.store.load_batches(&replica, start, usize::MAX);
    assert_eq!(
        node.cluster.clean_head(&replica, loaded, T0 + 60_000).unwrap(),
        4,
        "every expired batch below the window"
    );
    node.cluster.tick(T0 + 60_000).unwrap(); // the log is whole again: the window's batch goes the usual way
    node.flush().unwrap();
    assert!(node.cluster.heads_to_check().is_empty());
    node.reopen();
    let p = &node.cluster.describe_topic("r").unwrap().partitions[0];
    assert_eq!((p.log_start_offset, p.high_watermark), (15, 15));
    assert!(node.store.load_batches(&replica, 0, usize::MAX).is_empty(), "storage is empty too");
}

#[test]
fn deleted_records_stay_deleted_after_a_reopen_and_leave_storage() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    node.flush().unwrap();
    for batch in ["a", "b", "c"] {
        node.produce("t", 0, &[batch; 3]).unwrap(); // batches at 0, 3 and 6
    }
    assert_eq!(node.cluster.delete_records("t", 0, 4, T0).unwrap().log_start, 4);
    node.flush().unwrap();
    let replica = ReplicaKey::new(1, "t", 0);
    let stored =
        |node: &Node| node.store.load_batches(&replica, 0, usize::MAX).iter().map(|(b, _)| *b).collect::<Vec<_>>();
    assert_eq!(stored(&node), [3, 6], "the batch wholly before the new start is gone from storage");
    node.reopen();
    let p = &node.cluster.describe_topic("t").unwrap().partitions[0];
    assert_eq!((p.log_start_offset, p.high_watermark), (4, 9));
    assert_eq!(node.consume("t", 0, 4).len(), 5, "offsets 4 to 8");
}

#[test]
fn deleting_records_that_only_storage_holds_frees_them_at_the_next_head_check() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    node.flush().unwrap();
    for _ in 0..5 {
        node.produce("t", 0, &["v"; 3]).unwrap(); // batches at 0, 3, 6, 9, 12
    }
    node.close_and_reopen(); // only the newest batch is in memory now
    node.cluster.delete_records("t", 0, 10, T0).unwrap();
    node.flush().unwrap();
    // A crash before the head check: the reopened log still knows what storage holds below its start.
    node.reopen();
    assert_eq!(node.cluster.describe_topic("t").unwrap().partitions[0].log_start_offset, 10);
    assert_eq!(node.consume("t", 0, 10).len(), 5, "offsets 10 to 14, from storage and memory");
    let heads = node.cluster.heads_to_check();
    let (replica, from) = heads[0].clone();
    assert_eq!(from, 0, "the head check reads from where storage begins, below the log start");
    let loaded = node.store.load_batches(&replica, from, usize::MAX);
    assert_eq!(node.cluster.clean_head(&replica, loaded, T0).unwrap(), 3, "the batches at 0, 3 and 6");
    node.flush().unwrap();
    assert_eq!(node.cluster.heads_to_check()[0].1, 10, "storage now begins at the log start");
    let stored: Vec<i64> = node.store.load_batches(&replica, 0, usize::MAX).iter().map(|(b, _)| *b).collect();
    assert_eq!(stored, [9, 12]);
    // The log's size lost exactly those batches: retention.bytes of the two left keeps both.
    let batch_bytes = node.store.load_batches(&replica, 12, usize::MAX)[0].1.len();
    let keep_two = vec![("retention.bytes".to_owned(), Some((2 * batch_bytes).to_string()))];
    node.cluster.alter_configs("t", &keep_two, false).unwrap();
    let (replica, from) = node.cluster.heads_to_check()[0].clone();
    let loaded = node.store.load_batches(&replica, from, usize::MAX);
    assert_eq!(node.cluster.clean_head(&replica, loaded, T0).unwrap(), 0, "two batches are within the limit");
    assert_eq!(node.values("t", 0).len(), 5);
}

#[test]
fn gzip_batches_are_stored_as_they_came_and_read_after_a_reopen() {
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("z", 1, 1), false).unwrap();
    node.flush().unwrap();
    let mut batch =
        RecordBatch::from_records((0..50).map(|i| Record::new(format!("zipped {i} ").repeat(10), T0)).collect());
    batch.attributes = Attributes(Compression::Gzip.bits());
    let bytes = batch.encode();
    node.cluster.produce("z", 0, &bytes, T0).unwrap();
    node.flush().unwrap();
    node.close_and_reopen();
    let stored = node.store.load_batches(&ReplicaKey::new(1, "z", 0), 0, usize::MAX);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1[21..], bytes[21..], "the compressed records, as the producer sent them");
    assert_eq!(node.values("z", 0), (0..50).map(|i| format!("zipped {i} ").repeat(10)).collect::<Vec<_>>());
}

#[test]
fn idempotence_survives_a_reopen() {
    use franz::core::log::ProducerBatch;
    let mut node = Node::new(1);
    node.cluster.create_topic(&NewTopic::new("t", 1, 1), false).unwrap();
    let (pid, epoch) = node.cluster.init_producer_id();
    node.flush().unwrap();
    let producer =
        |seq| Some(ProducerBatch { producer_id: pid, epoch, base_sequence: seq, count: 1, transactional: false });
    for (seq, v) in ["a", "b"].iter().enumerate() {
        node.cluster.produce_records("t", 0, vec![Record::new(v.to_string(), T0)], producer(seq as i32), T0).unwrap();
        node.flush().unwrap();
    }
    node.reopen();
    let retry = node.cluster.produce_records("t", 0, vec![Record::new("a", T0)], producer(0), T0).unwrap();
    assert_eq!(retry.base_offset, 0, "the retry of an old batch is still recognised after a reopen");
    let gap = node.cluster.produce_records("t", 0, vec![Record::new("x", T0)], producer(5), T0).unwrap_err();
    assert_eq!(gap.name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    assert_eq!(node.cluster.init_producer_id().0, pid + 1, "producer ids continue after a reopen");
    node.flush().unwrap();
    assert_eq!(node.values("t", 0), ["a", "b"]);
}

#[test]
fn transactions_and_their_outcomes_survive_a_crash() {
    use franz::core::log::ProducerBatch;
    use franz::core::protocol::{FetchPartition, Isolation, Request, Response};
    use franz::core::txn::{TxnCall, TxnRequest, TxnState};
    let mut node = Node::new(3);
    node.cluster.create_topic(&NewTopic::new("t", 1, 3), false).unwrap();
    node.flush().unwrap();
    // Three producers: one commits, one aborts, one leaves its transaction open.
    for (id, end) in [("commits", Some(true)), ("aborts", Some(false)), ("open", None)] {
        let init = Request::InitProducerId { transactional_id: Some(id.into()), timeout_ms: 10_000 };
        let Ok(Response::InitProducerId { producer_id, epoch }) = node.cluster.handle(init, T0) else { panic!() };
        node.flush().unwrap();
        let call = |request| Request::Txn(TxnCall { transactional_id: id.into(), producer_id, epoch, request });
        node.cluster.handle(call(TxnRequest::AddPartitions { partitions: vec![("t".into(), 0)] }), T0).unwrap();
        let batch = ProducerBatch { producer_id, epoch, base_sequence: 0, count: 1, transactional: true };
        node.cluster.produce_records("t", 0, vec![Record::new(id, T0)], Some(batch), T0).unwrap();
        if let Some(commit) = end {
            node.cluster.handle(call(TxnRequest::End { commit }), T0).unwrap();
        }
        node.flush().unwrap();
    }
    let read_committed = |node: &mut Node| -> Vec<String> {
        let partitions = vec![FetchPartition { topic: "t".into(), partition: 0, offset: 0, max_bytes: 1 << 20 }];
        let isolation = Isolation::ReadCommitted;
        let fetch =
            Request::Fetch { partitions, min_bytes: 1, max_bytes: 1 << 20, max_wait_ms: 0, rack: None, isolation };
        let Ok(Response::Fetch(answers)) = node.cluster.handle(fetch, T0) else { panic!("a fetch") };
        let f = answers[0].result.as_ref().unwrap();
        let (records, _) = records_from(&f.batches, 0, f.aborted_txns()).unwrap();
        records.into_iter().map(|(_, r)| String::from_utf8(r.value.unwrap().to_vec()).unwrap()).collect()
    };
    let states = |node: &Node| -> Vec<(String, TxnState)> {
        node.cluster.transactions().into_iter().map(|(id, m)| (id, m.state)).collect()
    };
    node.reopen();
    let expected = |open| {
        vec![
            ("aborts".into(), TxnState::CompleteAbort),
            ("commits".into(), TxnState::CompleteCommit),
            ("open".into(), open),
        ]
    };
    assert_eq!(states(&node), expected(TxnState::Ongoing), "each id's state, read back from __transaction_state");
    assert_eq!(read_committed(&mut node), ["commits"], "the open transaction holds the last stable offset");
    // The open transaction's producer is gone with the crash: its timeout aborts it.
    for t in [10_001, 10_100] {
        node.cluster.tick_coordinators(T0 + t);
        node.flush().unwrap();
    }
    assert_eq!(states(&node), expected(TxnState::CompleteAbort));
    node.reopen();
    assert_eq!(read_committed(&mut node), ["commits"], "the aborted-transaction index outlives the crash");
    assert_eq!(node.values("t", 0), ["commits", "aborts", "open"], "read_uncommitted reads every record");
}
