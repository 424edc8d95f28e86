//! `kafka.admin()`: KafkaJS's admin client, speaking the broker protocol (`core::protocol`).

mod acls;
mod configs;
pub use acls::{AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes};
pub use configs::{ConfigResourceTypes, ConfigSource};
mod faults;
mod reassign;
mod scram;
mod txns;

use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use super::broker::Broker;
use super::error;
use super::events::{self, Events};
use super::js::{self, object};
use super::kafka::resolved;
use super::log::Logger;
use crate::core::cluster::{lag, BrokerInfo, CommittedOffset, NewTopic, TopicMetadata};
use crate::core::error::Error;
use crate::core::log::OffsetSpec;
use crate::core::protocol::{Request, Response, TopicOutcome};

#[wasm_bindgen]
pub struct Admin {
    broker: Broker,
    events: Rc<Events>,
}

impl Admin {
    pub(crate) fn new(broker: Broker, client_id: Rc<str>, log: Rc<Logger>) -> Self {
        let events = Events::new(events::ADMIN, log, "Admin");
        Admin { broker: broker.watched(events.clone(), client_id), events }
    }
}

fn topic_request(t: &JsValue, i: usize) -> std::result::Result<NewTopic, JsValue> {
    let field = |name: &str| format!("topics[{i}].{name}");
    let mut topic = NewTopic::new(
        js::string(t, "topic", field("topic"))?,
        js::opt_int(t, "numPartitions", field("numPartitions"))?.unwrap_or(-1),
        js::opt_int(t, "replicationFactor", field("replicationFactor"))?.unwrap_or(-1),
    );
    for (j, entry) in js::list(t, "configEntries", field("configEntries"), false)?.iter().enumerate() {
        let at = |name: &str| field(&format!("configEntries[{j}].{name}"));
        topic = topic.config(js::string(entry, "name", at("name"))?, js::string(entry, "value", at("value"))?);
    }
    // KafkaJS's `replicaAssignment: [{ partition, replicas }]`; the core refuses it beside a partition count or
    // replication factor, as Kafka does.
    if !js::is_missing(&js::get(t, "replicaAssignment")) {
        let mut assignment = Vec::new();
        for (j, entry) in js::list(t, "replicaAssignment", field("replicaAssignment"), true)?.iter().enumerate() {
            let at = |name: &str| field(&format!("replicaAssignment[{j}].{name}"));
            let partition = js::int(&js::get(entry, "partition"), at("partition"))?;
            assignment.push((partition, reassign::broker_ids(&js::get(entry, "replicas"), &at("replicas"))?));
        }
        topic.assignment = Some(assignment);
    }
    Ok(topic)
}

/// KafkaJS's `partitionMetadata` of a topic (with franz's replication figures).
pub(crate) fn partition_metadata(t: &TopicMetadata) -> Array {
    js::array(t.partitions.iter().map(|p| {
        object([
            (
                "partitionErrorCode",
                if p.leader.is_some() { 0 } else { Error::LeaderNotAvailable(String::new()).code() }.into(),
            ),
            ("partitionId", p.partition.into()),
            ("leader", p.leader.unwrap_or(-1).into()),
            ("leaderEpoch", p.leader_epoch.into()),
            ("replicas", js::array(p.replicas.iter().copied()).into()),
            ("isr", js::array(p.isr.iter().copied()).into()),
            ("offlineReplicas", js::array(p.offline_replicas.iter().copied()).into()),
            // franz's own, for views of replication: each replica's LEO and the high watermark it knows.
            ("highWatermark", js::offset(p.high_watermark)),
            ("replicaLogEndOffsets", js::array(p.replica_log_end_offsets.iter().map(|o| js::offset(*o))).into()),
            ("replicaHighWatermarks", js::array(p.replica_high_watermarks.iter().map(|o| js::offset(*o))).into()),
        ])
    }))
}

