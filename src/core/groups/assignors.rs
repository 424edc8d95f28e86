//! Partition assignors, as Kafka's group leader runs them: range, round-robin (KafkaJS's default) and
//! cooperative-sticky (KIP-429). Each takes every member's subscription and the partition count of each topic, and
//! gives each member its partitions. Members and partitions are taken in sorted order, so every leader computes
//! the same answer.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::core::error::Error;

pub type TopicPartition = (String, u32);

/// One member's subscription: its topics, and (for cooperative-sticky) what it owns now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub topics: Vec<String>,
    pub owned: Vec<TopicPartition>,
    /// The member's metadata for the group's protocol, where its assignor has its own (a custom one's
    /// ConsumerProtocol bytes); empty for franz's assignors, which read the fields above.
    #[serde(default)]
    pub metadata: Vec<u8>,
}

/// An assignor a member offers: one of franz's, or one the application brings (KafkaJS's custom assigner
/// functions), known to the group by its protocol name and run by the shell when this member leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupProtocol {
    Builtin(Assignor),
    Custom(String),
}

impl GroupProtocol {
    pub fn name(&self) -> &str {
        match self {
            GroupProtocol::Builtin(a) => a.name(),
            GroupProtocol::Custom(name) => name,
        }
    }
}

impl From<Assignor> for GroupProtocol {
    fn from(a: Assignor) -> GroupProtocol {
        GroupProtocol::Builtin(a)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignor {
    Range,
    RoundRobin,
    CooperativeSticky,
}

impl Assignor {
    /// Kafka's protocol names.
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    pub fn from_name(name: &str) -> Result<Assignor, Error> {
        Ok(match name {
            "range" => Assignor::Range,
            "roundrobin" | "round-robin" => Assignor::RoundRobin,
            "cooperative-sticky" => Assignor::CooperativeSticky,
            other => {
                return Err(Error::InconsistentGroupProtocol(format!(
                    "unknown partition assignor {other:?}: franz has range, roundrobin and cooperative-sticky"
                )))
            }
        })
    }

    /// Whether partitions that move are first revoked in one rebalance and assigned in the next (KIP-429), so
    /// that partitions that do not move are consumed throughout.
    pub fn is_cooperative(self) -> bool {
        self == Assignor::CooperativeSticky
    }

    /// Every member's partitions. Members subscribed to nothing, or beyond the partition count, get none.
    pub fn assign(
        self,
        members: &BTreeMap<String, Subscription>,
        partitions: &BTreeMap<String, u32>,
    ) -> BTreeMap<String, Vec<TopicPartition>> {
        let mut out: BTreeMap<String, Vec<TopicPartition>> = members.keys().map(|m| (m.clone(), Vec::new())).collect();
        match self {
            Assignor::Range => range(members, partitions, &mut out),
            Assignor::RoundRobin => round_robin(members, partitions, &mut out),
            Assignor::CooperativeSticky => sticky(members, partitions, &mut out),
        }
        for list in out.values_mut() {
            list.sort();
        }
        out
    }
}

fn subscribed<'a>(members: &'a BTreeMap<String, Subscription>, topic: &str) -> Vec<&'a String> {
    members.iter().filter(|(_, s)| s.topics.iter().any(|t| t == topic)).map(|(m, _)| m).collect()
}

/// Kafka's RangeAssignor: per topic, the subscribed members in order each take a contiguous range; the first
/// `partitions % members` take one more.
fn range(
    members: &BTreeMap<String, Subscription>,
    partitions: &BTreeMap<String, u32>,
    out: &mut BTreeMap<String, Vec<TopicPartition>>,
) {
    for (topic, &count) in partitions {
        let takers = subscribed(members, topic);
        if takers.is_empty() {
            continue;
        }
        let (each, extra) = (count as usize / takers.len(), count as usize % takers.len());
        let mut next = 0u32;
        for (i, m) in takers.into_iter().enumerate() {
            let n = (each + usize::from(i < extra)) as u32;
            out.get_mut(m).expect("every member has an entry").extend((next..next + n).map(|p| (topic.clone(), p)));
            next += n;
        }
    }
}

