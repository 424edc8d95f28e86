//! Kafka's standard authorizer: whether a principal on a host may do an operation on a resource, decided from
//! the cluster's ACLs as `StandardAuthorizer` decides it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Acls, Operation, Permission, ResourceType, WILDCARD};

/// The broker settings of an authorizer: Kafka's `super.users` and `allow.everyone.if.no.acl.found`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorizer {
    /// Principals allowed everything, whatever the ACLs say.
    pub super_users: BTreeSet<String>,
    /// Whether a resource no ACL covers is open to everyone (Kafka's default: no, it is closed).
    pub allow_everyone_if_no_acl_found: bool,
}

/// Who makes a request: an authenticated principal (`User:alice`) and the host it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Client {
    pub principal: String,
    pub host: String,
}

impl Authorizer {
    /// Kafka's rules, in order: a super user may do anything; an ACL that denies this principal the operation
    /// wins over any that allows it; READ, WRITE, DELETE and ALTER each allow DESCRIBE too, and ALTER_CONFIGS
    /// allows DESCRIBE_CONFIGS; a resource that no ACL covers at all is open only with
    /// `allow.everyone.if.no.acl.found`.
    pub fn authorize(
        &self,
        acls: &Acls,
        client: &Client,
        operation: Operation,
        kind: ResourceType,
        name: &str,
    ) -> bool {
        if self.super_users.contains(&client.principal) {
            return true;
        }
        let mut covered = false;
        let mut allowed = false;
        for acl in acls.iter().filter(|a| a.covers(kind, name)) {
            covered = true;
            if !applies_to(acl.principal.as_str(), acl.host.as_str(), client) {
                continue;
            }
            match acl.permission {
                Permission::Deny if acl.operation == Operation::All || acl.operation == operation => return false,
                Permission::Allow if grants(acl.operation, operation) => allowed = true,
                _ => {}
            }
        }
        allowed || (!covered && self.allow_everyone_if_no_acl_found)
    }

    /// Whether the client may do `operation` on some resource of type `kind` (Kafka's
    /// `authorizeByResourceType`, KIP-679: how an idempotent producer is allowed by WRITE on any topic): an ACL
    /// allows it on a name, and no ACL denies it that name (or every name); with no ACL of that type at all,
    /// `allow.everyone.if.no.acl.found` decides.
    pub fn authorize_any(&self, acls: &Acls, client: &Client, operation: Operation, kind: ResourceType) -> bool {
        if self.super_users.contains(&client.principal) {
            return true;
        }
        let of_kind: Vec<_> = acls.iter().filter(|a| a.resource_type == kind).collect();
        if of_kind.is_empty() {
            return self.allow_everyone_if_no_acl_found;
        }
        let mine = || of_kind.iter().filter(|a| applies_to(&a.principal, &a.host, client));
        let denies: Vec<_> = mine()
            .filter(|a| a.permission == Permission::Deny && (a.operation == Operation::All || a.operation == operation))
            .collect();
        mine().filter(|a| a.permission == Permission::Allow && grants(a.operation, operation)).any(|allow| {
            // An allowed name survives unless a deny covers all of it: `*`, its literal self, or a prefix of it.
            !denies.iter().any(|d| match d.pattern_type {
                super::PatternType::Literal => {
                    d.resource_name == WILDCARD
                        || (allow.pattern_type == super::PatternType::Literal && d.resource_name == allow.resource_name)
                }
                super::PatternType::Prefixed => allow.resource_name.starts_with(&d.resource_name),
                _ => false,
            })
        })
    }
}

/// Whether an ACL for `principal` from `host` is about this client: its own principal or `User:*`, its host or
/// `*`.
fn applies_to(principal: &str, host: &str, client: &Client) -> bool {
    let principal_matches = principal == client.principal
        || principal
            .strip_suffix(WILDCARD)
            .and_then(|p| p.strip_suffix(':'))
            .is_some_and(|kind| client.principal.split_once(':').is_some_and(|(k, _)| k == kind));
    principal_matches && (host == WILDCARD || host == client.host)
}

/// Whether an ACL allowing `granted` allows `wanted`.
fn grants(granted: Operation, wanted: Operation) -> bool {
    use Operation::*;
    granted == All
        || granted == wanted
        || (wanted == Describe && matches!(granted, Read | Write | Delete | Alter))
        || (wanted == DescribeConfigs && granted == AlterConfigs)
}
