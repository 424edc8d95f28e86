//! A deterministic simulation of a consumer group: consumers ([`GroupMember`]) join, leave and crash while a
//! producer keeps writing to a topic; the coordinator runs the classic protocol, and consumers process records
//! from their partitions and commit. Offsets are committed only by a member of the current generation, as Kafka
//! checks them. The checker asserts:
//! - every record is processed at least once (at-least-once delivery);
//! - records processed twice are no more than what crashed members, and members fenced by a newer generation
//!   when they gave their partitions up, had processed without committing (the gap after a crash is bounded
//!   by the records uncommitted at that moment);
//! - at any time, no partition is read by two members of the current generation.

use std::collections::BTreeMap;

use super::assignors::{Assignor, TopicPartition};
use super::coordinator::{Coordinator, Reply};
use super::member::{Action, GroupMember, MemberConfig};
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
    pub leaves: usize,
    pub generations: i32,
}

const GROUP: &str = "g";
const TOPIC: &str = "t";
const STEP_MS: i64 = 10;

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
    coordinator: Coordinator,
    consumers: BTreeMap<usize, Consumer>,
    next_consumer: usize,
    log_end: BTreeMap<u32, i64>,
    committed: BTreeMap<u32, i64>,
    times_processed: BTreeMap<(u32, i64), usize>,
    /// What crashed consumers had processed without committing.
    lost_uncommitted: i64,
    report: GroupReport,
    trace: Vec<String>,
}

impl Sim {
    fn new(seed: u64, config: GroupSimConfig) -> Sim {
        let mut sim = Sim {
            now: 0,
            rng: SplitMix64::new(seed),
            log_end: (0..config.partitions).map(|p| (p, 0)).collect(),
            config,
            coordinator: Coordinator::new(),
            consumers: BTreeMap::new(),
            next_consumer: 0,
            committed: BTreeMap::new(),
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
            assignors: vec![self.config.assignor],
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

    /// Commits a consumer's processed positions, if it is a member of the current generation; returns whether
    /// it could.
    fn commit(&mut self, id: usize) -> bool {
        let generation = self.coordinator.describe(GROUP).map(|d| (d.generation, d.members));
        let c = self.consumers.get_mut(&id).expect("a consumer");
        let valid = generation.is_some_and(|(g, members)| {
            g == c.member.generation && members.iter().any(|(m, _, _)| Some(m) == c.member.member_id.as_ref())
        });
        if !valid {
            return false; // ILLEGAL_GENERATION: a fenced member's work is processed again by the next owner
        }
        for (&p, &position) in &c.positions {
            let entry = self.committed.entry(p).or_insert(0);
            *entry = (*entry).max(position);
        }
        c.uncommitted.clear();
        true
    }

    fn act(&mut self, id: usize, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            let now = self.now;
            match action {
                Action::Join(join) => {
                    let member_id = self.coordinator.join(join, now);
                    self.consumers.get_mut(&id).expect("a consumer").member.member_id = Some(member_id);
                }
                Action::Sync { group, member_id, generation, assignments } => {
                    self.coordinator.sync(&group, &member_id, generation, assignments, now);
                }
                Action::Heartbeat { group, member_id, generation } => {
                    let result = self.coordinator.heartbeat(&group, &member_id, generation, now);
                    let more = self.consumers.get_mut(&id).expect("a consumer").member.on_heartbeat(result);
                    queue.extend(more);
                }
                Action::Leave { group, member_id } => {
                    let _ = self.coordinator.leave(&group, &member_id, now);
                }
                Action::Revoke(tps) => {
                    if !self.commit(id) {
                        let c = &self.consumers[&id];
                        let fenced: i64 = tps.iter().filter_map(|(_, p)| c.uncommitted.get(p)).sum();
                        self.lost_uncommitted += fenced;
                        self.report.fenced += 1;
                        self.trace.push(format!("t={now} consumer {id} was fenced with {fenced} uncommitted"));
                    }
                    let c = self.consumers.get_mut(&id).expect("a consumer");
                    for (_, p) in tps {
                        c.positions.remove(&p);
                        c.uncommitted.remove(&p);
                    }
                }
                Action::Assign(tps) => {
                    for (_, p) in tps {
                        let from = self.committed.get(&p).copied().unwrap_or(0);
                        self.consumers.get_mut(&id).expect("a consumer").positions.insert(p, from);
                    }
                }
            }
        }
    }

    fn deliver_replies(&mut self) {
        let partitions = self.partitions();
        for reply in self.coordinator.take_replies() {
            let (member_id, is_join) = match &reply {
                Reply::Join { member_id, .. } => (member_id.clone(), true),
                Reply::Sync { member_id, .. } => (member_id.clone(), false),
            };
            let Some(id) =
                self.consumers.iter().find(|(_, c)| c.member.member_id.as_ref() == Some(&member_id)).map(|(i, _)| *i)
            else {
                continue;
            };
            let now = self.now;
            let member = &mut self.consumers.get_mut(&id).expect("found").member;
            let actions = match reply {
                Reply::Join { result, .. } if is_join => member.on_joined(result, &partitions),
                Reply::Sync { result, .. } => member.on_synced(result, now),
                Reply::Join { .. } => Vec::new(),
            };
            self.act(id, actions);
        }
    }

    fn process(&mut self) {
        let ids: Vec<usize> = self.consumers.keys().copied().collect();
        for id in ids {
            // A member reads what it owns: everything while stable, and (cooperative) what it keeps meanwhile.
            let c = self.consumers.get_mut(&id).expect("listed");
            for (&p, position) in c.positions.iter_mut() {
                let end = self.log_end[&p];
                let n = (end - *position).min(3);
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
        let generation = self.coordinator.describe(GROUP).map_or(-1, |d| d.generation);
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
            let p = self.rng.below(self.config.partitions as usize) as u32;
            *self.log_end.get_mut(&p).expect("a partition") += 1;
            self.report.produced += 1;
        }
        self.coordinator.tick(self.now);
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
        }
        if self.consumers.is_empty() {
            self.add_consumer();
        }
    }

    fn check(&self) -> Result<(), String> {
        for (&p, &end) in &self.log_end {
            for offset in 0..end {
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
            report.generations = sim.coordinator.describe(GROUP).map_or(0, |d| d.generation);
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
