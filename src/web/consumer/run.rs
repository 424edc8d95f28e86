//! `run`: the fetch loop, and handing records to `eachBatch` / `eachMessage`.

use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::group::refused_by_group;
use super::payload::PayloadFns;
use super::{unexpected, CommitPolicy, State, TopicPartition, MAX_BACKOFF_MS, POLL_MS};
use crate::core::client::PackedRecords;
use crate::core::error::Error;
use crate::core::protocol::{FetchPartition, Request, Response};
use crate::web::error;
use crate::web::js::{self, object};
use crate::web::log::LogLevel;
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
    /// KafkaJS's `eachBatchAutoResolve`: a batch counts as handled, all of it, once its handler returns.
    auto_resolve: bool,
    /// KafkaJS's `partitionsConsumedConcurrently`.
    concurrency: usize,
    payload: PayloadFns,
}

impl Handlers {
    /// `run`'s config, checked: the handlers, the commit policy, the concurrency.
    pub(super) fn from_config(config: &JsValue, state: &Rc<State>, generation: u32) -> Result<Handlers, JsValue> {
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
        let concurrency =
            js::opt_int::<u32>(config, "partitionsConsumedConcurrently", "partitionsConsumedConcurrently")?
                .unwrap_or(1);
        if concurrency == 0 {
            return Err(error::type_error("partitionsConsumedConcurrently must be at least 1"));
        }
        Ok(Handlers {
            each_message,
            each_batch,
            commit,
            auto_resolve: js::opt_bool(config, "eachBatchAutoResolve", "eachBatchAutoResolve")?.unwrap_or(true),
            concurrency: concurrency as usize,
            payload: PayloadFns::new(state, commit, generation),
        })
    }
}

/// Commits what was handled when `policy` says it is time (KafkaJS's autoCommit, autoCommitInterval,
/// autoCommitThreshold; with neither, after every round). A commit the broker could not take now, or the group
/// refused (it is rebalancing or moved on), stays to commit later.
async fn commit_if_due(state: &State, policy: CommitPolicy) -> Result<(), Error> {
    let now = js_sys::Date::now() as i64;
    let due = policy.reached(state, now) || (policy.threshold.is_none() && policy.interval_ms.is_none());
    if !(policy.auto && due) {
        return Ok(());
    }
    match state.commit().await {
        // Retriable (the broker or the group's coordinator is not there right now) or refused: kept for later.
        Err(e) if !e.retriable() && !refused_by_group(&e) => Err(e),
        _ => Ok(()),
    }
}

/// One partition's records of a fetch, for the handlers.
struct Work {
    tp: TopicPartition,
    records: PackedRecords,
    next: i64,
    high_watermark: i64,
}

/// Hands one partition's records to its handler between KafkaJS's `consumer.start_batch_process` and
/// `consumer.end_batch_process` events; returns how many were handled.
async fn handle_partition(
    state: Rc<State>,
    handlers: Rc<Handlers>,
    work: Work,
    generation: u32,
) -> Result<u32, JsValue> {
    let Work { tp, records, high_watermark, .. } = &work;
    let topic: JsValue = tp.0.as_str().into();
    let messages = pack::records(records);
    let batch_process = |duration: Option<f64>| {
        let (first, last) = (records.offset(0), records.offset(records.len() - 1));
        let payload = object([
            ("topic", topic.clone()),
            ("partition", tp.1.into()),
            ("highWatermark", js::offset(*high_watermark)),
            ("offsetLag", js::offset(high_watermark - 1 - last)),
            ("offsetLagLow", js::offset(high_watermark - 1 - first)),
            ("batchSize", records.len().into()),
            ("firstOffset", js::offset(first)),
            ("lastOffset", js::offset(last)),
        ]);
        if let Some(duration) = duration {
            js::set(&payload, "duration", duration);
        }
        JsValue::from(payload)
    };
    let started = js_sys::Date::now();
    state.events.instrument("consumer.start_batch_process", || batch_process(None));
    let handled = hand_over(&state, &handlers, &work, &topic, messages, generation).await;
    if handled.is_ok() {
        let duration = js_sys::Date::now() - started;
        state.events.instrument("consumer.end_batch_process", || batch_process(Some(duration)));
    }
    handled
}

