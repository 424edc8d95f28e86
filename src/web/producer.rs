//! `kafka.producer()`: KafkaJS's producer. One `send` becomes one Produce request: one RecordBatch v2 per
//! partition, to the broker wherever it runs.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::broker::Broker;
use super::error;
use super::js::{self, object};
use super::kafka::resolved;
use super::pack;
use super::retry::{worth_retrying, Retry};
use crate::core::client::{batches_by_partition, OutgoingMessage};
use crate::core::cluster::NewTopic;
use crate::core::error::Error;
use crate::core::log::ProducerBatch;
use crate::core::partitioner::{NullKeyStrategy, Partitioner};
use crate::core::protocol::{ProduceData, ProducePartition, Request, Response};

#[wasm_bindgen]
pub struct Producer {
    state: Rc<State>,
}

struct State {
    broker: Broker,
    partitioner: RefCell<Partitioner>,
    connected: Cell<bool>,
    /// The producer's `acks` (default -1, all), used when a send names none.
    acks: i16,
    /// Kafka's `auto.create.topics.enable`, as the cluster was opened with (in-page only).
    auto_create_topics: bool,
    /// For an idempotent producer: its id, epoch and next sequence per partition.
    idempotence: Option<RefCell<Idempotence>>,
    retry: Retry,
}

/// An idempotent producer's state. `id` is `None` until the first send asks InitProducerId, and again after a
/// failed write: the cluster reloaded without that batch, so the sequences no longer match and the producer
/// starts over under a new id (as Kafka's producer does since KIP-360).
#[derive(Default)]
struct Idempotence {
    id: Option<(i64, i16)>,
    next_sequence: BTreeMap<(String, u32), i32>,
}

/// One topic's messages of a send, already checked and converted.
struct TopicSend {
    topic: String,
    messages: Vec<OutgoingMessage>,
}

fn to_js(e: Error) -> JsValue {
    error::to_js(&e)
}

impl Producer {
    pub(crate) fn new(broker: Broker, config: &JsValue) -> Result<Producer, JsValue> {
        let idempotent = js::opt_bool(config, "idempotent", "idempotent")?.unwrap_or(false);
        let strategy = match js::opt_string(config, "nullKeyPartitioner", "nullKeyPartitioner")?.as_deref() {
            None | Some("round-robin") => NullKeyStrategy::RoundRobin,
            Some("sticky") => NullKeyStrategy::Sticky,
            Some(other) => {
                return Err(error::type_error(&format!(
                    "nullKeyPartitioner must be 'round-robin' or 'sticky', got {other:?}"
                )))
            }
        };
        let acks = acks(config, -1)?;
        let auto_create_topics = broker.local().is_some_and(|i| i.auto_create_topics);
        Ok(Producer {
            state: Rc::new(State {
                broker,
                partitioner: RefCell::new(Partitioner::new(strategy, js_sys::Date::now() as u64)),
                connected: Cell::new(false),
                acks,
                auto_create_topics,
                idempotence: idempotent.then(RefCell::default),
                retry: Retry::from_config(config)?,
            }),
        })
    }

    /// Checks a send's arguments now (a wrong type rejects before anything is sent) and sends it.
    fn send_all(&self, sends: Result<(Vec<TopicSend>, i16), JsValue>) -> Promise {
        let (sends, acks) = match sends {
            Ok(s) => s,
            Err(e) => return Promise::reject(&e),
        };
        if let Err(e) = self.state.check_connected() {
            return Promise::reject(&e);
        }
        if self.state.idempotence.is_some() && acks != -1 {
            return Promise::reject(&to_js(Error::InvalidRequiredAcks(format!(
                "an idempotent producer needs acks=-1 (all): acks={acks} would give up its no-duplicates guarantee"
            ))));
        }
        let state = self.state.clone();
        let sending = async move {
            let mut metadata = Vec::new();
            for send in sends {
                metadata.extend(state.send_topic(send, acks).await?);
            }
            Ok::<_, JsValue>(js::array(metadata).into())
        };
        if acks == 0 {
            // Kafka answers acks=0 with nothing, so KafkaJS resolves at once; the send still goes, and a failure
            // is reported as a warning where the cluster runs.
            let state = self.state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let (Err(e), Some(inner)) = (sending.await, state.broker.local()) {
                    inner.warn(&format!("an acks=0 send failed: {}", js_sys::Error::from(e).message()));
                }
            });
            return resolved(js::array(Vec::<JsValue>::new()).into());
        }
        future_to_promise(sending)
    }
}

