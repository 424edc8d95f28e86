//! `Cli`: the Confluent CLI of the lecture for a browser terminal. The interpreter is the core's
//! (`core::cli`); this shell opens the franz cluster behind each `lkc-…` id (each its own IndexedDB database),
//! carries out the interpreter's effects, writes what each command changed, and keeps the CLI's state (session,
//! environments, clusters, API keys with hashed secrets) in IndexedDB across reloads.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use bytes::Bytes;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::error;
use super::idb::{Durability, IdbStorage};
use super::js::{self, object};
use super::kafka::{open_config, open_local, Inner, CLIENT_HOST};
use crate::core::acl::authorizer::Client as AuthClient;
use crate::core::cli::{self as core_cli, ApiKey, CliError, CliState, Clusters, Effect, Stream};
use crate::core::error::Error;
use crate::core::groups::Reply as GroupReply;
use crate::core::protocol::{Request, Response};
use crate::core::storage::StorageOp;

/// The database the CLI's state lives in (`franz/__cli`): a name no cluster can take, as topic-like names do
/// not start with "__" in Kafka.
const STATE_DB: &str = "__cli";
const STATE_KEY: &str = "cli-state";

/// The franz clusters behind the CLI's cluster ids, served in this context.
struct Open(BTreeMap<String, Rc<Inner>>);

impl Clusters for Open {
    fn call_as(&mut self, cluster: &str, principal: &str, request: Request) -> Result<Response, Error> {
        let inner = self
            .0
            .get(cluster)
            .ok_or_else(|| Error::BrokerNotAvailable(format!("Kafka cluster {cluster:?} is not open in this tab")))?;
        inner.serve_as(&AuthClient { principal: principal.into(), host: CLIENT_HOST.into() }, request)
    }

    fn group_replies(&mut self, cluster: &str, member_id: &str) -> Vec<GroupReply> {
        let Some(inner) = self.0.get(cluster) else { return Vec::new() };
        inner.collect_group_replies();
        let mut mail = inner.group_mail.borrow_mut();
        let (mine, others): (Vec<GroupReply>, Vec<GroupReply>) =
            std::mem::take(&mut *mail).into_iter().partition(|r| match r {
                GroupReply::Join { member_id: m, .. } | GroupReply::Sync { member_id: m, .. } => m == member_id,
            });
        *mail = others;
        mine
    }
}

struct CliInner {
    cli: RefCell<core_cli::Cli>,
    clusters: RefCell<Open>,
    stream: RefCell<Option<Stream>>,
    /// Where state and clusters live: IndexedDB, or memory only (`storage: 'memory'`).
    state_db: Option<IdbStorage>,
    storage: String,
}

#[wasm_bindgen]
pub struct Cli {
    inner: Rc<CliInner>,
}

fn cli_error(e: &CliError) -> JsValue {
    object([
        ("name", e.name.as_str().into()),
        ("message", e.message.as_str().into()),
        ("suggestion", e.suggestion.as_deref().map_or(JsValue::NULL, JsValue::from)),
        ("text", e.text().into()),
    ])
    .into()
}