/// Hands the records of `work` (as `messages`) to `eachBatch` (all at once) or `eachMessage` (one by one),
/// advancing the position as each is handled, and stopping early if `seek` moves the partition.
async fn hand_over(
    state: &State,
    handlers: &Handlers,
    work: &Work,
    topic: &JsValue,
    messages: Array,
    generation: u32,
) -> Result<u32, JsValue> {
    let Work { tp, records, next, high_watermark } = work;
    if let Some(each_batch) = &handlers.each_batch {
        let payload = handlers.payload.each_batch(tp, topic, *high_watermark, messages);
        let outcome = call_handler(each_batch, &payload).await;
        if handlers.auto_resolve && outcome.is_ok() && !state.is_stale(tp) {
            state.advance(tp, *next);
        }
        outcome.inspect_err(|e| handler_failed(state, "eachBatch", tp, records.offset(0), e))?;
        // What `resolveOffset` (or the automatic resolve) covered.
        let position = state.positions.borrow().get(tp).copied().unwrap_or(i64::MIN);
        return Ok((0..records.len()).filter(|&i| records.offset(i) < position).count() as u32);
    }
    let Some(each_message) = &handlers.each_message else { return Ok(0) };
    let mut handled = 0u32;
    for i in 0..records.len() {
        if !state.is_current(generation) || state.is_paused(tp) || state.is_stale(tp) {
            break;
        }
        let payload = handlers.payload.each_message(tp, topic, messages.get(i as u32));
        let outcome = call_handler(each_message, &payload).await;
        outcome.inspect_err(|e| handler_failed(state, "eachMessage", tp, records.offset(i), e))?;
        if state.is_stale(tp) {
            break; // the handler moved the partition with seek
        }
        state.advance(tp, records.offset(i) + 1);
        handled += 1;
        // As KafkaJS's loop: a heartbeat between messages when one is due, so a long batch keeps the member in.
        state.heartbeat_from_handler().await;
    }
    Ok(handled)
}

/// KafkaJS's log entry for a handler that threw or rejected at `offset` of `tp` (not for a KafkaJS error, which
/// KafkaJS leaves to the crash or retry that follows).
fn handler_failed(state: &State, handler: &str, tp: &(String, u32), offset: i64, err: &JsValue) {
    if js::get(err, "name").as_string().is_some_and(|name| name.starts_with("KafkaJS")) {
        return;
    }
    state.events.log_as("Runner", LogLevel::ERROR, &format!("Error when calling {handler}"), || {
        let (topic, partition) = (tp.0.as_str().into(), tp.1.into());
        let stack = js::get(err, "stack");
        object([
            ("topic", topic),
            ("partition", partition),
            ("offset", js::offset(offset)),
            ("stack", stack),
            ("error", err.clone()),
        ])
        .into()
    });
}

/// KafkaJS's `partitionsConsumedConcurrently`: several partitions' records handled at once, each partition's
/// still in order. All of them finish before the first failure, if any, is the result, so that no handler is
/// still running when the loop fetches again.
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
    let mut handled = 0;
    for outcome in Array::from(&JsFuture::from(Promise::all_settled(&running)).await?).iter() {
        match js::get(&outcome, "value").as_f64() {
            Some(n) => handled += n as u32,
            None => return Err(js::get(&outcome, "reason")),
        }
    }
    Ok(handled)
}

