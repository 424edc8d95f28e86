//! Who a client is: the users a cluster accepts, and SASL/PLAIN authentication against them, giving the
//! principal (`User:<name>`) that the authorizer judges. SCRAM ([`super::sasl`]) checks the same users.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::oauth::OAuthBearer;
use super::sasl::Mechanism;
use super::scram::{ScramCredential, ScramMechanism, ITERATIONS};
use super::scram_users::ScramUsers;
use super::ANONYMOUS;
use crate::core::cli::ApiKey;
use crate::core::error::{Error, Result};

/// SASL/PLAIN credentials, as a client presents them (KafkaJS's `sasl: { mechanism: 'plain', username,
/// password }`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plain {
    pub username: String,
    pub password: String,
}

/// Whom a cluster lets in: its accounts, and OAUTHBEARER tokens if its listener takes them (like the authorizer,
/// broker configuration, given at each opening); and the SCRAM credentials it stores (its data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub accounts: Accounts,
    /// Kafka's unsecured-token validator, when the listener enables OAUTHBEARER.
    pub oauthbearer: Option<OAuthBearer>,
    /// The credentials AlterUserScramCredentials stored.
    pub scram: ScramUsers,
    /// Kafka's `connections.max.reauth.ms` (KIP-368): how long an authenticated session lasts before the client
    /// must authenticate again (0: for ever, Kafka's default).
    pub max_reauth_ms: i64,
}

/// The accounts a cluster's clients log in to with a password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Accounts {
    /// None: without OAUTHBEARER either, every client is `User:ANONYMOUS` (Kafka's PLAINTEXT listener).
    #[default]
    None,
    /// Kafka's SASL users, name to password (its JAAS `user_<name>="<password>"` entries for PLAIN; SCRAM
    /// credentials are derived from the password).
    Users(BTreeMap<String, String>),
    /// A cluster the CLI created: its API keys (key and secret as username and password).
    ApiKeys(Vec<ApiKey>),
}

impl Credentials {
    pub fn users(users: BTreeMap<String, String>) -> Credentials {
        Credentials { accounts: Accounts::Users(users), ..Credentials::default() }
    }

    /// The SASL mechanisms the cluster's listener enables: PLAIN and both SCRAMs for users, PLAIN only for API
    /// keys (as Confluent Cloud), then OAUTHBEARER if it takes tokens; none without SASL.
    pub fn mechanisms(&self) -> Vec<Mechanism> {
        let mut mechanisms = match self.accounts {
            Accounts::None => Vec::new(),
            Accounts::Users(_) => {
                [Mechanism::Plain].into_iter().chain(ScramMechanism::ALL.map(Mechanism::Scram)).collect()
            }
            Accounts::ApiKeys(_) => vec![Mechanism::Plain],
        };
        mechanisms.extend(self.oauthbearer.as_ref().map(|_| Mechanism::OAuthBearer));
        mechanisms
    }

    /// `username`'s SCRAM credential for `mechanism`: the one stored, or else one derived from the user's password
    /// (in `users`) with `salt`.
    pub fn scram_credential(&self, mechanism: ScramMechanism, username: &str, salt: &[u8]) -> Option<ScramCredential> {
        if let Some(stored) = self.scram.get(username, mechanism) {
            return Some(stored.clone());
        }
        match &self.accounts {
            Accounts::Users(users) => {
                users.get(username).map(|password| ScramCredential::new(mechanism, password, salt, ITERATIONS))
            }
            Accounts::None | Accounts::ApiKeys(_) => None,
        }
    }

