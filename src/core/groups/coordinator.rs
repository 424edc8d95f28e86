//! The group coordinator, following Kafka's classic consumer-group protocol. Members JoinGroup; once every
//! known member has joined (or `rebalance.timeout.ms` ran out for those that did not), the generation advances,
//! a leader is chosen and every member gets its JoinGroup answer, the leader with everyone's subscriptions. The
//! leader runs the assignor and sends the result in its SyncGroup; every member's SyncGroup is answered with its
//! own partitions. Heartbeats keep a member in; one silent for `session.timeout.ms` is removed, which starts a
//! rebalance, as does a member leaving or joining.
//!
//! Sans-IO: JoinGroup and SyncGroup may have to wait for other members, so their answers come out of
//! [`Coordinator::take_replies`] (at once, or after later calls); everything else answers directly.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assignors::{Subscription, TopicPartition};
use crate::core::error::{Error, Result};

/// Kafka's `group.min.session.timeout.ms` and `group.max.session.timeout.ms` (the minimum lowered so a tutorial
/// can show a dead member's partitions move within seconds).
pub const MIN_SESSION_TIMEOUT_MS: i64 = 100;
pub const MAX_SESSION_TIMEOUT_MS: i64 = 1_800_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl GroupState {
    /// Kafka's names, as `describeGroups` shows them.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
        }
    }

    pub fn from_name(name: &str) -> Option<GroupState> {
        [GroupState::Empty, GroupState::PreparingRebalance, GroupState::CompletingRebalance, GroupState::Stable]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// A JoinGroup request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Join {
    pub group: String,
    /// `None` for a member joining for the first time: the coordinator names it.
    pub member_id: Option<String>,
    pub client_id: String,
    pub session_timeout_ms: i64,
    pub rebalance_timeout_ms: i64,
    pub topics: Vec<String>,
    /// The assignors the member can run, preferred first.
    pub protocols: Vec<String>,
    /// Each protocol's metadata, for those that have their own (a custom assignor's ConsumerProtocol bytes).
    #[serde(default)]
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// What it owns now (cooperative rebalancing keeps consuming these).
    pub owned: Vec<TopicPartition>,
}

/// A JoinGroup answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    pub generation: i32,
    pub protocol: String,
    pub leader: String,
    pub member_id: String,
    /// For the leader only: every member's subscription, to run the assignor on.
    pub members: BTreeMap<String, Subscription>,
}

/// An answer that had to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Join { group: String, member_id: String, result: Result<Joined> },
    Sync { group: String, member_id: String, result: Result<Vec<TopicPartition>> },
}

#[derive(Debug, Clone)]
struct Member {
    client_id: String,
    session_timeout_ms: i64,
    rebalance_timeout_ms: i64,
    subscription: Subscription,
    protocols: Vec<String>,
    metadata: BTreeMap<String, Vec<u8>>,
    last_heard_ms: i64,
    /// Joined in the current round (its JoinGroup answer is owed).
    joined: bool,
    /// Its SyncGroup waits for the leader's.
    syncing: bool,
    assignment: Vec<TopicPartition>,
}

#[derive(Debug, Clone)]
struct Group {
    state: GroupState,
    generation: i32,
    protocol: Option<String>,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// When the current join round gives up on members that have not rejoined.
    join_deadline_ms: i64,
}

impl Group {
    fn new() -> Group {
        Group {
            state: GroupState::Empty,
            generation: 0,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            join_deadline_ms: 0,
        }
    }
}

/// What `describeGroups` shows of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDescription {
    pub group: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    /// Each member: id, client id, and its partitions.
    pub members: Vec<(String, String, Vec<TopicPartition>)>,
}

#[derive(Debug, Clone, Default)]
pub struct Coordinator {
    groups: BTreeMap<String, Group>,
    next_member: u64,
    replies: Vec<Reply>,
}

fn unknown_member(group: &str, member: &str) -> Error {
    Error::UnknownMemberId(format!("{member:?} is not a member of group {group:?}"))
}

impl Coordinator {
    pub fn new() -> Coordinator {
        Coordinator::default()
    }

    pub fn take_replies(&mut self) -> Vec<Reply> {
        std::mem::take(&mut self.replies)
    }

