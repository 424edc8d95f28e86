//! `Kafka`: the entry point of the JS API (`await Kafka.open({...})`), and the state its clients share.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::admin::Admin;
use super::broker::{
    Broker, Remote, Timeouts, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HOST_TIMEOUT_MS,
    DEFAULT_REAUTHENTICATION_THRESHOLD_MS, DEFAULT_REQUEST_TIMEOUT_MS,
};
use super::consumer::Consumer;
use super::durable::{restore, WINDOW_BUDGET};
use super::error;
use super::events::Events;
use super::host::{Client, DEFAULT_CLIENT_TIMEOUT_MS};
use super::idb::{Durability, IdbStorage};
use super::js;
use super::lock::{self, Acquired, ClusterLock};
use super::log::Logger;
use super::producer::Producer;
use super::sasl::sasl_config;
use super::signal::Signal;
use crate::core::acl::authorizer::{Authorizer, Client as AuthClient};
use crate::core::acl::credentials::{Accounts, Credentials};
use crate::core::acl::sasl::authenticate_in_process;
use crate::core::acl::ANONYMOUS;
use crate::core::cluster::{Cluster, PendingAck};
use crate::core::error::Error;
use crate::core::protocol::{Request, Response};
use crate::core::storage::StorageFailure;

/// Largest cluster a tab runs: enough for every replication lesson, small enough to stay cheap.
const MAX_BROKERS: i32 = 9;

/// `cluster.change` events are coalesced to at most one per this many ms (about 20/s): a view re-renders on
/// each, and a busy cluster changes far more often than a screen can show.
const CHANGE_INTERVAL_MS: f64 = 50.0;

/// What every client of one cluster shares.
pub(crate) struct Inner {
    pub cluster_name: String,
    pub cluster: RefCell<Cluster>,
    pub events: Rc<Events>,
    /// Where this cluster's log lines go (`logLevel`, `logCreator`).
    pub log: Rc<Logger>,
    /// Consumers long-polling for new data wait on this.
    waiters: Signal,
    /// IndexedDB, for a persistent cluster.
    pub storage: Option<IdbStorage>,
    lock: RefCell<Option<ClusterLock>>,
    /// The writer is at work (see `persist`); requests wait on `written` for the write holding their changes:
    /// writes are numbered, `writes_taken` so far and `writes_done` committed.
    pub writing: Cell<bool>,
    pub written: Signal,
    pub writes_taken: Cell<u64>,
    pub writes_done: Cell<u64>,
    /// Every write that failed (each made the cluster reload from storage), in order: a request that began
    /// before one of them lost its changes to it.
    pub write_failures: RefCell<Vec<Error>>,
    closed: Cell<bool>,
    pending_warnings: RefCell<Vec<String>>,
    /// Clients this cluster serves through ports (dropped when they go, and on close).
    pub clients: RefCell<Vec<Rc<Client>>>,
    /// The coordinator's answers to JoinGroup and SyncGroup, until the member's waiting call takes them.
    pub group_mail: RefCell<Vec<crate::core::groups::Reply>>,
    /// Answers to acks=all writes that waited for their ISR, until their produce takes them; and who waits.
    pub acks: RefCell<std::collections::BTreeMap<PendingAck, Result<i64, Error>>>,
    pub ack_waiters: Signal,
    /// Changes not yet told to `cluster.change` listeners, and whether telling them is scheduled.
    pending_changes: RefCell<Vec<(String, String)>>,
    change_scheduled: Cell<bool>,
    /// When the last `cluster.change` was told, on the monotonic clock.
    last_change_ms: Cell<f64>,
    me: Weak<Inner>,
    /// Who this context's own clients are to the authorizer: the principal `Kafka.open` authenticated.
    pub client: RefCell<AuthClient>,
}

/// The host every client of a tab's cluster comes from, for ACLs that name one.
pub const CLIENT_HOST: &str = "127.0.0.1";

