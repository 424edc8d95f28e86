//! SCRAM credentials a cluster stores (KIP-554's AlterUserScramCredentials and DescribeUserScramCredentials): per
//! user, one per mechanism, salted once. An admin client salts the password itself and sends the result, so the
//! password never reaches the broker; the broker keeps only what checks a proof.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::scram::{ScramCredential, ScramMechanism, ITERATIONS, MAX_ITERATIONS};
use crate::core::error::{Error, Result};
use crate::core::protocol::Named;

/// A credential to store: the mechanism's salted password (`ScramMechanism::salted_password`), its salt and
/// iterations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScramUpsertion {
    pub user: String,
    /// `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub mechanism: String,
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub salted_password: Vec<u8>,
}

/// A credential to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScramDeletion {
    pub user: String,
    pub mechanism: String,
}

/// What DescribeUserScramCredentials tells of one credential: never its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScramCredentialInfo {
    pub mechanism: String,
    pub iterations: u32,
}

/// One user's answer to DescribeUserScramCredentials.
pub type UserScramCredentials = Named<Vec<ScramCredentialInfo>>;

/// The credentials a cluster stores, by user and mechanism.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScramUsers(BTreeMap<String, BTreeMap<ScramMechanism, ScramCredential>>);

fn unsupported(mechanism: &str) -> Error {
    Error::UnsupportedSaslMechanism(format!(
        "unknown SCRAM mechanism {mechanism:?}: a credential is for SCRAM-SHA-256 or SCRAM-SHA-512"
    ))
}

fn unacceptable(why: String) -> Error {
    Error::UnacceptableCredential(why)
}

impl ScramUsers {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `user`'s stored credential for `mechanism`.
    pub fn get(&self, user: &str, mechanism: ScramMechanism) -> Option<&ScramCredential> {
        self.0.get(user)?.get(&mechanism)
    }

    /// Kafka's AlterUserScramCredentials: one result per user named, in the order first named. A user's
    /// alterations happen together or not at all: the first that is wrong is the user's error, and none of
    /// theirs is made.
    pub fn alter(
        &mut self,
        deletions: &[ScramDeletion],
        upsertions: &[ScramUpsertion],
    ) -> Vec<(String, Option<Error>)> {
        let mut users: Vec<&str> = Vec::new();
        for user in deletions.iter().map(|d| &d.user).chain(upsertions.iter().map(|u| &u.user)) {
            if !users.contains(&user.as_str()) {
                users.push(user);
            }
        }
        users
            .into_iter()
            .map(|user| {
                let deletes: Vec<&ScramDeletion> = deletions.iter().filter(|d| d.user == user).collect();
                let upserts: Vec<&ScramUpsertion> = upsertions.iter().filter(|u| u.user == user).collect();
                let error = self.alter_user(user, &deletes, &upserts).err();
                (user.to_owned(), error)
            })
            .collect()
    }

    fn alter_user(&mut self, user: &str, deletes: &[&ScramDeletion], upserts: &[&ScramUpsertion]) -> Result<()> {
        if user.is_empty() {
            return Err(unacceptable("the user name must not be empty".into()));
        }
        let mechanisms: Vec<&str> =
            deletes.iter().map(|d| d.mechanism.as_str()).chain(upserts.iter().map(|u| u.mechanism.as_str())).collect();
        if mechanisms.iter().enumerate().any(|(i, m)| mechanisms[..i].iter().any(|n| n.eq_ignore_ascii_case(m))) {
            return Err(Error::DuplicateResource(format!(
                "a credential of {user:?} cannot be altered twice in the same request"
            )));
        }
        let mut removed = Vec::new();
        for d in deletes {
            let m = ScramMechanism::from_name(&d.mechanism).ok_or_else(|| unsupported(&d.mechanism))?;
            if self.get(user, m).is_none() {
                return Err(Error::ResourceNotFound(format!("{user:?} has no {} credential to delete", m.name())));
            }
            removed.push(m);
        }
        let mut added = Vec::new();
        for u in upserts {
            let m = ScramMechanism::from_name(&u.mechanism).ok_or_else(|| unsupported(&u.mechanism))?;
            if !(ITERATIONS..=MAX_ITERATIONS).contains(&u.iterations) {
                return Err(unacceptable(format!(
                    "{} iterations: Kafka takes {ITERATIONS} to {MAX_ITERATIONS}",
                    u.iterations
                )));
            }
            if u.salt.is_empty() {
                return Err(unacceptable("the salt must not be empty".into()));
            }
            if u.salted_password.len() != m.key_len() {
                return Err(unacceptable(format!("a {} salted password is {} bytes", m.name(), m.key_len())));
            }
            added.push((m, ScramCredential::from_salted(m, &u.salted_password, &u.salt, u.iterations)));
        }
        let credentials = self.0.entry(user.to_owned()).or_default();
        for m in removed {
            credentials.remove(&m);
        }
        credentials.extend(added);
        if credentials.is_empty() {
            self.0.remove(user);
        }
        Ok(())
    }

