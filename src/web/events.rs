//! Event listeners with KafkaJS's `on(event, listener)` shape: `on` returns a function that removes the listener.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[derive(Default)]
pub struct Events {
    listeners: RefCell<Vec<(u32, String, Function)>>,
    next_id: Cell<u32>,
}

impl Events {
    /// Calls every listener of `event` with `payload`. A listener that throws does not stop the others.
    pub fn emit(&self, event: &str, payload: &JsValue) {
        // Copy the list first: a listener may add or remove listeners.
        let listeners: Vec<Function> =
            self.listeners.borrow().iter().filter(|(_, e, _)| e == event).map(|(_, _, f)| f.clone()).collect();
        for f in listeners {
            let _ = f.call1(&JsValue::NULL, payload);
        }
    }

    /// Adds a listener; returns the function that removes it. One closure per subscription, freed when called.
    pub fn on(self: &Rc<Self>, event: String, listener: Function) -> JsValue {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.listeners.borrow_mut().push((id, event, listener));
        let events = Rc::downgrade(self);
        Closure::once_into_js(move || {
            if let Some(events) = events.upgrade() {
                events.listeners.borrow_mut().retain(|(i, _, _)| *i != id);
            }
        })
    }
}
