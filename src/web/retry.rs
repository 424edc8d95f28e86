//! KafkaJS's `retry` options: how a client rides out a broker host that is gone for a moment (restarting, or
//! failing over). Only failures that say "the broker could not be reached" are retried; an answer that the
//! request failed (a storage error, a bad argument) goes to the caller at once.

use wasm_bindgen::JsValue;

use super::error;
use super::js;
use crate::core::error::Error;

#[derive(Clone, Copy, Debug)]
pub struct Retry {
    /// How many times a request is tried again before its error is given up to the caller.
    pub retries: u32,
    initial_ms: u32,
    max_ms: u32,
    multiplier: f64,
    /// KafkaJS's `factor`: each wait is randomly up to this fraction shorter or longer, so that clients that
    /// failed together do not all try again at the same moment.
    factor: f64,
}

impl Retry {
    /// `config.retry`: `{ retries = 5, initialRetryTime = 300, maxRetryTime = 30000, multiplier = 2, factor = 0.2 }`.
    pub fn from_config(config: &JsValue) -> Result<Retry, JsValue> {
        let retry = js::get(config, "retry");
        let number = |key: &'static str, default: u32| -> Result<u32, JsValue> {
            Ok(js::opt_int::<u32>(&retry, key, format_args!("retry.{key}"))?.unwrap_or(default))
        };
        let multiplier = match js::get(&retry, "multiplier") {
            v if js::is_missing(&v) => 2.0,
            v => v.as_f64().filter(|m| *m >= 1.0).ok_or_else(|| error::type_error("retry.multiplier must be >= 1"))?,
        };
        let factor = match js::get(&retry, "factor") {
            v if js::is_missing(&v) => 0.2,
            v => v
                .as_f64()
                .filter(|f| (0.0..=1.0).contains(f))
                .ok_or_else(|| error::type_error("retry.factor must be a number from 0 to 1"))?,
        };
        Ok(Retry {
            retries: number("retries", 5)?,
            initial_ms: number("initialRetryTime", 300)?,
            max_ms: number("maxRetryTime", 30_000)?,
            multiplier,
            factor,
        })
    }

    /// The wait before retry number `attempt` (0 for the first): exponential, capped, and randomized by
    /// `factor` (a new draw each call).
    pub fn delay_ms(&self, attempt: u32) -> u32 {
        let ms = f64::from(self.initial_ms) * self.multiplier.powi(attempt.min(64) as i32);
        let spread = 1.0 + self.factor * (2.0 * js_sys::Math::random() - 1.0);
        (ms * spread).min(f64::from(self.max_ms)).round() as u32
    }

    pub async fn wait(&self, attempt: u32) {
        sleep(self.delay_ms(attempt)).await;
    }
}

/// Whether `e` says the broker could not be reached, so the same request may well succeed when tried again.
pub fn worth_retrying(e: &Error) -> bool {
    matches!(e, Error::BrokerNotAvailable(_) | Error::RequestTimedOut(_))
}

pub async fn sleep(ms: u32) {
    super::signal::Timeout::start(ms).await;
}
