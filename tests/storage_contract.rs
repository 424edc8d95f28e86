//! The storage contract suite against the memory store. `tests/web_storage.rs` runs the same suite against
//! IndexedDB in headless Chrome.

use franz::core::storage::contract::{contract_cases, Step};
use franz::core::storage::MemoryStorage;

#[test]
fn memory_storage_passes_the_contract() {
    for case in contract_cases() {
        let mut store = MemoryStorage::new();
        for (i, step) in case.steps.into_iter().enumerate() {
            let at = format!("{} (step {i})", case.name);
            match step {
                Step::Apply(ops) => store.apply(&ops).unwrap_or_else(|e| panic!("{at}: {e:?}")),
                Step::ApplyFailingAt(ops, n) => {
                    store.fail_next_apply_at(n);
                    assert!(store.apply(&ops).is_err(), "{at}: the injected failure must surface");
                }
                Step::ExpectLoad { replica, from, max_bytes, expect } => {
                    assert_eq!(store.load_batches(&replica, from, max_bytes), expect, "{at}")
                }
                Step::ExpectLast { replica, expect } => assert_eq!(store.last_batch(&replica), expect, "{at}"),
                Step::ExpectMeta { key, expect } => assert_eq!(store.get_meta(&key), expect, "{at}"),
                Step::ExpectMetaPrefix { prefix, keys } => {
                    let got: Vec<String> = store.meta_with_prefix(&prefix).into_iter().map(|(k, _)| k).collect();
                    assert_eq!(got, keys, "{at}");
                }
                Step::Reopen => store = store.clone(), // memory survives only as long as the tab; a no-op here
            }
        }
    }
}
