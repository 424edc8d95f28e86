//! KafkaJS's transactions: a producer with a `transactionalId` sends inside `producer.transaction()`, and what
//! the transaction sent, with the consumer offsets it commits (`sendOffsets`), counts all together on `commit()`
//! or not at all on `abort()`. Consumers reading `read_committed` (KafkaJS's default) never see the records of
//! an aborted or open transaction.
//!
//! The producer starts its first transaction with InitProducerId under its transactional id, which fences any
//! older producer with that id (its next request fails with PRODUCER_FENCED) and aborts what it left open.
//! Each partition a send reaches, and each group `sendOffsets` names, is added to the transaction before
//! anything is written there, as Kafka's producer does.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::error;
use super::js;
use super::producer::{batch_sends, record_sends, State};
use crate::core::error::Error;
use crate::core::protocol::{Request, Response};
use crate::core::txn::{TxnCall, TxnOffset, TxnRequest, MAX_TIMEOUT_MS};

/// KafkaJS's `transactionTimeout` default (Kafka's `transaction.timeout.ms`).
const DEFAULT_TIMEOUT_MS: i32 = 60_000;

/// A transactional producer's settings and its transaction under way.
pub(crate) struct Transactional {
    pub id: String,
    pub timeout_ms: i32,
    pub current: RefCell<Option<Rc<Run>>>,
    /// Set once the producer is fenced: it may do nothing more.
    pub fatal: RefCell<Option<Error>>,
}

impl Transactional {
    /// `transactionalId` and `transactionTimeout` from a producer's config; `None` without an id.
    pub fn from_config(config: &JsValue) -> Result<Option<Transactional>, JsValue> {
        let Some(id) = js::opt_string(config, "transactionalId", "transactionalId")? else { return Ok(None) };
        if id.is_empty() {
            return Err(error::type_error("transactionalId must not be empty"));
        }
        if js::opt_bool(config, "idempotent", "idempotent")? == Some(false) {
            return Err(error::type_error("a transactional producer is idempotent: leave idempotent out, or true"));
        }
        let timeout_ms = js::opt_int::<i32>(config, "transactionTimeout", "transactionTimeout")?;
        let timeout_ms = timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(error::to_js(&Error::InvalidTransactionTimeout(format!(
                "transactionTimeout {timeout_ms} ms is not within 1..={MAX_TIMEOUT_MS} (transaction.max.timeout.ms)"
            ))));
        }
        Ok(Some(Transactional { id, timeout_ms, current: RefCell::default(), fatal: RefCell::default() }))
    }

    /// The transaction under way, for a send: a transactional producer sends only inside one.
    pub fn running(&self) -> Result<Rc<Run>, JsValue> {
        self.check_usable()?;
        let current = self.current.borrow().clone().filter(|r| r.active.get());
        current.ok_or_else(|| {
            error::client_error(
                "INVALID_TXN_STATE",
                "a transactional producer sends inside a transaction: call producer.transaction() first",
            )
        })
    }

    fn check_usable(&self) -> Result<(), JsValue> {
        match self.fatal.borrow().as_ref() {
            Some(e) => Err(error::to_js(e)),
            None => Ok(()),
        }
    }
}

/// One transaction: what it added, what it sent, and whether it may still be used.
#[derive(Default)]
pub(crate) struct Run {
    pub active: Cell<bool>,
    /// A send of it failed: it can only be aborted.
    pub failed: RefCell<Option<JsValue>>,
    pub partitions: RefCell<BTreeSet<(String, u32)>>,
    groups: RefCell<BTreeSet<String>>,
    /// The promises of its sends, which commit and abort wait for.
    pub sends: RefCell<Vec<Promise>>,
}

impl Run {
    pub fn check_active(&self) -> Result<(), JsValue> {
        if self.active.get() {
            Ok(())
        } else {
            Err(error::client_error(
                "INVALID_TXN_STATE",
                "the transaction is no longer active: it was committed or aborted",
            ))
        }
    }

