//! A deterministic simulation of a whole cluster: brokers, the controller, idempotent (and transactional)
//! acks=all producers and consumers, driven by one seed through crashes and restarts, dropped, delayed,
//! reordered and duplicated messages, network partitions and failing storage writes. At the end the network
//! heals, every broker comes back, the cluster settles, and a checker asserts Kafka's guarantees:
//! - no acknowledged record is lost (acks=all, min.insync.replicas=2, RF=3);
//! - each producer's records keep their order in their partition;
//! - no record is written twice (idempotence);
//! - a consumer never sees a record that is later gone (it reads below the high watermark only, from the
//!   in-sync replica in its rack, as KIP-392 allows);
//! - records deleted by a DeleteRecords that was acknowledged (as Kafka acknowledges it: once every replica on
//!   a broker the controller holds alive has moved its log start, with the deleting leader still leading) stay
//!   deleted: no replica's log starts before it, so no failover brings them back;
//! - a partition reassigned (or its move cancelled) ends on its target replicas once the cluster settles, and
//!   the brokers it left hold nothing of it, in memory or storage;
//! - with transactional producers (`SimConfig::transactional`, see `txn`): every transaction ends, a
//!   `read_committed` consumer sees a transaction's records only once it commits and never an aborted one's,
//!   and reads exactly what is committed, and every replica reads the same to such a reader;
//! - every replica ends with exactly the leader's log (from the later of their log starts);
//! - each broker's storage, rebuilt from the storage events it reported, equals its log.
//!
//! A failing seed is replayed with fewer steps until the shortest failing prefix is found, and reported with its
//! trace of events.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod check;
mod txn;

use super::{Broker, BrokerId, Controller, Envelope, Node, PartitionId, ProduceOutcome, StorageEvent, Timing};
use crate::core::error::Error;
use crate::core::log::{ProducerBatch, StoredBatch};
use crate::core::record::{decode_batches, Record};
use crate::core::rng::SplitMix64;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub brokers: i32,
    pub partitions: u32,
    pub producers: usize,
    pub steps: usize,
    /// Inject faults (without them the run checks the happy path).
    pub faults: bool,
    /// How many of the producers are transactional (the first ones).
    pub transactional: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { brokers: 3, partitions: 2, producers: 3, steps: 4000, faults: true, transactional: 0 }
    }
}

/// What a passing run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub acked: usize,
    pub consumed: usize,
    pub crashes: usize,
    pub partitions: usize,
    pub storage_failures: usize,
    pub leader_changes: i32,
    /// Consumer reads served by a follower in the consumer's rack.
    pub follower_reads: usize,
    /// DeleteRecords a leader performed.
    pub deletions: usize,
    /// Reassignments started or cancelled, and those that completed (their partition moved).
    pub reassignments: usize,
    pub moves: usize,
    /// Transactions of transactional producers that completed.
    pub committed_txns: usize,
    pub aborted_txns: usize,
}