    /// Kafka's DescribeUserScramCredentials: each user named (every user with a credential, when none is), with
    /// the mechanisms and iterations of their credentials; a user without any is RESOURCE_NOT_FOUND, and a user
    /// named twice DUPLICATE_RESOURCE.
    pub fn describe(&self, users: Option<&[String]>) -> Vec<UserScramCredentials> {
        let infos = |credentials: &BTreeMap<ScramMechanism, ScramCredential>| {
            let info = |(m, c): (&ScramMechanism, &ScramCredential)| ScramCredentialInfo {
                mechanism: m.name().to_owned(),
                iterations: c.iterations,
            };
            credentials.iter().map(info).collect()
        };
        match users {
            None | Some([]) => self.0.iter().map(|(user, c)| (user.clone(), Ok(infos(c)))).collect(),
            Some(names) => names
                .iter()
                .enumerate()
                .map(|(i, user)| {
                    let result = if names[..i].contains(user) || names[i + 1..].contains(user) {
                        Err(Error::DuplicateResource(format!("{user:?} is named twice in one describe")))
                    } else {
                        self.0
                            .get(user)
                            .map(infos)
                            .ok_or_else(|| Error::ResourceNotFound(format!("{user:?} has no SCRAM credentials")))
                    };
                    (user.clone(), result)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::acl::scram::{ScramClient, ScramServer};

    fn upsert(user: &str, mechanism: &str, password: &str, iterations: u32) -> ScramUpsertion {
        let m = ScramMechanism::from_name(mechanism).unwrap_or(ScramMechanism::Sha256);
        let salt = b"pepper".to_vec();
        let salted_password = m.salted_password(password, &salt, iterations);
        ScramUpsertion { user: user.into(), mechanism: mechanism.into(), iterations, salt, salted_password }
    }

    fn delete(user: &str, mechanism: &str) -> ScramDeletion {
        ScramDeletion { user: user.into(), mechanism: mechanism.into() }
    }

    fn names(results: &[(String, Option<Error>)]) -> Vec<(&str, Option<&str>)> {
        results.iter().map(|(u, e)| (u.as_str(), e.as_ref().map(Error::name))).collect()
    }

    #[test]
    fn a_stored_credential_checks_the_password_it_was_salted_from() {
        let mut users = ScramUsers::default();
        let results = users.alter(&[], &[upsert("alice", "SCRAM-SHA-512", "s3cret", 8192)]);
        assert_eq!(names(&results), [("alice", None)]);
        let m = ScramMechanism::Sha512;
        let stored = users.get("alice", m).cloned();
        let login = |password: &str| {
            let (client, first) = ScramClient::start(m, "alice", password, "client-nonce");
            let (server, server_first) = ScramServer::start(m, &first, "server-nonce", |_| stored.clone())?;
            let (client, last) = client.respond(&server_first)?;
            let (user, server_final) = server.finish(&last)?;
            client.verify(&server_final).map(|()| user)
        };
        assert_eq!(login("s3cret"), Ok("alice".into()));
        assert_eq!(login("guess").unwrap_err().name(), "SASL_AUTHENTICATION_FAILED");
        assert_eq!(users.get("alice", ScramMechanism::Sha256), None);
    }

    #[test]
    fn alterations_are_checked_per_user_and_made_together() {
        let mut users = ScramUsers::default();
        users.alter(&[], &[upsert("bob", "SCRAM-SHA-256", "b", 4096)]);
        let results = users.alter(
            &[delete("bob", "SCRAM-SHA-256"), delete("carol", "SCRAM-SHA-256")],
            &[
                upsert("bob", "SCRAM-SHA-512", "b2", 4096),
                upsert("", "SCRAM-SHA-256", "x", 4096),
                upsert("dave", "SCRAM-SHA-256", "x", 1000),
                upsert("erin", "SCRAM-SHA-256", "x", 20000),
                upsert("fred", "SCRAM-MD5", "x", 4096),
                upsert("gina", "SCRAM-SHA-256", "x", 4096),
                upsert("gina", "scram-sha-256", "y", 4096),
                // ivan's upsertion is fine, but his deletion is not: neither happens.
                upsert("ivan", "SCRAM-SHA-256", "x", 4096),
            ],
        );
        let results =
            [results, users.alter(&[delete("ivan", "SCRAM-SHA-512")], &[upsert("ivan", "SCRAM-SHA-256", "x", 4096)])]
                .concat();
        assert_eq!(
            names(&results),
            [
                ("bob", None),
                ("carol", Some("RESOURCE_NOT_FOUND")),
                ("", Some("UNACCEPTABLE_CREDENTIAL")),
                ("dave", Some("UNACCEPTABLE_CREDENTIAL")),
                ("erin", Some("UNACCEPTABLE_CREDENTIAL")),
                ("fred", Some("UNSUPPORTED_SASL_MECHANISM")),
                ("gina", Some("DUPLICATE_RESOURCE")),
                ("ivan", None),
                ("ivan", Some("RESOURCE_NOT_FOUND")),
            ]
        );
        // bob's deletion and upsertion both happened; the second ivan request changed nothing.
        let described = users.describe(None);
        let listed: Vec<_> = described.iter().map(|(u, r)| (u.as_str(), r.clone().unwrap())).collect();
        let info = |mechanism: &str| vec![ScramCredentialInfo { mechanism: mechanism.into(), iterations: 4096 }];
        assert_eq!(listed, [("bob", info("SCRAM-SHA-512")), ("ivan", info("SCRAM-SHA-256"))]);
        let mut short = upsert("hal", "SCRAM-SHA-256", "x", 4096);
        short.salted_password.pop();
        let mut saltless = upsert("hal", "SCRAM-SHA-512", "x", 4096);
        saltless.salt.clear();
        for bad in [short, saltless] {
            let e = users.alter(&[], &[bad]).remove(0).1.unwrap();
            assert_eq!(e.name(), "UNACCEPTABLE_CREDENTIAL", "{e}");
        }
        // The last credential of a user deleted: the user is gone.
        users.alter(&[delete("bob", "SCRAM-SHA-512")], &[]);
        assert_eq!(users.describe(None).len(), 1);
    }

    #[test]
    fn describe_names_users_or_lists_them_all() {
        let mut users = ScramUsers::default();
        users.alter(&[], &[upsert("alice", "SCRAM-SHA-256", "a", 4096), upsert("alice", "SCRAM-SHA-512", "a", 8192)]);
        let [(user, Ok(infos))] = &users.describe(Some(&["alice".to_owned()]))[..] else { panic!() };
        assert_eq!(user, "alice");
        assert_eq!(
            infos.iter().map(|i| (i.mechanism.as_str(), i.iterations)).collect::<Vec<_>>(),
            [("SCRAM-SHA-256", 4096), ("SCRAM-SHA-512", 8192)]
        );
        let asked = ["zed".to_owned(), "alice".to_owned(), "zed".to_owned()];
        let errors: Vec<_> =
            users.describe(Some(&asked)).into_iter().map(|(u, r)| (u, r.err().map(|e| e.name()))).collect();
        assert_eq!(
            errors,
            [
                ("zed".into(), Some("DUPLICATE_RESOURCE")),
                ("alice".into(), None),
                ("zed".into(), Some("DUPLICATE_RESOURCE"))
            ]
        );
        assert_eq!(users.describe(Some(&["nobody".to_owned()]))[0].1.clone().unwrap_err().name(), "RESOURCE_NOT_FOUND");
        assert_eq!(users.describe(Some(&[])).len(), 1, "no names: every user");
    }
}
