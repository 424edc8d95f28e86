//! Service accounts and Kafka ACLs, as Confluent Cloud's CLI manages them: `confluent iam service-account …` makes
//! an application's identity, `confluent api-key create --service-account …` a key that authenticates as it, and
//! `confluent kafka acl …` what it may do on a cluster. The user's own keys may do anything (on Confluent Cloud,
//! by the user's role); a service account only what the ACLs allow.

use serde_json::json;

use super::output::{Data, Format};
use super::parse::Parsed;
use super::state::ServiceAccount;
use super::topics::{hint, unexpected};
use super::{Cli, CliError, Clusters, Reply};
use crate::core::acl::{
    AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType, CLUSTER_RESOURCE, WILDCARD,
};
use crate::core::protocol::{Request, Response};

/// The columns of an ACL table, as the Confluent CLI prints them.
const ACL_COLUMNS: [(&str, &str); 6] = [
    ("Principal", "principal"),
    ("Permission", "permission"),
    ("Operation", "operation"),
    ("Resource Type", "resource_type"),
    ("Resource Name", "resource_name"),
    ("Pattern Type", "pattern_type"),
];

fn acl_table(acls: &[AclBinding]) -> Data {
    let rows = acls
        .iter()
        .map(|a| {
            vec![
                json!(a.principal),
                json!(a.permission.name()),
                json!(a.operation.name()),
                json!(a.resource_type.name()),
                json!(a.resource_name),
                json!(a.pattern_type.name()),
            ]
        })
        .collect();
    Data::List(ACL_COLUMNS.to_vec(), rows)
}

fn account_record(a: &ServiceAccount) -> Data {
    Data::Record(vec![
        ("ID", "id", json!(a.id)),
        ("Name", "name", json!(a.name)),
        ("Description", "description", json!(a.description)),
    ])
}

impl Cli {
    pub(super) fn service_account_create(&mut self, p: &Parsed, format: Format) -> Result<Reply, CliError> {
        let name = p.args[0].trim();
        if name.is_empty() {
            return Err(CliError::usage("the service account name must not be empty"));
        }
        if self.state.service_accounts.iter().any(|a| a.name == name) {
            return Err(CliError::usage(format!("a service account named {name:?} already exists"))
                .with_suggestion("List service accounts with `confluent iam service-account list`."));
        }
        let description = p.flag("description").unwrap_or("").to_owned();
        let account = ServiceAccount { id: self.new_id("sa"), name: name.to_owned(), description };
        let output = account_record(&account).render(format);
        self.state.service_accounts.push(account);
        Ok(Reply { output, state_changed: true, ..Reply::default() })
    }

    pub(super) fn service_account_list(&self, format: Format) -> Reply {
        let rows = self.state.service_accounts.iter().map(|a| vec![json!(a.id), json!(a.name), json!(a.description)]);
        let columns = vec![("ID", "id"), ("Name", "name"), ("Description", "description")];
        Reply::text(Data::List(columns, rows.collect()).render(format))
    }

    pub(super) fn find_service_account(&self, id: &str) -> Result<&ServiceAccount, CliError> {
        self.state.service_accounts.iter().find(|a| a.id == id).ok_or_else(|| {
            CliError::usage(format!("service account {id:?} not found"))
                .with_suggestion("List service accounts with `confluent iam service-account list`.")
        })
    }

    pub(super) fn service_account_describe(&self, id: &str, format: Format) -> Result<Reply, CliError> {
        Ok(Reply::text(account_record(self.find_service_account(id)?).render(format)))
    }

    /// Deletes a service account and its API keys (its ACLs stay, as on Kafka, until deleted).
    pub(super) fn service_account_delete(&mut self, id: &str) -> Result<Reply, CliError> {
        self.find_service_account(id)?;
        self.state.service_accounts.retain(|a| a.id != id);
        let keys: Vec<String> = self.state.api_keys.iter().filter(|k| k.owner == id).map(|k| k.key.clone()).collect();
        self.state.api_keys.retain(|k| k.owner != id);
        self.state.key_in_use.retain(|(_, k)| !keys.contains(k));
        self.secrets.retain(|(k, _)| !keys.contains(k));
        let output = format!("Deleted service account {id:?} and its {} API key(s).\n", keys.len());
        Ok(Reply { output, state_changed: true, ..Reply::default() })
    }

