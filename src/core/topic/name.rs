//! Topic names, validated by Kafka's rules (`org.apache.kafka.common.internals.Topic`).

use std::fmt;

use crate::core::error::{Error, Result};

/// A valid topic name. Constructing one is the only way to get one, so holding it proves validity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicName(String);

/// The internal topic that stores consumer-group offsets.
pub const CONSUMER_OFFSETS: &str = "__consumer_offsets";

/// The internal topic that stores transactions' state.
pub const TRANSACTION_STATE: &str = "__transaction_state";

impl TopicName {
    pub const MAX_LEN: usize = 249;

    /// A user topic: Kafka's rules, plus the `__` prefix reserved for internal topics.
    pub fn new(name: &str) -> Result<TopicName> {
        if name.starts_with("__") {
            return Err(Error::InvalidTopicException(format!(
                "topic name {name:?} starts with \"__\", which is reserved for internal topics such as \
                 {CONSUMER_OFFSETS}"
            )));
        }
        Self::internal(name)
    }

    /// An internal topic (`__consumer_offsets`): Kafka's rules without the reserved-prefix check.
    pub fn internal(name: &str) -> Result<TopicName> {
        let invalid = |why: String| Err(Error::InvalidTopicException(why));
        if name.is_empty() {
            return invalid("topic name is illegal, it can't be empty".into());
        }
        if name == "." || name == ".." {
            return invalid("topic name cannot be \".\" or \"..\"".into());
        }
        if name.len() > Self::MAX_LEN {
            return invalid(format!(
                "topic name is illegal, it can't be longer than {} characters (it has {})",
                Self::MAX_LEN,
                name.chars().count()
            ));
        }
        if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return invalid(format!(
                "topic name {name:?} is illegal: {bad:?} is not allowed; use only ASCII letters, digits, '.', '_' \
                 and '-'"
            ));
        }
        Ok(TopicName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_internal(&self) -> bool {
        self.0.starts_with("__")
    }

    /// Kafka refuses two topics whose names differ only by '.' versus '_', because both map to the same metric
    /// name.
    pub fn collides_with(&self, other: &TopicName) -> bool {
        self != other && self.0.replace('.', "_") == other.0.replace('.', "_")
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lets maps keyed by `TopicName` be looked up by `&str`. Sound because equality and ordering are the string's.
impl std::borrow::Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kafkas_legal_names() {
        for name in ["a", "sales.orders.transactions.v1", "dev_sales-orders", "A9", &"x".repeat(249)] {
            assert_eq!(TopicName::new(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn rejects_illegal_names_with_invalid_topic_exception() {
        for name in ["", ".", "..", &"x".repeat(250), "has space", "slash/x", "ünicode", "__consumer_offsets", "__x"] {
            let err = TopicName::new(name).unwrap_err();
            assert_eq!(err.name(), "INVALID_TOPIC_EXCEPTION", "{name:?}");
        }
        assert!(TopicName::new("a b").unwrap_err().detail().contains("' '"));
    }

    #[test]
    fn internal_names_are_allowed_only_through_internal() {
        assert!(TopicName::internal(CONSUMER_OFFSETS).unwrap().is_internal());
        assert!(!TopicName::new("orders").unwrap().is_internal());
    }

    #[test]
    fn dot_and_underscore_collide() {
        let a = TopicName::new("sales.orders").unwrap();
        let b = TopicName::new("sales_orders").unwrap();
        assert!(a.collides_with(&b) && b.collides_with(&a));
        assert!(!a.collides_with(&a), "a name does not collide with itself");
        assert!(!a.collides_with(&TopicName::new("sales-orders").unwrap()));
    }
}
