//! `kafka.producer()`: KafkaJS's producer. One `send` becomes one RecordBatch v2 per partition.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::error;
use super::js::{self, object};
use super::kafka::{durable, resolved, settle, Inner};
use super::pack;
use crate::core::client::batches_by_partition;
use crate::core::cluster::NewTopic;
use crate::core::error::Error;
use crate::core::log::ProducerBatch;
use crate::core::partitioner::{NullKeyStrategy, Partitioner};
use crate::core::protocol::{ProduceData, ProducePartition, Request, Response};

#[wasm_bindgen]
pub struct Producer {
    inner: Rc<Inner>,
    partitioner: RefCell<Partitioner>,
    connected: Cell<bool>,
    /// The producer's `acks` (default -1, all), used when a send names none.
    acks: i16,
    /// For an idempotent producer: its id, epoch and next sequence per partition. `Rc` so that a failed write
    /// can reset it after the send has returned.
    idempotence: Option<Rc<RefCell<Idempotence>>>,
}

/// An idempotent producer's state. `id` is `None` until the first send asks InitProducerId, and again after a
/// failed write: the cluster reloaded without that batch, so the sequences no longer match and the producer
/// starts over under a new id (as Kafka's producer does since KIP-360).
#[derive(Default)]
struct Idempotence {
    id: Option<(i64, i16)>,
    next_sequence: BTreeMap<(String, u32), i32>,
}

impl Producer {
    pub(crate) fn new(inner: Rc<Inner>, config: &JsValue) -> Result<Producer, JsValue> {
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
        let seed = inner.now_ms() as u64;
        Ok(Producer {
            inner,
            partitioner: RefCell::new(Partitioner::new(strategy, seed)),
            connected: Cell::new(false),
            acks,
            idempotence: idempotent.then(Rc::default),
        })
    }

