//! Consumer groups through the JS API in headless Chrome: members splitting and handing over partitions (in
//! the page and through a port), a custom partition assigner running the group (both ways too), partitions
//! handled concurrently, consumers without a group, and members named after their client's clientId. Driven from JavaScript, as a user writes it.
#![cfg(target_arch = "wasm32")]

use franz::web::AssignerProtocol;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
#[path = "web/clusters.rs"]
mod clusters;
use api::{api, ok};
use clusters::{open, remote};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/groups.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = aGroupSplitsPartitions)]
    async fn a_group_splits_partitions(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = partitionsConsumedConcurrently)]
    async fn partitions_consumed_concurrently(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = standaloneConsumersBroadcast)]
    async fn standalone_consumers_broadcast(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = clientIdsNameGroupMembers)]
    async fn client_ids_name_group_members(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = aCustomAssignerRunsTheGroup)]
    async fn a_custom_assigner_runs_the_group(kafka: JsValue, protocol: JsValue) -> Result<JsValue, JsValue>;
}

/// franz's `AssignerProtocol`, as a JS user imports it.
fn assigner_protocol() -> JsValue {
    let protocol = js_sys::Object::new();
    let set = |key: &str, codec: JsValue| js_sys::Reflect::set(&protocol, &key.into(), &codec).unwrap();
    set("MemberMetadata", AssignerProtocol::member_metadata());
    set("MemberAssignment", AssignerProtocol::member_assignment());
    protocol.into()
}

#[wasm_bindgen_test]
async fn consumers_in_a_group_split_the_partitions_and_hand_them_over() {
    ok(a_group_splits_partitions(open("api-group-split").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_consumers_in_a_group_split_the_partitions() {
    ok(a_group_splits_partitions(remote("port-group-split").await).await);
}

#[wasm_bindgen_test]
async fn partitions_are_consumed_concurrently_when_asked_each_in_order() {
    ok(partitions_consumed_concurrently(open("api-concurrent").await).await);
}

#[wasm_bindgen_test]
async fn consumers_without_a_group_each_read_everything() {
    ok(standalone_consumers_broadcast(open("api-standalone").await).await);
}

#[wasm_bindgen_test]
async fn a_custom_assigner_runs_the_group_in_the_page() {
    ok(a_custom_assigner_runs_the_group(open("api-custom-assigner").await, assigner_protocol()).await);
}

#[wasm_bindgen_test]
async fn through_a_port_a_custom_assigner_runs_the_group() {
    ok(a_custom_assigner_runs_the_group(remote("port-custom-assigner").await, assigner_protocol()).await);
}

#[wasm_bindgen_test]
async fn group_members_report_the_client_id_of_the_kafka_that_made_them() {
    ok(client_ids_name_group_members(&api().object).await);
}
