//! A deterministic simulation of a consumer group in a whole cluster: consumers ([`GroupMember`]) join, leave
//! and crash while a producer keeps writing to a replicated topic, and brokers die and come back, the group's
//! coordinator among them. Every call goes through the cluster's protocol, as the shell's do: the group calls
//! need the coordinator (the leader of the group's `__consumer_offsets` partition), and commits are records of
//! that replicated topic, accepted only from a member of the current generation. The checker asserts:
//! - every record is processed at least once (at-least-once delivery);
//! - records processed twice are no more than what crashed members, and members fenced by a newer generation
//!   when they gave their partitions up, had processed without committing (the gap after a crash is bounded
//!   by the records uncommitted at that moment);
//! - at any time, no partition is read by two members of the current generation.

use std::collections::{BTreeMap, BTreeSet};

use super::assignors::{Assignor, TopicPartition};
use super::coordinator::Reply;
use super::link::{self, GroupLink};
use super::member::{Action, GroupMember, MemberConfig};
use crate::core::cluster::{Cluster, NewTopic};
use crate::core::error::Error;
use crate::core::log::OffsetSpec;
use crate::core::protocol::{Request, Response};
use crate::core::record::Record;
use crate::core::rng::SplitMix64;

#[derive(Debug, Clone)]
pub struct GroupSimConfig {
    pub partitions: u32,
    pub max_consumers: usize,
    pub steps: usize,
    pub assignor: Assignor,
}

