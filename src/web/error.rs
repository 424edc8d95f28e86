//! Core errors as JavaScript errors, shaped like KafkaJS's: `name`, `type` (Kafka's error name), `code` and
//! `retriable`, so code written against KafkaJS's errors reads them the same way.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::Error;

/// KafkaJS names every broker error `KafkaJSProtocolError`; franz does the same.
const ERROR_NAME: &str = "KafkaJSProtocolError";

pub fn to_js(err: &Error) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    js.set_name(ERROR_NAME);
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&js, &JsValue::from_str(key), &value);
    };
    set("type", err.name().into());
    set("code", err.code().into());
    set("retriable", err.retriable().into());
    js.unchecked_into()
}
