//! Replication rules one by one, on a small cluster whose messages are delivered in order, 1 ms apart: the high
//! watermark, ISR shrink and expand, acks=all with min.insync.replicas, leader election (clean, offline and
//! unclean), a restarted broker catching up and leading again, and idempotent retries. The simulator
//! (`tests/simulation.rs`) checks the same rules under faults.

use franz::core::error::Error;
use franz::core::log::ProducerBatch;
use franz::core::record::Record;
use franz::core::replication::{
    Broker, BrokerId, Controller, Envelope, Message, Node, PartitionId, ProduceOutcome, ReplicaFetch, ReplicaView,
    Timing,
};

const TIMING: Timing =
    Timing { heartbeat_ms: 20, replica_lag_max_ms: 150, fetch_timeout_ms: 60, request_timeout_ms: 400 };

struct Cluster {
    now: i64,
    controller: Controller,
    brokers: Vec<Broker>,
    up: Vec<bool>,
    /// Followers that neither fetch nor answer (slow or stuck replicas, still heartbeating).
    stalled: Vec<BrokerId>,
    queue: Vec<Envelope>,
}

fn tp() -> PartitionId {
    ("orders".into(), 0)
}

impl Cluster {
    /// Three brokers; partition orders-0 on [1, 2, 3] with min.insync.replicas `min_isr`.
    fn new(min_isr: usize) -> Cluster {
        let mut c = Cluster {
            now: 0,
            controller: Controller::new([1, 2, 3], 120, 0),
            brokers: (1..=3).map(|b| Broker::new(b, TIMING)).collect(),
            up: vec![true; 3],
            stalled: Vec::new(),
            queue: Vec::new(),
        };
        c.queue = c.controller.create_partition(tp(), vec![1, 2, 3], min_isr);
        c.run(50);
        c
    }

    fn broker(&mut self, b: BrokerId) -> &mut Broker {
        &mut self.brokers[b as usize - 1]
    }

    fn run(&mut self, ms: i64) {
        for _ in 0..ms {
            self.now += 1;
            for e in std::mem::take(&mut self.queue) {
                let out = match e.to {
                    Node::Controller => self.controller.handle(e.message, self.now),
                    Node::Broker(b) if self.up[b as usize - 1] && !self.stalled.contains(&b) => {
                        let now = self.now;
                        self.broker(b).handle(e.from, e.message, now)
                    }
                    Node::Broker(b) if self.stalled.contains(&b) && matches!(e.message, Message::State(_)) => {
                        let now = self.now;
                        let out = self.broker(b).handle(e.from, e.message, now);
                        out.into_iter().filter(|e| e.to == Node::Controller).collect()
                    }
                    Node::Broker(_) => Vec::new(),
                };
                self.queue.extend(out);
            }
            let out = self.controller.tick(self.now);
            self.queue.extend(out);
            for b in 1..=3 {
                if self.up[b as usize - 1] {
                    let now = self.now;
                    let out = self.broker(b).tick(now);
                    let stalled = self.stalled.contains(&b);
                    self.queue.extend(out.into_iter().filter(|e| !stalled || e.to == Node::Controller));
                }
            }
        }
    }

    fn leader(&self) -> Option<BrokerId> {
        self.controller.partition(&tp()).and_then(|s| s.leader)
    }

    fn isr(&self) -> Vec<BrokerId> {
        let mut isr = self.controller.partition(&tp()).map(|s| s.isr.clone()).unwrap_or_default();
        isr.sort();
        isr
    }

    /// Produces `value` at the leader and waits up to `wait_ms` for the answer.
    fn produce(&mut self, value: &str, acks: i16, producer: Option<ProducerBatch>, wait_ms: i64) -> Result<i64, Error> {
        let leader = self.leader().expect("a leader");
        self.produce_at(leader, value, acks, producer, wait_ms)
    }

