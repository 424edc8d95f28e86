//! `kafka.consumer({ groupId })`: KafkaJS's consumer, a member of its group through Kafka's classic protocol
//! (`core::groups`: JoinGroup, SyncGroup with the leader's assignment, Heartbeat, LeaveGroup); it reads the
//! partitions the group gives it, and its offsets are committed to the cluster.
//!
//! Delivery is at least once: a position is committed only after the handler for it has resolved, so a
//! consumer that stops or crashes hands its uncommitted records to whoever reads next.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

use super::broker::Broker;
use super::error;
use super::events::Events;
use super::js::{self, object};
use super::kafka::{resolved, settle};
use super::pack;
use super::retry::{sleep, worth_retrying, Retry};
use crate::core::client::records_from;
use crate::core::error::Error;
use crate::core::groups::{Action, Assignor, GroupMember, MemberConfig};
use crate::core::log::OffsetSpec;
use crate::core::protocol::{FetchPartition, Request, Response};
use crate::core::record::Record;

type TopicPartition = (String, u32);

/// The longest one fetch waits for new data, whatever `maxWaitTimeInMs` says, so that `stop()` returns promptly.
const POLL_MS: u32 = 200;

/// A group has one member until the group coordinator lands; this is its id.
/// The client id members of franz's consumers report (KafkaJS takes it from the Kafka object).
const CLIENT_ID: &str = "franz-consumer";

/// KafkaJS's defaults: `maxBytesPerPartition` 1 MiB, `maxWaitTimeInMs` 5 s.
const DEFAULT_MAX_BYTES: usize = 1 << 20;
const DEFAULT_MAX_WAIT_MS: u32 = 5000;
/// The longest a running consumer waits between tries while the broker is unreachable, so it resumes (and
/// stops) promptly.
const MAX_BACKOFF_MS: u32 = 1000;
/// How long the partitions a consumer reads are taken from the last metadata it fetched.
const ASSIGNMENT_MAX_AGE_MS: f64 = 1000.0;

struct Subscription {
    topic: String,
    /// Kafka's `auto.offset.reset`: earliest when reading from the beginning, latest otherwise.
    from_beginning: bool,
}

/// How `run` commits: KafkaJS's `autoCommit`, `autoCommitInterval` and `autoCommitThreshold`.
#[derive(Clone, Copy)]
struct CommitPolicy {
    auto: bool,
    interval_ms: Option<i64>,
    threshold: Option<u32>,
}

struct State {
    broker: Broker,
    group_id: String,
    max_bytes: usize,
    max_wait_ms: u32,
    events: Rc<Events>,
    connected: Cell<bool>,
    /// Bumped by every `run` and `stop`: a loop whose generation is old exits.
    generation: Cell<u32>,
    running: Cell<bool>,
    subscriptions: RefCell<Vec<Subscription>>,
    positions: RefCell<BTreeMap<TopicPartition, i64>>,
    /// Positions consumed but not yet committed.
    uncommitted: RefCell<BTreeMap<TopicPartition, i64>>,
    /// Paused partitions; `None` pauses every partition of the topic.
    paused: RefCell<BTreeSet<(String, Option<u32>)>>,
    /// The partitions the last round read, to list what a topic-wide pause covers.
    last_assignment: RefCell<Vec<TopicPartition>>,
    /// The assignment, with whether each reads from the beginning, and when it was learnt.
    assignment: RefCell<Vec<(TopicPartition, bool)>>,
    assignment_at: Cell<f64>,
    /// Resolvers of `stop()` promises, called when the loop has exited.
    on_stopped: RefCell<Vec<Function>>,
    retry: Retry,
    /// This consumer's side of the group protocol, while it runs.
    member: RefCell<Option<GroupMember>>,
    group_timing: GroupTiming,
    /// Whether offsets are committed for the application (run's `autoCommit`), including on revocation.
    auto_commit: Cell<bool>,
}

/// `sessionTimeout` (30000), `rebalanceTimeout` (60000), `heartbeatInterval` (3000) and `partitionAssigners`
/// (names: 'roundrobin', KafkaJS's default, 'range', 'cooperative-sticky'; preferred first).
fn group_timing(config: &JsValue) -> Result<GroupTiming, JsValue> {
    let ms = |key: &'static str, default: i64| -> Result<i64, JsValue> {
        Ok(js::opt_int::<i64>(config, key, key)?.unwrap_or(default))
    };
    let mut assignors = Vec::new();
    for (i, name) in js::list(config, "partitionAssigners", "partitionAssigners", false)?.iter().enumerate() {
        let name = name
            .as_string()
            .ok_or_else(|| js::type_error(format_args!("partitionAssigners[{i}]"), "an assignor name", name))?;
        assignors.push(Assignor::from_name(&name).map_err(|e| error::to_js(&e))?);
    }
    if assignors.is_empty() {
        assignors.push(Assignor::RoundRobin);
    }
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
struct GroupTiming {
    session_timeout_ms: i64,
    rebalance_timeout_ms: i64,
    heartbeat_interval_ms: i64,
    assignors: Vec<Assignor>,
}

