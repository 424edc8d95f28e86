//! Kafka's access control lists: bindings of a principal (`User:alice`) on a host to an operation (READ) on
//! resources (the topic `orders`, every group prefixed `billing-`), allowed or denied; and the filters that
//! DescribeAcls and DeleteAcls match them with. [`authorizer`] decides requests from them.
//!
//! The enums carry the protocol's codes, which KafkaJS's `AclResourceTypes`, `AclOperationTypes`,
//! `AclPermissionTypes` and `ResourcePatternTypes` use too.

pub mod authorizer;
pub mod credentials;
pub mod jws;
pub mod oauth;
pub mod sasl;
pub mod scram;
pub mod scram_users;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::core::error::{Error, Result};

/// Declares a protocol enum with its codes and names, so that neither can drift from the other.
macro_rules! protocol_enum {
    ($(#[$doc:meta])* $name:ident { $( $variant:ident = $code:literal, $text:literal; )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name { $( $variant, )* }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The protocol's code.
            pub fn code(self) -> i8 {
                match self { $( $name::$variant => $code, )* }
            }

            /// The value with protocol code `code`; UNKNOWN (0) and codes Kafka does not have are refused.
            pub fn from_code(code: i64) -> Result<$name> {
                match code {
                    $( $code => Ok($name::$variant), )*
                    _ => Err(Error::InvalidRequest(format!(
                        "{} {code} is not one of {}", stringify!($name),
                        [$( concat!($code, " (", $text, ")") ),*].join(", ")
                    ))),
                }
            }

            /// Kafka's name, as its CLI prints it (`TOPIC`, `IDEMPOTENT_WRITE`).
            pub fn name(self) -> &'static str {
                match self { $( $name::$variant => $text, )* }
            }

            /// The value Kafka names `name`, in any case, with `-` for `_` (`idempotent-write`).
            pub fn from_name(name: &str) -> Option<$name> {
                let wanted = name.to_ascii_uppercase().replace('-', "_");
                Self::ALL.iter().copied().find(|v| v.name() == wanted)
            }
        }
    };
}

protocol_enum!(
    /// What kind of thing an ACL is about.
    ResourceType {
        Any = 1, "ANY";
        Topic = 2, "TOPIC";
        Group = 3, "GROUP";
        Cluster = 4, "CLUSTER";
        TransactionalId = 5, "TRANSACTIONAL_ID";
        DelegationToken = 6, "DELEGATION_TOKEN";
    }
);

protocol_enum!(
    /// How an ACL's resource name matches: the name itself (`*` for every one), or every name it begins.
    /// Filters may also say ANY (any pattern, this exact name) or MATCH (every ACL that applies to this name).
    PatternType {
        Any = 1, "ANY";
        Match = 2, "MATCH";
        Literal = 3, "LITERAL";
        Prefixed = 4, "PREFIXED";
    }
);

protocol_enum!(
    /// What an ACL allows or denies. ALL is every operation; ANY only appears in filters.
    Operation {
        Any = 1, "ANY";
        All = 2, "ALL";
        Read = 3, "READ";
        Write = 4, "WRITE";
        Create = 5, "CREATE";
        Delete = 6, "DELETE";
        Alter = 7, "ALTER";
        Describe = 8, "DESCRIBE";
        ClusterAction = 9, "CLUSTER_ACTION";
        DescribeConfigs = 10, "DESCRIBE_CONFIGS";
        AlterConfigs = 11, "ALTER_CONFIGS";
        IdempotentWrite = 12, "IDEMPOTENT_WRITE";
    }
);

protocol_enum!(
    /// Whether an ACL allows or denies; ANY only appears in filters.
    Permission {
        Any = 1, "ANY";
        Deny = 2, "DENY";
        Allow = 3, "ALLOW";
    }
);

/// The one name a CLUSTER resource has.
pub const CLUSTER_RESOURCE: &str = "kafka-cluster";
/// The resource name, principal and host that stand for every one.
pub const WILDCARD: &str = "*";
/// The principal of a client that did not authenticate, as Kafka names it on a PLAINTEXT listener.
pub const ANONYMOUS: &str = "User:ANONYMOUS";

/// One ACL: Kafka's `AclBinding`, a resource pattern with an access control entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AclBinding {
    pub resource_type: ResourceType,
    pub resource_name: String,
    pub pattern_type: PatternType,
    pub principal: String,
    pub host: String,
    pub operation: Operation,
    pub permission: Permission,
}

