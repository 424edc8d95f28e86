//! The client's half of the wire: protocol requests as envelopes, and answer envelopes back as responses. The
//! reverse of `envelope.rs`, which the broker host uses; together they round-trip (tested below).

use bytes::Bytes;
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;

use super::envelope::GroupCall;
use super::js::{self, object};
use crate::core::acl::sasl::SaslToken;
use crate::core::cluster::{
    BrokerInfo, CommittedOffset, FetchResult, PartitionMetadata, ProduceResult, TopicMetadata, BROKER_CONFIG_NAMES,
};
use crate::core::error::Error;
use crate::core::groups::GroupState;
use crate::core::log::{AbortedTxn, OffsetAndTimestamp, OffsetSpec};
use crate::core::protocol::{DeletedRecords, Named, PartitionResult, ProduceData, Request, Response, TopicOutcome};
use crate::core::topic::{ConfigEntry, TopicConfig, CONFIG_NAMES};

fn strings(list: &[String]) -> JsValue {
    js::array(list.iter().map(|s| JsValue::from(s.as_str()))).into()
}

/// The `body` field of SyncGroup, Heartbeat, LeaveGroup and DescribeGroup (each reads the fields it needs).
fn group_call(
    group: &str,
    member_id: &str,
    generation: i32,
    assignments: Option<std::collections::BTreeMap<String, Vec<crate::core::groups::TopicPartition>>>,
) -> Vec<(&'static str, JsValue)> {
    let call = GroupCall { group: group.into(), member_id: member_id.into(), generation, assignments };
    vec![("body", js::to_plain(&call))]
}

