//! Replication as the JS API and the tutorial drive it: the `Cluster` of a tab, with brokers killed and
//! restarted, the network split, acks 0/1/all, min.insync.replicas, unclean elections, follower fetching and a
//! reopen from storage after a failover. Time moves only by `tick`, 100 ms at a time, as the shell's timer does.

use bytes::Bytes;
use franz::core::cluster::{Cluster, NewTopic, SESSION_TIMEOUT_MS};
use franz::core::protocol::{FetchPartition, Isolation, ProduceData, ProducePartition, Request, Response};
use franz::core::record::{decode_batches, Record};
use franz::core::storage::MemoryStorage;

const T0: i64 = 1_700_000_000_000;

/// Offsets and values of the records in `batches`.
fn records(batches: &[Bytes]) -> Vec<(i64, String)> {
    let decoded = decode_batches(&Bytes::from(batches.concat())).unwrap();
    let records = decoded.iter().flat_map(|b| b.consumer_records());
    records.map(|(o, r)| (o, String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())).collect()
}

struct Tab {
    cluster: Cluster,
    now: i64,
}

impl Tab {
    /// Three brokers, topic `t` with one partition on all three, min.insync.replicas=`min_isr`.
    fn new(min_isr: u32) -> Tab {
        let mut cluster = Cluster::new(3, 7);
        let topic = NewTopic::new("t", 1, 3).config("min.insync.replicas", min_isr.to_string());
        cluster.create_topic(&topic, false).unwrap();
        Tab { cluster, now: T0 }
    }

    fn run(&mut self, ms: i64) {
        for _ in 0..ms / 100 {
            self.now += 100;
            self.cluster.tick(self.now).unwrap();
        }
    }

    fn produce(&mut self, acks: i16, value: &str) -> franz::Result<franz::core::cluster::ProduceResult> {
        self.produce_within(acks, 30_000, value)
    }

    /// A produce whose request says how long the leader may wait for its ISR.
    fn produce_within(
        &mut self,
        acks: i16,
        timeout_ms: i32,
        value: &str,
    ) -> franz::Result<franz::core::cluster::ProduceResult> {
        let data = ProduceData::records(&[Record::new(value.to_owned(), self.now)], None);
        let request = Request::Produce {
            acks,
            timeout_ms,
            partitions: vec![ProducePartition { topic: "t".into(), partition: 0, data }],
        };
        match self.cluster.handle(request, self.now)? {
            Response::Produce(mut results) => results.remove(0).result,
            other => panic!("{other:?}"),
        }
    }

    fn values(&self) -> Vec<String> {
        let fetched = self.cluster.fetch("t", 0, 0, usize::MAX).unwrap();
        records(&fetched.batches).into_iter().map(|(_, v)| v).collect()
    }

    /// Offsets and values from the log start on.
    fn read_from_log_start(&self) -> Vec<(i64, String)> {
        let start = self.partition().log_start_offset;
        records(&self.cluster.fetch("t", 0, start, usize::MAX).unwrap().batches)
    }

    /// DeleteRecords before `offset` on partition 0: the low watermark, or the error's name.
    fn delete_records(&mut self, offset: i64) -> Result<i64, &'static str> {
        let request = Request::DeleteRecords { topic: "t".into(), partitions: vec![(0, offset)] };
        match self.cluster.handle(request, self.now) {
            Ok(Response::DeleteRecords(mut results)) => {
                results.remove(0).result.map(|d| d.low_watermark).map_err(|e| e.name())
            }
            other => panic!("{other:?}"),
        }
    }

    fn partition(&self) -> franz::core::cluster::PartitionMetadata {
        self.cluster.describe_topic("t").unwrap().partitions.remove(0)
    }
}

