//! KafkaJS's logging: `logLevel` and `logCreator` in `Kafka.open`, and `kafka.logger()`. What franz logs (a
//! cluster's warnings, a host's notes about its clients) and what the app logs through `kafka.logger()` go to the
//! app's `logCreator` when it gave one, to the console otherwise, each only when its level is within `logLevel`
//! (default INFO, as in KafkaJS).

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::js::{self, object};

/// KafkaJS's `logLevel`.
#[wasm_bindgen(js_name = logLevel)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub enum LogLevel {
    NOTHING = 0,
    ERROR = 1,
    WARN = 2,
    INFO = 4,
    DEBUG = 5,
}

impl LogLevel {
    fn from_number(n: i32) -> Option<LogLevel> {
        [LogLevel::NOTHING, LogLevel::ERROR, LogLevel::WARN, LogLevel::INFO, LogLevel::DEBUG]
            .into_iter()
            .find(|l| *l as i32 == n)
    }

    fn label(self) -> &'static str {
        match self {
            LogLevel::NOTHING => "NOTHING",
            LogLevel::ERROR => "ERROR",
            LogLevel::WARN => "WARN",
            LogLevel::INFO => "INFO",
            LogLevel::DEBUG => "DEBUG",
        }
    }

    fn console_method(self) -> &'static str {
        match self {
            LogLevel::ERROR => "error",
            LogLevel::WARN => "warn",
            LogLevel::DEBUG => "debug",
            _ => "info",
        }
    }
}

/// Where one cluster's (or client's) log entries go.
pub(crate) struct Logger {
    level: Cell<LogLevel>,
    /// The function the app's `logCreator` returned; `None`: the console.
    sink: Option<Function>,
}

impl Logger {
    /// From `Kafka.open`'s `logLevel` (a number of `logLevel`) and `logCreator` (called once with the level, as
    /// KafkaJS calls it; it must return the function that takes each entry).
    pub(crate) fn from_config(config: &JsValue) -> Result<Rc<Logger>, JsValue> {
        let level = match js::opt_int::<i32>(config, "logLevel", "logLevel")? {
            None => LogLevel::INFO,
            Some(n) => LogLevel::from_number(n)
                .ok_or_else(|| js::type_error("logLevel", "one of logLevel's values (0, 1, 2, 4 or 5)", &n.into()))?,
        };
        let create = js::get(config, "logCreator");
        let sink = if js::is_missing(&create) {
            None
        } else {
            let create =
                create.dyn_ref::<Function>().ok_or_else(|| js::type_error("logCreator", "a function", &create))?;
            let sink = create.call1(&JsValue::NULL, &(level as i32).into())?;
            Some(
                sink.dyn_into::<Function>()
                    .map_err(|got| js::type_error("what logCreator returns", "a function", &got))?,
            )
        };
        Ok(Rc::new(Logger { level: Cell::new(level), sink }))
    }

    /// Logs `message` (with the fields of what `extra` makes) at `level` in `namespace`, if `logLevel` lets it
    /// through; `extra` is made only then.
    pub(crate) fn log(&self, level: LogLevel, namespace: &str, message: &str, extra: impl FnOnce() -> JsValue) {
        if level == LogLevel::NOTHING || level as i32 > self.level.get() as i32 {
            return;
        }
        let extra = extra();
        let Some(sink) = &self.sink else {
            // A line to read, as KafkaJS's console logger prefixes its namespace; an error it concerns goes
            // beside it, for the console to show with its stack.
            let error = js::get(&extra, "error");
            return console(level, &format!("franz [{namespace}] {message}"), &error);
        };
        let log = object([
            ("timestamp", js_sys::Date::new_0().to_iso_string().into()),
            ("logger", "franz".into()),
            ("message", message.into()),
        ]);
        if extra.is_object() {
            let _ = Object::assign(&log, extra.unchecked_ref());
        }
        let entry = object([
            ("namespace", namespace.into()),
            ("level", (level as i32).into()),
            ("label", level.label().into()),
            ("log", log.into()),
        ]);
        // A logger that throws must not break what was being logged.
        let _ = sink.call1(&JsValue::NULL, &entry);
    }

    /// KafkaJS's `kafka.logger()`: `info`, `error`, `warn` and `debug` (each `(message, extra?)`), `namespace(name)`
    /// for a logger of its own namespace, and `setLogLevel(level)`.
    pub(crate) fn api(self: &Rc<Self>, namespace: &str) -> JsValue {
        let method = |level: LogLevel| -> JsValue {
            let (logger, namespace) = (self.clone(), namespace.to_owned());
            let f = move |message: JsValue, extra: JsValue| {
                let text = message.as_string().unwrap_or_else(|| format!("{message:?}"));
                logger.log(level, &namespace, &text, || extra);
            };
            Closure::<dyn Fn(JsValue, JsValue)>::new(f).into_js_value()
        };
        let logger = self.clone();
        let named = Closure::<dyn Fn(String) -> JsValue>::new(move |name: String| logger.api(&name)).into_js_value();
        let logger = self.clone();
        let set_level = Closure::<dyn Fn(JsValue) -> Result<(), JsValue>>::new(move |level: JsValue| {
            let n: i32 = js::int(&level, "setLogLevel's level")?;
            let level = LogLevel::from_number(n)
                .ok_or_else(|| js::type_error("setLogLevel's level", "one of logLevel's values", &level))?;
            logger.level.set(level);
            Ok(())
        })
        .into_js_value();
        object([
            ("info", method(LogLevel::INFO)),
            ("error", method(LogLevel::ERROR)),
            ("warn", method(LogLevel::WARN)),
            ("debug", method(LogLevel::DEBUG)),
            ("namespace", named),
            ("setLogLevel", set_level),
        ])
        .into()
    }
}

/// `console.<level>(message, error?)`, where there is a console.
fn console(level: LogLevel, message: &str, error: &JsValue) {
    let console = Reflect::get(&js_sys::global(), &"console".into()).ok();
    let method = console.as_ref().and_then(|c| Reflect::get(c, &level.console_method().into()).ok());
    if let Some(f) = method.and_then(|m| m.dyn_into::<Function>().ok()) {
        let this = console.unwrap_or(JsValue::NULL);
        let message = JsValue::from(message);
        let _ = if error.is_undefined() { f.call1(&this, &message) } else { f.call2(&this, &message, error) };
    }
}
