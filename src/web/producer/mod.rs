//! `kafka.producer()`: KafkaJS's producer, with Kafka's accumulator: sends queue up per partition, requests carry
//! one RecordBatch v2 per partition (`batchSize`, `lingerMs`), at most `maxInFlightRequests` are out at once,
//! and sends resolve in the order they were made.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::broker::Broker;
use super::error;
use super::events::{self, Events};
use super::js::{self, object};
use super::kafka::resolved;
use super::log::{LogLevel, Logger};
use super::pack;
use super::partitioners::{self, Partitioning};
use super::retry::{sleep, worth_retrying, Retry};
use super::transaction::{self, Run, Transactional};
use crate::core::client::{encode_packed, Accumulator, Drained, Piece};
use crate::core::cluster::ProduceResult;
use crate::core::error::Error;
use crate::core::log::ProducerBatch;
use crate::core::partitioner::{KeyHash, NullKeyStrategy, Partitioner};
use crate::core::protocol::{ProduceData, ProducePartition, Request, Response};

mod sends;
pub use sends::CompressionTypes;
use sends::{acks, Delivery};
pub(crate) use sends::{batch_sends, compression_of, record_sends, Sends};

/// Kafka's `batch.size` default: at most this many bytes of records per partition in one request.
const DEFAULT_BATCH_BYTES: u32 = 16_384;
/// Kafka's `max.in.flight.requests.per.connection` default.
const DEFAULT_MAX_IN_FLIGHT: u32 = 5;

#[wasm_bindgen]
pub struct Producer {
    state: Rc<State>,
}

/// A send's records for one partition wait in the accumulator under this tag: whose they are, and which piece.
type Tag = (Rc<Outcome>, usize);

pub(crate) struct State {
    broker: Broker,
    partitioner: RefCell<Partitioner>,
    /// The app's own partitioner (`createPartitioner`), called per message; `None` places them in wasm.
    custom_partitioner: Option<Function>,
    connected: Cell<bool>,
    /// The producer's `acks` (default -1, all), used when a send names none.
    acks: i16,
    /// KafkaJS's `allowAutoTopicCreation` (default true): its Metadata requests let the cluster create a topic
    /// that does not exist, where the cluster's `auto.create.topics.enable` allows it.
    allow_auto_topic_creation: bool,
    /// For an idempotent producer: its id, epoch and next sequence per partition.
    idempotence: Option<RefCell<Idempotence>>,
    /// For a transactional producer (`transactionalId`): its id and its transaction under way.
    pub(crate) transactional: Option<Transactional>,
    retry: Retry,
    /// Kafka's `linger.ms`, `batch.size` and `max.in.flight.requests.per.connection`.
    linger_ms: u32,
    max_in_flight: usize,
    accumulator: RefCell<Accumulator<Tag>>,
    in_flight: Cell<usize>,
    /// Records wait for a place among the requests in flight.
    queued: Cell<bool>,
    /// A linger timer is set.
    lingering: Cell<bool>,
    /// An InitProducerId is under way.
    initializing: Cell<bool>,
    /// Sends are partitioned and queued in the order they were made, even when one waits for metadata.
    intake: Turns,
    /// Requests are finished (their sends resolved, their failures retried) in the order they were sent.
    finishing: Turns,
    metadata: RefCell<HashMap<String, KnownTopic>>,
    metadata_max_age_ms: f64,
    events: Rc<Events>,
}

/// An idempotent producer's state. `id` is `None` until the first send asks InitProducerId, and again after a
/// failed write: the cluster reloaded without that batch, so the sequences no longer match and the producer
/// starts over under a new id (as Kafka's producer does since KIP-360).
#[derive(Default)]
struct Idempotence {
    id: Option<(i64, i16)>,
    next_sequence: BTreeMap<(String, u32), i32>,
}

/// What the producer knows of a topic: its partition count, the partitions with a leader, and when it learnt so.
struct KnownTopic {
    partitions: u32,
    available: Vec<u32>,
    at_ms: f64,
    /// KafkaJS's `partitionMetadata`, for the app's own partitioner.
    partition_metadata: Option<JsValue>,
}

/// One topic's messages of a send, already checked and packed, and when they were sent (the timestamp of those
/// without one).
pub(crate) struct TopicSend {
    topic: String,
    packed: pack::Packed,
    sent_ms: i64,
    /// The messages as given, for the app's own partitioner.
    messages: Option<JsValue>,
}

