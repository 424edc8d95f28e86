//! `Kafka`: the entry point of the JS API (`await Kafka.open({...})`), and the state its clients share.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::admin::Admin;
use super::consumer::Consumer;
use super::error;
use super::events::Events;
use super::js;
use super::producer::Producer;
use crate::core::cluster::Cluster;
use crate::core::error::Error;

/// Largest cluster a tab runs: enough for every replication lesson, small enough to stay cheap.
const MAX_BROKERS: i32 = 9;

/// What every client of one cluster shares.
pub(crate) struct Inner {
    pub client_id: String,
    pub cluster_name: String,
    pub cluster: RefCell<Cluster>,
    /// Kafka's `auto.create.topics.enable` for this cluster.
    pub auto_create_topics: bool,
    pub events: Rc<Events>,
    /// Resolve functions of consumers long-polling for new data.
    waiters: RefCell<Vec<Function>>,
}

impl Inner {
    /// The clock. The core never reads one; the shell passes it in.
    pub fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    /// A `cluster.change` event, for views that render the cluster.
    pub fn changed(&self, kind: &str, topic: &str) {
        let payload = js::object([("type", kind.into()), ("topic", topic.into())]);
        self.events.emit("cluster.change", &payload);
    }

    /// New data was appended: wake every consumer waiting for some.
    pub fn data_arrived(&self) {
        for resolve in self.waiters.take() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Waits until new data arrives or `timeout_ms` passes, whichever is first (a fetch long poll).
    pub async fn wait_for_data(&self, timeout_ms: u32) {
        let mut registered = None;
        let done = Promise::new(&mut |resolve, _| {
            set_timeout(&resolve, timeout_ms);
            registered = Some(resolve.clone());
            self.waiters.borrow_mut().push(resolve);
        });
        let _ = JsFuture::from(done).await;
        if let Some(resolve) = registered {
            self.waiters.borrow_mut().retain(|f| !js_sys::Object::is(f, &resolve));
        }
    }
}

/// `setTimeout(callback, ms)` in a page or a worker.
pub(crate) fn set_timeout(callback: &Function, ms: u32) {
    let global = js_sys::global();
    if let Ok(f) = js_sys::Reflect::get(&global, &"setTimeout".into()).and_then(|f| f.dyn_into::<Function>()) {
        let _ = f.call2(&global, callback, &ms.into());
    }
}

/// A franz cluster, opened in this tab.
#[wasm_bindgen]
pub struct Kafka {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Kafka {
    /// Opens a cluster: `{ clientId?, cluster = 'default', brokers = 3, storage = 'memory', autoCreateTopics =
    /// false, seed? }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Kafka>")]
    pub fn open(#[wasm_bindgen(unchecked_param_type = "KafkaConfig")] config: JsValue) -> Promise {
        settle(Self::open_now(&config).map(JsValue::from))
    }

    fn open_now(config: &JsValue) -> Result<Kafka, JsValue> {
        let client_id = js::opt_string(config, "clientId", "clientId")?.unwrap_or_else(|| "franz".into());
        let cluster_name = js::opt_string(config, "cluster", "cluster")?.unwrap_or_else(|| "default".into());
        let brokers = js::opt_int::<i32>(config, "brokers", "brokers")?.unwrap_or(3);
        if !(1..=MAX_BROKERS).contains(&brokers) {
            return Err(error::type_error(&format!("brokers must be between 1 and {MAX_BROKERS}, got {brokers}")));
        }
        match js::opt_string(config, "storage", "storage")?.as_deref().unwrap_or("memory") {
            "memory" => {}
            "indexeddb" | "auto" => {
                return Err(error::to_js(&Error::KafkaStorageError(
                    "IndexedDB-backed clusters are not wired into the JS API yet; use storage: 'memory'".into(),
                )))
            }
            other => {
                return Err(error::type_error(&format!(
                    "storage must be 'indexeddb', 'memory' or 'auto', got {other:?}"
                )))
            }
        }
        let auto_create_topics = js::opt_bool(config, "autoCreateTopics", "autoCreateTopics")?.unwrap_or(false);
        let seed =
            js::opt_int::<i64>(config, "seed", "seed")?.unwrap_or_else(|| (js_sys::Math::random() * 1e15) as i64);
        let cluster = Cluster::new(brokers, seed as u64);
        Ok(Kafka {
            inner: Rc::new(Inner {
                client_id,
                cluster_name,
                cluster: RefCell::new(cluster),
                auto_create_topics,
                events: Rc::default(),
                waiters: RefCell::default(),
            }),
        })
    }

    pub fn admin(&self) -> Admin {
        Admin::new(self.inner.clone())
    }

    pub fn producer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ProducerConfig | undefined")] config: JsValue,
    ) -> Result<Producer, JsValue> {
        Producer::new(self.inner.clone(), &config)
    }

    pub fn consumer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConsumerConfig")] config: JsValue,
    ) -> Result<Consumer, JsValue> {
        Consumer::new(self.inner.clone(), &config)
    }

    /// Listens for `cluster.change` (anything in the cluster changed) or `warning`. Returns a function that
    /// removes the listener, as KafkaJS's `on` does.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(&self, event: String, listener: Function) -> JsValue {
        self.inner.events.on(event, listener)
    }

    #[wasm_bindgen(getter, js_name = clusterName)]
    pub fn cluster_name(&self) -> String {
        self.inner.cluster_name.clone()
    }
}

/// A resolved or rejected promise: KafkaJS's API is promise-based even where franz answers at once.
pub(crate) fn settle(result: Result<JsValue, JsValue>) -> Promise {
    match result {
        Ok(v) => resolved(v),
        Err(e) => Promise::reject(&e),
    }
}

pub(crate) fn resolved(value: JsValue) -> Promise {
    Promise::resolve(&value)
}

/// A core result as a settled promise, errors mapped to KafkaJS-shaped ones.
pub(crate) fn settle_core(result: crate::core::error::Result<JsValue>) -> Promise {
    settle(result.map_err(|e| error::to_js(&e)))
}
