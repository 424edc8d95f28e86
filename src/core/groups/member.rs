//! A consumer's side of the group protocol, as a state machine: when to JoinGroup, SyncGroup (running the
//! assignor when it leads), Heartbeat and LeaveGroup, and which partitions to start or stop reading as answers
//! come in. Sans-IO: it says what to send and what to do; the shell (or the simulator) sends and reads.
//!
//! With an eager assignor (range, round-robin) a member gives up every partition before it rejoins; with
//! cooperative-sticky it keeps consuming what it owns, gives up only what the new assignment takes away, and
//! then rejoins once more so those partitions reach their new owner (KIP-429).

use std::collections::BTreeMap;

use super::assignors::{Assignor, GroupProtocol, Subscription, TopicPartition};
use super::coordinator::{Join, Joined, Reply};
use crate::core::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// Must send a JoinGroup.
    Unjoined,
    /// A JoinGroup is out.
    Joining,
    /// A SyncGroup is out.
    Syncing,
    Stable,
}

/// What the member wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Join(Join),
    Sync {
        group: String,
        member_id: String,
        generation: i32,
        assignments: Option<BTreeMap<String, Vec<TopicPartition>>>,
    },
    Heartbeat {
        group: String,
        member_id: String,
        generation: i32,
    },
    Leave {
        group: String,
        member_id: String,
    },
    /// Stop reading these (commit what was processed of them first).
    Revoke(Vec<TopicPartition>),
    /// Start reading these, from the committed offsets.
    Assign(Vec<TopicPartition>),
    /// This member leads and the group's protocol is a custom assignor: run it over the members'
    /// subscriptions, then send the SyncGroup with its result.
    RunAssignor {
        protocol: String,
        members: BTreeMap<String, Subscription>,
        group: String,
        member_id: String,
        generation: i32,
    },
    /// The leader assigned this member topics it has not subscribed to, which it does not read (KafkaJS's
    /// `received_unsubscribed_topics`).
    Unsubscribed {
        assigned: Vec<String>,
        unsubscribed: Vec<String>,
    },
    /// The group refused this member for good (its ACLs, its settings, its assignors): stop consuming, with
    /// this error. Joining again cannot help, as Kafka's consumer throws it from `poll`.
    Fail(Error),
}

#[derive(Debug, Clone)]
pub struct MemberConfig {
    pub group: String,
    pub client_id: String,
    pub topics: Vec<String>,
    /// Assignors this member can run, preferred first (KafkaJS's default: round-robin).
    pub assignors: Vec<GroupProtocol>,
    pub session_timeout_ms: i64,
    pub rebalance_timeout_ms: i64,
    pub heartbeat_interval_ms: i64,
}

#[derive(Debug, Clone)]
pub struct GroupMember {
    config: MemberConfig,
    pub state: MemberState,
    pub member_id: Option<String>,
    pub generation: i32,
    pub leader: bool,
    /// The partitions this member reads now.
    pub owned: Vec<TopicPartition>,
    protocol: Option<GroupProtocol>,
    last_heartbeat_ms: i64,
}

impl GroupMember {
    pub fn new(config: MemberConfig) -> GroupMember {
        GroupMember {
            config,
            state: MemberState::Unjoined,
            member_id: None,
            generation: -1,
            leader: false,
            owned: Vec::new(),
            protocol: None,
            last_heartbeat_ms: i64::MIN / 2,
        }
    }

    /// A reply of the coordinator for this member: its JoinGroup's or its SyncGroup's answer.
    pub fn on_reply(&mut self, reply: Reply, partitions: &BTreeMap<String, u32>, now_ms: i64) -> Vec<Action> {
        match reply {
            Reply::Join { result, .. } => self.on_joined(result, partitions),
            Reply::Sync { result, .. } => self.on_synced(result, now_ms),
        }
    }

    pub fn config(&self) -> &MemberConfig {
        &self.config
    }

    fn cooperative(&self) -> bool {
        matches!(self.protocol, Some(GroupProtocol::Builtin(a)) if a.is_cooperative())
    }