/// A broken guarantee: the seed, the shortest prefix of steps that breaks it, and what happened.
#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub steps: usize,
    pub broken: String,
    pub trace: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {} fails after {} steps: {}", self.seed, self.steps, self.broken)?;
        writeln!(
            f,
            "replay: FRANZ_SIM_SEED={} FRANZ_SIM_STEPS={} cargo test --test simulation replay",
            self.seed, self.steps
        )?;
        for line in &self.trace {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

const TIMING: Timing =
    Timing { heartbeat_ms: 20, replica_lag_max_ms: 150, fetch_timeout_ms: 60, request_timeout_ms: 400 };
const SESSION_TIMEOUT_MS: i64 = 120;
const MIN_INSYNC: usize = 2;
/// Ms the cluster gets to settle after the faults stop.
const SETTLE_MS: i64 = 3000;

/// One in-flight batch of a producer: a single record, so its sequence number names it.
#[derive(Debug, Clone)]
struct InFlight {
    number: usize,
    sequence: i32,
    sent_ms: i64,
    /// The broker holding it for the ISR, and its request id there.
    waiting_at: Option<(BrokerId, u64)>,
}

#[derive(Debug, Clone)]
struct Producer {
    producer_id: i64,
    partition: PartitionId,
    next_number: usize,
    in_flight: Option<InFlight>,
    /// For a transactional producer: its transaction.
    txn: Option<txn::Txn>,
}

#[derive(Debug, Clone, Default)]
struct Consumer {
    position: i64,
    seen: Vec<(i64, String)>,
}

struct Sim {
    now: i64,
    rng: SplitMix64,
    faults: bool,
    controller: Controller,
    brokers: BTreeMap<BrokerId, Broker>,
    up: BTreeSet<BrokerId>,
    /// Messages on their way: (delivery time, sequence) → envelope.
    queue: BTreeMap<(i64, u64), Envelope>,
    sent: u64,
    /// A network partition: the brokers cut off from the controller and the other brokers.
    cut_off: BTreeSet<BrokerId>,
    producers: Vec<Producer>,
    consumers: BTreeMap<PartitionId, Consumer>,
    /// Consumers that read `read_committed`, one per partition.
    committed_consumers: BTreeMap<PartitionId, Consumer>,
    /// The values of transactions that committed, and of those that aborted.
    committed: BTreeSet<String>,
    aborted: BTreeSet<String>,
    acked: Vec<(PartitionId, i64, String)>,
    /// DeleteRecords done at a leader and not yet acknowledged: the partition, the leader, its new log start.
    deleting: Vec<(PartitionId, BrokerId, i64)>,
    /// Per partition, the highest log start an acknowledged DeleteRecords moved it to.
    deleted_before: BTreeMap<PartitionId, i64>,
    /// Per partition, the highest log start any leader moved it to, acknowledged or not: as in Kafka, a
    /// DeleteRecords that failed (its leader lost the partition) may still take effect once that broker leads.
    maybe_deleted_before: BTreeMap<PartitionId, i64>,
    /// Each broker's storage, kept only from the storage events it reported.
    stores: BTreeMap<BrokerId, BTreeMap<PartitionId, Vec<StoredBatch>>>,
    /// Each partition's replicas when no reassignment was under way, to count the moves that completed.
    placed: BTreeMap<PartitionId, Vec<BrokerId>>,
    trace: Vec<String>,
    report: Report,
}

fn value_of(producer: i64, number: usize) -> String {
    format!("p{producer}-{number}")
}

impl Sim {
    fn new(seed: u64, c: &SimConfig) -> Sim {
        let ids: Vec<BrokerId> = (1..=c.brokers).collect();
        let mut sim = Sim {
            now: 0,
            rng: SplitMix64::new(seed),
            faults: c.faults,
            controller: Controller::new(ids.iter().copied(), SESSION_TIMEOUT_MS, 0),
            brokers: ids.iter().map(|&b| (b, Broker::new(b, TIMING))).collect(),
            up: ids.iter().copied().collect(),
            queue: BTreeMap::new(),
            sent: 0,
            cut_off: BTreeSet::new(),
            producers: Vec::new(),
            consumers: BTreeMap::new(),
            committed_consumers: BTreeMap::new(),
            committed: BTreeSet::new(),
            aborted: BTreeSet::new(),
            acked: Vec::new(),
            deleting: Vec::new(),
            deleted_before: BTreeMap::new(),
            maybe_deleted_before: BTreeMap::new(),
            stores: BTreeMap::new(),
            placed: BTreeMap::new(),
            trace: Vec::new(),
            report: Report::default(),
        };
        for p in 0..c.partitions {
            let id: PartitionId = ("t".into(), p);
            // Replicas rotate over the brokers, as Kafka's placement does; RF is 3 (or every broker if fewer).
            let rf = c.brokers.min(3) as usize;
            let replicas = (0..rf).map(|i| ids[(p as usize + i) % ids.len()]).collect();
            let out = sim.controller.create_partition(id.clone(), replicas, MIN_INSYNC.min(rf));
            sim.route(out);
            sim.consumers.insert(id, Consumer::default());
        }
        for i in 0..c.producers {
            let partition = ("t".into(), (i as u32) % c.partitions);
            let txn = (i < c.transactional).then(txn::Txn::default);
            sim.producers.push(Producer {
                producer_id: 1000 + i as i64,
                partition,
                next_number: 0,
                in_flight: None,
                txn,
            });
        }
        sim
    }

    fn chance(&mut self, per_mille: usize) -> bool {
        self.rng.below(1000) < per_mille
    }

    fn log(&mut self, event: String) {
        self.trace.push(format!("t={} {event}", self.now));
    }

    /// Sends envelopes: each arrives after a random latency (so they reorder), and with faults some are lost
    /// or arrive twice.
    fn route(&mut self, out: Vec<Envelope>) {
        let mut told = BTreeSet::new();
        for e in &out {
            if let super::Message::State(s) = &e.message {
                if told.insert((s.partition.clone(), s.partition_epoch)) {
                    self.log(format!(
                        "controller: {}-{} leader {:?} epoch {} isr {:?}",
                        s.partition.0, s.partition.1, s.leader, s.leader_epoch, s.isr
                    ));
                }
            }
        }
        for e in out {
            let mut latency = 1 + self.rng.below(4) as i64;
            if self.faults && self.chance(20) {
                continue; // dropped
            }
            if self.faults && self.chance(20) {
                latency += 30 + self.rng.below(60) as i64; // delayed well past its neighbours
            }
            let copies = if self.faults && self.chance(10) { 2 } else { 1 };
            for _ in 0..copies {
                self.sent += 1;
                self.queue.insert((self.now + latency, self.sent), e.clone());
            }
        }
    }

    fn reachable(&self, from: Node, to: Node) -> bool {
        let cut = |n: Node| matches!(n, Node::Broker(b) if self.cut_off.contains(&b));
        cut(from) == cut(to)
    }

    fn deliver_due(&mut self) {
        while let Some((&(at, seq), _)) = self.queue.first_key_value() {
            if at > self.now {
                break;
            }
            let e = self.queue.remove(&(at, seq)).expect("just seen");
            if !self.reachable(e.from, e.to) {
                continue;
            }
            let out = match e.to {
                Node::Controller => self.controller.handle(e.message, self.now),
                Node::Broker(b) if self.up.contains(&b) => {
                    self.brokers.get_mut(&b).expect("a broker").handle(e.from, e.message, self.now)
                }
                Node::Broker(_) => continue,
            };
            self.route(out);
        }
    }

    fn tick(&mut self) {
        let epochs_before: i32 = self.controller.partitions().map(|p| p.leader_epoch).sum();
        let out = self.controller.tick(self.now);
        self.route(out);
        let up: Vec<BrokerId> = self.up.iter().copied().collect();
        for b in up {
            let out = self.brokers.get_mut(&b).expect("a broker").tick(self.now);
            self.route(out);
        }
        let epochs_after: i32 = self.controller.partitions().map(|p| p.leader_epoch).sum();
        self.report.leader_changes += epochs_after - epochs_before;
        for state in self.controller.partitions().filter(|s| !s.is_moving()) {
            if self.placed.insert(state.partition.clone(), state.replicas.clone()).is_some_and(|r| r != state.replicas)
            {
                self.report.moves += 1;
            }
        }
    }

    fn inject_fault(&mut self) {
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let b = ids[self.rng.below(ids.len())];
        match self.rng.below(4) {
            0 if self.up.contains(&b) => {
                self.up.remove(&b);
                self.report.crashes += 1;
                self.log(format!("broker {b} crashes"));
            }
            0 | 1 if !self.up.contains(&b) => {
                self.up.insert(b);
                let now = self.now;
                self.brokers.get_mut(&b).expect("a broker").restart(now);
                self.log(format!("broker {b} restarts"));
            }
            2 if self.cut_off.is_empty() => {
                self.cut_off.insert(b);
                self.report.partitions += 1;
                self.log(format!("broker {b} is cut off from the rest of the network"));
            }
            2 => {
                self.cut_off.clear();
                self.log("the network heals".into());
            }
            3 => {
                self.brokers.get_mut(&b).expect("a broker").fail_next_write();
                self.report.storage_failures += 1;
                self.log(format!("broker {b}'s next storage write fails"));
            }
            _ => {}
        }
    }

    /// A producer sends (or re-sends) its batch to the partition's leader, or collects the answer.
    fn produce(&mut self, i: usize, may_start: bool) -> Result<(), String> {
        if self.maybe_end_txn(i, may_start) {
            self.end_txn(i);
            return Ok(());
        }
        let now = self.now;
        let p = self.producers[i].clone();
        let Some(flight) = p.in_flight.clone().or_else(|| {
            may_start.then_some(InFlight {
                number: p.next_number,
                sequence: p.next_number as i32,
                sent_ms: now,
                waiting_at: None,
            })
        }) else {
            return Ok(());
        };
        if let Some((broker, _)) = flight.waiting_at {
            // Still waiting; a crashed broker never answers, and a slow one times out.
            if self.up.contains(&broker) && now - flight.sent_ms <= TIMING.request_timeout_ms + 50 {
                self.producers[i].in_flight = Some(flight);
                return Ok(());
            }
        }
        let Some(leader) = self.controller.partition(&p.partition).and_then(|s| s.leader) else {
            self.producers[i].in_flight = Some(InFlight { waiting_at: None, ..flight });
            return Ok(());
        };
        if !self.up.contains(&leader) || self.cut_off.contains(&leader) {
            self.producers[i].in_flight = Some(InFlight { waiting_at: None, ..flight });
            return Ok(());
        }
        let record = Record::new(value_of(p.producer_id, flight.number), now);
        let batch = ProducerBatch::of(p.producer_id, 0, flight.sequence, 1)
            .map(|b| ProducerBatch { transactional: p.txn.is_some(), ..b });
        let broker = self.brokers.get_mut(&leader).expect("a broker");
        let outcome = broker.produce(&p.partition, vec![record], batch, -1, now);
        let caused = broker.take_outbox();
        self.route(caused);
        let flight = InFlight { sent_ms: now, waiting_at: None, ..flight };
        match outcome {
            ProduceOutcome::Pending(id) => {
                self.producers[i].in_flight = Some(InFlight { waiting_at: Some((leader, id)), ..flight });
                Ok(())
            }
            ProduceOutcome::Done(result) => self.answered(i, flight, result),
        }
    }

    fn answered(&mut self, i: usize, flight: InFlight, result: Result<i64, Error>) -> Result<(), String> {
        let p = &mut self.producers[i];
        match result {
            Ok(offset) => {
                let value = value_of(p.producer_id, flight.number);
                self.trace
                    .push(format!("t={} acked {value} at {}-{}@{offset}", self.now, p.partition.0, p.partition.1));
                if let Some(txn) = &mut p.txn {
                    txn.open.push(value.clone());
                }
                self.acked.push((p.partition.clone(), offset, value));
                p.next_number = flight.number + 1;
                p.in_flight = None;
                self.report.acked += 1;
                Ok(())
            }
            Err(e) if e.retriable() => {
                p.in_flight = Some(InFlight { waiting_at: None, ..flight });
                Ok(())
            }
            Err(e) => Err(format!("producer {} got a non-retriable error: {e}", p.producer_id)),
        }
    }

    fn collect_answers(&mut self) -> Result<(), String> {
        let mut answers = Vec::new();
        for (b, broker) in self.brokers.iter_mut() {
            answers.extend(broker.take_completed().into_iter().map(|c| (*b, c)));
        }
        for (b, c) in answers {
            let Some(i) =
                self.producers.iter().position(|p| p.in_flight.as_ref().and_then(|f| f.waiting_at) == Some((b, c.id)))
            else {
                continue;
            };
            let flight = self.producers[i].in_flight.clone().expect("found by it");
            self.answered(i, flight, c.result)?;
        }
        Ok(())
    }

    /// DeleteRecords at a partition's leader, before a random offset up to its high watermark (or -1).
    fn delete_records(&mut self) {
        let partitions: Vec<PartitionId> = self.consumers.keys().cloned().collect();
        let id = partitions[self.rng.below(partitions.len())].clone();
        let Some(leader) = self.controller.partition(&id).and_then(|s| s.leader) else { return };
        if !self.up.contains(&leader) {
            return;
        }
        let Some(log) = self.brokers[&leader].log(&id) else { return };
        let (start, hw) = (log.log_start_offset(), log.high_watermark());
        let offset = if self.chance(300) { -1 } else { start + self.rng.below((hw - start + 1) as usize) as i64 };
        let now = self.now;
        let broker = self.brokers.get_mut(&leader).expect("a broker");
        if let Ok(new_start) = broker.delete_records(&id, offset, now) {
            let out = broker.take_outbox();
            self.route(out);
            self.deleting.push((id.clone(), leader, new_start));
            let maybe = self.maybe_deleted_before.entry(id.clone()).or_default();
            *maybe = (*maybe).max(new_start);
            self.report.deletions += 1;
            self.log(format!("broker {leader} deletes the records of {}-{} before {new_start}", id.0, id.1));
        }
    }

    /// An operator's AlterPartitionReassignments: a partition moves to two or three brokers in any order, or
    /// the move under way is cancelled.
    fn reassign(&mut self) {
        let partitions: Vec<PartitionId> = self.consumers.keys().cloned().collect();
        let id = partitions[self.rng.below(partitions.len())].clone();
        let target = (!self.chance(250)).then(|| {
            let mut brokers: Vec<BrokerId> = self.brokers.keys().copied().collect();
            for i in (1..brokers.len()).rev() {
                brokers.swap(i, self.rng.below(i + 1));
            }
            brokers.truncate((2 + self.rng.below(2)).min(brokers.len()));
            brokers
        });
        let replicas_before = self.controller.partition(&id).map(|s| s.replicas.clone());
        // Cancelling with nothing under way is refused; there is nothing more to it.
        if let Ok(out) = self.controller.reassign(&id, target.clone()) {
            self.report.reassignments += 1;
            self.log(format!("reassign {}-{} from {replicas_before:?} to {target:?}", id.0, id.1));
            self.route(out);
        }
    }

    /// Acknowledges the DeleteRecords whose every replica on a broker the controller holds alive has moved its
    /// log start (Kafka's low watermark); forgets those whose leader lost the partition first
    /// (NOT_LEADER_OR_FOLLOWER).
    fn acknowledge_deletions(&mut self) {
        let mut acknowledged = Vec::new();
        self.deleting.retain(|(id, leader, start)| {
            let Some(state) = self.controller.partition(id).filter(|s| s.leader == Some(*leader)) else { return false };
            // Live as the leader knows it, from the controller: a broker that crashed but is not fenced yet
            // still counts (it is in the ISR, and could lead again with the records it kept).
            let live = |b: &&BrokerId| self.controller.is_alive(**b);
            let low = state
                .replicas
                .iter()
                .filter(live)
                .filter_map(|b| self.brokers[b].log(id))
                .map(|l| l.log_start_offset())
                .min();
            if low.is_some_and(|low| low >= *start) {
                acknowledged.push((id.clone(), *start));
                return false;
            }
            true
        });
        for (id, start) in acknowledged {
            let before = self.deleted_before.entry(id.clone()).or_default();
            *before = (*before).max(start);
            self.log(format!("the deletion of {}-{} before {start} is acknowledged", id.0, id.1));
        }
    }

    /// A consumer reads below the high watermark, from the replica in its rack (KIP-392): brokers stand in
    /// two racks, and consumers of even partitions in one, odd in the other.
    fn consume(&mut self, partition: &PartitionId) -> Result<(), String> {
        let racks: BTreeMap<BrokerId, String> = self.brokers.keys().map(|b| (*b, format!("rack{}", b % 2))).collect();
        let rack = format!("rack{}", partition.1 % 2);
        let Some(state) = self.controller.partition(partition) else { return Ok(()) };
        let Some(replica) = super::preferred_read_replica(state, &racks, Some(&rack)) else { return Ok(()) };
        if !self.up.contains(&replica) || self.cut_off.contains(&replica) {
            return Ok(());
        }
        // A position the log no longer holds (DeleteRecords) starts again at the log start, as
        // auto.offset.reset=earliest does.
        let start = self.brokers[&replica].log(partition).map_or(0, |l| l.log_start_offset());
        let consumer = self.consumers.get_mut(partition).expect("one per partition");
        consumer.position = consumer.position.max(start);
        let position = consumer.position;
        let batches = self.brokers[&replica].read(partition, position).map(|(batches, _hw)| batches);
        if batches.is_ok() && Some(replica) != state.leader {
            self.report.follower_reads += 1;
        }
        let consumer = self.consumers.get_mut(partition).expect("one per partition");
        for bytes in batches.unwrap_or_default() {
            for batch in decode_batches(&bytes).unwrap_or_default() {
                if batch.attributes.is_control() {
                    consumer.position = consumer.position.max(batch.last_offset() + 1);
                    continue;
                }
                for (offset, record) in batch.consumer_records().filter(|(o, _)| *o >= position) {
                    let value = String::from_utf8_lossy(record.value.as_deref().unwrap_or_default()).into_owned();
                    consumer.seen.push((offset, value));
                    consumer.position = offset + 1;
                    self.report.consumed += 1;
                }
            }
        }
        // Until everything committed is read, when the cluster has settled.
        while self.read_committed(partition, replica)? && !self.faults {}
        Ok(())
    }

    /// Applies what each broker said changed in its logs to its model storage.
    fn write_storage(&mut self) {
        for (b, broker) in self.brokers.iter_mut() {
            let store = self.stores.entry(*b).or_default();
            for event in broker.take_storage_events() {
                match event {
                    StorageEvent::Appended(p, batch) => store.entry(p).or_default().push(batch),
                    StorageEvent::TruncatedTo(p, offset) => {
                        store.entry(p).or_default().retain(|batch| batch.last_offset < offset);
                    }
                    StorageEvent::StartMoved(p, removed) => {
                        store.entry(p).or_default().retain(|batch| !removed.contains(&batch.base_offset));
                    }
                    StorageEvent::Dropped(p) => {
                        store.remove(&p);
                    }
                }
            }
        }
    }

    fn step(&mut self, may_start: bool) -> Result<(), String> {
        self.now += 1 + self.rng.below(3) as i64;
        self.deliver_due();
        self.tick();
        self.write_storage();
        self.collect_answers()?;
        for i in 0..self.producers.len() {
            if self.chance(300) {
                self.produce(i, may_start)?;
            }
        }
        // An operator's DeleteRecords and reassignments, among the faults (a run without them checks that every
        // record is read).
        if may_start && self.faults && self.chance(3) {
            self.delete_records();
        }
        if may_start && self.faults && self.chance(2) {
            self.reassign();
        }
        self.acknowledge_deletions();
        let partitions: Vec<PartitionId> = self.consumers.keys().cloned().collect();
        for p in partitions {
            if self.chance(100) {
                self.consume(&p)?;
            }
        }
        Ok(())
    }

    /// Heals everything and lets the cluster settle: what is in flight finishes, nothing new starts.
    fn settle(&mut self) -> Result<(), String> {
        self.faults = false;
        self.cut_off.clear();
        let down: Vec<BrokerId> = self.brokers.keys().copied().filter(|b| !self.up.contains(b)).collect();
        for b in down {
            self.up.insert(b);
            let now = self.now;
            self.brokers.get_mut(&b).expect("a broker").restart(now);
        }
        self.log("settling: every broker up, the network whole, no more faults".into());
        let end = self.now + SETTLE_MS;
        while self.now < end {
            self.step(false)?;
        }
        // Then no client at all for a while, so the last writes reach every replica.
        let quiet = self.now + 500;
        while self.now < quiet {
            self.now += 1 + self.rng.below(3) as i64;
            self.deliver_due();
            self.tick();
        }
        self.write_storage();
        self.collect_answers()?;
        let partitions: Vec<PartitionId> = self.consumers.keys().cloned().collect();
        for p in partitions {
            self.consume(&p)?;
        }
        Ok(())
    }
}

/// Runs one seed for `steps` steps of faults, then settles and checks.
fn run_steps(seed: u64, config: &SimConfig, steps: usize) -> Result<Report, (String, Vec<String>)> {
    let mut sim = Sim::new(seed, config);
    let mut run = || -> Result<(), String> {
        for _ in 0..steps {
            if sim.faults && sim.chance(8) {
                sim.inject_fault();
            }
            sim.step(true)?;
        }
        sim.settle()?;
        sim.check()
    };
    match run() {
        Ok(()) => Ok(sim.report),
        Err(broken) => {
            let mut trace = sim.trace;
            for (b, broker) in &sim.brokers {
                for state in sim.controller.partitions() {
                    if let Some(log) = broker.log(&state.partition) {
                        trace.push(format!(
                            "end: broker {b} {}-{}: LEO {} HW {} epochs {:?}",
                            state.partition.0,
                            state.partition.1,
                            log.log_end_offset(),
                            log.high_watermark(),
                            log.leader_epochs().entries()
                        ));
                    }
                }
            }
            Err((broken, trace))
        }
    }
}

/// Runs a seed; a failure is narrowed to the shortest prefix of steps that still fails.
pub fn run(seed: u64, config: &SimConfig) -> Result<Report, Failure> {
    let (broken, trace) = match run_steps(seed, config, config.steps) {
        Ok(report) => return Ok(report),
        Err(failure) => failure,
    };
    // The run is a pure function of (seed, steps), so a binary search finds the shortest failing prefix.
    let (mut good, mut bad, mut worst) = (0, config.steps, (broken, trace));
    while bad - good > 1 {
        let mid = (good + bad) / 2;
        match run_steps(seed, config, mid) {
            Ok(_) => good = mid,
            Err(f) => (bad, worst) = (mid, f),
        }
    }
    Err(Failure { seed, steps: bad, broken: worst.0, trace: worst.1 })
}
