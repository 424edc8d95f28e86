//! The broker and its clients inside a dedicated worker, where franz normally runs: no window, no document. The
//! same JS scenarios as the page tests: the API, and a host with a client through a port that loses its host and
//! carries on with a new one. IndexedDB in a worker is `web_worker_durable`.
#![cfg(target_arch = "wasm32")]

use franz::web::Kafka;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen(module = "/tests/web/scenarios.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = roundTrip)]
    async fn round_trip(kafka: JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/tests/web/host.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = hostGoesAndComesBack)]
    async fn host_goes_and_comes_back(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
fn this_is_a_dedicated_worker() {
    assert!(js_sys::global().has_type::<web_sys::DedicatedWorkerGlobalScope>());
}

#[wasm_bindgen_test]
async fn produce_and_consume_in_a_worker() {
    let config = js_sys::JSON::parse(r#"{"cluster":"worker-round-trip","brokers":3,"storage":"memory"}"#).unwrap();
    ok(round_trip(JsFuture::from(Kafka::open(config)).await.expect("Kafka.open")).await);
}

#[wasm_bindgen_test]
async fn a_host_in_a_worker_loses_and_regains_its_client() {
    ok(host_goes_and_comes_back(&api().object).await);
}