    /// What to send now: a JoinGroup when out of the group, a Heartbeat when one is due.
    pub fn poll(&mut self, now_ms: i64) -> Vec<Action> {
        match self.state {
            MemberState::Unjoined => {
                self.state = MemberState::Joining;
                vec![Action::Join(Join {
                    group: self.config.group.clone(),
                    member_id: self.member_id.clone(),
                    client_id: self.config.client_id.clone(),
                    session_timeout_ms: self.config.session_timeout_ms,
                    rebalance_timeout_ms: self.config.rebalance_timeout_ms,
                    topics: self.config.topics.clone(),
                    protocols: self.config.assignors.iter().map(|a| a.name().to_owned()).collect(),
                    metadata: BTreeMap::new(),
                    owned: self.owned.clone(),
                })]
            }
            MemberState::Stable if now_ms - self.last_heartbeat_ms >= self.config.heartbeat_interval_ms => {
                self.last_heartbeat_ms = now_ms;
                let member_id = self.member_id.clone().unwrap_or_default();
                vec![Action::Heartbeat { group: self.config.group.clone(), member_id, generation: self.generation }]
            }
            _ => Vec::new(),
        }
    }

    /// A handler's own heartbeat (KafkaJS's payload `heartbeat()`): the Heartbeat to send if one is due while the
    /// member is stable. Nothing else moves: the loop acts on the group when the handler is done.
    pub fn heartbeat_if_due(&mut self, now_ms: i64) -> Option<Action> {
        if self.state != MemberState::Stable {
            return None;
        }
        self.poll(now_ms).pop()
    }

    /// A handler's heartbeat failed (the group may be rebalancing): the loop's next poll heartbeats at once, and
    /// acts on the answer.
    pub fn heartbeat_failed(&mut self) {
        self.last_heartbeat_ms = i64::MIN / 2;
    }

    /// Out of the group: gives up its partitions (all of them, unless cooperative and still a member) and
    /// joins again.
    fn rejoin(&mut self, keep_partitions: bool) -> Vec<Action> {
        self.state = MemberState::Unjoined;
        if keep_partitions && self.cooperative() {
            return Vec::new();
        }
        let revoked = std::mem::take(&mut self.owned);
        if revoked.is_empty() {
            Vec::new()
        } else {
            vec![Action::Revoke(revoked)]
        }
    }

    /// A JoinGroup refused for what this member is (its ACLs, its settings, assignors no other member runs):
    /// joining again cannot help, and Kafka's consumer throws it.
    fn joining_cannot_mend(e: &Error) -> bool {
        e.is_authorization()
            || matches!(
                e,
                Error::InconsistentGroupProtocol(_) | Error::InvalidSessionTimeout(_) | Error::InvalidGroupId(_)
            )
    }

    /// The JoinGroup answer. A leader runs the assignor over `partitions` (each subscribed topic's count).
    pub fn on_joined(&mut self, result: Result<Joined>, partitions: &BTreeMap<String, u32>) -> Vec<Action> {
        let joined = match result {
            Ok(j) => j,
            Err(Error::UnknownMemberId(_)) => {
                self.member_id = None;
                return self.rejoin(false);
            }
            Err(e) if Self::joining_cannot_mend(&e) => return vec![Action::Fail(e)],
            Err(_) => return self.rejoin(true),
        };
        self.member_id = Some(joined.member_id.clone());
        self.generation = joined.generation;
        self.leader = joined.leader == joined.member_id;
        self.protocol = self.config.assignors.iter().find(|a| a.name() == joined.protocol).cloned();
        // An eager member gives up everything before the new assignment.
        let mut actions = Vec::new();
        if !self.cooperative() && !self.owned.is_empty() {
            actions.push(Action::Revoke(std::mem::take(&mut self.owned)));
        }
        self.state = MemberState::Syncing;
        let assignments = match &self.protocol {
            _ if !self.leader => None,
            Some(GroupProtocol::Custom(protocol)) => {
                actions.push(Action::RunAssignor {
                    protocol: protocol.clone(),
                    members: joined.members,
                    group: self.config.group.clone(),
                    member_id: joined.member_id,
                    generation: joined.generation,
                });
                return actions;
            }
            Some(GroupProtocol::Builtin(assignor)) => Some(assignor.assign(&joined.members, partitions)),
            None => Some(Assignor::RoundRobin.assign(&joined.members, partitions)),
        };
        actions.push(Action::Sync {
            group: self.config.group.clone(),
            member_id: joined.member_id,
            generation: joined.generation,
            assignments,
        });
        actions
    }

