//! What a handler is given: KafkaJS's `eachMessage` and `eachBatch` payloads, with their functions (`pause`,
//! `resolveOffset`, `commitOffsetsIfNecessary`, `uncommittedOffsets`, `isRunning`, `isStale`). Each function is
//! made once per `run` and bound once per partition, never made per message.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::{offsets_by_topic, CommitPolicy, OffsetToCommit, State, TopicPartition};
use crate::web::js::{self, object};

/// The functions of every payload of one `run`.
pub(super) struct PayloadFns {
    /// `(topic, partition, resume)`: pauses the partition and returns `resume`, as KafkaJS's `pause()` does.
    pause: Closure<dyn Fn(String, u32, JsValue) -> JsValue>,
    resume: Closure<dyn Fn(String, u32)>,
    resolve: Closure<dyn Fn(String, u32, JsValue) -> Result<(), JsValue>>,
    is_stale: Closure<dyn Fn(String, u32) -> bool>,
    is_running: Closure<dyn Fn() -> bool>,
    commit_if_necessary: Closure<dyn Fn(JsValue) -> Promise>,
    uncommitted: Closure<dyn Fn() -> JsValue>,
    /// `heartbeat()`: the loop heartbeats between fetches; a handler that runs long calls this, as in KafkaJS.
    heartbeat: Closure<dyn Fn() -> Promise>,
    /// The prototype of every `eachBatch` batch: its methods, as KafkaJS's `Batch` class has them.
    batch_prototype: Object,
    bound: RefCell<HashMap<TopicPartition, Bound>>,
}

/// One partition's functions, bound to it.
#[derive(Clone)]
struct Bound {
    pause: JsValue,
    resolve: JsValue,
    is_stale: JsValue,
}

impl PayloadFns {
    pub(super) fn new(state: &Rc<State>, policy: CommitPolicy, generation: u32) -> PayloadFns {
        let weak = Rc::downgrade(state);
        let (pausing, resuming, resolving, stale) = (weak.clone(), weak.clone(), weak.clone(), weak.clone());
        let (running, committing, listing, beating) = (weak.clone(), weak.clone(), weak.clone(), weak);
        PayloadFns {
            pause: Closure::new(move |topic, partition, resume| {
                if let Some(state) = pausing.upgrade() {
                    state.paused.borrow_mut().insert((topic, Some(partition)));
                }
                resume
            }),
            resume: Closure::new(move |topic: String, partition| {
                if let Some(state) = resuming.upgrade() {
                    state.resume_partition(&topic, partition);
                }
            }),
            resolve: Closure::new(move |topic, partition, offset: JsValue| {
                let offset: i64 = js::int(&offset, "resolveOffset's offset")?;
                if let Some(state) = resolving.upgrade() {
                    state.resolve(&(topic, partition), offset);
                }
                Ok(())
            }),
            is_stale: Closure::new(move |topic, partition| {
                stale.upgrade().is_some_and(|state| state.is_stale(&(topic, partition)))
            }),
            is_running: Closure::new(move || running.upgrade().is_some_and(|state| state.is_current(generation))),
            commit_if_necessary: Closure::new(move |offsets| commit_if_necessary(committing.clone(), policy, offsets)),
            uncommitted: Closure::new(move || listing.upgrade().map_or(JsValue::UNDEFINED, |s| uncommitted_offsets(&s))),
            heartbeat: Closure::new(move || {
                let state = beating.clone();
                future_to_promise(async move {
                    if let Some(state) = state.upgrade() {
                        state.heartbeat_from_handler().await;
                    }
                    Ok(JsValue::UNDEFINED)
                })
            }),
            batch_prototype: object([
                ("isEmpty", Function::new_no_args("return this.messages.length === 0").into()),
                (
                    "firstOffset",
                    Function::new_no_args("return this.messages.length ? this.messages[0].offset : null").into(),
                ),
                ("lastOffset", Function::new_no_args(
                    "return this.messages.length ? this.messages[this.messages.length - 1].offset : String(BigInt(this.highWatermark) - 1n)",
                ).into()),
                ("offsetLag", Function::new_no_args("return String(BigInt(this.highWatermark) - 1n - BigInt(this.lastOffset()))").into()),
                ("offsetLagLow", Function::new_no_args(
                    "return this.messages.length ? String(BigInt(this.highWatermark) - 1n - BigInt(this.firstOffset())) : '0'",
                ).into()),
            ]),
            bound: RefCell::default(),
        }
    }