#[test]
fn a_dead_leader_is_replaced_from_the_isr_and_comes_back_as_preferred_leader() {
    let mut tab = Tab::new(2);
    assert_eq!(tab.produce(-1, "a").unwrap().pending, None, "a healthy ISR answers acks=all at once");
    let before = tab.partition();
    assert_eq!((before.leader, before.leader_epoch, before.high_watermark), (Some(before.replicas[0]), 0, 1));
    let old = before.leader.unwrap();

    tab.cluster.kill_broker(old, tab.now).unwrap();
    let e = tab.produce(-1, "lost").unwrap_err();
    assert_eq!(e.name(), "NOT_LEADER_OR_FOLLOWER", "until the controller notices, the leader just does not answer");
    assert!(e.retriable());
    assert_eq!(tab.partition().offline_replicas, [old]);

    tab.run(SESSION_TIMEOUT_MS + 200);
    let after = tab.partition();
    assert_ne!(after.leader, Some(old));
    assert!(before.isr.contains(&after.leader.unwrap()), "the new leader comes from the ISR");
    assert_eq!(after.leader_epoch, 1);
    assert!(!after.isr.contains(&old), "the dead broker left the ISR");
    tab.produce(-1, "b").unwrap();
    assert_eq!(tab.values(), ["a", "b"], "nothing acknowledged was lost; nothing unacknowledged appeared");

    tab.cluster.restart_broker(old, tab.now).unwrap();
    tab.run(1000);
    let back = tab.partition();
    assert_eq!(back.leader, Some(old), "back in the ISR, the preferred replica leads again");
    assert_eq!(back.isr.len(), 3);
    assert_eq!(back.leader_epoch, 2);
    assert_eq!(back.replica_log_end_offsets, [2, 2, 2]);
    assert_eq!(back.replica_high_watermarks, [2, 2, 2]);
    assert_eq!(tab.values(), ["a", "b"]);
}

#[test]
fn acks_all_needs_min_insync_replicas_and_waits_for_a_follower_until_it_is_fenced() {
    let mut tab = Tab::new(2);
    let follower = tab.partition().replicas[2];
    tab.cluster.kill_broker(follower, tab.now).unwrap();
    // The dead follower is still in the ISR: acks=all waits for it, acks=1 does not.
    let waiting = tab.produce(-1, "a").unwrap();
    let ack = waiting.pending.expect("acks=all waits for the whole ISR");
    assert_eq!(tab.produce(1, "b").unwrap().pending, None);
    assert!(tab.values().is_empty(), "nothing is committed while a member of the ISR lacks it");
    tab.run(SESSION_TIMEOUT_MS + 200);
    assert_eq!(tab.cluster.take_acks(), [(ack, Ok(0))], "the ISR shrank to two, which min.insync.replicas=2 allows");
    assert_eq!(tab.values(), ["a", "b"]);

    let second = tab.partition().replicas[1];
    tab.cluster.kill_broker(second, tab.now).unwrap();
    tab.run(SESSION_TIMEOUT_MS + 200);
    assert_eq!(tab.partition().isr.len(), 1);
    assert_eq!(tab.produce(-1, "c").unwrap_err().name(), "NOT_ENOUGH_REPLICAS");
    assert_eq!(tab.produce(1, "d").unwrap().base_offset, 2, "acks=1 still writes to the lone leader");
    assert_eq!(tab.produce(0, "e").unwrap().base_offset, 3);
}

#[test]
fn a_write_whose_isr_shrinks_below_min_insync_fails_after_append() {
    let mut tab = Tab::new(3);
    let follower = tab.partition().replicas[1];
    tab.cluster.kill_broker(follower, tab.now).unwrap();
    let ack = tab.produce(-1, "a").unwrap().pending.unwrap();
    tab.run(SESSION_TIMEOUT_MS + 200);
    let acks = tab.cluster.take_acks();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].0, ack);
    assert_eq!(acks[0].1.as_ref().unwrap_err().name(), "NOT_ENOUGH_REPLICAS_AFTER_APPEND");
}

