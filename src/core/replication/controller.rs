//! The controller: broker liveness by heartbeats, leader election, and the ISR as leaders ask to change it.

use std::collections::BTreeMap;

use super::{BrokerId, Envelope, Message, Node, PartitionId, PartitionState};
use crate::core::error::Error;

#[derive(Debug, Clone)]
struct Liveness {
    last_heartbeat_ms: i64,
    alive: bool,
}

#[derive(Debug, Clone)]
pub struct Controller {
    brokers: BTreeMap<BrokerId, Liveness>,
    partitions: BTreeMap<PartitionId, PartitionState>,
    /// Kafka's `broker.session.timeout.ms`: a broker not heard from for this long is dead.
    session_timeout_ms: i64,
    /// Kafka's `unclean.leader.election.enable`: the cluster default, and topics that override it.
    unclean_election: bool,
    unclean_topics: BTreeMap<String, bool>,
    /// Partitions led by a replica that was not in the ISR: what they had above its log end is lost.
    pub unclean_elections: Vec<(PartitionId, BrokerId, i32)>,
}

impl Controller {
    pub fn new(brokers: impl IntoIterator<Item = BrokerId>, session_timeout_ms: i64, now_ms: i64) -> Controller {
        Controller {
            brokers: brokers.into_iter().map(|b| (b, Liveness { last_heartbeat_ms: now_ms, alive: true })).collect(),
            partitions: BTreeMap::new(),
            session_timeout_ms,
            unclean_election: false,
            unclean_topics: BTreeMap::new(),
            unclean_elections: Vec::new(),
        }
    }

    pub fn set_unclean_election(&mut self, enabled: bool) {
        self.unclean_election = enabled;
    }

    /// A topic's own `unclean.leader.election.enable`.
    pub fn set_topic_unclean_election(&mut self, topic: &str, enabled: bool) {
        self.unclean_topics.insert(topic.to_owned(), enabled);
    }

    fn unclean_allowed(&self, id: &PartitionId) -> bool {
        self.unclean_topics.get(&id.0).copied().unwrap_or(self.unclean_election)
    }

    pub fn partition(&self, id: &PartitionId) -> Option<&PartitionState> {
        self.partitions.get(id)
    }

    pub fn partitions(&self) -> impl Iterator<Item = &PartitionState> {
        self.partitions.values()
    }

    pub fn is_alive(&self, broker: BrokerId) -> bool {
        self.brokers.get(&broker).is_some_and(|l| l.alive)
    }

    /// A new partition on `replicas`, led by the first, all in sync.
    pub fn create_partition(&mut self, id: PartitionId, replicas: Vec<BrokerId>, min_insync: usize) -> Vec<Envelope> {
        let state = PartitionState {
            partition: id.clone(),
            leader: replicas.first().copied(),
            isr: replicas.clone(),
            replicas,
            leader_epoch: 0,
            partition_epoch: 0,
            min_insync_replicas: min_insync,
            adding: Vec::new(),
            removing: Vec::new(),
        };
        self.partitions.insert(id.clone(), state);
        self.publish(&id)
    }

    /// A partition as storage recorded it, for a reopened cluster: brokers learn it from their first heartbeat.
    pub fn restore_partition(&mut self, state: PartitionState) {
        self.partitions.insert(state.partition.clone(), state);
    }

    /// The partition is gone (its topic was deleted).
    pub fn remove_partition(&mut self, id: &PartitionId) {
        self.partitions.remove(id);
        if !self.partitions.keys().any(|p| p.0 == id.0) {
            self.unclean_topics.remove(&id.0);
        }
    }

    /// `min.insync.replicas` of a topic changed: its partitions' leaders learn it with a new partition epoch.
    pub fn set_min_insync(&mut self, topic: &str, min_insync: usize) -> Vec<Envelope> {
        let changed: Vec<PartitionId> = self
            .partitions
            .values_mut()
            .filter(|p| p.partition.0 == topic && p.min_insync_replicas != min_insync)
            .map(|p| {
                p.min_insync_replicas = min_insync;
                p.partition_epoch += 1;
                p.partition.clone()
            })
            .collect();
        changed.iter().flat_map(|id| self.publish(id)).collect()
    }

    /// The state of `id`, to each of its replicas.
    fn publish(&self, id: &PartitionId) -> Vec<Envelope> {
        self.publish_to(id, &[])
    }

    /// The state of `id`, to each of its replicas and to `former` ones, which learn from it that they host it
    /// no more.
    fn publish_to(&self, id: &PartitionId, former: &[BrokerId]) -> Vec<Envelope> {
        let Some(state) = self.partitions.get(id) else { return Vec::new() };
        state
            .replicas
            .iter()
            .chain(former.iter().filter(|b| !state.replicas.contains(b)))
            .map(|&b| Envelope { from: Node::Controller, to: Node::Broker(b), message: Message::State(state.clone()) })
            .collect()
    }

