//! Errors as JavaScript errors, shaped like KafkaJS's: `name`, `type` (Kafka's error name), `code` and
//! `retriable`, so code written against KafkaJS's errors reads them the same way.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::Error;

fn with_fields(js: js_sys::Error, name: &str, kind: &str, code: i16, retriable: bool) -> JsValue {
    js.set_name(name);
    for (key, value) in [("type", kind.into()), ("code", code.into()), ("retriable", retriable.into())] {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&js, &JsValue::from_str(key), &value);
    }
    js.unchecked_into()
}

/// A broker error. KafkaJS names every one `KafkaJSProtocolError`; franz does the same.
pub fn to_js(err: &Error) -> JsValue {
    with_fields(js_sys::Error::new(&err.to_string()), "KafkaJSProtocolError", err.name(), err.code(), err.retriable())
}

/// A caller passed the wrong type: a JS `TypeError`, carrying Kafka's name for a malformed request.
pub fn type_error(message: &str) -> JsValue {
    let request = Error::InvalidRequest(String::new());
    let js: js_sys::Error = js_sys::TypeError::new(&format!("franz: {message}")).unchecked_into();
    with_fields(js, "TypeError", request.name(), request.code(), false)
}

/// A client used out of order (send before connect): KafkaJS's non-retriable client error.
pub fn client_error(kind: &str, message: &str) -> JsValue {
    with_fields(js_sys::Error::new(message), "KafkaJSNonRetriableError", kind, -1, false)
}

/// KafkaJS's `KafkaJSNumberOfRetriesExceeded`: `cause` kept failing after `retry_count` retries. It carries the
/// cause's message, and the cause itself as `cause`.
pub fn retries_exceeded(cause: &JsValue, retry_count: u32) -> JsValue {
    let message = cause
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| cause.as_string())
        .unwrap_or_else(|| js_sys::JSON::stringify(cause).map(String::from).unwrap_or_default());
    let js = client_error("NUMBER_OF_RETRIES_EXCEEDED", &message);
    js.unchecked_ref::<js_sys::Error>().set_name("KafkaJSNumberOfRetriesExceeded");
    for (key, value) in [("cause", cause.clone()), ("retryCount", retry_count.into())] {
        let _ = Reflect::set(&js, &JsValue::from_str(key), &value);
    }
    js
}
