//! Kafka's DescribeConfigs for a broker: the settings franz's brokers run with, under Kafka's names, each marked
//! default where it is Kafka's default. They are read-only: franz has no dynamic broker configs, and what
//! `Kafka.open` sets (`autoCreateTopics`, `authorizer`, `users`, `connectionsMaxReauthMs`) is given at each
//! opening.

use super::metadata::BrokerId;
use super::offsets_topic::OFFSETS_TOPIC_PARTITIONS;
use super::state::{Cluster, SESSION_TIMEOUT_MS, TAB_TIMING};
use crate::core::acl::oauth::{OAuthBearer, Signed};
use crate::core::error::{Error, Result};
use crate::core::groups::{MAX_SESSION_TIMEOUT_MS, MIN_SESSION_TIMEOUT_MS};
use crate::core::topic::{ConfigEntry, TopicConfig};
use crate::core::txn::MAX_TIMEOUT_MS;

/// The broker configs that are a topic's defaults, with the topic config each stands for.
const TOPIC_DEFAULTS: &[(&str, &str)] = &[
    ("compression.gzip.level", "compression.gzip.level"),
    ("compression.type", "compression.type"),
    ("log.cleaner.delete.retention.ms", "delete.retention.ms"),
    ("log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio"),
    ("log.cleanup.policy", "cleanup.policy"),
    ("log.message.timestamp.after.max.ms", "message.timestamp.after.max.ms"),
    ("log.message.timestamp.before.max.ms", "message.timestamp.before.max.ms"),
    ("log.message.timestamp.type", "message.timestamp.type"),
    ("log.retention.bytes", "retention.bytes"),
    ("log.retention.ms", "retention.ms"),
    ("log.segment.bytes", "segment.bytes"),
    ("message.max.bytes", "max.message.bytes"),
    ("min.insync.replicas", "min.insync.replicas"),
    ("unclean.leader.election.enable", "unclean.leader.election.enable"),
];

/// Every broker config a broker may describe (what a client decodes its names against).
pub const BROKER_CONFIG_NAMES: &[&str] = &[
    "allow.everyone.if.no.acl.found",
    "authorizer.class.name",
    "auto.create.topics.enable",
    "broker.id",
    "broker.rack",
    "broker.session.timeout.ms",
    "compression.gzip.level",
    "compression.type",
    "connections.max.reauth.ms",
    "default.replication.factor",
    "group.max.session.timeout.ms",
    "group.min.session.timeout.ms",
    "log.cleaner.delete.retention.ms",
    "log.cleaner.min.cleanable.ratio",
    "log.cleanup.policy",
    "log.message.timestamp.after.max.ms",
    "log.message.timestamp.before.max.ms",
    "log.message.timestamp.type",
    "log.retention.bytes",
    "log.retention.ms",
    "log.segment.bytes",
    "message.max.bytes",
    "min.insync.replicas",
    "num.partitions",
    "offsets.topic.num.partitions",
    "replica.lag.time.max.ms",
    "sasl.enabled.mechanisms",
    "sasl.oauthbearer.clock.skew.seconds",
    "sasl.oauthbearer.expected.audience",
    "sasl.oauthbearer.expected.issuer",
    "sasl.oauthbearer.scope.claim.name",
    "sasl.oauthbearer.sub.claim.name",
    "super.users",
    "transaction.max.timeout.ms",
    "unclean.leader.election.enable",
];

/// The class a Kafka broker names in `authorizer.class.name` for the authorizer franz has (KRaft's).
const STANDARD_AUTHORIZER: &str = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

