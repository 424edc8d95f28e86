//! Replication through the JS API in headless Chrome: a leader killed during acks=all production with nothing
//! acknowledged lost after failover and a reload, min.insync.replicas, and a network split healed.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/replication.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = failoverLosesNothingAcknowledged)]
    async fn failover_loses_nothing_acknowledged(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = acksAllNeedsMinInsyncReplicas)]
    async fn acks_all_needs_min_insync_replicas(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = aLongDeadFollowerCatchesUpFromStorage)]
    async fn a_long_dead_follower_catches_up_from_storage(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = anUncleanElectionIsReported)]
    async fn an_unclean_election_is_reported(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = aGroupRidesThroughItsCoordinatorsFailover)]
    async fn a_group_rides_through_its_coordinators_failover(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = deletedRecordsThroughASplit)]
    async fn deleted_records_through_a_split(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = partitionsMoveBetweenBrokers)]
    async fn partitions_move_between_brokers(api: &JsValue, through_port: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = aCutOffLeaderIsReplaced)]
    async fn a_cut_off_leader_is_replaced(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn a_leader_killed_during_acks_all_production_loses_nothing_acknowledged() {
    let api = api();
    ok(failover_loses_nothing_acknowledged(&api.object).await);
}

#[wasm_bindgen_test]
async fn acks_all_with_too_small_an_isr_is_refused_and_bad_faults_get_clear_errors() {
    let api = api();
    ok(acks_all_needs_min_insync_replicas(&api.object).await);
}

#[wasm_bindgen_test]
async fn a_cut_off_leader_is_replaced_and_returns() {
    let api = api();
    ok(a_cut_off_leader_is_replaced(&api.object).await);
}

#[wasm_bindgen_test]
async fn a_follower_down_longer_than_the_leaders_memory_catches_up_from_indexeddb() {
    let api = api();
    ok(a_long_dead_follower_catches_up_from_storage(&api.object).await);
}

#[wasm_bindgen_test]
async fn an_unclean_election_leads_with_an_out_of_sync_replica_and_reports_the_loss() {
    let api = api();
    ok(an_unclean_election_is_reported(&api.object).await);
}

#[wasm_bindgen_test]
async fn a_consumer_group_rides_through_its_coordinators_failover() {
    let api = api();
    ok(a_group_rides_through_its_coordinators_failover(&api.object).await);
}

#[wasm_bindgen_test]
async fn deleted_records_are_answered_as_kafka_answers_and_stay_deleted_through_a_split() {
    let api = api();
    ok(deleted_records_through_a_split(&api.object).await);
}

#[wasm_bindgen_test]
async fn a_partition_moves_to_other_brokers_while_it_serves_and_stays_there_after_a_reload() {
    let api = api();
    ok(partitions_move_between_brokers(&api.object, false).await);
}

#[wasm_bindgen_test]
async fn through_a_port_a_partition_moves_to_other_brokers() {
    let api = api();
    ok(partitions_move_between_brokers(&api.object, true).await);
}
