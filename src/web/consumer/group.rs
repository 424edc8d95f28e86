//! The consumer's part in its group: KafkaJS's group settings, driving the member state machine of
//! `core::groups` (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and acting on what it decides.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{unexpected, State};
use crate::core::error::Error;
use crate::core::groups::{Action, Assignor, GroupMember, GroupProtocol, MemberConfig};
use crate::core::protocol::{Request, Response};
use crate::web::broker::Broker;
use crate::web::error;
use crate::web::js::{self, object};
use crate::web::log::LogLevel;
use std::collections::BTreeMap;

/// KafkaJS's `PartitionAssigners`, as the names a consumer's `partitionAssigners` takes, so that KafkaJS's
/// `partitionAssigners: [PartitionAssigners.roundRobin]` runs unchanged (KafkaJS's are assigner functions, which
/// franz takes too: see `assigners`). `range` and `cooperativeSticky` are franz's others.
#[wasm_bindgen]
pub struct PartitionAssigners;

#[wasm_bindgen]
impl PartitionAssigners {
    /// Kafka's `RoundRobinAssignor`, KafkaJS's default.
    #[wasm_bindgen(getter = roundRobin, unchecked_return_type = "'roundrobin'")]
    pub fn round_robin() -> String {
        Assignor::RoundRobin.name().into()
    }

    /// Kafka's `RangeAssignor`.
    #[wasm_bindgen(getter, unchecked_return_type = "'range'")]
    pub fn range() -> String {
        Assignor::Range.name().into()
    }

    /// Kafka's `CooperativeStickyAssignor` (incremental rebalances, KIP-429).
    #[wasm_bindgen(getter = cooperativeSticky, unchecked_return_type = "'cooperative-sticky'")]
    pub fn cooperative_sticky() -> String {
        Assignor::CooperativeSticky.name().into()
    }
}

/// `sessionTimeout` (30000), `rebalanceTimeout` (60000) and `heartbeatInterval` (3000), with the assignors
/// `partitionAssigners` gave.
pub(super) fn group_timing(config: &JsValue, assignors: Vec<GroupProtocol>) -> Result<GroupTiming, JsValue> {
    let ms = |key: &'static str, default: i64| -> Result<i64, JsValue> {
        Ok(js::opt_int::<i64>(config, key, key)?.unwrap_or(default))
    };
    let timing = GroupTiming {
        session_timeout_ms: ms("sessionTimeout", 30_000)?,
        rebalance_timeout_ms: ms("rebalanceTimeout", 60_000)?,
        heartbeat_interval_ms: ms("heartbeatInterval", 3_000)?,
        assignors,
    };
    if timing.heartbeat_interval_ms <= 0 || timing.heartbeat_interval_ms >= timing.session_timeout_ms {
        return Err(error::type_error("heartbeatInterval must be positive and below sessionTimeout"));
    }
    Ok(timing)
}

/// KafkaJS's group settings.
#[derive(Clone)]
pub(super) struct GroupTiming {
    session_timeout_ms: i64,
    rebalance_timeout_ms: i64,
    heartbeat_interval_ms: i64,
    assignors: Vec<GroupProtocol>,
}

impl State {
    /// Becomes a member of its group, for the topics subscribed now (a standalone consumer has no group).
    pub(super) fn start_member(&self) {
        let topics: Vec<String> = self.subscriptions.borrow().iter().map(|s| s.topic.clone()).collect();
        let timing = self.group_timing.clone();
        self.member.replace((!self.standalone()).then(|| {
            GroupMember::new(MemberConfig {
                group: self.group_id.clone(),
                client_id: self.client_id.to_string(),
                topics,
                assignors: timing.assignors,
                session_timeout_ms: timing.session_timeout_ms,
                rebalance_timeout_ms: timing.rebalance_timeout_ms,
                heartbeat_interval_ms: timing.heartbeat_interval_ms,
            })
        }));
    }

    /// Leaves the group, which hands this member's partitions to the others at once.
    pub(super) async fn leave_group(&self) {
        let leaving = self.member.borrow_mut().take().map(|mut m| m.leave()).unwrap_or_default();
        self.perform(leaving).await;
    }

    /// Sends what the group protocol wants now (JoinGroup, SyncGroup, Heartbeat), and acts on the answers.
    pub(super) async fn drive_group(&self) {
        let now = js_sys::Date::now() as i64;
        let actions = self.member.borrow_mut().as_mut().map(|m| m.poll(now)).unwrap_or_default();
        self.perform(actions).await;
    }

    fn with_member(&self, f: impl FnOnce(&mut GroupMember) -> Vec<Action>) -> Vec<Action> {
        self.member.borrow_mut().as_mut().map(f).unwrap_or_default()
    }

