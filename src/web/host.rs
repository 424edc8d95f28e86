//! Serving the protocol to other contexts: a broker host (a page or a dedicated worker that opened a cluster)
//! answers envelopes from any number of `MessagePort`s. Each envelope is served on its own, so a slow long poll
//! never holds up another client's produce, and answers may return out of order (envelopes carry ids). A
//! malformed envelope gets an error answer; the host goes on serving everyone.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, MessagePort};

use super::envelope;
use super::kafka::Inner;
use crate::core::error::Error;
use crate::core::log::OffsetSpec;
use crate::core::protocol::{Request, Response};

impl Inner {
    /// Serves one request completely: a Fetch waits (up to `max_wait_ms`) until `min_bytes` are there, as Kafka's
    /// long poll does; a request that changes the cluster is answered only once storage has the change.
    pub async fn call(self: &Rc<Self>, request: Request) -> Result<Response, Error> {
        if let Request::Fetch { partitions, min_bytes, max_wait_ms } = request {
            let deadline = self.now_ms() + i64::from(max_wait_ms);
            loop {
                let answers = self.fetch_batches(partitions.clone()).await?;
                let bytes: usize = answers
                    .iter()
                    .filter_map(|a| a.result.as_ref().ok())
                    .map(|f| f.batches.iter().map(|b| b.len()).sum::<usize>())
                    .sum();
                let left = deadline - self.now_ms();
                if bytes >= min_bytes || left <= 0 || self.check_open().is_err() {
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
        let response = self.serve(request)?;
        if mutates {
            self.persist().await?;
            self.data_arrived();
        }
        Ok(response)
    }

    /// Answers one envelope: the response envelope and the ArrayBuffers to transfer with it.
    async fn answer(self: &Rc<Self>, message: JsValue) -> (JsValue, Array) {
        let Some(id) = envelope::id_of(&message) else {
            let e = Error::InvalidRequest("an envelope needs a numeric id".into());
            return (envelope::error_response(None, &e).into(), Array::new());
        };
        let result = match envelope::request(&message) {
            Ok(request) => self.call(request).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(response) => {
                let (out, transfer) = envelope::response(id, &response);
                (out.into(), transfer)
            }
            Err(e) => (envelope::error_response(Some(id), &e).into(), Array::new()),
        }
    }

    /// Starts serving envelopes that arrive on `port`. A served cluster must outlive the page's handle to it (a
    /// worker's clients keep talking after the page forgets the object), so the handler holds the cluster; the
    /// cycle ends at `close()`, which unhooks every port.
    pub fn serve_port(self: &Rc<Self>, port: MessagePort) {
        let inner = self.clone();
        let reply_to = port.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let inner = inner.clone();
            let reply_to = reply_to.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let (answer, transfer) = inner.answer(event.data()).await;
                if reply_to.post_message_with_transferable(&answer, &transfer).is_err() {
                    inner.warn("a client port closed before its answer could be sent");
                }
            });
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        self.ports.borrow_mut().push((port, on_message));
    }
}
