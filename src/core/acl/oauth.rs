//! SASL/OAUTHBEARER (RFC 7628) with Kafka's two validators. Without an identity provider's keys, the one for
//! unsecured tokens (`OAuthBearerUnsecuredValidatorCallbackHandler`): the client sends a JWT whose header says
//! `"alg": "none"` and which has no signature. With them ([`Signed`]), the secured one
//! (`OAuthBearerValidatorCallbackHandler`): the JWT must be signed by one of the keys ([`super::jws`]), and name
//! the expected audience and issuer. Either way the broker checks its claims (a principal, an expiry, the scope)
//! and logs the client in as `User:<principal>`. A token the broker refuses is answered, as RFC 7628 says, with a
//! JSON error the client acknowledges with `%x01` before the exchange fails.

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::jws::Jwks;
use super::scram::{escape, unescape};
use crate::core::error::{Error, Result};

/// RFC 7628's separator between the message's parts.
const KVSEP: char = '\x01';

/// What a client acknowledges a refusal with.
pub const ACKNOWLEDGE: &str = "\x01";

/// The listener's validator settings: Kafka's `unsecuredValidator*` JAAS options, or with `signed`, its
/// `sasl.oauthbearer.*` broker configs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthBearer {
    /// The claim that names the principal (`unsecuredValidatorPrincipalClaimName`, or signed
    /// `sasl.oauthbearer.sub.claim.name`; default `sub`).
    pub principal_claim: String,
    /// The claim that holds the token's scope (`unsecuredValidatorScopeClaimName`, or signed
    /// `sasl.oauthbearer.scope.claim.name`; default `scope`).
    pub scope_claim: String,
    /// Scopes every token must have (`unsecuredValidatorRequiredScope`, default none; the secured validator has
    /// no such setting).
    pub required_scope: Vec<String>,
    /// How far the broker's clock may be from the issuer's (`unsecuredValidatorAllowableClockSkewMs`, default 0;
    /// signed, `sasl.oauthbearer.clock.skew.seconds`, default 30 s: [`Signed::DEFAULT_CLOCK_SKEW_MS`]).
    pub allowable_clock_skew_ms: i64,
    /// The identity provider's keys and what its tokens must say: tokens are then signed JWTs.
    pub signed: Option<Signed>,
}

impl Default for OAuthBearer {
    fn default() -> Self {
        OAuthBearer {
            principal_claim: "sub".into(),
            scope_claim: "scope".into(),
            required_scope: Vec::new(),
            allowable_clock_skew_ms: 0,
            signed: None,
        }
    }
}

/// Kafka's secured validator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The keys at `sasl.oauthbearer.jwks.endpoint.url`.
    pub keys: Jwks,
    /// `sasl.oauthbearer.expected.audience`: a token's `aud` must name one of these; with none, a token must not
    /// name an audience at all (as jose4j checks it).
    pub expected_audience: Vec<String>,
    /// `sasl.oauthbearer.expected.issuer`: a token's `iss` must be this.
    pub expected_issuer: Option<String>,
}

impl Signed {
    /// `sasl.oauthbearer.clock.skew.seconds`' default.
    pub const DEFAULT_CLOCK_SKEW_MS: i64 = 30_000;