#[wasm_bindgen]
pub struct Consumer {
    state: Rc<State>,
}

impl Consumer {
    pub(crate) fn new(broker: Broker, config: &JsValue) -> Result<Consumer, JsValue> {
        // No groupId: a standalone consumer (the broadcast case), which reads every partition of what it
        // subscribes to and commits nothing, as a Kafka consumer with `assign` and no group.id.
        let group_id = js::opt_string(config, "groupId", "groupId")?.unwrap_or_default();
        if group_id.is_empty() && !js::is_missing(&js::get(config, "groupId")) {
            return Err(error::to_js(&Error::InvalidGroupId("groupId must not be empty".into())));
        }
        Ok(Consumer {
            state: Rc::new(State {
                broker,
                group_id,
                max_bytes: js::opt_int(config, "maxBytesPerPartition", "maxBytesPerPartition")?
                    .unwrap_or(DEFAULT_MAX_BYTES),
                max_wait_ms: js::opt_int(config, "maxWaitTimeInMs", "maxWaitTimeInMs")?.unwrap_or(DEFAULT_MAX_WAIT_MS),
                events: Rc::default(),
                connected: Cell::new(false),
                generation: Cell::new(0),
                running: Cell::new(false),
                subscriptions: RefCell::default(),
                positions: RefCell::default(),
                uncommitted: RefCell::default(),
                paused: RefCell::default(),
                last_assignment: RefCell::default(),
                assignment: RefCell::default(),
                assignment_at: Cell::new(f64::NEG_INFINITY),
                member: RefCell::default(),
                group_timing: group_timing(config)?,
                auto_commit: Cell::new(true),
                on_stopped: RefCell::default(),
                retry: Retry::from_config(config)?,
            }),
        })
    }
}

impl State {
    fn core(&self, e: Error) -> JsValue {
        error::to_js(&e)
    }

    /// Every partition of every subscribed topic that still exists, as the cluster's metadata said at most
    /// `ASSIGNMENT_MAX_AGE_MS` ago (a round trip per fetch would double every fetch's latency).
    async fn subscribed_partitions(&self) -> Vec<(TopicPartition, bool)> {
        let now = js_sys::Date::now();
        if now - self.assignment_at.get() < ASSIGNMENT_MAX_AGE_MS {
            return self.assignment.borrow().clone();
        }
        let topics = match self.broker.call(Request::Metadata { topics: None }).await {
            Ok(Response::Metadata { topics, .. }) => topics,
            // Unreachable: go on with what was known; the fetch will say whether the broker is back.
            _ => return self.assignment.borrow().clone(),
        };
        let mut out = Vec::new();
        for s in self.subscriptions.borrow().iter() {
            if let Some(t) = topics.iter().find(|t| t.name == s.topic) {
                out.extend(t.partitions.iter().map(|p| ((s.topic.clone(), p.partition), s.from_beginning)));
            }
        }
        self.assignment.replace(out.clone());
        self.assignment_at.set(now);
        out
    }

    fn standalone(&self) -> bool {
        self.group_id.is_empty()
    }

    /// The partitions the group gave this consumer (all of them, standalone), with whether each reads from the
    /// beginning.
    async fn assignment(&self) -> Vec<(TopicPartition, bool)> {
        if self.standalone() {
            let all = self.subscribed_partitions().await;
            *self.last_assignment.borrow_mut() = all.iter().map(|(tp, _)| tp.clone()).collect();
            return all;
        }
        let owned = self.member.borrow().as_ref().map(|m| m.owned.clone()).unwrap_or_default();
        let mine: Vec<(TopicPartition, bool)> =
            self.subscribed_partitions().await.into_iter().filter(|(tp, _)| owned.contains(tp)).collect();
        *self.last_assignment.borrow_mut() = mine.iter().map(|(tp, _)| tp.clone()).collect();
        mine
    }

    /// Sends what the group protocol wants now (JoinGroup, SyncGroup, Heartbeat), and acts on the answers.
    async fn drive_group(&self) {
        let now = js_sys::Date::now() as i64;
        let actions = self.member.borrow_mut().as_mut().map(|m| m.poll(now)).unwrap_or_default();
        self.perform(actions).await;
    }