#[test]
fn with_every_isr_member_dead_the_partition_stays_offline_unless_unclean_election_is_on() {
    for unclean in [false, true] {
        let mut tab = Tab::new(1);
        tab.cluster
            .alter_configs("t", &[("unclean.leader.election.enable".into(), Some(unclean.to_string()))], false)
            .unwrap();
        let r = tab.partition().replicas;
        tab.produce(-1, "a").unwrap();
        tab.cluster.kill_broker(r[2], tab.now).unwrap();
        tab.run(SESSION_TIMEOUT_MS + 200);
        tab.produce(-1, "b").unwrap(); // broker r[2] lacks it
        tab.cluster.kill_broker(r[0], tab.now).unwrap();
        tab.cluster.kill_broker(r[1], tab.now).unwrap();
        tab.run(SESSION_TIMEOUT_MS + 200);
        assert_eq!(tab.partition().leader, None);
        assert_eq!(tab.produce(1, "x").unwrap_err().name(), "LEADER_NOT_AVAILABLE");
        tab.cluster.restart_broker(r[2], tab.now).unwrap();
        tab.run(500);
        if unclean {
            assert_eq!(tab.partition().leader, Some(r[2]), "the out-of-sync replica leads");
            let lost = tab.cluster.take_unclean_elections();
            assert_eq!((lost.len(), lost[0].leader, lost[0].lost_records), (1, r[2], 1), "{lost:?}");
            assert_eq!(tab.values(), ["a"], "the loss is real, and reported");
        } else {
            assert_eq!(tab.partition().leader, None, "no data is given up without unclean.leader.election.enable");
            assert!(tab.cluster.take_unclean_elections().is_empty());
            // The last broker in the ISR (it died last) has everything: its return brings the partition back.
            tab.cluster.restart_broker(r[1], tab.now).unwrap();
            tab.run(1000);
            assert_eq!(tab.partition().leader, Some(r[1]));
            assert_eq!(tab.values(), ["a", "b"]);
        }
    }
}

#[test]
fn an_isolated_leader_loses_its_acks_1_writes_but_never_acks_all_ones() {
    let mut tab = Tab::new(2);
    let r = tab.partition().replicas;
    tab.produce(-1, "safe").unwrap();
    // The leader is cut off from the controller and the followers; it still thinks it leads.
    let others: Vec<i32> = r[1..].to_vec();
    let mut groups = vec![others.clone(), vec![r[0]]];
    groups[0].sort();
    tab.cluster.partition_network(&groups, tab.now).unwrap();
    assert_eq!(tab.produce(1, "doomed").unwrap().base_offset, 1, "acks=1: the isolated leader takes it");
    let ack = tab.produce(-1, "never").unwrap().pending.expect("acks=all cannot reach the followers");
    tab.run(SESSION_TIMEOUT_MS + 200);
    assert_ne!(tab.partition().leader, Some(r[0]), "the controller's side elected a new leader");
    tab.produce(-1, "after").unwrap();
    tab.cluster.heal_network(tab.now);
    tab.run(3000);
    assert_eq!(tab.partition().leader, Some(r[0]), "healed and caught up, the preferred replica leads again");
    assert_eq!(tab.values(), ["safe", "after"], "the old leader truncated what it alone had");
    let acks = tab.cluster.take_acks();
    assert!(acks.iter().any(|(a, result)| *a == ack && result.is_err()), "the acks=all write was never acknowledged");
    assert_eq!(tab.partition().replica_log_end_offsets, [2, 2, 2], "replicas agree");
}

#[test]
fn an_acks_all_write_waits_for_its_isr_as_long_as_its_request_says() {
    let mut tab = Tab::new(2);
    let r = tab.partition().replicas;
    let others: Vec<i32> = r[1..].to_vec();
    tab.cluster.partition_network(&[others, vec![r[0]]], tab.now).unwrap();
    let short = tab.produce_within(-1, 300, "short").unwrap().pending.expect("the followers are out of reach");
    let long = tab.produce(-1, "long").unwrap().pending.expect("the followers are out of reach");
    tab.run(200);
    assert!(tab.cluster.take_acks().is_empty(), "both still wait at 200 ms");
    tab.run(200);
    let acks = tab.cluster.take_acks();
    let timed_out =
        |ack| acks.iter().any(|(a, r)| *a == ack && r.as_ref().is_err_and(|e| e.name() == "REQUEST_TIMED_OUT"));
    assert!(timed_out(short), "300 ms passed: REQUEST_TIMED_OUT, {acks:?}");
    assert!(!acks.iter().any(|(a, _)| *a == long), "the default 30 s has not: {acks:?}");
}