    /// The principal `plain` authenticates as, or SASL_AUTHENTICATION_FAILED: credentials that do not match, or
    /// none where the cluster needs some. Some where it takes none are [`no_sasl`], as in a handshake, and PLAIN
    /// where it takes only tokens UNSUPPORTED_SASL_MECHANISM.
    pub fn authenticate(&self, plain: Option<&Plain>) -> Result<String> {
        let failed = |why: &str| Error::SaslAuthenticationFailed(format!("Authentication failed: {why}"));
        let Some(plain) = plain else {
            return match (&self.accounts, &self.oauthbearer) {
                (Accounts::None, None) => Ok(ANONYMOUS.into()),
                (Accounts::None, Some(_)) => Err(failed(
                    "it takes OAUTHBEARER tokens: pass sasl: { mechanism: 'oauthbearer', oauthBearerProvider }",
                )),
                (Accounts::Users(_), _) => Err(failed("it takes SASL users: pass sasl: { mechanism: 'plain', username, password }")),
                (Accounts::ApiKeys(_), _) => Err(failed(
                    "it was created by the CLI, and needs an API key: pass sasl: { mechanism: 'plain', username: <API key>, password: <secret> }",
                )),
            };
        };
        match &self.accounts {
            Accounts::None if self.oauthbearer.is_none() => Err(no_sasl()),
            Accounts::None => Err(Error::UnsupportedSaslMechanism(
                "PLAIN is not enabled; this cluster's mechanisms are OAUTHBEARER".into(),
            )),
            Accounts::Users(users) => match users.get(&plain.username) {
                Some(password) if *password == plain.password => Ok(format!("User:{}", plain.username)),
                _ => Err(failed("invalid username or password")),
            },
            // An API key is its owner: the user, or a service account.
            Accounts::ApiKeys(keys) => keys
                .iter()
                .find(|k| k.key == plain.username && k.accepts(&plain.password))
                .map(ApiKey::principal)
                .ok_or_else(|| failed("invalid API key or secret")),
        }
    }
}

/// SASL on a cluster without users: ILLEGAL_SASL_STATE, as Kafka's PLAINTEXT listener answers a SaslHandshake,
/// whether a client starts with the handshake or with bare PLAIN credentials.
pub(super) fn no_sasl() -> Error {
    Error::IllegalSaslState(
        "this cluster takes no SASL credentials (open it with users: { name: password }, or oauthBearer, for some)"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(username: &str, password: &str) -> Plain {
        Plain { username: username.into(), password: password.into() }
    }

    #[test]
    fn users_authenticate_as_their_principal() {
        let users = Credentials::users([("alice".to_owned(), "secret".to_owned())].into());
        assert_eq!(users.authenticate(Some(&plain("alice", "secret"))), Ok("User:alice".into()));
        for wrong in [plain("alice", "guess"), plain("bob", "secret")] {
            let e = users.authenticate(Some(&wrong)).unwrap_err();
            assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED");
            assert!(e.detail().contains("invalid username or password"), "{e}");
        }
        assert_eq!(users.authenticate(None).unwrap_err().name(), "SASL_AUTHENTICATION_FAILED");
    }

    #[test]
    fn an_api_key_authenticates_as_its_owner() {
        let mut rng = crate::core::rng::SplitMix64::new(1);
        let (key, secret) = ApiKey::new(&mut rng, "lkc-1", "", "sa-app", 0);
        let keys = Credentials { accounts: Accounts::ApiKeys(vec![key.clone()]), ..Credentials::default() };
        assert_eq!(keys.authenticate(Some(&plain(&key.key, &secret))), Ok("User:sa-app".into()));
        let e = keys.authenticate(Some(&plain(&key.key, "guess"))).unwrap_err();
        assert!(e.detail().contains("invalid API key or secret"), "{e}");
        assert!(keys.authenticate(None).unwrap_err().detail().contains("needs an API key"));
    }

    #[test]
    fn a_cluster_without_users_has_only_anonymous_clients() {
        assert_eq!(Credentials::default().authenticate(None), Ok(ANONYMOUS.into()));
        let e = Credentials::default().authenticate(Some(&plain("alice", "x"))).unwrap_err();
        assert!(e.detail().contains("takes no SASL credentials"), "{e}");
    }
}
