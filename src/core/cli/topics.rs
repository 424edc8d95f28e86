//! Commands on a cluster's data: `confluent kafka topic …`, `confluent kafka consumer group …`, and franz's
//! `franz broker …`, `franz topic lint`, `franz partitions estimate`.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::estimate::estimate;
use super::output::{list_table, record_table, Data, Format};
use super::parse::Parsed;
use super::session::{list_offset, ConsumeSession, ProduceSession};
use super::{Acting, Cli, CliError, Clusters, Reply, Stream};
use crate::core::cluster::{lag, BrokerInfo, NewTopic, TopicMetadata};
use crate::core::error::Error;
use crate::core::groups::{Assignor, GroupMember, MemberConfig};
use crate::core::log::OffsetSpec;
use crate::core::protocol::{Fault, Isolation, Reassignment, Request, Response};
use crate::core::record::{Compression, Header};
use crate::core::topic::{lint, TopicName};

/// The session timeout of a CLI consumer in a group (its heartbeats come with each poll).
const CLI_SESSION_TIMEOUT_MS: i64 = 10_000;

/// Confluent Cloud's default partition count for `topic create`.
const DEFAULT_PARTITIONS: i32 = 6;

/// Confluent Cloud's replication factor, capped by the brokers a franz cluster has.
const REPLICATION_FACTOR: i32 = 3;

/// A response of another kind than the request's: the CLI's one error for it.
pub(super) fn unexpected() -> Error {
    Error::UnknownServerError("the broker answered with another kind of response".into())
}

/// `k=v,k2=v2` as config pairs.
fn configs(value: Option<&str>) -> Result<Vec<(String, String)>, CliError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    value
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                CliError::usage(format!("configuration {pair:?} is not of the form \"key=value\"")).with_suggestion(
                    "Pass --config as a comma-separated list, e.g. --config retention.ms=60000,cleanup.policy=compact.",
                )
            })?;
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