    fn with_member(&self, f: impl FnOnce(&mut GroupMember) -> Vec<Action>) -> Vec<Action> {
        self.member.borrow_mut().as_mut().map(f).unwrap_or_default()
    }

    async fn perform(&self, actions: Vec<Action>) {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(action) = queue.pop_front() {
            let now = js_sys::Date::now() as i64;
            let more = match action {
                Action::Join(join) => {
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
                    let result = self.broker.call(Request::Heartbeat { group, member_id, generation }).await.map(drop);
                    if let Err(Error::RebalanceInProgress(_)) = &result {
                        let payload = object([("groupId", self.group_id.as_str().into())]);
                        self.events.emit("consumer.rebalancing", &event(&payload));
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
            };
            queue.extend(more);
        }
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
            js::set(&assignment, topic, list);
        }
        let payload = object([
            ("groupId", self.group_id.as_str().into()),
            ("memberId", m.member_id.clone().unwrap_or_default().into()),
            ("isLeader", m.leader.into()),
            ("memberAssignment", assignment.into()),
            ("generationId", m.generation.into()),
        ]);
        self.events.emit("consumer.group_join", &event(&payload));
    }

    /// The next round asks the cluster for metadata again.
    fn forget_assignment(&self) {
        self.assignment_at.set(f64::NEG_INFINITY);
    }

    fn is_paused(&self, tp: &TopicPartition) -> bool {
        let paused = self.paused.borrow();
        paused.contains(&(tp.0.clone(), Some(tp.1))) || paused.contains(&(tp.0.clone(), None))
    }

    /// Where to read next: the position, else the committed offset, else `auto.offset.reset`.
    async fn position(&self, tp: &TopicPartition, from_beginning: bool) -> Result<i64, Error> {
        if let Some(&p) = self.positions.borrow().get(tp) {
            return Ok(p);
        }
        if self.standalone() {
            let position = self.reset_position(tp, from_beginning).await?;
            self.positions.borrow_mut().insert(tp.clone(), position);
            return Ok(position);
        }
        let request = Request::OffsetFetch { group: self.group_id.clone(), topic: tp.0.clone(), partition: tp.1 };
        let Response::OffsetFetch(committed) = self.broker.call(request).await? else { return Err(unexpected()) };
        let position = match committed {
            Some(c) => c.offset,
            None => self.reset_position(tp, from_beginning).await?,
        };
        self.positions.borrow_mut().insert(tp.clone(), position);
        Ok(position)
    }

    async fn reset_position(&self, tp: &TopicPartition, from_beginning: bool) -> Result<i64, Error> {
        let spec = if from_beginning { OffsetSpec::Earliest } else { OffsetSpec::Latest };
        let request = Request::ListOffsets { topic: tp.0.clone(), partition: tp.1 as i32, spec };
        let Response::ListOffsets(found) = self.broker.call(request).await? else { return Err(unexpected()) };
        Ok(found.map_or(0, |f| f.offset))
    }

    fn advance(&self, tp: &TopicPartition, next: i64) {
        self.positions.borrow_mut().insert(tp.clone(), next);
        self.uncommitted.borrow_mut().insert(tp.clone(), next);
    }

    /// Who commits: this member at its generation, while it is in the group (the coordinator refuses a commit
    /// from a generation that is over).
    fn member_ref(&self) -> Option<(String, i32)> {
        let member = self.member.borrow();
        let m = member.as_ref()?;
        Some((m.member_id.clone()?, m.generation))
    }

    /// Commits every consumed position (durably, before it returns); emits `consumer.commit_offsets`.
    async fn commit(&self) -> Result<(), Error> {
        let pending = self.uncommitted.take();
        if pending.is_empty() || self.standalone() {
            return Ok(());
        }
        let mut topics = Vec::new();
        for (i, ((topic, partition), offset)) in pending.iter().enumerate() {
            let (group, partition, offset) = (self.group_id.clone(), *partition as i32, *offset);
            let member = self.member_ref();
            let request =
                Request::OffsetCommit { group, topic: topic.clone(), partition, offset, metadata: None, member };
            if let Err(e) = self.broker.call(request).await {
                // What was not committed stays to commit, unless the consumer has moved further meanwhile.
                let mut left = self.uncommitted.borrow_mut();
                for (tp, offset) in pending.iter().skip(i) {
                    left.entry(tp.clone()).or_insert(*offset);
                }
                return Err(e);
            }
            topics.push(object([
                ("topic", topic.as_str().into()),
                ("partition", partition.into()),
                ("offset", js::offset(offset)),
            ]));
        }
        let payload = object([("groupId", self.group_id.as_str().into()), ("topics", js::array(topics).into())]);
        self.events.emit("consumer.commit_offsets", &event(&payload));
        Ok(())
    }

    fn is_current(&self, generation: u32) -> bool {
        self.running.get() && self.generation.get() == generation
    }

    fn crash(&self, err: JsValue) {
        self.running.set(false);
        let payload = object([("error", err), ("groupId", self.group_id.as_str().into()), ("restart", false.into())]);
        self.events.emit("consumer.crash", &event(&payload));
    }
}

/// The coordinator refused a commit because the group moved on: not a failure of the consumer.
fn refused_by_group(e: &Error) -> bool {
    matches!(e, Error::RebalanceInProgress(_) | Error::IllegalGeneration(_) | Error::UnknownMemberId(_))
}

fn unexpected() -> Error {
    Error::UnknownServerError("the broker answered with another kind of response".into())
}

/// KafkaJS's GroupDescription of `group` (state `Dead` for a group the coordinator does not know), with each
/// member's assignment decoded.
pub(crate) async fn describe_group(broker: &Broker, group: &str) -> Result<JsValue, Error> {
    let Response::DescribeGroup(found) = broker.call(Request::DescribeGroup { group: group.into() }).await? else {
        return Err(unexpected());
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
        ("errorCode", 0.into()),
    ])
    .into())
}

