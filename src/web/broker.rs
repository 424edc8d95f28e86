//! Where a client's requests go: the cluster in this context, or a broker host behind a `MessagePort`. Admin,
//! Producer and Consumer only ever `call` a [`Broker`], so the API is the same in both places.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, MessagePort};

use super::envelope_client;
use super::kafka::Inner;
use crate::core::error::Error;
use crate::core::protocol::{Request, Response};

/// KafkaJS's default `requestTimeout`.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u32 = 30_000;

/// A broker host reached through a port: requests carry ids, answers may come back in any order.
pub struct Remote {
    port: MessagePort,
    /// How long a request may go unanswered (plus a Fetch's long-poll wait): a MessagePort gives no sign that the
    /// other end is gone, so silence is the only sign of a dead host.
    request_timeout_ms: u32,
    pending: RefCell<HashMap<u64, Function>>,
    next_id: Cell<u64>,
    closed: Cell<bool>,
    pub cluster_name: RefCell<String>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Remote {
    pub fn new(port: MessagePort, request_timeout_ms: u32) -> Rc<Remote> {
        Rc::new_cyclic(|me: &std::rc::Weak<Remote>| {
            let me = me.clone();
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(me) = me.upgrade() else { return };
                let data = event.data();
                let id = super::js::get(&data, "id").as_f64().map(|f| f as u64);
                if let Some(resolve) = id.and_then(|id| me.pending.borrow_mut().remove(&id)) {
                    let _ = resolve.call1(&JsValue::NULL, &data);
                }
            });
            port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            Remote {
                port,
                request_timeout_ms,
                pending: RefCell::default(),
                next_id: Cell::new(1),
                closed: Cell::new(false),
                cluster_name: RefCell::new("remote".into()),
                _on_message: on_message,
            }
        })
    }

    async fn call(&self, request: &Request) -> Result<Response, Error> {
        if self.closed.get() {
            return Err(Error::BrokerNotAvailable("the connection to the broker host is closed".into()));
        }
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let (envelope, transfer) = envelope_client::request(id as f64, request);
        let waits = match request {
            Request::Fetch { max_wait_ms, .. } => *max_wait_ms,
            _ => 0,
        };
        let answered = Promise::new(&mut |resolve, _| {
            // Silence past the timeout answers `undefined`, which the check below turns into REQUEST_TIMED_OUT.
            super::kafka::set_timeout(&resolve, self.request_timeout_ms.saturating_add(waits));
            self.pending.borrow_mut().insert(id, resolve);
        });
        if self.port.post_message_with_transferable(&envelope, &transfer).is_err() {
            self.pending.borrow_mut().remove(&id);
            return Err(Error::BrokerNotAvailable("the broker host's port refused the request".into()));
        }
        let answer = JsFuture::from(answered)
            .await
            .map_err(|_| Error::BrokerNotAvailable("the broker host went away".into()))?;
        if answer.is_undefined() {
            self.pending.borrow_mut().remove(&id);
            return Err(Error::RequestTimedOut(format!(
                "the broker host did not answer within {} ms (requestTimeout)",
                self.request_timeout_ms
            )));
        }
        envelope_client::response(&answer)?.1
    }

    pub fn close(&self) {
        self.closed.set(true);
        self.port.set_onmessage(None);
        self.port.close();
    }
}

impl Drop for Remote {
    /// The port must never call the handler once it is gone.
    fn drop(&mut self) {
        self.port.set_onmessage(None);
    }
}

#[derive(Clone)]
pub enum Broker {
    Local(Rc<Inner>),
    Remote(Rc<Remote>),
}

impl Broker {
    /// One request, served completely: answered once durable where it changes the cluster, long-polled where it
    /// is a Fetch.
    pub async fn call(&self, request: Request) -> Result<Response, Error> {
        match self {
            Broker::Local(inner) => inner.call(request).await,
            Broker::Remote(remote) => remote.call(&request).await,
        }
    }

    /// The in-page cluster, if the broker is here: for events and storage features only a host has.
    pub fn local(&self) -> Option<&Rc<Inner>> {
        match self {
            Broker::Local(inner) => Some(inner),
            Broker::Remote(_) => None,
        }
    }

    /// The cluster's name: the in-page one's, or the one the host reported when connecting.
    pub fn cluster_name(&self) -> String {
        match self {
            Broker::Local(inner) => inner.cluster_name.clone(),
            Broker::Remote(remote) => remote.cluster_name.borrow().clone(),
        }
    }

    /// Tells the page's views that something changed (a broker host tells its own page).
    pub fn changed(&self, kind: &str, topic: &str) {
        if let Some(inner) = self.local() {
            inner.changed(kind, topic);
        }
    }

    pub fn check_open(&self) -> Result<(), JsValue> {
        match self {
            Broker::Local(inner) => inner.check_open(),
            Broker::Remote(remote) if remote.closed.get() => {
                Err(super::error::client_error("CLUSTER_CLOSED", "the connection to the broker host was closed"))
            }
            Broker::Remote(_) => Ok(()),
        }
    }
}