#[test]
fn a_consumer_reads_from_an_in_sync_replica_in_its_rack() {
    let mut tab = Tab::new(1);
    let r = tab.partition().replicas;
    let racks: Vec<Option<String>> = (1..=3).map(|b| Some(format!("zone-{b}"))).collect();
    tab.cluster.set_racks(&racks).unwrap();
    tab.produce(-1, "a").unwrap();
    let follower = r[1];
    let p = FetchPartition { topic: "t".into(), partition: 0, offset: 0, max_bytes: usize::MAX };
    let near = tab.cluster.fetch_in_rack(&p, Some(&format!("zone-{follower}")), Isolation::ReadUncommitted).unwrap();
    assert_eq!((near.replica, near.batches.len(), near.high_watermark), (follower, 1, 1));
    let far = tab.cluster.fetch_in_rack(&p, Some("elsewhere"), Isolation::ReadUncommitted).unwrap();
    assert_eq!(far.replica, r[0], "no replica in that rack: the leader serves");
    tab.cluster.kill_broker(follower, tab.now).unwrap();
    let fallback = tab.cluster.fetch_in_rack(&p, Some(&format!("zone-{follower}")), Isolation::ReadCommitted).unwrap();
    assert_eq!(fallback.replica, r[0], "a dead replica serves no one");
}

#[test]
fn bad_operations_get_clear_errors() {
    let mut tab = Tab::new(1);
    assert_eq!(tab.cluster.kill_broker(9, tab.now).unwrap_err().name(), "INVALID_REQUEST");
    assert_eq!(tab.cluster.restart_broker(1, tab.now).unwrap_err().name(), "INVALID_REQUEST");
    tab.cluster.kill_broker(1, tab.now).unwrap();
    assert_eq!(tab.cluster.kill_broker(1, tab.now).unwrap_err().name(), "BROKER_NOT_AVAILABLE");
    assert_eq!(tab.cluster.partition_network(&[vec![1, 2]], tab.now).unwrap_err().name(), "INVALID_REQUEST");
    assert_eq!(
        tab.cluster.partition_network(&[vec![1, 2], vec![2, 3]], tab.now).unwrap_err().name(),
        "INVALID_REQUEST"
    );
}

#[test]
fn acknowledged_records_survive_a_failover_and_a_reopen() {
    let mut cluster = Cluster::persistent(3, 7, 1 << 20);
    let mut store = MemoryStorage::new();
    let mut now = T0;
    cluster.create_topic(&NewTopic::new("t", 1, 3).config("min.insync.replicas", "2"), false).unwrap();
    let mut acked = Vec::new();
    let flush = |c: &mut Cluster, store: &mut MemoryStorage| {
        while let Some(w) = c.take_write() {
            store.apply(&w.ops).unwrap();
            c.write_done(&w);
        }
    };
    for i in 0..50 {
        if i == 10 {
            let leader = cluster.describe_topic("t").unwrap().partitions[0].leader.unwrap();
            cluster.kill_broker(leader, now).unwrap();
        }
        let result = cluster.produce_records("t", 0, vec![Record::new(format!("v{i}"), now)], None, now);
        flush(&mut cluster, &mut store);
        if result.is_ok_and(|r| r.pending.is_none()) {
            acked.push(format!("v{i}"));
        }
        now += 100;
        cluster.tick(now).unwrap();
        flush(&mut cluster, &mut store);
    }
    // Writes fail while the controller has not yet fenced the dead leader (1.5 s of 100 ms steps), then resume.
    assert!(acked.len() >= 30 && acked.contains(&"v49".to_owned()), "{acked:?}");

    let mut reopened = Cluster::restore(&store.meta_with_prefix(""), 7, 1 << 20).unwrap();
    for replica in reopened.replica_keys() {
        let batches = store.load_batches(&replica, reopened.recovery_point(&replica), usize::MAX);
        assert!(reopened.restore_tail(&replica, batches).unwrap().is_none(), "nothing stored is corrupt");
    }
    let p = reopened.describe_topic("t").unwrap().partitions.remove(0);
    assert_eq!(p.leader_epoch, 1, "the failover's epoch was stored");
    // Starting, the old leader may catch up, rejoin the ISR and lead again (its preferred replica), its high
    // watermark moving up as its followers fetch: a running tab's second is enough for all of that.
    reopened.start(now);
    flush(&mut reopened, &mut store);
    for _ in 0..10 {
        now += 100;
        reopened.tick(now).unwrap();
        flush(&mut reopened, &mut store);
    }
    let mut values = Vec::new();
    let mut offset = 0;
    loop {
        let fetched = reopened.fetch("t", 0, offset, usize::MAX).unwrap();
        let batches = match fetched.in_storage {
            Some(replica) => {
                let loaded = store.load_batches(&replica, offset, usize::MAX);
                reopened.serve_from_storage(&replica, loaded, i64::MAX).unwrap().batches
            }
            None => fetched.batches,
        };
        if batches.is_empty() {
            break;
        }
        for (o, v) in records(&batches) {
            if o >= offset {
                values.push(v);
                offset = o + 1;
            }
        }
    }
    assert_eq!(values, acked, "every acknowledged record, in order, and nothing else");
}