    /// Checks what the unsecured validator does not: the signature, the audience, the issuer, and `nbf`.
    fn check(
        &self,
        header: &Map<String, Value>,
        signed: &str,
        signature: &str,
        claims: &Map<String, Value>,
        now_ms: i64,
        skew_ms: i64,
    ) -> std::result::Result<(), Refusal> {
        let signature =
            URL_SAFE_NO_PAD.decode(signature).map_err(|_| Refusal::invalid("the JWS signature is not base64url"))?;
        self.keys.verify(header, signed.as_bytes(), &signature).map_err(Refusal::invalid)?;
        let audience: Vec<&str> = match claims.get("aud") {
            None => Vec::new(),
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
                list.iter().filter_map(Value::as_str).collect()
            }
            Some(other) => return Err(Refusal::invalid(wrong_type("aud", "a string or a list of strings", other))),
        };
        if !audience.is_empty() && !audience.iter().any(|a| self.expected_audience.iter().any(|e| e == a)) {
            return Err(Refusal::invalid(match self.expected_audience.is_empty() {
                true => format!("it names an audience ({audience:?}) and the broker expects none (expectedAudience)"),
                false => format!("its audience {audience:?} is none of the expected {:?}", self.expected_audience),
            }));
        }
        if audience.is_empty() && !self.expected_audience.is_empty() {
            return Err(Refusal::invalid(format!(
                "it names no audience; expected one of {:?}",
                self.expected_audience
            )));
        }
        if let Some(expected) = &self.expected_issuer {
            match claims.get("iss") {
                Some(Value::String(iss)) if iss == expected => {}
                Some(Value::String(iss)) => {
                    return Err(Refusal::invalid(format!("its issuer is {iss:?}, not the expected {expected:?}")))
                }
                _ => return Err(Refusal::invalid(format!("it names no issuer (\"iss\"); expected {expected:?}"))),
            }
        }
        if let Some(nbf) = seconds_claim(claims, "nbf")?.filter(|&nbf| now_ms + skew_ms < nbf) {
            return Err(Refusal::invalid(format!(
                "it is not valid before {nbf} ms; the broker's time is {now_ms} ms (allowable clock skew {skew_ms} ms)"
            )));
        }
        Ok(())
    }
}

/// Why a token was refused: RFC 7628's error status (`invalid_token`, or `insufficient_scope` with the scope
/// needed), and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub scope: Option<String>,
    pub reason: String,
}

impl Refusal {
    fn invalid(reason: impl Into<String>) -> Refusal {
        Refusal { scope: None, reason: reason.into() }
    }

    /// The server's error message (RFC 7628 section 3.2.2), sent in place of success.
    pub fn json(&self) -> String {
        let mut error = Map::new();
        let status = if self.scope.is_some() { "insufficient_scope" } else { "invalid_token" };
        error.insert("status".into(), status.into());
        if let Some(scope) = &self.scope {
            error.insert("scope".into(), scope.as_str().into());
        }
        Value::Object(error).to_string()
    }

    /// The error the exchange ends in, once the client has acknowledged the JSON.
    pub fn error(&self) -> Error {
        Error::SaslAuthenticationFailed(format!("{}: {}", self.json(), self.reason))
    }
}

/// A client's OAUTHBEARER message: its token, the authorization id it asks for, and its SASL extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerLogin {
    pub token: String,
    pub authorization_id: Option<String>,
    pub extensions: Vec<(String, String)>,
}

impl BearerLogin {
    /// The client's first (and only) message, as RFC 7628 and Kafka's `OAuthBearerClientInitialResponse` write
    /// it: `n,a=<authzid>,^Aauth=Bearer <token>^A<key>=<value>^A...^A^A`.
    pub fn message(&self) -> String {
        let authzid = self.authorization_id.as_deref().map(|a| format!("a={}", escape(a))).unwrap_or_default();
        let mut message = format!("n,{authzid},{KVSEP}auth=Bearer {}{KVSEP}", self.token);
        for (key, value) in &self.extensions {
            message.push_str(&format!("{key}={value}{KVSEP}"));
        }
        message.push(KVSEP);
        message
    }

    /// Reads a client's message; a malformed one is SASL_AUTHENTICATION_FAILED, saying what is wrong.
    pub fn parse(message: &str) -> Result<BearerLogin> {
        let malformed =
            |why: &str| Error::SaslAuthenticationFailed(format!("Invalid OAUTHBEARER client first message: {why}"));
        let rest =
            message.strip_prefix("n,").ok_or_else(|| malformed("it must start with \"n,\" (no channel binding)"))?;
        let (authzid, rest) = rest.split_once(',').ok_or_else(|| malformed("its GS2 header has no closing \",\""))?;
        let authorization_id = match authzid {
            "" => None,
            a => Some(a.strip_prefix("a=").and_then(unescape).ok_or_else(|| malformed("a bad authorization id"))?),
        };
        let pairs = rest
            .strip_prefix(KVSEP)
            .and_then(|r| r.strip_suffix(KVSEP))
            .and_then(|r| r.strip_suffix(KVSEP))
            .ok_or_else(|| malformed("its key=value pairs must be between %x01 separators, and end with two"))?;
        let (mut token, mut extensions) = (None, Vec::new());
        for pair in pairs.split(KVSEP) {
            let (key, value) = pair.split_once('=').ok_or_else(|| malformed(&format!("{pair:?} is no key=value")))?;
            if key == "auth" {
                let (scheme, value) = value.split_once(' ').unwrap_or((value, ""));
                if !scheme.eq_ignore_ascii_case("bearer") {
                    return Err(malformed(&format!("the auth scheme is {scheme:?}, not Bearer")));
                }
                token = Some(value.trim_start_matches(' ').to_owned());
            } else {
                check_extension(key, value).map_err(|why| malformed(&why))?;
                extensions.push((key.to_owned(), value.to_owned()));
            }
        }
        let token = token.ok_or_else(|| malformed("it has no auth=Bearer <token>"))?;
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
            return Err(malformed("a token is base64url sections joined by dots"));
        }
        Ok(BearerLogin { token, authorization_id, extensions })
    }
}

