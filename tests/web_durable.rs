//! Durable clusters in IndexedDB, through the JS API in headless Chrome: reopen, lazy loading, corruption,
//! write failures, and single ownership. Every scenario uses a cluster (database) of its own.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/durable.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = survivesReopen)]
    async fn survives_reopen(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = reopeningIsLazy)]
    async fn reopening_is_lazy(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = corruptionIsTruncatedAndReported)]
    async fn corruption_is_truncated_and_reported(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = failedWritesLeaveNoTrace)]
    async fn failed_writes_leave_no_trace(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = theNextWriteGoesOutBeforeAnswers)]
    async fn the_next_write_goes_out_before_answers(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = oneOwnerAtATime)]
    async fn one_owner_at_a_time(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = retentionAndTimeLookupsReachStorage)]
    async fn retention_and_time_lookups_reach_storage(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = deletedRecordsLeaveStorage)]
    async fn deleted_records_leave_storage(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = withoutIndexedDB)]
    async fn without_indexed_db(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn produce_close_reopen_consume() {
    let api = api();
    ok(survives_reopen(&api.object).await);
}

#[wasm_bindgen_test]
async fn reopening_reads_only_each_tail_until_a_fetch_asks() {
    let api = api();
    ok(reopening_is_lazy(&api.object).await);
}

#[wasm_bindgen_test]
async fn corrupt_batches_are_truncated_and_reported() {
    let api = api();
    ok(corruption_is_truncated_and_reported(&api.object).await);
}

#[wasm_bindgen_test]
async fn quota_and_abort_failures_leave_the_previous_state() {
    let api = api();
    ok(failed_writes_leave_no_trace(&api.object).await);
}

#[wasm_bindgen_test]
async fn storage_never_waits_for_answers() {
    let api = api();
    ok(the_next_write_goes_out_before_answers(&api.object).await);
}

#[wasm_bindgen_test]
async fn two_owners_are_refused() {
    let api = api();
    ok(one_owner_at_a_time(&api.object).await);
}

#[wasm_bindgen_test]
async fn retention_and_timestamp_lookups_work_on_lazily_loaded_logs() {
    let api = api();
    ok(retention_and_time_lookups_reach_storage(&api.object).await);
}

#[wasm_bindgen_test]
async fn without_indexeddb_auto_falls_back_and_indexeddb_fails_clearly() {
    let api = api();
    ok(without_indexed_db(&api.object).await);
}

#[wasm_bindgen_test]
async fn deleted_records_stay_deleted_and_leave_storage() {
    let api = api();
    ok(deleted_records_leave_storage(&api.object).await);
}