/// A request as an envelope with `id`, and the ArrayBuffers to transfer with it. Records for a Produce are built
/// into a RecordBatch v2 here, on the client, as Kafka's producers do.
pub fn request(id: f64, r: &Request) -> (Object, Array) {
    let transfer = Array::new();
    let (kind, fields): (&'static str, Vec<(&'static str, JsValue)>) = match r {
        Request::Produce { acks, timeout_ms, partitions } => (
            "Produce",
            vec![
                ("acks", (*acks).into()),
                ("timeout", (*timeout_ms).into()),
                (
                    "partitions",
                    js::array(partitions.iter().map(|p| {
                        let records = match &p.data {
                            ProduceData::Batches(b) => super::transfer::outgoing(&[b], &transfer),
                            ProduceData::Records { records, producer } => {
                                let header = records.sealed_header(|batch| {
                                    if let Some(p) = producer {
                                        p.stamp(batch);
                                    }
                                });
                                super::transfer::outgoing(&[&header, records.bytes()], &transfer)
                            }
                        };
                        object([
                            ("topic", p.topic.as_str().into()),
                            ("partition", p.partition.into()),
                            ("records", records.into()),
                        ])
                    }))
                    .into(),
                ),
            ],
        ),
        Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack, isolation } => (
            "Fetch",
            vec![
                (
                    "partitions",
                    js::array(partitions.iter().map(|p| {
                        object([
                            ("topic", p.topic.as_str().into()),
                            ("partition", p.partition.into()),
                            ("offset", (p.offset as f64).into()),
                            ("maxBytes", (p.max_bytes as f64).into()),
                        ])
                    }))
                    .into(),
                ),
                ("minBytes", (*min_bytes as f64).into()),
                ("maxBytes", (*max_bytes as f64).into()),
                ("maxWaitMs", (*max_wait_ms).into()),
                ("rack", rack.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
                ("isolationLevel", isolation.code().into()),
            ],
        ),
        Request::ListOffsets { topic, partition, spec } => (
            "ListOffsets",
            vec![
                ("topic", topic.as_str().into()),
                ("partition", (*partition).into()),
                (
                    "spec",
                    match spec {
                        OffsetSpec::Earliest => "earliest".into(),
                        OffsetSpec::Latest => "latest".into(),
                        OffsetSpec::LastStable => "lastStable".into(),
                        OffsetSpec::MaxTimestamp => "max".into(),
                        OffsetSpec::Timestamp(t) => (*t as f64).into(),
                    },
                ),
            ],
        ),
        Request::Metadata { topics, auto_create } => (
            "Metadata",
            vec![
                ("topics", topics.as_deref().map_or(JsValue::UNDEFINED, strings)),
                ("allowAutoTopicCreation", (*auto_create).into()),
            ],
        ),
        Request::CreateTopics { topics, validate_only } => (
            "CreateTopics",
            vec![
                (
                    "topics",
                    js::array(topics.iter().map(|t| {
                        let configs = js::array(t.configs.iter().map(|(k, v)| js::array([k.as_str(), v.as_str()])));
                        object([
                            ("name", t.name.as_str().into()),
                            ("partitions", t.num_partitions.into()),
                            ("replicationFactor", t.replication_factor.into()),
                            ("configs", configs.into()),
                            ("assignment", t.assignment.as_ref().map_or(JsValue::UNDEFINED, js::to_plain)),
                        ])
                    }))
                    .into(),
                ),
                ("validateOnly", (*validate_only).into()),
            ],
        ),
        Request::DeleteTopics { topics } => ("DeleteTopics", vec![("topics", strings(topics))]),
        Request::ListGroups => ("ListGroups", vec![]),
        Request::DeleteGroups { groups } => ("DeleteGroups", vec![("groups", strings(groups))]),
        Request::AlterPartitionReassignments(moves) => {
            ("AlterPartitionReassignments", vec![("body", js::to_plain(moves))])
        }
        Request::ListPartitionReassignments { topics } => {
            ("ListPartitionReassignments", vec![("topics", topics.as_ref().map_or(JsValue::UNDEFINED, js::to_plain))])
        }
        Request::CreateAcls(acls) => ("CreateAcls", vec![("body", js::to_plain(acls))]),
        Request::DescribeAcls(filter) => ("DescribeAcls", vec![("body", js::to_plain(filter))]),
        Request::DeleteAcls(filters) => ("DeleteAcls", vec![("body", js::to_plain(filters))]),
        Request::ListTransactions(filter) => ("ListTransactions", vec![("body", js::to_plain(filter))]),
        Request::DescribeTransactions { ids } => ("DescribeTransactions", vec![("ids", strings(ids))]),
        Request::AlterUserScramCredentials { deletions, upsertions } => (
            "AlterUserScramCredentials",
            vec![("deletions", js::to_plain(deletions)), ("upsertions", js::to_plain(upsertions))],
        ),
        Request::DescribeUserScramCredentials { users } => {
            ("DescribeUserScramCredentials", vec![("users", users.as_ref().map_or(JsValue::UNDEFINED, js::to_plain))])
        }
        Request::SaslHandshake { mechanism } => ("SaslHandshake", vec![("mechanism", mechanism.as_str().into())]),
        Request::SaslAuthenticate(SaslToken::Plain(plain)) => {
            ("SaslAuthenticate", vec![("body", plain.as_ref().map_or(JsValue::UNDEFINED, js::to_plain))])
        }
        Request::SaslAuthenticate(SaslToken::Message(message)) => {
            ("SaslAuthenticate", vec![("message", message.as_str().into())])
        }
        Request::CreatePartitions { topic, count, assignments, validate_only } => (
            "CreatePartitions",
            vec![
                ("topic", topic.as_str().into()),
                ("count", (*count).into()),
                ("assignments", assignments.as_ref().map_or(JsValue::UNDEFINED, js::to_plain)),
                ("validateOnly", (*validate_only).into()),
            ],
        ),
        Request::DeleteRecords { topic, partitions } => (
            "DeleteRecords",
            vec![
                ("topic", topic.as_str().into()),
                (
                    "partitions",
                    js::array(partitions.iter().map(|&(partition, offset)| {
                        object([("partition", partition.into()), ("offset", (offset as f64).into())])
                    }))
                    .into(),
                ),
            ],
        ),
        Request::DescribeConfigs { topic } => ("DescribeConfigs", vec![("topic", topic.as_str().into())]),
        Request::DescribeBrokerConfigs { broker } => ("DescribeBrokerConfigs", vec![("broker", (*broker).into())]),
        Request::AlterConfigs { topic, changes, validate_only } => (
            "AlterConfigs",
            vec![
                ("topic", topic.as_str().into()),
                (
                    "changes",
                    js::array(changes.iter().map(|(k, v)| {
                        js::array([JsValue::from(k.as_str()), v.as_deref().map_or(JsValue::NULL, JsValue::from)])
                    }))
                    .into(),
                ),
                ("validateOnly", (*validate_only).into()),
            ],
        ),
        Request::OffsetCommit { group, topic, partition, offset, metadata, member } => (
            "OffsetCommit",
            vec![
                ("memberId", member.as_ref().map_or(JsValue::NULL, |(m, _)| m.as_str().into())),
                ("generation", member.as_ref().map_or(JsValue::NULL, |(_, g)| (*g).into())),
                ("group", group.as_str().into()),
                ("topic", topic.as_str().into()),
                ("partition", (*partition).into()),
                ("offset", (*offset as f64).into()),
                ("metadata", metadata.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
            ],
        ),
        Request::OffsetFetch { group, topic, partition } => (
            "OffsetFetch",
            vec![
                ("group", group.as_str().into()),
                ("topic", topic.as_str().into()),
                ("partition", (*partition).into()),
            ],
        ),
        Request::InitProducerId { transactional_id, timeout_ms } => (
            "InitProducerId",
            vec![
                ("transactionalId", transactional_id.as_deref().map_or(JsValue::UNDEFINED, JsValue::from)),
                ("transactionTimeoutMs", (*timeout_ms).into()),
            ],
        ),
        Request::Txn(call) => ("Txn", vec![("body", js::to_plain(call))]),
        Request::JoinGroup(join) => ("JoinGroup", vec![("body", js::to_plain(join))]),
        Request::Fault(fault) => ("Fault", vec![("body", js::to_plain(fault))]),
        Request::SyncGroup { group, member_id, generation, assignments } => {
            ("SyncGroup", group_call(group, member_id, *generation, assignments.clone()))
        }
        Request::Heartbeat { group, member_id, generation } => {
            ("Heartbeat", group_call(group, member_id, *generation, None))
        }
        Request::LeaveGroup { group, member_id } => ("LeaveGroup", group_call(group, member_id, 0, None)),
        Request::DescribeGroup { group } => ("DescribeGroup", group_call(group, "", 0, None)),
        Request::FindCoordinator { group } => ("FindCoordinator", group_call(group, "", 0, None)),
    };
    let out = object([("id", id.into()), ("kind", js::interned(kind))]);
    for (k, v) in fields {
        js::set(&out, k, v);
    }
    (out, transfer)
}