    /// `confluent kafka acl create | list | delete` on the cluster in use (or `--cluster`), as the user.
    pub(super) fn acl(
        &mut self,
        p: &Parsed,
        verb: &str,
        format: Format,
        clusters: &mut dyn Clusters,
    ) -> Result<Reply, CliError> {
        let cluster = self.target_cluster(p)?.id;
        let principal = self.acl_principal(p)?;
        let resource = acl_resource(p)?;
        // Creating and deleting name who and what; listing may leave either out.
        let (principal_needed, resource_needed) =
            (|| principal.clone().ok_or_else(missing_principal), || resource.clone().ok_or_else(missing_resource));
        let mut call = |request: Request, what: &str| {
            clusters.call(&cluster, request).map_err(|e| CliError::kafka(&e, what, hint(&e)))
        };
        match verb {
            "create" => {
                let (permission, principal) = (acl_permission(p)?, principal_needed()?);
                let (kind, name, pattern) = resource_needed()?;
                let acls: Vec<AclBinding> = acl_operations(p)?
                    .into_iter()
                    .map(|operation| AclBinding {
                        resource_type: kind,
                        resource_name: name.clone(),
                        pattern_type: pattern,
                        principal: principal.clone(),
                        host: WILDCARD.into(),
                        operation,
                        permission,
                    })
                    .collect();
                let Response::CreateAcls(outcomes) = call(Request::CreateAcls(acls.clone()), "failed to create ACLs")?
                else {
                    return Err(CliError::kafka(&unexpected(), "failed to create ACLs", None));
                };
                if let Some(e) = outcomes.into_iter().flatten().next() {
                    return Err(CliError::kafka(&e, "failed to create ACLs", None));
                }
                Ok(Reply::text(acl_table(&acls).render(format)))
            }
            "list" => {
                let mut filter = AclFilter { principal, ..AclFilter::any() };
                if let Some((kind, name, pattern)) = resource {
                    filter.resource_type = kind;
                    filter.resource_name = Some(name);
                    filter.pattern_type = if p.has("prefix") { pattern } else { PatternType::Any };
                }
                let Response::DescribeAcls(acls) = call(Request::DescribeAcls(filter), "failed to list ACLs")? else {
                    return Err(CliError::kafka(&unexpected(), "failed to list ACLs", None));
                };
                Ok(Reply::text(acl_table(&acls).render(format)))
            }
            _ => {
                let (permission, principal) = (acl_permission(p)?, principal_needed()?);
                let (kind, name, pattern) = resource_needed()?;
                let filters: Vec<AclFilter> = acl_operations(p)?
                    .into_iter()
                    .map(|operation| AclFilter {
                        resource_type: kind,
                        resource_name: Some(name.clone()),
                        pattern_type: pattern,
                        principal: Some(principal.clone()),
                        host: None,
                        operation,
                        permission,
                    })
                    .collect();
                let Response::DeleteAcls(deleted) = call(Request::DeleteAcls(filters), "failed to delete ACLs")? else {
                    return Err(CliError::kafka(&unexpected(), "failed to delete ACLs", None));
                };
                let deleted: Vec<AclBinding> = deleted.into_iter().flatten().collect();
                let mut output = format!("Deleted {} ACL(s).\n", deleted.len());
                if !deleted.is_empty() {
                    output.push_str(&acl_table(&deleted).render(format));
                }
                Ok(Reply::text(output))
            }
        }
    }

    /// `--service-account sa-…` (which must exist) or `--principal User:…`: at most one of them.
    fn acl_principal(&self, p: &Parsed) -> Result<Option<String>, CliError> {
        match (p.flag("service-account"), p.flag("principal")) {
            (Some(_), Some(_)) => Err(CliError::usage("give --service-account or --principal, not both")),
            (Some(id), None) => Ok(Some(format!("User:{}", self.find_service_account(id)?.id))),
            (None, Some(principal)) if principal.starts_with("User:") && principal.len() > "User:".len() => {
                Ok(Some(principal.to_owned()))
            }
            (None, Some(principal)) => Err(CliError::usage(format!(
                "invalid value {principal:?} for \"--principal\": a principal is \"User:\" and a name, e.g. User:sa-123abc"
            ))),
            (None, None) => Ok(None),
        }
    }
}

fn missing_principal() -> CliError {
    CliError::usage("required flag \"--service-account\" or \"--principal\" not set")
        .with_suggestion("Name who the ACL is for: --service-account sa-… (see `confluent iam service-account list`).")
}

fn missing_resource() -> CliError {
    CliError::usage(
        "exactly one of \"--topic\", \"--consumer-group\", \"--transactional-id\" and \"--cluster-scope\" must be set",
    )
}

/// `--allow` or `--deny`: one of them.
fn acl_permission(p: &Parsed) -> Result<Permission, CliError> {
    match (p.has("allow"), p.has("deny")) {
        (true, false) => Ok(Permission::Allow),
        (false, true) => Ok(Permission::Deny),
        _ => Err(CliError::usage("exactly one of \"--allow\" and \"--deny\" must be set")),
    }
}

/// `--operations read,write,…`: required; Kafka's operation names, in any case, with `-` for `_`.
fn acl_operations(p: &Parsed) -> Result<Vec<Operation>, CliError> {
    let list = super::run::required(p, "operations", "the operations the ACL is about")?;
    list.split(',')
        .map(|name| {
            Operation::from_name(name.trim()).filter(|op| *op != Operation::Any).ok_or_else(|| {
                CliError::usage(format!("invalid value {name:?} for \"--operations\"")).with_suggestion(
                    "Use alter, alter-configs, cluster-action, create, delete, describe, describe-configs, \
                     idempotent-write, read or write (or all), comma-separated.",
                )
            })
        })
        .collect()
}

/// The resource an ACL is about: at most one of `--topic`, `--consumer-group`, `--transactional-id` and
/// `--cluster-scope`, with `--prefix` for a prefixed name.
fn acl_resource(p: &Parsed) -> Result<Option<(ResourceType, String, PatternType)>, CliError> {
    let named = [
        (ResourceType::Topic, p.flag("topic")),
        (ResourceType::Group, p.flag("consumer-group")),
        (ResourceType::TransactionalId, p.flag("transactional-id")),
        (ResourceType::Cluster, p.has("cluster-scope").then_some(CLUSTER_RESOURCE)),
    ];
    let given: Vec<(ResourceType, &str)> = named.into_iter().filter_map(|(k, n)| Some((k, n?))).collect();
    let pattern = if p.has("prefix") { PatternType::Prefixed } else { PatternType::Literal };
    match given[..] {
        [] => Ok(None),
        [(ResourceType::Cluster, _)] if p.has("prefix") => {
            Err(CliError::usage("\"--prefix\" cannot be used with \"--cluster-scope\""))
        }
        [(kind, name)] if !name.is_empty() => Ok(Some((kind, name.to_owned(), pattern))),
        [_] => Err(CliError::usage("the resource name must not be empty")),
        _ => Err(missing_resource()),
    }
}
