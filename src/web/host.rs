//! Serving the protocol to other contexts: a broker host (a page or a dedicated worker that opened a cluster)
//! answers envelopes from any number of `MessagePort`s. Each envelope is served on its own, so a slow long poll
//! never holds up another client's produce, and answers may return out of order (envelopes carry ids). A
//! malformed envelope gets an error answer; the host goes on serving everyone.
//!
//! A `MessagePort` says nothing when the worker at its other end is terminated, so a client must be heard from
//! (any envelope, or a `Ping`, answered with a `Pong`) at least every `clientTimeout` ms. (A group member's
//! `Heartbeat` is a protocol request like any other.) A silent client is dropped: its long polls
//! end unanswered, its port is closed and its handler freed. A client that leaves says `Goodbye`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, MessagePort};

use super::envelope;
use super::js;
use super::kafka::Inner;
use crate::core::acl::authorizer::Client as AuthClient;
use crate::core::acl::sasl::SaslSession;
use crate::core::acl::ANONYMOUS;
use crate::core::error::Error;
use crate::core::frame;
use crate::core::groups::Reply;
use crate::core::log::OffsetSpec;
use crate::core::protocol::{Request, Response};

/// How long a SyncGroup may wait for the leader's, and what a JoinGroup may wait beyond its rebalance timeout.
const GROUP_WAIT_SLACK_MS: i64 = 30_000;
/// Group answers kept for members that have not come for them yet.
const MAX_GROUP_MAIL: usize = 1000;

/// How long a served client may be silent before it is taken for dead: ten missed heartbeats at
/// `Kafka.connect`'s default rate.
pub const DEFAULT_CLIENT_TIMEOUT_MS: u32 = 10_000;

type Handler = Closure<dyn FnMut(MessageEvent)>;

/// One client served on a port.
pub(crate) struct Client {
    port: MessagePort,
    last_heard_ms: Cell<i64>,
    timeout_ms: u32,
    gone: Cell<bool>,
    on_message: RefCell<Option<Handler>>,
    /// Who the client is to the authorizer: `User:ANONYMOUS` until a SaslAuthenticate says otherwise.
    identity: RefCell<AuthClient>,
    /// Where the client's SASL exchange stands: SCRAM's takes two requests.
    sasl: RefCell<SaslSession>,
}

impl Client {
    fn answer(&self, message: &JsValue, transfer: &Array) {
        if !self.gone.get() {
            // A port whose other end is gone accepts the message and drops it; that is what the sweep is for.
            let _ = self.port.post_message_with_transferable(message, transfer);
        }
    }

    fn answer_frame(&self, frame: &ArrayBuffer) {
        if !self.gone.get() {
            let _ = super::transfer::post_frame(&self.port, frame);
        }
    }

    /// A session that has ended (KIP-368) takes nothing but SASL until renewed; Kafka closes such a connection.
    fn check_session(&self) -> Result<(), Error> {
        if self.sasl.borrow().expired(|| js_sys::Date::now() as i64) {
            return Err(Error::SaslAuthenticationFailed(
                "the session ended (connections.max.reauth.ms): authenticate again before it ends, as Kafka's \
                 clients do (KIP-368)"
                    .into(),
            ));
        }
        Ok(())
    }
}

impl Inner {
    /// Serves one request completely: a Fetch waits (up to `max_wait_ms`) until `min_bytes` are there, as Kafka's
    /// long poll does; a request that changes the cluster is answered only once storage has the change.
    pub async fn call(self: &Rc<Self>, request: Request) -> Result<Response, Error> {
        let who = self.client.borrow().clone();
        self.call_while(&who, request, &|| true).await
    }