/// KafkaJS's instrumentation event shape: `{ id, type, timestamp, payload }`.
fn event(payload: &js_sys::Object) -> JsValue {
    object([("timestamp", js_sys::Date::now().into()), ("payload", payload.into())]).into()
}

/// Calls a handler and waits for the promise it returns, if any. A throw or a rejection is an `Err`.
async fn call_handler(handler: &Function, payload: &JsValue) -> Result<(), JsValue> {
    let returned = handler.call1(&JsValue::NULL, payload)?;
    JsFuture::from(Promise::resolve(&returned)).await.map(drop)
}

/// What `run` was given.
struct Handlers {
    each_message: Option<Function>,
    each_batch: Option<Function>,
    commit: CommitPolicy,
    /// KafkaJS's `partitionsConsumedConcurrently`.
    concurrency: usize,
    /// Functions handed to every payload, created once per run (never one closure per message).
    pause: Closure<dyn Fn(String, u32)>,
    noop: Function,
    batch_methods: [(&'static str, Function); 4],
}

impl Handlers {
    fn pause_for(&self, tp: &TopicPartition) -> JsValue {
        let f: &Function = self.pause.as_ref().unchecked_ref();
        f.bind2(&JsValue::NULL, &tp.0.as_str().into(), &tp.1.into()).into()
    }
}

/// Commits what was handled when `policy` says it is time (KafkaJS's autoCommit, autoCommitInterval,
/// autoCommitThreshold; with neither, after every round). A commit the broker could not take now, or the group
/// refused (it is rebalancing or moved on), stays to commit later.
async fn commit_if_due(
    state: &State,
    policy: CommitPolicy,
    since_commit: &mut u32,
    last_commit: &mut i64,
) -> Result<(), Error> {
    let now = js_sys::Date::now() as i64;
    let due = policy.threshold.is_some_and(|t| *since_commit >= t)
        || policy.interval_ms.is_some_and(|i| now - *last_commit >= i)
        || (policy.threshold.is_none() && policy.interval_ms.is_none());
    if !(policy.auto && due) {
        return Ok(());
    }
    match state.commit().await {
        Ok(()) => {
            (*last_commit, *since_commit) = (now, 0);
            Ok(())
        }
        Err(e) if worth_retrying(&e) || refused_by_group(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One partition's records of a fetch, for the handlers.
struct Work {
    tp: TopicPartition,
    records: Vec<(i64, Record)>,
    next: i64,
    high_watermark: i64,
}

/// Hands one partition's records to `eachBatch` (all at once) or `eachMessage` (one by one), advancing the
/// position as each is handled; returns how many were.
async fn handle_partition(
    state: Rc<State>,
    handlers: Rc<Handlers>,
    work: Work,
    generation: u32,
) -> Result<u32, JsValue> {
    let Work { tp, records, next, high_watermark } = work;
    let mut handled = 0u32;
    let topic: JsValue = tp.0.as_str().into();
    if let Some(each_batch) = &handlers.each_batch {
        let messages = pack::records(records.iter().map(|(o, r)| (*o, r)));
        let batch = object([
            ("topic", topic.clone()),
            ("partition", tp.1.into()),
            ("highWatermark", js::offset(high_watermark)),
            ("messages", messages.into()),
        ]);
        for (name, f) in &handlers.batch_methods {
            js::set(&batch, name, f.bind0(&batch));
        }
        let payload = object([
            ("batch", batch.into()),
            ("heartbeat", handlers.noop.clone().into()),
            ("pause", handlers.pause_for(&tp)),
            ("isRunning", JsValue::from(Function::new_no_args("return true"))),
            ("isStale", JsValue::from(Function::new_no_args("return false"))),
        ]);
        call_handler(each_batch, &payload.into()).await?;
        handled += records.len() as u32;
        state.advance(&tp, next);
    } else if let Some(each_message) = &handlers.each_message {
        let messages = pack::records(records.iter().map(|(o, r)| (*o, r)));
        for (i, (offset, _)) in records.iter().enumerate() {
            if !state.is_current(generation) || state.is_paused(&tp) {
                break;
            }
            let payload = object([
                ("topic", topic.clone()),
                ("partition", tp.1.into()),
                ("message", messages.get(i as u32)),
                ("heartbeat", handlers.noop.clone().into()),
                ("pause", handlers.pause_for(&tp)),
            ]);
            call_handler(each_message, &payload.into()).await?;
            state.advance(&tp, offset + 1);
            handled += 1;
        }
    }
    Ok(handled)
}

/// KafkaJS's `partitionsConsumedConcurrently`: several partitions' records handled at once, each partition's
/// still in order.
async fn handle_together(
    state: &Rc<State>,
    handlers: &Rc<Handlers>,
    work: Vec<Work>,
    generation: u32,
) -> Result<u32, JsValue> {
    let running = Array::new();
    for w in work {
        let (state, handlers) = (state.clone(), handlers.clone());
        running.push(&future_to_promise(async move {
            handle_partition(state, handlers, w, generation).await.map(JsValue::from)
        }));
    }
    let counts = JsFuture::from(Promise::all(&running)).await?;
    Ok(Array::from(&counts).iter().map(|n| n.as_f64().unwrap_or(0.0) as u32).sum())
}

async fn run_loop(state: Rc<State>, handlers: Handlers, generation: u32) {
    let handlers = Rc::new(handlers);
    let topics: Vec<String> = state.subscriptions.borrow().iter().map(|s| s.topic.clone()).collect();
    let timing = state.group_timing.clone();
    state.member.replace((!state.standalone()).then(|| {
        GroupMember::new(MemberConfig {
            group: state.group_id.clone(),
            client_id: CLIENT_ID.into(),
            topics,
            assignors: timing.assignors,
            session_timeout_ms: timing.session_timeout_ms,
            rebalance_timeout_ms: timing.rebalance_timeout_ms,
            heartbeat_interval_ms: timing.heartbeat_interval_ms,
        })
    }));
    state.auto_commit.set(handlers.commit.auto);
    let mut last_commit = js_sys::Date::now() as i64;
    let mut since_commit = 0u32;
    // Rounds in a row that found the broker unreachable: the loop waits longer after each, and carries on.
    let mut failures = 0u32;
    let backoff = |failures: u32| state.retry.delay_ms(failures).min(MAX_BACKOFF_MS);
    'rounds: while state.is_current(generation) {
        // One Fetch per round for every assigned partition that is not paused, each at its position. It
        // long-polls: with nothing new it returns after at most POLL_MS, so that stop() is never kept waiting.
        let mut asked = Vec::new();
        state.drive_group().await;
        if !state.is_current(generation) {
            break;
        }
        for (tp, from_beginning) in state.assignment().await {
            if state.is_paused(&tp) {
                continue;
            }
            match state.position(&tp, from_beginning).await {
                Ok(offset) => asked.push((tp, from_beginning, offset)),
                Err(e) if worth_retrying(&e) => {
                    sleep(backoff(failures)).await;
                    failures += 1;
                    continue 'rounds;
                }
                Err(e) => return state.crash(state.core(e)),
            }
        }
        let partitions = asked
            .iter()
            .map(|((topic, p), _, offset)| FetchPartition {
                topic: topic.clone(),
                partition: *p as i32,
                offset: *offset,
                max_bytes: state.max_bytes,
            })
            .collect();
        let request = Request::Fetch { partitions, min_bytes: 1, max_wait_ms: state.max_wait_ms.min(POLL_MS) };
        let answers = match state.broker.call(request).await {
            Ok(Response::Fetch(a)) => a,
            Ok(_) => return state.crash(state.core(unexpected())),
            Err(e) if worth_retrying(&e) => {
                sleep(backoff(failures)).await;
                failures += 1;
                continue;
            }
            Err(e) => return state.crash(state.core(e)),
        };
        failures = 0;
        // With partitionsConsumedConcurrently, partitions wait here to be handled together.
        let mut ready: Vec<Work> = Vec::new();
        for ((tp, from_beginning, position), answer) in asked.into_iter().zip(answers) {
            if !state.is_current(generation) {
                break;
            }
            let decoded = answer.result.and_then(|f| {
                let (records, next) = records_from(&f.batches, position)?;
                Ok((f.high_watermark, records, next))
            });
            let (high_watermark, records, next) = match decoded {
                Ok(f) => f,
                // The data at the position is gone (retention) or never was: auto.offset.reset.
                Err(Error::OffsetOutOfRange(_)) => match state.reset_position(&tp, from_beginning).await {
                    Ok(p) => {
                        state.positions.borrow_mut().insert(tp.clone(), p);
                        continue;
                    }
                    Err(e) => return state.crash(state.core(e)),
                },
                Err(e) if e.retriable() => {
                    state.forget_assignment(); // the partition may be gone, or have moved
                    continue;
                }
                Err(e) => return state.crash(state.core(e)),
            };
            if records.is_empty() {
                if next > position {
                    state.positions.borrow_mut().insert(tp.clone(), next);
                }
                continue;
            }
            let work = Work { tp, records, next, high_watermark };
            if handlers.concurrency > 1 {
                ready.push(work);
                if ready.len() < handlers.concurrency {
                    continue;
                }
                match handle_together(&state, &handlers, std::mem::take(&mut ready), generation).await {
                    Ok(n) => since_commit += n,
                    Err(e) => return state.crash(e),
                }
            } else {
                match handle_partition(state.clone(), handlers.clone(), work, generation).await {
                    Ok(n) => since_commit += n,
                    Err(e) => return state.crash(e),
                }
            }
            if let Err(e) = commit_if_due(&state, handlers.commit, &mut since_commit, &mut last_commit).await {
                return state.crash(state.core(e));
            }
        }
        if !ready.is_empty() {
            match handle_together(&state, &handlers, ready, generation).await {
                Ok(n) => since_commit += n,
                Err(e) => return state.crash(e),
            }
            if let Err(e) = commit_if_due(&state, handlers.commit, &mut since_commit, &mut last_commit).await {
                return state.crash(state.core(e));
            }
        }
    }
    if handlers.commit.auto {
        match state.commit().await {
            // Refused because the group moved on: the next owner reads those records again (at least once).
            Err(e) if !refused_by_group(&e) && !worth_retrying(&e) => state.crash(state.core(e)),
            _ => {}
        }
    }
    // Leaving the group hands this member's partitions to the others at once.
    let leaving = state.member.borrow_mut().take().map(|mut m| m.leave()).unwrap_or_default();
    state.perform(leaving).await;
    for resolve in state.on_stopped.take() {
        let _ = resolve.call0(&JsValue::NULL);
    }
}

/// `[{ topic, partitions? }]` as pause entries; a topic without `partitions` means all of its partitions (`None`).
fn topic_partitions(arg: &JsValue, what: &str) -> Result<Vec<(String, Option<u32>)>, JsValue> {
    if !Array::is_array(arg) {
        return Err(js::type_error(what, "an array of { topic, partitions? }", arg));
    }
    let mut out = Vec::new();
    for (i, t) in Array::from(arg).iter().enumerate() {
        let topic = js::string(&t, "topic", format!("{what}[{i}].topic"))?;
        if js::is_missing(&js::get(&t, "partitions")) {
            out.push((topic, None));
            continue;
        }
        for p in js::list(&t, "partitions", format!("{what}[{i}].partitions"), true)? {
            out.push((topic.clone(), Some(js::int(&p, format!("{what}[{i}].partitions[]"))?)));
        }
    }
    Ok(out)
}

#[wasm_bindgen]
impl Consumer {
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        self.state.connected.set(true);
        resolved(JsValue::UNDEFINED)
    }

    /// Stops the loop (committing what was consumed) and disconnects.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        let stopped = self.stop();
        self.state.connected.set(false);
        stopped
    }

    /// `subscribe({ topics, fromBeginning? })` or `subscribe({ topic, fromBeginning? })`; a topic may be a RegExp,
    /// matched against the topics that exist now.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConsumerSubscribeTopics | ConsumerSubscribeTopic")] options: JsValue,
    ) -> Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            if state.running.get() {
                return Err(error::client_error(
                    "CONSUMER_RUNNING",
                    "Cannot subscribe to a topic while the consumer is running",
                ));
            }
            let from_beginning = js::opt_bool(&options, "fromBeginning", "fromBeginning")?.unwrap_or(false);
            let single = js::get(&options, "topic");
            let wanted =
                if js::is_missing(&single) { js::list(&options, "topics", "topics", true)? } else { vec![single] };
            let existing: Vec<String> = match state.broker.call(Request::Metadata { topics: None }).await {
                Ok(Response::Metadata { topics, .. }) => topics.into_iter().map(|t| t.name).collect(),
                Ok(_) => return Err(state.core(unexpected())),
                Err(e) => return Err(state.core(e)),
            };
            let mut topics = Vec::new();
            for (i, t) in wanted.iter().enumerate() {
                if let Some(re) = t.dyn_ref::<js_sys::RegExp>() {
                    topics.extend(existing.iter().filter(|name| re.test(name)).cloned());
                } else if let Some(name) = t.as_string() {
                    if !existing.contains(&name) {
                        return Err(
                            state.core(Error::UnknownTopicOrPartition(format!("topic {name:?} does not exist")))
                        );
                    }
                    topics.push(name);
                } else {
                    return Err(js::type_error(format!("topics[{i}]"), "a string or a RegExp", t));
                }
            }
            state.forget_assignment();
            let mut subs = state.subscriptions.borrow_mut();
            for topic in topics {
                if !subs.iter().any(|s| s.topic == topic) {
                    subs.push(Subscription { topic, from_beginning });
                }
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Starts consuming: `run({ eachMessage } | { eachBatch }, autoCommit?, autoCommitInterval?,
    /// autoCommitThreshold? })`. Resolves once the loop has started, as in KafkaJS.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn run(&self, #[wasm_bindgen(unchecked_param_type = "ConsumerRunConfig")] config: JsValue) -> Promise {
        let state = self.state.clone();
        settle((|| {
            state.broker.check_open()?;
            if !state.connected.get() {
                return Err(error::client_error(
                    "CLIENT_NOT_CONNECTED",
                    "The consumer is disconnected: call connect() first",
                ));
            }
            if state.running.get() {
                return Err(error::client_error("CONSUMER_RUNNING", "The consumer is already running"));
            }
            let function = |key: &'static str| -> Result<Option<Function>, JsValue> {
                let v = js::get(&config, key);
                if js::is_missing(&v) {
                    return Ok(None);
                }
                v.dyn_into::<Function>().map(Some).map_err(|v| js::type_error(key, "a function", &v))
            };
            let (each_message, each_batch) = (function("eachMessage")?, function("eachBatch")?);
            if each_message.is_none() && each_batch.is_none() {
                return Err(error::type_error("run() needs eachMessage or eachBatch"));
            }
            let commit = CommitPolicy {
                auto: js::opt_bool(&config, "autoCommit", "autoCommit")?.unwrap_or(true),
                interval_ms: js::opt_int(&config, "autoCommitInterval", "autoCommitInterval")?,
                threshold: js::opt_int(&config, "autoCommitThreshold", "autoCommitThreshold")?,
            };
            let weak = Rc::downgrade(&state);
            let pause = Closure::<dyn Fn(String, u32)>::new(move |topic, partition| {
                if let Some(state) = weak.upgrade() {
                    state.paused.borrow_mut().insert((topic, Some(partition)));
                }
            });
            let concurrency =
                js::opt_int::<u32>(&config, "partitionsConsumedConcurrently", "partitionsConsumedConcurrently")?
                    .unwrap_or(1);
            if concurrency == 0 {
                return Err(error::type_error("partitionsConsumedConcurrently must be at least 1"));
            }
            let handlers = Handlers {
                each_message,
                each_batch,
                commit,
                concurrency: concurrency as usize,
                pause,
                noop: Function::new_no_args("return Promise.resolve()"),
                batch_methods: [
                    ("isEmpty", Function::new_no_args("return this.messages.length === 0")),
                    ("firstOffset", Function::new_no_args("return this.messages.length ? this.messages[0].offset : null")),
                    ("lastOffset", Function::new_no_args(
                        "return this.messages.length ? this.messages[this.messages.length - 1].offset : String(BigInt(this.highWatermark) - 1n)",
                    )),
                    ("offsetLag", Function::new_no_args("return String(BigInt(this.highWatermark) - 1n - BigInt(this.lastOffset()))")),
                ],
            };
            let generation = state.generation.get() + 1;
            state.generation.set(generation);
            state.running.set(true);
            spawn_local(run_loop(state.clone(), handlers, generation));
            Ok(JsValue::UNDEFINED)
        })())
    }

    /// Stops the loop after the message in hand; resolves once it has stopped (and committed, with autoCommit).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn stop(&self) -> Promise {
        let state = &self.state;
        if !state.running.get() {
            return resolved(JsValue::UNDEFINED);
        }
        let stopped = Promise::new(&mut |resolve, _| state.on_stopped.borrow_mut().push(resolve));
        state.running.set(false);
        if let Some(inner) = state.broker.local() {
            inner.data_arrived(); // ends a long poll at once
        }
        stopped
    }