    fn produce_at(
        &mut self,
        b: BrokerId,
        value: &str,
        acks: i16,
        producer: Option<ProducerBatch>,
        wait_ms: i64,
    ) -> Result<i64, Error> {
        if !self.up[b as usize - 1] {
            return Err(Error::BrokerNotAvailable(format!("broker {b} is down")));
        }
        let now = self.now;
        let outcome = self.broker(b).produce(&tp(), vec![Record::new(value.to_owned(), now)], producer, acks, now);
        let caused = self.broker(b).take_outbox();
        self.queue.extend(caused);
        match outcome {
            ProduceOutcome::Done(result) => result,
            ProduceOutcome::Pending(id) => {
                for _ in 0..wait_ms {
                    self.run(1);
                    if let Some(c) = self.broker(b).take_completed().into_iter().find(|c| c.id == id) {
                        return c.result;
                    }
                }
                panic!("no answer within {wait_ms} ms")
            }
        }
    }

    fn view(&self, b: BrokerId) -> ReplicaView {
        self.brokers[b as usize - 1].view(&tp()).expect("a replica")
    }

    fn crash(&mut self, b: BrokerId) {
        self.up[b as usize - 1] = false;
    }

    fn restart(&mut self, b: BrokerId) {
        self.up[b as usize - 1] = true;
        let now = self.now;
        self.broker(b).restart(now);
    }
}

#[test]
fn the_high_watermark_is_the_smallest_leo_in_the_isr_and_consumers_read_below_it() {
    let mut c = Cluster::new(2);
    assert_eq!((c.leader(), c.isr()), (Some(1), vec![1, 2, 3]));
    // acks=1 answers at once, before the followers have the record: it is not yet visible to consumers.
    assert_eq!(c.produce("a", 1, None, 0), Ok(0));
    assert_eq!((c.view(1).log_end_offset, c.view(1).high_watermark), (1, 0));
    assert!(c.brokers[0].read(&tp(), 0).unwrap().0.is_empty(), "nothing above the high watermark is read");
    c.run(10);
    assert_eq!(c.view(1).high_watermark, 1, "every ISR member fetched it");
    assert_eq!(c.brokers[0].read(&tp(), 0).unwrap().0.len(), 1);
    assert_eq!(c.view(2).high_watermark, 1, "followers learn the high watermark from the leader");
}

#[test]
fn a_lagging_follower_leaves_the_isr_and_rejoins_once_caught_up() {
    let mut c = Cluster::new(2);
    c.stalled = vec![3];
    c.produce("a", 1, None, 0).unwrap();
    c.run(100);
    assert_eq!(c.isr(), vec![1, 2, 3], "still within replica.lag.time.max.ms");
    c.run(150);
    assert_eq!(c.isr(), vec![1, 2], "out after lagging longer than replica.lag.time.max.ms");
    assert_eq!(c.produce("b", -1, None, 100), Ok(1), "acks=all needs only the ISR");
    c.stalled.clear();
    c.run(100);
    assert_eq!(c.isr(), vec![1, 2, 3], "back once it caught up to the high watermark");
    assert_eq!(c.view(3).log_end_offset, 2);
}

