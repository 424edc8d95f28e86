//! Per-topic configuration with Kafka's names, defaults and validation.
//!
//! Values are held typed for the hot path (a produce checks `max.message.bytes`), and which keys were set
//! explicitly is remembered, so that describing a topic can tell defaults from overrides as Kafka does.

use std::collections::BTreeSet;

use crate::core::error::{Error, Result};
use crate::core::record::{Compression, TimestampType};

/// One described config: what `kafka-configs --describe` and KafkaJS's `describeConfigs` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: &'static str,
    pub value: String,
    pub is_default: bool,
}

/// What happens to old data: deleted by retention, compacted by key, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    pub delete: bool,
    pub compact: bool,
}

/// `compression.type`: what the leader stores. `None` (Kafka's `producer`) keeps each batch as its producer
/// compressed it; a codec converts every batch that comes otherwise (`Compression::None`: `uncompressed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompressionType(Option<Compression>);

impl CompressionType {
    /// The codec a batch must have here, if the topic names one.
    pub fn codec(self) -> Option<Compression> {
        self.0
    }

    fn name(self) -> &'static str {
        match self.0 {
            None => "producer",
            Some(Compression::None) => "uncompressed",
            Some(codec) => codec.name(),
        }
    }
}

/// A topic's configuration. `Default` gives Kafka's broker defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfig {
    /// `retention.ms`: how long to keep data; -1 keeps it forever.
    pub retention_ms: i64,
    /// `retention.bytes`: the size a partition may grow to before old data goes; -1 for no limit.
    pub retention_bytes: i64,
    /// `segment.bytes`: franz stores one value per batch, so this bounds one request's record set.
    pub segment_bytes: i32,
    pub cleanup_policy: CleanupPolicy,
    pub compression_type: CompressionType,
    /// `compression.gzip.level` (KIP-390): the level (1–9) at which the leader compresses what it converts to
    /// GZIP; -1 is the codec's default.
    pub compression_gzip_level: i32,
    /// `max.message.bytes`: the largest batch the topic accepts.
    pub max_message_bytes: i32,
    /// `min.insync.replicas`: the ISR size an `acks=all` write needs.
    pub min_insync_replicas: i32,
    pub message_timestamp_type: TimestampType,
    /// `message.timestamp.before.max.ms` and `message.timestamp.after.max.ms` (KIP-937): how far before or after
    /// the broker's clock a CreateTime record's timestamp may lie.
    pub message_timestamp_before_max_ms: i64,
    pub message_timestamp_after_max_ms: i64,
    /// `delete.retention.ms`: how long a compacted topic keeps tombstones.
    pub delete_retention_ms: i64,
    /// `min.cleanable.dirty.ratio`: the share of uncompacted bytes that triggers compaction.
    pub min_cleanable_dirty_ratio: f64,
    /// `unclean.leader.election.enable`: may an out-of-sync replica become leader (and lose data)?
    pub unclean_leader_election_enable: bool,
    overridden: BTreeSet<&'static str>,
}

/// Every supported config name, in the order they are described.
pub const CONFIG_NAMES: &[&str] = &[
    "cleanup.policy",
    "compression.gzip.level",
    "compression.type",
    "delete.retention.ms",
    "max.message.bytes",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.insync.replicas",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "unclean.leader.election.enable",
];

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            retention_ms: 7 * 24 * 60 * 60 * 1000,
            retention_bytes: -1,
            segment_bytes: 1 << 30,
            cleanup_policy: CleanupPolicy { delete: true, compact: false },
            compression_type: CompressionType::default(),
            compression_gzip_level: -1,
            max_message_bytes: 1_048_588,
            min_insync_replicas: 1,
            message_timestamp_type: TimestampType::CreateTime,
            message_timestamp_before_max_ms: i64::MAX,
            message_timestamp_after_max_ms: i64::MAX,
            delete_retention_ms: 24 * 60 * 60 * 1000,
            min_cleanable_dirty_ratio: 0.5,
            unclean_leader_election_enable: false,
            overridden: BTreeSet::new(),
        }
    }
}

impl TopicConfig {
    /// `compression.gzip.level` as a level to compress at; `None` for the codec's default.
    pub fn gzip_level(&self) -> Option<u32> {
        u32::try_from(self.compression_gzip_level).ok()
    }

    /// Defaults overridden by `entries`, each validated. The first bad entry fails the whole set.
    pub fn from_entries<K: AsRef<str>, V: AsRef<str>>(entries: &[(K, V)]) -> Result<TopicConfig> {
        let mut config = TopicConfig::default();
        for (k, v) in entries {
            config.set(k.as_ref(), v.as_ref())?;
        }
        Ok(config)
    }

