//! Event listeners with KafkaJS's `on(event, listener)` shape: `on` takes only the names its client emits (a
//! misspelt one is an error, not a listener that never hears anything) and returns a function that removes the
//! listener. Clients' events are KafkaJS's instrumentation events, `{ id, type, timestamp, payload }`. A client's
//! events carry its logger too (the cluster's, in the client's namespace), as KafkaJS's clients have both.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::error;
use super::js::{self, object};
use super::log::{LogLevel, Logger};

/// The events a client emits: each name with its key in the client's `events` object, as KafkaJS's
/// `consumer.events.GROUP_JOIN` is `'consumer.group_join'`.
pub type EventNames = &'static [(&'static str, &'static str)];

pub const KAFKA: EventNames = &[("CLUSTER_CHANGE", "cluster.change"), ("WARNING", "warning")];
pub const PRODUCER: EventNames = &[
    ("CONNECT", "producer.connect"),
    ("DISCONNECT", "producer.disconnect"),
    ("REQUEST", "producer.network.request"),
    ("REQUEST_TIMEOUT", "producer.network.request_timeout"),
    ("REQUEST_QUEUE_SIZE", "producer.network.request_queue_size"),
];
pub const ADMIN: EventNames = &[
    ("CONNECT", "admin.connect"),
    ("DISCONNECT", "admin.disconnect"),
    ("REQUEST", "admin.network.request"),
    ("REQUEST_TIMEOUT", "admin.network.request_timeout"),
    ("REQUEST_QUEUE_SIZE", "admin.network.request_queue_size"),
];
pub const CONSUMER: EventNames = &[
    ("HEARTBEAT", "consumer.heartbeat"),
    ("COMMIT_OFFSETS", "consumer.commit_offsets"),
    ("GROUP_JOIN", "consumer.group_join"),
    ("FETCH_START", "consumer.fetch_start"),
    ("FETCH", "consumer.fetch"),
    ("START_BATCH_PROCESS", "consumer.start_batch_process"),
    ("END_BATCH_PROCESS", "consumer.end_batch_process"),
    ("CONNECT", "consumer.connect"),
    ("DISCONNECT", "consumer.disconnect"),
    ("STOP", "consumer.stop"),
    ("CRASH", "consumer.crash"),
    ("REBALANCING", "consumer.rebalancing"),
    // When a custom assigner gives a member topics it did not subscribe to (franz's own assignors never do).
    ("RECEIVED_UNSUBSCRIBED_TOPICS", "consumer.received_unsubscribed_topics"),
    ("REQUEST", "consumer.network.request"),
    ("REQUEST_TIMEOUT", "consumer.network.request_timeout"),
    ("REQUEST_QUEUE_SIZE", "consumer.network.request_queue_size"),
];

/// `event` if it is one of `names`; otherwise KafkaJS's error for an unknown event name.
pub fn known(names: EventNames, event: &str) -> Result<&'static str, JsValue> {
    names.iter().find(|(_, name)| *name == event).map(|(_, name)| *name).ok_or_else(|| {
        let all: Vec<&str> = names.iter().map(|(_, name)| *name).collect();
        error::client_error(
            "INVALID_EVENT_NAME",
            &format!("Event name should be one of {}, got {event:?}", all.join(", ")),
        )
    })
}

pub struct Events {
    names: EventNames,
    listeners: RefCell<Vec<(u32, &'static str, Function)>>,
    next_id: Cell<u32>,
    next_event_id: Cell<u32>,
    log: Rc<Logger>,
    /// The client's namespace in the log: KafkaJS's `Producer`, `Consumer`, `Admin`.
    namespace: &'static str,
}

impl Events {
    pub fn new(names: EventNames, log: Rc<Logger>, namespace: &'static str) -> Rc<Events> {
        let (listeners, next_id, next_event_id) = (RefCell::default(), Cell::new(0), Cell::new(0));
        Rc::new(Events { names, listeners, next_id, next_event_id, log, namespace })
    }

