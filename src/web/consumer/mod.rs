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
use super::events::{self, Events};
use super::js::{self, object};
use super::kafka::{resolved, settle};
use super::log::{LogLevel, Logger};
use super::retry::Retry;
use crate::core::client::CrcCheck;
use crate::core::error::Error;
use crate::core::groups::GroupMember;
use crate::core::log::OffsetSpec;
use crate::core::protocol::{Isolation, Request, Response};

mod assigners;
mod group;
mod payload;
mod run;

pub use assigners::AssignerProtocol;
use assigners::CustomAssigners;
pub(crate) use group::describe_group;
use group::{group_timing, GroupTiming};
use run::{run_loop, Handlers};

type TopicPartition = (String, u32);

/// The longest one fetch waits for new data, whatever `maxWaitTimeInMs` says, so that `stop()` returns promptly.
const POLL_MS: u32 = 200;

/// KafkaJS's defaults: `maxBytesPerPartition` 1 MiB, `maxBytes` 10 MiB, `maxWaitTimeInMs` 5 s.
const DEFAULT_MAX_BYTES: usize = 1 << 20;
const DEFAULT_MAX_FETCH_BYTES: usize = 10 << 20;
const DEFAULT_MAX_WAIT_MS: u32 = 5000;
/// The longest a running consumer waits between tries while the broker is unreachable, so it resumes (and
/// stops) promptly.
const MAX_BACKOFF_MS: u32 = 1000;
/// How long the partitions a consumer reads are taken from the last metadata it fetched.
const ASSIGNMENT_MAX_AGE_MS: f64 = 1000.0;

/// An offset `commitOffsets` was given (`offset` = the next record to read).
struct OffsetToCommit {
    topic: String,
    partition: i32,
    offset: i64,
    metadata: Option<String>,
}

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

impl CommitPolicy {
    /// Whether `autoCommitInterval` has passed or `autoCommitThreshold` records were handled since the last
    /// commit.
    fn reached(&self, state: &State, now: i64) -> bool {
        self.threshold.is_some_and(|t| state.since_commit.get() >= t)
            || self.interval_ms.is_some_and(|i| now - state.last_commit.get() >= i)
    }
}

struct State {
    broker: Broker,
    group_id: String,
    /// The `clientId` of the Kafka object that made this consumer, as its group membership reports it.
    client_id: Rc<str>,
    max_bytes: usize,
    /// KafkaJS's `minBytes` (Kafka's `fetch.min.bytes`): a fetch waits, up to its wait, until this much is there.
    min_bytes: usize,
    /// KafkaJS's `maxBytes` (Kafka's `fetch.max.bytes`): at most this much in one fetch, over all its partitions.
    max_fetch_bytes: usize,
    max_wait_ms: u32,
    /// KafkaJS's `rackId` (Kafka's `client.rack`): an in-sync replica in this rack serves its fetches (KIP-392).
    rack: Option<String>,
    /// `checkCrcs` (Kafka's `check.crcs`): whether fetched batches' CRCs are computed again here.
    crc_check: CrcCheck,
    /// KafkaJS's `readUncommitted` (default false): whether open and aborted transactions' records are read.
    isolation: Isolation,
    /// KafkaJS's `allowAutoTopicCreation` (default true): subscribing by name lets the cluster create the topic,
    /// where it was opened with `autoCreateTopics`.
    allow_auto_topic_creation: bool,
    events: Rc<Events>,
    connected: Cell<bool>,
    /// Bumped by every `run` and `stop`: a loop whose generation is old exits.
    generation: Cell<u32>,
    running: Cell<bool>,
    subscriptions: RefCell<Vec<Subscription>>,
    positions: RefCell<BTreeMap<TopicPartition, i64>>,
    /// Positions consumed but not yet committed.
    uncommitted: RefCell<BTreeMap<TopicPartition, i64>>,
    /// Records handled, and when offsets were committed, for `autoCommitThreshold` and `autoCommitInterval`.
    since_commit: Cell<u32>,
    last_commit: Cell<i64>,
    /// Partitions `seek` moved since the loop's round began: what was fetched for them before is stale.
    sought: RefCell<BTreeSet<TopicPartition>>,
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
    /// KafkaJS's `retry.restartOnFailure`: asked whether to restart after a handler kept failing.
    restart_on_failure: Option<Function>,
    /// This consumer's side of the group protocol, while it runs.
    member: RefCell<Option<GroupMember>>,
    group_timing: GroupTiming,
    /// KafkaJS-style assigner functions among `partitionAssigners`.
    custom_assigners: CustomAssigners,
    /// Whether offsets are committed for the application (run's `autoCommit`), including on revocation.
    auto_commit: Cell<bool>,
}