impl Cli {
    pub(super) fn execute_on_cluster(
        &mut self,
        p: &Parsed,
        path: &[&str],
        format: Format,
        clusters: &mut dyn Clusters,
    ) -> Result<Reply, CliError> {
        match path {
            ["franz", "topic", "lint"] => return topic_lint(&p.args[0]),
            ["franz", "partitions", "estimate"] => return partitions_estimate(p, format),
            _ => {}
        }
        let cluster = self.target_cluster(p)?.id;
        if let ["confluent", "kafka", "topic", verb @ ("produce" | "consume")] = path {
            let principal = self.authorize(p, &cluster)?;
            let clusters = &mut Acting { clusters, principal: &principal };
            return if *verb == "produce" {
                produce(p, &cluster, &principal, clusters)
            } else {
                consume(p, &cluster, &principal, clusters)
            };
        }
        let mut call = |request: Request, what: &str| {
            clusters.call(&cluster, request).map_err(|e| CliError::kafka(&e, what, hint(&e)))
        };
        match path {
            ["confluent", "kafka", "topic", "create"] => {
                let name = &p.args[0];
                let brokers = self.find_cluster(&cluster)?.brokers;
                let partitions = match p.flag("partitions") {
                    None => DEFAULT_PARTITIONS,
                    Some(n) => n.parse().map_err(|_| {
                        CliError::usage(format!("invalid value {n:?} for \"--partitions\": not a number"))
                    })?,
                };
                let replication_factor = match p.flag("replication-factor") {
                    None => REPLICATION_FACTOR.min(brokers),
                    Some(n) => n.parse().map_err(|_| {
                        CliError::usage(format!("invalid value {n:?} for \"--replication-factor\": not a number"))
                    })?,
                };
                let topic = NewTopic {
                    name: name.clone(),
                    num_partitions: partitions,
                    replication_factor,
                    configs: configs(p.flag("config"))?,
                    assignment: None,
                };
                let dry_run = p.has("dry-run");
                let what = format!("failed to create topic {name:?}");
                let Response::CreateTopics(outcomes) =
                    call(Request::CreateTopics { topics: vec![topic], validate_only: dry_run }, &what)?
                else {
                    return Err(CliError::kafka(&unexpected(), &what, None));
                };
                match outcomes.into_iter().find_map(|o| o.error) {
                    Some(Error::TopicAlreadyExists(_)) if p.has("if-not-exists") => Ok(Reply::default()),
                    Some(e) => Err(CliError::kafka(&e, &what, hint(&e))),
                    None if dry_run => {
                        Ok(Reply::text(format!("[DRY RUN] Successfully validated creation of topic {name:?}.\n")))
                    }
                    None => Ok(Reply::text(format!("Created topic {name:?}.\n"))),
                }
            }
            ["confluent", "kafka", "topic", "list"] => {
                let topics = metadata(&mut call, None)?.1;
                let rows = topics
                    .iter()
                    .filter(|t| !t.is_internal)
                    .map(|t| {
                        let rf = t.partitions.first().map_or(0, |p| p.replicas.len());
                        vec![json!(t.name), json!(t.is_internal), json!(rf), json!(t.partitions.len())]
                    })
                    .collect();
                let columns = vec![
                    ("Name", "name"),
                    ("Internal", "is_internal"),
                    ("Replication Factor", "replication_factor"),
                    ("Partition Count", "partition_count"),
                ];
                Ok(Reply::text(Data::List(columns, rows).render(format)))
            }
            ["confluent", "kafka", "topic", "describe"] => {
                let name = &p.args[0];
                let what = format!("failed to describe topic {name:?}");
                let topic = metadata(&mut call, Some(name))?.1.remove(0);
                let Response::DescribeConfigs(entries) = call(Request::DescribeConfigs { topic: name.clone() }, &what)?
                else {
                    return Err(CliError::kafka(&unexpected(), &what, None));
                };
                let config: Vec<(String, String)> = entries.into_iter().map(|e| (e.name.to_owned(), e.value)).collect();
                Ok(Reply::text(describe_topic(&topic, &config).render(format)))
            }
            ["confluent", "kafka", "topic", "update"] => {
                let name = &p.args[0];
                let changes =
                    configs(Some(super::run::required(p, "config", "the configuration to change (key=value,…)")?))?;
                let what = format!("failed to update topic {name:?}");
                let request = Request::AlterConfigs {
                    topic: name.clone(),
                    changes: changes.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect(),
                    validate_only: p.has("dry-run"),
                };
                call(request, &what)?;
                let rows = changes.iter().map(|(k, v)| vec![json!(k), json!(v), json!(false)]).collect();
                let list = Data::List(vec![("Name", "name"), ("Value", "value"), ("Read-Only", "read_only")], rows);
                let mut output = String::new();
                if format == Format::Human {
                    output.push_str(&format!("Updated the following configuration values for topic {name:?}:\n"));
                }
                output.push_str(&list.render(format));
                Ok(Reply::text(output))
            }
            ["confluent", "kafka", "topic", "delete"] => {
                let name = &p.args[0];
                let what = format!("failed to delete topic {name:?}");
                let Response::DeleteTopics(outcomes) =
                    call(Request::DeleteTopics { topics: vec![name.clone()] }, &what)?
                else {
                    return Err(CliError::kafka(&unexpected(), &what, None));
                };
                match outcomes.into_iter().find_map(|o| o.error) {
                    Some(e) => Err(CliError::kafka(&e, &what, hint(&e))),
                    None => Ok(Reply::text(format!("Deleted topic {name:?}.\n"))),
                }
            }
            ["confluent", "kafka", "consumer", "group", "list"] => {
                let Response::ListGroups(groups) = call(Request::ListGroups, "failed to list consumer groups")? else {
                    return Err(CliError::kafka(&unexpected(), "failed to list consumer groups", None));
                };
                let rows =
                    groups.iter().map(|(g, state)| vec![json!(cluster), json!(g), json!(state.name())]).collect();
                let columns = vec![("Cluster", "cluster"), ("Consumer Group", "consumer_group_id"), ("State", "state")];
                Ok(Reply::text(Data::List(columns, rows).render(format)))
            }
            ["confluent", "kafka", "consumer", "group", "describe"] => {
                describe_group(&cluster, &p.args[0], &mut call).map(|d| Reply::text(d.render(format)))
            }
            ["franz", "broker", "list"] => {
                let (brokers, topics) = metadata(&mut call, None)?;
                Ok(Reply::text(broker_list(&brokers, &topics).render(format)))
            }
            ["franz", "broker", "describe"] => {
                let id: i32 =
                    p.args[0].parse().map_err(|_| CliError::usage(format!("invalid broker id {:?}", p.args[0])))?;
                let what = format!("failed to describe broker {id}");
                let Response::DescribeConfigs(entries) = call(Request::DescribeBrokerConfigs { broker: id }, &what)?
                else {
                    return Err(CliError::kafka(&unexpected(), &what, None));
                };
                let rows = entries
                    .iter()
                    .filter(|e| p.flag("config-name").is_none_or(|n| n == e.name))
                    .map(|e| vec![json!(e.name), json!(e.value), json!(e.is_default), json!(true), json!(false)])
                    .collect();
                let columns = vec![
                    ("Name", "name"),
                    ("Value", "value"),
                    ("Is Default", "is_default"),
                    ("Is Read Only", "is_read_only"),
                    ("Is Sensitive", "is_sensitive"),
                ];
                Ok(Reply::text(Data::List(columns, rows).render(format)))
            }
            ["franz", "broker", "kill"] | ["franz", "broker", "restart"] => {
                let id: i32 =
                    p.args[0].parse().map_err(|_| CliError::usage(format!("invalid broker id {:?}", p.args[0])))?;
                let (fault, done) = if path[2] == "kill" {
                    (Fault::KillBroker { broker: id }, format!("Killed broker {id}: the controller fences it after broker.session.timeout.ms, and its partitions fail over.\n"))
                } else {
                    (Fault::RestartBroker { broker: id }, format!("Restarted broker {id}: it catches up, rejoins the ISR, and leads its preferred partitions again.\n"))
                };
                call(Request::Fault(fault), &format!("failed to {} broker {id}", path[2]))?;
                Ok(Reply::text(done))
            }
            ["franz", "partition", "reassign"] => reassign(p, &mut call),
            ["franz", "partition", "list-reassignments"] => {
                let what = "failed to list the reassignments";
                let Response::ListPartitionReassignments(moving) =
                    call(Request::ListPartitionReassignments { topics: None }, what)?
                else {
                    return Err(CliError::kafka(&unexpected(), what, None));
                };
                let rows = moving
                    .iter()
                    .map(|m| {
                        let (r, a, d) = (&m.replicas, &m.adding_replicas, &m.removing_replicas);
                        vec![json!(m.topic), json!(m.partition), json!(r), json!(a), json!(d)]
                    })
                    .collect();
                let columns = vec![
                    ("Topic", "topic"),
                    ("Partition", "partition"),
                    ("Replicas", "replicas"),
                    ("Adding", "adding_replicas"),
                    ("Removing", "removing_replicas"),
                ];
                Ok(Reply::text(Data::List(columns, rows).render(format)))
            }
            _ => Err(CliError::usage(format!("{} is not implemented", path.join(" ")))),
        }
    }
}