    /// The SyncGroup answer: the member's partitions for this generation.
    pub fn on_synced(&mut self, result: Result<Vec<TopicPartition>>, now_ms: i64) -> Vec<Action> {
        let assigned = match result {
            Ok(a) => a,
            Err(Error::UnknownMemberId(_)) => {
                self.member_id = None;
                return self.rejoin(false);
            }
            Err(_) => return self.rejoin(true),
        };
        self.state = MemberState::Stable;
        self.last_heartbeat_ms = now_ms;
        let mut actions = Vec::new();
        // A custom assignor may hand out any topic; what this member did not subscribe to, it leaves unread.
        let subscribed = |tp: &TopicPartition| self.config.topics.contains(&tp.0);
        let (assigned, foreign): (Vec<TopicPartition>, Vec<TopicPartition>) =
            assigned.into_iter().partition(subscribed);
        if !foreign.is_empty() {
            actions.push(Action::Unsubscribed {
                assigned: topic_names(assigned.iter().chain(&foreign)),
                unsubscribed: topic_names(&foreign),
            });
        }
        let revoked: Vec<TopicPartition> = self.owned.iter().filter(|tp| !assigned.contains(tp)).cloned().collect();
        let added: Vec<TopicPartition> = assigned.iter().filter(|tp| !self.owned.contains(tp)).cloned().collect();
        self.owned = assigned;
        if !revoked.is_empty() {
            actions.push(Action::Revoke(revoked));
            // Cooperative: what it gave up goes to its new owner in one more round.
            if self.cooperative() {
                self.state = MemberState::Unjoined;
            }
        }
        if !added.is_empty() {
            actions.push(Action::Assign(added));
        }
        actions
    }

    /// The Heartbeat answer: a rebalance or a lost membership sends the member back to JoinGroup.
    pub fn on_heartbeat(&mut self, result: Result<()>) -> Vec<Action> {
        match result {
            Ok(()) => Vec::new(),
            Err(Error::RebalanceInProgress(_)) => self.rejoin(true),
            Err(Error::UnknownMemberId(_)) | Err(Error::IllegalGeneration(_)) => {
                self.member_id = None;
                self.rejoin(false)
            }
            Err(_) => Vec::new(),
        }
    }

    /// Leaving for good (stop, disconnect): give up everything (committing it, still as a member) and say so.
    /// The member is done; a consumer that runs again joins as a new one.
    pub fn leave(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        let revoked = std::mem::take(&mut self.owned);
        if !revoked.is_empty() {
            actions.push(Action::Revoke(revoked));
        }
        if let Some(member_id) = self.member_id.clone() {
            actions.push(Action::Leave { group: self.config.group.clone(), member_id });
        }
        self.state = MemberState::Unjoined;
        actions
    }
}

