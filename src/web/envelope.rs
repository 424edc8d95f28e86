//! The wire between a client and a broker host: protocol requests and responses as plain JS objects that
//! `postMessage` carries, with record data as RecordBatch v2 bytes in transferred buffers (never one message per
//! record): an ArrayBuffer or a Uint8Array view of one. Any envelope may carry `give: ArrayBuffer[]`, buffers
//! of record data sent the other way, given back to be written again (see `transfer`).
//!
//! Request:  `{ id, kind, ... }`, where kind is a `core::protocol::Request` name:
//! - `Produce`   `{ acks, partitions: [{ topic, partition, records: ArrayBuffer | Uint8Array }] }`
//! - `Fetch`     `{ partitions: [{ topic, partition, offset, maxBytes }], minBytes, maxWaitMs,
//!   isolationLevel?: 0 | 1 }`, answered per partition with `lastStableOffset` and, for read_committed,
//!   `abortedTransactions`
//! - `ListOffsets` `{ topic, partition, spec: 'earliest' | 'latest' | 'lastStable' | 'max' | <timestamp> }`
//! - `Metadata` `{ topics?: string[], allowAutoTopicCreation?: boolean }`
//! - `CreateTopics` `{ topics: [{ name, partitions, replicationFactor, configs: [[k, v]],
//!   assignment?: [[partition, brokers]] }], validateOnly }`, `DeleteTopics` `{ topics }`
//! - `CreatePartitions` `{ topic, count, assignments?: brokers[], validateOnly }`
//! - `DeleteRecords` `{ topic, partitions: [{ partition, offset }] }`, answered with each partition's `leader`,
//!   `logStartOffset` and `lowWatermark`
//! - `DescribeConfigs` `{ topic }`, `AlterConfigs` `{ topic, changes: [[k, v | null]], validateOnly }`,
//!   `DescribeBrokerConfigs` `{ broker }` (answered as DescribeConfigs)
//! - `OffsetCommit` `{ group, topic, partition, offset, metadata?, memberId?, generation? }`, `OffsetFetch`
//!   `{ group, topic, partition }`
//! - `InitProducerId` `{ transactionalId?, transactionTimeoutMs? }`
//! - `Txn` `{ body: { transactionalId, producerId, epoch, request: { kind: 'addPartitions' | 'addOffsets' |
//!   'commitOffsets' | 'end', … } } }`: AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn
//! - `AlterPartitionReassignments` `{ body: [{ topic, partition, replicas: number[] | null }] }`, answered per
//!   partition; `ListPartitionReassignments` `{ topics?: [[topic, partitions]] }`
//! - `CreateAcls` `{ body: AclBinding[] }`, answered with an error or null for each; `DescribeAcls`
//!   `{ body: AclFilter }`; `DeleteAcls` `{ body: AclFilter[] }`, answered with the ACLs each filter removed
//!   (`core::acl`'s types, as plain objects)
//! - `ListTransactions` `{ body: { states, producerIds } }` (a `core::txn::TxnFilter`), answered with
//!   `core::txn::TxnDescription`s as plain objects; `DescribeTransactions` `{ ids }`, answered with
//!   `[{ transactionalId, description?, error }]`, one for each id
//! - `AlterUserScramCredentials` `{ deletions?: [{ user, mechanism }], upsertions?: [{ user, mechanism,
//!   iterations, salt, saltedPassword }] }` (salt and salted password as arrays of bytes), answered with
//!   `[{ user, error }]`; `DescribeUserScramCredentials` `{ users? }`, answered with `[{ user, credentialInfos?:
//!   [{ mechanism, iterations }], error }]`
//! - `SaslHandshake` `{ mechanism }`, answered with `{ mechanisms }`; then `SaslAuthenticate`
//!   `{ body?: { username, password } }` (PLAIN) or `{ message }` (SCRAM's client-first, then client-final;
//!   OAUTHBEARER's `n,,^Aauth=Bearer <token>^A^A`, then `^A` to acknowledge a refusal), answered with
//!   `{ principal?, message, sessionLifetimeMs }`: once `principal` is there, the client is that principal
//!   (`User:ANONYMOUS` until it authenticates), for `sessionLifetimeMs` (0: no end) unless it authenticates again
//!   (KIP-368). PLAIN may come without a handshake.
//!
//! Response: `{ id, kind, ... }` with per-partition or per-topic `error`s where Kafka has them, or
//! `{ id, error }` for the whole request. An error is `{ type, code, message, retriable }`.
//!
//! franz's own clients send Produce and Fetch as binary frames (`core::frame`) instead; the host answers a frame
//! with a frame (`host.rs`). These object forms of the two stay for raw clients.