/// What the loop does after a handler threw or rejected, as KafkaJS does: it commits what was handled before,
/// and fetches again from the first record not handled, after a wait that grows with each failure in a row
/// (`retry`). When `retry.retries` run out, it reports `consumer.crash` with `restart: true` (unless
/// `retry.restartOnFailure` says otherwise), leaves the group, and joins it again after `initialRetryTime`,
/// reading from the committed offsets. An error that retrying cannot mend (a `TypeError`, `RangeError`,
/// `ReferenceError` or `SyntaxError`, or one with `retriable: false`) is the end: `Err`, a crash.
async fn after_handler_failure(
    state: &State,
    handlers: &Handlers,
    err: JsValue,
    failures: &mut u32,
    generation: u32,
) -> Result<(), JsValue> {
    if handlers.commit.auto {
        let _ = state.commit().await; // what could not be committed now stays to commit later
    }
    if !retriable(&err) {
        return Err(err);
    }
    if *failures < state.retry.retries {
        wait_while_running(state, generation, state.retry.delay_ms(*failures)).await;
        *failures += 1;
        return Ok(());
    }
    let exceeded = error::retries_exceeded(&err, *failures, state.retry.delay_ms(*failures));
    let restart = match &state.restart_on_failure {
        None => true,
        // KafkaJS asks with the crash's error, and restarts when the callback itself fails.
        Some(ask) => match ask.call1(&JsValue::NULL, &exceeded).map(|r| crate::web::signal::settled(&r)) {
            Ok(answer) => answer.await.map_or(true, |v| v.is_truthy()),
            Err(_) => true,
        },
    };
    if !restart {
        return Err(exceeded);
    }
    state.crash(exceeded, true);
    let restart_ms = state.retry.delay_ms(0);
    state.events.log(LogLevel::ERROR, &format!("Restarting the consumer in {restart_ms}ms"), || {
        let (group, count) = (state.group_id.as_str().into(), (*failures).into());
        object([("groupId", group), ("retryCount", count), ("retryTime", restart_ms.into())]).into()
    });
    *failures = 0;
    state.leave_group().await;
    wait_while_running(state, generation, restart_ms).await;
    if state.is_current(generation) {
        state.start_member();
    }
    Ok(())
}

/// Waits `ms`, or less if the consumer stops meanwhile: `stop()` is not kept waiting for a retry's turn.
async fn wait_while_running(state: &State, generation: u32, ms: u32) {
    let until = js_sys::Date::now() + f64::from(ms);
    while state.is_current(generation) && js_sys::Date::now() < until {
        sleep((until - js_sys::Date::now()).clamp(1.0, f64::from(POLL_MS)) as u32).await;
    }
}

/// KafkaJS's rule for a handler's error: retried unless it says `retriable: false` or is a programming error.
fn retriable(err: &JsValue) -> bool {
    let name = js::get(err, "name").as_string().unwrap_or_default();
    js::get(err, "retriable") != JsValue::FALSE
        && !matches!(name.as_str(), "TypeError" | "RangeError" | "ReferenceError" | "SyntaxError")
}

pub(super) async fn run_loop(state: Rc<State>, handlers: Handlers, generation: u32) {
    let handlers = Rc::new(handlers);
    state.start_member();
    state.auto_commit.set(handlers.commit.auto);
    state.last_commit.set(js_sys::Date::now() as i64);
    state.since_commit.set(0);
    let crashed = match rounds(&state, &handlers, generation).await {
        Ok(()) => false,
        Err(e) => {
            state.crash(e, false);
            true
        }
    };
    if handlers.commit.auto {
        match state.commit().await {
            // Refused because the group moved on: the next owner reads those records again (at least once).
            Err(e) if !crashed && !refused_by_group(&e) && !worth_retrying(&e) => state.crash(state.core(e), false),
            _ => {}
        }
    }
    state.leave_group().await;
    for resolve in state.on_stopped.take() {
        let _ = resolve.call0(&JsValue::NULL);
    }
}