    /// With acks=1 or all, a send resolves once its records are in storage; with acks=0 at once (the write
    /// still happens, and a failure then is reported as a warning), as Kafka's acks=0 does not wait at all.
    fn acknowledge(&self, result: Result<JsValue, JsValue>, acks: i16) -> Promise {
        if let (Some(state), Ok(value)) = (&self.idempotence, &result) {
            let (inner, state, value) = (self.inner.clone(), state.clone(), value.clone());
            return wasm_bindgen_futures::future_to_promise(async move {
                let written = inner.persist().await.map_err(|e| error::to_js(&e));
                if written.is_err() {
                    *state.borrow_mut() = Idempotence::default();
                }
                written.map(|()| value)
            });
        }
        if acks != 0 || result.is_err() {
            return durable(&self.inner, result);
        }
        let inner = self.inner.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = inner.persist().await {
                inner.warn(&format!("an acks=0 send was not stored: {e:?}"));
            }
        });
        settle(result)
    }

    /// For an idempotent producer, the producer fields of its next batch to `topic`/`partition` (asking the
    /// cluster for a producer id first if it has none).
    fn next_batch_of_producer(&self, topic: &str, partition: u32, count: usize) -> Option<ProducerBatch> {
        let mut state = self.idempotence.as_ref()?.borrow_mut();
        if state.id.is_none() {
            let Ok(Response::InitProducerId { producer_id, epoch }) = self.inner.serve(Request::InitProducerId) else {
                return None;
            };
            state.id = Some((producer_id, epoch));
        }
        let (producer_id, epoch) = state.id?;
        let base_sequence = state.next_sequence.get(&(topic.to_owned(), partition)).copied().unwrap_or(0);
        Some(ProducerBatch { producer_id, epoch, base_sequence, count: count as i32 })
    }

    fn check_connected(&self) -> Result<(), JsValue> {
        self.inner.check_open()?;
        if self.connected.get() {
            Ok(())
        } else {
            Err(error::client_error("CLIENT_NOT_CONNECTED", "The producer is disconnected: call connect() first"))
        }
    }

    /// Sends one topic's messages; returns KafkaJS's RecordMetadata, one per partition written.
    fn send_topic(&self, topic: &str, messages: &JsValue, acks: i16, at: &str) -> Result<Vec<JsValue>, JsValue> {
        if self.idempotence.is_some() && acks != -1 {
            return Err(error::to_js(&Error::InvalidRequiredAcks(format!(
                "an idempotent producer needs acks=-1 (all): acks={acks} would give up its no-duplicates guarantee"
            ))));
        }
        let now = self.inner.now_ms();
        let outgoing = pack::messages(messages, at, now)?;
        let core = |e: Error| error::to_js(&e);
        if self.inner.auto_create_topics && self.inner.topic(topic).is_err() {
            let topics = vec![NewTopic::new(topic, -1, -1)];
            self.inner.handle(Request::CreateTopics { topics, validate_only: false })?;
            self.inner.changed("createTopics", topic);
        }
        let meta = self.inner.topic(topic).map_err(core)?;
        let available: Vec<u32> = meta.partitions.iter().filter(|p| p.leader.is_some()).map(|p| p.partition).collect();
        let batches = batches_by_partition(
            &mut self.partitioner.borrow_mut(),
            topic,
            outgoing,
            meta.partitions.len() as u32,
            &available,
        )
        .map_err(core)?;
        // One Produce for every partition of the send, as a Kafka producer sends one request per broker.
        let mut producers = Vec::new();
        let partitions = batches
            .into_iter()
            .map(|(partition, records)| {
                let producer = self.next_batch_of_producer(topic, partition, records.len());
                producers.push(producer);
                let data = ProduceData::Records { records, producer };
                ProducePartition { topic: topic.to_owned(), partition: partition as i32, data }
            })
            .collect();
        let Response::Produce(answers) = self.inner.handle(Request::Produce { acks, partitions })? else {
            return Err(core(Error::UnknownServerError("a produce was answered with something else".into())));
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
            if let (Some(state), Some(p)) = (&self.idempotence, producer) {
                let next = (i64::from(p.base_sequence) + i64::from(p.count)) % (i64::from(i32::MAX) + 1);
                state.borrow_mut().next_sequence.insert((topic.to_owned(), answer.partition as u32), next as i32);
            }
            results.push(
                object([
                    ("topicName", topic.into()),
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
            return Err(core(e));
        }
        self.inner.data_arrived();
        self.inner.changed("produce", topic);
        // With acks=0 Kafka sends no response, so KafkaJS resolves with no metadata.
        Ok(if acks == 0 { Vec::new() } else { results })
    }
}

/// `options.acks`, or `default`; Kafka allows -1 (all), 0 and 1.
fn acks(options: &JsValue, default: i16) -> Result<i16, JsValue> {
    let acks = js::opt_int::<i16>(options, "acks", "acks")?.unwrap_or(default);
    if ![-1, 0, 1].contains(&acks) {
        return Err(error::to_js(&Error::InvalidRequiredAcks(format!("acks must be -1 (all), 0 or 1, got {acks}"))));
    }
    Ok(acks)
}

#[wasm_bindgen]
impl Producer {
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        self.connected.set(true);
        resolved(JsValue::UNDEFINED)
    }

    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        self.connected.set(false);
        resolved(JsValue::UNDEFINED)
    }

    /// `send({ topic, messages, acks? })`: resolves with KafkaJS's `RecordMetadata[]`.
    #[wasm_bindgen(unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send(&self, #[wasm_bindgen(unchecked_param_type = "ProducerRecord")] record: JsValue) -> Promise {
        let mut acks_of_send = -1;
        let result = (|| {
            self.check_connected()?;
            let topic = js::string(&record, "topic", "topic")?;
            let messages = js::get(&record, "messages");
            acks_of_send = acks(&record, self.acks)?;
            Ok(js::array(self.send_topic(&topic, &messages, acks_of_send, "messages")?).into())
        })();
        self.acknowledge(result, acks_of_send)
    }

    /// `sendBatch({ topicMessages: [{ topic, messages }], acks? })`.
    #[wasm_bindgen(js_name = sendBatch, unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send_batch(&self, #[wasm_bindgen(unchecked_param_type = "ProducerBatch")] batch: JsValue) -> Promise {
        let mut acks_of_send = -1;
        let result = (|| {
            self.check_connected()?;
            let acks = acks(&batch, self.acks)?;
            acks_of_send = acks;
            let mut out = Vec::new();
            for (i, tm) in js::list(&batch, "topicMessages", "topicMessages", true)?.iter().enumerate() {
                let topic = js::string(tm, "topic", format!("topicMessages[{i}].topic"))?;
                let at = format!("topicMessages[{i}].messages");
                let messages = js::get(tm, "messages");
                out.extend(self.send_topic(&topic, &messages, acks, &at)?);
            }
            Ok(js::array(out).into())
        })();
        self.acknowledge(result, acks_of_send)
    }
}
