//! Kafka's SCRAM credential admin calls (KIP-554), which KafkaJS lacks and Java's Admin has:
//! `alterUserScramCredentials` stores a user's credential, salted here, so that the password never reaches the
//! broker (as `kafka-configs --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=…]'` does), and
//! `describeUserScramCredentials` tells which mechanisms and iterations each user has.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{first_item_error, promise, to_js, unexpected, Admin};
use crate::core::acl::scram::{ScramMechanism, ITERATIONS, MAX_ITERATIONS};
use crate::core::acl::scram_users::{ScramDeletion, ScramUpsertion};
use crate::core::protocol::{Request, Response};
use crate::web::js::{self, object};

/// Each item of the list `key` of `alterations`, read by `read` (given the item and its field name).
fn items<T>(
    alterations: &JsValue,
    key: &'static str,
    read: impl Fn(&JsValue, &str) -> Result<T, JsValue>,
) -> Result<Vec<T>, JsValue> {
    js::list(alterations, key, key, false)?
        .iter()
        .enumerate()
        .map(|(i, item)| read(item, &format!("{key}[{i}]")))
        .collect()
}

fn text(item: &JsValue, key: &'static str, at: &str) -> Result<String, JsValue> {
    js::string(item, key, format_args!("{at}.{key}"))
}

/// An upsertion with its password salted for its mechanism. A mechanism or iteration count the broker will
/// refuse is sent unsalted, for the broker to say why (and so that no client spins on a billion iterations).
fn upsertion(item: &JsValue, at: &str) -> Result<ScramUpsertion, JsValue> {
    let (user, mechanism) = (text(item, "user", at)?, text(item, "mechanism", at)?);
    let iterations = js::opt_int::<u32>(item, "iterations", format_args!("{at}.iterations"))?.unwrap_or(ITERATIONS);
    let password = text(item, "password", at)?;
    if password.is_empty() {
        return Err(crate::web::error::type_error(&format!("{at}.password must not be empty")));
    }
    let mut salt = vec![0; 24];
    js::random_bytes(&mut salt);
    let salted_password = match ScramMechanism::from_name(&mechanism) {
        Some(m) if (ITERATIONS..=MAX_ITERATIONS).contains(&iterations) => {
            m.salted_password(&password, &salt, iterations)
        }
        _ => Vec::new(),
    };
    Ok(ScramUpsertion { user, mechanism, iterations, salt, salted_password })
}

#[wasm_bindgen]
impl Admin {
    /// `alterUserScramCredentials({ upsertions?: [{ user, mechanism, password, iterations = 4096 }], deletions?:
    /// [{ user, mechanism }] })` (franz's, after Java's `Admin.alterUserScramCredentials`): stores or removes
    /// each user's SCRAM-SHA-256 or SCRAM-SHA-512 credential. Each user's alterations are made together or not
    /// at all; the call rejects with the first user's error (UNACCEPTABLE_CREDENTIAL, RESOURCE_NOT_FOUND,
    /// DUPLICATE_RESOURCE, UNSUPPORTED_SASL_MECHANISM) once the others are made. Needs ALTER on the cluster.
    #[wasm_bindgen(js_name = alterUserScramCredentials, unchecked_return_type = "Promise<void>")]
    pub fn alter_user_scram_credentials(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ScramCredentialAlterations")] alterations: JsValue,
    ) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let upsertions = items(&alterations, "upsertions", upsertion)?;
            let deletions = items(&alterations, "deletions", |item, at| {
                Ok(ScramDeletion { user: text(item, "user", at)?, mechanism: text(item, "mechanism", at)? })
            })?;
            let request = Request::AlterUserScramCredentials { deletions, upsertions };
            let Response::AlterUserScramCredentials(results) = broker.call(request).await.map_err(to_js)? else {
                return Err(unexpected());
            };
            first_item_error("user", results.iter().filter_map(|(user, e)| e.as_ref().map(|e| (user, e))))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `describeUserScramCredentials(users?)` (franz's, after Java's `Admin.describeUserScramCredentials`): each
    /// user's credentials, `{ user, credentialInfos: [{ mechanism, iterations }] }`, for the users named or every
    /// user with one. A user without any is RESOURCE_NOT_FOUND. Needs DESCRIBE on the cluster.
    #[wasm_bindgen(
        js_name = describeUserScramCredentials,
        unchecked_return_type = "Promise<UserScramCredentialsDescription[]>"
    )]
    pub fn describe_user_scram_credentials(&self, users: Option<Vec<String>>) -> Promise {
        let broker = self.broker.clone();
        promise(async move {
            broker.check_open()?;
            let Response::DescribeUserScramCredentials(described) =
                broker.call(Request::DescribeUserScramCredentials { users }).await.map_err(to_js)?
            else {
                return Err(unexpected());
            };
            first_item_error("user", described.iter().filter_map(|(user, r)| r.as_ref().err().map(|e| (user, e))))?;
            let listed = described.iter().filter_map(|(user, r)| {
                let infos = r.as_ref().ok()?;
                Some(object([("user", user.as_str().into()), ("credentialInfos", js::to_plain(infos))]))
            });
            Ok(js::array(listed).into())
        })
    }
}