fn malformed(what: &str) -> Error {
    Error::UnknownServerError(format!("the broker's answer is malformed: {what}"))
}

fn num(v: &JsValue, what: &str) -> Result<i64, Error> {
    v.as_f64().map(|f| f as i64).ok_or_else(|| malformed(what))
}

fn text(v: &JsValue, what: &str) -> Result<String, Error> {
    v.as_string().ok_or_else(|| malformed(what))
}

/// `[{ <key>: name, <field>?: value, error }]`: each id's or user's answer.
fn named_results<T: serde::de::DeserializeOwned>(
    body: &JsValue,
    key: &'static str,
    field: &'static str,
) -> Result<Vec<Named<T>>, Error> {
    list(body)
        .iter()
        .map(|item| {
            let e = js::get(item, "error");
            let result = match js::is_missing(&e) {
                true => Ok(js::from_plain(&js::get(item, field), field).map_err(|e| malformed(&e))?),
                false => Err(error(&e)),
            };
            Ok((text(&js::get(item, key), key)?, result))
        })
        .collect()
}

/// `[{ <key>: name, error }]`: each group's or user's outcome.
fn named_outcomes(body: &JsValue, key: &'static str) -> Result<Vec<(String, Option<Error>)>, Error> {
    list(body)
        .iter()
        .map(|item| {
            let e = js::get(item, "error");
            Ok((text(&js::get(item, key), key)?, (!js::is_missing(&e)).then(|| error(&e))))
        })
        .collect()
}