impl Cluster {
    /// Broker `broker`'s configs, sorted by name.
    pub fn broker_configs(&self, broker: BrokerId) -> Result<Vec<ConfigEntry>> {
        let info = self.brokers.get(&broker).ok_or_else(|| {
            let ids: Vec<String> = self.brokers.keys().map(BrokerId::to_string).collect();
            Error::InvalidRequest(format!("broker {broker} is not one of this cluster's brokers ({})", ids.join(", ")))
        })?;
        // A config set to Kafka's default value is a default.
        let entry =
            |name, value: String, kafka_default: &str| ConfigEntry { name, is_default: value == kafka_default, value };
        let authorizer = self.authorizer.as_ref();
        let super_users: Vec<&str> = authorizer.iter().flat_map(|a| a.super_users.iter().map(String::as_str)).collect();
        let mechanisms: Vec<&str> = self.credentials.mechanisms().iter().map(|m| m.name()).collect();
        let mut entries = vec![
            entry("broker.id", broker.to_string(), ""),
            entry("num.partitions", self.default_partitions.to_string(), "1"),
            entry("default.replication.factor", self.default_replication_factor.to_string(), "1"),
            entry("auto.create.topics.enable", self.auto_create_topics.to_string(), "true"),
            entry("offsets.topic.num.partitions", OFFSETS_TOPIC_PARTITIONS.to_string(), "50"),
            entry("transaction.max.timeout.ms", MAX_TIMEOUT_MS.to_string(), "900000"),
            entry("group.min.session.timeout.ms", MIN_SESSION_TIMEOUT_MS.to_string(), "6000"),
            entry("group.max.session.timeout.ms", MAX_SESSION_TIMEOUT_MS.to_string(), "1800000"),
            entry("broker.session.timeout.ms", SESSION_TIMEOUT_MS.to_string(), "9000"),
            entry("replica.lag.time.max.ms", TAB_TIMING.replica_lag_max_ms.to_string(), "30000"),
            entry("authorizer.class.name", authorizer.map_or("", |_| STANDARD_AUTHORIZER).to_owned(), ""),
            entry("super.users", super_users.join(";"), ""),
            entry(
                "allow.everyone.if.no.acl.found",
                authorizer.is_some_and(|a| a.allow_everyone_if_no_acl_found).to_string(),
                "false",
            ),
            entry("sasl.enabled.mechanisms", mechanisms.join(","), "GSSAPI"),
            entry("connections.max.reauth.ms", self.credentials.max_reauth_ms.to_string(), "0"),
        ];
        // The secured OAUTHBEARER validator's settings, where tokens are signed; otherwise Kafka's defaults.
        let oauth = self.credentials.oauthbearer.as_ref().filter(|o| o.signed.is_some());
        let signed = oauth.and_then(|o| o.signed.as_ref());
        let kafkas = OAuthBearer::default(); // the claim names' defaults
        let skew_seconds = |ms: i64| (ms / 1000).to_string();
        entries.extend([
            entry(
                "sasl.oauthbearer.clock.skew.seconds",
                skew_seconds(oauth.map_or(Signed::DEFAULT_CLOCK_SKEW_MS, |o| o.allowable_clock_skew_ms)),
                &skew_seconds(Signed::DEFAULT_CLOCK_SKEW_MS),
            ),
            entry(
                "sasl.oauthbearer.expected.audience",
                signed.map(|s| s.expected_audience.join(",")).unwrap_or_default(),
                "",
            ),
            entry(
                "sasl.oauthbearer.expected.issuer",
                signed.and_then(|s| s.expected_issuer.clone()).unwrap_or_default(),
                "",
            ),
            entry(
                "sasl.oauthbearer.scope.claim.name",
                oauth.unwrap_or(&kafkas).scope_claim.clone(),
                &kafkas.scope_claim,
            ),
            entry(
                "sasl.oauthbearer.sub.claim.name",
                oauth.unwrap_or(&kafkas).principal_claim.clone(),
                &kafkas.principal_claim,
            ),
        ]);
        if let Some(rack) = &info.rack {
            entries.push(entry("broker.rack", rack.clone(), ""));
        }
        // franz's topic defaults are Kafka's.
        let defaults = TopicConfig::default();
        for &(name, topic_config) in TOPIC_DEFAULTS {
            let value = defaults.value_of(topic_config).unwrap_or_default();
            entries.push(ConfigEntry { name, value, is_default: true });
        }
        entries.sort_by_key(|e| e.name);
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::acl::authorizer::Authorizer;

    fn value(entries: &[ConfigEntry], name: &str) -> (String, bool) {
        let e = entries.iter().find(|e| e.name == name).unwrap_or_else(|| panic!("{name} is described"));
        (e.value.clone(), e.is_default)
    }

    #[test]
    fn a_broker_describes_what_it_runs_with_and_which_of_it_is_kafkas_default() {
        let mut c = Cluster::new(3, 1);
        let entries = c.broker_configs(2).unwrap();
        assert_eq!(value(&entries, "broker.id"), ("2".into(), false));
        assert_eq!(value(&entries, "num.partitions"), ("1".into(), true));
        assert_eq!(value(&entries, "auto.create.topics.enable"), ("false".into(), false), "franz's default is off");
        assert_eq!(value(&entries, "log.retention.ms"), ("604800000".into(), true));
        assert_eq!(value(&entries, "message.max.bytes"), ("1048588".into(), true));
        assert_eq!(value(&entries, "replica.lag.time.max.ms"), ("3000".into(), false), "a tab's clocks run faster");
        assert_eq!(value(&entries, "connections.max.reauth.ms"), ("0".into(), true), "sessions never end");
        assert!(entries.windows(2).all(|w| w[0].name < w[1].name), "sorted by name");
        assert!(entries.iter().all(|e| e.name != "broker.rack"), "no rack, no broker.rack");

        c.set_auto_create_topics(true);
        c.set_authorizer(Some(Authorizer {
            super_users: ["User:b".into(), "User:a".into()].into(),
            allow_everyone_if_no_acl_found: false,
        }));
        c.set_racks(&[Some("eu-1a".into()), None, None]).unwrap();
        let entries = c.broker_configs(1).unwrap();
        assert_eq!(value(&entries, "auto.create.topics.enable"), ("true".into(), true));
        assert_eq!(value(&entries, "authorizer.class.name").0, STANDARD_AUTHORIZER);
        assert_eq!(value(&entries, "super.users").0, "User:a;User:b");
        assert_eq!(value(&entries, "broker.rack"), ("eu-1a".into(), false));
        assert_eq!(c.broker_configs(4).unwrap_err().name(), "INVALID_REQUEST");
        let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, BROKER_CONFIG_NAMES, "every config named, and only those");
    }
}