use bytes::Bytes;
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;

use super::js::{self, object};
use crate::core::acl::sasl::SaslToken;
use crate::core::cluster::{NewTopic, TopicMetadata};
use crate::core::error::Error;
use crate::core::log::{AbortedTxn, OffsetSpec};
use crate::core::protocol::{
    FetchPartition, Isolation, Named, PartitionResult, ProduceData, ProducePartition, Request, Response, TopicOutcome,
    DEFAULT_PRODUCE_TIMEOUT_MS,
};

fn invalid(what: String) -> Error {
    Error::InvalidRequest(what)
}

/// Reads a field, turning the shell's JS errors (wrong types) into INVALID_REQUEST.
fn field<T>(read: Result<T, JsValue>) -> Result<T, Error> {
    read.map_err(|e| invalid(js_sys::Error::from(e).message().into()))
}

fn required<T>(v: Option<T>, name: &str) -> Result<T, Error> {
    v.ok_or_else(|| invalid(format!("{name} is missing")))
}

fn bytes_of(v: &JsValue, name: &str) -> Result<Bytes, Error> {
    super::transfer::incoming(v)
        .ok_or_else(|| invalid(format!("{name} must be an ArrayBuffer (or a Uint8Array) of RecordBatch v2 bytes")))
}

/// The request id of an envelope, if it has a usable one (a response needs it).
pub fn id_of(envelope: &JsValue) -> Option<f64> {
    js::get(envelope, "id").as_f64()
}