impl Default for GroupSimConfig {
    fn default() -> Self {
        GroupSimConfig { partitions: 4, max_consumers: 5, steps: 1500, assignor: Assignor::RoundRobin }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GroupReport {
    pub produced: usize,
    pub processed: usize,
    pub reprocessed: usize,
    pub crashes: usize,
    /// Members that gave partitions up after a newer generation had fenced them (their commit was refused).
    pub fenced: usize,
    /// Brokers killed (and later restarted), and how many of those led the group's coordinator partition.
    pub broker_kills: usize,
    pub coordinator_kills: usize,
    pub leaves: usize,
    pub generations: i32,
}

const GROUP: &str = "g";
const TOPIC: &str = "t";
const STEP_MS: i64 = 10;
const BROKERS: i32 = 3;

/// What a commit got.
#[derive(PartialEq)]
enum Commit {
    Done,
    /// The member is not in the current generation (it missed a rebalance): its work is the next owner's.
    Fenced,
    /// No coordinator right now (its broker died): the positions stay to commit later.
    Unavailable,
}

struct Consumer {
    member: GroupMember,
    /// Next offset to read, per owned partition.
    positions: BTreeMap<u32, i64>,
    /// Records processed since the last commit, per partition.
    uncommitted: BTreeMap<u32, i64>,
}

struct Sim {
    now: i64,
    rng: SplitMix64,
    config: GroupSimConfig,
    cluster: Cluster,
    consumers: BTreeMap<usize, Consumer>,
    next_consumer: usize,
    down: BTreeSet<i32>,
    times_processed: BTreeMap<(u32, i64), usize>,
    /// What crashed consumers had processed without committing.
    lost_uncommitted: i64,
    report: GroupReport,
    trace: Vec<String>,
}

impl Sim {
    fn new(seed: u64, config: GroupSimConfig) -> Sim {
        let mut cluster = Cluster::new(BROKERS, seed);
        let topic = NewTopic::new(TOPIC, config.partitions as i32, BROKERS);
        cluster.create_topic(&topic, false).expect("a valid topic");
        let mut sim = Sim {
            now: 0,
            rng: SplitMix64::new(seed),
            config,
            cluster,
            consumers: BTreeMap::new(),
            next_consumer: 0,
            down: BTreeSet::new(),
            times_processed: BTreeMap::new(),
            lost_uncommitted: 0,
            report: GroupReport::default(),
            trace: Vec::new(),
        };
        sim.add_consumer();
        sim
    }

    fn add_consumer(&mut self) {
        let id = self.next_consumer;
        self.next_consumer += 1;
        let member = GroupMember::new(MemberConfig {
            group: GROUP.into(),
            client_id: format!("c{id}"),
            topics: vec![TOPIC.into()],
            assignors: vec![self.config.assignor.into()],
            session_timeout_ms: 300,
            rebalance_timeout_ms: 600,
            heartbeat_interval_ms: 50,
        });
        self.consumers.insert(id, Consumer { member, positions: BTreeMap::new(), uncommitted: BTreeMap::new() });
        self.trace.push(format!("t={} consumer {id} starts", self.now));
    }

    fn partitions(&self) -> BTreeMap<String, u32> {
        [(TOPIC.to_owned(), self.config.partitions)].into_iter().collect()
    }

    /// The end of what consumers may read of a partition (its high watermark); 0 while it has no leader.
    fn log_end(&self, p: u32) -> i64 {
        let latest = self.cluster.list_offsets(TOPIC, p as i32, OffsetSpec::Latest);
        latest.ok().flatten().map_or(0, |o| o.offset)
    }

    /// Commits a consumer's processed positions through the cluster (OffsetCommit, generation-checked).
    fn commit(&mut self, id: usize) -> Commit {
        let Some(c) = self.consumers.get_mut(&id) else { return Commit::Done };
        commit(&mut self.cluster, self.now, &c.member, &c.positions, &mut c.uncommitted)
    }

    /// Runs a consumer's member actions through the cluster (`groups::link`).
    fn act(&mut self, id: usize, actions: Vec<Action>) {
        let partitions = self.partitions();
        let Some(Consumer { member, positions, uncommitted }) = self.consumers.get_mut(&id) else { return };
        let mut link = SimLink {
            id,
            now: self.now,
            cluster: &mut self.cluster,
            positions,
            uncommitted,
            lost_uncommitted: &mut self.lost_uncommitted,
            report: &mut self.report,
            trace: &mut self.trace,
        };
        // Assigning reads committed offsets from memory: it cannot fail.
        let _ = link::run(member, actions, &partitions, self.now, &mut link);
    }

    fn deliver_replies(&mut self) {
        let partitions = self.partitions();
        for reply in self.cluster.groups.take_replies() {
            let (Reply::Join { member_id, .. } | Reply::Sync { member_id, .. }) = &reply;
            let member_id = member_id.clone();
            let Some(id) =
                self.consumers.iter().find(|(_, c)| c.member.member_id.as_ref() == Some(&member_id)).map(|(i, _)| *i)
            else {
                continue;
            };
            let member = &mut self.consumers.get_mut(&id).expect("found").member;
            let actions = member.on_reply(reply, &partitions, self.now);
            self.act(id, actions);
        }
    }

    fn process(&mut self) {
        let ends: BTreeMap<u32, i64> = (0..self.config.partitions).map(|p| (p, self.log_end(p))).collect();
        let ids: Vec<usize> = self.consumers.keys().copied().collect();
        for id in ids {
            // A member reads what it owns: everything while stable, and (cooperative) what it keeps meanwhile.
            let c = self.consumers.get_mut(&id).expect("listed");
            for (&p, position) in c.positions.iter_mut() {
                let end = ends[&p];
                let n = (end - *position).clamp(0, 3); // nothing while the partition has no leader
                for offset in *position..*position + n {
                    *self.times_processed.entry((p, offset)).or_insert(0) += 1;
                    self.report.processed += 1;
                }
                *position += n;
                *c.uncommitted.entry(p).or_insert(0) += n;
            }
        }
    }

    /// No partition is read by two members of the current generation.
    fn check_exclusive(&self) -> Result<(), String> {
        let generation = self.cluster.groups.describe(GROUP).map_or(-1, |d| d.generation);
        let mut readers: BTreeMap<u32, usize> = BTreeMap::new();
        for (id, c) in &self.consumers {
            if c.member.generation != generation {
                continue;
            }
            for p in c.positions.keys() {
                if let Some(other) = readers.insert(*p, *id) {
                    return Err(format!(
                        "partition {p} is read by consumers {other} and {id} in generation {generation}"
                    ));
                }
            }
        }
        Ok(())
    }

    fn step(&mut self, faults: bool) -> Result<(), String> {
        self.now += STEP_MS;
        if faults {
            let p = self.rng.below(self.config.partitions as usize) as i32;
            let record = Record::new(format!("r{}", self.report.produced), self.now);
            // While the partition's leader is dead and not yet replaced, the write fails; the producer moves on.
            if self.cluster.produce_records(TOPIC, p, vec![record], None, self.now).is_ok() {
                self.report.produced += 1;
            }
        }
        self.cluster.tick_coordinators(self.now);
        self.cluster.tick(self.now).map_err(|e| format!("the cluster's tick failed: {e}"))?;
        self.deliver_replies();
        let ids: Vec<usize> = self.consumers.keys().copied().collect();
        for id in ids {
            let actions = self.consumers.get_mut(&id).expect("listed").member.poll(self.now);
            self.act(id, actions);
        }
        self.deliver_replies();
        self.process();
        let ids: Vec<usize> = self.consumers.keys().copied().collect();
        for id in ids {
            if self.rng.below(100) < 10 {
                let _ = self.commit(id);
            }
        }
        if !faults {
            for b in std::mem::take(&mut self.down) {
                self.restart(b);
            }
        }
        if faults {
            self.fault();
        }
        self.check_exclusive()
    }

    fn fault(&mut self) {
        let roll = self.rng.below(1000);
        let ids: Vec<usize> = self.consumers.keys().copied().collect();
        if roll < 8 && self.consumers.len() < self.config.max_consumers {
            self.add_consumer();
        } else if roll < 14 && !ids.is_empty() {
            let id = ids[self.rng.below(ids.len())];
            let c = self.consumers.remove(&id).expect("listed");
            let uncommitted: i64 = c.uncommitted.values().sum();
            self.lost_uncommitted += uncommitted;
            self.report.crashes += 1;
            self.trace.push(format!("t={} consumer {id} crashes with {uncommitted} uncommitted", self.now));
        } else if roll < 18 && !ids.is_empty() {
            let id = ids[self.rng.below(ids.len())];
            let actions = self.consumers.get_mut(&id).expect("listed").member.leave();
            self.act(id, actions);
            self.consumers.remove(&id);
            self.report.leaves += 1;
            self.trace.push(format!("t={} consumer {id} leaves", self.now));
        } else if roll < 20 && self.down.is_empty() {
            // One broker at a time dies, often the coordinator's: its partitions and the group move.
            let coordinator = self.cluster.find_coordinator(GROUP).ok();
            let b = if self.rng.below(2) == 0 { coordinator } else { None }
                .unwrap_or_else(|| 1 + self.rng.below(BROKERS as usize) as i32);
            if self.cluster.kill_broker(b, self.now).is_ok() {
                self.down.insert(b);
                self.report.broker_kills += 1;
                self.report.coordinator_kills += usize::from(coordinator == Some(b));
                self.trace.push(format!("t={} broker {b} dies (coordinator: {coordinator:?})", self.now));
            }
        } else if roll < 24 {
            if let Some(b) = self.down.pop_first() {
                self.restart(b);
            }
        }
        if self.consumers.is_empty() {
            self.add_consumer();
        }
    }

    fn restart(&mut self, b: i32) {
        let _ = self.cluster.restart_broker(b, self.now);
        self.trace.push(format!("t={} broker {b} restarts", self.now));
    }

    fn check(&self) -> Result<(), String> {
        for p in 0..self.config.partitions {
            for offset in 0..self.log_end(p) {
                if !self.times_processed.contains_key(&(p, offset)) {
                    return Err(format!("record {p}@{offset} was never processed"));
                }
            }
        }
        let again: usize = self.times_processed.values().map(|n| n - 1).sum();
        if again as i64 > self.lost_uncommitted {
            return Err(format!(
                "{again} records were processed again, more than the {} crashed consumers had not committed",
                self.lost_uncommitted
            ));
        }
        Ok(())
    }
}

/// Commits `positions` as `member` through the cluster; what went in is no longer uncommitted.
fn commit(
    cluster: &mut Cluster,
    now: i64,
    member: &GroupMember,
    positions: &BTreeMap<u32, i64>,
    uncommitted: &mut BTreeMap<u32, i64>,
) -> Commit {
    let id = member.member_id.clone().map(|m| (m, member.generation));
    for (&p, &offset) in positions {
        let request = Request::OffsetCommit {
            group: GROUP.into(),
            topic: TOPIC.into(),
            partition: p as i32,
            offset,
            metadata: None,
            member: id.clone(),
        };
        match cluster.handle(request, now) {
            Ok(_) => {
                uncommitted.remove(&p);
            }
            Err(Error::CoordinatorNotAvailable(_)) => return Commit::Unavailable,
            // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS: the next owner reads it again.
            Err(_) => return Commit::Fenced,
        }
    }
    Commit::Done
}

/// One consumer's side of the group protocol in the simulation.
struct SimLink<'a> {
    id: usize,
    now: i64,
    cluster: &'a mut Cluster,
    positions: &'a mut BTreeMap<u32, i64>,
    uncommitted: &'a mut BTreeMap<u32, i64>,
    lost_uncommitted: &'a mut i64,
    report: &'a mut GroupReport,
    trace: &'a mut Vec<String>,
}

impl GroupLink for SimLink<'_> {
    fn call(&mut self, request: Request) -> crate::core::error::Result<Response> {
        self.cluster.handle(request, self.now)
    }

