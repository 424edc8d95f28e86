//! SASL in the JS API: whom a cluster lets in (`Kafka.open`'s `users` and `oauthBearer`), and what a client logs
//! in with (KafkaJS's `sasl`).

use js_sys::{Function, Object, Promise};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{error, js};
use crate::core::acl::credentials::{Accounts, Credentials, Plain};
use crate::core::acl::jws::Jwks;
use crate::core::acl::oauth::{check_extension, BearerLogin, OAuthBearer, Signed};
use crate::core::acl::sasl::{Mechanism, SaslLogin};
use crate::core::error::Error;

/// KafkaJS's `sasl` option, kept to log in with at each connection: a password, or OAUTHBEARER's token provider,
/// called again at each login as KafkaJS calls it (a provider refreshes its tokens).
#[derive(Clone)]
pub(crate) enum SaslConfig {
    Login(SaslLogin),
    OAuthBearer { provider: Function, authorization_id: Option<String> },
}

/// KafkaJS's `sasl: { mechanism, username, password }`, or `{ mechanism: 'oauthbearer', oauthBearerProvider,
/// authorizationIdentity? }`, if given. `mechanism` is `plain`, `scram-sha-256`, `scram-sha-512` or
/// `oauthbearer` (KafkaJS's names; any case). Another is UNSUPPORTED_SASL_MECHANISM.
pub(crate) fn sasl_config(sasl: &JsValue) -> Result<Option<SaslConfig>, JsValue> {
    if js::is_missing(sasl) {
        return Ok(None);
    }
    let name = js::opt_string(sasl, "mechanism", "sasl.mechanism")?.unwrap_or_default();
    let mechanism = Mechanism::from_name(&name).ok_or_else(|| {
        let detail =
            format!("SASL mechanism {name:?}: franz speaks plain, scram-sha-256, scram-sha-512 and oauthbearer");
        error::to_js(&Error::UnsupportedSaslMechanism(detail))
    })?;
    let plain = Plain {
        username: js::opt_string(sasl, "username", "sasl.username")?.unwrap_or_default(),
        password: js::opt_string(sasl, "password", "sasl.password")?.unwrap_or_default(),
    };
    if let Some(login) = SaslLogin::with_password(mechanism, plain) {
        return Ok(Some(SaslConfig::Login(login)));
    }
    // As KafkaJS says it, at login.
    let provider = js::get(sasl, "oauthBearerProvider").dyn_into::<Function>().map_err(|_| {
        error::to_js(&Error::SaslAuthenticationFailed("SASL OAUTHBEARER: Missing OAuth bearer token provider".into()))
    })?;
    let authorization_id = js::opt_string(sasl, "authorizationIdentity", "sasl.authorizationIdentity")?;
    Ok(Some(SaslConfig::OAuthBearer { provider, authorization_id }))
}

impl SaslConfig {
    /// What to log in with now: for OAUTHBEARER, the token the provider gives (`{ value, extensions? }`).
    pub(crate) async fn login(&self) -> Result<SaslLogin, JsValue> {
        let (provider, authorization_id) = match self {
            SaslConfig::Login(login) => return Ok(login.clone()),
            SaslConfig::OAuthBearer { provider, authorization_id } => (provider, authorization_id),
        };
        let token = JsFuture::from(Promise::resolve(&provider.call0(&JsValue::UNDEFINED)?)).await?;
        let invalid = |why: &str| {
            error::to_js(&Error::SaslAuthenticationFailed(format!(
                "SASL OAUTHBEARER: Invalid OAuth bearer token: {why}"
            )))
        };
        let value = js::get(&token, "value").as_string().ok_or_else(|| invalid("the provider gave no string value"))?;
        let extensions = js::get(&token, "extensions");
        let extensions = if js::is_missing(&extensions) {
            Vec::new()
        } else {
            Object::entries(&extensions.dyn_into::<Object>().map_err(|_| invalid("extensions must be an object"))?)
                .iter()
                .map(|entry| {
                    let entry = js_sys::Array::from(&entry);
                    let (key, value) = (entry.get(0).as_string().unwrap_or_default(), entry.get(1).as_string());
                    let value = value.ok_or_else(|| invalid(&format!("extension {key:?} must be a string")))?;
                    check_extension(&key, &value).map_err(|why| invalid(&why))?;
                    Ok((key, value))
                })
                .collect::<Result<_, JsValue>>()?
        };
        Ok(SaslLogin::OAuthBearer(BearerLogin { token: value, authorization_id: authorization_id.clone(), extensions }))
    }
}

