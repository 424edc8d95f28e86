//! Kafka's transaction admin calls (KIP-664), which KafkaJS lacks and Java's Admin has: `listTransactions` and
//! `describeTransactions`, to see which transactional ids exist, in what state, and what an open transaction
//! holds. Each is a protocol request, so it works the same in the page and through a port.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{first_item_error, promise, to_js, unexpected, Admin};
use crate::core::protocol::{Request, Response};
use crate::core::txn::{TxnDescription, TxnFilter, TxnState};
use crate::web::js::{self, object};

/// A description as JS gets it: Java's `TransactionDescription` fields, camelCased.
fn described(t: &TxnDescription) -> JsValue {
    let partitions = js::array(
        t.partitions
            .iter()
            .map(|(topic, partition)| object([("topic", topic.as_str().into()), ("partition", (*partition).into())])),
    );
    let started = if t.started_ms < 0 { JsValue::NULL } else { (t.started_ms as f64).into() };
    object([
        ("transactionalId", t.transactional_id.as_str().into()),
        ("state", t.state.name().into()),
        ("producerId", (t.producer_id as f64).into()),
        ("producerEpoch", t.producer_epoch.into()),
        ("transactionTimeoutMs", t.timeout_ms.into()),
        ("transactionStartTimeMs", started),
        ("topicPartitions", partitions.into()),
    ])
    .into()
}

#[wasm_bindgen]
impl Admin {
    /// `listTransactions({ states?, producerIds? })` (franz's, after Java's `Admin.listTransactions`): every
    /// transactional id with its producer and state (`'Empty'`, `'Ongoing'`, `'PrepareCommit'`, `'PrepareAbort'`,
    /// `'CompleteCommit'`, `'CompleteAbort'`), those in `states` of `producerIds` when given. With an authorizer,
    /// only the ids the client may describe.
    #[wasm_bindgen(
        js_name = listTransactions,
        unchecked_return_type = "Promise<Array<{ transactionalId: string; producerId: number; state: TransactionState }>>"
    )]
    pub fn list_transactions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ states?: TransactionState[]; producerIds?: number[] }")]
        options: Option<JsValue>,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let options = options.unwrap_or(JsValue::UNDEFINED);
            let states = js::list(&options, "states", "states", false)?
                .iter()
                .map(|s| {
                    s.as_string().and_then(|name| TxnState::from_name(&name)).ok_or_else(|| {
                        js::type_error("states", "transaction states: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit or CompleteAbort", s)
                    })
                })
                .collect::<Result<_, _>>()?;
            let producer_ids = js::list(&options, "producerIds", "producerIds", false)?
                .iter()
                .enumerate()
                .map(|(i, id)| js::int::<i64>(id, format_args!("producerIds[{i}]")))
                .collect::<Result<_, _>>()?;
            let request = Request::ListTransactions(TxnFilter { states, producer_ids });
            let Response::ListTransactions(list) = broker.call(request).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            let listed = list.iter().map(|t| {
                object([
                    ("transactionalId", t.transactional_id.as_str().into()),
                    ("producerId", (t.producer_id as f64).into()),
                    ("state", t.state.name().into()),
                ])
            });
            Ok(js::array(listed).into())
        })
    }

    /// `describeTransactions({ transactionalIds })` (franz's, after Java's `Admin.describeTransactions`): each
    /// id's state, producer id and epoch, timeout, when the transaction under way began (`null`: none) and the
    /// partitions it holds. Kafka answers each id on its own; as Java's `all()`, the call rejects with the first
    /// id's error: TRANSACTIONAL_ID_NOT_FOUND for an id no producer has used, or
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
    #[wasm_bindgen(js_name = describeTransactions, unchecked_return_type = "Promise<TransactionDescription[]>")]
    pub fn describe_transactions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ transactionalIds: string[] }")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let ids = js::string_list(&options, "transactionalIds", "transactionalIds", true)?;
            let Response::DescribeTransactions(list) =
                broker.call(Request::DescribeTransactions { ids }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            first_item_error("transactional id", list.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| (id, e))))?;
            Ok(js::array(list.iter().filter_map(|(_, r)| r.as_ref().ok()).map(described)).into())
        })
    }
}