/// Tickets served strictly in the order they were taken.
#[derive(Default)]
struct Turns {
    issued: Cell<u64>,
    current: Cell<u64>,
    waiting: RefCell<Vec<(u64, Function)>>,
}

impl Turns {
    fn ticket(&self) -> u64 {
        let t = self.issued.get();
        self.issued.set(t + 1);
        t
    }

    async fn wait(&self, ticket: u64) {
        if self.current.get() == ticket {
            return;
        }
        let turn = Promise::new(&mut |resolve, _| self.waiting.borrow_mut().push((ticket, resolve)));
        let _ = super::signal::settled(&turn).await;
    }

    fn done(&self, ticket: u64) {
        self.current.set(ticket + 1);
        let next = {
            let mut waiting = self.waiting.borrow_mut();
            waiting.iter().position(|(t, _)| *t == ticket + 1).map(|i| waiting.swap_remove(i).1)
        };
        if let Some(resolve) = next {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }
}

/// Where a send learns its outcome: KafkaJS's RecordMetadata for each of its pieces, as their requests return.
struct Outcome {
    results: RefCell<Vec<Option<JsValue>>>,
    left: Cell<usize>,
    /// The first failure: a cluster's error, or what the app's partitioner threw.
    error: RefCell<Option<JsValue>>,
    /// `resolve` and `reject` of the send's promise; `None` for acks=0, which resolved at once.
    settle: Option<(Function, Function)>,
    broker: Broker,
}

impl Outcome {
    fn expect(&self, pieces: usize) {
        self.results.replace(vec![None; pieces]);
        self.left.set(pieces);
        if pieces == 0 {
            self.finish();
        }
    }

    fn piece_done(&self, index: usize, result: Result<JsValue, Error>) {
        match result {
            Ok(metadata) => self.results.borrow_mut()[index] = Some(metadata),
            Err(e) => {
                self.error.borrow_mut().get_or_insert_with(|| to_js(e));
            }
        }
        self.left.set(self.left.get().saturating_sub(1));
        if self.left.get() == 0 {
            self.finish();
        }
    }

    /// KafkaJS rejects a send when any partition fails; partitions that succeeded stay written, as in Kafka.
    fn finish(&self) {
        let error = self.error.borrow_mut().take();
        match (&self.settle, error) {
            (Some((_, reject)), Some(e)) => {
                let _ = reject.call1(&JsValue::NULL, &e);
            }
            (Some((resolve, _)), None) => {
                let metadata = js::array(self.results.take().into_iter().flatten());
                let _ = resolve.call1(&JsValue::NULL, &metadata);
            }
            // acks=0: nobody waits; a failure is reported as a warning where the cluster runs.
            (None, Some(e)) => {
                if let Some(inner) = self.broker.local() {
                    let message = e.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{e:?}"), |e| e.message().into());
                    inner.warn(&format!("an acks=0 send failed: {message}"));
                }
            }
            (None, None) => {}
        }
    }

