//! Errors as JavaScript errors: instances of KafkaJS's classes (`js/pack.js` defines them, the package exports
//! them), with KafkaJS's `name` and `retriable`, and Kafka's `type` (the error's name) and `code`, so code written
//! against KafkaJS's errors reads them the same way.

use js_sys::Reflect;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::js::object;
use crate::core::error::Error;

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    #[wasm_bindgen(js_name = brokerError)]
    fn broker_error(class: &str, message: &str, kind: &str, code: i16, retriable: bool) -> JsValue;
    /// A client used out of order (send before connect): KafkaJS's `KafkaJSNonRetriableError`, with franz's
    /// `kind` for what went wrong.
    #[wasm_bindgen(js_name = clientError)]
    pub fn client_error(kind: &str, message: &str) -> JsValue;
    /// KafkaJS's `KafkaJSNumberOfRetriesExceeded`: `cause` kept failing after `retry_count` retries, the last
    /// `retry_time` ms apart. It carries the cause's message, and the cause itself as `cause`.
    #[wasm_bindgen(js_name = retriesExceeded)]
    pub fn retries_exceeded(cause: &JsValue, retry_count: u32, retry_time: u32) -> JsValue;
    #[wasm_bindgen(js_name = topicCreationErrors)]
    fn topic_creation_errors(failures: js_sys::Array) -> JsValue;
    #[wasm_bindgen(js_name = reassignmentErrors)]
    fn reassignment_errors(failures: js_sys::Array) -> JsValue;
    #[wasm_bindgen(js_name = deleteGroupsError)]
    fn delete_groups_error(groups: js_sys::Array) -> JsValue;
    #[wasm_bindgen(js_name = deleteRecordsError)]
    fn delete_records_error(topic: &str, partitions: js_sys::Array) -> JsValue;
}

/// A broker error: KafkaJS's `KafkaJSProtocolError` (`KafkaJSOffsetOutOfRange` for OFFSET_OUT_OF_RANGE), or its
/// `KafkaJSSASLAuthenticationError` for a refused login.
pub fn to_js(err: &Error) -> JsValue {
    let class = match err {
        _ if err.is_authentication() => "KafkaJSSASLAuthenticationError",
        Error::OffsetOutOfRange(_) => "KafkaJSOffsetOutOfRange",
        _ => "KafkaJSProtocolError",
    };
    broker_error(class, &err.to_string(), err.name(), err.code(), err.retriable())
}

/// A caller passed the wrong type: a JS `TypeError`, carrying Kafka's name for a malformed request.
pub fn type_error(message: &str) -> JsValue {
    let request = Error::InvalidRequest(String::new());
    let js = js_sys::TypeError::new(&format!("franz: {message}"));
    for (key, value) in [("type", request.name().into()), ("code", request.code().into()), ("retriable", false.into())]
    {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&js, &JsValue::from_str(key), &value);
    }
    js.unchecked_into()
}

/// createTopics' failures, as KafkaJS reports them: a `KafkaJSAggregateError` of one `KafkaJSCreateTopicError`
/// per topic. The first gives the whole its `type`, `code` and `retriable`.
pub fn topics_not_created(failures: &[(&str, &Error)]) -> JsValue {
    let entry = |(topic, e): &(&str, &Error)| object([("topic", (*topic).into()), ("error", to_js(e))]);
    topic_creation_errors(failures.iter().map(entry).collect())
}

/// alterPartitionReassignments' failures, as KafkaJS reports them: a `KafkaJSAggregateError` of one
/// `KafkaJSAlterPartitionReassignmentsError` per partition (with its `topic` and `partition`).
pub fn partitions_not_reassigned(failures: &[(&str, i32, &Error)]) -> JsValue {
    let entry = |(topic, partition, e): &(&str, i32, &Error)| {
        object([("topic", (*topic).into()), ("partition", (*partition).into()), ("error", to_js(e))])
    };
    reassignment_errors(failures.iter().map(entry).collect())
}

/// deleteGroups' failures, as KafkaJS reports them: a `KafkaJSDeleteGroupsError` whose `groups` are
/// `{ groupId, errorCode, error }`.
pub fn groups_not_deleted(failures: &[(&str, &Error)]) -> JsValue {
    let entry = |(group, e): &(&str, &Error)| {
        object([("groupId", (*group).into()), ("errorCode", e.code().into()), ("error", to_js(e))])
    };
    delete_groups_error(failures.iter().map(entry).collect())
}

/// deleteTopicRecords' failures, as KafkaJS reports them: a `KafkaJSDeleteTopicRecordsError` whose `partitions`
/// are `{ partition, offset, error }`.
pub fn records_not_deleted(topic: &str, failures: &[(u32, i64, &Error)]) -> JsValue {
    let entry = |(partition, offset, e): &(u32, i64, &Error)| {
        object([("partition", (*partition).into()), ("offset", super::js::offset(*offset)), ("error", to_js(e))])
    };
    delete_records_error(topic, failures.iter().map(entry).collect())
}