    /// JoinGroup. Returns the member id (new members get one); the answer comes from `take_replies`.
    pub fn join(&mut self, j: Join, now_ms: i64) -> String {
        let member_id = j.member_id.clone().unwrap_or_else(|| {
            self.next_member += 1;
            format!("{}-{}", j.client_id, self.next_member)
        });
        if let Err(e) = self.admit(&j, &member_id) {
            self.replies.push(Reply::Join { group: j.group, member_id: member_id.clone(), result: Err(e) });
            return member_id;
        }
        let group = self.groups.entry(j.group.clone()).or_insert_with(Group::new);
        let member = Member {
            client_id: j.client_id,
            session_timeout_ms: j.session_timeout_ms,
            rebalance_timeout_ms: j.rebalance_timeout_ms,
            subscription: Subscription { topics: j.topics, owned: j.owned, metadata: Vec::new() },
            protocols: j.protocols,
            metadata: j.metadata,
            last_heard_ms: now_ms,
            joined: true,
            syncing: false,
            assignment: group.members.get(&member_id).map(|m| m.assignment.clone()).unwrap_or_default(),
        };
        group.members.insert(member_id.clone(), member);
        if group.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(&j.group, now_ms);
        }
        self.try_complete_join(&j.group);
        member_id
    }

    /// Checks a JoinGroup before anything changes.
    fn admit(&self, j: &Join, member_id: &str) -> Result<()> {
        if j.group.is_empty() {
            return Err(Error::InvalidGroupId("a group id must not be empty".into()));
        }
        if !(MIN_SESSION_TIMEOUT_MS..=MAX_SESSION_TIMEOUT_MS).contains(&j.session_timeout_ms) {
            return Err(Error::InvalidSessionTimeout(format!(
                "session.timeout.ms must be within {MIN_SESSION_TIMEOUT_MS}..={MAX_SESSION_TIMEOUT_MS}, got {}",
                j.session_timeout_ms
            )));
        }
        // Protocol names are the members' business (a custom assignor's are its own), as in Kafka; the
        // coordinator only checks that the members share one.
        let group = self.groups.get(&j.group);
        if j.member_id.is_some() && group.is_none_or(|g| !g.members.contains_key(member_id)) {
            return Err(unknown_member(&j.group, member_id));
        }
        // A member must be able to run an assignor every other member can.
        let others = group.map(|g| g.members.iter().filter(|(id, _)| *id != member_id)).into_iter().flatten();
        let mut common: Vec<&String> = j.protocols.iter().collect();
        for (_, m) in others {
            common.retain(|p| m.protocols.contains(p));
        }
        if common.is_empty() {
            return Err(Error::InconsistentGroupProtocol(format!(
                "{member_id:?} offers {:?}, which the members of {:?} do not all support",
                j.protocols, j.group
            )));
        }
        Ok(())
    }

    /// A new join round: every member must join again; syncs waiting for the old generation fail.
    fn prepare_rebalance(&mut self, group_id: &str, now_ms: i64) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        group.state = GroupState::PreparingRebalance;
        let longest = group.members.values().map(|m| m.rebalance_timeout_ms).max().unwrap_or(0);
        group.join_deadline_ms = now_ms + longest;
        for (id, m) in group.members.iter_mut() {
            if std::mem::take(&mut m.syncing) {
                self.replies.push(Reply::Sync {
                    group: group_id.to_owned(),
                    member_id: id.clone(),
                    result: Err(Error::RebalanceInProgress(format!("group {group_id:?} is rebalancing: join again"))),
                });
            }
        }
    }

    /// Ends the join round once every member has joined: a new generation, a leader, the answers.
    fn try_complete_join(&mut self, group_id: &str) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        if group.state != GroupState::PreparingRebalance || group.members.values().any(|m| !m.joined) {
            return;
        }
        group.generation += 1;
        if group.members.is_empty() {
            (group.state, group.protocol, group.leader) = (GroupState::Empty, None, None);
            return;
        }
        group.state = GroupState::CompletingRebalance;
        let first = group.members.values().next().expect("not empty");
        let protocol = first
            .protocols
            .iter()
            .find(|p| group.members.values().all(|m| m.protocols.contains(p)))
            .cloned()
            .unwrap_or_default();
        group.protocol = Some(protocol.clone());
        if group.leader.as_ref().is_none_or(|l| !group.members.contains_key(l)) {
            group.leader = group.members.keys().next().cloned();
        }
        let leader = group.leader.clone().expect("chosen above");
        let subscriptions: BTreeMap<String, Subscription> = group
            .members
            .iter()
            .map(|(id, m)| {
                let metadata = m.metadata.get(&protocol).cloned().unwrap_or_default();
                (id.clone(), Subscription { metadata, ..m.subscription.clone() })
            })
            .collect();
        for (id, m) in group.members.iter_mut() {
            m.joined = false;
            let members = if *id == leader { subscriptions.clone() } else { BTreeMap::new() };
            let joined = Joined {
                generation: group.generation,
                protocol: protocol.clone(),
                leader: leader.clone(),
                member_id: id.clone(),
                members,
            };
            self.replies.push(Reply::Join { group: group_id.to_owned(), member_id: id.clone(), result: Ok(joined) });
        }
    }

    /// A member of `group_id` at the current generation, or Kafka's error saying why not.
    fn check_member(group: Option<&Group>, group_id: &str, member_id: &str, generation: i32) -> Result<()> {
        let group = group.ok_or_else(|| unknown_member(group_id, member_id))?;
        if !group.members.contains_key(member_id) {
            return Err(unknown_member(group_id, member_id));
        }
        if generation != group.generation {
            return Err(Error::IllegalGeneration(format!(
                "generation {generation} of group {group_id:?} is over; it is at {}",
                group.generation
            )));
        }
        Ok(())
    }

    fn member_of<'a>(
        groups: &'a mut BTreeMap<String, Group>,
        group_id: &str,
        member_id: &str,
        generation: i32,
    ) -> Result<&'a mut Group> {
        Self::check_member(groups.get(group_id), group_id, member_id, generation)?;
        Ok(groups.get_mut(group_id).expect("checked"))
    }

    /// SyncGroup. The leader brings every member's partitions; each member's answer (its own partitions) comes
    /// from `take_replies`, once the leader's SyncGroup is in.
    pub fn sync(
        &mut self,
        group_id: &str,
        member_id: &str,
        generation: i32,
        assignments: Option<BTreeMap<String, Vec<TopicPartition>>>,
        now_ms: i64,
    ) {
        let result =
            Self::member_of(&mut self.groups, group_id, member_id, generation).and_then(|group| match group.state {
                GroupState::PreparingRebalance => {
                    Err(Error::RebalanceInProgress(format!("group {group_id:?} is rebalancing: join again")))
                }
                _ => Ok(group),
            });
        let group = match result {
            Ok(g) => g,
            Err(e) => {
                let reply = Reply::Sync { group: group_id.into(), member_id: member_id.into(), result: Err(e) };
                self.replies.push(reply);
                return;
            }
        };
        let is_leader = group.leader.as_deref() == Some(member_id);
        let member = group.members.get_mut(member_id).expect("checked");
        member.last_heard_ms = now_ms;
        if group.state == GroupState::Stable {
            let result = Ok(member.assignment.clone());
            self.replies.push(Reply::Sync { group: group_id.into(), member_id: member_id.into(), result });
            return;
        }
        member.syncing = true;
        if is_leader {
            let assignments = assignments.unwrap_or_default();
            for (id, m) in group.members.iter_mut() {
                m.assignment = assignments.get(id).cloned().unwrap_or_default();
            }
            group.state = GroupState::Stable;
        }
        if group.state == GroupState::Stable {
            for (id, m) in group.members.iter_mut().filter(|(_, m)| m.syncing) {
                m.syncing = false;
                let result = Ok(m.assignment.clone());
                self.replies.push(Reply::Sync { group: group_id.into(), member_id: id.clone(), result });
            }
        }
    }

    /// Heartbeat: keeps the member in, and tells it to join again when the group rebalances.
    pub fn heartbeat(&mut self, group_id: &str, member_id: &str, generation: i32, now_ms: i64) -> Result<()> {
        let rebalancing = || Error::RebalanceInProgress(format!("group {group_id:?} is rebalancing: join again"));
        let group = self.groups.get_mut(group_id).ok_or_else(|| unknown_member(group_id, member_id))?;
        let member = group.members.get_mut(member_id).ok_or_else(|| unknown_member(group_id, member_id))?;
        member.last_heard_ms = now_ms;
        // A member at an old generation while the group rebalances is told to rejoin, not fenced.
        if group.state == GroupState::PreparingRebalance {
            return Err(rebalancing());
        }
        if generation != group.generation {
            return Err(Error::IllegalGeneration(format!(
                "generation {generation} of group {group_id:?} is over; it is at {}",
                group.generation
            )));
        }
        Ok(())
    }

    /// May this member commit offsets for the group? Only as a member of the current generation, and not while
    /// the group waits for the leader's assignment (Kafka's OffsetCommit checks).
    pub fn check_commit(&self, group_id: &str, member_id: &str, generation: i32) -> Result<()> {
        let group = self.groups.get(group_id);
        Self::check_member(group, group_id, member_id, generation)?;
        let group = group.expect("checked");
        if group.state == GroupState::CompletingRebalance {
            return Err(Error::RebalanceInProgress(format!("group {group_id:?} is rebalancing")));
        }
        Ok(())
    }

    /// LeaveGroup: the member goes at once (no session timeout to wait for), and the rest rebalance.
    pub fn leave(&mut self, group_id: &str, member_id: &str, now_ms: i64) -> Result<()> {
        let group = self.groups.get_mut(group_id).ok_or_else(|| unknown_member(group_id, member_id))?;
        group.members.remove(member_id).ok_or_else(|| unknown_member(group_id, member_id))?;
        self.remove_and_rebalance(group_id, now_ms);
        Ok(())
    }

    fn remove_and_rebalance(&mut self, group_id: &str, now_ms: i64) {
        let Some(group) = self.groups.get_mut(group_id) else { return };
        if group.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(group_id, now_ms);
        }
        self.try_complete_join(group_id);
    }

    /// Expires members silent past their session timeout, and join rounds past their rebalance timeout.
    /// [`Coordinator::tick`] for the groups whose coordinator is up (`served`). Nobody runs the timers of a
    /// group whose coordinator is down: when a new one takes over, its members get a whole session (and a
    /// pending join round a whole rebalance timeout) from then on, as Kafka's coordinator gives a group it loads.
    pub fn tick_served(&mut self, now_ms: i64, served: impl Fn(&str) -> bool) {
        for (_, group) in self.groups.iter_mut().filter(|(id, _)| !served(id)) {
            for m in group.members.values_mut() {
                m.last_heard_ms = now_ms;
            }
            let longest = group.members.values().map(|m| m.rebalance_timeout_ms).max().unwrap_or(0);
            group.join_deadline_ms = group.join_deadline_ms.max(now_ms + longest);
        }
        self.tick(now_ms);
    }

    pub fn tick(&mut self, now_ms: i64) {
        let ids: Vec<String> = self.groups.keys().cloned().collect();
        for id in ids {
            let group = self.groups.get_mut(&id).expect("listed");
            let preparing = group.state == GroupState::PreparingRebalance;
            let completing = group.state == GroupState::CompletingRebalance;
            let before = group.members.len();
            group.members.retain(|_, m| {
                // A member waiting in JoinGroup is bound by the rebalance timeout, not its session. One waiting in
                // SyncGroup for the leader's assignment keeps its session too (Kafka's clients heartbeat then):
                // if the leader never syncs, the leader's own session ends, and the rebalance that starts
                // answers every waiting SyncGroup.
                let waiting = (preparing && m.joined) || (completing && m.syncing);
                let silent = now_ms - m.last_heard_ms > m.session_timeout_ms && !waiting;
                let late = preparing && !m.joined && now_ms >= group.join_deadline_ms;
                !silent && !late
            });
            if group.members.len() != before {
                self.remove_and_rebalance(&id, now_ms);
            }
        }
    }

    pub fn describe(&self, group_id: &str) -> Option<GroupDescription> {
        let g = self.groups.get(group_id)?;
        Some(GroupDescription {
            group: group_id.to_owned(),
            state: g.state,
            generation: g.generation,
            protocol: g.protocol.clone(),
            leader: g.leader.clone(),
            members: g.members.iter().map(|(id, m)| (id.clone(), m.client_id.clone(), m.assignment.clone())).collect(),
        })
    }

    /// Every group and its state.
    pub fn list(&self) -> Vec<(String, GroupState)> {
        self.groups.iter().map(|(id, g)| (id.clone(), g.state)).collect()
    }

    /// DeleteGroups: only an empty group may go (Kafka's NON_EMPTY_GROUP otherwise).
    pub fn delete(&mut self, group_id: &str) -> Result<()> {
        match self.groups.get(group_id) {
            None => Err(Error::GroupIdNotFound(format!("there is no group {group_id:?}"))),
            Some(g) if !g.members.is_empty() => {
                Err(Error::NonEmptyGroup(format!("group {group_id:?} still has members")))
            }
            Some(_) => {
                self.groups.remove(group_id);
                Ok(())
            }
        }
    }
}
