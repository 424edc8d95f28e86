//! `run`: the fetch loop, and handing records to `eachBatch` / `eachMessage`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::group::refused_by_group;
use super::{unexpected, CommitPolicy, State, TopicPartition, MAX_BACKOFF_MS, POLL_MS};
use crate::core::client::PackedRecords;
use crate::core::error::Error;
use crate::core::protocol::{FetchPartition, Request, Response};
use crate::web::error;
use crate::web::js::{self, object};
use crate::web::pack;
use crate::web::retry::{sleep, worth_retrying};

/// Calls a handler and waits for the promise it returns, if any. A throw or a rejection is an `Err`.
async fn call_handler(handler: &Function, payload: &JsValue) -> Result<(), JsValue> {
    let returned = handler.call1(&JsValue::NULL, payload)?;
    crate::web::signal::settled(&returned).await.map(drop)
}

/// What `run` was given.
pub(super) struct Handlers {
    each_message: Option<Function>,
    each_batch: Option<Function>,
    commit: CommitPolicy,
    /// KafkaJS's `partitionsConsumedConcurrently`.
    concurrency: usize,
    /// Functions handed to every payload, created once per run (never one closure per message).
    pause: Closure<dyn Fn(String, u32)>,
    noop: Function,
    /// `isRunning` (true) and `isStale` (false) of an `eachBatch` payload.
    running: Function,
    stale: Function,
    /// The prototype of every `eachBatch` batch: its methods, as KafkaJS's `Batch` class has them.
    batch_prototype: Object,
    /// Each partition's `pause` function, bound once.
    pause_fns: RefCell<HashMap<TopicPartition, JsValue>>,
}

impl Handlers {
    /// `run`'s config, checked: the handlers, the commit policy, the concurrency.
    pub(super) fn from_config(config: &JsValue, state: &Rc<State>) -> Result<Handlers, JsValue> {
        let function = |key: &'static str| -> Result<Option<Function>, JsValue> {
            let v = js::get(config, key);
            if js::is_missing(&v) {
                return Ok(None);
            }
            v.dyn_into::<Function>().map(Some).map_err(|v| js::type_error(key, "a function", &v))
        };
        let (each_message, each_batch) = (function("eachMessage")?, function("eachBatch")?);
        if each_message.is_none() && each_batch.is_none() {
            return Err(error::type_error("run() needs eachMessage or eachBatch"));
        }
        let commit = CommitPolicy {
            auto: js::opt_bool(config, "autoCommit", "autoCommit")?.unwrap_or(true),
            interval_ms: js::opt_int(config, "autoCommitInterval", "autoCommitInterval")?,
            threshold: js::opt_int(config, "autoCommitThreshold", "autoCommitThreshold")?,
        };
        let weak = Rc::downgrade(state);
        let pause = Closure::<dyn Fn(String, u32)>::new(move |topic, partition| {
            if let Some(state) = weak.upgrade() {
                state.paused.borrow_mut().insert((topic, Some(partition)));
            }
        });
        let concurrency =
            js::opt_int::<u32>(config, "partitionsConsumedConcurrently", "partitionsConsumedConcurrently")?
                .unwrap_or(1);
        if concurrency == 0 {
            return Err(error::type_error("partitionsConsumedConcurrently must be at least 1"));
        }
        let handlers = Handlers {
            each_message,
            each_batch,
            commit,
            concurrency: concurrency as usize,
            pause,
            noop: Function::new_no_args("return Promise.resolve()"),
            running: Function::new_no_args("return true"),
            stale: Function::new_no_args("return false"),
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
            ]),
            pause_fns: RefCell::default(),
        };
        Ok(handlers)
    }

    fn pause_for(&self, tp: &TopicPartition) -> JsValue {
        self.pause_fns
            .borrow_mut()
            .entry(tp.clone())
            .or_insert_with(|| {
                let f: &Function = self.pause.as_ref().unchecked_ref();
                f.bind2(&JsValue::NULL, &tp.0.as_str().into(), &tp.1.into()).into()
            })
            .clone()
    }
}