/// Kafka's RoundRobinAssignor: all partitions in order, dealt to the members in turn, each skipping members
/// not subscribed to its topic.
fn round_robin(
    members: &BTreeMap<String, Subscription>,
    partitions: &BTreeMap<String, u32>,
    out: &mut BTreeMap<String, Vec<TopicPartition>>,
) {
    let order: Vec<&String> = members.keys().collect();
    if order.is_empty() {
        return;
    }
    let mut turn = 0;
    for (topic, &count) in partitions {
        for p in 0..count {
            for _ in 0..order.len() {
                let m = order[turn % order.len()];
                turn += 1;
                if members[m].topics.iter().any(|t| t == topic) {
                    out.get_mut(m).expect("every member has an entry").push((topic.clone(), p));
                    break;
                }
            }
        }
    }
}

/// Kafka's sticky assignment, for members with the same subscriptions and those without: every member ends
/// within one partition of every other (of those subscribed), and a partition stays with its owner whenever
/// that keeps the balance. Cooperative: a partition that changes owner is left unassigned this time (its
/// owner revokes it), and goes to its new owner in the rebalance that follows.
fn sticky(
    members: &BTreeMap<String, Subscription>,
    partitions: &BTreeMap<String, u32>,
    out: &mut BTreeMap<String, Vec<TopicPartition>>,
) {
    let exists = |tp: &TopicPartition| partitions.get(&tp.0).is_some_and(|&n| tp.1 < n);
    let wants = |m: &str, tp: &TopicPartition| members[m].topics.contains(&tp.0);
    // Keep what each member owns and may still have, each partition at most once.
    let mut taken = BTreeSet::new();
    let mut target: BTreeMap<String, Vec<TopicPartition>> = BTreeMap::new();
    for (m, s) in members {
        let kept = s.owned.iter().filter(|tp| exists(tp) && wants(m, tp) && taken.insert((*tp).clone())).cloned();
        target.insert(m.clone(), kept.collect());
    }
    let all: Vec<TopicPartition> = partitions.iter().flat_map(|(t, &n)| (0..n).map(move |p| (t.clone(), p))).collect();
    let takers: Vec<&String> = members.iter().filter(|(_, s)| !s.topics.is_empty()).map(|(m, _)| m).collect();
    if takers.is_empty() {
        return;
    }
    // Balance: nobody may hold more than the fair share (rounded up, and only as many rounded-up shares as
    // there are extra partitions); what is over goes back to the pool.
    let assignable = all.iter().filter(|tp| takers.iter().any(|m| wants(m, tp))).count();
    let (fair, mut extra) = (assignable / takers.len(), assignable % takers.len());
    let mut pool: Vec<TopicPartition> = all.iter().filter(|tp| !taken.contains(*tp)).cloned().collect();
    let mut by_load: Vec<&String> = takers.clone();
    by_load.sort_by_key(|m| std::cmp::Reverse(target[*m].len()));
    for m in by_load {
        let list = target.get_mut(m).expect("every member has an entry");
        let quota = if extra > 0 && list.len() > fair {
            extra -= 1;
            fair + 1
        } else {
            fair
        };
        while list.len() > quota {
            pool.push(list.pop().expect("longer than its quota"));
        }
    }
    pool.sort();
    // Deal the pool to the least loaded members that want each partition.
    for tp in pool {
        let fewest = takers.iter().filter(|m| wants(m, &tp)).min_by_key(|m| (target[**m].len(), (**m).clone()));
        if let Some(m) = fewest {
            target.get_mut(*m).expect("every member has an entry").push(tp);
        }
    }
    // Cooperative: a partition another member owns now is revoked this round, assigned the next.
    let owner: BTreeMap<&TopicPartition, &String> =
        members.iter().flat_map(|(m, s)| s.owned.iter().map(move |tp| (tp, m))).collect();
    for (m, list) in target {
        let settled: Vec<TopicPartition> =
            list.into_iter().filter(|tp| owner.get(tp).is_none_or(|o| *o == &m)).collect();
        out.insert(m, settled);
    }
}