    pub(super) async fn perform(&self, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            let now = js_sys::Date::now() as i64;
            let more = match action {
                Action::Join(mut join) => {
                    join.metadata = match self.custom_assigners.metadata(&join.topics) {
                        Ok(metadata) => metadata,
                        Err(e) => return self.crash(e, false),
                    };
                    let result = match self.broker.call(Request::JoinGroup(join)).await {
                        Ok(Response::Joined(j)) => Ok(j),
                        Ok(_) => Err(unexpected()),
                        Err(e) => Err(e),
                    };
                    let mut counts = BTreeMap::new();
                    for ((topic, _), _) in self.subscribed_partitions().await {
                        *counts.entry(topic).or_insert(0u32) += 1;
                    }
                    self.with_member(|m| m.on_joined(result, &counts))
                }
                Action::Sync { group, member_id, generation, assignments } => {
                    let request = Request::SyncGroup { group, member_id, generation, assignments };
                    let result = match self.broker.call(request).await {
                        Ok(Response::Synced(a)) => Ok(a),
                        Ok(_) => Err(unexpected()),
                        Err(e) => Err(e),
                    };
                    let synced = result.is_ok();
                    let more = self.with_member(|m| m.on_synced(result, now));
                    if synced {
                        self.joined_event();
                    }
                    more
                }
                Action::Heartbeat { group, member_id, generation } => {
                    let beat = Request::Heartbeat { group: group.clone(), member_id: member_id.clone(), generation };
                    let result = self.broker.call(beat).await.map(drop);
                    if result.is_ok() {
                        self.heartbeat_event(&group, &member_id, generation);
                    }
                    if let Err(e @ Error::RebalanceInProgress(_)) = &result {
                        self.events.log_as("Runner", LogLevel::WARN, "The group is rebalancing, re-joining", || {
                            let member = member_id.as_str().into();
                            object([
                                ("groupId", group.as_str().into()),
                                ("memberId", member),
                                ("error", e.to_string().into()),
                            ])
                            .into()
                        });
                        self.events.instrument("consumer.rebalancing", || {
                            object([("groupId", self.group_id.as_str().into())]).into()
                        });
                    }
                    self.with_member(|m| m.on_heartbeat(result))
                }
                Action::Leave { group, member_id } => {
                    let _ = self.broker.call(Request::LeaveGroup { group, member_id }).await;
                    Vec::new()
                }
                Action::Revoke(partitions) => {
                    // What was processed of them is committed before another member takes them over.
                    if self.auto_commit.get() {
                        let _ = self.commit().await;
                    }
                    for tp in &partitions {
                        self.positions.borrow_mut().remove(tp);
                        self.uncommitted.borrow_mut().remove(tp);
                    }
                    Vec::new()
                }
                Action::Assign(_) => Vec::new(), // positions come from the committed offsets on first read
                Action::RunAssignor { protocol, members, group, member_id, generation } => {
                    let topics = self.member.borrow().as_ref().map(|m| m.config().topics.clone()).unwrap_or_default();
                    match self.custom_assigners.assign(&protocol, &members, &topics).await {
                        Ok(assignments) => {
                            vec![Action::Sync { group, member_id, generation, assignments: Some(assignments) }]
                        }
                        // KafkaJS's consumer crashes when its assigner throws.
                        Err(e) => return self.crash(e, false),
                    }
                }
                Action::Unsubscribed { assigned, unsubscribed } => {
                    self.unsubscribed_event(assigned, unsubscribed);
                    Vec::new()
                }
                // KafkaJS's consumer crashes on such a non-retriable error.
                Action::Fail(e) => return self.crash(super::super::error::to_js(&e), false),
            };
            queue.extend(more);
        }
    }

    /// A heartbeat when one is due, from within a batch's handling (KafkaJS's payload `heartbeat()`, and the loop
    /// between messages), so that handling that runs long keeps the member in its group. What the coordinator
    /// answers is the loop's to act on, once the batch is done.
    pub(super) async fn heartbeat_from_handler(&self) {
        let now = js_sys::Date::now() as i64;
        let Some(Action::Heartbeat { group, member_id, generation }) =
            self.member.borrow_mut().as_mut().and_then(|m| m.heartbeat_if_due(now))
        else {
            return;
        };
        let beat = Request::Heartbeat { group: group.clone(), member_id: member_id.clone(), generation };
        match self.broker.call(beat).await {
            Ok(_) => self.heartbeat_event(&group, &member_id, generation),
            Err(_) => {
                if let Some(m) = self.member.borrow_mut().as_mut() {
                    m.heartbeat_failed();
                }
            }
        }
    }

    /// KafkaJS's `consumer.received_unsubscribed_topics` event and warning: the leader's assignor gave this
    /// member topics it did not subscribe to, which it leaves unread.
    fn unsubscribed_event(&self, assigned: Vec<String>, unsubscribed: Vec<String>) {
        let Some((member_id, generation)) = self.member_ref() else { return };
        let strings = |list: &[String]| js::array(list.iter().map(String::as_str));
        let subscribed: Vec<String> = self.subscriptions.borrow().iter().map(|s| s.topic.clone()).collect();
        let payload = object([
            ("groupId", self.group_id.as_str().into()),
            ("generationId", generation.into()),
            ("memberId", member_id.into()),
            ("assignedTopics", strings(&assigned).into()),
            ("topicsSubscribed", strings(&subscribed).into()),
            ("topicsNotSubscribed", strings(&unsubscribed).into()),
        ]);
        let message = "Consumer group received unsubscribed topics";
        self.events.log_as("ConsumerGroup", LogLevel::WARN, message, || payload.clone().into());
        self.events.instrument("consumer.received_unsubscribed_topics", || payload.into());
    }

    /// KafkaJS's `consumer.heartbeat` event.
    fn heartbeat_event(&self, group: &str, member_id: &str, generation: i32) {
        self.events.instrument("consumer.heartbeat", || {
            let (group, member) = (group.into(), member_id.into());
            object([("groupId", group), ("memberId", member), ("groupGenerationId", generation.into())]).into()
        });
    }

    /// KafkaJS's `consumer.group_join` event, after every SyncGroup that gave this member its partitions.
    fn joined_event(&self) {
        let member = self.member.borrow();
        let Some(m) = member.as_ref() else { return };
        let assignment = js_sys::Object::new();
        for (topic, partition) in &m.owned {
            let list = js::get_dyn(&assignment, topic);
            let list = if list.is_undefined() { Array::new() } else { Array::from(&list) };
            list.push(&(*partition).into());
            js::set_dyn(&assignment, topic, list);
        }
        let payload = object([
            ("groupId", self.group_id.as_str().into()),
            ("memberId", m.member_id.clone().unwrap_or_default().into()),
            ("isLeader", m.leader.into()),
            ("memberAssignment", assignment.into()),
            ("generationId", m.generation.into()),
        ]);
        self.events.log_as("ConsumerGroup", LogLevel::INFO, "Consumer has joined the group", || payload.clone().into());
        self.events.instrument("consumer.group_join", || payload.into());
    }

    /// Who commits: this member at its generation, while it is in the group (the coordinator refuses a commit
    /// from a generation that is over).
    pub(super) fn member_ref(&self) -> Option<(String, i32)> {
        let member = self.member.borrow();
        let m = member.as_ref()?;
        Some((m.member_id.clone()?, m.generation))
    }
}

