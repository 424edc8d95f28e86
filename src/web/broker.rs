//! Where a client's requests go: the cluster in this context, or a broker host behind a `MessagePort`. Admin,
//! Producer and Consumer only ever `call` a [`Broker`], so the API is the same in both places. A client's broker
//! reports each request it answers as KafkaJS's `network.request` event, when the client has a listener.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use bytes::Bytes;
use js_sys::ArrayBuffer;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, MessagePort};

use super::events::Events;
use super::kafka::Inner;
use super::sasl::SaslConfig;
use super::signal::Signal;
use super::{envelope_client, error, js};
use crate::core::acl::sasl::{SaslClient, SaslNext};
use crate::core::error::Error;
use crate::core::frame;
use crate::core::protocol::{Request, Response};

/// KafkaJS's default `requestTimeout`.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u32 = 30_000;
/// How often a connected client tells the host it is alive, and checks that the host is.
pub const DEFAULT_HEARTBEAT_INTERVAL_MS: u32 = 1_000;
/// How long a host may be silent (heartbeats unanswered) before it is taken for gone.
pub const DEFAULT_HOST_TIMEOUT_MS: u32 = 5_000;
/// KafkaJS's default `reauthenticationThreshold`: how long before its session ends a client renews it.
pub const DEFAULT_REAUTHENTICATION_THRESHOLD_MS: u32 = 10_000;

type Handler = Closure<dyn FnMut(MessageEvent)>;

/// How a client talks to its host: the timeouts of `Kafka.connect`.
#[derive(Clone, Copy)]
pub struct Timeouts {
    /// How long a request may go unanswered (plus a Fetch's long-poll wait).
    pub request_ms: u32,
    pub heartbeat_ms: u32,
    pub host_ms: u32,
    /// How long before the session the host gave ends the client authenticates again (KIP-368).
    pub reauth_threshold_ms: u32,
}

/// A broker host reached through a port: requests carry ids, answers may come back in any order. A
/// `MessagePort` gives no sign that the other end is gone, so the client sends heartbeats: a host that answers
/// nothing for `host_ms` is gone, and every request waiting on it fails with the retriable BROKER_NOT_AVAILABLE
/// until `reconnect` hands over a port to a new host.
pub struct Remote {
    port: RefCell<MessagePort>,
    handler: RefCell<Option<Handler>>,
    timeouts: Timeouts,
    /// Requests waiting for an answer, by id: `Some` once it came. `answered` wakes them.
    pending: RefCell<HashMap<u64, Option<Answer>>>,
    answered: Signal,
    next_id: Cell<u64>,
    last_heard_ms: Cell<f64>,
    /// The host stopped answering; requests fail at once until a reconnect.
    down: Cell<bool>,
    closed: Cell<bool>,
    pub cluster_name: RefCell<String>,
    /// The credentials this client authenticates with, again after each reconnect and before its session ends.
    pub sasl: Option<SaslConfig>,
    /// When the session the host gave ends (epoch ms), if it does (KIP-368).
    session_ends_ms: Cell<Option<f64>>,
    /// A renewal of the session is under way: other requests wait for it (`renewed` wakes them).
    renewing: Cell<bool>,
    renewed: Signal,
}

/// What became of one request on its way to a broker host, for the client's `network` events.
#[derive(Default)]
struct Trace {
    /// The request's id on the port, once posted, and when.
    sent: Cell<Option<(u64, f64)>>,
    /// The bytes of the answer's frame (an envelope's are not counted).
    answer_bytes: Cell<Option<usize>>,
    /// No answer came within `requestTimeout`.
    timed_out: Cell<bool>,
}

/// What a pending request is answered with.
#[derive(Clone)]
enum Answer {
    Envelope(JsValue),
    /// A frame (`core::frame`), copied into wasm as it arrived.
    Frame(Bytes),
    HostGone,
}

impl Remote {
    pub fn new(port: MessagePort, timeouts: Timeouts, sasl: Option<SaslConfig>) -> Rc<Remote> {
        let remote = Rc::new(Remote {
            port: RefCell::new(port.clone()),
            handler: RefCell::default(),
            timeouts,
            pending: RefCell::default(),
            answered: Signal::default(),
            next_id: Cell::new(1),
            last_heard_ms: Cell::new(js_sys::Date::now()),
            down: Cell::new(false),
            closed: Cell::new(false),
            cluster_name: RefCell::new("remote".into()),
            sasl,
            session_ends_ms: Cell::new(None),
            renewing: Cell::new(false),
            renewed: Signal::default(),
        });
        remote.attach(port);
        wasm_bindgen_futures::spawn_local(heartbeats(Rc::downgrade(&remote)));
        remote
    }

