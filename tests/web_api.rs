//! The KafkaJS-shaped JS API, driven from JavaScript in headless Chrome as a user drives it. Rust only opens
//! the cluster; each scenario is plain JS that throws on the first failed check.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use franz::web::Partitioners;

#[path = "web/api.rs"]
mod api;
#[path = "web/clusters.rs"]
mod clusters;
use api::{api, ok};
use clusters::{open, remote};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/scenarios.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = roundTrip)]
    async fn round_trip(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = errorsAreKafkaShaped)]
    async fn errors_are_kafka_shaped(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = committedOffsetsResumeAGroup)]
    async fn committed_offsets_resume_a_group(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = eachBatchAndPause)]
    async fn each_batch_and_pause(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = adminOperations)]
    async fn admin_operations(kafka: JsValue, options: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = changeEventsAreThrottled)]
    async fn change_events_are_throttled(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = minBytesWaitsForEnough)]
    async fn min_bytes_waits_for_enough(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = maxBytesCapsAFetch)]
    async fn max_bytes_caps_a_fetch(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = deleteTopicRecords)]
    async fn delete_topic_records(kafka: JsValue, options: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = logsGoWhereAsked)]
    async fn logs_go_where_asked(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = compressedSends)]
    async fn compressed_sends(kafka: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = customPartitioners)]
    async fn custom_partitioners(kafka: JsValue, partitioners: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = networkEventsReportRequests)]
    async fn network_events_report_requests(kafka: JsValue, options: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = memoryLimitBoundsALogInMemory)]
    async fn memory_limit_bounds_a_log_in_memory(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/tests/web/host.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = silentHostTimesOut)]
    async fn silent_host_times_out(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = hostGoesAndComesBack)]
    async fn host_goes_and_comes_back(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = silentClientsAreDropped)]
    async fn silent_clients_are_dropped(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = producerBatchesAndPipelines)]
    async fn producer_batches_and_pipelines(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = framesRecycleTheirBuffers)]
    async fn frames_recycle_their_buffers(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn produce_and_consume_round_trip() {
    ok(round_trip(open("api-round-trip").await).await);
}

#[wasm_bindgen_test]
async fn errors_carry_name_type_code_and_retriable() {
    ok(errors_are_kafka_shaped(open("api-errors").await).await);
}

#[wasm_bindgen_test]
async fn a_group_resumes_from_its_committed_offsets() {
    ok(committed_offsets_resume_a_group(open("api-groups").await).await);
}

#[wasm_bindgen_test]
async fn each_batch_pause_and_resume() {
    ok(each_batch_and_pause(open("api-batches").await).await);
}

#[wasm_bindgen_test]
async fn admin_operations_and_change_events() {
    ok(admin_operations(open("api-admin").await, JsValue::UNDEFINED).await);
}

// The same scenarios through `Kafka.connect(port)`: a client whose cluster is served on a MessagePort.

#[wasm_bindgen_test]
async fn through_a_port_produce_and_consume_round_trip() {
    ok(round_trip(remote("port-round-trip").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_errors_carry_name_type_code_and_retriable() {
    ok(errors_are_kafka_shaped(remote("port-errors").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_a_group_resumes_from_its_committed_offsets() {
    ok(committed_offsets_resume_a_group(remote("port-groups").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_each_batch_pause_and_resume() {
    ok(each_batch_and_pause(remote("port-batches").await).await);
}

#[wasm_bindgen_test]
async fn a_consumer_with_min_bytes_waits_for_enough() {
    ok(min_bytes_waits_for_enough(open("api-min-bytes").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_a_consumer_with_min_bytes_waits_for_enough() {
    ok(min_bytes_waits_for_enough(remote("port-min-bytes").await).await);
}

#[wasm_bindgen_test]
async fn a_consumer_max_bytes_caps_each_fetch() {
    ok(max_bytes_caps_a_fetch(open("api-max-bytes").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_a_consumer_max_bytes_caps_each_fetch() {
    ok(max_bytes_caps_a_fetch(remote("port-max-bytes").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_admin_operations() {
    let options = js_sys::JSON::parse(r#"{"events":false}"#).unwrap();
    ok(admin_operations(remote("port-admin").await, options).await);
}

/// `Partitioners` as the package exports it: `{ DefaultPartitioner, JavaCompatiblePartitioner,
/// LegacyPartitioner }`, each the factory KafkaJS's `createPartitioner` takes.
fn partitioners() -> (JsValue, [Closure<dyn Fn() -> js_sys::Function>; 3]) {
    let factories = [
        Closure::<dyn Fn() -> js_sys::Function>::new(Partitioners::default_partitioner),
        Closure::new(Partitioners::java_compatible_partitioner),
        Closure::new(Partitioners::legacy_partitioner),
    ];
    let object = js_sys::Object::new();
    for (name, f) in ["DefaultPartitioner", "JavaCompatiblePartitioner", "LegacyPartitioner"].iter().zip(&factories) {
        js_sys::Reflect::set(&object, &(*name).into(), f.as_ref()).unwrap();
    }
    (object.into(), factories)
}

#[wasm_bindgen_test]
async fn custom_partitioners_place_messages_as_kafkajs_does() {
    let (partitioners, _alive) = partitioners();
    ok(custom_partitioners(open("api-partitioners").await, partitioners.clone()).await);
}

#[wasm_bindgen_test]
async fn through_a_port_custom_partitioners_place_messages_as_kafkajs_does() {
    let (partitioners, _alive) = partitioners();
    ok(custom_partitioners(remote("port-partitioners").await, partitioners.clone()).await);
}

#[wasm_bindgen_test]
async fn delete_topic_records_moves_the_log_start() {
    ok(delete_topic_records(open("api-delete-records").await, JsValue::UNDEFINED).await);
}

#[wasm_bindgen_test]
async fn through_a_port_delete_topic_records_moves_the_log_start() {
    let options = js_sys::JSON::parse(r#"{"events":false}"#).unwrap();
    ok(delete_topic_records(remote("port-delete-records").await, options).await);
}

#[wasm_bindgen_test]
async fn every_request_is_a_network_event() {
    let options = js_sys::Object::new();
    ok(network_events_report_requests(open("net-in-page").await, options.into()).await);
}

#[wasm_bindgen_test]
async fn through_a_port_every_request_is_a_network_event_and_a_silent_host_a_timeout() {
    let api = api(); // its closures live until the scenario ends
    js_sys::Reflect::set(&api.object, &"throughPort".into(), &true.into()).unwrap();
    ok(network_events_report_requests(remote("net-port").await, api.object.clone()).await);
}

#[wasm_bindgen_test]
async fn log_lines_go_to_the_apps_log_creator_within_the_log_level() {
    ok(logs_go_where_asked(&api().object).await);
}

#[wasm_bindgen_test]
async fn a_cluster_in_memory_refuses_writes_past_its_memory_limit() {
    ok(memory_limit_bounds_a_log_in_memory(&api().object).await);
}

#[wasm_bindgen_test]
async fn sends_and_topics_of_every_codec_read_back_as_any_others() {
    ok(compressed_sends(open("api-codecs").await).await);
}

#[wasm_bindgen_test]
async fn through_a_port_sends_of_every_codec_read_back_as_any_others() {
    ok(compressed_sends(remote("port-codecs").await).await);
}

#[wasm_bindgen_test]
async fn a_silent_host_times_out_instead_of_hanging() {
    ok(silent_host_times_out(&api().object).await);
}

#[wasm_bindgen_test]
async fn cluster_change_events_are_throttled_to_about_20_per_second() {
    ok(change_events_are_throttled(open("api-throttle").await).await);
}

#[wasm_bindgen_test]
async fn a_host_that_goes_fails_requests_retriably_and_clients_carry_on_with_a_new_one() {
    ok(host_goes_and_comes_back(&api().object).await);
}

#[wasm_bindgen_test]
async fn a_host_drops_silent_and_departed_clients() {
    ok(silent_clients_are_dropped(&api().object).await);
}

#[wasm_bindgen_test]
async fn the_producer_lingers_batches_and_bounds_requests_in_flight_resolving_in_order() {
    ok(producer_batches_and_pipelines(&api().object).await);
}

#[wasm_bindgen_test]
async fn produce_and_fetch_frames_recycle_their_buffers() {
    ok(frames_recycle_their_buffers(&api().object).await);
}
