//! Partition reassignment (Kafka's AlterPartitionReassignments and ListPartitionReassignments, KIP-455) in a
//! tab's cluster: a partition moves to other brokers while it serves, its new replicas copy the log (from
//! storage where the leader's memory no longer holds it), the old ones leave and drop their storage, and a
//! reopen finds it where it moved. The simulator (`tests/simulation.rs`) checks the same under faults.

use bytes::Bytes;
use franz::core::cluster::{Cluster, NewTopic, SESSION_TIMEOUT_MS};
use franz::core::protocol::{OngoingReassignment, Reassignment, Request, Response};
use franz::core::record::{decode_batches, Record};
use franz::core::storage::{MemoryStorage, ReplicaKey};

const T0: i64 = 1_700_000_000_000;
/// Small enough that the leader keeps only the newest records in memory: a new replica must be served from
/// storage.
const WINDOW: usize = 4096;

struct Tab {
    cluster: Cluster,
    store: MemoryStorage,
    now: i64,
}

impl Tab {
    /// Four brokers, topic `t` with one partition on three of them, 300 records in it.
    fn new() -> Tab {
        let mut tab = Tab { cluster: Cluster::persistent(4, 7, WINDOW), store: MemoryStorage::new(), now: T0 };
        tab.cluster.create_topic(&NewTopic::new("t", 1, 3), false).unwrap();
        for i in 0..300 {
            tab.cluster
                .produce_records("t", 0, vec![Record::new(format!("value {i}"), tab.now)], None, tab.now)
                .unwrap();
            tab.flush();
        }
        tab
    }

    fn flush(&mut self) {
        while let Some(w) = self.cluster.take_write() {
            self.store.apply(&w.ops).unwrap();
            self.cluster.write_done(&w);
        }
    }

    /// Time passes as the shell's timer moves it, with leaders' reads from storage served.
    fn run(&mut self, ms: i64) {
        for _ in 0..ms / 100 {
            self.now += 100;
            self.cluster.tick(self.now).unwrap();
            for (replica, offset) in self.cluster.follower_reads() {
                let loaded = self.store.load_batches(&replica, offset, 1 << 20);
                self.cluster.serve_follower_from_storage(&replica, loaded, self.now);
            }
            self.flush();
        }
    }

    fn replicas(&self) -> Vec<i32> {
        self.cluster.describe_topic("t").unwrap().partitions[0].replicas.clone()
    }

    /// Moves partition 0 of `t`: each partition's outcome, by error name.
    fn reassign(&mut self, topic: &str, partition: i32, replicas: Option<Vec<i32>>) -> Result<(), &'static str> {
        let request =
            Request::AlterPartitionReassignments(vec![Reassignment { topic: topic.into(), partition, replicas }]);
        let result = match self.cluster.handle(request, self.now).unwrap() {
            Response::AlterPartitionReassignments(mut results) => results.remove(0).result.map_err(|e| e.name()),
            other => panic!("{other:?}"),
        };
        self.flush();
        result
    }

    fn ongoing(&mut self) -> Vec<OngoingReassignment> {
        self.ongoing_of(None)
    }

    /// ListPartitionReassignments for the partitions asked about (`None`: all).
    fn ongoing_of(&mut self, topics: Option<Vec<(String, Vec<u32>)>>) -> Vec<OngoingReassignment> {
        match self.cluster.handle(Request::ListPartitionReassignments { topics }, self.now).unwrap() {
            Response::ListPartitionReassignments(list) => list,
            other => panic!("{other:?}"),
        }
    }

    /// The values storage holds for broker `b`'s replica of `t`-0.
    fn stored_values(&self, b: i32) -> Vec<String> {
        let batches = self.store.load_batches(&ReplicaKey::new(b, "t", 0), i64::MIN, usize::MAX);
        let bytes = Bytes::from(batches.into_iter().flat_map(|(_, b)| b.to_vec()).collect::<Vec<u8>>());
        let decoded = decode_batches(&bytes).unwrap();
        decoded
            .iter()
            .flat_map(|b| b.consumer_records())
            .map(|(_, r)| String::from_utf8_lossy(&r.value.unwrap()).into())
            .collect()
    }
}

fn all_values() -> Vec<String> {
    (0..300).map(|i| format!("value {i}")).collect()
}