/// `franz partition reassign TOPIC [--partition N] (--replicas 4,2,3 | --cancel)`.
fn reassign(p: &Parsed, call: &mut dyn FnMut(Request, &str) -> Result<Response, CliError>) -> Result<Reply, CliError> {
    let topic = p.args[0].clone();
    let partition = match p.flag("partition") {
        None => 0,
        Some(v) => v.parse::<i32>().map_err(|_| CliError::usage(format!("invalid partition {v:?}")))?,
    };
    let replicas = match (p.flag("replicas"), p.has("cancel")) {
        (Some(_), true) => return Err(CliError::usage("--replicas and --cancel cannot be used together")),
        (None, false) => {
            return Err(CliError::usage("nothing to do: pass --replicas or --cancel")
                .with_suggestion("Name the brokers to move to, e.g. --replicas 4,2,3 (the first leads)."))
        }
        (None, true) => None,
        (Some(list), false) => Some(
            list.split(',')
                .map(|b| b.trim().parse::<i32>().map_err(|_| CliError::usage(format!("invalid broker id {b:?}"))))
                .collect::<Result<Vec<i32>, CliError>>()?,
        ),
    };
    let what = format!("failed to reassign partition {partition} of topic {topic:?}");
    let request = Request::AlterPartitionReassignments(vec![Reassignment {
        topic: topic.clone(),
        partition,
        replicas: replicas.clone(),
    }]);
    let Response::AlterPartitionReassignments(mut results) = call(request, &what)? else {
        return Err(CliError::kafka(&unexpected(), &what, None));
    };
    if let Some(e) = results.pop().and_then(|r| r.result.err()) {
        return Err(CliError::kafka(&e, &what, hint(&e)));
    }
    Ok(Reply::text(match replicas {
        None => format!("Cancelled the reassignment of partition {partition} of topic {topic:?}.\n"),
        Some(to) => format!(
            "Reassigning partition {partition} of topic {topic:?} to brokers {to:?}: the new replicas copy the log, \
             then the old ones leave. Follow it with `franz partition list-reassignments`.\n"
        ),
    }))
}