    /// Commits the given offsets (`offset` = the next record to read), as KafkaJS's `commitOffsets`.
    #[wasm_bindgen(js_name = commitOffsets, unchecked_return_type = "Promise<void>")]
    pub fn commit_offsets(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TopicPartitionOffsetAndMetadata[]")] offsets: JsValue,
    ) -> Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            if state.standalone() {
                return Err(
                    state.core(Error::InvalidGroupId("a consumer without a groupId has no offsets to commit".into()))
                );
            }
            if !Array::is_array(&offsets) {
                return Err(js::type_error("offsets", "an array", &offsets));
            }
            for (i, o) in Array::from(&offsets).iter().enumerate() {
                let at = |f: &str| format!("offsets[{i}].{f}");
                let topic = js::string(&o, "topic", at("topic"))?;
                let partition: i32 = js::opt_int(&o, "partition", at("partition"))?.unwrap_or(-1);
                let offset: i64 = js::int(&js::get(&o, "offset"), at("offset"))?;
                let metadata = js::opt_string(&o, "metadata", at("metadata"))?;
                let (group, member) = (state.group_id.clone(), state.member_ref());
                let request = Request::OffsetCommit { group, topic, partition, offset, metadata, member };
                state.broker.call(request).await.map_err(|e| state.core(e))?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Moves the position of one partition; the next fetch reads from `offset`.
    pub fn seek(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ topic: string; partition: number; offset: string }")] target: JsValue,
    ) -> Result<(), JsValue> {
        let topic = js::string(&target, "topic", "topic")?;
        let partition: u32 = js::opt_int(&target, "partition", "partition")?
            .ok_or_else(|| js::type_error("partition", "a number", &JsValue::UNDEFINED))?;
        let offset: i64 = js::int(&js::get(&target, "offset"), "offset")?;
        if offset < 0 {
            return Err(error::to_js(&Error::OffsetOutOfRange(format!("cannot seek to offset {offset}"))));
        }
        self.state.advance(&(topic, partition), offset);
        Ok(())
    }