    /// Waits for every send so far; the first failure, if any.
    async fn settle_sends(&self) -> Option<JsValue> {
        let mut failure = None;
        loop {
            let sends = self.sends.take();
            if sends.is_empty() {
                return failure.or_else(|| self.failed.borrow().clone());
            }
            for send in sends {
                if let Err(e) = JsFuture::from(send).await {
                    failure.get_or_insert(e);
                }
            }
        }
    }
}

impl State {
    /// A transactional request from this producer, tried again while its coordinator or the previous end of the
    /// transaction is not ready (CONCURRENT_TRANSACTIONS, COORDINATOR_NOT_AVAILABLE). PRODUCER_FENCED ends the
    /// producer.
    pub(crate) async fn txn_call(&self, request: TxnRequest) -> Result<(), Error> {
        let (Some(txn), Some((producer_id, epoch))) = (&self.transactional, self.producer_id()) else {
            return Err(Error::InvalidTxnState("the producer has no transactional id".into()));
        };
        let call = TxnCall { transactional_id: txn.id.clone(), producer_id, epoch, request };
        let answer = self.call_while(Request::Txn(call), Error::retriable).await.map(|_| ());
        if let Err(e @ (Error::ProducerFenced(_) | Error::InvalidProducerEpoch(_))) = &answer {
            *txn.fatal.borrow_mut() = Some(e.clone());
        }
        answer
    }

    /// InitProducerId under the transactional id: fences older producers of the id, and aborts what they left
    /// open (which may take a moment: CONCURRENT_TRANSACTIONS is retried).
    pub(crate) async fn init_transactional(&self, txn: &Transactional) -> Result<(), Error> {
        let request = Request::InitProducerId { transactional_id: Some(txn.id.clone()), timeout_ms: txn.timeout_ms };
        match self.call_while(request, Error::retriable).await? {
            Response::InitProducerId { producer_id, epoch } => {
                self.set_producer_id(producer_id, epoch);
                Ok(())
            }
            _ => Err(Error::UnknownServerError("InitProducerId was answered with something else".into())),
        }
    }

    /// Adds the partitions a send is about to write to the transaction, before any of it is queued.
    pub(crate) async fn add_to_transaction(&self, partitions: BTreeSet<(String, u32)>) -> Result<(), Error> {
        let Some(run) = self.transactional.as_ref().and_then(|t| t.current.borrow().clone()) else { return Ok(()) };
        let new: Vec<(String, i32)> = partitions
            .into_iter()
            .filter(|p| !run.partitions.borrow().contains(p))
            .map(|(t, p)| (t, p as i32))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        self.txn_call(TxnRequest::AddPartitions { partitions: new.clone() }).await?;
        run.partitions.borrow_mut().extend(new.into_iter().map(|(t, p)| (t, p as u32)));
        Ok(())
    }
}

/// `producer.transaction()`: begins a transaction (the first one initialises the producer under its id).
pub(crate) fn begin(state: Rc<State>) -> Promise {
    future_to_promise(async move {
        state.check_connected()?;
        let txn = state.transactional.as_ref().ok_or_else(|| {
            error::to_js(&Error::InvalidTxnState("transactions need a producer made with a transactionalId".into()))
        })?;
        txn.check_usable()?;
        if txn.current.borrow().as_ref().is_some_and(|r| r.active.get()) {
            return Err(error::client_error("INVALID_TXN_STATE", "there is already an ongoing transaction"));
        }
        if state.producer_id().is_none() {
            state.init_transactional(txn).await.map_err(|e| error::to_js(&e))?;
        }
        let run = Rc::new(Run { active: Cell::new(true), ..Run::default() });
        *txn.current.borrow_mut() = Some(run.clone());
        Ok(Transaction { state: state.clone(), run }.into())
    })
}

/// KafkaJS's `Transaction`.
#[wasm_bindgen]
pub struct Transaction {
    state: Rc<State>,
    run: Rc<Run>,
}