/// The brokers and topics of a Metadata request (one topic, or all).
fn metadata(
    call: &mut dyn FnMut(Request, &str) -> Result<Response, CliError>,
    topic: Option<&String>,
) -> Result<(Vec<BrokerInfo>, Vec<TopicMetadata>), CliError> {
    let what = match topic {
        Some(t) => format!("failed to describe topic {t:?}"),
        None => "failed to list topics".to_owned(),
    };
    call(Request::metadata(topic.map(|t| vec![t.clone()])), &what)?
        .into_metadata()
        .map_err(|e| CliError::kafka(&e, &what, hint(&e)))
}

/// A plain-English hint for Kafka errors a student meets.
pub(super) fn hint(e: &Error) -> Option<String> {
    Some(match e {
        Error::InvalidTopicException(_) => "Topic names use letters, digits, '.', '_' and '-', up to 249 characters; see `franz topic lint <name>` for conventions.".into(),
        Error::InvalidPartitions(_) => "A topic needs at least 1 partition (franz allows up to 1000).".into(),
        Error::InvalidReplicationFactor(_) => "The replication factor cannot exceed the number of live brokers.".into(),
        Error::InvalidConfig(_) => "Run `confluent kafka topic describe <topic>` to see the configuration names.".into(),
        Error::TopicAlreadyExists(_) => "Pass --if-not-exists to succeed when it already exists.".into(),
        Error::UnknownTopicOrPartition(_) => "List topics with `confluent kafka topic list`.".into(),
        Error::NonEmptyGroup(_) => "Stop the group's consumers first.".into(),
        Error::InvalidReplicaAssignment(_) => "Name each broker once; `franz broker list` shows their ids.".into(),
        Error::NoReassignmentInProgress(_) => "`franz partition list-reassignments` shows what is moving.".into(),
        Error::TopicAuthorizationFailed(_) | Error::GroupAuthorizationFailed(_) => {
            "This API key belongs to a service account, which may do only what ACLs allow: see `confluent kafka acl \
             list`, and grant more with `confluent kafka acl create --allow --service-account <id> --operations \
             <operations> --topic <topic>` (or --consumer-group <group>)."
                .into()
        }
        _ => return None,
    })
}

fn describe_topic(topic: &TopicMetadata, config: &[(String, String)]) -> Data {
    let rf = topic.partitions.first().map_or(0, |p| p.replicas.len());
    let fields = vec![
        ("Name", "topic_name", json!(topic.name)),
        ("Internal", "is_internal", json!(topic.is_internal)),
        ("Replication Factor", "replication_factor", json!(rf)),
        ("Partition Count", "partition_count", json!(topic.partitions.len())),
    ];
    let partitions: Vec<Vec<Value>> = topic
        .partitions
        .iter()
        .map(|p| vec![json!(p.partition), json!(p.leader), json!(p.replicas), json!(p.isr), json!(p.high_watermark)])
        .collect();
    let pcols = vec![
        ("Partition", "partition"),
        ("Leader", "leader"),
        ("Replicas", "replicas"),
        ("ISR", "isr"),
        ("High Watermark", "high_watermark"),
    ];
    let crows: Vec<Vec<Value>> = config.iter().map(|(k, v)| vec![json!(k), json!(v)]).collect();
    let human = format!(
        "{}\nPartitions\n\n{}\nConfiguration\n\n{}",
        record_table(&fields),
        list_table(
            &pcols,
            &partitions
                .iter()
                .map(|r| r.iter().map(|v| json!(v.to_string().trim_matches('"'))).collect())
                .collect::<Vec<_>>()
        ),
        list_table(&[("Name", "name"), ("Value", "value")], &crows)
    );
    let mut json = Map::new();
    for (_, k, v) in fields {
        json.insert(k.into(), v);
    }
    json.insert(
        "partitions".into(),
        Value::Array(
            partitions
                .iter()
                .map(|r| Value::Object(pcols.iter().zip(r).map(|((_, k), v)| (k.to_string(), v.clone())).collect()))
                .collect(),
        ),
    );
    json.insert("config".into(), Value::Object(config.iter().map(|(k, v)| (k.clone(), json!(v))).collect()));
    Data::Composite(human, Value::Object(json))
}

