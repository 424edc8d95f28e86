//! The storage contract suite (the same steps `tests/storage_contract.rs` runs on the memory store) against
//! IndexedDB in headless Chrome, with both durability settings. Each case uses a database of its own.
#![cfg(target_arch = "wasm32")]

use franz::core::storage::contract::{contract_cases, Step};
use franz::web::idb::{Durability, IdbStorage};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn run_contract(durability: Durability) {
    for (n, case) in contract_cases().into_iter().enumerate() {
        let cluster = format!("contract-{durability:?}-{n}");
        IdbStorage::delete(&cluster).await.unwrap();
        let mut store = IdbStorage::open(&cluster, durability).await.unwrap();
        for (i, step) in case.steps.into_iter().enumerate() {
            let at = format!("{} (step {i}, {durability:?})", case.name);
            match step {
                Step::Apply(ops) => store.apply(&ops).await.unwrap_or_else(|e| panic!("{at}: {e:?}")),
                Step::ApplyFailingAt(ops, n) => {
                    store.fail_next_apply_at(n);
                    assert!(store.apply(&ops).await.is_err(), "{at}: the injected failure must surface");
                }
                Step::ExpectLoad { replica, from, max_bytes, expect } => {
                    assert_eq!(store.load_batches(&replica, from, max_bytes).await.unwrap(), expect, "{at}")
                }
                Step::ExpectLast { replica, expect } => {
                    assert_eq!(store.last_batch(&replica).await.unwrap(), expect, "{at}")
                }
                Step::ExpectMeta { key, expect } => assert_eq!(store.get_meta(&key).await.unwrap(), expect, "{at}"),
                Step::ExpectMetaPrefix { prefix, keys } => {
                    let got: Vec<String> =
                        store.meta_with_prefix(&prefix).await.unwrap().into_iter().map(|(k, _)| k).collect();
                    assert_eq!(got, keys, "{at}");
                }
                Step::Reopen => {
                    store.close();
                    store = IdbStorage::open(&cluster, durability).await.unwrap();
                }
            }
        }
        store.close();
        IdbStorage::delete(&cluster).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn indexeddb_passes_the_contract_relaxed() {
    run_contract(Durability::Relaxed).await;
}

#[wasm_bindgen_test]
async fn indexeddb_passes_the_contract_strict() {
    run_contract(Durability::Strict).await;
}

#[wasm_bindgen_test]
async fn an_aborted_write_reports_a_kafka_storage_error() {
    let store = IdbStorage::open("abort-error", Durability::Relaxed).await.unwrap();
    store.fail_next_apply_at(0);
    let ops = [franz::core::storage::StorageOp::PutMeta { key: "k".into(), value: "v".into() }];
    let failure = store.apply(&ops).await.unwrap_err();
    let err: franz::Error = failure.into();
    assert_eq!(err.name(), "KAFKA_STORAGE_ERROR");
    assert_eq!(store.get_meta("k").await.unwrap(), None);
    store.close();
    IdbStorage::delete("abort-error").await.unwrap();
}