    /// Kafka's AlterPartitionReassignments for one partition (KIP-455): moves it to `target` (which the caller
    /// checked: brokers that exist, none twice), or with `None` cancels the reassignment under way. The target
    /// replicas join first, as followers that catch up; once all are in the ISR, the reassignment completes:
    /// the replicas become `target`, those leaving drop their logs, and leadership moves if the leader left.
    /// A new target while one is under way replaces it: the replicas before that move stay until the new one
    /// completes, and so do those it added that are already in sync; the others it added go at once.
    pub fn reassign(&mut self, id: &PartitionId, target: Option<Vec<BrokerId>>) -> Result<Vec<Envelope>, Error> {
        let Some(state) = self.partitions.get_mut(id) else {
            return Err(Error::UnknownTopicOrPartition(format!("{}-{} does not exist", id.0, id.1)));
        };
        let original = state.original_replicas();
        let target = match target {
            Some(t) => t,
            None if !state.is_moving() => {
                return Err(Error::NoReassignmentInProgress(format!("{}-{} is not being reassigned", id.0, id.1)))
            }
            None => original,
        };
        // The replicas that stay until the move is done: the original ones, and those an earlier move added that
        // are in sync (they may hold what the others lack, and one may lead). Joining ones not in the target go
        // at once.
        let keep: Vec<BrokerId> =
            state.replicas.iter().copied().filter(|b| !state.adding.contains(b) || state.isr.contains(b)).collect();
        let before = state.replicas.clone();
        state.replicas = target.iter().chain(keep.iter().filter(|b| !target.contains(b))).copied().collect();
        state.adding = target.iter().copied().filter(|b| !keep.contains(b)).collect();
        state.removing = keep.iter().copied().filter(|b| !target.contains(b)).collect();
        state.isr.retain(|b| state.replicas.contains(b));
        state.partition_epoch += 1;
        let mut out = self.publish_to(id, &before);
        out.extend(self.complete_reassignment(id));
        Ok(out)
    }

    /// Completes `id`'s reassignment once every target replica is in the ISR (at once when none joins).
    fn complete_reassignment(&mut self, id: &PartitionId) -> Vec<Envelope> {
        let Some(state) = self.partitions.get_mut(id) else { return Vec::new() };
        let target = state.target_replicas();
        if !state.is_moving() || !target.iter().all(|b| state.isr.contains(b)) {
            return Vec::new();
        }
        let leaving = std::mem::take(&mut state.removing);
        state.adding.clear();
        state.replicas = target;
        state.isr.retain(|b| !leaving.contains(b));
        if state.leader.is_some_and(|l| leaving.contains(&l)) {
            // The ISR is all target replicas now: the first of them that is alive leads.
            let alive: Vec<BrokerId> = self.brokers.iter().filter(|(_, l)| l.alive).map(|(b, _)| *b).collect();
            let state = self.partitions.get_mut(id).expect("found above");
            state.leader = state.replicas.iter().copied().find(|b| alive.contains(b) && state.isr.contains(b));
            state.leader_epoch += 1;
        }
        let state = self.partitions.get_mut(id).expect("found above");
        state.partition_epoch += 1;
        self.publish_to(id, &leaving)
    }

    pub fn handle(&mut self, message: Message, now_ms: i64) -> Vec<Envelope> {
        match message {
            Message::Heartbeat { broker, known } => {
                let mut out = self.heartbeat(broker, now_ms);
                if out.is_empty() {
                    out = self.missed(broker, &known);
                }
                out
            }
            Message::AlterIsr { partition, leader, leader_epoch, partition_epoch, isr } => {
                let Some(state) = self.partitions.get_mut(&partition) else { return Vec::new() };
                // Only the current leader, at the current epochs, may change the ISR; a stale request is dropped.
                if state.leader != Some(leader)
                    || state.leader_epoch != leader_epoch
                    || state.partition_epoch != partition_epoch
                    || isr.is_empty()
                    || !isr.contains(&leader)
                {
                    return self.publish(&partition);
                }
                // A broker the controller knows to be dead does not join.
                let isr: Vec<BrokerId> = isr.into_iter().filter(|b| *b == leader || self.is_alive_now(*b)).collect();
                let state = self.partitions.get_mut(&partition).expect("checked above");
                state.isr = isr;
                state.partition_epoch += 1;
                let mut out = self.publish(&partition);
                out.extend(self.complete_reassignment(&partition));
                out.extend(self.prefer(&partition));
                out
            }
            _ => Vec::new(),
        }
    }