fn produce(p: &Parsed, cluster: &str, principal: &str, clusters: &mut dyn Clusters) -> Result<Reply, CliError> {
    let name = &p.args[0];
    let mut call =
        |request: Request, what: &str| clusters.call(cluster, request).map_err(|e| CliError::kafka(&e, what, hint(&e)));
    let topic = metadata(&mut call, Some(name))?.1.remove(0);
    let delimiter = p.flag("delimiter").unwrap_or(":");
    let session = ProduceSession {
        cluster: cluster.to_owned(),
        topic: name.clone(),
        principal: principal.to_owned(),
        partitions: topic.partitions.len() as u32,
        parse_key: p.has("parse-key"),
        delimiter: delimiter.to_owned(),
        compression: producer_compression(configs(p.flag("config"))?)?,
        headers: headers(p.flag("headers"), delimiter)?,
        next: 0,
    };
    Ok(Reply {
        output: "Starting Kafka Producer. Use Ctrl-C or Ctrl-D to exit.\n".into(),
        stream: Some(Stream::Produce(session)),
        ..Reply::default()
    })
}

/// `--headers k:v,k2:v2`: each split at the first `delimiter` and trimmed, as the Confluent CLI reads them.
fn headers(value: Option<&str>, delimiter: &str) -> Result<Vec<Header>, CliError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let header = |h: &str| match h.split_once(delimiter) {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), Some(Bytes::copy_from_slice(value.trim().as_bytes()))))
        }
        _ => Err(CliError::usage(format!("invalid header {h:?}: a header is formatted as \"key{delimiter}value\""))
            .with_suggestion("Pass --headers as a comma-separated list, e.g. --headers source:web,version:2.")),
    };
    value.split(',').map(header).collect()
}

/// The codec a producer's `--config` asks for: its `compression.type` (the producer client's values), the one
/// setting franz's console producer takes.
fn producer_compression(configs: Vec<(String, String)>) -> Result<Compression, CliError> {
    let mut codec = Compression::None;
    for (key, value) in configs {
        if key != "compression.type" {
            return Err(CliError::usage(format!("unknown producer configuration {key:?}"))
                .with_suggestion("The producer takes --config compression.type=none|gzip|snappy|lz4|zstd."));
        }
        codec = Compression::from_name(&value).ok_or_else(|| {
            CliError::usage(format!("invalid value {value:?} for producer configuration compression.type"))
                .with_suggestion("Use none, gzip, snappy, lz4 or zstd.")
        })?;
    }
    Ok(codec)
}

/// The isolation level a consumer's `--config` asks for: `isolation.level`, `read_committed` by default as in
/// librdkafka (the Confluent CLI's client), the one setting franz's console consumer takes.
fn consumer_isolation(configs: Vec<(String, String)>) -> Result<Isolation, CliError> {
    let mut isolation = Isolation::ReadCommitted;
    for (key, value) in configs {
        let hint = "The consumer takes --config isolation.level=read_committed|read_uncommitted.";
        if key != "isolation.level" {
            return Err(CliError::usage(format!("unknown consumer configuration {key:?}")).with_suggestion(hint));
        }
        isolation = match value.as_str() {
            "read_committed" => Isolation::ReadCommitted,
            "read_uncommitted" => Isolation::ReadUncommitted,
            _ => {
                return Err(CliError::usage(format!(
                    "invalid value {value:?} for consumer configuration isolation.level"
                ))
                .with_suggestion(hint))
            }
        };
    }
    Ok(isolation)
}