impl Inner {
    /// The clock. The core never reads one; the shell passes it in.
    pub fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    /// Notes a change for `cluster.change` listeners, who hear of it within `CHANGE_INTERVAL_MS`.
    pub fn changed(&self, kind: &str, topic: &str) {
        // Nobody listens: no list and no timer.
        if !self.events.wanted("cluster.change") {
            return;
        }
        {
            let mut pending = self.pending_changes.borrow_mut();
            if !pending.iter().any(|(k, t)| k == kind && t == topic) {
                pending.push((kind.into(), topic.into()));
            }
        }
        if self.change_scheduled.replace(true) {
            return;
        }
        let wait = (self.last_change_ms.get() + CHANGE_INTERVAL_MS - super::signal::monotonic_ms()).max(0.0);
        let me = self.me.clone();
        let tell = Closure::once_into_js(move || {
            if let Some(me) = me.upgrade() {
                me.tell_changes();
            }
        });
        super::signal::set_timeout(tell.unchecked_ref(), wait.ceil() as u32);
    }

    /// One `cluster.change` event for every change since the last: `{ type, topic }` of the first, and
    /// `changes: [{ type, topic }]` with all of them.
    fn tell_changes(&self) {
        self.change_scheduled.set(false);
        self.last_change_ms.set(super::signal::monotonic_ms());
        let changes = self.pending_changes.take();
        let Some((kind, topic)) = changes.first() else { return };
        let list = js::array(
            changes.iter().map(|(k, t)| js::object([("type", k.as_str().into()), ("topic", t.as_str().into())])),
        );
        let payload =
            js::object([("type", kind.as_str().into()), ("topic", topic.as_str().into()), ("changes", list.into())]);
        self.events.emit("cluster.change", &payload);
    }

    /// New data became visible: wake every consumer waiting for some.
    pub fn data_arrived(&self) {
        self.waiters.notify();
    }

    /// Waits until new data arrives or `timeout_ms` passes, whichever is first (a fetch long poll).
    pub async fn wait_for_data(&self, timeout_ms: u32) {
        self.waiters.wait(timeout_ms).await;
    }

    /// Serves one protocol request on the in-page cluster, now. Writing what it changed is the caller's
    /// business (`persist`), so that acks=0 can answer first.
    pub fn serve(&self, request: Request) -> Result<Response, Error> {
        self.cluster.borrow_mut().handle(request, self.now_ms())
    }

    /// [`Inner::serve`] for `who`, as the cluster's authorizer judges it (`Cluster::handle_as`).
    pub fn serve_as(&self, who: &AuthClient, request: Request) -> Result<Response, Error> {
        self.cluster.borrow_mut().handle_as(who, request, self.now_ms())
    }

    /// Writes what is left, stops the timers, drops the clients, and lets go of the storage and its lock.
    pub async fn close(self: &Rc<Self>) -> Result<(), JsValue> {
        // Every replica's record brought up to date: reopening then replays nothing.
        self.cluster.borrow_mut().checkpoint();
        let written = self.persist().await.map_err(|e| error::to_js(&e));
        self.closed.set(true);
        self.data_arrived();
        self.drop_all_clients();
        if let Some(storage) = &self.storage {
            storage.close();
        }
        self.lock.borrow_mut().take();
        written
    }

    pub fn check_open(&self) -> Result<(), JsValue> {
        if self.closed.get() {
            Err(error::client_error("CLUSTER_CLOSED", &format!("cluster {:?} was closed", self.cluster_name)))
        } else {
            Ok(())
        }
    }
}

/// A franz cluster, opened in this tab.
#[wasm_bindgen]
pub struct Kafka {
    broker: Broker,
    /// `logLevel` and `logCreator`: where the log lines of this cluster (or client) go.
    log: Rc<Logger>,
    /// `clientId`: how this client's consumers appear in their groups (their member ids start with it).
    client_id: Rc<str>,
}

/// What a client is called without a `clientId` (KafkaJS calls its own `kafkajs`).
const DEFAULT_CLIENT_ID: &str = "franz";

fn client_id(config: &JsValue) -> Result<Rc<str>, JsValue> {
    match js::opt_string(config, "clientId", "clientId")? {
        Some(id) if id.is_empty() => Err(error::type_error("clientId must not be empty")),
        id => Ok(id.as_deref().unwrap_or(DEFAULT_CLIENT_ID).into()),
    }
}

pub(crate) struct OpenConfig {
    pub cluster: String,
    brokers: i32,
    storage: String,
    durability: Durability,
    auto_create_topics: bool,
    seed: u64,
    /// Each broker's rack, in broker order (KIP-392 follower fetching).
    racks: Option<Vec<Option<String>>>,
    /// What the logs of a cluster that lives in memory may hold (`memoryLimitBytes`); `None` for no limit.
    memory_limit: Option<usize>,
    log: Rc<Logger>,
    /// Kafka's authorizer (`authorizer`: `{ superUsers?, allowEveryoneIfNoAclFound? }`); `None` allows everything.
    pub authorizer: Option<Authorizer>,
    /// Whom the cluster lets in: the SASL users (PLAIN, SCRAM) of `users: { name: password }` (Kafka's JAAS
    /// `user_<name>`), or a CLI-created cluster's API keys (`cli::api_keys`).
    pub credentials: Credentials,
}