#[test]
fn acks_all_needs_min_insync_replicas_before_and_after_the_append() {
    let mut c = Cluster::new(2);
    c.stalled = vec![2];
    c.crash(3);
    c.run(400);
    assert_eq!(c.isr(), vec![1], "one replica left in sync");
    let e = c.produce("x", -1, None, 0).unwrap_err();
    assert_eq!(e.name(), "NOT_ENOUGH_REPLICAS", "{e}");
    assert_eq!(c.produce("y", 1, None, 0), Ok(0), "acks=1 still works");

    let mut c = Cluster::new(2);
    c.stalled = vec![2, 3];
    // The ISR is [1, 2, 3] when the write is appended, then shrinks to [1] before it is replicated.
    let e = c.produce("z", -1, None, 400).unwrap_err();
    assert_eq!(e.name(), "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "{e}");
}

#[test]
fn a_dead_leader_is_replaced_from_the_isr_with_a_new_epoch_and_nothing_acknowledged_is_lost() {
    let mut c = Cluster::new(2);
    for v in ["a", "b", "c"] {
        c.produce(v, -1, None, 100).unwrap();
    }
    let before = c.controller.partition(&tp()).unwrap().leader_epoch;
    c.crash(1);
    c.run(200);
    let state = c.controller.partition(&tp()).unwrap().clone();
    assert!(state.leader == Some(2) || state.leader == Some(3), "{state:?}");
    assert_eq!(state.leader_epoch, before + 1);
    assert!(!state.isr.contains(&1), "the dead broker left the ISR");
    assert_eq!(c.produce("d", -1, None, 100), Ok(3), "the new leader has every acknowledged record");
    let e = c.produce_at(1, "zombie", -1, None, 0);
    assert!(e.is_err(), "the old leader is down");
}

#[test]
fn with_every_isr_member_dead_the_partition_stays_offline_unless_unclean_election_is_on() {
    let mut c = Cluster::new(1);
    c.stalled = vec![2, 3];
    c.run(300); // 2 and 3 fall out of the ISR
    c.produce("only on 1", 1, None, 0).unwrap();
    c.stalled.clear();
    c.crash(1);
    c.run(300);
    assert_eq!(c.leader(), None, "offline rather than losing what only broker 1 has");
    assert_eq!(c.isr(), vec![1]);
    let e = c.produce_at(2, "x", 1, None, 0).unwrap_err();
    assert_eq!(e.name(), "NOT_LEADER_OR_FOLLOWER");
    c.restart(1);
    c.run(100);
    assert_eq!(c.leader(), Some(1), "it leads again when it comes back");
    assert_eq!(c.view(1).log_end_offset, 1);

    let mut c = Cluster::new(1);
    c.controller.set_unclean_election(true);
    c.stalled = vec![2, 3];
    c.run(300);
    c.produce("lost", 1, None, 0).unwrap();
    c.stalled.clear();
    c.crash(1);
    c.run(300);
    assert!(c.leader().is_some(), "unclean election picks a replica that was not in sync");
    assert_eq!(
        c.controller.unclean_elections.len(),
        1,
        "and the loss is reported: {:?}",
        c.controller.unclean_elections
    );
}

#[test]
fn a_restarted_broker_catches_up_from_its_own_log_and_leads_again_as_the_preferred_replica() {
    let mut c = Cluster::new(2);
    c.produce("a", -1, None, 100).unwrap();
    c.crash(1);
    c.run(200);
    for v in ["b", "c"] {
        c.produce(v, -1, None, 100).unwrap();
    }
    assert_eq!(c.view(1).log_end_offset, 1, "broker 1 kept its own log while down");
    c.restart(1);
    c.run(300);
    assert_eq!(c.view(1).log_end_offset, 3, "it caught up as a follower");
    assert_eq!(c.leader(), Some(1), "and leads again once back in the ISR");
    assert_eq!(c.isr(), vec![1, 2, 3]);
    assert_eq!(c.produce("d", -1, None, 100), Ok(3));
}

#[test]
fn an_idempotent_retry_is_not_written_twice_and_a_sequence_gap_is_refused() {
    let mut c = Cluster::new(2);
    let batch = |seq| ProducerBatch::of(7, 0, seq, 1);
    assert_eq!(c.produce("a", -1, batch(0), 100), Ok(0));
    assert_eq!(c.produce("a", -1, batch(0), 100), Ok(0), "a retry gets the original offset");
    assert_eq!(c.view(1).log_end_offset, 1, "and writes nothing");
    let e = c.produce("c", -1, batch(2), 100).unwrap_err();
    assert_eq!(e.name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    // The retry is recognised by a new leader too: producer state travels with the replicated batches.
    c.crash(1);
    c.run(200);
    assert_eq!(c.produce("a", -1, batch(0), 100), Ok(0));
    assert_eq!(c.produce("b", -1, batch(1), 100), Ok(1));
}

#[test]
fn in_one_process_replication_completes_within_the_call_and_time_moves_only_with_ticks() {
    use franz::core::replication::LocalCluster;
    let mut c = LocalCluster::new(3, TIMING, 120, 0);
    c.create_partition(tp(), vec![1, 2, 3], 2, 0);
    for i in 0..3 {
        let ProduceOutcome::Pending(id) = c.produce(1, &tp(), vec![Record::new("x", 0)], None, -1, i) else {
            panic!("acks=all waits for the ISR")
        };
        c.settle(i);
        let done = c.take_completed();
        assert_eq!(done.len(), 1, "answered within the settle: {done:?}");
        assert_eq!((done[0].1.id, done[0].1.result.clone()), (id, Ok(i)));
    }
    assert!((1..=3).all(|b| c.brokers[&b].view(&tp()).unwrap().high_watermark == 3), "every replica knows the HW");
    c.kill(1);
    c.tick(100);
    assert_eq!(c.controller.partition(&tp()).unwrap().leader, Some(1), "no failover before the session timeout");
    c.tick(200);
    let leader = c.controller.partition(&tp()).unwrap().leader.expect("a new leader");
    assert_ne!(leader, 1);
    assert!(matches!(c.produce(leader, &tp(), vec![Record::new("y", 0)], None, 1, 200), ProduceOutcome::Done(Ok(3))));
    c.restart(1, 300);
    c.tick(400);
    assert_eq!(c.brokers[&1].view(&tp()).unwrap().log_end_offset, 4, "the restarted broker caught up");
}

#[test]
fn a_consumer_reads_from_the_in_sync_replica_in_its_rack_up_to_that_replicas_high_watermark() {
    use franz::core::replication::preferred_read_replica;
    let racks = [(1, "east"), (2, "west"), (3, "west")].map(|(b, r)| (b, r.to_string())).into_iter().collect();
    let mut c = Cluster::new(2);
    let state = c.controller.partition(&tp()).unwrap().clone();
    assert_eq!(preferred_read_replica(&state, &racks, None), Some(1), "no rack: the leader");
    assert_eq!(preferred_read_replica(&state, &racks, Some("east")), Some(1), "the leader's own rack");
    assert_eq!(preferred_read_replica(&state, &racks, Some("west")), Some(2), "an in-sync follower in the rack");
    assert_eq!(preferred_read_replica(&state, &racks, Some("north")), Some(1), "no replica there: the leader");
    c.produce("a", -1, None, 100).unwrap();
    c.run(5);
    let (batches, hw) = c.brokers[1].read(&tp(), 0).unwrap();
    assert_eq!((batches.len(), hw), (1, 1), "the follower serves what is committed");
    c.stalled = vec![2];
    c.produce("b", 1, None, 0).unwrap();
    c.run(5);
    assert_eq!(c.brokers[1].read(&tp(), 1).unwrap().0.len(), 0, "nothing past the follower's high watermark");
    c.run(300);
    assert!(!c.isr().contains(&2));
    let e = c.brokers[1].read(&tp(), 0).unwrap_err();
    assert_eq!(e.name(), "NOT_LEADER_OR_FOLLOWER", "out of the ISR, it no longer serves consumers");
}

#[test]
fn a_leader_cut_off_by_a_network_partition_is_replaced_and_its_unacknowledged_writes_vanish_after_healing() {
    use franz::core::replication::LocalCluster;
    let mut c = LocalCluster::new(3, TIMING, 120, 0);
    c.create_partition(tp(), vec![1, 2, 3], 2, 0);
    let write =
        |c: &mut LocalCluster, b, v: &str, now| c.produce(b, &tp(), vec![Record::new(v.to_owned(), 0)], None, -1, now);
    assert!(matches!(write(&mut c, 1, "acked", 0), ProduceOutcome::Pending(_)));
    c.settle(0);
    assert_eq!(c.take_completed()[0].1.result, Ok(0));

    for bad in [vec![vec![1, 2], vec![2, 3]], vec![vec![1], vec![2]], vec![vec![1, 2, 3, 4]]] {
        assert_eq!(c.partition_network(&bad).unwrap_err().name(), "INVALID_REQUEST", "{bad:?}");
    }
    c.partition_network(&[vec![2, 3], vec![1]]).unwrap();
    // The old leader still believes it leads: the write is appended there but can never be committed.
    let ProduceOutcome::Pending(id) = write(&mut c, 1, "lost", 10) else { panic!("appended at the old leader") };
    let mut now = 10;
    while c.controller.partition(&tp()).unwrap().leader == Some(1) {
        now += 20;
        c.tick(now);
    }
    let leader = c.controller.partition(&tp()).unwrap().leader.unwrap();
    assert!(matches!(write(&mut c, leader, "new", now), ProduceOutcome::Pending(_)));
    c.settle(now);
    now += 500;
    c.tick(now);
    let answers = c.take_completed();
    let lost = answers.iter().find(|(b, a)| *b == 1 && a.id == id).expect("the old leader answered");
    assert!(lost.1.result.is_err(), "never acknowledged: {:?}", lost.1.result);
    c.heal_network();
    for _ in 0..20 {
        now += 20;
        c.tick(now);
    }
    let logs: Vec<Vec<_>> = (1..=3).map(|b| c.brokers[&b].log(&tp()).unwrap().batches().cloned().collect()).collect();
    assert_eq!(logs[0].len(), 2, "acked and new; the unacknowledged write is gone");
    assert!(logs.iter().all(|l| *l == logs[0]), "every replica agrees after healing");
}

/// A fetch a follower sent before its replica was reassigned away and back (dropped, then made again, empty) must
/// not vouch for the new replica: the leader would ask for it in the ISR, the move would complete, and the empty
/// replica would lead (the simulator's seed 27343 lost acknowledged records so).
#[test]
fn a_late_fetch_from_a_dropped_replica_never_puts_its_new_empty_replica_in_the_isr() {
    let mut c = Cluster::new(1);
    for i in 0..5 {
        assert_eq!(c.produce(&format!("v{i}"), -1, None, 200), Ok(i));
    }
    c.run(20);
    let before = c.controller.partition(&tp()).expect("the partition").clone();
    // Broker 3's fetch with its replica holding all five records, held back in the network.
    let late = Envelope {
        from: Node::Broker(3),
        to: Node::Broker(1),
        message: Message::Fetch {
            partition: tp(),
            fetch: ReplicaFetch {
                replica: 3,
                fetch_id: 1,
                leader_epoch: before.leader_epoch,
                fetch_offset: 5,
                last_fetched_epoch: before.leader_epoch,
                log_start_offset: 0,
                partition_epoch: before.partition_epoch,
            },
        },
    };
    // Broker 3 hears the controller but reaches no leader: its new replica sends nothing before the late fetch.
    c.stalled = vec![3];
    let out = c.controller.reassign(&tp(), Some(vec![1, 2])).expect("a move away from 3");
    c.queue.extend(out);
    c.run(10);
    assert!(c.brokers[2].view(&tp()).is_none(), "broker 3 dropped its replica");
    let out = c.controller.reassign(&tp(), Some(vec![3, 2])).expect("a move back to 3");
    c.queue.extend(out);
    c.run(10);
    assert_eq!(c.view(3).log_end_offset, 0, "broker 3's replica is new and empty");
    c.queue.push(late);
    c.run(20);
    assert!(!c.isr().contains(&3), "a fetch from the dropped replica let the empty one in: {:?}", c.isr());
    assert_eq!(c.leader(), Some(1));
    // Once it really fetches, it catches up, joins, and the move completes with every record.
    c.stalled.clear();
    c.run(200);
    let state = c.controller.partition(&tp()).expect("the partition").clone();
    assert_eq!((state.leader, state.replicas.clone()), (Some(3), vec![3, 2]), "{state:?}");
    assert_eq!((c.view(3).log_end_offset, c.view(3).high_watermark), (5, 5));
}