impl State {
    /// One request, tried again (the same bytes, the same sequence numbers) while the broker cannot be reached:
    /// an idempotent producer's retry of a batch that did land is recognised as a duplicate and not written twice.
    async fn call(&self, request: Request) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            match self.broker.call(request.clone()).await {
                Err(e) if worth_retrying(&e) && attempt < self.retry.retries => {
                    self.retry.wait(attempt).await;
                    attempt += 1;
                }
                answer => return answer,
            }
        }
    }

    fn check_connected(&self) -> Result<(), JsValue> {
        self.broker.check_open()?;
        if self.connected.get() {
            Ok(())
        } else {
            Err(error::client_error("CLIENT_NOT_CONNECTED", "The producer is disconnected: call connect() first"))
        }
    }

    /// For an idempotent producer, the producer fields of its next batch to `topic`/`partition`, asking the
    /// cluster for a producer id first if it has none.
    async fn next_batch_of_producer(
        &self,
        topic: &str,
        partition: u32,
        count: usize,
    ) -> Result<Option<ProducerBatch>, Error> {
        let Some(idempotence) = &self.idempotence else { return Ok(None) };
        if idempotence.borrow().id.is_none() {
            let Response::InitProducerId { producer_id, epoch } = self.call(Request::InitProducerId).await? else {
                return Err(Error::UnknownServerError("InitProducerId was answered with something else".into()));
            };
            idempotence.borrow_mut().id = Some((producer_id, epoch));
        }
        let state = idempotence.borrow();
        let Some((producer_id, epoch)) = state.id else { return Ok(None) };
        let base_sequence = state.next_sequence.get(&(topic.to_owned(), partition)).copied().unwrap_or(0);
        Ok(Some(ProducerBatch { producer_id, epoch, base_sequence, count: count as i32 }))
    }

    /// Sends one topic's messages; returns KafkaJS's RecordMetadata, one per partition written.
    async fn send_topic(&self, send: TopicSend, acks: i16) -> Result<Vec<JsValue>, JsValue> {
        let TopicSend { topic, messages } = send;
        let metadata = |topics: Option<Vec<String>>| self.call(Request::Metadata { topics });
        let mut known = metadata(Some(vec![topic.clone()])).await;
        if self.auto_create_topics && matches!(known, Err(Error::UnknownTopicOrPartition(_))) {
            let topics = vec![NewTopic::new(topic.as_str(), -1, -1)];
            self.call(Request::CreateTopics { topics, validate_only: false }).await.map_err(to_js)?;
            known = metadata(Some(vec![topic.clone()])).await;
        }
        let Response::Metadata { topics, .. } = known.map_err(to_js)? else {
            return Err(to_js(Error::UnknownServerError("metadata was answered with something else".into())));
        };
        let meta = &topics[0];
        let available: Vec<u32> = meta.partitions.iter().filter(|p| p.leader.is_some()).map(|p| p.partition).collect();
        let batches = batches_by_partition(
            &mut self.partitioner.borrow_mut(),
            &topic,
            messages,
            meta.partitions.len() as u32,
            &available,
        )
        .map_err(to_js)?;
        // One Produce for every partition of the send, as a Kafka producer sends one request per broker.
        let mut producers = Vec::new();
        let mut partitions = Vec::new();
        for (partition, records) in batches {
            let producer = self.next_batch_of_producer(&topic, partition, records.len()).await.map_err(to_js)?;
            producers.push(producer);
            let data = ProduceData::Records { records, producer };
            partitions.push(ProducePartition { topic: topic.clone(), partition: partition as i32, data });
        }
        let answers = match self.call(Request::Produce { acks, partitions }).await {
            Ok(Response::Produce(answers)) => answers,
            Ok(_) => return Err(to_js(Error::UnknownServerError("a produce was answered with something else".into()))),
            Err(e) => {
                if let Some(idempotence) = &self.idempotence {
                    // The write failed: the cluster holds none of it, so this producer's sequences no longer match.
                    *idempotence.borrow_mut() = Idempotence::default();
                }
                return Err(to_js(e));
            }
        };
        let mut results = Vec::new();
        let mut first_error = None;
        for (answer, producer) in answers.into_iter().zip(producers) {
            let produced = match answer.result {
                Ok(p) => p,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            if let (Some(idempotence), Some(p)) = (&self.idempotence, producer) {
                let next = (i64::from(p.base_sequence) + i64::from(p.count)) % (i64::from(i32::MAX) + 1);
                idempotence.borrow_mut().next_sequence.insert((topic.clone(), answer.partition as u32), next as i32);
            }
            results.push(
                object([
                    ("topicName", topic.as_str().into()),
                    ("partition", answer.partition.into()),
                    ("errorCode", 0.into()),
                    ("baseOffset", js::offset(produced.base_offset)),
                    ("logAppendTime", js::offset(produced.log_append_time)),
                    ("logStartOffset", js::offset(produced.log_start_offset)),
                ])
                .into(),
            );
        }
        if let Some(e) = first_error {
            // KafkaJS rejects a send when any partition fails; partitions that succeeded stay written, as in Kafka.
            return Err(to_js(e));
        }
        Ok(results)
    }
}