/// `memoryLimitBytes` when none is given: a quarter of what wasm32 can address, so that a runaway producer gets
/// KAFKA_STORAGE_ERROR long before the tab runs out of memory (a tab that filled its logs to ~3.9 GB crashed).
const DEFAULT_MEMORY_LIMIT_BYTES: usize = 1 << 30;

pub(crate) fn open_config(config: &JsValue) -> Result<OpenConfig, JsValue> {
    let brokers = js::opt_int::<i32>(config, "brokers", "brokers")?.unwrap_or(3);
    if !(1..=MAX_BROKERS).contains(&brokers) {
        return Err(error::type_error(&format!("brokers must be between 1 and {MAX_BROKERS}, got {brokers}")));
    }
    let storage = js::opt_string(config, "storage", "storage")?.unwrap_or_else(|| "indexeddb".into());
    if !["indexeddb", "memory", "auto"].contains(&storage.as_str()) {
        return Err(error::type_error(&format!("storage must be 'indexeddb', 'memory' or 'auto', got {storage:?}")));
    }
    let durability = match js::opt_string(config, "durability", "durability")?.as_deref() {
        None | Some("relaxed") => Durability::Relaxed,
        Some("strict") => Durability::Strict,
        Some(other) => {
            return Err(error::type_error(&format!("durability must be 'relaxed' or 'strict', got {other:?}")))
        }
    };
    let memory_limit = match js::opt_int::<i64>(config, "memoryLimitBytes", "memoryLimitBytes")? {
        None => Some(DEFAULT_MEMORY_LIMIT_BYTES),
        Some(-1) => None,
        Some(n) if n > 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => {
            return Err(error::type_error(&format!(
                "memoryLimitBytes must be a positive number of bytes (or -1 for no limit), got {n}"
            )))
        }
    };
    Ok(OpenConfig {
        memory_limit,
        log: Logger::from_config(config)?,
        cluster: js::opt_string(config, "cluster", "cluster")?.unwrap_or_else(|| "default".into()),
        brokers,
        storage,
        durability,
        auto_create_topics: js::opt_bool(config, "autoCreateTopics", "autoCreateTopics")?.unwrap_or(false),
        seed: js::opt_int::<i64>(config, "seed", "seed")?.unwrap_or_else(|| (js_sys::Math::random() * 1e15) as i64)
            as u64,
        authorizer: authorizer_config(config)?,
        credentials: super::sasl::credentials(config)?,
        racks: match js::get(config, "racks") {
            r if js::is_missing(&r) => None,
            r => Some(
                js::from_plain(&r, "racks")
                    .map_err(|_| js::type_error("racks", "an array of rack names (or null)", &r))?,
            ),
        },
    })
}

/// `authorizer`: `true`, or `{ superUsers?: string[], allowEveryoneIfNoAclFound?: boolean }`.
fn authorizer_config(config: &JsValue) -> Result<Option<Authorizer>, JsValue> {
    let a = js::get(config, "authorizer");
    if js::is_missing(&a) || a.as_bool() == Some(false) {
        return Ok(None);
    }
    if a.as_bool() == Some(true) {
        return Ok(Some(Authorizer::default()));
    }
    let super_users = js::list(&a, "superUsers", "authorizer.superUsers", false)?
        .iter()
        .map(|u| {
            let name = u.as_string().ok_or_else(|| js::type_error("authorizer.superUsers", "principal strings", u))?;
            crate::core::acl::validate_principal(&name).map_err(|e| error::to_js(&e))?;
            Ok(name)
        })
        .collect::<Result<_, JsValue>>()?;
    let open = js::opt_bool(&a, "allowEveryoneIfNoAclFound", "authorizer.allowEveryoneIfNoAclFound")?;
    Ok(Some(Authorizer { super_users, allow_everyone_if_no_acl_found: open.unwrap_or(false) }))
}

