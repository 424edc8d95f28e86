//! Topics: valid names, naming advice, and per-topic configuration.

mod config;
mod lint;
mod name;

pub use config::{CleanupPolicy, CompressionType, ConfigEntry, TopicConfig, CONFIG_NAMES};
pub use lint::{lint, Advice, ENVIRONMENT_PREFIXES};
pub use name::{TopicName, CONSUMER_OFFSETS, TRANSACTION_STATE};