    /// Listens for answers on `port`.
    fn attach(self: &Rc<Self>, port: MessagePort) {
        let me = Rc::downgrade(self);
        let handler = Handler::new(move |event: MessageEvent| {
            let Some(me) = me.upgrade() else { return };
            me.last_heard_ms.set(js_sys::Date::now());
            let data = event.data();
            let (id, answer) = match data.dyn_ref::<ArrayBuffer>() {
                Some(buffer) => {
                    let bytes = super::transfer::incoming_frame(buffer);
                    super::transfer::keep_spare(buffer);
                    (frame::id_of(&bytes), Answer::Frame(bytes))
                }
                None => {
                    super::transfer::received(&data);
                    (super::js::get(&data, "id").as_f64(), Answer::Envelope(data))
                }
            };
            let id = id.map(|f| f as u64);
            let waiting = id.is_some_and(|id| match me.pending.borrow_mut().get_mut(&id) {
                Some(slot @ None) => {
                    *slot = Some(answer);
                    true
                }
                _ => false,
            });
            if waiting {
                me.answered.notify();
            }
        });
        port.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        self.handler.replace(Some(handler));
        self.port.replace(port);
    }

    /// The host is gone: every waiting request fails now.
    fn host_is_gone(&self) {
        self.down.set(true);
        for slot in self.pending.borrow_mut().values_mut() {
            slot.get_or_insert(Answer::HostGone);
        }
        self.answered.notify();
    }

    /// Leaves the current host (saying goodbye, in case it still listens) and talks to the one on `port`.
    pub fn reconnect(self: &Rc<Self>, port: MessagePort) {
        self.leave();
        self.host_is_gone();
        self.attach(port);
        self.last_heard_ms.set(js_sys::Date::now());
        self.down.set(false);
    }

    fn leave(&self) {
        let port = self.port.borrow();
        let _ = port.post_message(&super::js::object([("id", 0.into()), ("kind", "Goodbye".into())]));
        port.set_onmessage(None);
        port.close();
    }

    fn not_available(why: &str) -> Error {
        Error::BrokerNotAvailable(format!("{why}; retry, or reconnect to a new broker host"))
    }

    /// Logs in with the client's `sasl`, if it has one: at connecting, again at each reconnect, and before the
    /// session the host gave ends. Its errors are the login's (a token provider's are KafkaJS-shaped).
    pub async fn authenticate(&self) -> Result<(), JsValue> {
        let Some(sasl) = &self.sasl else { return Ok(()) };
        let mut client = SaslClient::new(sasl.login().await?, &mut js::random_bytes);
        let started = js_sys::Date::now();
        let mut request = client.first_request();
        loop {
            let answer = self.send(&request, &Trace::default()).await;
            match answer.and_then(|answer| client.next(answer)).map_err(|e| error::to_js(&e))? {
                SaslNext::Send(next) => request = next,
                SaslNext::Authenticated { session_lifetime_ms, .. } => {
                    // From before the exchange: the host's session started no earlier.
                    let ends = (session_lifetime_ms > 0).then_some(started + session_lifetime_ms as f64);
                    self.session_ends_ms.set(ends);
                    return Ok(());
                }
            }
        }
    }

    /// Renews the session once it is within `reauthenticationThreshold` of its end, as KafkaJS does (KIP-368):
    /// one renewal at a time, which requests made meanwhile wait for.
    async fn renew_session_if_due(&self) -> Result<(), Error> {
        loop {
            let Some(ends) = self.session_ends_ms.get() else { return Ok(()) };
            if js_sys::Date::now() < ends - f64::from(self.timeouts.reauth_threshold_ms) {
                return Ok(());
            }
            if !self.renewing.replace(true) {
                break;
            }
            self.renewed.wait(self.timeouts.request_ms).await;
        }
        let renewed = self.authenticate().await;
        self.renewing.set(false);
        self.renewed.notify();
        renewed.map_err(|e| {
            let why = e.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{e:?}"), |e| String::from(e.message()));
            Error::SaslAuthenticationFailed(format!("renewing the session failed: {why}"))
        })
    }

    async fn call(&self, request: &Request, trace: &Trace) -> Result<Response, Error> {
        if !request.is_sasl() {
            self.renew_session_if_due().await?;
        }
        self.send(request, trace).await
    }