fn list(v: &JsValue) -> Vec<JsValue> {
    if Array::is_array(v) {
        Array::from(v).iter().collect()
    } else {
        Vec::new()
    }
}

/// An error envelope (`{ type, code, message, retriable }`) as the Kafka error it names.
pub fn error(v: &JsValue) -> Error {
    let kind = js::get(v, "type").as_string().unwrap_or_default();
    let message = js::get(v, "message").as_string().unwrap_or_default();
    let detail = message.split_once(": ").map_or(message.as_str(), |(_, d)| d).to_owned();
    Error::from_name(&kind, detail)
}

fn partition_results<T>(
    body: &JsValue,
    read: impl Fn(&JsValue) -> Result<T, Error>,
) -> Result<Vec<PartitionResult<T>>, Error> {
    list(body)
        .iter()
        .map(|p| {
            let e = js::get(p, "error");
            Ok(PartitionResult {
                topic: text(&js::get(p, "topic"), "topic")?,
                partition: num(&js::get(p, "partition"), "partition")? as i32,
                result: if js::is_missing(&e) { read(p) } else { Err(error(&e)) },
            })
        })
        .collect()
}

fn outcomes(body: &JsValue) -> Result<Vec<TopicOutcome>, Error> {
    list(body)
        .iter()
        .map(|o| {
            let e = js::get(o, "error");
            Ok(TopicOutcome {
                topic: text(&js::get(o, "topic"), "topic")?,
                error: (!js::is_missing(&e)).then(|| error(&e)),
            })
        })
        .collect()
}

/// A Fetch answer's `abortedTransactions` (`[producerId, firstOffset, lastOffset]` each); absent for
/// read_uncommitted.
fn aborted_txns(v: &JsValue) -> Result<Option<Vec<AbortedTxn>>, Error> {
    if js::is_missing(v) {
        return Ok(None);
    }
    let each = |a: &JsValue| {
        let at = |i: u32| num(&Array::from(a).get(i), "abortedTransactions");
        Ok(AbortedTxn { producer_id: at(0)?, first_offset: at(1)?, last_offset: at(2)? })
    };
    list(v).iter().map(each).collect::<Result<_, Error>>().map(Some)
}

fn bytes_of(v: &JsValue) -> Bytes {
    super::transfer::incoming(v).unwrap_or_default()
}