    /// KafkaJS's `client.logger()`.
    pub fn logger(&self) -> JsValue {
        self.log.api(self.namespace)
    }

    /// Logs in the client's namespace.
    pub fn log(&self, level: LogLevel, message: &str, extra: impl FnOnce() -> JsValue) {
        self.log_as(self.namespace, level, message, extra);
    }

    /// Logs in one of the client's parts' namespaces, as KafkaJS's consumer logs as `ConsumerGroup` and `Runner`.
    pub fn log_as(&self, namespace: &str, level: LogLevel, message: &str, extra: impl FnOnce() -> JsValue) {
        self.log.log(level, namespace, message, extra);
    }

    /// The names `on` takes, as a client's `events` shows them: `{ KEY: name }`.
    pub fn names_object(&self) -> Object {
        let out = Object::new();
        for (key, name) in self.names {
            js::set_dyn(&out, key, *name);
        }
        out
    }

    /// Whether anyone listens for `event`: a payload need only be made when someone will read it.
    pub fn wanted(&self, event: &str) -> bool {
        self.listeners.borrow().iter().any(|(_, e, _)| *e == event)
    }

    /// Calls every listener of `event` with `payload`. A listener that throws does not stop the others, and
    /// is logged, as KafkaJS logs it.
    pub fn emit(&self, event: &str, payload: &JsValue) {
        // Copy the list first: a listener may add or remove listeners.
        let listeners: Vec<Function> =
            self.listeners.borrow().iter().filter(|(_, e, _)| *e == event).map(|(_, _, f)| f.clone()).collect();
        for f in listeners {
            if let Err(e) = f.call1(&JsValue::NULL, payload) {
                let message = js::get(&e, "message").as_string().unwrap_or_else(|| format!("{e:?}"));
                self.log(LogLevel::ERROR, &format!("Failed to execute listener: {message}"), || {
                    object([("eventName", event.into()), ("stack", js::get(&e, "stack"))]).into()
                });
            }
        }
    }

    /// This client's name for the event its `events` object has under `key` (`REQUEST`).
    fn named(&self, key: &str) -> Option<&'static str> {
        self.names.iter().find(|(k, _)| *k == key).map(|(_, name)| *name)
    }

    /// Whether anyone listens for the event under `key`.
    pub fn wanted_key(&self, key: &str) -> bool {
        self.named(key).is_some_and(|event| self.wanted(event))
    }

    /// `instrument` for the event under `key`.
    pub fn instrument_key(&self, key: &str, payload: impl FnOnce() -> JsValue) {
        if let Some(event) = self.named(key) {
            self.instrument(event, payload);
        }
    }

    /// Emits KafkaJS's instrumentation event `{ id, type, timestamp, payload }`; `payload` is made only if
    /// someone listens.
    pub fn instrument(&self, event: &'static str, payload: impl FnOnce() -> JsValue) {
        if !self.wanted(event) {
            return;
        }
        let id = self.next_event_id.get();
        self.next_event_id.set(id.wrapping_add(1));
        let instrumented = object([
            ("id", id.into()),
            ("type", event.into()),
            ("timestamp", js_sys::Date::now().into()),
            ("payload", payload()),
        ]);
        self.emit(event, &instrumented.into());
    }

    /// Adds a listener; returns the function that removes it. One closure per subscription, freed when called.
    pub fn on(self: &Rc<Self>, event: &str, listener: Function) -> Result<JsValue, JsValue> {
        let event = known(self.names, event)?;
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.listeners.borrow_mut().push((id, event, listener));
        let events = Rc::downgrade(self);
        Ok(Closure::once_into_js(move || {
            if let Some(events) = events.upgrade() {
                events.listeners.borrow_mut().retain(|(i, _, _)| *i != id);
            }
        }))
    }
}
