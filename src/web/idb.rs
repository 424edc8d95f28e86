//! The storage contract on IndexedDB.
//!
//! One database per cluster (`franz/<cluster>`) with two object stores: `batches`, one ArrayBuffer per
//! RecordBatch keyed `[broker, topic, partition, baseOffset]`, and `meta`, small values keyed by string.
//! A write is one readwrite transaction: every request is issued synchronously, then only the transaction's
//! `complete` is awaited, so the transaction cannot auto-commit early, and an error anywhere aborts all of it.
//! A write commits explicitly once its requests are issued.
//!
//! Built on web-sys rather than rexie: rexie 0.6 (and idb 0.6 beneath it) cannot set a transaction's
//! `durability`, which the `strict` option needs. Requests are awaited by handing a Promise's own
//! resolve/reject to `onsuccess`/`onerror`, so no Rust closure is created per request.

use bytes::Bytes;
use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    DomException, IdbCursor, IdbCursorDirection, IdbCursorWithValue, IdbDatabase, IdbFactory, IdbKeyRange,
    IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction,
};

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase`, seen through the one method web-sys offers only behind its unstable-API flag.
    type DatabaseWithOptions;

    /// `IDBDatabase.transaction(stores, mode, { durability })`.
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_durability(
        this: &DatabaseWithOptions,
        stores: &JsValue,
        mode: &str,
        options: &JsValue,
    ) -> Result<IdbTransaction, JsValue>;
}

use crate::core::storage::{ReplicaKey, StorageFailure, StorageOp};

const BATCHES: &str = "batches";
const META: &str = "meta";
const SCHEMA_VERSION: u32 = 1;
/// How many batches one `getAll` asks for while loading up to a byte budget.
const LOAD_CHUNK: u32 = 16;

/// How hard a write's `complete` promises durability (IndexedDB's transaction durability hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `complete` once the write is handed to the OS: survives a tab crash, maybe not a power cut. Kafka's own
    /// default is the same (acks are sent before fsync; replication, not fsync, is what protects data).
    #[default]
    Relaxed,
    /// `complete` only once the data is flushed to disk: like `log.flush.interval.messages=1`, slower.
    Strict,
}

/// A cluster's IndexedDB database.
#[derive(Debug, Clone)]
pub struct IdbStorage {
    db: IdbDatabase,
    name: String,
    /// A fault to inject in tests: the next apply aborts after issuing this many ops.
    fail_at: std::rc::Rc<std::cell::Cell<Option<usize>>>,
    /// Every transaction's store names and `{ durability }`, made once.
    scope: JsValue,
    options: JsValue,
}

fn failure(err: JsValue) -> StorageFailure {
    let (name, message) = match err.dyn_ref::<DomException>() {
        Some(e) => (e.name(), e.message()),
        None => (String::new(), format!("{err:?}")),
    };
    match name.as_str() {
        "QuotaExceededError" => StorageFailure::QuotaExceeded(message),
        "AbortError" => StorageFailure::Aborted(message),
        _ if name.is_empty() => StorageFailure::Unavailable(message),
        _ => StorageFailure::Unavailable(format!("{name}: {message}")),
    }
}

/// Resolves when `request` succeeds, with its result; fails with its error.
async fn request(request: &IdbRequest) -> Result<JsValue, StorageFailure> {
    let done = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    match super::signal::settled(&done).await {
        Ok(_) => request.result().map_err(failure),
        Err(_) => Err(request
            .error()
            .ok()
            .flatten()
            .map_or_else(|| StorageFailure::Aborted("the request failed".into()), |e| failure(e.into()))),
    }
}

/// Resolves when `tx` commits; fails when it aborts, with the error that aborted it.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageFailure> {
    let done = Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onabort(Some(&reject));
    });
    super::signal::settled(&done).await.map(drop).map_err(|_| match tx.error() {
        Some(e) => failure(e.into()),
        None => StorageFailure::Aborted("the transaction was aborted".into()),
    })
}

fn factory() -> Result<IdbFactory, StorageFailure> {
    let value = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .map_err(|_| StorageFailure::Unavailable("indexedDB cannot be read here".into()))?;
    value
        .dyn_into::<IdbFactory>()
        .map_err(|_| StorageFailure::Unavailable("this browser context has no IndexedDB (private mode?)".into()))
}

fn batch_key(replica: &ReplicaKey, base_offset: f64) -> JsValue {
    Array::of4(
        &replica.broker.into(),
        &JsValue::from_str(&replica.topic),
        &replica.partition.into(),
        &JsValue::from_f64(base_offset),
    )
    .into()
}

/// IndexedDB keys are doubles: the contract's i64 bounds map to ±infinity.
fn offset_bound(offset: i64) -> f64 {
    match offset {
        i64::MIN => f64::NEG_INFINITY,
        i64::MAX => f64::INFINITY,
        o => o as f64,
    }
}

fn batch_range(replica: &ReplicaKey, from: f64, to: f64, to_open: bool) -> Result<IdbKeyRange, StorageFailure> {
    IdbKeyRange::bound_with_lower_open_and_upper_open(
        &batch_key(replica, from),
        &batch_key(replica, to),
        false,
        to_open,
    )
    .map_err(failure)
}

/// The base offset in a `[broker, topic, partition, baseOffset]` key.
fn base_offset_of(key: &JsValue) -> i64 {
    Array::from(key).get(3).as_f64().map_or(i64::MIN, |f| f as i64)
}

fn to_bytes(value: &JsValue) -> Bytes {
    Bytes::from(Uint8Array::new(value).to_vec())
}

#[wasm_bindgen(module = "/src/web/js/pack.js")]
extern "C" {
    #[wasm_bindgen(js_name = stagedForPut)]
    fn staged_for_put(memory: &JsValue, start: usize, length: usize) -> JsValue;
}

/// Bytes ready to be put: in a buffer reused for every put, as a put clones its value at once.
fn staged(bytes: &[u8]) -> JsValue {
    staged_for_put(&super::js::memory(), bytes.as_ptr() as usize, bytes.len())
}

impl IdbStorage {
    /// Opens (creating if needed) the database of `cluster`.
    pub async fn open(cluster: &str, durability: Durability) -> Result<IdbStorage, StorageFailure> {
        let name = format!("franz/{cluster}");
        let open: IdbOpenDbRequest = factory()?.open_with_u32(&name, SCHEMA_VERSION).map_err(failure)?;
        // The schema is created in `upgradeneeded`, which fires before `success` on first open.
        let upgrade = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new({
            let open = open.clone();
            move |_| {
                if let Ok(db) = open.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                    for store in [BATCHES, META] {
                        if !db.object_store_names().contains(store) {
                            let _ = db.create_object_store(store);
                        }
                    }
                }
            }
        });
        open.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let result = request(&open).await;
        open.set_onupgradeneeded(None);
        let db: IdbDatabase = result?.dyn_into().map_err(failure)?;
        let scope = Array::of2(&BATCHES.into(), &META.into()).into();
        let options = js_sys::Object::new();
        let level = match durability {
            Durability::Relaxed => "relaxed",
            Durability::Strict => "strict",
        };
        js_sys::Reflect::set(&options, &"durability".into(), &level.into()).map_err(failure)?;
        Ok(IdbStorage { db, name, fail_at: Default::default(), scope, options: options.into() })
    }

    /// Deletes a cluster's database (every batch and all metadata).
    pub async fn delete(cluster: &str) -> Result<(), StorageFailure> {
        let req = factory()?.delete_database(&format!("franz/{cluster}")).map_err(failure)?;
        request(&req).await.map(drop)
    }

    pub fn close(&self) {
        self.db.close();
    }

    pub fn database_name(&self) -> &str {
        &self.name
    }

    /// Makes the next apply abort after issuing `n` ops: a real IndexedDB rollback, as a full quota causes.
    pub fn fail_next_apply_at(&self, n: usize) {
        self.fail_at.set(Some(n));
    }

    /// A transaction over both stores; `mode` is `"readonly"` or `"readwrite"`.
    fn transaction(&self, mode: &str) -> Result<(IdbTransaction, IdbObjectStore, IdbObjectStore), StorageFailure> {
        let db: &DatabaseWithOptions = self.db.unchecked_ref();
        let tx = db.transaction_with_durability(&self.scope, mode, &self.options).map_err(failure)?;
        let batches = tx.object_store(BATCHES).map_err(failure)?;
        let meta = tx.object_store(META).map_err(failure)?;
        Ok((tx, batches, meta))
    }

    /// Applies `ops` in one readwrite transaction: all of them, or none.
    pub async fn apply(&self, ops: &[StorageOp]) -> Result<(), StorageFailure> {
        let (tx, batches, meta) = self.transaction("readwrite")?;
        let fail_at = self.fail_at.take();
        for (i, op) in ops.iter().enumerate() {
            if fail_at == Some(i) {
                let _ = tx.abort();
                return committed(&tx).await;
            }
            let issued = match op {
                StorageOp::PutBatch { replica, base_offset, bytes } => {
                    batches.put_with_key(&staged(bytes), &batch_key(replica, *base_offset as f64)).map_err(failure)
                }
                StorageOp::DeleteBatches { replica, from, to } => {
                    batch_range(replica, offset_bound(*from), offset_bound(*to), true)
                        .and_then(|range| batches.delete(&range).map_err(failure))
                }
                StorageOp::PutMeta { key, value } => {
                    meta.put_with_key(&staged(value), &JsValue::from_str(key)).map_err(failure)
                }
                StorageOp::DeleteMeta { key } => meta.delete(&JsValue::from_str(key)).map_err(failure),
            };
            if let Err(e) = issued {
                let _ = tx.abort();
                return Err(e);
            }
        }
        // Every request is issued: committing now saves the round trip in which IndexedDB would notice that no
        // more are coming (~0.1 ms of a ~0.6 ms transaction, measured).
        #[allow(deprecated)] // standard since IndexedDB 3.0 and in every current browser, yet flagged in web-sys
        let committing = tx.commit();
        if let Err(e) = committing {
            let _ = tx.abort();
            return Err(failure(e));
        }
        committed(&tx).await
    }

    /// The batches from the one holding `from_offset`, in order, until `max_bytes` (at least one).
    pub async fn load_batches(
        &self,
        replica: &ReplicaKey,
        from_offset: i64,
        max_bytes: usize,
    ) -> Result<Vec<(i64, Bytes)>, StorageFailure> {
        let (_tx, batches, _) = self.transaction("readonly")?;
        // The batch holding `from_offset` is the one with the greatest base offset at or below it.
        let below = batch_range(replica, f64::NEG_INFINITY, offset_bound(from_offset), false)?;
        let cursor =
            batches.open_key_cursor_with_range_and_direction(&below, IdbCursorDirection::Prev).map_err(failure)?;
        let mut start = match request(&cursor).await? {
            c if c.is_null() => f64::NEG_INFINITY,
            c => Array::from(&c.unchecked_into::<IdbCursor>().key().map_err(failure)?)
                .get(3)
                .as_f64()
                .unwrap_or(f64::NEG_INFINITY),
        };
        let mut start_open = false;
        let mut out = Vec::new();
        let mut size = 0;
        loop {
            let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
                &batch_key(replica, start),
                &batch_key(replica, f64::INFINITY),
                start_open,
                false,
            )
            .map_err(failure)?;
            let values = batches.get_all_with_key_and_limit(&range, LOAD_CHUNK).map_err(failure)?;
            let keys = batches.get_all_keys_with_key_and_limit(&range, LOAD_CHUNK).map_err(failure)?;
            let (values, keys) = (Array::from(&request(&values).await?), Array::from(&request(&keys).await?));
            for (key, value) in keys.iter().zip(values.iter()) {
                let bytes = to_bytes(&value);
                if !out.is_empty() && size + bytes.len() > max_bytes {
                    return Ok(out);
                }
                size += bytes.len();
                out.push((base_offset_of(&key), bytes));
            }
            if values.length() < LOAD_CHUNK {
                return Ok(out);
            }
            start = base_offset_of(&keys.get(keys.length() - 1)) as f64;
            start_open = true;
        }
    }

    /// The batch with the greatest base offset and that offset, or `None` for an empty replica.
    pub async fn last_batch(&self, replica: &ReplicaKey) -> Result<Option<(i64, Bytes)>, StorageFailure> {
        let (_tx, batches, _) = self.transaction("readonly")?;
        let all = batch_range(replica, f64::NEG_INFINITY, f64::INFINITY, false)?;
        let cursor = batches.open_cursor_with_range_and_direction(&all, IdbCursorDirection::Prev).map_err(failure)?;
        match request(&cursor).await? {
            c if c.is_null() => Ok(None),
            c => {
                let cursor = c.unchecked_into::<IdbCursorWithValue>();
                let base = base_offset_of(&cursor.key().map_err(failure)?);
                Ok(Some((base, to_bytes(&cursor.value().map_err(failure)?))))
            }
        }
    }

    pub async fn get_meta(&self, key: &str) -> Result<Option<Bytes>, StorageFailure> {
        let (_tx, _, meta) = self.transaction("readonly")?;
        let value = request(&meta.get(&JsValue::from_str(key)).map_err(failure)?).await?;
        Ok((!value.is_undefined()).then(|| to_bytes(&value)))
    }

    /// Every metadata entry whose key starts with `prefix`, by key.
    pub async fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, Bytes)>, StorageFailure> {
        let (_tx, _, meta) = self.transaction("readonly")?;
        // Every string that starts with `prefix` sorts between `prefix` and `prefix` + U+FFFF.
        let range = IdbKeyRange::bound(&JsValue::from_str(prefix), &JsValue::from_str(&format!("{prefix}\u{ffff}")))
            .map_err(failure)?;
        let keys = meta.get_all_keys_with_key(&range).map_err(failure)?;
        let values = meta.get_all_with_key(&range).map_err(failure)?;
        let (keys, values) = (Array::from(&request(&keys).await?), Array::from(&request(&values).await?));
        Ok(keys.iter().zip(values.iter()).map(|(k, v)| (k.as_string().unwrap_or_default(), to_bytes(&v))).collect())
    }
}
