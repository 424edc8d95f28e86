//! What a consumer does around its handlers, as KafkaJS does it: a failing handler retried, then the consumer
//! restarted or crashed; eachBatch resolving offsets by hand; a seek making fetched records stale; pause()
//! returning its resume. And the instrumentation events of every client. Driven from JavaScript in headless
//! Chrome, as a user writes it; each scenario runs in the page and, where it matters, through a port.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[allow(dead_code)] // only `ok` is needed here
#[path = "web/api.rs"]
mod api;
#[path = "web/clusters.rs"]
mod clusters;
use api::ok;
use clusters::{open, remote};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/handlers.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = failingHandlersAreRetried)]
    async fn failing_handlers_are_retried(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = eachBatchResolvesByHand)]
    async fn each_batch_resolves_by_hand(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = seekMakesFetchedRecordsStale)]
    async fn seek_makes_fetched_records_stale(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = pauseReturnsItsResume)]
    async fn pause_returns_its_resume(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = heartbeatKeepsALongHandlerInItsGroup)]
    async fn heartbeat_keeps_a_long_handler_in_its_group(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = instrumentationEvents)]
    async fn instrumentation_events(kafka: JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn a_failing_handler_is_retried_then_the_consumer_restarts_or_crashes() {
    ok(failing_handlers_are_retried(open("api-handler-failures").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_a_failing_handler_is_retried() {
    ok(failing_handlers_are_retried(remote("port-handler-failures").await).await);
}

#[wasm_bindgen_test]
async fn a_handler_that_runs_long_keeps_its_partitions_by_calling_heartbeat() {
    ok(heartbeat_keeps_a_long_handler_in_its_group(open("api-heartbeat").await).await);
}

#[wasm_bindgen_test]
async fn each_batch_resolves_offsets_by_hand() {
    ok(each_batch_resolves_by_hand(open("api-resolve").await).await);
}

#[wasm_bindgen_test]
async fn a_seek_makes_what_was_fetched_stale() {
    ok(seek_makes_fetched_records_stale(open("api-seek").await).await);
}

#[wasm_bindgen_test]
async fn a_payloads_pause_returns_its_resume() {
    ok(pause_returns_its_resume(open("api-pause-resume").await).await);
}

#[wasm_bindgen_test]
async fn clients_emit_kafkajs_instrumentation_events_and_refuse_unknown_names() {
    ok(instrumentation_events(open("api-events").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_clients_emit_instrumentation_events() {
    ok(instrumentation_events(remote("port-events").await).await);
}