    /// Sends one request and waits for its answer.
    async fn send(&self, request: &Request, trace: &Trace) -> Result<Response, Error> {
        if self.closed.get() {
            return Err(Error::BrokerNotAvailable("the connection to the broker host is closed".into()));
        }
        if self.down.get() {
            return Err(Self::not_available("the broker host stopped answering"));
        }
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let waits = match request {
            Request::Fetch { max_wait_ms, .. } => *max_wait_ms,
            // A JoinGroup waits for the rest of the group, up to its rebalance timeout.
            Request::JoinGroup(join) => join.rebalance_timeout_ms.clamp(0, i64::from(u32::MAX)) as u32,
            _ => 0,
        };
        self.pending.borrow_mut().insert(id, None);
        let posted = match frame::request(id as f64, request) {
            // A Fetch carries a spare buffer back to the host, which writes its answer's records into it.
            Some(mut f) => {
                let carry = matches!(request, Request::Fetch { .. });
                let buffer = super::transfer::outgoing_frame(&mut f, None, carry);
                super::transfer::post_frame(&self.port.borrow(), &buffer)
            }
            None => {
                let (envelope, transfer) = envelope_client::request(id as f64, request);
                super::transfer::sending(&envelope, &transfer);
                self.port.borrow().post_message_with_transferable(&envelope, &transfer)
            }
        };
        if posted.is_err() {
            self.pending.borrow_mut().remove(&id);
            return Err(Self::not_available("the broker host's port refused the request"));
        }
        trace.sent.set(Some((id, js_sys::Date::now())));
        let deadline = js_sys::Date::now() + f64::from(self.timeouts.request_ms.saturating_add(waits));
        let answer = loop {
            if let Some(Some(answer)) = self.pending.borrow().get(&id) {
                break answer.clone();
            }
            let left = deadline - js_sys::Date::now();
            if left <= 0.0 {
                self.pending.borrow_mut().remove(&id);
                trace.timed_out.set(true);
                return Err(Error::RequestTimedOut(format!(
                    "the broker host did not answer within {} ms (requestTimeout)",
                    self.timeouts.request_ms
                )));
            }
            self.answered.wait(left.ceil() as u32).await;
        };
        self.pending.borrow_mut().remove(&id);
        match answer {
            Answer::HostGone => Err(Self::not_available("the broker host stopped answering while this request waited")),
            Answer::Frame(bytes) => {
                trace.answer_bytes.set(Some(bytes.len()));
                let malformed =
                    |e: Error| Error::UnknownServerError(format!("the broker's answer is malformed: {}", e.detail()));
                frame::read_response(&bytes).map_err(malformed)?.1
            }
            Answer::Envelope(answer) => envelope_client::response(&answer)?.1,
        }
    }

    pub fn close(&self) {
        if !self.closed.replace(true) {
            self.leave();
            self.host_is_gone();
        }
    }
}

/// Every `heartbeat_ms`: tells the host this client lives, and declares the host gone when it has said nothing
/// for `host_ms`. Ends when the client is closed or dropped.
async fn heartbeats(remote: Weak<Remote>) {
    loop {
        let interval = match remote.upgrade() {
            Some(r) => r.timeouts.heartbeat_ms,
            None => return,
        };
        super::retry::sleep(interval).await;
        let Some(remote) = remote.upgrade() else { return };
        if remote.closed.get() {
            return;
        }
        if remote.down.get() {
            continue;
        }
        let silent_ms = js_sys::Date::now() - remote.last_heard_ms.get();
        if silent_ms > f64::from(remote.timeouts.host_ms) {
            remote.host_is_gone();
        } else {
            let beat = super::js::object([("id", 0.into()), ("kind", "Ping".into())]);
            let _ = remote.port.borrow().post_message(&beat);
        }
    }
}

impl Drop for Remote {
    /// The port must never call the handler once it is gone. A client dropped without being closed (its JS
    /// objects collected) says goodbye too, so the host frees it now instead of after its silence timeout.
    fn drop(&mut self) {
        if self.closed.get() {
            self.port.borrow().set_onmessage(None);
        } else {
            self.leave();
        }
    }
}

#[derive(Clone)]
enum Target {
    Local(Rc<Inner>),
    Remote(Rc<Remote>),
}

/// The cluster a client talks to, in this context or behind a port; a client's own reports its requests.
#[derive(Clone)]
pub struct Broker {
    target: Target,
    watch: Option<Rc<Watch>>,
}

/// A client whose requests its broker reports: its events, and the `clientId` they name.
struct Watch {
    events: Rc<Events>,
    client_id: Rc<str>,
    /// Numbers the in-page cluster's requests (a port's carry the ids they went with).
    next_id: Cell<u64>,
}

impl Broker {
    pub fn in_page(inner: Rc<Inner>) -> Broker {
        Broker { target: Target::Local(inner), watch: None }
    }

    pub fn through(remote: Rc<Remote>) -> Broker {
        Broker { target: Target::Remote(remote), watch: None }
    }