/// Opens a cluster in this context: its storage (or memory), its lock, and its timers.
pub(crate) async fn open_local(c: OpenConfig, principal: String) -> Result<Rc<Inner>, JsValue> {
    let mut warnings = Vec::new();
    let durable = if c.storage == "memory" { None } else { open_durable(&c).await? };
    let (storage, lock, cluster) = match durable {
        Some((storage, lock, cluster, w)) => {
            warnings = w;
            (Some(storage), lock, cluster)
        }
        None => {
            if c.storage == "auto" {
                warnings.push("IndexedDB is unavailable here (private mode?): this cluster lives in memory only and is gone on reload".into());
            }
            let mut cluster = Cluster::new(c.brokers, c.seed);
            cluster.set_memory_limit(c.memory_limit);
            (None, None, cluster)
        }
    };
    let mut cluster = cluster;
    cluster.set_authorizer(c.authorizer.clone());
    cluster.set_credentials(c.credentials.clone());
    cluster.set_auto_create_topics(c.auto_create_topics);
    if let Some(racks) = &c.racks {
        cluster.set_racks(racks).map_err(|e| error::to_js(&e))?;
    }
    let inner = Rc::new_cyclic(|me| Inner {
        cluster_name: c.cluster,
        log: c.log.clone(),
        cluster: RefCell::new(cluster),
        events: Events::new(super::events::KAFKA, c.log.clone(), "Kafka"),
        waiters: Signal::default(),
        storage,
        lock: RefCell::new(lock),
        writing: Cell::new(false),
        written: Signal::default(),
        writes_taken: Cell::new(0),
        writes_done: Cell::new(0),
        write_failures: RefCell::default(),
        closed: Cell::new(false),
        pending_warnings: RefCell::default(),
        clients: RefCell::default(),
        group_mail: RefCell::default(),
        acks: RefCell::default(),
        ack_waiters: Signal::default(),
        pending_changes: RefCell::default(),
        change_scheduled: Cell::new(false),
        last_change_ms: Cell::new(f64::NEG_INFINITY),
        me: me.clone(),
        client: RefCell::new(AuthClient { principal, host: CLIENT_HOST.into() }),
    });
    for w in &warnings {
        inner.warn(w);
    }
    wasm_bindgen_futures::spawn_local(super::durable::ticker(Rc::downgrade(&inner)));
    inner.pending_warnings.replace(warnings);
    Ok(inner)
}

/// Opens IndexedDB and the cluster in it, under the cluster's lock. `Ok(None)` when IndexedDB is unavailable.
async fn open_durable(
    c: &OpenConfig,
) -> Result<Option<(IdbStorage, Option<ClusterLock>, Cluster, Vec<String>)>, JsValue> {
    let db_name = format!("franz/{}", c.cluster);
    let (lock, mut warnings) = match lock::acquire(&db_name).await {
        Acquired::Held(lock) => (Some(lock), Vec::new()),
        Acquired::Taken => {
            return Err(error::to_js(&Error::ClusterLocked(format!(
                "cluster {:?} is open in another tab (or another Kafka.open in this one); close it there first",
                c.cluster
            ))))
        }
        Acquired::Unsupported => {
            (None, vec!["this browser has no Web Locks: nothing stops a second tab opening this cluster".into()])
        }
    };
    let storage = match IdbStorage::open(&c.cluster, c.durability).await {
        Ok(s) => s,
        Err(StorageFailure::Unavailable(_)) if c.storage == "auto" => return Ok(None),
        Err(f) => return Err(error::to_js(&Error::from(f))),
    };
    let fresh = storage.get_meta("cluster").await.map_err(|f| error::to_js(&Error::from(f)))?.is_none();
    let cluster = if fresh {
        let mut cluster = Cluster::persistent(c.brokers, c.seed, WINDOW_BUDGET);
        if let Some(write) = cluster.take_write() {
            storage.apply(&write.ops).await.map_err(|f| error::to_js(&Error::from(f)))?;
            cluster.write_done(&write);
        }
        cluster
    } else {
        let (cluster, repaired) = restore(&storage, c.seed).await?;
        warnings.extend(repaired);
        let stored = cluster.brokers().len() as i32;
        if stored != c.brokers {
            warnings.push(format!(
                "cluster {:?} was created with {stored} brokers; brokers: {} is ignored",
                c.cluster, c.brokers
            ));
        }
        cluster
    };
    Ok(Some((storage, lock, cluster, warnings)))
}