/// Where a consume starts, per partition: `--partition`/`--offset`, else the group's committed offset, else the
/// log start (`-b`) or the end.
fn consume(p: &Parsed, cluster: &str, principal: &str, clusters: &mut dyn Clusters) -> Result<Reply, CliError> {
    let name = &p.args[0];
    let topic = {
        let mut call = |request: Request, what: &str| {
            clusters.call(cluster, request).map_err(|e| CliError::kafka(&e, what, hint(&e)))
        };
        metadata(&mut call, Some(name))?.1.remove(0)
    };
    let count = topic.partitions.len() as u32;
    let only = match p.flag("partition") {
        None => None,
        Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n < count).ok_or_else(|| {
            CliError::usage(format!(
                "invalid value {v:?} for \"--partition\": topic {name:?} has partitions 0 to {}",
                count.saturating_sub(1)
            ))
        })?),
    };
    let offset = match p.flag("offset") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| {
            CliError::usage(format!("invalid value {v:?} for \"--offset\": it must be an offset, 0 or more"))
        })?),
    };
    if offset.is_some() && only.is_none() {
        return Err(CliError::usage("--offset needs --partition")
            .with_suggestion("Pass the partition to read from, e.g. --partition 0 --offset 5."));
    }
    let from_beginning = p.has("from-beginning");
    let isolation = consumer_isolation(configs(p.flag("config"))?)?;
    let reset = if from_beginning { OffsetSpec::Earliest } else { isolation.end() };
    let mut positions = BTreeMap::new();
    // With --group the consumer joins the group, which decides its partitions (and where each starts);
    // without, it reads every partition (or the one --partition names) from -b, --offset, or the end.
    let member = match p.flag("group") {
        Some(_) if only.is_some() => {
            return Err(CliError::usage("--partition cannot be used with --group").with_suggestion(
                "A group member reads the partitions its group assigns; drop --partition, or --group.",
            ))
        }
        Some(group) => Some(Box::new(GroupMember::new(MemberConfig {
            group: group.to_owned(),
            client_id: "confluent-cli".into(),
            topics: vec![name.clone()],
            assignors: vec![Assignor::RoundRobin.into()],
            session_timeout_ms: CLI_SESSION_TIMEOUT_MS,
            rebalance_timeout_ms: CLI_SESSION_TIMEOUT_MS,
            heartbeat_interval_ms: CLI_SESSION_TIMEOUT_MS / 5,
        }))),
        None => {
            for partition in (0..count).filter(|q| only.is_none_or(|o| o == *q)) {
                let start = match offset {
                    Some(o) => o,
                    None => list_offset(clusters, cluster, name, partition, reset).map_err(|e| {
                        CliError::kafka(&e, &format!("failed to list the offsets of {name}-{partition}"), hint(&e))
                    })?,
                };
                positions.insert(partition, start);
            }
            None
        }
    };
    let session = ConsumeSession {
        cluster: cluster.to_owned(),
        topic: name.clone(),
        principal: principal.to_owned(),
        member,
        from_beginning,
        partition_count: count,
        print_key: p.has("print-key"),
        delimiter: p.flag("delimiter").unwrap_or("\t").to_owned(),
        timestamp: p.has("timestamp"),
        print_offset: p.has("print-offset"),
        full_header: p.has("full-header"),
        positions,
        isolation,
    };
    Ok(Reply {
        output: "Starting Kafka Consumer. Use Ctrl-C to exit.\n".into(),
        stream: Some(Stream::Consume(session)),
        ..Reply::default()
    })
}

fn topic_lint(name: &str) -> Result<Reply, CliError> {
    TopicName::new(name).map_err(|e| CliError::kafka(&e, &format!("{name:?} is not a valid topic name"), hint(&e)))?;
    let (advice, suggested) = lint(name);
    if advice.is_empty() {
        return Ok(Reply::text(format!("{name:?} follows the naming conventions.\n")));
    }
    let mut out = format!("{name:?} is a valid topic name; the conventions suggest:\n");
    for a in &advice {
        out.push_str(&format!("  - {} ({})\n", a.message, a.rule));
    }
    if let Some(s) = suggested {
        out.push_str(&format!("Suggested name: {s}\n"));
    }
    Ok(Reply::text(out))
}

fn partitions_estimate(p: &Parsed, format: Format) -> Result<Reply, CliError> {
    let number = |flag: &str| -> Result<f64, CliError> {
        let v = super::run::required(p, flag, "a throughput in MB/s")?;
        v.parse().map_err(|_| CliError::usage(format!("invalid value {v:?} for \"--{flag}\": not a number")))
    };
    let count = |flag: &str| -> Result<Option<u64>, CliError> {
        p.flag(flag)
            .map(|v| {
                v.parse()
                    .map_err(|_| CliError::usage(format!("invalid value {v:?} for \"--{flag}\": not a whole number")))
            })
            .transpose()
    };
    let fleet = match (count("producers")?, count("consumers")?) {
        (Some(n), Some(m)) => Some((n, m)),
        (None, None) => None,
        _ => return Err(CliError::usage("pass both --producers and --consumers, or neither")),
    };
    let e = estimate(number("target-mbps")?, number("producer-mbps")?, number("consumer-mbps")?, fleet)?;
    Ok(Reply::text(Data::Composite(e.explain(), e.to_json()).render(format)))
}