/// `options.acks`, or `default`; Kafka allows -1 (all), 0 and 1.
fn acks(options: &JsValue, default: i16) -> Result<i16, JsValue> {
    let acks = js::opt_int::<i16>(options, "acks", "acks")?.unwrap_or(default);
    if ![-1, 0, 1].contains(&acks) {
        return Err(to_js(Error::InvalidRequiredAcks(format!("acks must be -1 (all), 0 or 1, got {acks}"))));
    }
    Ok(acks)
}

/// One topic's messages, checked and converted now, while the caller's objects are at hand.
fn topic_send(topic: String, messages: &JsValue, at: &str) -> Result<TopicSend, JsValue> {
    Ok(TopicSend { topic, messages: pack::messages(messages, at, js_sys::Date::now() as i64)? })
}

#[wasm_bindgen]
impl Producer {
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        self.state.connected.set(true);
        resolved(JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        self.state.connected.set(false);
        resolved(JsValue::UNDEFINED)
    }

    /// `send({ topic, messages, acks? })`: resolves with KafkaJS's `RecordMetadata[]` once the records are stored
    /// (acks 1 or -1), or at once with `[]` (acks 0).
    #[wasm_bindgen(unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send(&self, #[wasm_bindgen(unchecked_param_type = "ProducerRecord")] record: JsValue) -> Promise {
        let sends = (|| {
            let acks = acks(&record, self.state.acks)?;
            let topic = js::string(&record, "topic", "topic")?;
            Ok((vec![topic_send(topic, &js::get(&record, "messages"), "messages")?], acks))
        })();
        self.send_all(sends)
    }

    /// `sendBatch({ topicMessages: [{ topic, messages }], acks? })`.
    #[wasm_bindgen(js_name = sendBatch, unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send_batch(&self, #[wasm_bindgen(unchecked_param_type = "ProducerBatch")] batch: JsValue) -> Promise {
        let sends = (|| {
            let acks = acks(&batch, self.state.acks)?;
            let mut sends = Vec::new();
            for (i, tm) in js::list(&batch, "topicMessages", "topicMessages", true)?.iter().enumerate() {
                let topic = js::string(tm, "topic", format_args!("topicMessages[{i}].topic"))?;
                sends.push(topic_send(topic, &js::get(tm, "messages"), &format!("topicMessages[{i}].messages"))?);
            }
            Ok((sends, acks))
        })();
        self.send_all(sends)
    }
}