    /// This broker for one client, whose `events` hear of its requests (`<client>.network.request` and
    /// `.request_timeout`) while it has listeners for them.
    pub fn watched(&self, events: Rc<Events>, client_id: Rc<str>) -> Broker {
        let watch = Rc::new(Watch { events, client_id, next_id: Cell::new(0) });
        Broker { target: self.target.clone(), watch: Some(watch) }
    }

    /// One request, served completely: answered once durable where it changes the cluster, long-polled where it
    /// is a Fetch.
    pub async fn call(&self, request: Request) -> Result<Response, Error> {
        self.serve(Cow::Owned(request)).await
    }

    /// `call` for a request the caller keeps (to retry it): a broker host is sent it as it is, and only the
    /// in-page cluster, which takes requests whole, is given a copy.
    pub async fn call_kept(&self, request: &Request) -> Result<Response, Error> {
        self.serve(Cow::Borrowed(request)).await
    }

    async fn serve(&self, request: Cow<'_, Request>) -> Result<Response, Error> {
        let trace = Trace::default();
        let (api, created) = (request.api(), self.watched_now());
        let answer = match &self.target {
            Target::Local(inner) => inner.call(request.into_owned()).await,
            Target::Remote(remote) => remote.call(&request, &trace).await,
        };
        self.report(api, created, &trace);
        answer
    }

    /// Now, if the client listens for its requests (the time a request is made, for its event).
    fn watched_now(&self) -> Option<f64> {
        let watch = self.watch.as_ref()?;
        let listens = watch.events.wanted_key("REQUEST") || watch.events.wanted_key("REQUEST_TIMEOUT");
        listens.then(js_sys::Date::now)
    }

    /// KafkaJS's `network.request` event for a request answered (`size`: the answer's bytes, through a port),
    /// or its `network.request_timeout` for one a broker host left unanswered.
    fn report(&self, (api_key, api_name): (i16, &'static str), created: Option<f64>, trace: &Trace) {
        let (Some(watch), Some(created)) = (&self.watch, created) else { return };
        let (id, sent) = match (&self.target, trace.sent.get()) {
            (Target::Remote(_), None) => return, // never reached the host
            (Target::Remote(_), Some(sent)) => sent,
            (Target::Local(_), _) => (watch.next_id.replace(watch.next_id.get() + 1), created),
        };
        let event = if trace.timed_out.get() { "REQUEST_TIMEOUT" } else { "REQUEST" };
        watch.events.instrument_key(event, || {
            let fields = js::object([
                ("broker", self.address().into()),
                ("clientId", (*watch.client_id).into()),
                ("correlationId", (id as f64).into()),
                ("createdAt", created.into()),
                ("sentAt", sent.into()),
                ("pendingDuration", (sent - created).into()),
                ("apiName", api_name.into()),
                ("apiKey", api_key.into()),
            ]);
            if !trace.timed_out.get() {
                js::set(&fields, "duration", js_sys::Date::now() - sent);
                if let Some(bytes) = trace.answer_bytes.get() {
                    js::set(&fields, "size", bytes as f64);
                }
            }
            fields.into()
        });
    }

    /// KafkaJS's `network.request_queue_size` event: `size` requests wait for a place among those in flight.
    pub fn report_queue(&self, size: u32) {
        let Some(watch) = &self.watch else { return };
        watch.events.instrument_key("REQUEST_QUEUE_SIZE", || {
            let broker = self.address().into();
            js::object([("broker", broker), ("clientId", (*watch.client_id).into()), ("queueSize", size.into())]).into()
        });
    }

    /// The broker, as KafkaJS's network events name it: a franz-local name for the cluster.
    fn address(&self) -> String {
        format!("{}.franz.local", self.cluster_name())
    }

    /// The in-page cluster, if the broker is here: for events and storage features only a host has.
    pub fn local(&self) -> Option<&Rc<Inner>> {
        match &self.target {
            Target::Local(inner) => Some(inner),
            Target::Remote(_) => None,
        }
    }

    /// The broker host's connection, if the broker is behind a port.
    pub fn remote(&self) -> Option<&Rc<Remote>> {
        match &self.target {
            Target::Remote(remote) => Some(remote),
            Target::Local(_) => None,
        }
    }

    /// The cluster's name: the in-page one's, or the one the host reported when connecting.
    pub fn cluster_name(&self) -> String {
        match &self.target {
            Target::Local(inner) => inner.cluster_name.clone(),
            Target::Remote(remote) => remote.cluster_name.borrow().clone(),
        }
    }

    pub fn check_open(&self) -> Result<(), JsValue> {
        match &self.target {
            Target::Local(inner) => inner.check_open(),
            Target::Remote(remote) if remote.closed.get() => {
                Err(super::error::client_error("CLUSTER_CLOSED", "the connection to the broker host was closed"))
            }
            Target::Remote(_) => Ok(()),
        }
    }
}
