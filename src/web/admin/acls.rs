//! KafkaJS's `createAcls`, `describeAcls` and `deleteAcls`, with its `AclResourceTypes`, `AclOperationTypes`,
//! `AclPermissionTypes` and `ResourcePatternTypes`. Each is a protocol request, so it works the same in the page
//! and through a port; a cluster opened without an authorizer answers SECURITY_DISABLED, as Kafka does.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{promise, to_js, unexpected, Admin};
use crate::core::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};
use crate::core::error::Error;
use crate::core::protocol::{Request, Response};
use crate::web::js::{self, object};

/// KafkaJS's `AclResourceTypes`.
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum AclResourceTypes {
    UNKNOWN = 0,
    ANY = 1,
    TOPIC = 2,
    GROUP = 3,
    CLUSTER = 4,
    TRANSACTIONAL_ID = 5,
    DELEGATION_TOKEN = 6,
}

/// KafkaJS's `AclOperationTypes`.
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum AclOperationTypes {
    UNKNOWN = 0,
    ANY = 1,
    ALL = 2,
    READ = 3,
    WRITE = 4,
    CREATE = 5,
    DELETE = 6,
    ALTER = 7,
    DESCRIBE = 8,
    CLUSTER_ACTION = 9,
    DESCRIBE_CONFIGS = 10,
    ALTER_CONFIGS = 11,
    IDEMPOTENT_WRITE = 12,
}

/// KafkaJS's `AclPermissionTypes`.
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum AclPermissionTypes {
    UNKNOWN = 0,
    ANY = 1,
    DENY = 2,
    ALLOW = 3,
}

/// KafkaJS's `ResourcePatternTypes`.
#[wasm_bindgen]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ResourcePatternTypes {
    UNKNOWN = 0,
    ANY = 1,
    MATCH = 2,
    LITERAL = 3,
    PREFIXED = 4,
}

/// A protocol enum field of `entry` (its code), named `at` in errors.
fn code<T>(
    entry: &JsValue,
    key: &'static str,
    at: &str,
    of: fn(i64) -> crate::core::error::Result<T>,
) -> Result<T, JsValue> {
    let n: i64 = js::int(&js::get(entry, key), format_args!("{at}.{key}"))?;
    of(n).map_err(|e| to_js(Error::InvalidRequest(format!("{at}.{key}: {}", e.detail()))))
}

/// A string field that a filter may leave out (any value); `null` too.
fn optional(entry: &JsValue, key: &'static str, at: &str) -> Result<Option<String>, JsValue> {
    let v = js::get(entry, key);
    if js::is_missing(&v) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| js::type_error(format_args!("{at}.{key}"), "a string", &v))
}

fn binding(entry: &JsValue, at: &str) -> Result<AclBinding, JsValue> {
    Ok(AclBinding {
        resource_type: code(entry, "resourceType", at, ResourceType::from_code)?,
        resource_name: js::string(entry, "resourceName", format_args!("{at}.resourceName"))?,
        pattern_type: code(entry, "resourcePatternType", at, PatternType::from_code)?,
        principal: js::string(entry, "principal", format_args!("{at}.principal"))?,
        host: js::string(entry, "host", format_args!("{at}.host"))?,
        operation: code(entry, "operation", at, Operation::from_code)?,
        permission: code(entry, "permissionType", at, Permission::from_code)?,
    })
}

fn filter(entry: &JsValue, at: &str) -> Result<AclFilter, JsValue> {
    Ok(AclFilter {
        resource_type: code(entry, "resourceType", at, ResourceType::from_code)?,
        resource_name: optional(entry, "resourceName", at)?,
        pattern_type: code(entry, "resourcePatternType", at, PatternType::from_code)?,
        principal: optional(entry, "principal", at)?,
        host: optional(entry, "host", at)?,
        operation: code(entry, "operation", at, Operation::from_code)?,
        permission: code(entry, "permissionType", at, Permission::from_code)?,
    })
}

/// The resource fields of an ACL, as KafkaJS names them.
fn resource_fields(acl: &AclBinding, out: &js_sys::Object) {
    js::set(out, "resourceType", acl.resource_type.code());
    js::set(out, "resourceName", acl.resource_name.as_str());
    js::set(out, "resourcePatternType", acl.pattern_type.code());
}