#[test]
fn a_broker_down_for_longer_than_the_leaders_memory_catches_up_from_storage() {
    let mut cluster = Cluster::persistent(3, 7, 4096);
    let mut store = MemoryStorage::new();
    let mut now = T0;
    cluster.create_topic(&NewTopic::new("t", 1, 3), false).unwrap();
    let flush = |c: &mut Cluster, store: &mut MemoryStorage| {
        while let Some(w) = c.take_write() {
            store.apply(&w.ops).unwrap();
            c.write_done(&w);
        }
    };
    flush(&mut cluster, &mut store);
    let follower = cluster.describe_topic("t").unwrap().partitions[0].replicas[2];
    cluster.kill_broker(follower, now).unwrap();
    now += SESSION_TIMEOUT_MS + 100;
    cluster.tick(now).unwrap();
    for i in 0..300 {
        cluster.produce_records("t", 0, vec![Record::new(format!("value {i}"), now)], None, now).unwrap();
        flush(&mut cluster, &mut store);
    }
    assert!(cluster.batches_in_memory("t", 0).unwrap() < 2 * 300, "the leaders keep only their window in memory");

    cluster.restart_broker(follower, now).unwrap();
    let mut storage_reads = 0;
    for _ in 0..100 {
        now += 100;
        cluster.tick(now).unwrap();
        for (replica, offset) in cluster.follower_reads() {
            storage_reads += 1;
            let loaded = store.load_batches(&replica, offset, 1 << 20);
            cluster.serve_follower_from_storage(&replica, loaded, now);
        }
        flush(&mut cluster, &mut store);
    }
    let p = cluster.describe_topic("t").unwrap().partitions.remove(0);
    assert!(storage_reads > 0, "the leader had to read the follower's batches from storage");
    assert_eq!(p.replica_log_end_offsets, [300, 300, 300], "the follower caught up");
    assert_eq!(p.isr.len(), 3, "and rejoined the ISR");
}

