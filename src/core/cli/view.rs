//! What a live view of the cluster in use shows (the tutorial draws it): brokers up or down with their
//! leaderships, each partition's replicas with leader, ISR, log end and high watermark per replica (and those
//! joining or leaving it, while it moves between brokers) and its last records, and each consumer group's
//! members, partitions and lag. Read through the same protocol as everything.

use bytes::Bytes;
use serde_json::{json, Value};

use super::{Cli, Clusters};
use crate::core::client::records_from;
use crate::core::cluster::lag;
use crate::core::protocol::{FetchPartition, Isolation, Request, Response};

/// How many of each partition's newest records a view shows.
const LAST_RECORDS: i64 = 3;

fn text(b: &Option<Bytes>) -> Value {
    b.as_ref().map_or(Value::Null, |b| json!(String::from_utf8_lossy(b)))
}

impl Cli {
    /// The view of the cluster in use, or `None` when none is (or it is not UP).
    pub fn view(&self, clusters: &mut dyn Clusters) -> Option<Value> {
        let id = self.state.current_cluster()?;
        let cluster = self.state.cluster(id).filter(|c| c.status == "UP")?;
        let Ok((brokers, topics)) = clusters.call(id, Request::metadata(None)).and_then(Response::into_metadata) else {
            return None;
        };
        // Leaderships of the topics a view shows (the internal `__consumer_offsets` has its own leaders too).
        let partitions = topics.iter().filter(|t| !t.is_internal).flat_map(|t| &t.partitions);
        let brokers: Vec<Value> = brokers
            .iter()
            .map(|b| {
                let leads = partitions.clone().filter(|p| p.leader == Some(b.id)).count();
                json!({ "id": b.id, "alive": b.alive, "rack": b.rack, "leaders": leads })
            })
            .collect();
        // Partitions being moved between brokers: which replicas join and which leave.
        let moving = match clusters.call(id, Request::ListPartitionReassignments { topics: None }) {
            Ok(Response::ListPartitionReassignments(list)) => list,
            _ => Vec::new(),
        };
        let mut topic_views = Vec::new();
        for t in topics.iter().filter(|t| !t.is_internal) {
            let mut parts = Vec::new();
            for p in &t.partitions {
                let from = (p.high_watermark - LAST_RECORDS).max(p.log_start_offset);
                let fetch = Request::Fetch {
                    partitions: vec![FetchPartition {
                        topic: t.name.clone(),
                        partition: p.partition as i32,
                        offset: from,
                        max_bytes: 1 << 16,
                    }],
                    min_bytes: 0,
                    max_bytes: usize::MAX,
                    max_wait_ms: 0,
                    rack: None,
                    isolation: Isolation::ReadUncommitted,
                };
                let mut last = Vec::new();
                if let Ok(Response::Fetch(answers)) = clusters.call(id, fetch) {
                    for f in answers.into_iter().filter_map(|a| a.result.ok()) {
                        let (records, _) = records_from(&f.batches, from, f.aborted_txns()).unwrap_or_default();
                        for (offset, r) in records {
                            // Headers as `[key, value]` pairs (a null value stays null).
                            let headers: Vec<Value> = r.headers.iter().map(|(k, v)| json!([k, text(v)])).collect();
                            let (key, value) = (text(&r.key), text(&r.value));
                            last.push(json!({ "offset": offset, "key": key, "value": value, "headers": headers }));
                        }
                    }
                }
                // Each replica as the view draws it: offline, the leader, an in-sync follower, or out of the ISR.
                let states: Vec<&str> = p
                    .replicas
                    .iter()
                    .map(|r| {
                        if p.offline_replicas.contains(r) {
                            "offline"
                        } else if p.leader == Some(*r) {
                            "leader"
                        } else if p.isr.contains(r) {
                            "follower"
                        } else {
                            "out"
                        }
                    })
                    .collect();
                let moved = moving.iter().find(|m| m.topic == t.name && m.partition == p.partition);
                parts.push(json!({
                    "partition": p.partition,
                    "adding": moved.map_or(&[][..], |m| &m.adding_replicas[..]),
                    "removing": moved.map_or(&[][..], |m| &m.removing_replicas[..]),
                    "leader": p.leader,
                    "leaderEpoch": p.leader_epoch,
                    "replicas": p.replicas,
                    "replicaStates": states,
                    "isr": p.isr,
                    "offline": p.offline_replicas,
                    "logStartOffset": p.log_start_offset,
                    "highWatermark": p.high_watermark,
                    "logEndOffsets": p.replica_log_end_offsets,
                    "highWatermarks": p.replica_high_watermarks,
                    "last": last,
                }));
            }
            topic_views.push(json!({ "name": t.name, "partitions": parts }));
        }
        let mut groups = Vec::new();
        if let Ok(Response::ListGroups(list)) = clusters.call(id, Request::ListGroups) {
            for (group, state) in list {
                let described = match clusters.call(id, Request::DescribeGroup { group: group.clone() }) {
                    Ok(Response::DescribeGroup(d)) => d,
                    _ => None,
                };
                let members: Vec<Value> = described
                    .iter()
                    .flat_map(|d| &d.members)
                    .map(|(m, client, tps)| json!({ "id": m, "clientId": client, "partitions": tps }))
                    .collect();
                let mut lags = Vec::new();
                for t in topics.iter().filter(|t| !t.is_internal) {
                    for p in &t.partitions {
                        let request = Request::OffsetFetch {
                            group: group.clone(),
                            topic: t.name.clone(),
                            partition: p.partition,
                        };
                        let committed = match clusters.call(id, request) {
                            Ok(Response::OffsetFetch(c)) => c.map(|c| c.offset),
                            _ => None,
                        };
                        let owned = described
                            .iter()
                            .flat_map(|d| &d.members)
                            .any(|(_, _, tps)| tps.iter().any(|(tt, pp)| *tt == t.name && *pp == p.partition));
                        if committed.is_some() || owned {
                            lags.push(json!({
                                "topic": t.name,
                                "partition": p.partition,
                                "committed": committed,
                                "logEnd": p.high_watermark,
                                "lag": lag(committed, p.log_start_offset, p.high_watermark),
                            }));
                        }
                    }
                }
                groups.push(json!({ "group": group, "state": state.name(), "members": members, "lag": lags }));
            }
        }
        Some(json!({
            "cluster": { "id": cluster.id, "name": cluster.name, "environment": cluster.environment },
            "brokers": brokers,
            "topics": topic_views,
            "groups": groups,
        }))
    }
}