    fn fail(&self, e: JsValue) {
        self.error.borrow_mut().get_or_insert(e);
        self.left.set(0);
        self.finish();
    }
}

fn to_js(e: Error) -> JsValue {
    error::to_js(&e)
}

/// A positive whole number option, or `default`.
fn positive(config: &JsValue, key: &'static str, default: u32) -> Result<u32, JsValue> {
    match js::opt_int::<u32>(config, key, key)? {
        Some(0) => Err(error::type_error(&format!("{key} must be at least 1"))),
        v => Ok(v.unwrap_or(default)),
    }
}

impl Producer {
    pub(crate) fn new(
        broker: Broker,
        client_id: Rc<str>,
        log: Rc<Logger>,
        config: &JsValue,
    ) -> Result<Producer, JsValue> {
        let events = Events::new(events::PRODUCER, log, "Producer");
        let transactional = Transactional::from_config(config)?;
        let idempotent = transactional.is_some() || js::opt_bool(config, "idempotent", "idempotent")?.unwrap_or(false);
        let null_key = js::opt_string(config, "nullKeyPartitioner", "nullKeyPartitioner")?;
        let strategy = match null_key.as_deref() {
            None | Some("round-robin") => NullKeyStrategy::RoundRobin,
            Some("sticky") => NullKeyStrategy::Sticky,
            Some(other) => {
                return Err(error::type_error(&format!(
                    "nullKeyPartitioner must be 'round-robin' or 'sticky', got {other:?}"
                )))
            }
        };
        let (key_hash, custom_partitioner) = match Partitioning::from_config(&js::get(config, "createPartitioner"))? {
            Partitioning::Builtin(hash) => (hash, None),
            Partitioning::Custom(_) if null_key.is_some() => {
                return Err(error::type_error(
                    "nullKeyPartitioner is for franz's own partitioners: a createPartitioner partitioner places \
                     every message itself",
                ))
            }
            Partitioning::Custom(f) => (KeyHash::Java, Some(f)),
        };
        let acks = acks(config, -1)?;
        Ok(Producer {
            state: Rc::new(State {
                broker: broker.watched(events.clone(), client_id),
                partitioner: RefCell::new(
                    Partitioner::new(strategy, js_sys::Date::now() as u64).with_key_hash(key_hash),
                ),
                custom_partitioner,
                connected: Cell::new(false),
                acks,
                allow_auto_topic_creation: js::opt_bool(config, "allowAutoTopicCreation", "allowAutoTopicCreation")?
                    .unwrap_or(true),
                idempotence: idempotent.then(RefCell::default),
                transactional,
                retry: Retry::from_config(config)?,
                linger_ms: js::opt_int::<u32>(config, "lingerMs", "lingerMs")?.unwrap_or(0),
                max_in_flight: positive(config, "maxInFlightRequests", DEFAULT_MAX_IN_FLIGHT)? as usize,
                accumulator: RefCell::new(Accumulator::new(
                    positive(config, "batchSize", DEFAULT_BATCH_BYTES)? as usize
                )),
                in_flight: Cell::new(0),
                queued: Cell::new(false),
                lingering: Cell::new(false),
                initializing: Cell::new(false),
                intake: Turns::default(),
                finishing: Turns::default(),
                metadata: RefCell::default(),
                metadata_max_age_ms: f64::from(
                    js::opt_int::<u32>(config, "metadataMaxAge", "metadataMaxAge")?.unwrap_or(300_000),
                ),
                events,
            }),
        })
    }
}

impl State {
    /// Checks a send's arguments now (a wrong type rejects before anything is sent) and queues it; `run`: the
    /// transaction it is part of, which a transactional producer's sends must have.
    pub(crate) fn send_all(self: &Rc<Self>, sends: Sends, run: Option<&Rc<Run>>) -> Promise {
        let (sends, delivery) = match sends {
            Ok(s) => s,
            Err(e) => return Promise::reject(&e),
        };
        let acks = delivery.acks;
        if let Err(e) = self.check_connected() {
            return Promise::reject(&e);
        }
        let run = match (&self.transactional, run) {
            (None, _) => None,
            (Some(txn), None) => match txn.running() {
                Ok(run) => Some(run),
                Err(e) => return Promise::reject(&e),
            },
            (Some(_), Some(run)) => match run.check_active() {
                Ok(()) => Some(run.clone()),
                Err(e) => return Promise::reject(&e),
            },
        };
        if self.idempotence.is_some() && acks != -1 {
            return Promise::reject(&to_js(Error::InvalidRequiredAcks(format!(
                "an idempotent producer needs acks=-1 (all): acks={acks} would give up its no-duplicates guarantee"
            ))));
        }
        let ticket = self.intake.ticket();
        let mut settle = None;
        let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        // Kafka answers acks=0 with nothing, so KafkaJS resolves at once; the records still go.
        let fire_and_forget = acks == 0;
        let outcome = Rc::new(Outcome {
            results: RefCell::default(),
            left: Cell::new(0),
            error: RefCell::default(),
            settle: if fire_and_forget { None } else { settle },
            broker: self.broker.clone(),
        });
        let state = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            state.intake.wait(ticket).await;
            let queued = state.enqueue(sends, delivery, &outcome).await;
            state.intake.done(ticket);
            match queued {
                Ok(()) => state.pump(),
                Err(e) => outcome.fail(e),
            }
        });
        if fire_and_forget {
            return resolved(js::array(Vec::<JsValue>::new()).into());
        }
        if let Some(run) = run {
            run.sends.borrow_mut().push(promise.clone());
        }
        promise
    }

    /// A request that is not a produce (metadata, producer id), tried again while the broker cannot be reached.
    async fn call(&self, request: Request) -> Result<Response, Error> {
        self.call_while(request, worth_retrying).await
    }

    /// A request tried again, within the retry budget, while it fails in a way `retry_if` accepts.
    pub(crate) async fn call_while(&self, request: Request, retry_if: fn(&Error) -> bool) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            match self.broker.call(request.clone()).await {
                Err(e) if retry_if(&e) && attempt < self.retry.retries => {
                    self.retry.wait(attempt).await;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }

    pub(crate) fn check_connected(&self) -> Result<(), JsValue> {
        self.broker.check_open()?;
        if self.connected.get() {
            Ok(())
        } else {
            Err(error::client_error("CLIENT_NOT_CONNECTED", "The producer is disconnected: call connect() first"))
        }
    }

    /// The partition count of `topic` and its partitions that have a leader, from the cache while it is fresh
    /// (Kafka's `metadata.max.age.ms`), creating the topic where the cluster auto-creates topics.
    async fn partitions_of(&self, topic: &str) -> Result<(u32, Vec<u32>), Error> {
        let now = js_sys::Date::now();
        if let Some(known) = self.metadata.borrow().get(topic) {
            if now - known.at_ms < self.metadata_max_age_ms {
                return Ok((known.partitions, known.available.clone()));
            }
        }
        let request =
            Request::Metadata { topics: Some(vec![topic.to_owned()]), auto_create: self.allow_auto_topic_creation };
        let (_, topics) = self.call(request).await?.into_metadata()?;
        let meta = &topics[0];
        let available: Vec<u32> = meta.partitions.iter().filter(|p| p.leader.is_some()).map(|p| p.partition).collect();
        let partition_metadata =
            self.custom_partitioner.is_some().then(|| super::admin::partition_metadata(meta).into());
        let known = KnownTopic { partitions: meta.partitions.len() as u32, available, at_ms: now, partition_metadata };
        let answer = (known.partitions, known.available.clone());
        self.metadata.borrow_mut().insert(topic.to_owned(), known);
        Ok(answer)
    }

    /// Partitions a send and queues its pieces, all or (on an error) none.
    async fn enqueue(
        &self,
        sends: Vec<TopicSend>,
        Delivery { acks, timeout_ms, compression }: Delivery,
        outcome: &Rc<Outcome>,
    ) -> Result<(), JsValue> {
        let mut pieces = Vec::new();
        for TopicSend { topic, packed, sent_ms, messages } in sends {
            let (count, available) = self.partitions_of(&topic).await.map_err(to_js)?;
            // The app's partitioner chooses for every message (honouring a message's own partition or not, as
            // it likes); franz checks that each choice exists.
            let mut chosen = match (&self.custom_partitioner, messages) {
                (Some(partitioner), Some(messages)) => {
                    let metadata = self.metadata.borrow().get(&topic).and_then(|k| k.partition_metadata.clone());
                    let metadata = metadata.unwrap_or_else(|| js_sys::Array::new().into());
                    Some(partitioners::chosen_by(partitioner, &topic, &metadata, &messages)?.into_iter())
                }
                _ => None,
            };
            let mut partitioner = self.partitioner.borrow_mut();
            let mut placing = partitioner.for_topic(&topic, count, &available);
            let batches = encode_packed(&packed, sent_ms, |key, explicit| {
                placing.partition(key, chosen.as_mut().map_or(explicit, Iterator::next))
            })
            .map_err(to_js)?;
            pieces.extend(batches.into_iter().map(|(partition, records)| (topic.clone(), partition, records)));
        }
        if self.transactional.is_some() {
            let partitions = pieces.iter().map(|(t, p, _)| (t.clone(), *p)).collect();
            self.add_to_transaction(partitions).await.map_err(to_js)?;
        }
        outcome.expect(pieces.len());
        let enqueued_ms = js_sys::Date::now() as i64;
        let mut accumulator = self.accumulator.borrow_mut();
        for (i, (topic, partition, records)) in pieces.into_iter().enumerate() {
            let tag = (outcome.clone(), i);
            accumulator.push(Piece { tag, acks, timeout_ms, compression, topic, partition, records, enqueued_ms });
        }
        Ok(())
    }

    /// Sends what the accumulator has ready, while fewer than `max_in_flight` requests are out.
    fn pump(self: &Rc<Self>) {
        let waiting = self.send_ready();
        // KafkaJS's request queue: a request that waits for a place among the `maxInFlightRequests`.
        if self.queued.replace(waiting) != waiting {
            self.broker.report_queue(u32::from(waiting));
        }
    }

    /// Sends what is ready while fewer than `maxInFlightRequests` requests are in flight; whether records wait
    /// for a place.
    fn send_ready(self: &Rc<Self>) -> bool {
        while self.in_flight.get() < self.max_in_flight {
            let wait = self.accumulator.borrow().wait_until(js_sys::Date::now() as i64, i64::from(self.linger_ms));
            if let Some(at) = wait {
                self.wake_at(at);
                return false;
            }
            if let Some(idempotence) = &self.idempotence {
                // A transactional producer has its id before its first send (`producer.transaction()`).
                if idempotence.borrow().id.is_none() {
                    if !self.accumulator.borrow().is_empty() && self.transactional.is_none() {
                        self.init_producer_id();
                    }
                    return false;
                }
            }
            let Some(drained) = self.accumulator.borrow_mut().drain() else { return false };
            self.in_flight.set(self.in_flight.get() + 1);
            let ticket = self.finishing.ticket();
            wasm_bindgen_futures::spawn_local(self.clone().deliver(ticket, drained));
        }
        !self.accumulator.borrow().is_empty()
    }

    /// Pumps again at `at` (ms since the epoch): the end of the oldest piece's linger.
    fn wake_at(self: &Rc<Self>, at: i64) {
        if self.lingering.replace(true) {
            return;
        }
        let state = self.clone();
        let wait = (at - js_sys::Date::now() as i64).max(0) as u32;
        wasm_bindgen_futures::spawn_local(async move {
            sleep(wait).await;
            state.lingering.set(false);
            state.pump();
        });
    }

    /// Asks the cluster for a producer id, then sends what waits for it.
    fn init_producer_id(self: &Rc<Self>) {
        if self.initializing.replace(true) {
            return;
        }
        let state = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = state.call(Request::init_idempotent()).await;
            state.initializing.set(false);
            match answer {
                Ok(Response::InitProducerId { producer_id, epoch }) => {
                    state.set_producer_id(producer_id, epoch);
                    state.pump();
                }
                // Without an id nothing can go: every waiting send fails.
                other => {
                    let e = other.err().unwrap_or_else(|| {
                        Error::UnknownServerError("InitProducerId was answered with something else".into())
                    });
                    while let Some(drained) = state.accumulator.borrow_mut().drain() {
                        for batch in drained.batches {
                            for ((outcome, index), _, _) in batch.pieces {
                                outcome.piece_done(index, Err(e.clone()));
                            }
                        }
                    }
                }
            }
        });
    }

    /// The producer's id and epoch, once InitProducerId gave them.
    pub(crate) fn producer_id(&self) -> Option<(i64, i16)> {
        self.idempotence.as_ref()?.borrow().id
    }

    /// A new id and epoch: sequences start over.
    pub(crate) fn set_producer_id(&self, producer_id: i64, epoch: i16) {
        if let Some(idempotence) = &self.idempotence {
            *idempotence.borrow_mut() = Idempotence { id: Some((producer_id, epoch)), ..Default::default() };
        }
    }

    /// The producer fields of an idempotent producer's next batch to a partition; advances its sequence.
    fn next_batch_of_producer(&self, topic: &str, partition: u32, count: usize) -> Option<ProducerBatch> {
        let mut state = self.idempotence.as_ref()?.borrow_mut();
        let (producer_id, epoch) = state.id?;
        let next = state.next_sequence.entry((topic.to_owned(), partition)).or_insert(0);
        let base_sequence = *next;
        *next = ((i64::from(base_sequence) + count as i64) % (i64::from(i32::MAX) + 1)) as i32;
        let transactional = self.transactional.is_some();
        Some(ProducerBatch { producer_id, epoch, base_sequence, count: count as i32, transactional })
    }

    /// Sends one request and finishes it in turn: a failure to reach the broker is retried once every earlier
    /// request has finished, with the same bytes and sequence numbers, so order holds and an idempotent retry of
    /// a batch that did land is recognised as a duplicate.
    async fn deliver(self: Rc<Self>, ticket: u64, drained: Drained<Tag>) {
        let mut partitions = Vec::new();
        let mut pieces = Vec::new();
        for batch in drained.batches {
            let producer = self.next_batch_of_producer(&batch.topic, batch.partition, batch.records.len());
            let data = match (ProduceData::Records { records: Rc::new(batch.records), producer })
                .compressed(drained.compression)
            {
                Ok(data) => data,
                Err(e) => {
                    for ((outcome, index), _, _) in batch.pieces {
                        outcome.piece_done(index, Err(e.clone()));
                    }
                    continue;
                }
            };
            partitions.push(ProducePartition { topic: batch.topic, partition: batch.partition as i32, data });
            pieces.push(batch.pieces);
        }
        let request = Request::Produce { acks: drained.acks, timeout_ms: drained.timeout_ms, partitions };
        let first = self.broker.call_kept(&request).await;
        self.finishing.wait(ticket).await;
        let answer = self.retried(&request, first).await;
        let Request::Produce { partitions, .. } = request else { unreachable!("built above") };
        match answer {
            Ok(Response::Produce(answers)) => {
                for ((answer, pieces), sent) in answers.into_iter().zip(pieces).zip(&partitions) {
                    let result = answer.result.inspect_err(|e| self.forget(&sent.topic, e));
                    for ((outcome, index), first, _) in pieces {
                        outcome.piece_done(
                            index,
                            result
                                .as_ref()
                                .map(|p| metadata(&sent.topic, answer.partition, p, first))
                                .map_err(Clone::clone),
                        );
                    }
                }
            }
            other => {
                let e = match other {
                    Err(e) => e,
                    Ok(_) => Error::UnknownServerError("a produce was answered with something else".into()),
                };
                self.forget_producer_id(&e);
                for ((outcome, index), _, _) in pieces.into_iter().flatten() {
                    outcome.piece_done(index, Err(e.clone()));
                }
            }
        }
        self.finishing.done(ticket);
        self.in_flight.set(self.in_flight.get() - 1);
        self.pump();
    }

    /// Retries, within the retry budget, what failed in a way worth retrying: the whole request when the
    /// broker was unreachable, and each partition whose leader was not there (NOT_LEADER_OR_FOLLOWER,
    /// LEADER_NOT_AVAILABLE while the controller elects another), sent again alone, as Kafka's producer does
    /// after refreshing its metadata. Same bytes, same sequence numbers: an idempotent retry is never written
    /// twice.
    async fn retried(&self, request: &Request, mut answer: Result<Response, Error>) -> Result<Response, Error> {
        let Request::Produce { acks, timeout_ms, partitions } = request else { return answer };
        let mut attempt = 0;
        while attempt < self.retry.retries {
            let again: Vec<usize> = match &answer {
                Err(e) if worth_retrying(e) => (0..partitions.len()).collect(),
                Ok(Response::Produce(results)) => results
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.result.as_ref().is_err_and(Error::retriable))
                    .map(|(i, _)| i)
                    .collect(),
                _ => Vec::new(),
            };
            if again.is_empty() {
                break;
            }
            let wait_ms = self.retry.delay_ms(attempt);
            self.log_retry(&answer, again[0], attempt, wait_ms);
            sleep(wait_ms).await;
            attempt += 1;
            let again_partitions = again.iter().map(|&i| partitions[i].clone()).collect();
            let resend = Request::Produce { acks: *acks, timeout_ms: *timeout_ms, partitions: again_partitions };
            match (self.broker.call(resend).await, &mut answer) {
                (Ok(Response::Produce(retried)), Ok(Response::Produce(results))) => {
                    for (i, r) in again.into_iter().zip(retried) {
                        results[i] = r;
                    }
                }
                (retried, _) if again.len() == partitions.len() => answer = retried,
                // A partial retry that could not reach the broker keeps the earlier errors, and tries again.
                _ => {}
            }
        }
        answer
    }

    /// KafkaJS's log entry for a send tried again: the failure of the request, or of partition `first`.
    fn log_retry(&self, answer: &Result<Response, Error>, first: usize, attempt: u32, wait_ms: u32) {
        let failure = match answer {
            Err(e) => Some(e),
            Ok(Response::Produce(results)) => results.get(first).and_then(|r| r.result.as_ref().err()),
            Ok(_) => None,
        };
        let message = failure.map(Error::to_string).unwrap_or_default();
        self.events.log(LogLevel::ERROR, &format!("Failed to send messages: {message}"), || {
            js::object([("retryCount", attempt.into()), ("retryTime", wait_ms.into())]).into()
        });
    }

    /// A partition failed: the topic's metadata may be stale, and an idempotent producer's sequences no longer
    /// match what the cluster holds.
    fn forget(&self, topic: &str, e: &Error) {
        self.metadata.borrow_mut().remove(topic);
        self.forget_producer_id(e);
    }

    /// An idempotent producer starts over under a new id. A transactional one keeps its id until its
    /// transaction, which can now only be aborted, ends (see `reset_producer_id`).
    fn forget_producer_id(&self, e: &Error) {
        match self.transactional.as_ref().and_then(|t| t.current.borrow().clone()) {
            Some(run) => {
                run.failed.borrow_mut().get_or_insert_with(|| to_js(e.clone()));
            }
            None if self.transactional.is_none() => self.reset_producer_id(),
            None => {}
        }
    }

    /// Drops the producer id: the next transaction (or, for an idempotent producer, send) asks InitProducerId.
    pub(crate) fn reset_producer_id(&self) {
        if let Some(idempotence) = &self.idempotence {
            *idempotence.borrow_mut() = Idempotence::default();
        }
    }
}

