//! Kafka transactions through the JS API in headless Chrome: a transactional producer's records and offsets
//! count together or not at all, read_committed consumers see only what was committed, and a new producer with
//! the same transactionalId fences the old one; in the page and through a MessagePort.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/transactions.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = transactionsAreAllOrNothing)]
    async fn transactions_are_all_or_nothing(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn transactions_commit_or_abort_records_and_offsets_together_and_fence_zombies() {
    ok(transactions_are_all_or_nothing(&api().object).await);
}