/// An envelope as a protocol request.
pub fn request(e: &JsValue) -> Result<Request, Error> {
    let kind = field(js::string(e, "kind", "kind"))?;
    Ok(match kind.as_str() {
        "Produce" => {
            let acks = field(js::opt_int(e, "acks", "acks"))?.unwrap_or(-1);
            let timeout_ms = field(js::opt_int(e, "timeout", "timeout"))?.unwrap_or(DEFAULT_PRODUCE_TIMEOUT_MS);
            let mut partitions = Vec::new();
            for (i, p) in field(js::list(e, "partitions", "partitions", true))?.iter().enumerate() {
                partitions.push(ProducePartition {
                    topic: field(js::string(p, "topic", format_args!("partitions[{i}].topic")))?,
                    partition: required(
                        field(js::opt_int(p, "partition", format_args!("partitions[{i}].partition")))?,
                        "partition",
                    )?,
                    data: ProduceData::Batches(bytes_of(&js::get(p, "records"), "records")?),
                });
            }
            Request::Produce { acks, timeout_ms, partitions }
        }
        "Fetch" => {
            let mut partitions = Vec::new();
            for (i, p) in field(js::list(e, "partitions", "partitions", true))?.iter().enumerate() {
                partitions.push(FetchPartition {
                    topic: field(js::string(p, "topic", format_args!("partitions[{i}].topic")))?,
                    partition: required(
                        field(js::opt_int(p, "partition", format_args!("partitions[{i}].partition")))?,
                        "partition",
                    )?,
                    offset: required(
                        field(js::opt_int(p, "offset", format_args!("partitions[{i}].offset")))?,
                        "offset",
                    )?,
                    max_bytes: field(js::opt_int(p, "maxBytes", format_args!("partitions[{i}].maxBytes")))?
                        .unwrap_or(1 << 20),
                });
            }
            Request::Fetch {
                partitions,
                min_bytes: field(js::opt_int(e, "minBytes", "minBytes"))?.unwrap_or(1),
                max_bytes: field(js::opt_int(e, "maxBytes", "maxBytes"))?.unwrap_or(usize::MAX),
                max_wait_ms: field(js::opt_int(e, "maxWaitMs", "maxWaitMs"))?.unwrap_or(0),
                rack: field(js::opt_string(e, "rack", "rack"))?,
                isolation: Isolation::from_code(
                    field(js::opt_int(e, "isolationLevel", "isolationLevel"))?.unwrap_or(0),
                )?,
            }
        }
        "ListOffsets" => Request::ListOffsets {
            topic: field(js::string(e, "topic", "topic"))?,
            partition: required(field(js::opt_int(e, "partition", "partition"))?, "partition")?,
            spec: match js::get(e, "spec").as_string().as_deref() {
                Some("earliest") => OffsetSpec::Earliest,
                Some("latest") => OffsetSpec::Latest,
                Some("lastStable") => OffsetSpec::LastStable,
                Some("max") => OffsetSpec::MaxTimestamp,
                _ => OffsetSpec::Timestamp(field(js::int(&js::get(e, "spec"), "spec"))?),
            },
        },
        "Metadata" => Request::Metadata {
            topics: if js::is_missing(&js::get(e, "topics")) { None } else { Some(strings(e, "topics")?) },
            auto_create: field(js::opt_bool(e, "allowAutoTopicCreation", "allowAutoTopicCreation"))?.unwrap_or(false),
        },
        "CreateTopics" => {
            let mut topics = Vec::new();
            for (i, t) in field(js::list(e, "topics", "topics", true))?.iter().enumerate() {
                let mut topic = NewTopic::new(
                    field(js::string(t, "name", format_args!("topics[{i}].name")))?,
                    field(js::opt_int(t, "partitions", format_args!("topics[{i}].partitions")))?.unwrap_or(-1),
                    field(js::opt_int(t, "replicationFactor", format_args!("topics[{i}].replicationFactor")))?
                        .unwrap_or(-1),
                );
                for pair in field(js::list(t, "configs", format_args!("topics[{i}].configs"), false))? {
                    let pair = Array::from(&pair);
                    let (k, v) = (pair.get(0).as_string(), pair.get(1).as_string());
                    topic = topic.config(required(k, "config name")?, required(v, "config value")?);
                }
                topic.assignment = plain_field(t, "assignment")?;
                topics.push(topic);
            }
            let validate_only = field(js::opt_bool(e, "validateOnly", "validateOnly"))?.unwrap_or(false);
            Request::CreateTopics { topics, validate_only }
        }
        "DeleteTopics" => Request::DeleteTopics { topics: strings(e, "topics")? },
        "ListGroups" => Request::ListGroups,
        "DeleteGroups" => Request::DeleteGroups { groups: strings(e, "groups")? },
        "AlterPartitionReassignments" => Request::AlterPartitionReassignments(plain_body(e)?),
        "CreateAcls" => Request::CreateAcls(plain_body(e)?),
        "DescribeAcls" => Request::DescribeAcls(plain_body(e)?),
        "DeleteAcls" => Request::DeleteAcls(plain_body(e)?),
        "SaslHandshake" => Request::SaslHandshake { mechanism: field(js::string(e, "mechanism", "mechanism"))? },
        "SaslAuthenticate" => Request::SaslAuthenticate(match field(js::opt_string(e, "message", "message"))? {
            Some(message) => SaslToken::Message(message),
            None => SaslToken::Plain(plain_field(e, "body")?),
        }),
        "ListTransactions" => Request::ListTransactions(plain_body(e)?),
        "DescribeTransactions" => Request::DescribeTransactions { ids: strings(e, "ids")? },
        "AlterUserScramCredentials" => Request::AlterUserScramCredentials {
            deletions: plain_field(e, "deletions")?.unwrap_or_default(),
            upsertions: plain_field(e, "upsertions")?.unwrap_or_default(),
        },
        "DescribeUserScramCredentials" => Request::DescribeUserScramCredentials { users: plain_field(e, "users")? },
        "ListPartitionReassignments" => Request::ListPartitionReassignments { topics: plain_field(e, "topics")? },
        "CreatePartitions" => Request::CreatePartitions {
            topic: field(js::string(e, "topic", "topic"))?,
            count: required(field(js::opt_int(e, "count", "count"))?, "count")?,
            assignments: plain_field(e, "assignments")?,
            validate_only: field(js::opt_bool(e, "validateOnly", "validateOnly"))?.unwrap_or(false),
        },
        "DeleteRecords" => {
            let mut partitions = Vec::new();
            for (i, p) in field(js::list(e, "partitions", "partitions", true))?.iter().enumerate() {
                let at = |name: &str| format!("partitions[{i}].{name}");
                let partition = required(field(js::opt_int(p, "partition", at("partition")))?, "partition")?;
                partitions.push((partition, required(field(js::opt_int(p, "offset", at("offset")))?, "offset")?));
            }
            Request::DeleteRecords { topic: field(js::string(e, "topic", "topic"))?, partitions }
        }
        "DescribeConfigs" => Request::DescribeConfigs { topic: field(js::string(e, "topic", "topic"))? },
        "DescribeBrokerConfigs" => {
            Request::DescribeBrokerConfigs { broker: required(field(js::opt_int(e, "broker", "broker"))?, "broker")? }
        }
        "AlterConfigs" => {
            let mut changes = Vec::new();
            for pair in field(js::list(e, "changes", "changes", true))? {
                let pair = Array::from(&pair);
                changes.push((required(pair.get(0).as_string(), "config name")?, pair.get(1).as_string()));
            }
            Request::AlterConfigs {
                topic: field(js::string(e, "topic", "topic"))?,
                changes,
                validate_only: field(js::opt_bool(e, "validateOnly", "validateOnly"))?.unwrap_or(false),
            }
        }
        "OffsetCommit" => Request::OffsetCommit {
            group: field(js::string(e, "group", "group"))?,
            topic: field(js::string(e, "topic", "topic"))?,
            partition: required(field(js::opt_int(e, "partition", "partition"))?, "partition")?,
            offset: required(field(js::opt_int(e, "offset", "offset"))?, "offset")?,
            metadata: field(js::opt_string(e, "metadata", "metadata"))?,
            member: match field(js::opt_string(e, "memberId", "memberId"))? {
                Some(m) => Some((m, required(field(js::opt_int(e, "generation", "generation"))?, "generation")?)),
                None => None,
            },
        },
        "OffsetFetch" => Request::OffsetFetch {
            group: field(js::string(e, "group", "group"))?,
            topic: field(js::string(e, "topic", "topic"))?,
            partition: required(field(js::opt_int(e, "partition", "partition"))?, "partition")?,
        },
        "InitProducerId" => Request::InitProducerId {
            transactional_id: field(js::opt_string(e, "transactionalId", "transactionalId"))?,
            timeout_ms: field(js::opt_int(e, "transactionTimeoutMs", "transactionTimeoutMs"))?.unwrap_or(60_000),
        },
        "Txn" => Request::Txn(plain_body(e)?),
        "JoinGroup" => Request::JoinGroup(plain_body(e)?),
        "Fault" => Request::Fault(plain_body(e)?),
        "SyncGroup" | "Heartbeat" | "LeaveGroup" | "DescribeGroup" | "FindCoordinator" => {
            let GroupCall { group, member_id, generation, assignments } = plain_body(e)?;
            match kind.as_str() {
                "SyncGroup" => Request::SyncGroup { group, member_id, generation, assignments },
                "Heartbeat" => Request::Heartbeat { group, member_id, generation },
                "LeaveGroup" => Request::LeaveGroup { group, member_id },
                "FindCoordinator" => Request::FindCoordinator { group },
                _ => Request::DescribeGroup { group },
            }
        }
        other => return Err(invalid(format!("unknown request kind {other:?}"))),
    })
}