#[test]
fn deleted_records_stay_deleted_through_a_restart_and_a_failover() {
    let mut tab = Tab::new(1);
    tab.produce(1, "a").unwrap();
    let leader = tab.partition().leader.unwrap();
    let behind = *tab.partition().replicas.iter().find(|&&b| b != leader).unwrap();
    tab.cluster.kill_broker(behind, tab.now).unwrap();
    tab.run(SESSION_TIMEOUT_MS + 1_000); // out of the ISR: the high watermark moves without it
    tab.produce(1, "b").unwrap();
    tab.produce(1, "c").unwrap();
    // -1 is the high watermark; the dead follower does not count in the low watermark.
    assert_eq!(tab.delete_records(-1), Ok(3));
    assert_eq!(tab.partition().log_start_offset, 3);
    assert!(tab.cluster.fetch("t", 0, 0, usize::MAX).is_err(), "the deleted records are gone");
    tab.produce(1, "d").unwrap();
    // Back, the follower whose log ends before the leader's start starts over there and catches up.
    tab.cluster.restart_broker(behind, tab.now).unwrap();
    tab.run(3_000);
    let p = tab.partition();
    assert!(p.isr.contains(&behind), "back in the ISR: {p:?}");
    assert_eq!(p.replica_log_end_offsets, vec![4; 3]);
    // Every other replica dies: the one that was away leads, without the deleted records.
    for b in p.replicas.iter().filter(|&&b| b != behind) {
        tab.cluster.kill_broker(*b, tab.now).unwrap();
    }
    tab.run(SESSION_TIMEOUT_MS + 1_000);
    assert_eq!(tab.partition().leader, Some(behind));
    assert_eq!(tab.partition().log_start_offset, 3);
    assert_eq!(tab.read_from_log_start(), [(3, "d".to_owned())]);
}

#[test]
fn followers_follow_a_deletion_at_once_and_a_mid_batch_start_serves_its_batch() {
    let mut tab = Tab::new(1);
    let data = ProduceData::records(&[Record::new("x0", T0), Record::new("x1", T0), Record::new("x2", T0)], None);
    let partitions = vec![ProducePartition { topic: "t".into(), partition: 0, data }];
    tab.cluster.handle(Request::Produce { acks: -1, timeout_ms: 30_000, partitions }, tab.now).unwrap();
    tab.produce(-1, "y").unwrap();
    // Every follower is up: the low watermark is every replica's new start.
    assert_eq!(tab.delete_records(2), Ok(2));
    let leader = tab.partition().leader.unwrap();
    tab.cluster.kill_broker(leader, tab.now).unwrap();
    tab.run(SESSION_TIMEOUT_MS + 1_000);
    assert_ne!(tab.partition().leader, Some(leader));
    assert_eq!(tab.partition().log_start_offset, 2, "the new leader had followed the deletion");
    // The batch holding the new start is served whole; a consumer skips what lies before its position.
    let fetched = records(&tab.cluster.fetch("t", 0, 2, usize::MAX).unwrap().batches);
    assert_eq!(fetched.iter().map(|(o, _)| *o).collect::<Vec<_>>(), [0, 1, 2, 3]);
    // Deleting before an offset already deleted changes nothing.
    assert_eq!(tab.delete_records(1), Ok(2));
}