/// The coordinator refused a commit because the group moved on: not a failure of the consumer.
pub(super) fn refused_by_group(e: &Error) -> bool {
    matches!(e, Error::RebalanceInProgress(_) | Error::IllegalGeneration(_) | Error::UnknownMemberId(_))
}

/// KafkaJS's GroupDescription of `group` (state `Dead` for a group the coordinator does not know), with each
/// member's assignment decoded.
pub(crate) async fn describe_group(broker: &Broker, group: &str) -> Result<JsValue, Error> {
    let Response::DescribeGroup(found) = broker.call(Request::DescribeGroup { group: group.into() }).await? else {
        return Err(unexpected());
    };
    // Java's ConsumerGroupDescription names the coordinator too (KafkaJS's does not): null while there is none.
    let coordinator = match broker.call(Request::FindCoordinator { group: group.into() }).await {
        Ok(Response::FindCoordinator(node)) => object([("nodeId", node.into())]).into(),
        _ => JsValue::NULL,
    };
    let members = found.as_ref().map(|d| &d.members[..]).unwrap_or_default().iter().map(|(id, client, tps)| {
        let assignment = js::array(
            tps.iter().map(|(t, p)| JsValue::from(object([("topic", t.as_str().into()), ("partition", (*p).into())]))),
        );
        JsValue::from(object([
            ("memberId", id.as_str().into()),
            ("clientId", client.as_str().into()),
            ("clientHost", "franz.local".into()),
            ("memberAssignment", assignment.into()),
        ]))
    });
    Ok(object([
        ("groupId", group.into()),
        ("members", js::array(members).into()),
        ("protocol", found.as_ref().and_then(|d| d.protocol.clone()).unwrap_or_default().into()),
        ("protocolType", "consumer".into()),
        ("state", found.as_ref().map_or("Dead", |d| d.state.name()).into()),
        ("coordinator", coordinator),
        ("errorCode", 0.into()),
    ])
    .into())
}
