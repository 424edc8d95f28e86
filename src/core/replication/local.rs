//! Brokers that share one process, as a tab's do: every message is delivered at once, in order, until none is
//! left, so replication between live brokers completes within the call that caused it. A killed broker gets
//! nothing and sends nothing; time (heartbeats, session and lag timeouts) moves only with `tick`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::{Acks, Broker, BrokerId, Completed, Controller, Envelope, Node, PartitionId, ProduceOutcome, Timing};
use crate::core::error::Error;
use crate::core::log::{AppendInfo, PartitionLog, ProducerBatch};
use crate::core::protocol::ProduceData;
use crate::core::record::Record;
use crate::core::topic::TopicConfig;

/// More deliveries than this in one settle means something loops; it stops rather than hang the tab.
const MAX_DELIVERIES: usize = 1_000_000;

#[derive(Debug, Clone)]
pub struct LocalCluster {
    pub controller: Controller,
    pub brokers: BTreeMap<BrokerId, Broker>,
    down: BTreeSet<BrokerId>,
    /// A network partition: the group of each broker; messages cross only within a group, and the controller
    /// is in the first. Empty when the network is whole.
    groups: BTreeMap<BrokerId, usize>,
    queue: VecDeque<Envelope>,
}

impl LocalCluster {
    pub fn new(brokers: i32, timing: Timing, session_timeout_ms: i64, now_ms: i64) -> LocalCluster {
        let ids: Vec<BrokerId> = (1..=brokers).collect();
        LocalCluster {
            controller: Controller::new(ids.iter().copied(), session_timeout_ms, now_ms),
            brokers: ids.iter().map(|&b| (b, Broker::new(b, timing))).collect(),
            down: BTreeSet::new(),
            groups: BTreeMap::new(),
            queue: VecDeque::new(),
        }
    }

    pub fn is_up(&self, broker: BrokerId) -> bool {
        self.brokers.contains_key(&broker) && !self.down.contains(&broker)
    }

    pub fn create_partition(&mut self, id: PartitionId, replicas: Vec<BrokerId>, min_insync: usize, now_ms: i64) {
        let out = self.controller.create_partition(id, replicas, min_insync);
        self.queue.extend(out);
        self.settle(now_ms);
    }

    /// Starts (or, with `None`, cancels) a partition's reassignment; the joining replicas start copying at once.
    pub fn reassign(&mut self, id: &PartitionId, target: Option<Vec<BrokerId>>, now_ms: i64) -> Result<(), Error> {
        let out = self.controller.reassign(id, target)?;
        self.queue.extend(out);
        self.settle(now_ms);
        Ok(())
    }

    /// Delivers messages until none is left.
    pub fn settle(&mut self, now_ms: i64) {
        for _ in 0..MAX_DELIVERIES {
            let Some(e) = self.queue.pop_front() else { return };
            if matches!(e.from, Node::Broker(b) if self.down.contains(&b)) || self.group(e.from) != self.group(e.to) {
                continue;
            }
            let out = match e.to {
                Node::Controller => self.controller.handle(e.message, now_ms),
                Node::Broker(b) if self.down.contains(&b) => continue,
                Node::Broker(b) => match self.brokers.get_mut(&b) {
                    Some(broker) => broker.handle(e.from, e.message, now_ms),
                    None => continue,
                },
            };
            self.queue.extend(out);
        }
    }

    /// Sends `messages` (a broker's answers the shell completed, such as reads from storage) and delivers.
    pub fn send(&mut self, messages: Vec<Envelope>, now_ms: i64) {
        self.queue.extend(messages);
        self.settle(now_ms);
    }

    /// Moves time: heartbeats, fetches, ISR changes, elections, timeouts. The brokers go first, so that after a
    /// long gap between ticks (a throttled tab) the controller hears every live broker before it judges one dead.
    pub fn tick(&mut self, now_ms: i64) {
        for (b, broker) in self.brokers.iter_mut() {
            if !self.down.contains(b) {
                self.queue.extend(broker.tick(now_ms));
            }
        }
        self.settle(now_ms);
        let out = self.controller.tick(now_ms);
        self.queue.extend(out);
        self.settle(now_ms);
    }

    /// Produces at `broker`. Replication happens at the next `settle` (the caller's, so that several acks=1
    /// writes can share one).
    pub fn produce(
        &mut self,
        broker: BrokerId,
        partition: &PartitionId,
        records: Vec<Record>,
        producer: Option<ProducerBatch>,
        acks: i16,
        now_ms: i64,
    ) -> ProduceOutcome {
        let append = ProduceData::records(&records, producer).leader_append(now_ms);
        self.produce_with(broker, partition, Acks::of(acks), now_ms, append).0
    }

