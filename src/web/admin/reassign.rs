//! KafkaJS's `alterPartitionReassignments` and `listPartitionReassignments` (Kafka's KIP-455): moving a
//! partition's replicas to other brokers while it keeps serving. Each is a protocol request, so it works the
//! same in the page and through a port.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{promise, to_js, unexpected, Admin};
use crate::core::protocol::{Reassignment, Request, Response};
use crate::web::js::{self, object};

/// The `partitions` (or `partitionAssignment`) list of entry `i` of `topics`.
fn entries(topic: &JsValue, key: &'static str, i: usize) -> Result<Vec<JsValue>, JsValue> {
    js::list(topic, key, format_args!("topics[{i}].{key}"), true)
}

/// A replica list: broker ids, or `null` (franz's own, as Kafka's protocol has it: cancel the move under way).
fn replicas(value: &JsValue, at: &str) -> Result<Option<Vec<i32>>, JsValue> {
    if value.is_null() {
        return Ok(None);
    }
    broker_ids(value, at).map(Some)
}

/// An array of broker ids (whole numbers, 0 or more), as replica lists name them.
pub(super) fn broker_ids(value: &JsValue, at: &str) -> Result<Vec<i32>, JsValue> {
    let ids: Vec<f64> = js::from_plain(value, at).map_err(|_| js::type_error(at, "an array of broker ids", value))?;
    ids.iter()
        .map(|&id| (id.fract() == 0.0 && (0.0..=i32::MAX as f64).contains(&id)).then_some(id as i32))
        .collect::<Option<Vec<i32>>>()
        .ok_or_else(|| js::type_error(at, "an array of broker ids (whole numbers, 0 or more)", value))
}

#[wasm_bindgen]
impl Admin {
    /// `alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition, replicas }] }] })`:
    /// moves each partition to `replicas` (the first is its preferred leader). The new replicas copy the log
    /// while the partition keeps serving; once all are in the ISR the old ones drop their copies, and leadership
    /// moves if its leader left. Resolves once every move has started (follow them with
    /// `listPartitionReassignments`); `replicas: null` cancels a move under way. An unknown partition is
    /// UNKNOWN_TOPIC_OR_PARTITION, an unknown or repeated broker INVALID_REPLICA_ASSIGNMENT (the call rejects with
    /// KafkaJS's aggregate of them; the other partitions move).
    #[wasm_bindgen(js_name = alterPartitionReassignments, unchecked_return_type = "Promise<void>")]
    pub fn alter_partition_reassignments(
        &self,
        #[wasm_bindgen(unchecked_param_type = "AlterPartitionReassignmentsRequest")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let mut moves = Vec::new();
            for (i, t) in js::list(&options, "topics", "topics", true)?.iter().enumerate() {
                let topic = js::string(t, "topic", format_args!("topics[{i}].topic"))?;
                for (j, p) in entries(t, "partitionAssignment", i)?.iter().enumerate() {
                    let at = format!("topics[{i}].partitionAssignment[{j}]");
                    let partition = js::int(&js::get(p, "partition"), format_args!("{at}.partition"))?;
                    let replicas = replicas(&js::get(p, "replicas"), &format!("{at}.replicas"))?;
                    moves.push(Reassignment { topic: topic.clone(), partition, replicas });
                }
            }
            let Response::AlterPartitionReassignments(results) =
                broker.call(Request::AlterPartitionReassignments(moves)).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            let failed: Vec<_> = results
                .iter()
                .filter_map(|r| Some((r.topic.as_str(), r.partition, r.result.as_ref().err()?)))
                .collect();
            if failed.is_empty() {
                Ok(JsValue::UNDEFINED)
            } else {
                Err(crate::web::error::partitions_not_reassigned(&failed))
            }
        })
    }

    /// `listPartitionReassignments({ topics?: [{ topic, partitions }] })`: `{ topics: [{ topic, partitions:
    /// [{ partition, replicas, addingReplicas, removingReplicas }] }] }` for the partitions being moved (of the
    /// ones named, or of every topic).
    #[wasm_bindgen(
        js_name = listPartitionReassignments,
        unchecked_return_type = "Promise<ListPartitionReassignmentsResponse>"
    )]
    pub fn list_partition_reassignments(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ topics?: { topic: string; partitions: number[] }[]; timeout?: number }"
        )]
        options: Option<JsValue>,
    ) -> Promise {
        let broker = self.broker.clone();
        let options = options.unwrap_or(JsValue::UNDEFINED);
        promise(async move {
            broker.check_open()?;
            let mut topics: Option<Vec<(String, Vec<u32>)>> = None;
            if !js::is_missing(&js::get(&options, "topics")) {
                let mut named = Vec::new();
                for (i, t) in js::list(&options, "topics", "topics", true)?.iter().enumerate() {
                    let topic = js::string(t, "topic", format_args!("topics[{i}].topic"))?;
                    let partitions = entries(t, "partitions", i)?
                        .iter()
                        .enumerate()
                        .map(|(j, p)| js::int(p, format_args!("topics[{i}].partitions[{j}]")))
                        .collect::<Result<Vec<u32>, JsValue>>()?;
                    named.push((topic, partitions));
                }
                topics = Some(named);
            }
            let Response::ListPartitionReassignments(ongoing) =
                broker.call(Request::ListPartitionReassignments { topics }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            let mut by_topic: Vec<(String, Vec<JsValue>)> = Vec::new();
            for r in &ongoing {
                let partition = object([
                    ("partition", r.partition.into()),
                    ("replicas", js::array(r.replicas.iter().copied()).into()),
                    ("addingReplicas", js::array(r.adding_replicas.iter().copied()).into()),
                    ("removingReplicas", js::array(r.removing_replicas.iter().copied()).into()),
                ]);
                match by_topic.iter_mut().find(|(t, _)| *t == r.topic) {
                    Some((_, list)) => list.push(partition.into()),
                    None => by_topic.push((r.topic.clone(), vec![partition.into()])),
                }
            }
            // KafkaJS's own answer names the topic `name` (its types say `topic`): franz gives both.
            let topics = js::array(by_topic.into_iter().map(|(topic, partitions)| {
                let name = JsValue::from(topic);
                object([("topic", name.clone()), ("name", name), ("partitions", js::array(partitions).into())])
            }));
            Ok(object([("topics", topics.into())]).into())
        })
    }
}