#[wasm_bindgen]
pub struct Consumer {
    state: Rc<State>,
}

impl Consumer {
    pub(crate) fn new(
        broker: Broker,
        client_id: Rc<str>,
        log: Rc<Logger>,
        config: &JsValue,
    ) -> Result<Consumer, JsValue> {
        let events = Events::new(events::CONSUMER, log, "Consumer");
        // No groupId: a standalone consumer (the broadcast case), which reads every partition of what it
        // subscribes to and commits nothing, as a Kafka consumer with `assign` and no group.id.
        let group_id = js::opt_string(config, "groupId", "groupId")?.unwrap_or_default();
        if group_id.is_empty() && !js::is_missing(&js::get(config, "groupId")) {
            return Err(error::to_js(&Error::InvalidGroupId("groupId must not be empty".into())));
        }
        let (assignors, custom_assigners) =
            assigners::partition_assigners(config, &broker, &group_id, events.logger())?;
        Ok(Consumer {
            state: Rc::new(State {
                broker: broker.watched(events.clone(), client_id.clone()),
                group_id,
                client_id,
                max_bytes: js::opt_int(config, "maxBytesPerPartition", "maxBytesPerPartition")?
                    .unwrap_or(DEFAULT_MAX_BYTES),
                min_bytes: js::opt_int(config, "minBytes", "minBytes")?.unwrap_or(1),
                max_fetch_bytes: js::opt_int(config, "maxBytes", "maxBytes")?.unwrap_or(DEFAULT_MAX_FETCH_BYTES),
                max_wait_ms: js::opt_int(config, "maxWaitTimeInMs", "maxWaitTimeInMs")?.unwrap_or(DEFAULT_MAX_WAIT_MS),
                rack: js::opt_string(config, "rackId", "rackId")?,
                crc_check: match js::opt_bool(config, "checkCrcs", "checkCrcs")? {
                    Some(true) => CrcCheck::Check,
                    _ => CrcCheck::Trust,
                },
                isolation: match js::opt_bool(config, "readUncommitted", "readUncommitted")? {
                    Some(true) => Isolation::ReadUncommitted,
                    _ => Isolation::ReadCommitted,
                },
                allow_auto_topic_creation: js::opt_bool(config, "allowAutoTopicCreation", "allowAutoTopicCreation")?
                    .unwrap_or(true),
                events,
                connected: Cell::new(false),
                generation: Cell::new(0),
                running: Cell::new(false),
                subscriptions: RefCell::default(),
                positions: RefCell::default(),
                uncommitted: RefCell::default(),
                since_commit: Cell::new(0),
                last_commit: Cell::new(0),
                sought: RefCell::default(),
                paused: RefCell::default(),
                last_assignment: RefCell::default(),
                assignment: RefCell::default(),
                assignment_at: Cell::new(f64::NEG_INFINITY),
                member: RefCell::default(),
                group_timing: group_timing(config, assignors)?,
                custom_assigners,
                auto_commit: Cell::new(true),
                on_stopped: RefCell::default(),
                retry: Retry::from_config(config)?,
                restart_on_failure: match js::get(&js::get(config, "retry"), "restartOnFailure") {
                    v if js::is_missing(&v) => None,
                    v => Some(v.dyn_into().map_err(|v| js::type_error("retry.restartOnFailure", "a function", &v))?),
                },
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
        let topics = match self.broker.call(Request::metadata(None)).await.and_then(Response::into_metadata) {
            Ok((_, topics)) => topics,
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
        let spec = if from_beginning { OffsetSpec::Earliest } else { self.isolation.end() };
        let request = Request::ListOffsets { topic: tp.0.clone(), partition: tp.1 as i32, spec };
        let Response::ListOffsets(found) = self.broker.call(request).await? else { return Err(unexpected()) };
        Ok(found.map_or(0, |f| f.offset))
    }

    fn advance(&self, tp: &TopicPartition, next: i64) {
        self.positions.borrow_mut().insert(tp.clone(), next);
        self.uncommitted.borrow_mut().insert(tp.clone(), next);
    }

    /// KafkaJS's `resolveOffset`: the records up to `offset` are handled. A position only moves forward here,
    /// and not at all once `seek` has moved it.
    fn resolve(&self, tp: &TopicPartition, offset: i64) {
        let ahead = self.positions.borrow().get(tp).is_none_or(|&p| offset + 1 > p);
        if ahead && !self.is_stale(tp) {
            self.advance(tp, offset + 1);
        }
    }

    /// Whether `seek` moved the partition since this round's fetch: its fetched records are then not to be
    /// handled (KafkaJS's `isStale`).
    fn is_stale(&self, tp: &TopicPartition) -> bool {
        self.sought.borrow().contains(tp)
    }

    /// Commits every consumed position (durably, before it returns); emits `consumer.commit_offsets`.
    async fn commit(&self) -> Result<(), Error> {
        let pending = self.uncommitted.take();
        if pending.is_empty() || self.standalone() {
            return Ok(());
        }
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
        }
        self.events.instrument("consumer.commit_offsets", || {
            object([
                ("groupId", self.group_id.as_str().into()),
                ("memberId", self.member_ref().map(|(id, _)| id).into()),
                ("groupGenerationId", self.member_ref().map(|(_, generation)| generation).into()),
                ("topics", offsets_by_topic(&pending)),
            ])
            .into()
        });
        self.last_commit.set(js_sys::Date::now() as i64);
        self.since_commit.set(0);
        Ok(())
    }

    /// Commits offsets the application chose. A position the consumer had yet to commit for one of those
    /// partitions, at or before the offset given, is then dropped: committing it later would move back.
    async fn commit_given(&self, offsets: Vec<OffsetToCommit>) -> Result<(), Error> {
        if self.standalone() {
            return Err(Error::InvalidGroupId("a consumer without a groupId has no offsets to commit".into()));
        }
        for OffsetToCommit { topic, partition, offset, metadata } in offsets {
            let (group, member) = (self.group_id.clone(), self.member_ref());
            let tp = (topic.clone(), u32::try_from(partition).unwrap_or(u32::MAX));
            let request = Request::OffsetCommit { group, topic, partition, offset, metadata, member };
            self.broker.call(request).await?;
            let mut uncommitted = self.uncommitted.borrow_mut();
            if uncommitted.get(&tp).is_some_and(|&pending| pending <= offset) {
                uncommitted.remove(&tp);
            }
        }
        Ok(())
    }

    fn resume_partition(&self, topic: &str, partition: u32) {
        self.paused.borrow_mut().remove(&(topic.to_owned(), Some(partition)));
        self.end_long_poll();
    }

    /// Ends a fetch waiting in an in-page cluster, so that the loop sees a stop or a resume at once.
    fn end_long_poll(&self) {
        if let Some(inner) = self.broker.local() {
            inner.data_arrived();
        }
    }

    fn is_current(&self, generation: u32) -> bool {
        self.running.get() && self.generation.get() == generation
    }

    /// `{ groupId }`, the field of most of the consumer's log entries.
    fn group_field(&self) -> JsValue {
        object([("groupId", self.group_id.as_str().into())]).into()
    }

    /// KafkaJS's log entry for a pause or a resume of `topics` (`[{ topic, partitions? }]`).
    fn log_fetching(&self, what: &str, topics: &JsValue) {
        let count = Array::from(topics).length();
        self.events.log_as("ConsumerGroup", LogLevel::INFO, &format!("{what} fetching from {count} topics"), || {
            object([("topicPartitions", topics.clone())]).into()
        });
    }

    /// KafkaJS's `consumer.crash`; with `restart`, the consumer carries on after a pause.
    fn crash(&self, err: JsValue, restart: bool) {
        if !restart {
            self.running.set(false);
        }
        let [name, message] = ["name", "message"].map(|k| js::get(&err, k).as_string().unwrap_or_default());
        self.events.log(LogLevel::ERROR, &format!("Crash: {name}: {message}"), || {
            let fields = object([("groupId", self.group_id.as_str().into()), ("stack", js::get(&err, "stack"))]);
            if let Some(count) = js::get(&err, "retryCount").as_f64() {
                js::set(&fields, "retryCount", count);
            }
            fields.into()
        });
        self.events.instrument("consumer.crash", || {
            object([("error", err), ("groupId", self.group_id.as_str().into()), ("restart", restart.into())]).into()
        });
    }
}

fn unexpected() -> Error {
    Error::UnknownServerError("the broker answered with another kind of response".into())
}

/// KafkaJS's instrumentation event shape: `{ id, type, timestamp, payload }`.
/// KafkaJS's `OffsetsByTopicPartition`: `{ topics: [{ topic, partitions: [{ partition, offset }] }] }`.
fn offsets_by_topic(offsets: &BTreeMap<TopicPartition, i64>) -> JsValue {
    let mut by_topic: BTreeMap<&str, Vec<JsValue>> = BTreeMap::new();
    for ((topic, partition), offset) in offsets {
        let entry = object([("partition", (*partition).into()), ("offset", js::offset(*offset))]);
        by_topic.entry(topic).or_default().push(entry.into());
    }
    let topics = by_topic.into_iter().map(|(topic, partitions)| {
        JsValue::from(object([("topic", topic.into()), ("partitions", js::array(partitions).into())]))
    });
    js::array(topics).into()
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
        self.state.events.instrument("consumer.connect", || JsValue::UNDEFINED);
        resolved(JsValue::UNDEFINED)
    }

    /// Stops the loop (committing what was consumed) and disconnects.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        let stopped = JsFuture::from(self.stop());
        self.state.connected.set(false);
        let state = self.state.clone();
        future_to_promise(async move {
            stopped.await?;
            state.events.instrument("consumer.disconnect", || JsValue::UNDEFINED);
            Ok(JsValue::UNDEFINED)
        })
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
            let existing: Vec<String> =
                match state.broker.call(Request::metadata(None)).await.and_then(Response::into_metadata) {
                    Ok((_, topics)) => topics.into_iter().map(|t| t.name).collect(),
                    Err(e) => return Err(state.core(e)),
                };
            let mut topics = Vec::new();
            for (i, t) in wanted.iter().enumerate() {
                if let Some(re) = t.dyn_ref::<js_sys::RegExp>() {
                    topics.extend(existing.iter().filter(|name| re.test(name)).cloned());
                } else if let Some(name) = t.as_string() {
                    if !existing.contains(&name) {
                        // Asked for by name, the cluster creates it (where both allow that), or says why it is not
                        // listed: it does not exist (UNKNOWN_TOPIC_OR_PARTITION), or it is not this client's to see.
                        let auto_create = state.allow_auto_topic_creation;
                        let named = Request::Metadata { topics: Some(vec![name.clone()]), auto_create };
                        state.broker.call(named).await.and_then(Response::into_metadata).map_err(|e| state.core(e))?;
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
                // As KafkaJS: a warning, and the loop that runs carries on.
                let warning = "consumer#run was called, but the consumer is already running";
                state.events.log(LogLevel::WARN, warning, || state.group_field());
                return Ok(JsValue::UNDEFINED);
            }
            let generation = state.generation.get() + 1;
            let handlers = Handlers::from_config(&config, &state, generation)?;
            state.generation.set(generation);
            state.running.set(true);
            state.events.log(LogLevel::INFO, "Starting", || state.group_field());
            spawn_local(run_loop(state.clone(), handlers, generation));
            Ok(JsValue::UNDEFINED)
        })())
    }

    /// Stops the loop after the message in hand; resolves once it has stopped (and committed, with autoCommit).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn stop(&self) -> Promise {
        let state = self.state.clone();
        let was_running = state.running.get();
        let stopped = if was_running {
            let stopped = Promise::new(&mut |resolve, _| state.on_stopped.borrow_mut().push(resolve));
            state.running.set(false);
            state.end_long_poll();
            JsFuture::from(stopped)
        } else {
            JsFuture::from(resolved(JsValue::UNDEFINED))
        };
        future_to_promise(async move {
            stopped.await?;
            if was_running {
                state.events.log(LogLevel::INFO, "Stopped", || state.group_field());
            }
            state.events.instrument("consumer.stop", || JsValue::UNDEFINED);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Commits the given offsets (`offset` = the next record to read), as KafkaJS's `commitOffsets`.
    #[wasm_bindgen(js_name = commitOffsets, unchecked_return_type = "Promise<void>")]
    pub fn commit_offsets(
        &self,
        #[wasm_bindgen(unchecked_param_type = "TopicPartitionOffsetAndMetadata[]")] offsets: JsValue,
    ) -> Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            if !Array::is_array(&offsets) {
                return Err(js::type_error("offsets", "an array", &offsets));
            }
            let mut list = Vec::new();
            for (i, o) in Array::from(&offsets).iter().enumerate() {
                let at = |f: &str| format!("offsets[{i}].{f}");
                let topic = js::string(&o, "topic", at("topic"))?;
                let partition: i32 = js::opt_int(&o, "partition", at("partition"))?.unwrap_or(-1);
                let offset: i64 = js::int(&js::get(&o, "offset"), at("offset"))?;
                let metadata = js::opt_string(&o, "metadata", at("metadata"))?;
                list.push(OffsetToCommit { topic, partition, offset, metadata });
            }
            state.commit_given(list).await.map_err(|e| state.core(e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Moves the position of one partition; the next fetch reads from `offset`, and what was fetched for it
    /// before is stale (not handed to `eachMessage`, `isStale()` in `eachBatch`).
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
        let tp = (topic, partition);
        self.state.advance(&tp, offset);
        self.state.sought.borrow_mut().insert(tp);
        Ok(())
    }

    pub fn pause(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<{ topic: string; partitions?: number[] }>")] topics: JsValue,
    ) -> Result<(), JsValue> {
        let entries = topic_partitions(&topics, "topics")?;
        self.state.paused.borrow_mut().extend(entries);
        self.state.log_fetching("Pausing", &topics);
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
        self.state.end_long_poll();
        self.state.log_fetching("Resuming", &topics);
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

    /// KafkaJS's `describeGroup()`: the group's state, and each member with its partitions.
    #[wasm_bindgen(js_name = describeGroup, unchecked_return_type = "Promise<GroupDescription>")]
    pub fn describe_group(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(
            async move { describe_group(&state.broker, &state.group_id).await.map_err(|e| state.core(e)) },
        )
    }

    /// Listens for one of `events` (KafkaJS's instrumentation events; an unknown name is an error); returns a
    /// remover.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConsumerEventName")] event: String,
        #[wasm_bindgen(unchecked_param_type = "(event: InstrumentationEvent<any>) => void")] listener: Function,
    ) -> Result<JsValue, JsValue> {
        self.state.events.on(&event, listener)
    }

    /// KafkaJS's `consumer.events`: the name of every event `on` takes, by key (`GROUP_JOIN`, `CRASH`, …).
    #[wasm_bindgen(getter, unchecked_return_type = "ConsumerEvents")]
    pub fn events(&self) -> js_sys::Object {
        self.state.events.names_object()
    }

    /// KafkaJS's `consumer.logger()`: the cluster's logger, in the `Consumer` namespace.
    #[wasm_bindgen(unchecked_return_type = "Logger")]
    pub fn logger(&self) -> JsValue {
        self.state.events.logger()
    }
}
