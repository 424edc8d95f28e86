//! IndexedDB inside a dedicated worker, where franz normally runs: the same JS scenarios as the page tests, a
//! cluster that survives a reopen and a failed write that leaves no trace.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen(module = "/tests/web/durable.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = survivesReopen)]
    async fn survives_reopen(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = failedWritesLeaveNoTrace)]
    async fn failed_writes_leave_no_trace(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn a_cluster_in_a_worker_survives_a_reopen_from_indexeddb() {
    ok(survives_reopen(&api().object).await);
}

#[wasm_bindgen_test]
async fn a_failed_write_in_a_worker_leaves_no_trace() {
    ok(failed_writes_leave_no_trace(&api().object).await);
}
