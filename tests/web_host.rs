//! A cluster serving the broker protocol on a MessagePort, driven with raw envelopes from JavaScript in headless
//! Chrome: transfer of batches, long poll, out-of-order answers, and bad input that never stops the host; and
//! topics the broker creates when a producer names them (auto.create.topics.enable).
#![cfg(target_arch = "wasm32")]

use franz::web::Kafka;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "web/api.rs"]
mod api;
use api::ok;

#[wasm_bindgen(module = "/tests/web/host.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = hostServesEnvelopes)]
    async fn host_serves_envelopes(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = brokersCreateTopicsProducersName)]
    async fn brokers_create_topics_producers_name(api: &JsValue) -> Result<JsValue, JsValue>;
}

type Open = Closure<dyn Fn(JsValue) -> Promise>;
type Build = Closure<dyn Fn(JsValue) -> Result<Uint8Array, JsValue>>;
type Read = Closure<dyn Fn(Vec<u8>) -> Result<JsValue, JsValue>>;

#[wasm_bindgen_test]
async fn a_cluster_serves_envelopes_on_a_message_port() {
    let open = Open::new(Kafka::open);
    let build = Build::new(|m: JsValue| franz::web::record_batch(&m, None));
    let read = Read::new(|b: Vec<u8>| franz::web::read_record_batches(&b));
    let api = js_sys::Object::new();
    js_sys::Reflect::set(&api, &"open".into(), open.as_ref()).unwrap();
    js_sys::Reflect::set(&api, &"recordBatch".into(), build.as_ref()).unwrap();
    js_sys::Reflect::set(&api, &"readRecordBatches".into(), read.as_ref()).unwrap();
    ok(host_serves_envelopes(&api.into()).await);
}

#[wasm_bindgen_test]
async fn the_broker_creates_a_topic_a_producer_names_where_both_allow_it_in_the_page_and_through_a_port() {
    ok(brokers_create_topics_producers_name(&api::api().object).await);
}