    /// Sets one config by its Kafka name. Unknown names and bad values get `INVALID_CONFIG`.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let value = value.trim();
        if let "compression.lz4.level" | "compression.zstd.level" = name {
            return Err(Error::InvalidConfig(format!(
                "{name} is not supported: franz's LZ4 and ZSTD encoders (pure Rust, for wasm) compress at one level \
                 only, so it could not be honoured; compression.gzip.level is"
            )));
        }
        let key = CONFIG_NAMES.iter().copied().find(|n| *n == name).ok_or_else(|| {
            Error::InvalidConfig(format!("unknown topic config {name:?}; known: {}", CONFIG_NAMES.join(", ")))
        })?;
        match key {
            "cleanup.policy" => self.cleanup_policy = parse_cleanup_policy(value)?,
            "compression.type" => self.compression_type = parse_compression_type(value)?,
            "compression.gzip.level" => {
                self.compression_gzip_level = match parse_int(key, value, -1, 9)? {
                    0 => return Err(invalid(key, value, "expected -1 (the default) or a level from 1 to 9")),
                    level => level as i32,
                }
            }
            "delete.retention.ms" => self.delete_retention_ms = parse_int(key, value, 0, i64::MAX)?,
            "max.message.bytes" => self.max_message_bytes = parse_int(key, value, 0, i32::MAX.into())? as i32,
            "message.timestamp.after.max.ms" => {
                self.message_timestamp_after_max_ms = parse_int(key, value, 0, i64::MAX)?
            }
            "message.timestamp.before.max.ms" => {
                self.message_timestamp_before_max_ms = parse_int(key, value, 0, i64::MAX)?
            }
            "message.timestamp.type" => {
                self.message_timestamp_type = match value {
                    "CreateTime" => TimestampType::CreateTime,
                    "LogAppendTime" => TimestampType::LogAppendTime,
                    _ => return Err(invalid(key, value, "expected CreateTime or LogAppendTime")),
                }
            }
            "min.cleanable.dirty.ratio" => {
                self.min_cleanable_dirty_ratio = value
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| invalid(key, value, "expected a number between 0 and 1"))?
            }
            "min.insync.replicas" => self.min_insync_replicas = parse_int(key, value, 1, i32::MAX.into())? as i32,
            "retention.bytes" => self.retention_bytes = parse_int(key, value, i64::MIN, i64::MAX)?,
            "retention.ms" => self.retention_ms = parse_int(key, value, -1, i64::MAX)?,
            // Kafka's floor: the size of the smallest legacy record.
            "segment.bytes" => self.segment_bytes = parse_int(key, value, 14, i32::MAX.into())? as i32,
            "unclean.leader.election.enable" => {
                self.unclean_leader_election_enable = match value {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid(key, value, "expected true or false")),
                }
            }
            _ => unreachable!("every name in CONFIG_NAMES has an arm"),
        }
        self.overridden.insert(key);
        Ok(())
    }

    /// Puts one config back to its default (Kafka's `alterConfigs` DELETE).
    pub fn reset(&mut self, name: &str) -> Result<()> {
        let default = TopicConfig::default();
        self.set(name, &default.value_of(name).unwrap_or_default())?;
        self.overridden.remove(name);
        Ok(())
    }

    /// The current value of a config, as Kafka prints it.
    pub fn value_of(&self, name: &str) -> Option<String> {
        Some(match name {
            "cleanup.policy" => match (self.cleanup_policy.delete, self.cleanup_policy.compact) {
                (true, true) => "compact,delete".into(),
                (false, true) => "compact".into(),
                _ => "delete".into(),
            },
            "compression.type" => self.compression_type.name().into(),
            "compression.gzip.level" => self.compression_gzip_level.to_string(),
            "delete.retention.ms" => self.delete_retention_ms.to_string(),
            "max.message.bytes" => self.max_message_bytes.to_string(),
            "message.timestamp.type" => format!("{:?}", self.message_timestamp_type),
            "message.timestamp.after.max.ms" => self.message_timestamp_after_max_ms.to_string(),
            "message.timestamp.before.max.ms" => self.message_timestamp_before_max_ms.to_string(),
            "min.cleanable.dirty.ratio" => self.min_cleanable_dirty_ratio.to_string(),
            "min.insync.replicas" => self.min_insync_replicas.to_string(),
            "retention.bytes" => self.retention_bytes.to_string(),
            "retention.ms" => self.retention_ms.to_string(),
            "segment.bytes" => self.segment_bytes.to_string(),
            "unclean.leader.election.enable" => self.unclean_leader_election_enable.to_string(),
            _ => return None,
        })
    }

    /// The configs set explicitly, with their values: what must be stored to rebuild this config.
    pub fn overrides(&self) -> Vec<(String, String)> {
        self.overridden.iter().map(|&n| (n.to_owned(), self.value_of(n).unwrap_or_default())).collect()
    }

    /// Every config with its value and whether it is the default.
    pub fn entries(&self) -> Vec<ConfigEntry> {
        CONFIG_NAMES
            .iter()
            .map(|&name| ConfigEntry {
                name,
                value: self.value_of(name).unwrap_or_default(),
                is_default: !self.overridden.contains(name),
            })
            .collect()
    }
}

fn invalid(name: &str, value: &str, why: &str) -> Error {
    Error::InvalidConfig(format!("invalid value {value:?} for configuration {name}: {why}"))
}