/// Whom a cluster opened with `config` lets in: its `users` (`{ name: password }`) and, with `oauthBearer`,
/// OAUTHBEARER tokens checked by one of Kafka's validators; and with `connectionsMaxReauthMs` (Kafka's
/// `connections.max.reauth.ms`), how long a connection's session lasts before it must authenticate again.
pub(crate) fn credentials(config: &JsValue) -> Result<Credentials, JsValue> {
    let accounts = match js::get(config, "users") {
        u if js::is_missing(&u) => Accounts::None,
        u => Accounts::Users(
            js::from_plain(&u, "users").map_err(|_| js::type_error("users", "an object of { name: password }", &u))?,
        ),
    };
    let max_reauth_ms =
        js::opt_int::<u32>(config, "connectionsMaxReauthMs", "connectionsMaxReauthMs")?.map_or(0, i64::from);
    Ok(Credentials { accounts, oauthbearer: oauth_bearer(config)?, max_reauth_ms, ..Credentials::default() })
}

/// `oauthBearer`: `true`, or Kafka's `unsecuredValidator*` options `{ principalClaimName = 'sub',
/// scopeClaimName = 'scope', requiredScope = [], allowableClockSkewMs = 0 }`; or with `jwks`, an identity
/// provider's keys, its secured validator's `sasl.oauthbearer.*` configs `{ jwks, expectedAudience = [],
/// expectedIssuer, clockSkewSeconds = 30, subClaimName = 'sub', scopeClaimName = 'scope' }`. An option of the
/// other validator is an error, not ignored.
fn oauth_bearer(config: &JsValue) -> Result<Option<OAuthBearer>, JsValue> {
    let o = js::get(config, "oauthBearer");
    if js::is_missing(&o) || o.as_bool() == Some(false) {
        return Ok(None);
    }
    let mut validator = OAuthBearer::default();
    if o.as_bool() == Some(true) {
        return Ok(Some(validator));
    }
    if !o.is_object() {
        return Err(js::type_error("oauthBearer", "true or an object of validator options", &o));
    }
    let signed = !js::is_missing(&js::get(&o, "jwks"));
    let (own, other) = match signed {
        true => (SECURED_OPTIONS, UNSECURED_OPTIONS),
        false => (UNSECURED_OPTIONS, SECURED_OPTIONS),
    };
    if let Some(option) = other.iter().find(|k| !own.contains(k) && !js::is_missing(&js::get(&o, k))) {
        let why = match signed {
            true => "an option of the unsecured validator, which a cluster with jwks does not use",
            false => "an option of the signed-token validator: give it the identity provider's keys as jwks",
        };
        return Err(error::type_error(&format!("oauthBearer.{option} is {why}")));
    }
    let claim = |key, field: &str, default: String| match js::opt_string(&o, key, field)? {
        Some(name) if name.trim().is_empty() => Err(error::type_error(&format!("{field} must not be blank"))),
        name => Ok(name.map_or(default, |n| n.trim().to_owned())),
    };
    validator.scope_claim = claim("scopeClaimName", "oauthBearer.scopeClaimName", validator.scope_claim)?;
    if signed {
        validator.principal_claim = claim("subClaimName", "oauthBearer.subClaimName", validator.principal_claim)?;
        let skew = js::opt_int::<u32>(&o, "clockSkewSeconds", "oauthBearer.clockSkewSeconds")?;
        validator.allowable_clock_skew_ms = skew.map_or(Signed::DEFAULT_CLOCK_SKEW_MS, |s| i64::from(s) * 1000);
        validator.signed = Some(Signed {
            keys: Jwks::parse(
                &js::from_plain(&js::get(&o, "jwks"), "oauthBearer.jwks").map_err(|e| error::type_error(&e))?,
            )
            .map_err(|e| error::type_error(&format!("oauthBearer.jwks: {e}")))?,
            expected_audience: strings(&o, "expectedAudience", "oauthBearer.expectedAudience")?,
            expected_issuer: js::opt_string(&o, "expectedIssuer", "oauthBearer.expectedIssuer")?,
        });
        return Ok(Some(validator));
    }
    validator.principal_claim =
        claim("principalClaimName", "oauthBearer.principalClaimName", validator.principal_claim)?;
    validator.required_scope = strings(&o, "requiredScope", "oauthBearer.requiredScope")?;
    let skew = "oauthBearer.allowableClockSkewMs";
    validator.allowable_clock_skew_ms = js::opt_int::<u32>(&o, "allowableClockSkewMs", skew)?.map_or(0, i64::from);
    Ok(Some(validator))
}

/// The options of Kafka's unsecured validator, and of its secured one.
const UNSECURED_OPTIONS: &[&str] = &["principalClaimName", "scopeClaimName", "requiredScope", "allowableClockSkewMs"];
const SECURED_OPTIONS: &[&str] =
    &["jwks", "expectedAudience", "expectedIssuer", "clockSkewSeconds", "subClaimName", "scopeClaimName"];

/// An optional array of strings.
fn strings(o: &JsValue, key: &'static str, field: &str) -> Result<Vec<String>, JsValue> {
    js::list(o, key, field, false)?
        .iter()
        .map(|s| s.as_string().ok_or_else(|| js::type_error(field, "an array of strings", s)))
        .collect()
}