/// Commits what was handled when `policy` says it is time (KafkaJS's autoCommit, autoCommitInterval,
/// autoCommitThreshold; with neither, after every round). A commit the broker could not take now, or the group
/// refused (it is rebalancing or moved on), stays to commit later.
async fn commit_if_due(
    state: &State,
    policy: CommitPolicy,
    since_commit: &mut u32,
    last_commit: &mut i64,
) -> Result<(), Error> {
    let now = js_sys::Date::now() as i64;
    let due = policy.threshold.is_some_and(|t| *since_commit >= t)
        || policy.interval_ms.is_some_and(|i| now - *last_commit >= i)
        || (policy.threshold.is_none() && policy.interval_ms.is_none());
    if !(policy.auto && due) {
        return Ok(());
    }
    match state.commit().await {
        Ok(()) => {
            (*last_commit, *since_commit) = (now, 0);
            Ok(())
        }
        // Retriable (the broker or the group's coordinator is not there right now) or refused: kept for later.
        Err(e) if e.retriable() || refused_by_group(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One partition's records of a fetch, for the handlers.
struct Work {
    tp: TopicPartition,
    records: PackedRecords,
    next: i64,
    high_watermark: i64,
}

/// Hands one partition's records to `eachBatch` (all at once) or `eachMessage` (one by one), advancing the
/// position as each is handled; returns how many were.
async fn handle_partition(
    state: Rc<State>,
    handlers: Rc<Handlers>,
    work: Work,
    generation: u32,
) -> Result<u32, JsValue> {
    let Work { tp, records, next, high_watermark } = work;
    let mut handled = 0u32;
    let topic: JsValue = tp.0.as_str().into();
    if let Some(each_batch) = &handlers.each_batch {
        let messages = pack::records(&records);
        let batch = Object::create(&handlers.batch_prototype);
        js::set(&batch, "topic", topic.clone());
        js::set(&batch, "partition", tp.1);
        js::set(&batch, "highWatermark", js::offset(high_watermark));
        js::set(&batch, "messages", messages);
        let payload = object([
            ("batch", batch.into()),
            ("heartbeat", handlers.noop.clone().into()),
            ("pause", handlers.pause_for(&tp)),
            ("isRunning", handlers.running.clone().into()),
            ("isStale", handlers.stale.clone().into()),
        ]);
        call_handler(each_batch, &payload.into()).await?;
        handled += records.len() as u32;
        state.advance(&tp, next);
    } else if let Some(each_message) = &handlers.each_message {
        let messages = pack::records(&records);
        for i in 0..records.len() {
            let offset = records.offset(i);
            if !state.is_current(generation) || state.is_paused(&tp) {
                break;
            }
            let payload = object([
                ("topic", topic.clone()),
                ("partition", tp.1.into()),
                ("message", messages.get(i as u32)),
                ("heartbeat", handlers.noop.clone().into()),
                ("pause", handlers.pause_for(&tp)),
            ]);
            call_handler(each_message, &payload.into()).await?;
            state.advance(&tp, offset + 1);
            handled += 1;
        }
    }
    Ok(handled)
}

/// KafkaJS's `partitionsConsumedConcurrently`: several partitions' records handled at once, each partition's
/// still in order.
async fn handle_together(
    state: &Rc<State>,
    handlers: &Rc<Handlers>,
    work: Vec<Work>,
    generation: u32,
) -> Result<u32, JsValue> {
    let running = Array::new();
    for w in work {
        let (state, handlers) = (state.clone(), handlers.clone());
        running.push(&future_to_promise(async move {
            handle_partition(state, handlers, w, generation).await.map(JsValue::from)
        }));
    }
    let counts = JsFuture::from(Promise::all(&running)).await?;
    Ok(Array::from(&counts).iter().map(|n| n.as_f64().unwrap_or(0.0) as u32).sum())
}

pub(super) async fn run_loop(state: Rc<State>, handlers: Handlers, generation: u32) {
    let handlers = Rc::new(handlers);
    state.start_member();
    state.auto_commit.set(handlers.commit.auto);
    let mut last_commit = js_sys::Date::now() as i64;
    let mut since_commit = 0u32;
    // Rounds in a row that found the broker unreachable: the loop waits longer after each, and carries on.
    let mut failures = 0u32;
    let backoff = |failures: u32| state.retry.delay_ms(failures).min(MAX_BACKOFF_MS);
    'rounds: while state.is_current(generation) {
        // One Fetch per round for every assigned partition that is not paused, each at its position. It
        // long-polls: with nothing new it returns after at most POLL_MS, so that stop() is never kept waiting.
        let mut asked = Vec::new();
        state.drive_group().await;
        if !state.is_current(generation) {
            break;
        }
        for (tp, from_beginning) in state.assignment().await {
            if state.is_paused(&tp) {
                continue;
            }
            match state.position(&tp, from_beginning).await {
                Ok(offset) => asked.push((tp, from_beginning, offset)),
                Err(e) if worth_retrying(&e) => {
                    sleep(backoff(failures)).await;
                    failures += 1;
                    continue 'rounds;
                }
                Err(e) => return state.crash(state.core(e)),
            }
        }
        let partitions = asked
            .iter()
            .map(|((topic, p), _, offset)| FetchPartition {
                topic: topic.clone(),
                partition: *p as i32,
                offset: *offset,
                max_bytes: state.max_bytes,
            })
            .collect();
        let max_wait_ms = state.max_wait_ms.min(POLL_MS);
        let (min_bytes, max_bytes, rack) = (state.min_bytes, state.max_fetch_bytes, state.rack.clone());
        let request = Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack };
        let answers = match state.broker.call(request).await {
            Ok(Response::Fetch(a)) => a,
            Ok(_) => return state.crash(state.core(unexpected())),
            Err(e) if worth_retrying(&e) => {
                sleep(backoff(failures)).await;
                failures += 1;
                continue;
            }
            Err(e) => return state.crash(state.core(e)),
        };
        failures = 0;
        // With partitionsConsumedConcurrently, partitions wait here to be handled together.
        let mut ready: Vec<Work> = Vec::new();
        for ((tp, from_beginning, position), answer) in asked.into_iter().zip(answers) {
            if !state.is_current(generation) {
                break;
            }
            let fetched = answer.result.map(|f| {
                // Bytes that do not decode are the data's fault, not the broker's state's: fetching them again
                // would fail again, so the consumer stops (Java's poll throws until the application seeks past).
                PackedRecords::fetched(&f.batches, position, state.crc_check)
                    .map(|(r, next)| (f.high_watermark, r, next))
            });
            let (high_watermark, records, next) = match fetched {
                Ok(Ok(f)) => f,
                Ok(Err(e)) => return state.crash(state.core(e)),
                // The data at the position is gone (retention) or never was: auto.offset.reset.
                Err(Error::OffsetOutOfRange(_)) => match state.reset_position(&tp, from_beginning).await {
                    Ok(p) => {
                        state.positions.borrow_mut().insert(tp.clone(), p);
                        continue;
                    }
                    Err(e) => return state.crash(state.core(e)),
                },
                Err(e) if e.retriable() => {
                    state.forget_assignment(); // the partition may be gone, or have moved
                    continue;
                }
                Err(e) => return state.crash(state.core(e)),
            };
            if records.is_empty() {
                if next > position {
                    state.positions.borrow_mut().insert(tp.clone(), next);
                }
                continue;
            }
            let work = Work { tp, records, next, high_watermark };
            if handlers.concurrency > 1 {
                ready.push(work);
                if ready.len() < handlers.concurrency {
                    continue;
                }
                match handle_together(&state, &handlers, std::mem::take(&mut ready), generation).await {
                    Ok(n) => since_commit += n,
                    Err(e) => return state.crash(e),
                }
            } else {
                match handle_partition(state.clone(), handlers.clone(), work, generation).await {
                    Ok(n) => since_commit += n,
                    Err(e) => return state.crash(e),
                }
            }
            if let Err(e) = commit_if_due(&state, handlers.commit, &mut since_commit, &mut last_commit).await {
                return state.crash(state.core(e));
            }
        }
        if !ready.is_empty() {
            match handle_together(&state, &handlers, ready, generation).await {
                Ok(n) => since_commit += n,
                Err(e) => return state.crash(e),
            }
            if let Err(e) = commit_if_due(&state, handlers.commit, &mut since_commit, &mut last_commit).await {
                return state.crash(state.core(e));
            }
        }
    }
    if handlers.commit.auto {
        match state.commit().await {
            // Refused because the group moved on: the next owner reads those records again (at least once).
            Err(e) if !refused_by_group(&e) && !worth_retrying(&e) => state.crash(state.core(e)),
            _ => {}
        }
    }
    // Leaving the group hands this member's partitions to the others at once.
    let leaving = state.member.borrow_mut().take().map(|mut m| m.leave()).unwrap_or_default();
    state.perform(leaving).await;
    for resolve in state.on_stopped.take() {
        let _ = resolve.call0(&JsValue::NULL);
    }
}