#[test]
fn a_partition_moves_with_every_record_and_leaves_nothing_behind() {
    let mut tab = Tab::new();
    let before = tab.replicas();
    let newcomer = (1..=4).find(|b| !before.contains(b)).unwrap();
    let leaving = before[0]; // the preferred leader, so leadership must move too
    let target = vec![newcomer, before[1], before[2]];
    tab.reassign("t", 0, Some(target.clone())).unwrap();
    let ongoing = tab.ongoing();
    assert_eq!(ongoing.len(), 1, "the new replica copies 300 records, most from storage: not done at once");
    assert_eq!(
        (ongoing[0].adding_replicas.clone(), ongoing[0].removing_replicas.clone()),
        (vec![newcomer], vec![leaving])
    );
    assert_eq!(ongoing[0].replicas, [newcomer, before[1], before[2], leaving], "the target first, then those leaving");
    assert_eq!(tab.ongoing_of(Some(vec![("t".into(), vec![0])])), ongoing, "asked about by partition");
    assert!(
        tab.ongoing_of(Some(vec![("t".into(), vec![1]), ("u".into(), vec![0])])).is_empty(),
        "only those asked about"
    );
    tab.run(5000);

    assert!(tab.ongoing().is_empty(), "the move completed");
    let p = tab.cluster.describe_topic("t").unwrap().partitions.remove(0);
    assert_eq!(p.replicas, target);
    assert_eq!(p.leader, Some(newcomer), "the first replica leads once it is in sync");
    assert_eq!(p.isr.len(), 3);
    assert_eq!(p.replica_log_end_offsets, [300, 300, 300]);
    assert_eq!(tab.stored_values(newcomer), all_values(), "the new replica's storage holds every record");
    assert!(tab.stored_values(leaving).is_empty(), "the old replica's batches left storage");
    assert!(tab.store.meta_with_prefix(&format!("replica/t/0/{leaving}")).is_empty(), "and its record too");

    // Still serving: a write goes to the new replicas.
    tab.cluster.produce_records("t", 0, vec![Record::new("after the move", tab.now)], None, tab.now).unwrap();
    tab.flush();
    tab.run(500);
    assert_eq!(tab.cluster.describe_topic("t").unwrap().partitions[0].replica_log_end_offsets, [301, 301, 301]);

    // A reopen finds the partition where it moved.
    tab.cluster.checkpoint();
    tab.flush();
    let mut reopened = Cluster::restore(&tab.store.meta_with_prefix(""), 7, WINDOW).unwrap();
    let keys = reopened.replica_keys();
    assert!(keys.iter().all(|k| k.broker != leaving), "nothing of the old replica comes back: {keys:?}");
    reopened.start(tab.now);
    assert_eq!(reopened.describe_topic("t").unwrap().partitions[0].replicas, target);
}

#[test]
fn a_move_waits_for_a_dead_broker_and_can_be_cancelled() {
    let mut tab = Tab::new();
    let before = tab.replicas();
    let newcomer = (1..=4).find(|b| !before.contains(b)).unwrap();
    tab.cluster.kill_broker(newcomer, tab.now).unwrap();
    tab.run(SESSION_TIMEOUT_MS + 200);
    tab.reassign("t", 0, Some(vec![newcomer, before[1]])).unwrap();
    tab.run(2000);
    let ongoing = tab.ongoing();
    assert_eq!(ongoing.len(), 1, "a replica on a dead broker never catches up");
    assert_eq!(
        (ongoing[0].adding_replicas.clone(), ongoing[0].removing_replicas.clone()),
        (vec![newcomer], vec![before[0], before[2]])
    );
    assert_eq!(tab.cluster.describe_topic("t").unwrap().partitions[0].leader, Some(before[0]), "the leader serves on");

    tab.reassign("t", 0, None).unwrap();
    assert!(tab.ongoing().is_empty(), "cancelled");
    let sorted = |mut brokers: Vec<i32>| {
        brokers.sort();
        brokers
    };
    // As in Kafka, the original replicas come back in the order the move listed them (target first).
    assert_eq!(sorted(tab.replicas()), sorted(before), "back on the brokers it was on");
    tab.cluster.restart_broker(newcomer, tab.now).unwrap();
    tab.run(1000);
    assert!(tab.cluster.replica_keys().iter().all(|k| k.broker != newcomer), "the newcomer holds nothing of it");
    assert_eq!(tab.reassign("t", 0, None), Err("NO_REASSIGNMENT_IN_PROGRESS"), "nothing left to cancel");
}

#[test]
fn bad_reassignments_are_refused_and_change_nothing() {
    let mut tab = Tab::new();
    let before = tab.replicas();
    let journaled = tab.cluster.has_pending_write();
    assert_eq!(tab.reassign("nope", 0, Some(vec![1])), Err("UNKNOWN_TOPIC_OR_PARTITION"));
    assert_eq!(tab.reassign("t", 1, Some(vec![1])), Err("UNKNOWN_TOPIC_OR_PARTITION"));
    assert_eq!(tab.reassign("t", 0, Some(vec![])), Err("INVALID_REPLICA_ASSIGNMENT"));
    assert_eq!(tab.reassign("t", 0, Some(vec![1, 9])), Err("INVALID_REPLICA_ASSIGNMENT"));
    assert_eq!(tab.reassign("t", 0, Some(vec![2, 1, 2])), Err("INVALID_REPLICA_ASSIGNMENT"));
    assert_eq!(tab.reassign("t", 0, None), Err("NO_REASSIGNMENT_IN_PROGRESS"));
    assert_eq!(tab.replicas(), before);
    assert!(tab.ongoing().is_empty());
    assert!(!journaled && !tab.cluster.has_pending_write(), "nothing was journaled");
}