fn random_seed() -> u64 {
    let mut bytes = [0; 8];
    js::random_bytes(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// The CLI's saved state, or a fresh one.
async fn load_state(db: &IdbStorage) -> Result<CliState, JsValue> {
    let saved = db.get_meta(STATE_KEY).await.map_err(|f| error::to_js(&Error::from(f)))?;
    match saved {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| error::type_error(&format!("the CLI's saved state is unreadable: {e}"))),
        None => Ok(CliState::default()),
    }
}

/// The API keys of `cluster`, if the CLI created it: then they are its credentials.
pub(crate) async fn api_keys(cluster: &str) -> Result<Option<Vec<ApiKey>>, JsValue> {
    if !cluster.starts_with("lkc-") {
        return Ok(None);
    }
    let Ok(db) = IdbStorage::open(STATE_DB, Durability::Relaxed).await else { return Ok(None) };
    let state = load_state(&db).await;
    db.close();
    let state = state?;
    Ok(state.cluster(cluster).is_some().then(|| state.api_keys.into_iter().filter(|k| k.resource == cluster).collect()))
}

impl CliInner {
    async fn open_cluster(&self, id: &str, brokers: i32, racks: &[String]) -> Result<(), JsValue> {
        let racks: JsValue =
            if racks.is_empty() { JsValue::UNDEFINED } else { js::array(racks.iter().map(String::as_str)).into() };
        let config = object([
            ("cluster", id.into()),
            ("brokers", brokers.into()),
            ("storage", self.storage.as_str().into()),
            ("racks", racks),
        ]);
        // The user's own console: its clients are the user, whom the cluster's authorizer lets do anything.
        let mut c = open_config(&config.into())?;
        c.authorizer = Some(core_cli::cluster_authorizer());
        let inner = open_local(c, core_cli::USER_PRINCIPAL.into()).await?;
        self.clusters.borrow_mut().0.insert(id.to_owned(), inner);
        Ok(())
    }

    async fn apply(&self, effects: Vec<Effect>) -> Result<(), JsValue> {
        for effect in effects {
            match effect {
                Effect::CreateCluster { id, brokers, racks } => {
                    self.open_cluster(&id, brokers, &racks).await?;
                    self.cli.borrow_mut().provisioned(&id);
                }
                Effect::DeleteCluster { id } => {
                    let inner = self.clusters.borrow_mut().0.remove(&id);
                    if let Some(inner) = inner {
                        inner.close().await?;
                    }
                    if self.state_db.is_some() {
                        IdbStorage::delete(&id).await.map_err(|f| error::to_js(&Error::from(f)))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes what the last command changed: each cluster's journal, and the CLI's state.
    async fn persist(&self, state_changed: bool) -> Result<(), JsValue> {
        let open: Vec<Rc<Inner>> = self.clusters.borrow().0.values().cloned().collect();
        for inner in open {
            inner.persist().await.map_err(|e| error::to_js(&e))?;
            inner.changed("cli", "");
        }
        if let (true, Some(db)) = (state_changed, &self.state_db) {
            let value = Bytes::from(serde_json::to_vec(&self.cli.borrow().state).unwrap_or_default());
            db.apply(&[StorageOp::PutMeta { key: STATE_KEY.into(), value }])
                .await
                .map_err(|f| error::to_js(&Error::from(f)))?;
        }
        Ok(())
    }
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

#[wasm_bindgen]
impl Cli {
    /// Opens the CLI: `{ storage = 'indexeddb' | 'memory' }`. With IndexedDB, its state and every cluster it
    /// created come back after a reload.
    #[wasm_bindgen(unchecked_return_type = "Promise<Cli>")]
    pub fn open(
        #[wasm_bindgen(unchecked_optional_param_type = "{ storage?: 'indexeddb' | 'memory' }")] config: Option<JsValue>,
    ) -> Promise {
        future_to_promise(async move {
            let config = config.unwrap_or(JsValue::UNDEFINED);
            let storage = js::opt_string(&config, "storage", "storage")?.unwrap_or_else(|| "indexeddb".into());
            if !["indexeddb", "memory"].contains(&storage.as_str()) {
                return Err(error::type_error(&format!("storage must be 'indexeddb' or 'memory', got {storage:?}")));
            }
            let state_db = match storage.as_str() {
                "indexeddb" => Some(
                    IdbStorage::open(STATE_DB, Durability::Relaxed).await.map_err(|f| error::to_js(&Error::from(f)))?,
                ),
                _ => None,
            };
            let state = match &state_db {
                Some(db) => load_state(db).await?,
                None => CliState::default(),
            };
            let clusters: Vec<(String, i32, Vec<String>)> =
                state.clusters.iter().map(|c| (c.id.clone(), c.brokers, c.racks.clone())).collect();
            let inner = Rc::new(CliInner {
                cli: RefCell::new(core_cli::Cli::new(state, random_seed())),
                clusters: RefCell::new(Open(BTreeMap::new())),
                stream: RefCell::new(None),
                state_db,
                storage,
            });
            for (id, brokers, racks) in clusters {
                inner.open_cluster(&id, brokers, &racks).await?;
                inner.cli.borrow_mut().provisioned(&id);
            }
            Ok(Cli { inner }.into())
        })
    }

    /// Runs one command line: `{ output, error, streaming }`; `error` is `{ name, message, suggestion, text }`
    /// (`text` is what the CLI prints), `streaming` is 'produce' or 'consume' while a command keeps going.
    #[wasm_bindgen(
        unchecked_return_type = "Promise<{ output: string; error: { name: string; message: string; suggestion: string | null; text: string } | null; streaming: 'produce' | 'consume' | null }>"
    )]
    pub fn run(&self, line: String) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let result = {
                let mut clusters = inner.clusters.borrow_mut();
                // A new command ends a consume still running (as Ctrl-C would): its member leaves its group.
                if let Some(Stream::Consume(mut s)) = inner.stream.borrow_mut().take() {
                    s.stop(&mut *clusters, now_ms());
                }
                inner.cli.borrow_mut().run(&line, &mut *clusters, now_ms())
            };
            let (output, error, streaming) = match result {
                Ok(reply) => {
                    inner.apply(reply.effects).await?;
                    inner.persist(reply.state_changed).await?;
                    let streaming = match &reply.stream {
                        Some(Stream::Produce(_)) => JsValue::from("produce"),
                        Some(Stream::Consume(_)) => JsValue::from("consume"),
                        None => JsValue::NULL,
                    };
                    *inner.stream.borrow_mut() = reply.stream;
                    (reply.output, JsValue::NULL, streaming)
                }
                Err(e) => (String::new(), cli_error(&e), JsValue::NULL),
            };
            Ok(object([("output", output.into()), ("error", error), ("streaming", streaming)]).into())
        })
    }

    /// While `topic produce` runs: produces one typed line. Rejects with the CLI's error (`{ name, text, … }`).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn send(&self, line: String) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let sent = {
                let mut stream = inner.stream.borrow_mut();
                let Some(Stream::Produce(session)) = stream.as_mut() else {
                    return Err(cli_error(&CliError::usage("no produce is running")));
                };
                let mut clusters = inner.clusters.borrow_mut();
                session.send(&mut *clusters, &line, now_ms())
            };
            sent.map_err(|e| cli_error(&e))?;
            inner.persist(false).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// While `topic consume` runs: the lines that arrived since the last poll.
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn poll(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let lines = {
                let mut stream = inner.stream.borrow_mut();
                let Some(Stream::Consume(session)) = stream.as_mut() else {
                    return Err(cli_error(&CliError::usage("no consume is running")));
                };
                let mut clusters = inner.clusters.borrow_mut();
                session.poll(&mut *clusters, now_ms())
            };
            let lines = lines.map_err(|e| cli_error(&e))?;
            inner.persist(false).await?;
            Ok(js::array(lines.iter().map(String::as_str)).into())
        })
    }

    /// What a live view of the cluster in use shows (brokers, partitions with replicas, LEO and HW per replica,
    /// last records, groups with lag), or `null` when no cluster is in use.
    #[wasm_bindgen(unchecked_return_type = "ClusterView | null")]
    pub fn view(&self) -> JsValue {
        let view = {
            let mut clusters = self.inner.clusters.borrow_mut();
            self.inner.cli.borrow().view(&mut *clusters)
        };
        view.and_then(|v| js_sys::JSON::parse(&v.to_string()).ok()).unwrap_or(JsValue::NULL)
    }

    /// Serves the cluster in use on `port`, as `kafka.serve(port)` does: a producer or consumer worker holding
    /// the other end connects with `Kafka.connect(port)` (the tutorial's "Add producer" and "Add consumer").
    pub fn serve(&self, port: web_sys::MessagePort) -> Result<(), JsValue> {
        let id = self.inner.cli.borrow().state.current_cluster().map(str::to_owned);
        let inner = id.and_then(|id| self.inner.clusters.borrow().0.get(&id).cloned()).ok_or_else(|| {
            cli_error(
                &CliError::usage("no Kafka cluster in use")
                    .with_suggestion("Select one with `confluent kafka cluster use <id>`."),
            )
        })?;
        // The tutorial's producer and consumer workers are the user's own, as its console is.
        inner.serve_port_as(port, super::host::DEFAULT_CLIENT_TIMEOUT_MS, core_cli::USER_PRINCIPAL);
        Ok(())
    }

    /// The CLI's state as the tutorial's progress checks read it (no hashes, no secrets): `{ loggedIn,
    /// environments, currentEnvironment, clusters, currentCluster, apiKeys, keysInUse }`.
    pub fn status(&self) -> JsValue {
        let status = self.inner.cli.borrow().state.summary();
        js_sys::JSON::parse(&status.to_string()).unwrap_or(JsValue::NULL)
    }

    /// Closes every cluster and deletes every database the CLI made, and its own state: "Reset everything".
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn reset(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            inner.stream.borrow_mut().take();
            let open: Vec<(String, Rc<Inner>)> =
                std::mem::take(&mut inner.clusters.borrow_mut().0).into_iter().collect();
            for (id, c) in open {
                c.close().await?;
                if inner.state_db.is_some() {
                    IdbStorage::delete(&id).await.map_err(|f| error::to_js(&Error::from(f)))?;
                }
            }
            *inner.cli.borrow_mut() = core_cli::Cli::new(CliState::default(), random_seed());
            inner.persist(true).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Ctrl-C or Ctrl-D: ends a running produce or consume (a group member commits and leaves its group).
    pub fn stop(&self) {
        let stream = self.inner.stream.borrow_mut().take();
        if let Some(Stream::Consume(mut s)) = stream {
            s.stop(&mut *self.inner.clusters.borrow_mut(), now_ms());
        }
    }

    /// What may follow the words typed so far (for Tab completion): subcommands, or flags of the command.
    pub fn complete(&self, line: String) -> Vec<String> {
        core_cli::complete(&line)
    }

    /// Writes everything and closes every cluster.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let open: Vec<Rc<Inner>> = std::mem::take(&mut inner.clusters.borrow_mut().0).into_values().collect();
            for c in open {
                c.close().await?;
            }
            if let Some(db) = &inner.state_db {
                db.close();
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