    pub fn pause(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<{ topic: string; partitions?: number[] }>")] topics: JsValue,
    ) -> Result<(), JsValue> {
        let entries = topic_partitions(&topics, "topics")?;
        self.state.paused.borrow_mut().extend(entries);
        Ok(())
    }

    pub fn resume(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<{ topic: string; partitions?: number[] }>")] topics: JsValue,
    ) -> Result<(), JsValue> {
        let entries = topic_partitions(&topics, "topics")?;
        let mut paused = self.state.paused.borrow_mut();
        for (topic, partition) in entries {
            match partition {
                // Resuming a whole topic resumes every pause on it.
                None => paused.retain(|(t, _)| *t != topic),
                Some(_) => {
                    paused.remove(&(topic, partition));
                }
            }
        }
        drop(paused);
        if let Some(inner) = self.state.broker.local() {
            inner.data_arrived();
        }
        Ok(())
    }

    /// `[{ topic, partitions }]` currently paused.
    #[wasm_bindgen(unchecked_return_type = "Array<{ topic: string; partitions: number[] }>")]
    pub fn paused(&self) -> JsValue {
        let mut by_topic: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        let known = self.state.last_assignment.borrow();
        for (t, p) in self.state.paused.borrow().iter() {
            let partitions = by_topic.entry(t.clone()).or_default();
            match p {
                Some(p) => {
                    partitions.insert(*p);
                }
                // A whole-topic pause covers the partitions the consumer last saw.
                None => partitions.extend(known.iter().filter(|(kt, _)| kt == t).map(|(_, p)| *p)),
            }
        }
        js::array(
            by_topic
                .into_iter()
                .map(|(t, ps)| object([("topic", t.as_str().into()), ("partitions", js::array(ps).into())])),
        )
        .into()
    }

    /// KafkaJS's `describeGroup()`. A franz group has one member (this consumer) until group rebalancing lands.
    #[wasm_bindgen(js_name = describeGroup, unchecked_return_type = "Promise<GroupDescription>")]
    pub fn describe_group(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(
            async move { describe_group(&state.broker, &state.group_id).await.map_err(|e| state.core(e)) },
        )
    }

    /// Listens for `consumer.group_join` (after every rebalance, with `memberAssignment`), `consumer.rebalancing`,
    /// `consumer.commit_offsets` or `consumer.crash`; returns a remover.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "'consumer.group_join' | 'consumer.rebalancing' | 'consumer.commit_offsets' | 'consumer.crash'"
        )]
        event: String,
        #[wasm_bindgen(unchecked_param_type = "(event: { timestamp: number; payload: any }) => void")]
        listener: Function,
    ) -> JsValue {
        self.state.events.on(event, listener)
    }
}
