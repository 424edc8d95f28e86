//! The admin calls that break things on purpose, for lessons and tests (franz's own; Kafka has no API to crash
//! a broker). Each is a protocol request, so it works the same in the page and through a port.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{promise, to_js, unexpected, Admin};
use crate::core::protocol::{Fault, Request, Response};
use crate::web::js;

impl Admin {
    fn fault(&self, fault: impl FnOnce() -> Result<Fault, JsValue> + 'static) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            match broker.call(Request::Fault(fault()?)).await.map_err(to_js)? {
                Response::Fault => Ok(JsValue::UNDEFINED),
                _ => Err(unexpected()),
            }
        })
    }
}

#[wasm_bindgen]
impl Admin {
    /// Crashes broker `id`: it stops answering at once. The controller fences it after
    /// `broker.session.timeout.ms` (1 s in a tab) and moves its leaderships to in-sync replicas.
    #[wasm_bindgen(js_name = killBroker, unchecked_return_type = "Promise<void>")]
    pub fn kill_broker(&self, id: i32) -> Promise {
        self.fault(move || Ok(Fault::KillBroker { broker: id }))
    }

    /// Starts broker `id` again on what its storage holds: it catches up, rejoins the ISR, and leads its
    /// preferred partitions again.
    #[wasm_bindgen(js_name = restartBroker, unchecked_return_type = "Promise<void>")]
    pub fn restart_broker(&self, id: i32) -> Promise {
        self.fault(move || Ok(Fault::RestartBroker { broker: id }))
    }

    /// Splits the network into `groups` of broker ids (every broker in exactly one) that reach only each
    /// other; the controller is with the first group.
    #[wasm_bindgen(js_name = partitionNetwork, unchecked_return_type = "Promise<void>")]
    pub fn partition_network(&self, #[wasm_bindgen(unchecked_param_type = "number[][]")] groups: JsValue) -> Promise {
        self.fault(move || {
            let groups: Vec<Vec<i32>> = js::from_plain(&groups, "groups")
                .map_err(|_| js::type_error("groups", "an array of arrays of broker ids", &groups))?;
            Ok(Fault::PartitionNetwork { groups })
        })
    }

    /// Makes the network whole again.
    #[wasm_bindgen(js_name = healNetwork, unchecked_return_type = "Promise<void>")]
    pub fn heal_network(&self) -> Promise {
        self.fault(|| Ok(Fault::HealNetwork))
    }
}