/// An answer envelope: its id, and the response or the error of the whole request.
pub fn response(e: &JsValue) -> Result<(Option<f64>, Result<Response, Error>), Error> {
    let id = js::get(e, "id").as_f64();
    let err = js::get(e, "error");
    if !js::is_missing(&err) {
        return Ok((id, Err(error(&err))));
    }
    let body = js::get(e, "body");
    let kind = text(&js::get(e, "kind"), "kind")?;
    let response = match kind.as_str() {
        "Produce" => Response::Produce(partition_results(&body, |p| {
            Ok(ProduceResult {
                base_offset: num(&js::get(p, "baseOffset"), "baseOffset")?,
                log_append_time: num(&js::get(p, "logAppendTime"), "logAppendTime")?,
                log_start_offset: num(&js::get(p, "logStartOffset"), "logStartOffset")?,
                // The host answers a produce only once it is acknowledged.
                pending: None,
            })
        })?),
        "Fetch" => Response::Fetch(partition_results(&body, |p| {
            let records = bytes_of(&js::get(p, "records"));
            Ok(FetchResult {
                high_watermark: num(&js::get(p, "highWatermark"), "highWatermark")?,
                log_start_offset: num(&js::get(p, "logStartOffset"), "logStartOffset")?,
                batches: if records.is_empty() { Vec::new() } else { vec![records] },
                in_storage: None,
                replica: num(&js::get(p, "replica"), "replica")? as i32,
                last_stable_offset: num(&js::get(p, "lastStableOffset"), "lastStableOffset")?,
                aborted: aborted_txns(&js::get(p, "abortedTransactions"))?,
            })
        })?),
        "ListOffsets" => Response::ListOffsets(if js::is_missing(&body) {
            None
        } else {
            Some(OffsetAndTimestamp {
                offset: num(&js::get(&body, "offset"), "offset")?,
                timestamp: num(&js::get(&body, "timestamp"), "timestamp")?,
            })
        }),
        "Metadata" => Response::Metadata {
            brokers: list(&js::get(&body, "brokers"))
                .iter()
                .map(|b| {
                    let alive = js::get(b, "alive").as_bool().unwrap_or(false);
                    let rack = js::get(b, "rack").as_string();
                    Ok(BrokerInfo { id: num(&js::get(b, "id"), "broker id")? as i32, rack, alive })
                })
                .collect::<Result<_, Error>>()?,
            topics: list(&js::get(&body, "topics")).iter().map(topic_metadata).collect::<Result<_, Error>>()?,
        },
        "CreateTopics" => Response::CreateTopics(outcomes(&body)?),
        "DeleteTopics" => Response::DeleteTopics(outcomes(&body)?),
        "ListGroups" => Response::ListGroups(
            list(&body)
                .iter()
                .map(|g| {
                    let state = text(&js::get(g, "state"), "state")?;
                    let state = GroupState::from_name(&state).ok_or_else(|| malformed("group state"))?;
                    Ok((text(&js::get(g, "group"), "group")?, state))
                })
                .collect::<Result<_, Error>>()?,
        ),
        "DeleteGroups" => Response::DeleteGroups(named_outcomes(&body, "group")?),
        "AlterUserScramCredentials" => Response::AlterUserScramCredentials(named_outcomes(&body, "user")?),
        "DescribeUserScramCredentials" => {
            Response::DescribeUserScramCredentials(named_results(&body, "user", "credentialInfos")?)
        }
        "CreatePartitions" => Response::CreatePartitions,
        "CreateAcls" => {
            Response::CreateAcls(list(&body).iter().map(|e| (!js::is_missing(e)).then(|| error(e))).collect())
        }
        "DescribeAcls" => Response::DescribeAcls(js::from_plain(&body, "body").map_err(|e| malformed(&e))?),
        "DeleteAcls" => Response::DeleteAcls(js::from_plain(&body, "body").map_err(|e| malformed(&e))?),
        "ListTransactions" => Response::ListTransactions(js::from_plain(&body, "body").map_err(|e| malformed(&e))?),
        "DescribeTransactions" => {
            Response::DescribeTransactions(named_results(&body, "transactionalId", "description")?)
        }
        "SaslHandshake" => {
            Response::SaslHandshake { mechanisms: js::from_plain(&body, "body").map_err(|e| malformed(&e))? }
        }
        "SaslAuthenticate" => {
            let principal = js::get(&body, "principal");
            Response::SaslAuthenticate {
                principal: (!js::is_missing(&principal)).then(|| text(&principal, "principal")).transpose()?,
                message: text(&js::get(&body, "message"), "message")?,
                session_lifetime_ms: js::get(&body, "sessionLifetimeMs").as_f64().unwrap_or(0.0) as i64,
            }
        }
        "AlterPartitionReassignments" => Response::AlterPartitionReassignments(partition_results(&body, |_| Ok(()))?),
        "ListPartitionReassignments" => {
            Response::ListPartitionReassignments(js::from_plain(&body, "body").map_err(|e| malformed(&e))?)
        }
        "DeleteRecords" => Response::DeleteRecords(partition_results(&body, |p| {
            Ok(DeletedRecords {
                leader: num(&js::get(p, "leader"), "leader")? as i32,
                log_start: num(&js::get(p, "logStartOffset"), "logStartOffset")?,
                low_watermark: num(&js::get(p, "lowWatermark"), "lowWatermark")?,
            })
        })?),
        "DescribeConfigs" => Response::DescribeConfigs(
            list(&body)
                .iter()
                .map(|c| {
                    let name = text(&js::get(c, "name"), "config name")?;
                    let known = CONFIG_NAMES.iter().chain(BROKER_CONFIG_NAMES).copied();
                    let name = known.into_iter().find(|n| *n == name).ok_or_else(|| malformed("config name"))?;
                    let is_default = js::get(c, "isDefault").as_bool().unwrap_or(true);
                    Ok(ConfigEntry { name, value: text(&js::get(c, "value"), "config value")?, is_default })
                })
                .collect::<Result<_, Error>>()?,
        ),
        "AlterConfigs" => Response::AlterConfigs,
        "OffsetCommit" => Response::OffsetCommit,
        "OffsetFetch" => Response::OffsetFetch(if js::is_missing(&body) {
            None
        } else {
            Some(CommittedOffset {
                offset: num(&js::get(&body, "offset"), "offset")?,
                metadata: js::get(&body, "metadata").as_string(),
            })
        }),
        "InitProducerId" => Response::InitProducerId {
            producer_id: num(&js::get(&body, "producerId"), "producerId")?,
            epoch: num(&js::get(&body, "epoch"), "epoch")? as i16,
        },
        "JoinGroup" => Response::Joined(js::from_plain(&body, "body").map_err(|e| malformed(&e))?),
        "SyncGroup" => Response::Synced(js::from_plain(&body, "body").map_err(|e| malformed(&e))?),
        "Heartbeat" => Response::Heartbeat,
        "Fault" => Response::Fault,
        "Txn" => Response::Txn,
        "FindCoordinator" => Response::FindCoordinator(num(&js::get(&body, "nodeId"), "nodeId")? as i32),
        "LeaveGroup" => Response::LeaveGroup,
        "DescribeGroup" => Response::DescribeGroup(js::from_plain(&body, "body").map_err(|e| malformed(&e))?),
        other => return Err(malformed(&format!("unknown kind {other:?}"))),
    };
    Ok((id, Ok(response)))
}