fn parse_int(name: &str, value: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = value.parse().map_err(|_| invalid(name, value, "not a whole number"))?;
    if n < min {
        return Err(invalid(name, value, &format!("value must be at least {min}")));
    }
    if n > max {
        return Err(invalid(name, value, &format!("value must be at most {max}")));
    }
    Ok(n)
}

fn parse_cleanup_policy(value: &str) -> Result<CleanupPolicy> {
    let mut policy = CleanupPolicy { delete: false, compact: false };
    for part in value.split(',').map(str::trim) {
        match part {
            "delete" => policy.delete = true,
            "compact" => policy.compact = true,
            _ => return Err(invalid("cleanup.policy", value, "expected delete, compact or compact,delete")),
        }
    }
    Ok(policy)
}

fn parse_compression_type(value: &str) -> Result<CompressionType> {
    let codec = match value {
        "producer" => None,
        "uncompressed" => Some(Compression::None),
        // The codecs by their names; `none` is the producer's word, a topic says `uncompressed`.
        name => Some(Compression::from_name(name).filter(|c| *c != Compression::None).ok_or_else(|| {
            invalid("compression.type", value, "expected producer, uncompressed, gzip, snappy, lz4 or zstd")
        })?),
    };
    Ok(CompressionType(codec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kafkas() {
        let c = TopicConfig::default();
        assert_eq!(c.retention_ms, 604_800_000);
        assert_eq!(c.retention_bytes, -1);
        assert_eq!(c.segment_bytes, 1_073_741_824);
        assert_eq!(c.cleanup_policy, CleanupPolicy { delete: true, compact: false });
        assert_eq!(c.max_message_bytes, 1_048_588);
        assert_eq!(c.min_insync_replicas, 1);
        assert_eq!(c.message_timestamp_type, TimestampType::CreateTime);
        assert!(c.entries().iter().all(|e| e.is_default));
    }

    #[test]
    fn the_gzip_level_is_kafkas_and_the_other_codecs_levels_are_refused() {
        assert_eq!(TopicConfig::default().gzip_level(), None);
        assert_eq!(TopicConfig::default().value_of("compression.gzip.level").as_deref(), Some("-1"));
        let c = TopicConfig::from_entries(&[("compression.gzip.level", "9")]).unwrap();
        assert_eq!((c.gzip_level(), c.value_of("compression.gzip.level").as_deref()), (Some(9), Some("9")));
        for bad in ["0", "10", "-2", "fast"] {
            let e = TopicConfig::from_entries(&[("compression.gzip.level", bad)]).unwrap_err();
            assert_eq!(e.name(), "INVALID_CONFIG", "{bad}");
        }
        for name in ["compression.lz4.level", "compression.zstd.level"] {
            let e = TopicConfig::from_entries(&[(name, "3")]).unwrap_err();
            assert!(e.detail().contains("compress at one level"), "{e}");
        }
    }

    #[test]
    fn overrides_are_typed_and_described() {
        let c = TopicConfig::from_entries(&[
            ("retention.ms", "60000"),
            ("cleanup.policy", "compact,delete"),
            ("message.timestamp.type", "LogAppendTime"),
        ])
        .unwrap();
        assert_eq!(c.retention_ms, 60_000);
        assert_eq!(c.cleanup_policy, CleanupPolicy { delete: true, compact: true });
        let entry = c.entries().into_iter().find(|e| e.name == "retention.ms").unwrap();
        assert_eq!((entry.value.as_str(), entry.is_default), ("60000", false));
        assert_eq!(c.value_of("message.timestamp.type").unwrap(), "LogAppendTime");
    }

    #[test]
    fn unknown_and_invalid_configs_are_invalid_config() {
        for (k, v) in [
            ("retention.msec", "1"),
            ("retention.ms", "soon"),
            ("retention.ms", "-2"),
            ("min.insync.replicas", "0"),
            ("cleanup.policy", "archive"),
            ("min.cleanable.dirty.ratio", "1.5"),
            ("segment.bytes", "3"),
            ("unclean.leader.election.enable", "yes"),
            ("compression.type", "brotli"),
            ("compression.type", "ZSTD"),
        ] {
            let err = TopicConfig::from_entries(&[(k, v)]).unwrap_err();
            assert_eq!(err.name(), "INVALID_CONFIG", "{k}={v}");
        }
    }

    #[test]
    fn every_kafka_compression_type_is_taken_and_named_back() {
        for name in ["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"] {
            let c = TopicConfig::from_entries(&[("compression.type", name)]).unwrap();
            assert_eq!(c.value_of("compression.type").as_deref(), Some(name));
        }
        let zstd = TopicConfig::from_entries(&[("compression.type", "zstd")]).unwrap();
        assert_eq!(zstd.compression_type.codec(), Some(Compression::Zstd));
    }

    #[test]
    fn reset_restores_the_default() {
        let mut c = TopicConfig::from_entries(&[("retention.ms", "1000")]).unwrap();
        c.reset("retention.ms").unwrap();
        assert_eq!(c, TopicConfig::default());
    }
}
