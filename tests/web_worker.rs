//! The broker and its clients inside a dedicated worker, where franz normally runs: no window, no document. The
//! same JS scenarios as the page tests: the API, a cluster that survives a reopen from IndexedDB, a failed write,
//! and a host with a client through a port that loses its host and carries on with a new one.
#![cfg(target_arch = "wasm32")]

use franz::web::Kafka;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen(module = "/tests/web/scenarios.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = roundTrip)]
    async fn round_trip(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = survivesReopen)]
    async fn survives_reopen(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = failedWritesLeaveNoTrace)]
    async fn failed_writes_leave_no_trace(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = hostGoesAndComesBack)]
    async fn host_goes_and_comes_back(api: &JsValue) -> Result<JsValue, JsValue>;
}

type Open = Closure<dyn Fn(JsValue) -> js_sys::Promise>;
type Connect = Closure<dyn Fn(web_sys::MessagePort, JsValue) -> js_sys::Promise>;
type Delete = Closure<dyn Fn(String) -> js_sys::Promise>;

/// `{ open, connect, deleteCluster }`, and the closures behind it, which must outlive the scenario.
fn api() -> (JsValue, (Open, Connect, Delete)) {
    let open = Open::new(Kafka::open);
    let connect = Connect::new(|p, o| Kafka::connect(p, Some(o)));
    let delete = Delete::new(Kafka::delete_cluster);
    let api = js_sys::Object::new();
    js_sys::Reflect::set(&api, &"open".into(), open.as_ref()).unwrap();
    js_sys::Reflect::set(&api, &"connect".into(), connect.as_ref()).unwrap();
    js_sys::Reflect::set(&api, &"deleteCluster".into(), delete.as_ref()).unwrap();
    (api.into(), (open, connect, delete))
}

fn ok(result: Result<JsValue, JsValue>) {
    if let Err(e) = result {
        panic!("{}", js_sys::Error::from(e).message());
    }
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
async fn a_cluster_in_a_worker_survives_a_reopen_from_indexeddb() {
    let (api, _keep) = api();
    ok(survives_reopen(&api).await);
}

#[wasm_bindgen_test]
async fn a_failed_write_in_a_worker_leaves_no_trace() {
    let (api, _keep) = api();
    ok(failed_writes_leave_no_trace(&api).await);
}

#[wasm_bindgen_test]
async fn a_host_in_a_worker_loses_and_regains_its_client() {
    let (api, _keep) = api();
    ok(host_goes_and_comes_back(&api).await);
}