    /// [`LocalCluster::produce`] with the leader's append given (see [`Broker::produce_with`]).
    pub fn produce_with(
        &mut self,
        broker: BrokerId,
        partition: &PartitionId,
        acks: Acks,
        now_ms: i64,
        append: impl FnOnce(&mut PartitionLog, i32, &TopicConfig) -> Result<AppendInfo, Error>,
    ) -> (ProduceOutcome, Option<AppendInfo>) {
        match self.brokers.get_mut(&broker).filter(|_| !self.down.contains(&broker)) {
            Some(b) => {
                let produced = b.produce_with(partition, acks, now_ms, append);
                self.queue.extend(b.take_outbox());
                produced
            }
            None => (ProduceOutcome::Done(Err(Error::BrokerNotAvailable(format!("broker {broker} is down")))), None),
        }
    }

    /// DeleteRecords at `broker`, the partition's leader (see [`Broker::delete_records`]); followers it can
    /// reach learn the new log start within this call. Returns the leader's new log start.
    pub fn delete_records(
        &mut self,
        broker: BrokerId,
        partition: &PartitionId,
        offset: i64,
        now_ms: i64,
    ) -> Result<i64, Error> {
        let Some(b) = self.brokers.get_mut(&broker).filter(|_| !self.down.contains(&broker)) else {
            return Err(Error::BrokerNotAvailable(format!("broker {broker} is down")));
        };
        let start = b.delete_records(partition, offset, now_ms)?;
        self.queue.extend(b.take_outbox());
        self.settle(now_ms);
        Ok(start)
    }

    /// A topic's config, to every broker (down ones too: they read it from the metadata when they come back).
    pub fn set_topic_config(&mut self, topic: &str, config: &TopicConfig, now_ms: i64) {
        for b in self.brokers.values_mut() {
            b.set_topic_config(topic, config.clone());
        }
        self.controller.set_topic_unclean_election(topic, config.unclean_leader_election_enable);
        let out = self.controller.set_min_insync(topic, config.min_insync_replicas.max(1) as usize);
        self.queue.extend(out);
        self.settle(now_ms);
    }

    /// The partition is deleted: the controller forgets it and every broker drops its replica, down or not (its
    /// storage is deleted with it).
    pub fn delete_partition(&mut self, partition: &PartitionId) {
        self.controller.remove_partition(partition);
        for b in self.brokers.values_mut() {
            b.drop_replica(partition);
        }
    }

    /// The brokers that are down.
    pub fn down(&self) -> impl Iterator<Item = BrokerId> + '_ {
        self.down.iter().copied()
    }

    /// The network's groups while it is partitioned (empty when it is whole), each sorted.
    pub fn network_groups(&self) -> Vec<Vec<BrokerId>> {
        let mut groups: BTreeMap<usize, Vec<BrokerId>> = BTreeMap::new();
        for (b, g) in &self.groups {
            groups.entry(*g).or_default().push(*b);
        }
        groups.into_values().collect()
    }

    /// Answers to acks=all writes that have them, with the broker that gave each.
    pub fn take_completed(&mut self) -> Vec<(BrokerId, Completed)> {
        let mut out = Vec::new();
        for (b, broker) in self.brokers.iter_mut() {
            out.extend(broker.take_completed().into_iter().map(|c| (*b, c)));
        }
        out
    }

    fn group(&self, node: Node) -> usize {
        match node {
            Node::Controller => 0,
            Node::Broker(b) => self.groups.get(&b).copied().unwrap_or(0),
        }
    }

    /// Splits the network into `groups` of brokers that reach only each other; the controller is with the first
    /// group. Every broker must be in exactly one group.
    pub fn partition_network(&mut self, groups: &[Vec<BrokerId>]) -> Result<(), Error> {
        let mut placed = BTreeMap::new();
        for (i, group) in groups.iter().enumerate() {
            for &b in group {
                if !self.brokers.contains_key(&b) {
                    return Err(Error::InvalidRequest(format!("there is no broker {b}")));
                }
                if placed.insert(b, i).is_some() {
                    return Err(Error::InvalidRequest(format!("broker {b} is in two groups")));
                }
            }
        }
        if let Some(b) = self.brokers.keys().find(|b| !placed.contains_key(b)) {
            return Err(Error::InvalidRequest(format!("broker {b} is in no group")));
        }
        self.groups = placed;
        Ok(())
    }

    /// Makes the network whole again.
    pub fn heal_network(&mut self) {
        self.groups.clear();
    }

    /// The broker stops: it gets nothing and sends nothing until `restart`.
    pub fn kill(&mut self, broker: BrokerId) {
        self.down.insert(broker);
    }

    /// The broker comes back with what its storage holds, and rejoins through its heartbeat.
    pub fn restart(&mut self, broker: BrokerId, now_ms: i64) {
        if self.down.remove(&broker) {
            if let Some(b) = self.brokers.get_mut(&broker) {
                b.restart(now_ms);
                self.queue.extend(b.tick(now_ms));
            }
            self.settle(now_ms);
        }
    }
}