/// The fields of SyncGroup, Heartbeat, LeaveGroup and DescribeGroup (each uses those it needs).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCall {
    pub group: String,
    #[serde(default)]
    pub member_id: String,
    #[serde(default)]
    pub generation: i32,
    #[serde(default)]
    pub assignments: Option<std::collections::BTreeMap<String, Vec<crate::core::groups::TopicPartition>>>,
}

/// An optional field of plain data (replica assignments: arrays of broker ids).
fn plain_field<T: serde::de::DeserializeOwned>(e: &JsValue, key: &'static str) -> Result<Option<T>, Error> {
    let v = js::get(e, key);
    if js::is_missing(&v) {
        return Ok(None);
    }
    js::from_plain(&v, key).map(Some).map_err(invalid)
}

/// A request's `body` (group calls, faults): its fields as a plain object.
fn plain_body<T: serde::de::DeserializeOwned>(e: &JsValue) -> Result<T, Error> {
    js::from_plain(&js::get(e, "body"), "body").map_err(invalid)
}

fn strings(e: &JsValue, key: &'static str) -> Result<Vec<String>, Error> {
    field(js::list(e, key, key, true))?
        .iter()
        .map(|v| v.as_string().ok_or_else(|| invalid(format!("{key} must hold strings"))))
        .collect()
}