#[wasm_bindgen]
impl Kafka {
    /// KafkaJS's `new Kafka({ clientId, brokers })`, refused with what to call instead: opening a cluster reads
    /// IndexedDB, which a constructor cannot wait for. (Its type, `never`, keeps TypeScript refusing it too.)
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "never")] _config: JsValue) -> Result<Kafka, JsValue> {
        Err(error::type_error(
            "`new Kafka(...)` is KafkaJS's way; a franz cluster opens asynchronously: `await Kafka.open({ clientId, \
             cluster, brokers: 3 })` runs one in this tab, and `await Kafka.connect(port)` reaches one that a broker \
             host serves",
        ))
    }

    /// Opens a cluster: `{ clientId?, cluster = 'default', brokers = 3, storage = 'indexeddb' | 'memory' |
    /// 'auto', durability = 'relaxed' | 'strict', autoCreateTopics = false, memoryLimitBytes = 1 GiB, seed?,
    /// users?, oauthBearer?, authorizer?, sasl? }` (the last four: see the README's "Security").
    #[wasm_bindgen(unchecked_return_type = "Promise<Kafka>")]
    pub fn open(#[wasm_bindgen(unchecked_param_type = "KafkaConfig")] config: JsValue) -> Promise {
        future_to_promise(async move {
            let (mut c, client_id) = (open_config(&config)?, client_id(&config)?);
            if let Some(keys) = super::cli::api_keys(&c.cluster).await? {
                // A cluster the CLI created: its API keys let in their owners, judged as the CLI judges them.
                c.credentials.accounts = Accounts::ApiKeys(keys);
                c.authorizer.get_or_insert_with(crate::core::cli::cluster_authorizer);
            }
            let login = match sasl_config(&js::get(&config, "sasl"))? {
                Some(sasl) => Some(sasl.login().await?),
                None => None,
            };
            // The cluster is opened first: its stored SCRAM credentials take part in the login.
            let inner = open_local(c, ANONYMOUS.into()).await?;
            let principal = {
                let cluster = inner.cluster.borrow();
                match login {
                    Some(login) => {
                        let now = js_sys::Date::now() as i64;
                        authenticate_in_process(cluster.credentials(), login, now, &mut js::random_bytes)
                    }
                    None => cluster.credentials().authenticate(None),
                }
            };
            match principal {
                Ok(principal) => inner.client.borrow_mut().principal = principal,
                Err(e) => {
                    let _ = inner.close().await;
                    return Err(error::to_js(&e));
                }
            }
            Ok(Kafka { log: inner.log.clone(), broker: Broker::in_page(inner), client_id }.into())
        })
    }

    /// Connects to a cluster served on `port` by `kafka.serve(port)` in another context (a broker-host worker, or
    /// another page). Gives the same API as `Kafka.open`. Options:
    /// - `clientId = 'franz'`: as in `Kafka.open`, the name this client's consumers give their groups;
    /// - `requestTimeout = 30000`: how long a request may go unanswered before it fails with the retriable
    ///   REQUEST_TIMED_OUT, as in KafkaJS;
    /// - `heartbeatInterval = 1000`: how often the client tells the host it is alive (the host drops clients it
    ///   has not heard from within its `clientTimeout`);
    /// - `hostTimeout = 5000`: how long the host may be silent before it is taken for gone: waiting and later
    ///   requests then fail with the retriable BROKER_NOT_AVAILABLE until `reconnect(port)`;
    /// - `sasl = { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username, password }` or
    ///   `{ mechanism: 'oauthbearer', oauthBearerProvider }`: who this client is, checked by the host against its
    ///   cluster's users or token validator (and again at each `reconnect`); without it, `User:ANONYMOUS`;
    /// - `reauthenticationThreshold = 10000`: where the host's sessions end (its `connectionsMaxReauthMs`, or a
    ///   token's expiry), how long before the end the client logs in again (KIP-368, as in KafkaJS).
    #[wasm_bindgen(unchecked_return_type = "Promise<Kafka>")]
    pub fn connect(
        port: web_sys::MessagePort,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectOptions")] options: Option<JsValue>,
    ) -> Promise {
        future_to_promise(async move {
            let options = options.unwrap_or(JsValue::UNDEFINED);
            let positive = |key: &'static str, default: u32| -> Result<u32, JsValue> {
                match js::opt_int::<u32>(&options, key, key)? {
                    Some(0) => Err(error::type_error(&format!("{key} must be a positive number of milliseconds"))),
                    v => Ok(v.unwrap_or(default)),
                }
            };
            let timeouts = Timeouts {
                request_ms: positive("requestTimeout", DEFAULT_REQUEST_TIMEOUT_MS)?,
                heartbeat_ms: positive("heartbeatInterval", DEFAULT_HEARTBEAT_INTERVAL_MS)?,
                host_ms: positive("hostTimeout", DEFAULT_HOST_TIMEOUT_MS)?,
                reauth_threshold_ms: js::opt_int::<u32>(
                    &options,
                    "reauthenticationThreshold",
                    "reauthenticationThreshold",
                )?
                .unwrap_or(DEFAULT_REAUTHENTICATION_THRESHOLD_MS),
            };
            let (log, client_id) = (Logger::from_config(&options)?, client_id(&options)?);
            let sasl = sasl_config(&js::get(&options, "sasl"))?;
            let kafka = Kafka { broker: Broker::through(Remote::new(port, timeouts, sasl)), log, client_id };
            kafka.check_host().await?;
            Ok(kafka.into())
        })
    }

    /// For a client of `Kafka.connect`: talks from now on to the broker host on `port` (a new host started on the
    /// same cluster after the old one died). Requests still waiting on the old host fail with the retriable
    /// BROKER_NOT_AVAILABLE; producers and consumers made from this `Kafka` carry on through the new port.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn reconnect(&self, port: web_sys::MessagePort) -> Promise {
        let Some(remote) = self.broker.remote() else {
            return Promise::reject(&error::client_error(
                "NOT_CONNECTED",
                "reconnect() is for a Kafka made by Kafka.connect; this one runs the cluster itself",
            ));
        };
        remote.reconnect(port);
        let kafka = Kafka { broker: self.broker.clone(), log: self.log.clone(), client_id: self.client_id.clone() };
        future_to_promise(async move {
            kafka.check_host().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Deletes a cluster's database: every record, topic and offset. It must not be open.
    #[wasm_bindgen(js_name = deleteCluster, unchecked_return_type = "Promise<void>")]
    pub fn delete_cluster(cluster: String) -> Promise {
        future_to_promise(async move {
            IdbStorage::delete(&cluster).await.map_err(|f| error::to_js(&Error::from(f)))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// KafkaJS's `kafka.logger()`: `info`, `error`, `warn` and `debug` (`(message, extra?)`), `namespace(name)`
    /// and `setLogLevel(level)`, writing where this cluster's own log lines go.
    #[wasm_bindgen(unchecked_return_type = "Logger")]
    pub fn logger(&self) -> JsValue {
        self.log.api("Kafka")
    }

    pub fn admin(&self) -> Admin {
        Admin::new(self.broker.clone(), self.client_id.clone(), self.log.clone())
    }

    pub fn producer(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ProducerConfig")] config: Option<JsValue>,
    ) -> Result<Producer, JsValue> {
        Producer::new(
            self.broker.clone(),
            self.client_id.clone(),
            self.log.clone(),
            &config.unwrap_or(JsValue::UNDEFINED),
        )
    }

    pub fn consumer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConsumerConfig")] config: JsValue,
    ) -> Result<Consumer, JsValue> {
        Consumer::new(self.broker.clone(), self.client_id.clone(), self.log.clone(), &config)
    }

    /// Listens for `cluster.change` (anything in the cluster changed) or `warning` (storage repaired a
    /// corruption, fell back to memory, …). Returns a function that removes the listener, as KafkaJS's `on` does.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "'cluster.change' | 'warning'")] event: String,
        #[wasm_bindgen(
            unchecked_param_type = "(event: { type?: string; topic?: string; message?: string; cluster?: string }) => void"
        )]
        listener: Function,
    ) -> Result<JsValue, JsValue> {
        match self.broker.local() {
            Some(inner) => inner.events.on(&event, listener),
            // Events come from where the cluster runs; a connected client has nothing to listen to yet.
            None => super::events::known(super::events::KAFKA, &event).map(|_| Closure::once_into_js(|| {})),
        }
    }

    /// Warnings raised while opening, before any listener could be added.
    #[wasm_bindgen(js_name = openWarnings, unchecked_return_type = "string[]")]
    pub fn open_warnings(&self) -> JsValue {
        let warnings = self.broker.local().map(|i| i.pending_warnings.borrow().clone()).unwrap_or_default();
        js::array(warnings.iter().map(|w| JsValue::from(w.as_str()))).into()
    }

    #[wasm_bindgen(getter, js_name = clusterName)]
    pub fn cluster_name(&self) -> String {
        self.broker.cluster_name()
    }

    /// `{ storage: 'indexeddb' | 'memory', database, batchesInMemory, bytesInMemory, memoryLimitBytes, clients }`:
    /// where this cluster lives, how much of its log is held in memory (the rest is read from IndexedDB on demand;
    /// bytes counting each partition once), the limit on that for a cluster in memory (`null` for none), and how
    /// many clients it serves through ports.
    #[wasm_bindgen(
        unchecked_return_type = "{ storage: 'indexeddb' | 'memory'; database: string | null; batchesInMemory: number; bytesInMemory: number; memoryLimitBytes: number | null; clients: number }"
    )]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let inner = self.local("stats")?;
        let cluster = inner.cluster.borrow();
        let mut in_memory = 0;
        for t in cluster.metadata() {
            for p in &t.partitions {
                in_memory += cluster.batches_in_memory(&t.name, p.partition as i32).unwrap_or(0);
            }
        }
        let storage = &inner.storage;
        Ok(js::object([
            ("storage", if storage.is_some() { "indexeddb" } else { "memory" }.into()),
            ("database", storage.as_ref().map_or(JsValue::NULL, |s| s.database_name().into())),
            ("batchesInMemory", in_memory.into()),
            ("bytesInMemory", (cluster.bytes_in_memory() as f64).into()),
            ("memoryLimitBytes", cluster.memory_limit().map_or(JsValue::NULL, |l| (l as f64).into())),
            ("clients", inner.clients.borrow().len().into()),
        ])
        .into())
    }

    /// Makes the next storage write abort after `ops` of its operations, as a full disk
    /// (QuotaExceededError) or a crash mid-write would: for tests and for the tutorial's failure lessons.
    #[wasm_bindgen(js_name = simulateStorageFailure)]
    pub fn simulate_storage_failure(&self, ops: u32) -> Result<(), JsValue> {
        let storage = self.local("simulateStorageFailure")?.storage.as_ref().ok_or_else(|| {
            error::client_error("NO_STORAGE", "this cluster lives in memory: there is no storage write to fail")
        })?;
        storage.fail_next_apply_at(ops as usize);
        Ok(())
    }

    /// Serves the broker protocol on `port`: the other end of a `MessageChannel`, handed to a worker or another
    /// page, speaks envelopes to this cluster (see `src/web/envelope.rs`). Any number of ports may be served.
    /// `{ clientTimeout = 10000 }`: a client silent for longer (its worker was terminated) is dropped; the
    /// heartbeat of `Kafka.connect` keeps a live one heard.
    pub fn serve(
        &self,
        port: web_sys::MessagePort,
        #[wasm_bindgen(unchecked_optional_param_type = "{ clientTimeout?: number }")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let inner = self.local("serve")?;
        inner.check_open()?;
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let timeout =
            js::opt_int::<u32>(&options, "clientTimeout", "clientTimeout")?.unwrap_or(DEFAULT_CLIENT_TIMEOUT_MS);
        if timeout == 0 {
            return Err(error::type_error("clientTimeout must be a positive number of milliseconds"));
        }
        inner.serve_port(port, timeout);
        Ok(())
    }

    /// Closes the cluster: waits for pending writes, releases the lock so another tab may open it.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let Some(inner) = self.broker.local().cloned() else {
            if let Some(remote) = self.broker.remote() {
                remote.close();
            }
            return resolved(JsValue::UNDEFINED);
        };
        future_to_promise(async move { inner.close().await.map(|()| JsValue::UNDEFINED) })
    }
}

impl Kafka {
    /// A first Metadata proves the host answers; then the client authenticates, if it has credentials.
    async fn check_host(&self) -> Result<(), JsValue> {
        self.broker.call(Request::metadata(Some(Vec::new()))).await.map_err(|e| error::to_js(&e))?;
        match self.broker.remote() {
            Some(remote) => remote.authenticate().await,
            None => Ok(()),
        }
    }

    /// The cluster in this context, for what only its host can do.
    fn local(&self, what: &str) -> Result<&Rc<Inner>, JsValue> {
        self.broker.local().ok_or_else(|| {
            error::client_error(
                "NOT_THE_HOST",
                &format!("{what}() works where the cluster runs, not through Kafka.connect"),
            )
        })
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