impl AclBinding {
    /// Refuses what Kafka's controller refuses to store: filter-only values, an empty name, a principal that is
    /// not `Type:name`.
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: String| Err(Error::InvalidRequest(format!("{what} in ACL {self}")));
        if self.resource_type == ResourceType::Any {
            return invalid("resource type ANY only matches ACLs: an ACL names one type".into());
        }
        if !matches!(self.pattern_type, PatternType::Literal | PatternType::Prefixed) {
            return invalid(format!(
                "pattern type {} only matches ACLs: an ACL is LITERAL or PREFIXED",
                self.pattern_type.name()
            ));
        }
        if self.operation == Operation::Any {
            return invalid("operation ANY only matches ACLs: an ACL names one operation, or ALL".into());
        }
        if self.permission == Permission::Any {
            return invalid("permission ANY only matches ACLs: an ACL is ALLOW or DENY".into());
        }
        if self.resource_name.is_empty() {
            return invalid("an empty resource name".into());
        }
        if self.host.is_empty() {
            return invalid("an empty host (use * for every host)".into());
        }
        validate_principal(&self.principal)
    }

    /// Whether this ACL's resource pattern covers resource `name` of type `kind`: its name, `*`, or a prefix of
    /// it.
    pub fn covers(&self, kind: ResourceType, name: &str) -> bool {
        self.resource_type == kind
            && match self.pattern_type {
                PatternType::Literal => self.resource_name == name || self.resource_name == WILDCARD,
                PatternType::Prefixed => name.starts_with(&self.resource_name),
                PatternType::Any | PatternType::Match => false,
            }
    }
}

impl std::fmt::Display for AclBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "({} {} {:?}, {} {} {} from host {:?})",
            self.pattern_type.name(),
            self.resource_type.name(),
            self.resource_name,
            self.principal,
            self.permission.name(),
            self.operation.name(),
            self.host
        )
    }
}

/// A principal is `Type:name`, both parts non-empty (Kafka's `KafkaPrincipal`).
pub fn validate_principal(principal: &str) -> Result<()> {
    match principal.split_once(':') {
        Some((kind, name)) if !kind.is_empty() && !name.is_empty() => Ok(()),
        _ => Err(Error::InvalidRequest(format!(
            "principal {principal:?} is not of the form Type:name (for example User:alice, or User:* for every user)"
        ))),
    }
}

/// Kafka's `AclBindingFilter`: which ACLs DescribeAcls lists and DeleteAcls removes. `None` matches any value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AclFilter {
    pub resource_type: ResourceType,
    pub resource_name: Option<String>,
    pub pattern_type: PatternType,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Operation,
    pub permission: Permission,
}

impl AclFilter {
    /// The filter that matches every ACL.
    pub fn any() -> AclFilter {
        AclFilter {
            resource_type: ResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: Operation::Any,
            permission: Permission::Any,
        }
    }

    /// Matches as Kafka's `ResourcePatternFilter` and `AccessControlEntryFilter` do: ANY and `None` match
    /// anything; a name with pattern ANY or an exact pattern type matches that name only; with MATCH, every ACL
    /// that would apply to the named resource (its literal name, `*`, a prefix of it).
    pub fn matches(&self, acl: &AclBinding) -> bool {
        let kind = self.resource_type == ResourceType::Any || self.resource_type == acl.resource_type;
        let pattern =
            matches!(self.pattern_type, PatternType::Any | PatternType::Match) || self.pattern_type == acl.pattern_type;
        let name = match (&self.resource_name, self.pattern_type) {
            (None, _) => true,
            (Some(name), PatternType::Match) => acl.covers(acl.resource_type, name),
            (Some(name), _) => *name == acl.resource_name,
        };
        let same = |wanted: &Option<String>, got: &str| wanted.as_deref().is_none_or(|w| w == got);
        kind && pattern
            && name
            && same(&self.principal, &acl.principal)
            && same(&self.host, &acl.host)
            && (self.operation == Operation::Any || self.operation == acl.operation)
            && (self.permission == Permission::Any || self.permission == acl.permission)
    }
}

/// Every ACL of a cluster, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acls {
    bindings: BTreeSet<AclBinding>,
}

impl Acls {
    /// Kafka's CreateAcls for one binding: checked, then stored. Creating an ACL that exists changes nothing, as
    /// in Kafka.
    pub fn create(&mut self, acl: AclBinding) -> Result<()> {
        acl.validate()?;
        self.bindings.insert(acl);
        Ok(())
    }

    /// The ACLs `filter` matches (DescribeAcls).
    pub fn describe(&self, filter: &AclFilter) -> Vec<AclBinding> {
        self.bindings.iter().filter(|a| filter.matches(a)).cloned().collect()
    }

    /// Removes and returns the ACLs `filter` matches (DeleteAcls).
    pub fn delete(&mut self, filter: &AclFilter) -> Vec<AclBinding> {
        let gone = self.describe(filter);
        for acl in &gone {
            self.bindings.remove(acl);
        }
        gone
    }

    pub fn iter(&self) -> impl Iterator<Item = &AclBinding> {
        self.bindings.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    pub fn len(&self) -> usize {
        self.bindings.len()
    }
}

impl FromIterator<AclBinding> for Acls {
    fn from_iter<I: IntoIterator<Item = AclBinding>>(iter: I) -> Acls {
        Acls { bindings: iter.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests;
