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
use crate::core::protocol::{DeletedRecords, PartitionResult, ProduceData, Request, Response, TopicOutcome};
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
        Request::Produce { acks, partitions } => (
            "Produce",
            vec![
                ("acks", (*acks).into()),
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

/// One id's or user's answer: its value, or why not.
type Named<T> = (String, Result<T, Error>);

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

/// Topic metadata as the host sends it. Configs do not travel with metadata (DescribeConfigs has them).
fn topic_metadata(t: &JsValue) -> Result<TopicMetadata, Error> {
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
    Ok(TopicMetadata {
        name: text(&js::get(t, "name"), "topic name")?,
        is_internal: js::get(t, "internal").as_bool().unwrap_or(false),
        config: TopicConfig::default(),
        partitions,
    })
}

/// Both halves of the wire against each other: every request and response survives the trip.
#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::*;

    use super::super::envelope;
    use super::*;
    use crate::core::acl::credentials::Plain;
    use crate::core::acl::scram_users::{ScramCredentialInfo, ScramDeletion, ScramUpsertion};
    use crate::core::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};
    use crate::core::cluster::NewTopic;
    use crate::core::log::ProducerBatch;
    use crate::core::protocol::{FetchPartition, Isolation, OngoingReassignment, ProducePartition, Reassignment};
    use crate::core::record::{Record, RecordBatch};
    use crate::core::txn::{TxnCall, TxnDescription, TxnFilter, TxnOffset, TxnRequest, TxnState};

    wasm_bindgen_test_configure!(run_in_browser);

    fn through_the_wire(r: &Request) -> Request {
        let (env, _) = request(7.0, r);
        assert_eq!(envelope::id_of(&env), Some(7.0));
        envelope::request(&env).unwrap()
    }

    #[wasm_bindgen_test]
    fn every_request_round_trips() {
        let txn =
            |request| Request::Txn(TxnCall { transactional_id: "tx-1".into(), producer_id: 4, epoch: 2, request });
        let requests = vec![
            Request::Fetch {
                partitions: vec![FetchPartition { topic: "t".into(), partition: 1, offset: 42, max_bytes: 1000 }],
                min_bytes: 1,
                max_bytes: 10 << 20,
                max_wait_ms: 500,
                rack: Some("zone-a".into()),
                isolation: Isolation::ReadCommitted,
            },
            Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::Earliest },
            Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::LastStable },
            Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::Timestamp(1_700_000_000_000) },
            Request::metadata(None),
            Request::Fault(crate::core::protocol::Fault::KillBroker { broker: 2 }),
            Request::Fault(crate::core::protocol::Fault::PartitionNetwork { groups: vec![vec![1, 2], vec![3]] }),
            Request::Fault(crate::core::protocol::Fault::HealNetwork),
            Request::FindCoordinator { group: "g".into() },
            Request::metadata(Some(vec!["a".into(), "b".into()])),
            Request::CreateTopics {
                topics: vec![NewTopic::new("n", 3, 1).config("retention.ms", "5")],
                validate_only: true,
            },
            Request::DeleteTopics { topics: vec!["n".into()] },
            Request::CreatePartitions { topic: "t".into(), count: 4, assignments: None, validate_only: false },
            Request::CreatePartitions {
                topic: "t".into(),
                count: 5,
                assignments: Some(vec![vec![2, 1], vec![3, 2]]),
                validate_only: true,
            },
            Request::CreateTopics {
                topics: vec![NewTopic::new("m", 0, 0).assigned(vec![(0, vec![3, 1])])],
                validate_only: false,
            },
            Request::DeleteRecords { topic: "t".into(), partitions: vec![(0, -1), (2, 1 << 40)] },
            Request::DescribeConfigs { topic: "t".into() },
            Request::DescribeBrokerConfigs { broker: 2 },
            Request::AlterConfigs {
                topic: "t".into(),
                changes: vec![("retention.ms".into(), None)],
                validate_only: false,
            },
            Request::OffsetCommit {
                group: "g/1".into(),
                topic: "t".into(),
                partition: 2,
                offset: 9,
                metadata: Some("m".into()),
                member: Some(("m-1".into(), 3)),
            },
            Request::OffsetFetch { group: "g".into(), topic: "t".into(), partition: 2 },
            Request::init_idempotent(),
            Request::InitProducerId { transactional_id: Some("tx-1".into()), timeout_ms: 60000 },
            txn(TxnRequest::AddPartitions { partitions: vec![("t".into(), 1)] }),
            txn(TxnRequest::CommitOffsets {
                group: "g".into(),
                member: Some(("m-1".into(), 3)),
                offsets: vec![TxnOffset { topic: "t".into(), partition: 1, offset: 9, metadata: None }],
            }),
            txn(TxnRequest::End { commit: false }),
            Request::AlterPartitionReassignments(vec![
                Reassignment { topic: "t".into(), partition: 0, replicas: Some(vec![3, 1]) },
                Reassignment { topic: "t".into(), partition: 1, replicas: None },
            ]),
            Request::ListPartitionReassignments { topics: None },
            Request::ListPartitionReassignments { topics: Some(vec![("t".into(), vec![0, 2])]) },
            Request::AlterUserScramCredentials {
                deletions: vec![ScramDeletion { user: "a".into(), mechanism: "SCRAM-SHA-512".into() }],
                upsertions: vec![ScramUpsertion {
                    user: "b".into(),
                    mechanism: "SCRAM-SHA-256".into(),
                    iterations: 8192,
                    salt: vec![1, 2, 255],
                    salted_password: vec![0; 32],
                }],
            },
            Request::DescribeUserScramCredentials { users: None },
            Request::DescribeUserScramCredentials { users: Some(vec!["a".into()]) },
            Request::CreateAcls(vec![acl()]),
            Request::DescribeAcls(AclFilter { principal: Some("User:a".into()), ..AclFilter::any() }),
            Request::DeleteAcls(vec![AclFilter::any()]),
            Request::SaslHandshake { mechanism: "SCRAM-SHA-512".into() },
            Request::SaslAuthenticate(SaslToken::Plain(Some(Plain { username: "a".into(), password: "p".into() }))),
            Request::SaslAuthenticate(SaslToken::Plain(None)),
            Request::SaslAuthenticate(SaslToken::Message("n,,n=a,r=x".into())),
            Request::ListTransactions(TxnFilter { states: vec![TxnState::Ongoing], producer_ids: vec![7] }),
            Request::DescribeTransactions { ids: vec!["tx-1".into()] },
        ];
        for r in requests {
            assert_eq!(through_the_wire(&r), r);
        }
    }

    #[wasm_bindgen_test]
    fn produced_records_arrive_as_the_batch_a_producer_builds() {
        let records = vec![Record::keyed("k", "v", 5)];
        let producer =
            Some(ProducerBatch { producer_id: 3, epoch: 1, base_sequence: 8, count: 1, transactional: false });
        let data = ProduceData::records(&records, producer);
        let sent =
            Request::Produce { acks: -1, partitions: vec![ProducePartition { topic: "t".into(), partition: 0, data }] };
        let Request::Produce { acks, partitions } = through_the_wire(&sent) else { panic!("not a produce") };
        let ProduceData::Batches(bytes) = &partitions[0].data else { panic!("records travel as a batch") };
        let batch = RecordBatch::decode(bytes.clone()).unwrap();
        assert_eq!((acks, batch.producer_id, batch.producer_epoch, batch.base_sequence), (-1, 3, 1, 8));
        assert_eq!(batch.records[0].record, records[0]);
    }

    fn acl() -> AclBinding {
        AclBinding {
            resource_type: ResourceType::Topic,
            resource_name: "t".into(),
            pattern_type: PatternType::Prefixed,
            principal: "User:a".into(),
            host: "*".into(),
            operation: Operation::Read,
            permission: Permission::Deny,
        }
    }

    fn description() -> TxnDescription {
        TxnDescription {
            transactional_id: "tx-1".into(),
            state: TxnState::Ongoing,
            producer_id: 7,
            producer_epoch: 2,
            timeout_ms: 60_000,
            started_ms: 1 << 41,
            partitions: vec![("t".into(), 1)],
        }
    }

    #[wasm_bindgen_test]
    fn responses_and_errors_round_trip() {
        let batch = RecordBatch::from_records(vec![Record::new("x", 1)]).encode();
        let responses = vec![
            Response::Produce(vec![
                PartitionResult {
                    topic: "t".into(),
                    partition: 0,
                    result: Ok(ProduceResult {
                        base_offset: 4,
                        log_append_time: -1,
                        log_start_offset: 0,
                        pending: None,
                    }),
                },
                PartitionResult {
                    topic: "t".into(),
                    partition: 9,
                    result: Err(Error::UnknownTopicOrPartition("no p9".into())),
                },
            ]),
            Response::Fetch(vec![PartitionResult {
                topic: "t".into(),
                partition: 0,
                result: Ok(FetchResult {
                    high_watermark: 1,
                    log_start_offset: 0,
                    replica: 2,
                    batches: vec![batch],
                    in_storage: None,
                    last_stable_offset: 1,
                    aborted: Some(vec![AbortedTxn { producer_id: 4, first_offset: 0, last_offset: 1 }]),
                }),
            }]),
            Response::ListOffsets(Some(OffsetAndTimestamp { offset: 3, timestamp: -1 })),
            Response::ListOffsets(None),
            Response::CreateTopics(vec![
                TopicOutcome { topic: "a".into(), error: None },
                TopicOutcome { topic: "b".into(), error: Some(Error::TopicAlreadyExists("b exists".into())) },
            ]),
            Response::OffsetFetch(Some(CommittedOffset { offset: 2, metadata: None })),
            Response::OffsetFetch(None),
            Response::InitProducerId { producer_id: 12, epoch: 0 },
            Response::Txn,
            Response::DescribeConfigs(vec![ConfigEntry { name: "retention.ms", value: "5".into(), is_default: false }]),
            Response::DescribeConfigs(vec![ConfigEntry { name: "broker.id", value: "2".into(), is_default: false }]),
            Response::AlterConfigs,
            Response::DeleteRecords(vec![
                PartitionResult {
                    topic: "t".into(),
                    partition: 0,
                    result: Ok(DeletedRecords { leader: 2, log_start: 7, low_watermark: 5 }),
                },
                PartitionResult {
                    topic: "t".into(),
                    partition: 1,
                    result: Err(Error::PolicyViolation("compact only".into())),
                },
            ]),
            Response::AlterPartitionReassignments(vec![
                PartitionResult { topic: "t".into(), partition: 0, result: Ok(()) },
                PartitionResult {
                    topic: "t".into(),
                    partition: 1,
                    result: Err(Error::NoReassignmentInProgress("not moving".into())),
                },
            ]),
            Response::ListPartitionReassignments(vec![OngoingReassignment {
                topic: "t".into(),
                partition: 2,
                replicas: vec![3, 1, 2],
                adding_replicas: vec![3],
                removing_replicas: vec![2],
            }]),
            Response::CreateAcls(vec![None, Some(Error::InvalidRequest("bad principal".into()))]),
            Response::DescribeAcls(vec![acl()]),
            Response::DeleteAcls(vec![vec![acl()], vec![]]),
            Response::SaslHandshake { mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-256".into()] },
            Response::SaslAuthenticate { principal: Some("User:a".into()), message: "v=x".into() },
            Response::SaslAuthenticate { principal: None, message: "r=xy,s=c2FsdA==,i=4096".into() },
            Response::ListTransactions(vec![description()]),
            Response::DescribeTransactions(vec![
                ("tx-1".into(), Ok(description())),
                ("tx-2".into(), Err(Error::TransactionalIdNotFound("never used".into()))),
            ]),
            Response::AlterUserScramCredentials(vec![
                ("a".into(), None),
                ("b".into(), Some(Error::UnacceptableCredential("1 iteration".into()))),
            ]),
            Response::DescribeUserScramCredentials(vec![
                ("a".into(), Ok(vec![ScramCredentialInfo { mechanism: "SCRAM-SHA-256".into(), iterations: 4096 }])),
                ("z".into(), Err(Error::ResourceNotFound("no credentials".into()))),
            ]),
        ];
        for r in responses {
            let (env, _) = envelope::response(3.0, &r);
            assert_eq!(response(&env.into()).unwrap(), (Some(3.0), Ok(r)));
        }
        let failed = envelope::error_response(Some(4.0), &Error::NotEnoughReplicas("isr 1".into()));
        assert_eq!(response(&failed.into()).unwrap(), (Some(4.0), Err(Error::NotEnoughReplicas("isr 1".into()))));
    }
}
