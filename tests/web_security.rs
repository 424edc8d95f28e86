//! ACLs and SASL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER unsecured and signed) through the JS API in headless
//! Chrome: a cluster opened with users and an authorizer lets each principal do only what its ACLs allow, in the
//! page and through MessagePorts, and keeps its ACLs across a reopen; sessions end after
//! `connections.max.reauth.ms` and clients renew them.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[path = "web/api.rs"]
mod api;
use api::{api, ok};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web/security.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = aclsGuardTheCluster)]
    async fn acls_guard_the_cluster(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = scramLogsUsersIn)]
    async fn scram_logs_users_in(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = oauthBearerLogsTokensIn)]
    async fn oauth_bearer_logs_tokens_in(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = signedTokensLogIn)]
    async fn signed_tokens_log_in(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = scramCredentialsAreStored)]
    async fn scram_credentials_are_stored(api: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = sessionsEndAndClientsRenewThem)]
    async fn sessions_end_and_clients_renew_them(api: &JsValue) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen_test]
async fn acls_allow_each_principal_what_they_grant_in_the_page_and_through_ports() {
    ok(acls_guard_the_cluster(&api().object).await);
}

#[wasm_bindgen_test]
async fn scram_logs_users_in_and_a_raw_connection_is_answered_step_by_step_and_partition_by_partition() {
    // Raw Produce envelopes carry RecordBatch bytes.
    let build = Closure::<dyn Fn(JsValue) -> Result<js_sys::Uint8Array, JsValue>>::new(|records: JsValue| {
        franz::web::record_batch(&records, None)
    });
    let api = api();
    js_sys::Reflect::set(&api.object, &"recordBatch".into(), build.as_ref()).unwrap();
    ok(scram_logs_users_in(&api.object).await);
}

#[wasm_bindgen_test]
async fn oauthbearer_logs_a_valid_token_in_and_refuses_others_with_rfc_7628_errors() {
    ok(oauth_bearer_logs_tokens_in(&api().object).await);
}

#[wasm_bindgen_test]
async fn oauthbearer_with_an_identity_providers_keys_logs_signed_tokens_in_and_refuses_forged_ones() {
    ok(signed_tokens_log_in(&api().object).await);
}

#[wasm_bindgen_test]
async fn stored_scram_credentials_log_users_in_are_kept_with_the_cluster_and_bad_ones_are_refused() {
    ok(scram_credentials_are_stored(&api().object).await);
}

#[wasm_bindgen_test]
async fn sessions_end_after_connections_max_reauth_ms_and_connected_clients_renew_them_in_time() {
    ok(sessions_end_and_clients_renew_them(&api().object).await);
}