/// A SASL extension as RFC 7628 allows it: a key of letters (other than `auth`) and a printable value.
pub fn check_extension(key: &str, value: &str) -> std::result::Result<(), String> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) || key == "auth" {
        return Err(format!("extension key {key:?} must be letters only, and not \"auth\""));
    }
    if value.is_empty() || !value.bytes().all(|b| (0x21..=0x7e).contains(&b) || b" \t\r\n".contains(&b)) {
        return Err(format!("extension {key:?} must have a value of printable ASCII"));
    }
    Ok(())
}

impl OAuthBearer {
    /// Checks `login` at `now_ms` as Kafka's unsecured validator does: the principal it logs in as (`User:…`) and
    /// when its token expires (ms), or why the token is refused. An authorization id other than the token's
    /// principal is an error of its own, as in Kafka.
    pub fn authenticate(
        &self,
        login: &BearerLogin,
        now_ms: i64,
    ) -> Result<std::result::Result<(String, i64), Refusal>> {
        let (principal, expires_ms) = match self.validate(&login.token, now_ms) {
            Ok(valid) => valid,
            Err(refusal) => return Ok(Err(refusal)),
        };
        match &login.authorization_id {
            Some(id) if *id != principal => Err(Error::SaslAuthenticationFailed(format!(
                "Authentication failed: Client requested an authorization id ({id}) that is different from the \
                 token's principal name ({principal})"
            ))),
            _ => Ok(Ok((format!("User:{principal}"), expires_ms))),
        }
    }

    /// The token's principal and expiry (ms), if it is a JWT this validator accepts at `now_ms`: unsecured, or
    /// signed by one of the keys of [`Signed`].
    pub fn validate(&self, token: &str, now_ms: i64) -> std::result::Result<(String, i64), Refusal> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header_section, claims_section, signature] = parts[..] else {
            return Err(Refusal::invalid("a JWS has 3 dot-separated base64url sections"));
        };
        let (header, claims) = (json_object(header_section, "header")?, json_object(claims_section, "claims")?);
        let skew = self.allowable_clock_skew_ms;
        match &self.signed {
            Some(signed) => {
                let signed_part = &token[..header_section.len() + 1 + claims_section.len()];
                signed.check(&header, signed_part, signature, &claims, now_ms, skew)?;
            }
            None if header.get("alg").and_then(Value::as_str) != Some("none") => {
                return Err(Refusal::invalid("an unsecured JWS must have \"alg\": \"none\" in its header"));
            }
            None if !signature.is_empty() => {
                return Err(Refusal::invalid("an unsecured JWS must not contain a digital signature"));
            }
            None => {}
        }
        let principal = match claims.get(&self.principal_claim) {
            Some(Value::String(p)) if !p.trim().is_empty() => p.clone(),
            Some(Value::String(_)) | None => {
                return Err(Refusal::invalid(format!("no principal name in JWT claim {:?}", self.principal_claim)))
            }
            Some(other) => return Err(Refusal::invalid(wrong_type(&self.principal_claim, "a string", other))),
        };
        let scope = self.scope(&claims)?;
        let issued_ms = seconds_claim(&claims, "iat")?;
        if issued_ms.is_none() && self.signed.is_some() {
            return Err(Refusal::invalid("no issued-at time (\"iat\") in the JWT"));
        }
        let expires_ms = seconds_claim(&claims, "exp")?
            .ok_or_else(|| Refusal::invalid("no expiration time (\"exp\") in the JWT"))?;
        if let Some(issued) = issued_ms.filter(|&issued| issued > now_ms + skew) {
            return Err(Refusal::invalid(format!(
                "it was issued at {issued} ms, after the broker's time ({now_ms} ms) plus the allowable clock skew \
                 ({skew} ms)"
            )));
        }
        if now_ms - skew >= expires_ms {
            return Err(Refusal::invalid(format!(
                "it expired at {expires_ms} ms; the broker's time is {now_ms} ms (allowable clock skew {skew} ms)"
            )));
        }
        if issued_ms.is_some_and(|issued| expires_ms <= issued) {
            return Err(Refusal::invalid("its expiration time is not after the time it was issued"));
        }
        if let Some(missing) = self.required_scope.iter().find(|s| !scope.contains(s)) {
            return Err(Refusal {
                scope: Some(self.required_scope.join(" ")),
                reason: format!("its scope {scope:?} lacks the required {missing:?}"),
            });
        }
        Ok((principal, expires_ms))
    }

    /// The token's scope: a string is one scope, as Kafka reads it; a list is several.
    fn scope(&self, claims: &Map<String, Value>) -> std::result::Result<Vec<String>, Refusal> {
        let trimmed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        match claims.get(&self.scope_claim) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(trimmed(s).into_iter().collect()),
            Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
                Ok(list.iter().filter_map(|s| s.as_str().and_then(trimmed)).collect())
            }
            Some(other) => Err(Refusal::invalid(wrong_type(&self.scope_claim, "a string or a list of strings", other))),
        }
    }
}