/// Each group's or user's outcome, as `[{ <key>: name, error }]`.
fn named_outcomes(list: &[(String, Option<Error>)], key: &'static str) -> JsValue {
    let outcome = |(name, e): &(String, Option<Error>)| {
        object([(key, name.as_str().into()), ("error", e.as_ref().map_or(JsValue::NULL, error))])
    };
    js::array(list.iter().map(outcome)).into()
}

/// Each id's or user's answer, as `[{ <key>: name, <field>?: value, error }]`.
fn named_results<T: serde::Serialize>(list: &[Named<T>], key: &'static str, field: &'static str) -> JsValue {
    let item = |(name, result): &Named<T>| {
        let (value, e) = match result {
            Ok(value) => (js::to_plain(value), JsValue::NULL),
            Err(e) => (JsValue::UNDEFINED, error(e)),
        };
        object([(key, name.as_str().into()), (field, value), ("error", e)])
    };
    js::array(list.iter().map(item)).into()
}

/// A Kafka error as envelope data.
pub fn error(e: &Error) -> JsValue {
    object([
        ("type", e.name().into()),
        ("code", e.code().into()),
        ("message", e.to_string().into()),
        ("retriable", e.retriable().into()),
    ])
    .into()
}

/// A request-level error response.
pub fn error_response(id: Option<f64>, e: &Error) -> Object {
    object([("id", id.map_or(JsValue::NULL, JsValue::from)), ("error", error(e))])
}

fn partition_result<T>(r: &PartitionResult<T>, fields: impl FnOnce(&T, &Object)) -> JsValue {
    let out = object([("topic", r.topic.as_str().into()), ("partition", r.partition.into())]);
    match &r.result {
        Ok(value) => fields(value, &out),
        Err(e) => js::set(&out, "error", error(e)),
    }
    out.into()
}

fn outcomes(list: &[TopicOutcome]) -> JsValue {
    js::array(list.iter().map(|o| {
        object([("topic", o.topic.as_str().into()), ("error", o.error.as_ref().map_or(JsValue::NULL, error))])
    }))
    .into()
}