/// The topics of `partitions`, each once, in order.
fn topic_names<'a>(partitions: impl IntoIterator<Item = &'a TopicPartition>) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = partitions.into_iter().map(|(t, _)| t).collect();
    names.into_iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round-robin member of group `g`, for topic `t`, heartbeating every second.
    fn member() -> GroupMember {
        GroupMember::new(MemberConfig {
            group: "g".into(),
            client_id: "c".into(),
            topics: vec!["t".into()],
            assignors: vec![Assignor::RoundRobin.into()],
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 10_000,
            heartbeat_interval_ms: 1_000,
        })
    }

    fn joined(member_id: &str, leader: &str, protocol: &str) -> Joined {
        let subscription = Subscription { topics: vec!["t".into()], owned: vec![], metadata: vec![7] };
        Joined {
            generation: 2,
            protocol: protocol.into(),
            leader: leader.into(),
            member_id: member_id.into(),
            members: [(member_id.to_owned(), subscription)].into(),
        }
    }

    #[test]
    fn a_leader_hands_a_custom_protocol_to_the_shell_and_a_follower_just_syncs() {
        let custom = GroupProtocol::Custom("Mine".into());
        let mut leader = GroupMember::new(MemberConfig { assignors: vec![custom.clone()], ..member().config });
        let partitions = [("t".to_owned(), 2)].into();
        let actions = leader.on_joined(Ok(joined("m", "m", "Mine")), &partitions);
        let Some(Action::RunAssignor { protocol, members, generation: 2, .. }) = actions.last() else {
            panic!("{actions:?}")
        };
        assert_eq!((protocol.as_str(), &members["m"].metadata), ("Mine", &vec![7]));
        assert_eq!(leader.state, MemberState::Syncing);
        let mut follower = GroupMember::new(MemberConfig { assignors: vec![custom], ..member().config });
        let actions = follower.on_joined(Ok(joined("f", "m", "Mine")), &partitions);
        assert!(matches!(actions[..], [Action::Sync { assignments: None, .. }]), "{actions:?}");
        // franz's own protocol is run by the member itself.
        let actions = member().on_joined(Ok(joined("m", "m", "roundrobin")), &partitions);
        let Some(Action::Sync { assignments: Some(a), .. }) = actions.last() else { panic!("{actions:?}") };
        assert_eq!(a["m"], [("t".to_owned(), 0), ("t".to_owned(), 1)]);
    }

    #[test]
    fn topics_assigned_but_not_subscribed_are_reported_and_left_unread() {
        let mut member = member();
        member.state = MemberState::Syncing;
        let given = vec![("t".to_owned(), 0), ("u".to_owned(), 1), ("v".to_owned(), 0)];
        let actions = member.on_synced(Ok(given), 0);
        let unsubscribed = Action::Unsubscribed {
            assigned: vec!["t".into(), "u".into(), "v".into()],
            unsubscribed: vec!["u".into(), "v".into()],
        };
        assert_eq!(actions, vec![unsubscribed, Action::Assign(vec![("t".to_owned(), 0)])]);
        assert_eq!(member.owned, vec![("t".to_owned(), 0)]);
    }

    #[test]
    fn a_join_refused_by_acls_or_for_its_assignors_fails_the_member_and_others_rejoin() {
        let mut member = member();
        let partitions = [("t".to_owned(), 1)].into_iter().collect();
        let refused = Error::GroupAuthorizationFailed("User:x may not READ GROUP \"g\"".into());
        assert_eq!(member.on_joined(Err(refused.clone()), &partitions), vec![Action::Fail(refused)]);
        let mismatch = Error::InconsistentGroupProtocol("no shared assignor".into());
        assert_eq!(member.on_joined(Err(mismatch.clone()), &partitions), vec![Action::Fail(mismatch)]);
        let busy = member.on_joined(Err(Error::CoordinatorNotAvailable("moving".into())), &partitions);
        assert!(!busy.iter().any(|a| matches!(a, Action::Fail(_))), "a retriable error rejoins: {busy:?}");
    }

    #[test]
    fn a_handler_heartbeats_only_when_stable_and_due_and_a_failed_one_makes_the_next_due() {
        let mut member = member();
        assert_eq!(member.heartbeat_if_due(0), None, "not joined: no heartbeat, and no JoinGroup either");
        assert_eq!(member.state, MemberState::Unjoined);
        member.state = MemberState::Stable;
        member.member_id = Some("m".into());
        member.generation = 3;
        member.last_heartbeat_ms = 0;
        assert_eq!(member.heartbeat_if_due(500), None, "not due yet");
        let beat = Action::Heartbeat { group: "g".into(), member_id: "m".into(), generation: 3 };
        assert_eq!(member.heartbeat_if_due(1_000), Some(beat.clone()));
        assert_eq!(member.heartbeat_if_due(1_500), None, "the heartbeat just sent counts");
        member.heartbeat_failed();
        assert_eq!(member.poll(1_600), vec![beat], "the loop asks again at once");
    }
}