/// The entry fields of an ACL, as KafkaJS names them.
fn entry_fields(acl: &AclBinding, out: &js_sys::Object) {
    js::set(out, "principal", acl.principal.as_str());
    js::set(out, "host", acl.host.as_str());
    js::set(out, "operation", acl.operation.code());
    js::set(out, "permissionType", acl.permission.code());
}

#[wasm_bindgen]
impl Admin {
    /// `createAcls({ acl: [{ resourceType, resourceName, resourcePatternType, principal, host, operation,
    /// permissionType }] })`: stores each ACL; resolves `true`. An ACL that names a filter-only value (ANY, MATCH)
    /// or a principal not of the form `User:name` is INVALID_REQUEST (the call rejects with the first error; the
    /// other ACLs are stored).
    #[wasm_bindgen(js_name = createAcls, unchecked_return_type = "Promise<boolean>")]
    pub fn create_acls(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ acl: AclEntry[] }")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let entries = js::list(&options, "acl", "acl", true)?;
            let acls =
                entries.iter().enumerate().map(|(i, e)| binding(e, &format!("acl[{i}]"))).collect::<Result<_, _>>()?;
            let Response::CreateAcls(outcomes) = broker.call(Request::CreateAcls(acls)).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            match outcomes.into_iter().flatten().next() {
                Some(e) => Err(to_js(e)),
                None => Ok(true.into()),
            }
        })
    }

    /// `describeAcls({ resourceType, resourceName?, resourcePatternType, principal?, host?, operation,
    /// permissionType })`: the ACLs the filter matches, grouped by resource as KafkaJS gives them. ANY matches any
    /// value, and a missing name, principal or host any too; `resourcePatternType: MATCH` with a name finds
    /// every ACL that applies to that resource (its own, `*`, and prefixes of it).
    #[wasm_bindgen(js_name = describeAcls, unchecked_return_type = "Promise<DescribeAclResponse>")]
    pub fn describe_acls(&self, #[wasm_bindgen(unchecked_param_type = "AclFilter")] options: JsValue) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let wanted = filter(&options, "filter")?;
            let Response::DescribeAcls(acls) = broker.call(Request::DescribeAcls(wanted)).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            // ACLs come sorted by resource: each run of one resource is one entry, with that run's entries.
            let mut runs: Vec<(&AclBinding, js_sys::Array)> = Vec::new();
            for acl in &acls {
                let resource = |a: &AclBinding| (a.resource_type, a.resource_name.clone(), a.pattern_type);
                match runs.last() {
                    Some((first, _)) if resource(first) == resource(acl) => {}
                    _ => runs.push((acl, js_sys::Array::new())),
                }
                if let Some((_, entries)) = runs.last() {
                    let entry = js_sys::Object::new();
                    entry_fields(acl, &entry);
                    entries.push(&entry);
                }
            }
            let resources = js::array(runs.into_iter().map(|(acl, entries)| {
                let resource = object([("acls", entries.into())]);
                resource_fields(acl, &resource);
                resource
            }));
            let answer = object([
                ("throttleTime", 0.into()),
                ("errorCode", 0.into()),
                ("errorMessage", JsValue::NULL),
                ("resources", resources.into()),
            ]);
            Ok(answer.into())
        })
    }

    /// `deleteAcls({ filters: AclFilter[] })`: removes the ACLs each filter matches, and lists them per filter
    /// (`filterResponses[i].matchingAcls`), as KafkaJS does.
    #[wasm_bindgen(js_name = deleteAcls, unchecked_return_type = "Promise<DeleteAclResponse>")]
    pub fn delete_acls(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ filters: AclFilter[] }")] options: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let entries = js::list(&options, "filters", "filters", true)?;
            let filters = entries
                .iter()
                .enumerate()
                .map(|(i, e)| filter(e, &format!("filters[{i}]")))
                .collect::<Result<_, _>>()?;
            let Response::DeleteAcls(deleted) = broker.call(Request::DeleteAcls(filters)).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            let responses = js::array(deleted.iter().map(|acls| {
                let matching = js::array(acls.iter().map(|acl| {
                    let out = object([("errorCode", 0.into()), ("errorMessage", JsValue::NULL)]);
                    resource_fields(acl, &out);
                    entry_fields(acl, &out);
                    out
                }));
                object([("errorCode", 0.into()), ("errorMessage", JsValue::NULL), ("matchingAcls", matching.into())])
            }));
            Ok(object([("throttleTime", 0.into()), ("filterResponses", responses.into())]).into())
        })
    }
}