#[wasm_bindgen]
impl Transaction {
    /// As `producer.send`, inside the transaction.
    #[wasm_bindgen(unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send(&self, #[wasm_bindgen(unchecked_param_type = "ProducerRecord")] record: JsValue) -> Promise {
        self.state.send_all(record_sends(&self.state, &record), Some(&self.run))
    }

    /// As `producer.sendBatch`, inside the transaction.
    #[wasm_bindgen(js_name = sendBatch, unchecked_return_type = "Promise<RecordMetadata[]>")]
    pub fn send_batch(&self, #[wasm_bindgen(unchecked_param_type = "ProducerBatch")] batch: JsValue) -> Promise {
        self.state.send_all(batch_sends(&self.state, &batch), Some(&self.run))
    }

    /// `sendOffsets({ consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] })`: the group's
    /// offsets (each the next record to read), committed if and when the transaction commits.
    #[wasm_bindgen(js_name = sendOffsets, unchecked_return_type = "Promise<void>")]
    pub fn send_offsets(&self, #[wasm_bindgen(unchecked_param_type = "TxnOffsetCommit")] offsets: JsValue) -> Promise {
        let (state, run) = (self.state.clone(), self.run.clone());
        future_to_promise(async move {
            run.check_active()?;
            let group = js::string(&offsets, "consumerGroupId", "consumerGroupId")?;
            let mut list = Vec::new();
            for (i, t) in js::list(&offsets, "topics", "topics", true)?.iter().enumerate() {
                let topic = js::string(t, "topic", format_args!("topics[{i}].topic"))?;
                for (j, p) in
                    js::list(t, "partitions", format_args!("topics[{i}].partitions"), true)?.iter().enumerate()
                {
                    let at = |f: &str| format!("topics[{i}].partitions[{j}].{f}");
                    let partition = js::opt_int(p, "partition", at("partition"))?
                        .ok_or_else(|| js::type_error(at("partition"), "a number", &JsValue::UNDEFINED))?;
                    let offset = js::int(&js::get(p, "offset"), at("offset"))?;
                    let metadata = js::opt_string(p, "metadata", at("metadata"))?;
                    list.push(TxnOffset { topic: topic.clone(), partition, offset, metadata });
                }
            }
            let to_js = |e: Error| error::to_js(&e);
            if !run.groups.borrow().contains(&group) {
                state.txn_call(TxnRequest::AddOffsets { group: group.clone() }).await.map_err(to_js)?;
                run.groups.borrow_mut().insert(group.clone());
            }
            state.txn_call(TxnRequest::CommitOffsets { group, member: None, offsets: list }).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Waits for every send, then commits: all of them and the offsets become visible together. A send that
    /// failed rejects the commit with its error, and the transaction can then only be aborted.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn commit(&self) -> Promise {
        self.end(true)
    }

    /// Waits for every send, then aborts: nothing of the transaction is ever seen by `read_committed` consumers.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn abort(&self) -> Promise {
        self.end(false)
    }

    #[wasm_bindgen(js_name = isActive)]
    pub fn is_active(&self) -> bool {
        self.run.active.get()
    }
}

impl Transaction {
    fn end(&self, commit: bool) -> Promise {
        let (state, run) = (self.state.clone(), self.run.clone());
        future_to_promise(async move {
            run.check_active()?;
            let failure = run.settle_sends().await;
            if let (true, Some(e)) = (commit, &failure) {
                return Err(e.clone());
            }
            // Nothing was added: the coordinator has no transaction to end.
            if !run.partitions.borrow().is_empty() || !run.groups.borrow().is_empty() {
                state.txn_call(TxnRequest::End { commit }).await.map_err(|e| error::to_js(&e))?;
            }
            run.active.set(false);
            if failure.is_some() {
                // A failed batch left its partition's sequence behind the producer's: the next transaction
                // starts under a new epoch, its sequences from 0.
                state.reset_producer_id();
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}