/// A topic's metadata as the host sends it, or its error. Configs do not travel with metadata (DescribeConfigs
/// has them).
fn topic_metadata(t: &JsValue) -> Result<Named<TopicMetadata>, Error> {
    let name = text(&js::get(t, "name"), "topic name")?;
    let e = js::get(t, "error");
    if !js::is_missing(&e) {
        return Ok((name, Err(error(&e))));
    }
    let partitions = list(&js::get(t, "partitions"))
        .iter()
        .map(|p| {
            let numbers =
                |key: &'static str| list(&js::get(p, key)).iter().filter_map(JsValue::as_f64).collect::<Vec<_>>();
            let ids = |key| numbers(key).into_iter().map(|f| f as i32).collect();
            let offsets = |key| numbers(key).into_iter().map(|f| f as i64).collect();
            Ok(PartitionMetadata {
                partition: num(&js::get(p, "partition"), "partition")? as u32,
                leader: js::get(p, "leader").as_f64().map(|f| f as i32),
                leader_epoch: num(&js::get(p, "leaderEpoch"), "leaderEpoch")? as i32,
                replicas: ids("replicas"),
                isr: ids("isr"),
                offline_replicas: ids("offlineReplicas"),
                log_start_offset: num(&js::get(p, "logStartOffset"), "logStartOffset")?,
                high_watermark: num(&js::get(p, "highWatermark"), "highWatermark")?,
                replica_log_end_offsets: offsets("replicaLogEndOffsets"),
                replica_high_watermarks: offsets("replicaHighWatermarks"),
            })
        })
        .collect::<Result<_, Error>>()?;
    let topic = TopicMetadata {
        name: name.clone(),
        is_internal: js::get(t, "internal").as_bool().unwrap_or(false),
        config: TopicConfig::default(),
        partitions,
    };
    Ok((name, Ok(topic)))
}

/// Both halves of the wire against each other: every request and response survives the trip.
#[cfg(all(test, target_arch = "wasm32"))]
mod tests;