/// KafkaJS's `[{ nodeId, host, port, rack }]` of `brokers`.
pub(crate) fn broker_metadata<'a>(broker: &Broker, brokers: impl Iterator<Item = &'a BrokerInfo>) -> Array {
    let name = broker.cluster_name();
    js::array(brokers.map(|b| {
        object([
            ("nodeId", b.id.into()),
            ("host", format!("broker-{}.{name}.franz.local", b.id).into()),
            ("port", 9092.into()),
            ("rack", b.rack.as_deref().map_or(JsValue::NULL, JsValue::from)),
        ])
    }))
}

/// A JS promise for an admin call. Argument checks happen inside it, so a bad argument rejects, as in KafkaJS.
fn promise(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    wasm_bindgen_futures::future_to_promise(work)
}

fn to_js(e: Error) -> JsValue {
    error::to_js(&e)
}

/// The first error of an answer given per item (a user, a transactional id), naming its `kind` and item, as the
/// call's rejection, as Java's `all()` fails.
fn first_item_error<'a>(kind: &str, mut errors: impl Iterator<Item = (&'a String, &'a Error)>) -> Result<(), JsValue> {
    match errors.next() {
        Some((item, e)) => Err(to_js(Error::from_name(e.name(), format!("{kind} {item:?}: {}", e.detail())))),
        None => Ok(()),
    }
}

fn unexpected() -> JsValue {
    to_js(Error::UnknownServerError("the broker answered with another kind of response".into()))
}

/// Kafka's Metadata for `topics` (all when `None`): the brokers and the topics.
async fn metadata(
    broker: &Broker,
    topics: Option<Vec<String>>,
) -> Result<(Vec<BrokerInfo>, Vec<TopicMetadata>), JsValue> {
    broker.call(Request::metadata(topics)).await.and_then(Response::into_metadata).map_err(to_js)
}

/// Whether every topic was created (false: some existed already). Any other failure rejects with every topic's
/// failure, as KafkaJS's `KafkaJSAggregateError` does, the first that is not TOPIC_ALREADY_EXISTS leading.
fn created(outcomes: &[TopicOutcome]) -> Result<bool, JsValue> {
    let mut failed: Vec<(&str, &Error)> =
        outcomes.iter().filter_map(|o| Some((o.topic.as_str(), o.error.as_ref()?))).collect();
    match failed.iter().position(|(_, e)| !matches!(e, Error::TopicAlreadyExists(_))) {
        None => Ok(failed.is_empty()),
        Some(lead) => {
            failed[..=lead].rotate_right(1); // the lead first, the others in order
            Err(error::topics_not_created(&failed))
        }
    }
}

fn optional_topics(options: &JsValue) -> Result<Option<Vec<String>>, JsValue> {
    if js::is_missing(&js::get(options, "topics")) {
        Ok(None)
    } else {
        js::string_list(options, "topics", "topics", true).map(Some)
    }
}

#[wasm_bindgen]
impl Admin {
    /// Nothing to connect to in a tab; kept so KafkaJS code runs unchanged.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        self.events.instrument("admin.connect", || JsValue::UNDEFINED);
        resolved(JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        self.events.instrument("admin.disconnect", || JsValue::UNDEFINED);
        resolved(JsValue::UNDEFINED)
    }

