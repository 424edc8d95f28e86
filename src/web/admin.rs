//! `kafka.admin()`: KafkaJS's admin client over the cluster's admin operations.

use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::js::{self, object};
use super::kafka::{durable, resolved, settle, settle_core, Inner};
use crate::core::cluster::{NewTopic, TopicMetadata};
use crate::core::error::{Error, Result};

/// KafkaJS's `ConfigResourceTypes.TOPIC`.
const RESOURCE_TOPIC: i32 = 2;

#[wasm_bindgen]
pub struct Admin {
    inner: Rc<Inner>,
}

impl Admin {
    pub(crate) fn new(inner: Rc<Inner>) -> Self {
        Admin { inner }
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
    Ok(topic)
}

fn partition_metadata(t: &TopicMetadata) -> Array {
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
        ])
    }))
}

/// Topic names in a `{ topics: [...] }` argument.
fn topic_names(options: &JsValue, key: &'static str) -> std::result::Result<Vec<String>, JsValue> {
    js::list(options, key, key, true)?
        .iter()
        .enumerate()
        .map(|(i, t)| t.as_string().ok_or_else(|| js::type_error(format!("{key}[{i}]"), "a string", t)))
        .collect()
}

#[wasm_bindgen]
impl Admin {
    /// Nothing to connect to in a tab; kept so KafkaJS code runs unchanged.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        resolved(JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        resolved(JsValue::UNDEFINED)
    }

    /// Resolves `true` when every topic was created, `false` when one already existed (as KafkaJS does);
    /// rejects on any other error. With `validateOnly`, checks and creates nothing.
    #[wasm_bindgen(js_name = createTopics, unchecked_return_type = "Promise<boolean>")]
    pub fn create_topics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateTopicsOptions")] options: JsValue,
    ) -> Promise {
        durable(
            &self.inner,
            (|| {
                self.inner.check_open()?;
                let validate_only = js::opt_bool(&options, "validateOnly", "validateOnly")?.unwrap_or(false);
                let requests: Vec<NewTopic> = js::list(&options, "topics", "topics", true)?
                    .iter()
                    .enumerate()
                    .map(|(i, t)| topic_request(t, i))
                    .collect::<std::result::Result<_, _>>()?;
                let mut all_created = true;
                for request in &requests {
                    match self.inner.cluster.borrow_mut().create_topic(request, validate_only) {
                        Ok(()) => {}
                        Err(Error::TopicAlreadyExists(_)) => all_created = false,
                        Err(e) => return Err(super::error::to_js(&e)),
                    }
                    if !validate_only {
                        self.inner.changed("createTopics", &request.name);
                    }
                }
                Ok(all_created.into())
            })(),
        )
    }

    #[wasm_bindgen(js_name = listTopics, unchecked_return_type = "Promise<string[]>")]
    pub fn list_topics(&self) -> Promise {
        let names = self.inner.cluster.borrow().metadata().into_iter().map(|t| t.name);
        resolved(js::array(names.map(JsValue::from)).into())
    }

    #[wasm_bindgen(js_name = deleteTopics, unchecked_return_type = "Promise<void>")]
    pub fn delete_topics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ topics: string[] }")] options: JsValue,
    ) -> Promise {
        durable(
            &self.inner,
            (|| {
                self.inner.check_open()?;
                for name in topic_names(&options, "topics")? {
                    self.inner.cluster.borrow_mut().delete_topic(&name).map_err(|e| super::error::to_js(&e))?;
                    self.inner.changed("deleteTopics", &name);
                }
                Ok(JsValue::UNDEFINED)
            })(),
        )
    }

    /// Grows topics to `count` partitions each.
    #[wasm_bindgen(js_name = createPartitions, unchecked_return_type = "Promise<boolean>")]
    pub fn create_partitions(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ validateOnly?: boolean; topicPartitions: { topic: string; count: number }[] }"
        )]
        options: JsValue,
    ) -> Promise {
        durable(
            &self.inner,
            (|| {
                self.inner.check_open()?;
                let validate_only = js::opt_bool(&options, "validateOnly", "validateOnly")?.unwrap_or(false);
                for (i, tp) in js::list(&options, "topicPartitions", "topicPartitions", true)?.iter().enumerate() {
                    let topic = js::string(tp, "topic", format!("topicPartitions[{i}].topic"))?;
                    let count = js::opt_int(tp, "count", format!("topicPartitions[{i}].count"))?.ok_or_else(|| {
                        js::type_error(format!("topicPartitions[{i}].count"), "a number", &JsValue::UNDEFINED)
                    })?;
                    self.inner
                        .cluster
                        .borrow_mut()
                        .create_partitions(&topic, count, validate_only)
                        .map_err(|e| super::error::to_js(&e))?;
                    if !validate_only {
                        self.inner.changed("createPartitions", &topic);
                    }
                }
                Ok(true.into())
            })(),
        )
    }

    /// `{ topics: [{ name, partitions: [{ partitionErrorCode, partitionId, leader, replicas, isr, offlineReplicas }] }] }`
    /// for the named topics, or all of them.
    #[wasm_bindgen(js_name = fetchTopicMetadata, unchecked_return_type = "Promise<{ topics: ITopicMetadata[] }>")]
    pub fn fetch_topic_metadata(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ topics?: string[] }")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        settle((|| {
            let cluster = self.inner.cluster.borrow();
            let topics = if js::is_missing(&js::get(&options, "topics")) {
                cluster.metadata()
            } else {
                topic_names(&options, "topics")?
                    .iter()
                    .map(|t| cluster.describe_topic(t))
                    .collect::<Result<Vec<_>>>()
                    .map_err(|e| super::error::to_js(&e))?
            };
            let topics = js::array(
                topics
                    .iter()
                    .map(|t| object([("name", t.name.as_str().into()), ("partitions", partition_metadata(t).into())])),
            );
            Ok(object([("topics", topics.into())]).into())
        })())
    }

    /// `[{ partition, offset, high, low }]`: `offset` and `high` are the high watermark, `low` the log start.
    #[wasm_bindgen(js_name = fetchTopicOffsets, unchecked_return_type = "Promise<Array<{ partition: number; offset: string; high: string; low: string }>>")]
    pub fn fetch_topic_offsets(&self, topic: String) -> Promise {
        settle_core((|| {
            let cluster = self.inner.cluster.borrow();
            let partitions = cluster.describe_topic(&topic)?.partitions;
            Ok(js::array(partitions.iter().map(|p| {
                object([
                    ("partition", p.partition.into()),
                    ("offset", js::offset(p.high_watermark)),
                    ("high", js::offset(p.high_watermark)),
                    ("low", js::offset(p.log_start_offset)),
                ])
            }))
            .into())
        })())
    }

    /// `[{ partition, offset }]`: the first offset whose timestamp is at least `timestamp`, or the high watermark
    /// when there is none (KafkaJS's behaviour). Without a timestamp, the high watermark.
    #[wasm_bindgen(
        js_name = fetchTopicOffsetsByTimestamp,
        unchecked_return_type = "Promise<Array<{ partition: number; offset: string }>>"
    )]
    pub fn fetch_topic_offsets_by_timestamp(&self, topic: String, timestamp: Option<f64>) -> Promise {
        let inner = self.inner.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let to_js = |e: Error| super::error::to_js(&e);
            let partitions = inner.cluster.borrow().describe_topic(&topic).map_err(to_js)?.partitions;
            let mut out = Vec::new();
            for p in &partitions {
                let found = match timestamp {
                    Some(t) => inner.offset_for_timestamp(&topic, p.partition, t as i64).await.map_err(to_js)?,
                    None => None,
                };
                let offset = found.unwrap_or(p.high_watermark);
                out.push(object([("partition", p.partition.into()), ("offset", js::offset(offset))]));
            }
            Ok(js::array(out).into())
        })
    }

    /// `{ brokers: [{ nodeId, host, port }], controller, clusterId }`. Hosts are franz-local names, not
    /// network addresses: the brokers live in this tab.
    #[wasm_bindgen(js_name = describeCluster, unchecked_return_type = "Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number | null; clusterId: string }>")]
    pub fn describe_cluster(&self) -> Promise {
        let cluster = self.inner.cluster.borrow();
        let brokers: Vec<_> = cluster.brokers().filter(|b| b.alive).map(|b| b.id).collect();
        let controller = brokers.first().map_or(JsValue::NULL, |&id| id.into());
        let brokers = js::array(brokers.iter().map(|&id| {
            object([
                ("nodeId", id.into()),
                ("host", format!("broker-{id}.{}.franz.local", self.inner.cluster_name).into()),
                ("port", 9092.into()),
            ])
        }));
        resolved(
            object([
                ("brokers", brokers.into()),
                ("controller", controller),
                ("clusterId", self.inner.cluster_name.as_str().into()),
            ])
            .into(),
        )
    }

    /// KafkaJS's `describeConfigs` for topic resources.
    #[wasm_bindgen(js_name = describeConfigs, unchecked_return_type = "Promise<DescribeConfigResponse>")]
    pub fn describe_configs(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ resources: { type: number; name: string }[] }")] options: JsValue,
    ) -> Promise {
        settle((|| {
            let mut resources = Vec::new();
            for (i, r) in js::list(&options, "resources", "resources", true)?.iter().enumerate() {
                let name = topic_resource(r, i)?;
                let entries =
                    self.inner.cluster.borrow().describe_configs(&name).map_err(|e| super::error::to_js(&e))?;
                let entries = js::array(entries.iter().map(|e| {
                    object([
                        ("configName", e.name.into()),
                        ("configValue", e.value.as_str().into()),
                        ("isDefault", e.is_default.into()),
                        // KafkaJS's ConfigSource: 1 = TOPIC_CONFIG (an override), 5 = DEFAULT_CONFIG.
                        ("configSource", if e.is_default { 5 } else { 1 }.into()),
                        ("isSensitive", false.into()),
                        ("readOnly", false.into()),
                        ("configSynonyms", Array::new().into()),
                    ])
                }));
                resources.push(object([
                    ("errorCode", 0.into()),
                    ("errorMessage", JsValue::NULL),
                    ("resourceName", name.as_str().into()),
                    ("resourceType", RESOURCE_TOPIC.into()),
                    ("configEntries", entries.into()),
                ]));
            }
            Ok(object([("resources", js::array(resources).into()), ("throttleTime", 0.into())]).into())
        })())
    }

    /// KafkaJS's `alterConfigs`, which uses Kafka's (non-incremental) AlterConfigs: the given entries become the
    /// topic's whole set of overrides, and every config not named goes back to its default.
    #[wasm_bindgen(js_name = alterConfigs, unchecked_return_type = "Promise<void>")]
    pub fn alter_configs(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ validateOnly?: boolean; resources: { type: number; name: string; configEntries: { name: string; value: string }[] }[] }"
        )]
        options: JsValue,
    ) -> Promise {
        durable(
            &self.inner,
            (|| {
                self.inner.check_open()?;
                let validate_only = js::opt_bool(&options, "validateOnly", "validateOnly")?.unwrap_or(false);
                for (i, r) in js::list(&options, "resources", "resources", true)?.iter().enumerate() {
                    let name = topic_resource(r, i)?;
                    let mut changes: Vec<(String, Option<String>)> =
                        crate::core::topic::CONFIG_NAMES.iter().map(|n| ((*n).to_owned(), None)).collect();
                    for (j, e) in
                        js::list(r, "configEntries", format!("resources[{i}].configEntries"), true)?.iter().enumerate()
                    {
                        let at = |f: &str| format!("resources[{i}].configEntries[{j}].{f}");
                        let key = js::string(e, "name", at("name"))?;
                        let value = js::string(e, "value", at("value"))?;
                        match changes.iter_mut().find(|(k, _)| *k == key) {
                            Some(slot) => slot.1 = Some(value),
                            None => changes.push((key, Some(value))), // unknown: the core names it in INVALID_CONFIG
                        }
                    }
                    let altered = self.inner.cluster.borrow_mut().alter_configs(&name, &changes, validate_only);
                    altered.map_err(|e| super::error::to_js(&e))?;
                    if !validate_only {
                        self.inner.changed("alterConfigs", &name);
                    }
                }
                Ok(JsValue::UNDEFINED)
            })(),
        )
    }

    /// `[{ topic, partitions: [{ partition, offset, metadata }] }]`: a group's committed offsets, `-1` where it
    /// has committed nothing.
    #[wasm_bindgen(js_name = fetchOffsets, unchecked_return_type = "Promise<Array<{ topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }>>")]
    pub fn fetch_offsets(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ groupId: string; topics?: string[] }")] options: JsValue,
    ) -> Promise {
        settle((|| {
            let group = js::string(&options, "groupId", "groupId")?;
            let cluster = self.inner.cluster.borrow();
            let topics = if js::is_missing(&js::get(&options, "topics")) {
                cluster.metadata().into_iter().filter(|t| !t.is_internal).map(|t| t.name).collect()
            } else {
                topic_names(&options, "topics")?
            };
            let mut out = Vec::new();
            for topic in topics {
                let to_js = |e: Error| super::error::to_js(&e);
                let partitions = cluster.describe_topic(&topic).map_err(to_js)?.partitions;
                let mut list = Vec::new();
                for p in partitions {
                    let committed = cluster.committed_offset(&group, &topic, p.partition).map_err(to_js)?;
                    list.push(object([
                        ("partition", p.partition.into()),
                        ("offset", js::offset(committed.as_ref().map_or(-1, |c| c.offset))),
                        ("metadata", committed.and_then(|c| c.metadata).map_or(JsValue::NULL, JsValue::from)),
                    ]));
                }
                out.push(object([("topic", topic.as_str().into()), ("partitions", js::array(list).into())]));
            }
            Ok(js::array(out).into())
        })())
    }
}

fn topic_resource(r: &JsValue, i: usize) -> std::result::Result<String, JsValue> {
    let kind: i32 = js::opt_int(r, "type", format!("resources[{i}].type"))?.unwrap_or(RESOURCE_TOPIC);
    if kind != RESOURCE_TOPIC {
        return Err(super::error::to_js(&Error::InvalidRequest(format!(
            "resources[{i}]: only topic resources (type {RESOURCE_TOPIC}) exist in franz, got type {kind}"
        ))));
    }
    js::string(r, "name", format!("resources[{i}].name"))
}