    /// [`Inner::call`] for `who`, a client that may go away: its long poll ends as soon as `wanted()` is false.
    async fn call_while(
        self: &Rc<Self>,
        who: &AuthClient,
        request: Request,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Response, Error> {
        grow_memory_ahead();
        let (request, refused) = self.cluster.borrow().authorize(who, request)?;
        let mut response = self.serve_authorized(who, request, !refused.is_empty(), wanted).await?;
        refused.answer_in(&mut response);
        Ok(response)
    }

    /// Serves what [`crate::core::cluster::Cluster::authorize`] let through; `refused_some` when it left some of
    /// the request out.
    async fn serve_authorized(
        self: &Rc<Self>,
        who: &AuthClient,
        request: Request,
        refused_some: bool,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Response, Error> {
        if let Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack, isolation } = request {
            if partitions.is_empty() && refused_some {
                // Nothing left to wait for: Kafka answers the refused partitions at once.
                return Ok(Response::Fetch(Vec::new()));
            }
            let deadline = self.now_ms() + i64::from(max_wait_ms);
            loop {
                let answers = self.fetch_batches(partitions.clone(), max_bytes, rack.clone(), isolation).await?;
                let bytes: usize = answers
                    .iter()
                    .filter_map(|a| a.result.as_ref().ok())
                    .map(|f| f.batches.iter().map(|b| b.len()).sum::<usize>())
                    .sum();
                let left = deadline - self.now_ms();
                if bytes >= min_bytes || left <= 0 || self.check_open().is_err() || !wanted() {
                    return Ok(Response::Fetch(answers));
                }
                self.wait_for_data(left as u32).await;
            }
        }
        // A lookup by time must reach batches that only storage holds.
        if let Request::ListOffsets { topic, partition, spec: OffsetSpec::Timestamp(t) } = &request {
            return Ok(Response::ListOffsets(self.offset_for_timestamp(topic, *partition as u32, *t).await?));
        }
        let mutates = request.mutates();
        let change = request.change_kind().map(|kind| (kind, request.single_topic().map(str::to_owned)));
        let auto_created = self.cluster.borrow().auto_creates(&request);
        let waits_ms = match &request {
            Request::JoinGroup(join) => join.rebalance_timeout_ms.max(0) + GROUP_WAIT_SLACK_MS,
            _ => GROUP_WAIT_SLACK_MS,
        };
        let ack_timeout_ms = match &request {
            Request::Produce { timeout_ms, .. } => i64::from(*timeout_ms).max(0),
            _ => 0,
        };
        let mut response = self.serve(request)?;
        self.cluster.borrow().authorize_response(who, &mut response);
        self.collect_group_replies();
        self.collect_acks();
        if let Response::GroupPending { group, member_id } = response {
            return self.group_answer(&group, &member_id, waits_ms, wanted).await;
        }
        if mutates {
            self.persist().await?;
            self.data_arrived();
            // The long polls this woke answer first: a consumer's latency does not include the producer's ack.
            super::signal::yield_now().await;
            self.await_acks(&mut response, ack_timeout_ms).await;
            self.await_deleted_records(&mut response).await;
        }
        if let Some((kind, topic)) = change {
            for topic in response.changed_topics(topic.as_deref()) {
                self.changed(kind, &topic);
            }
        }
        // Those created: a topic whose name is invalid is answered with why, and not created.
        let created = |t: &String| match &response {
            Response::Metadata { topics, .. } => topics.iter().any(|(name, result)| name == t && result.is_ok()),
            _ => false,
        };
        for topic in auto_created.into_iter().filter(created) {
            self.changed("createTopics", &topic);
        }
        Ok(response)
    }

    /// Moves the coordinator's answers to JoinGroup and SyncGroup into the mailbox, and wakes who waits on them.
    pub fn collect_group_replies(&self) {
        let replies = self.cluster.borrow_mut().groups.take_replies();
        if replies.is_empty() {
            return;
        }
        // A group's membership or assignment changed: views show groups too.
        let groups: std::collections::BTreeSet<String> = replies
            .iter()
            .map(|r| match r {
                Reply::Join { group, .. } | Reply::Sync { group, .. } => group.clone(),
            })
            .collect();
        for group in groups {
            self.changed("group", &group);
        }
        let mut mail = self.group_mail.borrow_mut();
        mail.extend(replies);
        // Answers nobody came for (a member that gave up) must not pile up.
        let excess = mail.len().saturating_sub(MAX_GROUP_MAIL);
        mail.drain(..excess);
        drop(mail);
        self.data_arrived();
    }

    /// Waits for the coordinator's answer to `member_id`'s JoinGroup or SyncGroup (other members' requests, or
    /// the ticker's timeouts, complete it).
    async fn group_answer(
        self: &Rc<Self>,
        group: &str,
        member_id: &str,
        waits_ms: i64,
        wanted: &dyn Fn() -> bool,
    ) -> Result<Response, Error> {
        let deadline = self.now_ms() + waits_ms;
        loop {
            let found = {
                let mut mail = self.group_mail.borrow_mut();
                let at = mail.iter().position(|r| match r {
                    Reply::Join { group: g, member_id: m, .. } | Reply::Sync { group: g, member_id: m, .. } => {
                        g == group && m == member_id
                    }
                });
                at.map(|i| mail.remove(i))
            };
            match found {
                Some(Reply::Join { result, .. }) => return result.map(Response::Joined),
                Some(Reply::Sync { result, .. }) => return result.map(Response::Synced),
                None => {}
            }
            let left = deadline - self.now_ms();
            if left <= 0 || self.check_open().is_err() || !wanted() {
                return Err(Error::RebalanceInProgress(format!(
                    "group {group:?} did not finish rebalancing in time: join again"
                )));
            }
            self.wait_for_data(left.min(1000) as u32).await;
        }
    }

    /// Answers one protocol envelope: the response envelope and the ArrayBuffers to transfer with it.
    async fn answer(self: &Rc<Self>, message: JsValue, client: &Rc<Client>) -> (JsValue, Array) {
        let Some(id) = envelope::id_of(&message) else {
            let e = Error::InvalidRequest("an envelope needs a numeric id".into());
            return (envelope::error_response(None, &e).into(), Array::new());
        };
        let request = envelope::request(&message);
        // Read synchronously, so these are this request's buffers: they go back to its client with the answer.
        let given = super::transfer::to_give();
        let who = client.identity.borrow().clone();
        let result = match request {
            Ok(request) if request.is_sasl() => {
                let credentials = self.cluster.borrow().credentials().clone();
                client.sasl.borrow_mut().serve(&credentials, request, js_sys::Date::now() as i64, &mut js::random_bytes)
            }
            Ok(request) => match client.check_session() {
                Ok(()) => self.call_while(&who, request, &|| !client.gone.get()).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if let Ok(Response::SaslAuthenticate { principal: Some(principal), .. }) = &result {
            client.identity.borrow_mut().principal = principal.clone();
        }
        let (out, transfer) = match result {
            Ok(response) => envelope::response(id, &response),
            Err(e) => (envelope::error_response(Some(id), &e), Array::new()),
        };
        super::transfer::give(&out, &transfer, &given);
        (out.into(), transfer)
    }

    /// Answers a framed request (Produce, Fetch: `core::frame`) with a frame, written into the buffer the request
    /// came in when it fits, so the buffer goes back to the client that sends record data in it.
    /// A buffer that is no frame is answered with an error envelope (`Err`).
    async fn answer_frame(self: &Rc<Self>, buffer: ArrayBuffer, client: &Rc<Client>) -> Result<ArrayBuffer, JsValue> {
        let bytes = super::transfer::incoming_frame(&buffer);
        let Some(id) = frame::id_of(&bytes) else {
            // Not a frame: without an id to answer by, an envelope says so, as for an envelope without one.
            let e = Error::InvalidRequest("a message that is not an envelope must be a franz frame".into());
            return Err(envelope::error_response(None, &e).into());
        };
        let answer = match frame::read_request(&bytes).and_then(|read| client.check_session().map(|()| read)) {
            Ok((_, request)) => {
                // The request's records are now the only holders of their bytes: a leader keeps them uncopied.
                drop(bytes);
                let who = client.identity.borrow().clone();
                self.call_while(&who, request, &|| !client.gone.get()).await
            }
            Err(e) => Err(e),
        };
        Ok(super::transfer::outgoing_frame(&mut frame::response(id, &answer), Some(buffer), false))
    }

    /// Handles whatever a client sent: a frame, a ping, a goodbye, or a request.
    async fn receive(self: &Rc<Self>, client: Rc<Client>, message: JsValue) {
        client.last_heard_ms.set(self.now_ms());
        if let Some(buffer) = message.dyn_ref::<ArrayBuffer>() {
            return match self.answer_frame(buffer.clone(), &client).await {
                Ok(frame) => client.answer_frame(&frame),
                Err(envelope) => client.answer(&envelope, &Array::new()),
            };
        }
        super::transfer::received(&message);
        match js::get(&message, "kind").as_string().as_deref() {
            Some("Ping") => {
                client.answer(&js::object([("id", js::get(&message, "id")), ("kind", "Pong".into())]), &Array::new())
            }
            Some("Goodbye") => self.drop_client(&client, "it said goodbye"),
            _ => {
                let (answer, transfer) = self.answer(message, &client).await;
                client.answer(&answer, &transfer);
            }
        }
    }

    /// Starts serving envelopes that arrive on `port`. A served cluster must outlive the page's handle to it (a
    /// worker's clients keep talking after the page forgets the object), so the handler holds the cluster; the
    /// cycle ends when the client goes or at `close()`.
    pub fn serve_port(self: &Rc<Self>, port: MessagePort, timeout_ms: u32) {
        self.serve_port_as(port, timeout_ms, ANONYMOUS);
    }

    /// [`Inner::serve_port`] for a client that is `principal` from the start, without authenticating.
    pub fn serve_port_as(self: &Rc<Self>, port: MessagePort, timeout_ms: u32, principal: &str) {
        let client = Rc::new(Client {
            port: port.clone(),
            last_heard_ms: Cell::new(self.now_ms()),
            timeout_ms,
            gone: Cell::new(false),
            on_message: RefCell::default(),
            identity: RefCell::new(AuthClient { principal: principal.into(), host: super::kafka::CLIENT_HOST.into() }),
            sasl: RefCell::default(),
        });
        let (inner, me) = (self.clone(), client.clone());
        let on_message = Handler::new(move |event: MessageEvent| {
            let (inner, me) = (inner.clone(), me.clone());
            // Served outside the handler, so a goodbye may free the handler itself.
            wasm_bindgen_futures::spawn_local(async move { inner.receive(me, event.data()).await });
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        client.on_message.replace(Some(on_message));
        self.clients.borrow_mut().push(client);
        self.changed("clientJoined", "");
    }

    /// Forgets a client: closes its port, frees its handler, and ends its long polls (woken, they see it gone).
    fn drop_client(&self, client: &Rc<Client>, why: &str) {
        if client.gone.replace(true) {
            return;
        }
        client.port.set_onmessage(None);
        client.port.close();
        client.on_message.take();
        self.clients.borrow_mut().retain(|c| !Rc::ptr_eq(c, client));
        self.data_arrived();
        self.changed("clientLeft", "");
        self.log.log(super::log::LogLevel::DEBUG, "BrokerHost", &format!("a client was dropped: {why}"), || {
            JsValue::UNDEFINED
        });
    }

    /// Drops every client not heard from within its timeout (called by the ticker).
    pub fn sweep_clients(&self) {
        let now = self.now_ms();
        let silent: Vec<Rc<Client>> = self
            .clients
            .borrow()
            .iter()
            .filter(|c| now - c.last_heard_ms.get() > i64::from(c.timeout_ms))
            .cloned()
            .collect();
        for client in silent {
            self.drop_client(&client, &format!("silent for more than {} ms", client.timeout_ms));
        }
    }

    /// Drops every client (the cluster is closing).
    pub fn drop_all_clients(&self) {
        let clients = self.clients.borrow().clone();
        for client in clients {
            self.drop_client(&client, "the cluster closed");
        }
    }
}

/// The least wasm memory grows by at a time when received data needs more.
const GROWTH_STEP_BYTES: usize = 4 << 20;

thread_local! {
    /// wasm memory's size in pages when last looked at (0: not yet).
    static PAGES_SEEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Keeps free memory ahead of the allocator (called for every request served). Left to itself it grows wasm
/// memory by each allocation that does not fit, and a log keeps every batch it receives, so nearly every produce
/// grew memory (840 of 1000 requests in the workers benchmark), and V8's `memory.grow` costs ~20–30 µs a call
/// in Chromium, about half of what writing the 112 KB it makes room for costs. So once memory has grown, a block
/// of `GROWTH_STEP_BYTES` is allocated and freed at once: the allocator keeps it as free space, and the next
/// requests fit in it.
fn grow_memory_ahead() {
    let pages = core::arch::wasm32::memory_size(0);
    let seen = PAGES_SEEN.replace(pages);
    if seen != 0 && seen != pages {
        // Fallible: near wasm's 4 GiB limit the step may not fit where the requests themselves still do.
        let mut block = Vec::<u8>::new();
        if block.try_reserve_exact(GROWTH_STEP_BYTES).is_ok() {
            drop(std::hint::black_box(block));
        }
        PAGES_SEEN.set(core::arch::wasm32::memory_size(0));
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen_test::*;

    use super::super::kafka::{open_config, open_local};
    use super::super::signal::yield_now;
    use crate::core::cluster::NewTopic;
    use crate::core::protocol::{FetchPartition, Isolation, ProduceData, ProducePartition, Request, Response};
    use crate::core::record::Record;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn memory_grows_in_large_steps_while_data_is_kept() {
        let pages = || core::arch::wasm32::memory_size(0);
        let mut kept = Vec::new();
        let mut grew = 0;
        // 64 allocations of 112 KB that stay, as a log keeps its batches: 7 MiB, one grow per one or two of them
        // without looking ahead; with it, the first grow is followed by 4 MiB that need none.
        super::grow_memory_ahead();
        for _ in 0..64 {
            let before = pages();
            kept.push(vec![1u8; 112 << 10]);
            grew += usize::from(pages() != before);
            super::grow_memory_ahead();
        }
        assert!(grew <= 4, "memory grew {grew} times for 64 kept allocations");
    }

    #[wasm_bindgen_test]
    async fn a_long_poll_a_produce_wakes_is_answered_before_that_produce() {
        let config = js_sys::JSON::parse(r#"{"storage":"memory","brokers":1}"#).unwrap();
        let inner = open_local(open_config(&config).unwrap(), crate::core::acl::ANONYMOUS.into()).await.unwrap();
        let topic = NewTopic::new("t", 1, 1);
        inner.call(Request::CreateTopics { topics: vec![topic], validate_only: false }).await.unwrap();
        let answered = Rc::new(RefCell::new(Vec::new()));
        let (cluster, order) = (inner.clone(), answered.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let partitions = vec![FetchPartition { topic: "t".into(), partition: 0, offset: 0, max_bytes: 1 << 20 }];
            let fetch = Request::Fetch {
                partitions,
                min_bytes: 1,
                max_bytes: usize::MAX,
                max_wait_ms: 5000,
                rack: None,
                isolation: Isolation::ReadUncommitted,
            };
            let Ok(Response::Fetch(answers)) = cluster.call(fetch).await else { panic!("not a fetch answer") };
            let bytes: usize =
                answers.iter().flat_map(|a| a.result.iter()).flat_map(|f| &f.batches).map(|b| b.len()).sum();
            order.borrow_mut().push(if bytes > 0 { "fetch with the record" } else { "empty fetch" });
        });
        yield_now().await; // the fetch runs, finds nothing, and waits
        assert!(answered.borrow().is_empty(), "the fetch waits for data");
        let data = ProduceData::records(&[Record::new("v", 1)], None);
        let produce = Request::Produce {
            acks: 1,
            timeout_ms: 30_000,
            partitions: vec![ProducePartition { topic: "t".into(), partition: 0, data }],
        };
        inner.call(produce).await.unwrap();
        answered.borrow_mut().push("produce");
        assert_eq!(*answered.borrow(), ["fetch with the record", "produce"]);
        inner.close().await.unwrap();
        // Its ticker ends at its next beat: no timer of this cluster is left for the tests after this one.
        super::super::retry::sleep(super::super::durable::TICK_MS + 50).await;
    }
}