    /// None here: the simulation delivers the coordinator's replies between steps, as a network would.
    fn replies(&mut self, _member_id: &str) -> Vec<Reply> {
        Vec::new()
    }

    fn revoke(&mut self, member: &GroupMember, partitions: Vec<TopicPartition>) {
        let outcome = commit(self.cluster, self.now, member, self.positions, self.uncommitted);
        if outcome != Commit::Done {
            let lost: i64 = partitions.iter().filter_map(|(_, p)| self.uncommitted.get(p)).sum();
            *self.lost_uncommitted += lost;
            let why = if outcome == Commit::Fenced { "was fenced" } else { "found no coordinator" };
            self.report.fenced += usize::from(outcome == Commit::Fenced);
            self.trace.push(format!("t={} consumer {} {why} with {lost} uncommitted", self.now, self.id));
        }
        for (_, p) in partitions {
            self.positions.remove(&p);
            self.uncommitted.remove(&p);
        }
    }

    fn assign(&mut self, _member: &GroupMember, partitions: Vec<TopicPartition>) -> crate::core::error::Result<()> {
        for (_, p) in partitions {
            let committed = self.cluster.committed_offset(GROUP, TOPIC, p).ok().flatten();
            self.positions.insert(p, committed.map_or(0, |c| c.offset));
        }
        Ok(())
    }
}