    fn bound(&self, tp: &TopicPartition) -> Bound {
        let bind = |f: &Function| -> JsValue { f.bind2(&JsValue::NULL, &tp.0.as_str().into(), &tp.1.into()).into() };
        self.bound
            .borrow_mut()
            .entry(tp.clone())
            .or_insert_with(|| {
                let resume = bind(self.resume.as_ref().unchecked_ref());
                let pause: &Function = self.pause.as_ref().unchecked_ref();
                Bound {
                    pause: pause.bind3(&JsValue::NULL, &tp.0.as_str().into(), &tp.1.into(), &resume).into(),
                    resolve: bind(self.resolve.as_ref().unchecked_ref()),
                    is_stale: bind(self.is_stale.as_ref().unchecked_ref()),
                }
            })
            .clone()
    }

    /// `eachMessage`'s `{ topic, partition, message, heartbeat, pause }`.
    pub(super) fn each_message(&self, tp: &TopicPartition, topic: &JsValue, message: JsValue) -> JsValue {
        object([
            ("topic", topic.clone()),
            ("partition", tp.1.into()),
            ("message", message),
            ("heartbeat", self.heartbeat.as_ref().clone()),
            ("pause", self.bound(tp).pause),
        ])
        .into()
    }

    /// `eachBatch`'s payload, its batch holding `messages`.
    pub(super) fn each_batch(
        &self,
        tp: &TopicPartition,
        topic: &JsValue,
        high_watermark: i64,
        messages: Array,
    ) -> JsValue {
        let batch = Object::create(&self.batch_prototype);
        js::set(&batch, "topic", topic.clone());
        js::set(&batch, "partition", tp.1);
        js::set(&batch, "highWatermark", js::offset(high_watermark));
        js::set(&batch, "messages", messages);
        let Bound { pause, resolve, is_stale } = self.bound(tp);
        object([
            ("batch", batch.into()),
            ("resolveOffset", resolve),
            ("heartbeat", self.heartbeat.as_ref().clone()),
            ("pause", pause),
            ("commitOffsetsIfNecessary", self.commit_if_necessary.as_ref().clone()),
            ("uncommittedOffsets", self.uncommitted.as_ref().clone()),
            ("isRunning", self.is_running.as_ref().clone()),
            ("isStale", is_stale),
        ])
        .into()
    }
}

/// `commitOffsetsIfNecessary(offsets?)`: commits `offsets` (`{ topics: [{ topic, partitions: [{ partition,
/// offset }] }] }`) when given; otherwise what was resolved, if `autoCommitInterval` or `autoCommitThreshold`
/// says it is time (as KafkaJS: with neither set, nothing; the loop commits after each batch anyway).
fn commit_if_necessary(state: Weak<State>, policy: CommitPolicy, offsets: JsValue) -> Promise {
    future_to_promise(async move {
        let Some(state) = state.upgrade() else { return Ok(JsValue::UNDEFINED) };
        let result = if js::is_missing(&offsets) {
            match policy.reached(&state, js_sys::Date::now() as i64) {
                true => state.commit().await,
                false => Ok(()),
            }
        } else {
            state.commit_given(offsets_by_topic_partition(&offsets)?).await
        };
        result.map(|()| JsValue::UNDEFINED).map_err(|e| state.core(e))
    })
}

/// KafkaJS's `OffsetsByTopicPartition`, read.
fn offsets_by_topic_partition(offsets: &JsValue) -> Result<Vec<OffsetToCommit>, JsValue> {
    let mut out = Vec::new();
    for (i, t) in js::list(offsets, "topics", "offsets.topics", true)?.iter().enumerate() {
        let topic = js::string(t, "topic", format_args!("offsets.topics[{i}].topic"))?;
        for (j, p) in
            js::list(t, "partitions", format_args!("offsets.topics[{i}].partitions"), true)?.iter().enumerate()
        {
            let at = |f: &str| format!("offsets.topics[{i}].partitions[{j}].{f}");
            out.push(OffsetToCommit {
                topic: topic.clone(),
                partition: js::int(&js::get(p, "partition"), at("partition"))?,
                offset: js::int(&js::get(p, "offset"), at("offset"))?,
                metadata: None,
            });
        }
    }
    Ok(out)
}

/// `uncommittedOffsets()`: what was handled and not committed yet, as `OffsetsByTopicPartition`.
fn uncommitted_offsets(state: &State) -> JsValue {
    object([("topics", offsets_by_topic(&state.uncommitted.borrow()))]).into()
}