/// KafkaJS's RecordMetadata for one piece: its first record's offset within the partition's batch.
fn metadata(topic: &str, partition: i32, produced: &ProduceResult, first: usize) -> JsValue {
    object([
        ("topicName", topic.into()),
        ("partition", partition.into()),
        ("errorCode", 0.into()),
        ("baseOffset", js::offset(produced.base_offset + first as i64)),
        ("logAppendTime", js::offset(produced.log_append_time)),
        ("logStartOffset", js::offset(produced.log_start_offset)),
    ])
    .into()
}

#[wasm_bindgen]
impl Producer {
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        self.state.connected.set(true);
        self.state.events.instrument("producer.connect", || JsValue::UNDEFINED);
        resolved(JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        self.state.connected.set(false);
        self.state.events.instrument("producer.disconnect", || JsValue::UNDEFINED);
        resolved(JsValue::UNDEFINED)
    }

    /// KafkaJS's `producer.transaction()`: begins a transaction (see `Transaction`); needs a `transactionalId`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Transaction>")]
    pub fn transaction(&self) -> Promise {
        transaction::begin(self.state.clone())
    }

    /// Listens for one of `events`; returns a remover.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ProducerEventName")] event: String,
        #[wasm_bindgen(unchecked_param_type = "(event: InstrumentationEvent<any>) => void")] listener: Function,
    ) -> Result<JsValue, JsValue> {
        self.state.events.on(&event, listener)
    }

    /// KafkaJS's `producer.events`.
    #[wasm_bindgen(getter, unchecked_return_type = "ProducerEvents")]
    pub fn events(&self) -> js_sys::Object {
        self.state.events.names_object()
    }

    /// KafkaJS's `producer.logger()`: the cluster's logger, in the `Producer` namespace.
    #[wasm_bindgen(unchecked_return_type = "Logger")]
    pub fn logger(&self) -> JsValue {
        self.state.events.logger()
    }

    /// KafkaJS's `producer.isIdempotent()`: whether it was made with `idempotent` (or a `transactionalId`).
    #[wasm_bindgen(js_name = isIdempotent)]
    pub fn is_idempotent(&self) -> bool {
        self.state.idempotence.is_some()
    }

    /// `send({ topic, messages, acks? })`: resolves with KafkaJS's `RecordMetadata[]` once the records are stored
    /// (acks 1 or -1), or at once with `[]` (acks 0).
    #[wasm_bindgen(unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send(&self, #[wasm_bindgen(unchecked_param_type = "ProducerRecord")] record: JsValue) -> Promise {
        self.state.send_all(record_sends(&self.state, &record), None)
    }

    /// `sendBatch({ topicMessages: [{ topic, messages }], acks? })`.
    #[wasm_bindgen(js_name = sendBatch, unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send_batch(&self, #[wasm_bindgen(unchecked_param_type = "ProducerBatch")] batch: JsValue) -> Promise {
        self.state.send_all(batch_sends(&self.state, &batch), None)
    }
}