/// Runs one seed; the error carries what broke and the trace of joins, leaves and crashes.
pub fn run_group(seed: u64, config: &GroupSimConfig) -> Result<GroupReport, String> {
    let mut sim = Sim::new(seed, config.clone());
    let mut run = || -> Result<(), String> {
        for _ in 0..config.steps {
            sim.step(true)?;
        }
        // Settle: no more faults or records; everything left is processed and committed.
        for _ in 0..300 {
            sim.step(false)?;
        }
        sim.check()
    };
    match run() {
        Ok(()) => {
            let mut report = sim.report.clone();
            report.reprocessed = sim.times_processed.values().map(|n| n - 1).sum();
            report.generations = sim.cluster.groups.describe(GROUP).map_or(0, |d| d.generation);
            Ok(report)
        }
        Err(broken) => Err(format!("seed {seed}: {broken}\n  {}", sim.trace.join("\n  "))),
    }
}

/// Which partitions each consumer owns in the final state (for tests).
pub fn owned_after(seed: u64, config: &GroupSimConfig) -> Vec<Vec<TopicPartition>> {
    let mut sim = Sim::new(seed, config.clone());
    for _ in 0..config.max_consumers - 1 {
        sim.add_consumer();
    }
    for _ in 0..100 {
        let _ = sim.step(false);
    }
    sim.consumers.values().map(|c| c.member.owned.clone()).collect()
}