/// A topic's metadata as envelope data.
fn topic_metadata(t: &TopicMetadata) -> Object {
    let partitions = js::array(t.partitions.iter().map(|p| {
        object([
            ("partition", p.partition.into()),
            ("leader", p.leader.map_or(JsValue::NULL, JsValue::from)),
            ("leaderEpoch", p.leader_epoch.into()),
            ("replicas", js::array(p.replicas.iter().copied()).into()),
            ("isr", js::array(p.isr.iter().copied()).into()),
            ("offlineReplicas", js::array(p.offline_replicas.iter().copied()).into()),
            ("logStartOffset", (p.log_start_offset as f64).into()),
            ("highWatermark", (p.high_watermark as f64).into()),
            ("replicaLogEndOffsets", js::array(p.replica_log_end_offsets.iter().map(|o| *o as f64)).into()),
            ("replicaHighWatermarks", js::array(p.replica_high_watermarks.iter().map(|o| *o as f64)).into()),
        ])
    }));
    object([("name", t.name.as_str().into()), ("internal", t.is_internal.into()), ("partitions", partitions.into())])
}

/// A response as an envelope, and the ArrayBuffers to transfer with it.
pub fn response(id: f64, r: &Response) -> (Object, Array) {
    let transfer = Array::new();
    let out = object([("id", id.into())]);
    let (kind, body): (&str, JsValue) = match r {
        Response::Produce(parts) => (
            "Produce",
            js::array(parts.iter().map(|p| {
                partition_result(p, |v, o| {
                    js::set(o, "baseOffset", v.base_offset as f64);
                    js::set(o, "logAppendTime", v.log_append_time as f64);
                    js::set(o, "logStartOffset", v.log_start_offset as f64);
                })
            }))
            .into(),
        ),
        Response::Fetch(parts) => (
            "Fetch",
            js::array(parts.iter().map(|p| {
                partition_result(p, |v, o| {
                    js::set(o, "highWatermark", v.high_watermark as f64);
                    js::set(o, "logStartOffset", v.log_start_offset as f64);
                    js::set(o, "replica", v.replica);
                    js::set(o, "lastStableOffset", v.last_stable_offset as f64);
                    if let Some(aborted) = &v.aborted {
                        let each = |a: &AbortedTxn| {
                            let fields =
                                [a.producer_id, a.first_offset, a.last_offset].map(|v| JsValue::from(v as f64));
                            JsValue::from(js::array(fields))
                        };
                        js::set(o, "abortedTransactions", js::array(aborted.iter().map(each)));
                    }
                    let batches: Vec<&[u8]> = v.batches.iter().map(|b| &b[..]).collect();
                    js::set(o, "records", super::transfer::outgoing(&batches, &transfer));
                })
            }))
            .into(),
        ),
        Response::ListOffsets(found) => (
            "ListOffsets",
            found.map_or(JsValue::NULL, |f| {
                object([("offset", (f.offset as f64).into()), ("timestamp", (f.timestamp as f64).into())]).into()
            }),
        ),
        Response::Metadata { brokers, topics } => (
            "Metadata",
            object([
                (
                    "brokers",
                    js::array(brokers.iter().map(|b| {
                        let rack = b.rack.as_deref().map_or(JsValue::NULL, JsValue::from);
                        object([("id", b.id.into()), ("alive", b.alive.into()), ("rack", rack)])
                    }))
                    .into(),
                ),
                (
                    "topics",
                    js::array(topics.iter().map(|(name, result)| match result {
                        Ok(topic) => topic_metadata(topic),
                        Err(e) => object([("name", name.as_str().into()), ("error", error(e))]),
                    }))
                    .into(),
                ),
            ])
            .into(),
        ),
        Response::CreateTopics(list) => ("CreateTopics", outcomes(list)),
        Response::DeleteTopics(list) => ("DeleteTopics", outcomes(list)),
        Response::CreatePartitions => ("CreatePartitions", JsValue::NULL),
        Response::AlterPartitionReassignments(parts) => {
            ("AlterPartitionReassignments", js::array(parts.iter().map(|p| partition_result(p, |_, _| {}))).into())
        }
        Response::ListPartitionReassignments(list) => ("ListPartitionReassignments", js::to_plain(list)),
        Response::CreateAcls(outcomes) => {
            ("CreateAcls", js::array(outcomes.iter().map(|e| e.as_ref().map_or(JsValue::NULL, error))).into())
        }
        Response::DescribeAcls(acls) => ("DescribeAcls", js::to_plain(acls)),
        Response::DeleteAcls(deleted) => ("DeleteAcls", js::to_plain(deleted)),
        Response::ListTransactions(list) => ("ListTransactions", js::to_plain(list)),
        Response::DescribeTransactions(list) => {
            ("DescribeTransactions", named_results(list, "transactionalId", "description"))
        }
        Response::SaslHandshake { mechanisms } => ("SaslHandshake", js::to_plain(mechanisms)),
        Response::SaslAuthenticate { principal, message, session_lifetime_ms } => (
            "SaslAuthenticate",
            object([
                ("principal", principal.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
                ("message", message.as_str().into()),
                ("sessionLifetimeMs", (*session_lifetime_ms as f64).into()),
            ])
            .into(),
        ),
        Response::DeleteRecords(parts) => (
            "DeleteRecords",
            js::array(parts.iter().map(|p| {
                partition_result(p, |d, o| {
                    js::set(o, "leader", d.leader);
                    js::set(o, "logStartOffset", d.log_start as f64);
                    js::set(o, "lowWatermark", d.low_watermark as f64);
                })
            }))
            .into(),
        ),
        Response::DescribeConfigs(entries) => (
            "DescribeConfigs",
            js::array(entries.iter().map(|e| {
                object([
                    ("name", e.name.into()),
                    ("value", e.value.as_str().into()),
                    ("isDefault", e.is_default.into()),
                ])
            }))
            .into(),
        ),
        Response::AlterConfigs => ("AlterConfigs", JsValue::NULL),
        Response::OffsetCommit => ("OffsetCommit", JsValue::NULL),
        Response::OffsetFetch(c) => (
            "OffsetFetch",
            c.as_ref().map_or(JsValue::NULL, |c| {
                object([
                    ("offset", (c.offset as f64).into()),
                    ("metadata", c.metadata.as_deref().map_or(JsValue::NULL, JsValue::from)),
                ])
                .into()
            }),
        ),
        Response::InitProducerId { producer_id, epoch } => (
            "InitProducerId",
            object([("producerId", (*producer_id as f64).into()), ("epoch", (*epoch).into())]).into(),
        ),
        // The host answers a waiting group call only once it has its result, so this never goes out.
        Response::GroupPending { .. } => ("GroupPending", JsValue::NULL),
        Response::Joined(joined) => ("JoinGroup", js::to_plain(joined)),
        Response::Synced(assignment) => ("SyncGroup", js::to_plain(assignment)),
        Response::Heartbeat => ("Heartbeat", JsValue::NULL),
        Response::Fault => ("Fault", JsValue::NULL),
        Response::Txn => ("Txn", JsValue::NULL),
        Response::FindCoordinator(node) => ("FindCoordinator", object([("nodeId", (*node).into())]).into()),
        Response::LeaveGroup => ("LeaveGroup", JsValue::NULL),
        Response::DescribeGroup(d) => ("DescribeGroup", js::to_plain(d)),
        Response::ListGroups(groups) => (
            "ListGroups",
            js::array(
                groups.iter().map(|(g, state)| object([("group", g.as_str().into()), ("state", state.name().into())])),
            )
            .into(),
        ),
        Response::DeleteGroups(list) => ("DeleteGroups", named_outcomes(list, "group")),
        Response::AlterUserScramCredentials(list) => ("AlterUserScramCredentials", named_outcomes(list, "user")),
        Response::DescribeUserScramCredentials(list) => {
            ("DescribeUserScramCredentials", named_results(list, "user", "credentialInfos"))
        }
    };
    js::set(&out, "kind", js::interned(kind));
    js::set(&out, "body", body);
    (out, transfer)
}