/// A time claim (`iat`, `exp`, `nbf`): seconds since the epoch, fractions counting, in ms.
fn seconds_claim(claims: &Map<String, Value>, claim: &str) -> std::result::Result<Option<i64>, Refusal> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64().map(|seconds| (seconds * 1000.0).round() as i64)),
        Some(other) => Err(Refusal::invalid(wrong_type(claim, "a number of seconds", other))),
    }
}

fn wrong_type(claim: &str, expected: &str, value: &Value) -> String {
    format!("the {claim:?} claim must be {expected}, not {value}")
}

/// A JWS section: base64url (padded or not) of a JSON object.
fn json_object(section: &str, which: &str) -> std::result::Result<Map<String, Value>, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(section)
        .or_else(|_| URL_SAFE.decode(section))
        .map_err(|_| Refusal::invalid(format!("the JWS {which} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Refusal::invalid(format!("the JWS {which} is not a JSON object"))),
    }
}

/// An unsecured JWT with `claims`, as Kafka's `OAuthBearerUnsecuredLoginCallbackHandler` makes them: for tests and
/// for clients that make their own tokens.
pub fn unsecured_jwt(claims: &Value) -> String {
    let section = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", section(&serde_json::json!({ "alg": "none" })), section(claims))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::jws::tests::{public_jwk, signed_jwt};
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn token(claims: Value) -> String {
        unsecured_jwt(&claims)
    }

    fn alice() -> Value {
        json!({ "sub": "alice", "iat": NOW / 1000 - 10, "exp": NOW / 1000 + 3600, "scope": ["kafka", "read"] })
    }

    fn refused(validator: &OAuthBearer, token: &str) -> Refusal {
        validator.validate(token, NOW).unwrap_err()
    }

    #[test]
    fn a_valid_unsecured_token_logs_its_subject_in() {
        let validator = OAuthBearer { required_scope: vec!["kafka".into()], ..OAuthBearer::default() };
        let login = BearerLogin { token: token(alice()), authorization_id: None, extensions: Vec::new() };
        // The principal, and when the token expires: the session's lifetime is bound by it (KIP-368).
        let expires_ms = (NOW / 1000 + 3600) * 1000;
        assert_eq!(validator.authenticate(&login, NOW), Ok(Ok(("User:alice".into(), expires_ms))));
        let named = BearerLogin { authorization_id: Some("alice".into()), ..login.clone() };
        assert_eq!(validator.authenticate(&named, NOW), Ok(Ok(("User:alice".into(), expires_ms))));
        let other = BearerLogin { authorization_id: Some("bob".into()), ..login };
        let e = validator.authenticate(&other, NOW).unwrap_err();
        assert!(e.detail().contains("different from the token's principal name (alice)"), "{e}");
        // Another claim may name the principal, as Kafka's unsecuredValidatorPrincipalClaimName allows.
        let by_email = OAuthBearer { principal_claim: "email".into(), ..OAuthBearer::default() };
        let mut claims = alice();
        claims["email"] = "a@example.com".into();
        assert_eq!(by_email.validate(&token(claims), NOW).map(|(p, _)| p), Ok("a@example.com".into()));
    }

    #[test]
    fn times_are_checked_with_the_allowable_skew() {
        let strict = OAuthBearer::default();
        let lenient = OAuthBearer { allowable_clock_skew_ms: 60_000, ..OAuthBearer::default() };
        let expired = token(json!({ "sub": "alice", "exp": NOW / 1000 - 30 }));
        assert!(refused(&strict, &expired).reason.contains("expired"));
        assert_eq!(lenient.validate(&expired, NOW).map(|(p, _)| p), Ok("alice".into()));
        // Expiring at this very millisecond is expired: Kafka's "on or after".
        assert!(refused(&strict, &token(json!({ "sub": "a", "exp": NOW as f64 / 1000.0 }))).reason.contains("expired"));
        let future = token(json!({ "sub": "alice", "iat": NOW / 1000 + 30, "exp": NOW / 1000 + 90 }));
        assert!(refused(&strict, &future).reason.contains("issued at"));
        assert_eq!(lenient.validate(&future, NOW).map(|(p, _)| p), Ok("alice".into()));
        let backwards = token(json!({ "sub": "alice", "iat": NOW / 1000 + 30, "exp": NOW / 1000 + 20 }));
        assert!(refused(&lenient, &backwards).reason.contains("not after the time it was issued"));
        // Fractional seconds count to the millisecond.
        assert_eq!(
            strict.validate(&token(json!({ "sub": "a", "exp": NOW as f64 / 1000.0 + 0.002 })), NOW),
            Ok(("a".into(), NOW + 2))
        );
    }

    #[test]
    fn missing_scope_is_insufficient_scope_and_says_what_is_needed() {
        let needs = OAuthBearer { required_scope: vec!["kafka".into(), "write".into()], ..OAuthBearer::default() };
        let refusal = refused(&needs, &token(alice()));
        assert_eq!(refusal.json(), r#"{"status":"insufficient_scope","scope":"kafka write"}"#);
        assert!(refusal.reason.contains("lacks the required \"write\""), "{}", refusal.reason);
        // A string scope is one scope, as Kafka reads it.
        let mut claims = alice();
        claims["scope"] = " kafka ".into();
        let kafka = OAuthBearer { required_scope: vec!["kafka".into()], ..OAuthBearer::default() };
        assert_eq!(kafka.validate(&token(claims.clone()), NOW).map(|(p, _)| p), Ok("alice".into()));
        claims["scope"] = json!(7);
        assert!(refused(&kafka, &token(claims)).reason.contains("\"scope\" claim must be a string or a list"));
    }

    #[test]
    fn malformed_or_signed_tokens_are_invalid_tokens() {
        let v = OAuthBearer::default();
        let good = token(alice());
        let (header, claims) = good.split_once('.').map(|(h, rest)| (h, rest.trim_end_matches('.'))).unwrap();
        let signed_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
        let cases = [
            (format!("{header}.{claims}"), "3 dot-separated"),
            (format!("{good}x"), "must not contain a digital signature"),
            (format!("{signed_header}.{claims}."), "\"alg\": \"none\""),
            (format!("{header}.!!!."), "not base64url"),
            (format!("{header}.{}.", URL_SAFE_NO_PAD.encode("[1]")), "not a JSON object"),
            (token(json!({ "exp": NOW / 1000 + 60 })), "no principal name"),
            (token(json!({ "sub": " ", "exp": NOW / 1000 + 60 })), "no principal name"),
            (token(json!({ "sub": 42, "exp": NOW / 1000 + 60 })), "\"sub\" claim must be a string"),
            (token(json!({ "sub": "alice" })), "no expiration time"),
            (token(json!({ "sub": "alice", "exp": "soon" })), "\"exp\" claim must be a number"),
        ];
        for (token, why) in cases {
            let refusal = refused(&v, &token);
            assert_eq!(refusal.json(), r#"{"status":"invalid_token"}"#, "{token}");
            assert!(refusal.reason.contains(why), "{token}: {} lacks {why}", refusal.reason);
            assert!(refusal.error().detail().starts_with(r#"{"status":"invalid_token"}: "#));
        }
        // A padded section is read too.
        let padded = format!("{}.{}.", URL_SAFE.encode(r#"{"alg":"none"}"#), URL_SAFE.encode(alice().to_string()));
        assert_eq!(v.validate(&padded, NOW).map(|(p, _)| p), Ok("alice".into()));
    }

    /// The secured validator over the test key (`k1`), expecting the audience `franz` and the issuer `idp`.
    fn secured() -> OAuthBearer {
        let keys = Jwks::parse(&json!({ "keys": [public_jwk("k1")] })).unwrap();
        let signed = Signed { keys, expected_audience: vec!["franz".into()], expected_issuer: Some("idp".into()) };
        OAuthBearer {
            allowable_clock_skew_ms: Signed::DEFAULT_CLOCK_SKEW_MS,
            signed: Some(signed),
            ..Default::default()
        }
    }

    fn signed_claims() -> Value {
        json!({ "sub": "alice", "iat": NOW / 1000 - 10, "exp": NOW / 1000 + 3600, "aud": "franz", "iss": "idp" })
    }

    fn rs256(claims: &Value) -> String {
        signed_jwt(&json!({ "alg": "RS256", "kid": "k1" }), claims)
    }

    #[test]
    fn a_signed_token_from_the_expected_issuer_for_this_audience_logs_in() {
        let v = secured();
        let expires_ms = (NOW / 1000 + 3600) * 1000;
        assert_eq!(v.validate(&rs256(&signed_claims()), NOW), Ok(("alice".into(), expires_ms)));
        let pss = signed_jwt(&json!({ "alg": "PS256", "kid": "k1" }), &signed_claims());
        assert_eq!(v.validate(&pss, NOW), Ok(("alice".into(), expires_ms)));
        // One of several audiences is enough; so is a time within the 30 s skew.
        let mut claims = signed_claims();
        claims["aud"] = json!(["billing", "franz"]);
        claims["nbf"] = (NOW / 1000 + 20).into();
        assert_eq!(v.validate(&rs256(&claims), NOW).map(|(p, _)| p), Ok("alice".into()));
        // Without expected audiences, a token that names none is taken; without an expected issuer, any issuer.
        let open = OAuthBearer {
            signed: Some(Signed { expected_audience: Vec::new(), expected_issuer: None, ..v.signed.clone().unwrap() }),
            ..v
        };
        let mut claims = signed_claims();
        claims.as_object_mut().unwrap().remove("aud");
        claims["iss"] = "elsewhere".into();
        assert_eq!(open.validate(&rs256(&claims), NOW).map(|(p, _)| p), Ok("alice".into()));
    }

    #[test]
    fn a_signed_token_is_refused_for_its_signature_audience_issuer_or_times() {
        let v = secured();
        let with = |key: &str, value: Value| {
            let mut claims = signed_claims();
            claims[key] = value;
            rs256(&claims)
        };
        let without = |key: &str| {
            let mut claims = signed_claims();
            claims.as_object_mut().unwrap().remove(key);
            rs256(&claims)
        };
        let good = rs256(&signed_claims());
        let (signed_part, signature) = good.rsplit_once('.').unwrap();
        let cases = [
            (unsecured_jwt(&signed_claims()), "an unsigned token"),
            (format!("{signed_part}.{}", &signature[4..]), "signature does not match"),
            (format!("{signed_part}.!{}", &signature[1..]), "signature is not base64url"),
            (
                signed_jwt(&json!({ "alg": "RS256", "kid": "k9" }), &signed_claims()),
                "no key in the JWKS has \"kid\" \"k9\"",
            ),
            (with("aud", "billing".into()), "audience [\"billing\"] is none of the expected [\"franz\"]"),
            (with("aud", json!(3)), "\"aud\" claim must be a string or a list"),
            (without("aud"), "names no audience"),
            (with("iss", "other".into()), "issuer is \"other\", not the expected \"idp\""),
            (without("iss"), "names no issuer"),
            (without("iat"), "no issued-at time"),
            (with("nbf", (NOW / 1000 + 40).into()), "not valid before"),
            (with("exp", (NOW / 1000 - 40).into()), "expired"),
            (without("sub"), "no principal name"),
        ];
        for (token, why) in cases {
            let refusal = v.validate(&token, NOW).unwrap_err();
            assert_eq!(refusal.json(), r#"{"status":"invalid_token"}"#, "{why}");
            assert!(refusal.reason.contains(why), "{why}: {}", refusal.reason);
        }
        // As jose4j: with no expected audience, a token that names one is refused.
        let none_expected = OAuthBearer {
            signed: Some(Signed { expected_audience: Vec::new(), ..v.signed.clone().unwrap() }),
            ..v.clone()
        };
        let refusal = none_expected.validate(&good, NOW).unwrap_err();
        assert!(refusal.reason.contains("the broker expects none"), "{}", refusal.reason);
        // A key set that did not sign the token refuses it, whatever its claims.
        let mut other = test_key_of_another_modulus();
        other["kid"] = "k1".into();
        let elsewhere = OAuthBearer {
            signed: Some(Signed {
                keys: Jwks::parse(&json!({ "keys": [other] })).unwrap(),
                ..v.signed.clone().unwrap()
            }),
            ..v
        };
        assert!(elsewhere.validate(&good, NOW).unwrap_err().reason.contains("signature does not match"));
    }

    /// A public key that is not the test key's: its modulus with one bit changed.
    fn test_key_of_another_modulus() -> Value {
        let mut jwk = public_jwk("k1");
        let mut n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        let last = n.len() - 1;
        n[last] ^= 2;
        jwk["n"] = URL_SAFE_NO_PAD.encode(n).into();
        jwk
    }

    #[test]
    fn client_messages_round_trip_and_malformed_ones_are_refused() {
        let login = BearerLogin {
            token: token(alice()),
            authorization_id: Some("al,i=ce".into()),
            extensions: vec![("traceId".into(), "abc 123".into()), ("logicalCluster".into(), "lkc-1".into())],
        };
        let message = login.message();
        assert!(message.starts_with("n,a=al=2Ci=3Dce,\x01auth=Bearer "), "{message:?}");
        assert!(message.ends_with("\x01logicalCluster=lkc-1\x01\x01"), "{message:?}");
        assert_eq!(BearerLogin::parse(&message), Ok(login.clone()));
        let bare = BearerLogin { authorization_id: None, extensions: Vec::new(), ..login.clone() };
        assert_eq!(bare.message(), format!("n,,\x01auth=Bearer {}\x01\x01", bare.token));
        assert_eq!(BearerLogin::parse(&format!("n,,\x01auth=bearer   {}\x01\x01", bare.token)), Ok(bare.clone()));
        let t = &bare.token;
        for (message, why) in [
            (format!("y,,\x01auth=Bearer {t}\x01\x01"), "start with \"n,\""),
            (format!("n,\x01auth=Bearer {t}\x01\x01"), "no closing"),
            (format!("n,b=x,\x01auth=Bearer {t}\x01\x01"), "authorization id"),
            (format!("n,,auth=Bearer {t}\x01\x01"), "between %x01"),
            (format!("n,,\x01auth=Bearer {t}\x01"), "between %x01"),
            (format!("n,,\x01auth=Basic {t}\x01\x01"), "not Bearer"),
            ("n,,\x01auth=Bearer a b\x01\x01".to_owned(), "base64url sections"),
            ("n,,\x01auth=Bearer \x01\x01".to_owned(), "base64url sections"),
            ("n,,\x01x=1\x01\x01".to_owned(), "no auth=Bearer"),
            (format!("n,,\x01auth=Bearer {t}\x01noequals\x01\x01"), "no key=value"),
            (format!("n,,\x01auth=Bearer {t}\x01k9=v\x01\x01"), "letters only"),
            (format!("n,,\x01auth=Bearer {t}\x01k=\x01\x01"), "printable ASCII"),
            (String::new(), "start with"),
        ] {
            let e = BearerLogin::parse(&message).unwrap_err();
            assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED", "{message:?}");
            assert!(e.detail().contains(why), "{message:?}: {e}");
        }
    }
}