#[test]
fn delete_records_refuses_what_kafka_refuses() {
    let mut tab = Tab::new(1);
    tab.produce(1, "a").unwrap();
    assert_eq!(tab.delete_records(2), Err("OFFSET_OUT_OF_RANGE"), "past the high watermark");
    assert_eq!(tab.delete_records(-2), Err("OFFSET_OUT_OF_RANGE"));
    let compacted = NewTopic::new("c", 1, 1).config("cleanup.policy", "compact");
    tab.cluster.create_topic(&compacted, false).unwrap();
    let on = |topic: &str, partition| Request::DeleteRecords { topic: topic.into(), partitions: vec![(partition, 0)] };
    let error = |tab: &mut Tab, request| match tab.cluster.handle(request, tab.now) {
        Ok(Response::DeleteRecords(results)) => results[0].result.clone().unwrap_err().name(),
        other => panic!("{other:?}"),
    };
    assert_eq!(error(&mut tab, on("c", 0)), "POLICY_VIOLATION");
    assert_eq!(error(&mut tab, on("t", 5)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(error(&mut tab, on("missing", 0)), "UNKNOWN_TOPIC_OR_PARTITION");
    let leader = tab.partition().leader.unwrap();
    tab.cluster.kill_broker(leader, tab.now).unwrap();
    assert_eq!(error(&mut tab, on("t", 0)), "NOT_LEADER_OR_FOLLOWER", "a dead leader not yet replaced");
}

#[test]
fn a_follower_that_starts_over_mid_batch_takes_the_batch_holding_the_start() {
    let mut tab = Tab::new(1);
    let leader = tab.partition().leader.unwrap();
    let behind = *tab.partition().replicas.iter().find(|&&b| b != leader).unwrap();
    tab.cluster.kill_broker(behind, tab.now).unwrap();
    tab.run(SESSION_TIMEOUT_MS + 1_000);
    let data = ProduceData::records(&[Record::new("x0", T0), Record::new("x1", T0), Record::new("x2", T0)], None);
    let partitions = vec![ProducePartition { topic: "t".into(), partition: 0, data }];
    tab.cluster.handle(Request::Produce { acks: 1, timeout_ms: 30_000, partitions }, tab.now).unwrap();
    assert_eq!(tab.delete_records(1), Ok(1), "the start falls inside the batch 0..=2");
    tab.produce(1, "d").unwrap();
    tab.cluster.restart_broker(behind, tab.now).unwrap();
    tab.run(3_000);
    assert_eq!(tab.partition().replica_log_end_offsets, vec![4; 3], "{:?}", tab.partition());
    for b in tab.partition().replicas.iter().filter(|&&b| b != behind) {
        tab.cluster.kill_broker(*b, tab.now).unwrap();
    }
    tab.run(SESSION_TIMEOUT_MS + 1_000);
    assert_eq!(tab.partition().leader, Some(behind));
    let kept: Vec<(i64, String)> = tab.read_from_log_start().into_iter().filter(|(o, _)| *o >= 1).collect();
    assert_eq!(kept, [(1, "x1".to_owned()), (2, "x2".to_owned()), (3, "d".to_owned())]);
}

#[test]
fn delete_records_is_answered_once_every_live_replica_has_deleted() {
    let mut tab = Tab::new(1);
    tab.produce(-1, "a").unwrap();
    tab.produce(-1, "b").unwrap();
    let p = tab.partition();
    let leader = p.leader.unwrap();
    let follower = *p.replicas.iter().find(|&&b| b != leader).unwrap();
    let rest: Vec<i32> = p.replicas.iter().copied().filter(|&b| b != follower).collect();
    let delete = |tab: &mut Tab| {
        let request = Request::DeleteRecords { topic: "t".into(), partitions: vec![(0, -1)] };
        match tab.cluster.handle(request, tab.now).unwrap() {
            Response::DeleteRecords(mut results) => results.remove(0).result.unwrap(),
            other => panic!("{other:?}"),
        }
    };

    // A follower the network cuts off cannot follow: the answer waits until the controller fences it.
    tab.cluster.partition_network(&[rest.clone(), vec![follower]], tab.now).unwrap();
    let deleted = delete(&mut tab);
    assert_eq!((deleted.log_start, deleted.low_watermark), (2, 0));
    assert_eq!(tab.cluster.deleted_records_settled("t", 0, &deleted).unwrap(), None);
    tab.run(SESSION_TIMEOUT_MS + 1_000);
    assert_eq!(tab.cluster.deleted_records_settled("t", 0, &deleted).unwrap(), Some(2), "fenced, it counts no more");
    tab.cluster.heal_network(tab.now);
    tab.run(3_000);
    assert_eq!(tab.cluster.low_watermark("t", 0).unwrap(), 2, "back, it followed");

    // A leader the network cuts off deletes alone; it loses the partition before anyone follows.
    tab.produce(-1, "c").unwrap();
    let leader = tab.partition().leader.unwrap();
    let others: Vec<i32> = tab.partition().replicas.iter().copied().filter(|&b| b != leader).collect();
    tab.cluster.partition_network(&[others, vec![leader]], tab.now).unwrap();
    let deleted = delete(&mut tab);
    assert_eq!(deleted.log_start, 3);
    tab.run(SESSION_TIMEOUT_MS + 1_000);
    let settled = tab.cluster.deleted_records_settled("t", 0, &deleted);
    assert_eq!(settled.unwrap_err().name(), "NOT_LEADER_OR_FOLLOWER");
    assert_eq!(tab.partition().log_start_offset, 2, "the new leader never saw that deletion");
}