/// `consumer group describe`: the group, then per partition its member, committed offset, log end and lag.
fn describe_group(
    cluster: &str,
    group: &str,
    call: &mut dyn FnMut(Request, &str) -> Result<Response, CliError>,
) -> Result<Data, CliError> {
    let what = format!("failed to describe consumer group {group:?}");
    let Response::DescribeGroup(found) = call(Request::DescribeGroup { group: group.into() }, &what)? else {
        return Err(CliError::kafka(&unexpected(), &what, None));
    };
    let coordinator = match call(Request::FindCoordinator { group: group.into() }, &what) {
        Ok(Response::FindCoordinator(node)) => json!(node),
        _ => Value::Null,
    };
    let topics = metadata(call, None)?.1;
    let owner = |t: &str, p: u32| {
        found.as_ref().and_then(|d| {
            d.members
                .iter()
                .find(|(_, _, tps)| tps.iter().any(|(tt, pp)| tt == t && *pp == p))
                .map(|(m, c, _)| (m.clone(), c.clone()))
        })
    };
    let mut rows = Vec::new();
    for t in topics.iter().filter(|t| !t.is_internal) {
        for part in &t.partitions {
            let committed = match call(
                Request::OffsetFetch { group: group.into(), topic: t.name.clone(), partition: part.partition },
                &what,
            )? {
                Response::OffsetFetch(c) => c.map(|c| c.offset),
                _ => None,
            };
            let member = owner(&t.name, part.partition);
            if committed.is_none() && member.is_none() {
                continue;
            }
            let (member_id, client) = member.unwrap_or_default();
            rows.push(vec![
                json!(member_id),
                json!(client),
                json!(t.name),
                json!(part.partition),
                committed.map_or(json!("-"), |c| json!(c)),
                json!(part.high_watermark),
                json!(lag(committed, part.log_start_offset, part.high_watermark)),
            ]);
        }
    }
    // A group known only by its committed offsets is Empty, as Kafka lists it.
    let state = found.as_ref().map_or(if rows.is_empty() { "Dead" } else { "Empty" }, |d| d.state.name());
    let fields = vec![
        ("Cluster", "cluster", json!(cluster)),
        ("Consumer Group", "consumer_group_id", json!(group)),
        ("Coordinator", "coordinator", coordinator),
        ("Is Simple", "is_simple", json!(found.as_ref().is_none_or(|d| d.members.is_empty()))),
        (
            "Partition Assignor",
            "partition_assignor",
            json!(found.as_ref().and_then(|d| d.protocol.clone()).unwrap_or_default()),
        ),
        ("State", "state", json!(state)),
    ];
    let columns = vec![
        ("Consumer ID", "consumer_id"),
        ("Client ID", "client_id"),
        ("Topic", "topic"),
        ("Partition", "partition"),
        ("Current Offset", "current_offset"),
        ("Log End Offset", "log_end_offset"),
        ("Lag", "lag"),
    ];
    let human = format!("{}\n{}", record_table(&fields), list_table(&columns, &rows));
    let mut json = Map::new();
    for (_, k, v) in fields {
        json.insert(k.into(), v);
    }
    let lags = rows
        .iter()
        .map(|r| Value::Object(columns.iter().zip(r).map(|((_, k), v)| (k.to_string(), v.clone())).collect()));
    json.insert("partitions".into(), Value::Array(lags.collect()));
    Ok(Data::Composite(human, Value::Object(json)))
}

fn broker_list(brokers: &[BrokerInfo], topics: &[TopicMetadata]) -> Data {
    let partitions: Vec<_> = topics.iter().flat_map(|t| &t.partitions).collect();
    let rows = brokers
        .iter()
        .map(|b| {
            let leads = partitions.iter().filter(|p| p.leader == Some(b.id)).count();
            let hosts = partitions.iter().filter(|p| p.replicas.contains(&b.id)).count();
            vec![
                json!(b.id),
                json!(if b.alive { "UP" } else { "DOWN" }),
                json!(b.rack.clone().unwrap_or_default()),
                json!(leads),
                json!(hosts),
            ]
        })
        .collect();
    let columns =
        vec![("ID", "id"), ("Status", "status"), ("Rack", "rack"), ("Leaders", "leaders"), ("Replicas", "replicas")];
    Data::List(columns, rows)
}