/// Fetches and hands records over, round after round, until the consumer stops (`Ok`) or crashes (`Err`).
async fn rounds(state: &Rc<State>, handlers: &Rc<Handlers>, generation: u32) -> Result<(), JsValue> {
    // Rounds in a row that found the broker unreachable: the loop waits longer after each, and carries on.
    let mut failures = 0u32;
    // Handler failures in a row, for `retry`.
    let mut handler_failures = 0u32;
    let backoff = |failures: u32| state.retry.delay_ms(failures).min(MAX_BACKOFF_MS);
    'rounds: while state.is_current(generation) {
        // One Fetch per round for every assigned partition that is not paused, each at its position. It
        // long-polls: with nothing new it returns after at most POLL_MS, so that stop() is never kept waiting.
        state.sought.borrow_mut().clear(); // positions are read afresh below
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
                Err(e) => return Err(state.core(e)),
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
        let request =
            Request::Fetch { partitions, min_bytes, max_bytes, max_wait_ms, rack, isolation: state.isolation };
        state.events.instrument("consumer.fetch_start", || object([]).into());
        let fetch_started = js_sys::Date::now();
        let answers = match state.broker.call(request).await {
            Ok(Response::Fetch(a)) => {
                state.events.instrument("consumer.fetch", || {
                    let batches = a.iter().filter(|p| p.result.as_ref().is_ok_and(|f| !f.batches.is_empty())).count();
                    let duration = js_sys::Date::now() - fetch_started;
                    object([("numberOfBatches", batches.into()), ("duration", duration.into())]).into()
                });
                a
            }
            Ok(_) => return Err(state.core(unexpected())),
            Err(e) if worth_retrying(&e) => {
                sleep(backoff(failures)).await;
                failures += 1;
                continue;
            }
            Err(e) => return Err(state.core(e)),
        };
        failures = 0;
        // With partitionsConsumedConcurrently, partitions wait here to be handled together.
        let mut ready: Vec<Work> = Vec::new();
        let mut handled = Ok(0);
        for ((tp, from_beginning, position), answer) in asked.into_iter().zip(answers) {
            if !state.is_current(generation) {
                break;
            }
            if state.is_stale(&tp) {
                continue; // fetched from where the partition was before a seek
            }
            let fetched = answer.result.map(|f| {
                // Bytes that do not decode are the data's fault, not the broker's state's: fetching them again
                // would fail again, so the consumer stops (Java's poll throws until the application seeks past).
                PackedRecords::fetched(&f.batches, position, state.crc_check, f.aborted_txns())
                    .map(|(r, next)| (f.high_watermark, r, next))
            });
            let (high_watermark, records, next) = match fetched {
                Ok(Ok(f)) => f,
                Ok(Err(e)) => return Err(state.core(e)),
                // The data at the position is gone (retention) or never was: auto.offset.reset.
                Err(Error::OffsetOutOfRange(_)) => {
                    state.events.log_as(
                        "ConsumerGroup",
                        LogLevel::ERROR,
                        "Offset out of range, resetting to default offset",
                        || {
                            let (topic, partition) = (tp.0.as_str().into(), tp.1.into());
                            object([
                                ("topic", topic),
                                ("partition", partition),
                                ("groupId", state.group_id.as_str().into()),
                            ])
                            .into()
                        },
                    );
                    let reset = state.reset_position(&tp, from_beginning).await.map_err(|e| state.core(e))?;
                    state.positions.borrow_mut().insert(tp.clone(), reset);
                    continue;
                }
                Err(e) if e.retriable() => {
                    state.forget_assignment(); // the partition may be gone, or have moved
                    continue;
                }
                Err(e) => return Err(state.core(e)),
            };
            if records.is_empty() {
                if next > position {
                    state.positions.borrow_mut().insert(tp.clone(), next);
                }
                continue;
            }
            let work = Work { tp, records, next, high_watermark };
            handled = if handlers.concurrency > 1 {
                ready.push(work);
                if ready.len() < handlers.concurrency {
                    continue;
                }
                handle_together(state, handlers, std::mem::take(&mut ready), generation).await
            } else {
                handle_partition(state.clone(), handlers.clone(), work, generation).await
            };
            if handled.is_err() {
                break;
            }
            state.since_commit.set(state.since_commit.get() + handled.as_ref().copied().unwrap_or(0));
            commit_if_due(state, handlers.commit).await.map_err(|e| state.core(e))?;
        }
        if !ready.is_empty() && handled.is_ok() {
            handled = handle_together(state, handlers, ready, generation).await;
            if let Ok(n) = handled {
                state.since_commit.set(state.since_commit.get() + n);
                commit_if_due(state, handlers.commit).await.map_err(|e| state.core(e))?;
            }
        }
        match handled {
            Ok(_) => handler_failures = 0,
            Err(e) => after_handler_failure(state, handlers, e, &mut handler_failures, generation).await?,
        }
    }
    Ok(())
}