    /// Listens for one of `events`; returns a remover.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AdminEventName")] event: String,
        #[wasm_bindgen(unchecked_param_type = "(event: InstrumentationEvent<any>) => void")] listener: Function,
    ) -> Result<JsValue, JsValue> {
        self.events.on(&event, listener)
    }

    /// KafkaJS's `admin.events`.
    #[wasm_bindgen(getter, unchecked_return_type = "AdminEvents")]
    pub fn events(&self) -> js_sys::Object {
        self.events.names_object()
    }

    /// KafkaJS's `admin.logger()`: the cluster's logger, in the `Admin` namespace.
    #[wasm_bindgen(unchecked_return_type = "Logger")]
    pub fn logger(&self) -> JsValue {
        self.events.logger()
    }

    /// Resolves `true` when every topic was created, `false` when one already existed (as KafkaJS does);
    /// rejects on any other error. With `validateOnly`, checks and creates nothing.
    #[wasm_bindgen(js_name = createTopics, unchecked_return_type = "Promise<boolean>")]
    pub fn create_topics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateTopicsOptions")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let validate_only = js::opt_bool(&options, "validateOnly", "validateOnly")?.unwrap_or(false);
            let topics = js::list(&options, "topics", "topics", true)?
                .iter()
                .enumerate()
                .map(|(i, t)| topic_request(t, i))
                .collect::<Result<Vec<_>, _>>()?;
            let Response::CreateTopics(outcomes) =
                broker.call(Request::CreateTopics { topics, validate_only }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            Ok(created(&outcomes)?.into())
        })
    }

    #[wasm_bindgen(js_name = listTopics, unchecked_return_type = "Promise<string[]>")]
    pub fn list_topics(&self) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let (_, topics) = metadata(&broker, None).await?;
            // Internal topics (`__consumer_offsets`) are left out, as Kafka's AdminClient.listTopics does.
            let names = topics.into_iter().filter(|t| !t.is_internal).map(|t| JsValue::from(t.name));
            Ok(js::array(names).into())
        })
    }

    #[wasm_bindgen(js_name = deleteTopics, unchecked_return_type = "Promise<void>")]
    pub fn delete_topics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ topics: string[]; timeout?: number }")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let topics = js::string_list(&options, "topics", "topics", true)?;
            let Response::DeleteTopics(outcomes) =
                broker.call(Request::DeleteTopics { topics }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            match outcomes.into_iter().find_map(|o| o.error) {
                Some(e) => Err(to_js(e)),
                None => Ok(JsValue::UNDEFINED),
            }
        })
    }

    /// Grows topics to `count` partitions each.
    #[wasm_bindgen(js_name = createPartitions, unchecked_return_type = "Promise<boolean>")]
    pub fn create_partitions(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ validateOnly?: boolean; timeout?: number; topicPartitions: { topic: string; count: number; assignments?: number[][] }[] }"
        )]
        options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let validate_only = js::opt_bool(&options, "validateOnly", "validateOnly")?.unwrap_or(false);
            for (i, tp) in js::list(&options, "topicPartitions", "topicPartitions", true)?.iter().enumerate() {
                let topic = js::string(tp, "topic", format_args!("topicPartitions[{i}].topic"))?;
                let count = js::opt_int(tp, "count", format_args!("topicPartitions[{i}].count"))?.ok_or_else(|| {
                    js::type_error(format_args!("topicPartitions[{i}].count"), "a number", &JsValue::UNDEFINED)
                })?;
                // KafkaJS's `assignments`: one replica list per new partition.
                let assignments = match js::get(tp, "assignments") {
                    lists if js::is_missing(&lists) => None,
                    _ => Some(
                        js::list(tp, "assignments", format_args!("topicPartitions[{i}].assignments"), true)?
                            .iter()
                            .enumerate()
                            .map(|(j, l)| reassign::broker_ids(l, &format!("topicPartitions[{i}].assignments[{j}]")))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                };
                let request = Request::CreatePartitions { topic, count, assignments, validate_only };
                broker.call(request).await.map_err(to_js)?;
            }
            Ok(true.into())
        })
    }

    /// KafkaJS's `deleteTopicRecords({ topic, partitions: [{ partition, offset }] })` (Kafka's DeleteRecords):
    /// each partition's records before `offset` go (`'-1'`: every record below the high watermark), at the
    /// leader and its followers. Consumers then read from the new log start. An offset before the log start
    /// changes nothing; one past the high watermark is OFFSET_OUT_OF_RANGE, a compact-only topic
    /// POLICY_VIOLATION (the call rejects with the first error; the other partitions are done).
    #[wasm_bindgen(js_name = deleteTopicRecords, unchecked_return_type = "Promise<void>")]
    pub fn delete_topic_records(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ topic: string; partitions: SeekEntry[] }")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let topic = js::string(&options, "topic", "topic")?;
            let mut partitions = Vec::new();
            for (i, p) in js::list(&options, "partitions", "partitions", true)?.iter().enumerate() {
                let partition = js::int(&js::get(p, "partition"), format_args!("partitions[{i}].partition"))?;
                partitions.push((partition, js::int(&js::get(p, "offset"), format_args!("partitions[{i}].offset"))?));
            }
            if partitions.is_empty() {
                return Err(js::type_error("partitions", "a non-empty array", &js::get(&options, "partitions")));
            }
            let request = Request::DeleteRecords { topic: topic.clone(), partitions: partitions.clone() };
            let Response::DeleteRecords(results) = broker.call(request).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            let offset_asked = |p: i32| partitions.iter().find(|(q, _)| *q == p).map_or(-1, |(_, o)| *o);
            let failed: Vec<_> = results
                .iter()
                .filter_map(|r| Some((r.partition as u32, offset_asked(r.partition), r.result.as_ref().err()?)))
                .collect();
            if failed.is_empty() {
                Ok(JsValue::UNDEFINED)
            } else {
                Err(error::records_not_deleted(&topic, &failed))
            }
        })
    }

    /// `{ topics: [{ name, partitions: [{ partitionErrorCode, partitionId, leader, replicas, isr, offlineReplicas }] }] }`
    /// for the named topics, or all of them.
    #[wasm_bindgen(js_name = fetchTopicMetadata, unchecked_return_type = "Promise<{ topics: ITopicMetadata[] }>")]
    pub fn fetch_topic_metadata(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "{ topics?: string[] }")] options: Option<JsValue>,
    ) -> Promise {
        let broker = self.broker.clone();
        let options = options.unwrap_or(JsValue::UNDEFINED);
        promise(async move {
            let (_, topics) = metadata(&broker, optional_topics(&options)?).await?;
            let topics = js::array(
                topics
                    .iter()
                    .map(|t| object([("name", t.name.as_str().into()), ("partitions", partition_metadata(t).into())])),
            );
            Ok(object([("topics", topics.into())]).into())
        })
    }

    /// `[{ partition, offset, high, low }]`: `offset` and `high` are the high watermark, `low` the log start.
    #[wasm_bindgen(
        js_name = fetchTopicOffsets,
        unchecked_return_type = "Promise<Array<{ partition: number; offset: string; high: string; low: string }>>"
    )]
    pub fn fetch_topic_offsets(&self, topic: String) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let (_, topics) = metadata(&broker, Some(vec![topic])).await?;
            Ok(js::array(topics[0].partitions.iter().map(|p| {
                object([
                    ("partition", p.partition.into()),
                    ("offset", js::offset(p.high_watermark)),
                    ("high", js::offset(p.high_watermark)),
                    ("low", js::offset(p.log_start_offset)),
                ])
            }))
            .into())
        })
    }

    /// `[{ partition, offset }]`: the first offset whose timestamp is at least `timestamp`, or the high watermark
    /// when there is none (KafkaJS's behaviour). Without a timestamp, the high watermark.
    #[wasm_bindgen(js_name = fetchTopicOffsetsByTimestamp, unchecked_return_type = "Promise<Array<{ partition: number; offset: string }>>")]
    pub fn fetch_topic_offsets_by_timestamp(&self, topic: String, timestamp: Option<f64>) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let (_, topics) = metadata(&broker, Some(vec![topic.clone()])).await?;
            let mut out = Vec::new();
            for p in &topics[0].partitions {
                let found = match timestamp {
                    Some(t) => {
                        let spec = OffsetSpec::Timestamp(t as i64);
                        let request =
                            Request::ListOffsets { topic: topic.clone(), partition: p.partition as i32, spec };
                        match broker.call(request).await.map_err(to_js)? {
                            Response::ListOffsets(found) => found.map(|f| f.offset),
                            _ => return Err(unexpected()),
                        }
                    }
                    None => None,
                };
                let offset = found.unwrap_or(p.high_watermark);
                out.push(object([("partition", p.partition.into()), ("offset", js::offset(offset))]));
            }
            Ok(js::array(out).into())
        })
    }

    /// `{ brokers: [{ nodeId, host, port, rack }], offlineBrokers, controller, clusterId }`. Hosts are
    /// franz-local names, not network addresses: the brokers live in the browser. `brokers` lists the live ones,
    /// as in KafkaJS; `offlineBrokers` (franz) the ids of those that are down.
    #[wasm_bindgen(
        js_name = describeCluster,
        unchecked_return_type = "Promise<{ brokers: { nodeId: number; host: string; port: number; rack: string | null }[]; offlineBrokers: number[]; controller: number | null; clusterId: string }>"
    )]
    pub fn describe_cluster(&self) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let (brokers, _) = metadata(&broker, Some(Vec::new())).await?;
            let (live, down): (Vec<&BrokerInfo>, Vec<&BrokerInfo>) = brokers.iter().partition(|b| b.alive);
            let controller = live.first().map_or(JsValue::NULL, |b| b.id.into());
            let name = broker.cluster_name();
            let live = broker_metadata(&broker, live.into_iter());
            // As in KafkaJS, `brokers` lists the live ones; franz adds the ids of those that are down.
            let down = js::array(down.iter().map(|b| b.id));
            Ok(object([
                ("brokers", live.into()),
                ("offlineBrokers", down.into()),
                ("controller", controller),
                ("clusterId", name.as_str().into()),
            ])
            .into())
        })
    }

    /// `[{ topic, partitions: [{ partition, offset, metadata }] }]`: a group's committed offsets, `-1` where it
    /// has committed nothing. With KafkaJS's `resolveOffsets`, a partition without one gets the high watermark,
    /// committed for the group (which must have no members, as for `setOffsets`).
    #[wasm_bindgen(
        js_name = fetchOffsets,
        unchecked_return_type = "Promise<Array<{ topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }>>"
    )]
    pub fn fetch_offsets(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ groupId: string; topics?: string[]; resolveOffsets?: boolean }")]
        options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let group = js::string(&options, "groupId", "groupId")?;
            let resolve = js::opt_bool(&options, "resolveOffsets", "resolveOffsets")?.unwrap_or(false);
            let found = committed_offsets(&broker, &group, optional_topics(&options)?).await?;
            if resolve && found.iter().any(|(_, committed)| committed.iter().any(Option::is_none)) {
                ensure_inactive(&broker, &group).await?;
            }
            let mut out = Vec::new();
            for (t, committed) in found {
                let mut list = Vec::new();
                for (p, committed) in t.partitions.iter().zip(committed) {
                    let offset = match &committed {
                        Some(c) => c.offset,
                        None if resolve => {
                            commit(&broker, &group, &t.name, p.partition as i32, p.high_watermark).await?;
                            p.high_watermark
                        }
                        None => -1,
                    };
                    list.push(object([
                        ("partition", p.partition.into()),
                        ("offset", js::offset(offset)),
                        ("metadata", committed.and_then(|c| c.metadata).map_or(JsValue::NULL, JsValue::from)),
                    ]));
                }
                out.push(object([("topic", t.name.as_str().into()), ("partitions", js::array(list).into())]));
            }
            Ok(js::array(out).into())
        })
    }

    /// `{ groups: [{ groupId, protocolType }] }`: every group with members or committed offsets.
    #[wasm_bindgen(
        js_name = listGroups,
        unchecked_return_type = "Promise<{ groups: { groupId: string; protocolType: string }[] }>"
    )]
    pub fn list_groups(&self) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let Response::ListGroups(groups) = broker.call(Request::ListGroups).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            let groups = js::array(
                groups
                    .iter()
                    .map(|(g, _)| object([("groupId", g.as_str().into()), ("protocolType", "consumer".into())])),
            );
            Ok(object([("groups", groups.into())]).into())
        })
    }

    /// `{ groups: GroupDescription[] }`, one per id, `Dead` for a group that does not exist, as in KafkaJS.
    #[wasm_bindgen(js_name = describeGroups, unchecked_return_type = "Promise<{ groups: GroupDescription[] }>")]
    pub fn describe_groups(&self, #[wasm_bindgen(unchecked_param_type = "string[]")] group_ids: JsValue) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let ids = group_ids_of(&group_ids)?;
            let mut out = Vec::new();
            for id in ids {
                out.push(super::consumer::describe_group(&broker, &id).await.map_err(to_js)?);
            }
            Ok(object([("groups", js::array(out).into())]).into())
        })
    }

    /// Deletes groups and their committed offsets; `[{ groupId, errorCode }]`. A group with members gets
    /// NON_EMPTY_GROUP, one that does not exist GROUP_ID_NOT_FOUND (the call rejects with the first).
    #[wasm_bindgen(
        js_name = deleteGroups,
        unchecked_return_type = "Promise<{ groupId: string; errorCode: number }[]>"
    )]
    pub fn delete_groups(&self, #[wasm_bindgen(unchecked_param_type = "string[]")] group_ids: JsValue) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let groups = group_ids_of(&group_ids)?;
            let Response::DeleteGroups(results) = broker.call(Request::DeleteGroups { groups }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            let failed: Vec<_> = results.iter().filter_map(|(g, e)| Some((g.as_str(), e.as_ref()?))).collect();
            if !failed.is_empty() {
                return Err(error::groups_not_deleted(&failed));
            }
            let out = results.iter().map(|(g, _)| object([("groupId", g.as_str().into()), ("errorCode", 0.into())]));
            Ok(js::array(out).into())
        })
    }

    /// franz's lag report, as `kafka-consumer-groups --describe` prints it: per partition of the group's topics
    /// (or `topics`), the committed offset (-1: none), the log end offset consumers see (the high watermark),
    /// the lag between them (from the log start when nothing is committed), and the member reading it.
    #[wasm_bindgen(
        js_name = fetchGroupLag,
        unchecked_return_type = "Promise<{ topic: string; partition: number; committed: string; logEndOffset: string; lag: string; memberId: string | null }[]>"
    )]
    pub fn fetch_group_lag(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ groupId: string; topics?: string[] }")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let group = js::string(&options, "groupId", "groupId")?;
            let Response::DescribeGroup(described) =
                broker.call(Request::DescribeGroup { group: group.clone() }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            let reader = |topic: &str, partition: u32| {
                described.as_ref().and_then(|d| {
                    d.members.iter().find(|(_, _, tps)| tps.iter().any(|(t, p)| t == topic && *p == partition))
                })
            };
            let mut out = Vec::new();
            for (t, committed) in committed_offsets(&broker, &group, optional_topics(&options)?).await? {
                for (p, committed) in t.partitions.iter().zip(committed) {
                    let committed = committed.map(|c| c.offset);
                    out.push(object([
                        ("topic", t.name.as_str().into()),
                        ("partition", p.partition.into()),
                        ("committed", js::offset(committed.unwrap_or(-1))),
                        ("logEndOffset", js::offset(p.high_watermark)),
                        ("lag", js::offset(lag(committed, p.log_start_offset, p.high_watermark))),
                        ("memberId", reader(&t.name, p.partition).map_or(JsValue::NULL, |(m, _, _)| m.as_str().into())),
                    ]));
                }
            }
            Ok(js::array(out).into())
        })
    }

    /// KafkaJS's `resetOffsets({ groupId, topic, earliest = false })`: the group's committed offsets go to the
    /// start (or the end) of every partition. Only for a group with no members, as Kafka requires.
    #[wasm_bindgen(js_name = resetOffsets, unchecked_return_type = "Promise<void>")]
    pub fn reset_offsets(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ groupId: string; topic: string; earliest?: boolean }")]
        options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let group = js::string(&options, "groupId", "groupId")?;
            let topic = js::string(&options, "topic", "topic")?;
            let earliest = js::opt_bool(&options, "earliest", "earliest")?.unwrap_or(false);
            ensure_inactive(&broker, &group).await?;
            let (_, topics) = metadata(&broker, Some(vec![topic.clone()])).await?;
            for p in &topics[0].partitions {
                let spec = if earliest { OffsetSpec::Earliest } else { OffsetSpec::Latest };
                let request = Request::ListOffsets { topic: topic.clone(), partition: p.partition as i32, spec };
                let Response::ListOffsets(found) = broker.call(request).await.map_err(to_js)? else {
                    return Err(unexpected());
                };
                let offset = found.map_or(0, |f| f.offset);
                commit(&broker, &group, &topic, p.partition as i32, offset).await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// KafkaJS's `setOffsets({ groupId, topic, partitions: [{ partition, offset }] })`, for a group with no
    /// members.
    #[wasm_bindgen(js_name = setOffsets, unchecked_return_type = "Promise<void>")]
    pub fn set_offsets(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ groupId: string; topic: string; partitions: { partition: number; offset: string | number }[] }"
        )]
        options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            let group = js::string(&options, "groupId", "groupId")?;
            let topic = js::string(&options, "topic", "topic")?;
            let mut wanted = Vec::new();
            for (i, p) in js::list(&options, "partitions", "partitions", true)?.iter().enumerate() {
                let partition = js::int::<i32>(&js::get(p, "partition"), format_args!("partitions[{i}].partition"))?;
                let offset = js::int::<i64>(&js::get(p, "offset"), format_args!("partitions[{i}].offset"))?;
                wanted.push((partition, offset));
            }
            ensure_inactive(&broker, &group).await?;
            for (partition, offset) in wanted {
                commit(&broker, &group, &topic, partition, offset).await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// Every (non-internal) topic of `topics` (or all), with the group's committed offset of each partition.
async fn committed_offsets(
    broker: &Broker,
    group: &str,
    topics: Option<Vec<String>>,
) -> Result<Vec<(TopicMetadata, Vec<Option<CommittedOffset>>)>, JsValue> {
    let (_, topics) = metadata(broker, topics).await?;
    let mut out = Vec::new();
    for t in topics.into_iter().filter(|t| !t.is_internal) {
        let mut committed = Vec::new();
        for p in &t.partitions {
            let request = Request::OffsetFetch { group: group.into(), topic: t.name.clone(), partition: p.partition };
            let Response::OffsetFetch(c) = broker.call(request).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            committed.push(c);
        }
        out.push((t, committed));
    }
    Ok(out)
}

/// The group ids of a `string[]` argument.
fn group_ids_of(v: &JsValue) -> Result<Vec<String>, JsValue> {
    if !js_sys::Array::is_array(v) {
        return Err(js::type_error("groupIds", "an array of group ids", v));
    }
    js_sys::Array::from(v)
        .iter()
        .enumerate()
        .map(|(i, g)| g.as_string().ok_or_else(|| js::type_error(format_args!("groupIds[{i}]"), "a string", &g)))
        .collect()
}

/// Offsets may be changed only while nobody consumes for the group (Kafka refuses otherwise).
async fn ensure_inactive(broker: &Broker, group: &str) -> Result<(), JsValue> {
    let Response::DescribeGroup(found) =
        broker.call(Request::DescribeGroup { group: group.into() }).await.map_err(to_js)?
    else {
        return Err(unexpected());
    };
    if found.is_some_and(|d| !d.members.is_empty()) {
        return Err(to_js(Error::NonEmptyGroup(format!(
            "group {group:?} has active members: offsets can be reset only while it is inactive"
        ))));
    }
    Ok(())
}

async fn commit(broker: &Broker, group: &str, topic: &str, partition: i32, offset: i64) -> Result<(), JsValue> {
    let request = Request::OffsetCommit {
        group: group.into(),
        topic: topic.into(),
        partition,
        offset,
        metadata: None,
        member: None,
    };
    broker.call(request).await.map_err(to_js)?;
    Ok(())
}