    /// The states of partitions `broker` hosts whose partition epoch it does not know, and of those it still
    /// hosts that were reassigned away from it.
    fn missed(&self, broker: BrokerId, known: &[(PartitionId, i32)]) -> Vec<Envelope> {
        let hosts = |p: &PartitionState| p.replicas.contains(&broker);
        let knows = |p: &PartitionState| known.iter().any(|(id, _)| *id == p.partition);
        self.partitions
            .values()
            .filter(|p| hosts(p) || knows(p))
            .filter(|p| !known.iter().any(|(id, epoch)| *id == p.partition && *epoch == p.partition_epoch))
            .map(|p| Envelope { from: Node::Controller, to: Node::Broker(broker), message: Message::State(p.clone()) })
            .collect()
    }

    fn is_alive_now(&self, broker: BrokerId) -> bool {
        self.is_alive(broker)
    }

    fn heartbeat(&mut self, broker: BrokerId, now_ms: i64) -> Vec<Envelope> {
        let Some(l) = self.brokers.get_mut(&broker) else { return Vec::new() };
        l.last_heartbeat_ms = now_ms;
        if l.alive {
            return Vec::new();
        }
        l.alive = true;
        // Back: it learns every partition it hosts, and leads those that wait for it (offline, with it in the ISR).
        let hosted: Vec<PartitionId> =
            self.partitions.values().filter(|p| p.replicas.contains(&broker)).map(|p| p.partition.clone()).collect();
        let mut out = Vec::new();
        for id in hosted {
            let unclean = self.unclean_allowed(&id);
            let state = self.partitions.get_mut(&id).expect("listed above");
            if state.leader.is_none() && (state.isr.contains(&broker) || unclean) {
                if !state.isr.contains(&broker) {
                    state.isr = vec![broker];
                    self.unclean_elections.push((id.clone(), broker, state.leader_epoch + 1));
                }
                state.leader = Some(broker);
                state.leader_epoch += 1;
                state.partition_epoch += 1;
            }
            out.extend(self.publish(&id));
        }
        out
    }

    /// Declares brokers silent past the session timeout dead, and moves their leaderships; runs preferred leader
    /// election.
    pub fn tick(&mut self, now_ms: i64) -> Vec<Envelope> {
        let dead: Vec<BrokerId> = self
            .brokers
            .iter()
            .filter(|(_, l)| l.alive && now_ms - l.last_heartbeat_ms > self.session_timeout_ms)
            .map(|(b, _)| *b)
            .collect();
        let mut out = Vec::new();
        for broker in dead {
            out.extend(self.broker_died(broker));
        }
        let ids: Vec<PartitionId> = self.partitions.keys().cloned().collect();
        for id in ids {
            out.extend(self.prefer(&id));
        }
        out
    }

    /// A broker is fenced: it leaves every ISR (unless it is the last member, which keeps the partition's
    /// history pointing at it), and its leaderships go to live ISR members.
    fn broker_died(&mut self, broker: BrokerId) -> Vec<Envelope> {
        if let Some(l) = self.brokers.get_mut(&broker) {
            l.alive = false;
        }
        let hosted: Vec<PartitionId> =
            self.partitions.values().filter(|p| p.replicas.contains(&broker)).map(|p| p.partition.clone()).collect();
        let mut out = Vec::new();
        for id in hosted {
            let alive: Vec<BrokerId> = self.brokers.iter().filter(|(_, l)| l.alive).map(|(b, _)| *b).collect();
            let unclean = self.unclean_allowed(&id);
            let state = self.partitions.get_mut(&id).expect("listed above");
            let live_isr: Vec<BrokerId> = state.isr.iter().copied().filter(|b| alive.contains(b)).collect();
            let was_leader = state.leader == Some(broker);
            if !live_isr.is_empty() {
                state.isr = live_isr.clone();
            }
            if was_leader {
                let clean = state.replicas.iter().copied().find(|b| live_isr.contains(b));
                let elected = clean
                    .or_else(|| unclean.then(|| state.replicas.iter().copied().find(|b| alive.contains(b))).flatten());
                state.leader = elected;
                state.leader_epoch += 1;
                if let (None, Some(b)) = (clean, elected) {
                    state.isr = vec![b];
                    self.unclean_elections.push((id.clone(), b, state.leader_epoch));
                }
            }
            state.partition_epoch += 1;
            out.extend(self.publish(&id));
        }
        out
    }

    /// Preferred replica election: the first assigned replica leads whenever it is alive and in the ISR.
    fn prefer(&mut self, id: &PartitionId) -> Vec<Envelope> {
        let Some(state) = self.partitions.get(id) else { return Vec::new() };
        let Some(&preferred) = state.replicas.first() else { return Vec::new() };
        if state.leader == Some(preferred) || !state.isr.contains(&preferred) || !self.is_alive(preferred) {
            return Vec::new();
        }
        let state = self.partitions.get_mut(id).expect("checked above");
        state.leader = Some(preferred);
        state.leader_epoch += 1;
        state.partition_epoch += 1;
        self.publish(id)
    }
}
