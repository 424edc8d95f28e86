//! The Confluent CLI through its JS entry point in headless Chrome: the lecture's sequence on IndexedDB, a
//! reload, and the same API keys as KafkaJS SASL credentials.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/cli.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = theLecturesSequence)]
    async fn the_lectures_sequence(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn the_lectures_cli_sequence_through_the_js_api() {
    let api = api();
    ok(the_lectures_sequence(&api.object).await);
}
