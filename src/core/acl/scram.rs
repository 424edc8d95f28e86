//! SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka's SCRAM authenticator and KafkaJS's
//! `mechanism: 'scram-sha-256' | 'scram-sha-512'` speak them: both sides of the two round trips, pure, so that
//! the broker host, a connecting client and the in-page opening run the same code.
//!
//! The password never crosses: the client proves it knows the salted password, and the server proves it holds
//! the credential, by HMACs over the whole conversation.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use crate::core::error::{Error, Result};

/// Kafka's default and least iteration count for SCRAM credentials.
pub const ITERATIONS: u32 = 4096;
/// Kafka's most iterations for a SCRAM credential.
pub const MAX_ITERATIONS: u32 = 16384;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ScramMechanism {
    Sha256,
    Sha512,
}

impl ScramMechanism {
    pub const ALL: [ScramMechanism; 2] = [ScramMechanism::Sha256, ScramMechanism::Sha512];

    /// The SASL name: `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub fn name(self) -> &'static str {
        match self {
            ScramMechanism::Sha256 => "SCRAM-SHA-256",
            ScramMechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The mechanism named `name`, in any case (KafkaJS writes `scram-sha-256`).
    pub fn from_name(name: &str) -> Option<ScramMechanism> {
        Self::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name))
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            ScramMechanism::Sha256 => run::<Hmac<Sha256>>(key, data),
            ScramMechanism::Sha512 => run::<Hmac<Sha512>>(key, data),
        }
    }

    /// The bytes of this mechanism's hash, and so of its salted passwords and keys.
    pub fn key_len(self) -> usize {
        match self {
            ScramMechanism::Sha256 => 32,
            ScramMechanism::Sha512 => 64,
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramMechanism::Sha256 => Sha256::digest(data).to_vec(),
            ScramMechanism::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// RFC 5802's SaltedPassword, `Hi(password, salt, iterations)`: PBKDF2 with this mechanism's HMAC. An admin
    /// client sends it to store a credential, so that the password itself never reaches the broker.
    pub fn salted_password(self, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
        let (password, mut out) = (password.as_bytes(), vec![0; self.key_len()]);
        match self {
            ScramMechanism::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out),
            ScramMechanism::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out),
        }
        out
    }
}

/// What a server keeps of a user's password for one mechanism (Kafka's ScramCredential): enough to check a
/// client's proof and sign its own answer, not enough to log in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScramCredential {
    pub salt: Vec<u8>,
    pub iterations: u32,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl ScramCredential {
    pub fn new(mechanism: ScramMechanism, password: &str, salt: &[u8], iterations: u32) -> ScramCredential {
        Self::from_salted(mechanism, &mechanism.salted_password(password, salt, iterations), salt, iterations)
    }

    /// The credential of a password already salted (`ScramMechanism::salted_password`).
    pub fn from_salted(mechanism: ScramMechanism, salted: &[u8], salt: &[u8], iterations: u32) -> ScramCredential {
        ScramCredential {
            salt: salt.to_vec(),
            iterations,
            stored_key: mechanism.hash(&mechanism.hmac(salted, b"Client Key")),
            server_key: mechanism.hmac(salted, b"Server Key"),
        }
    }
}

fn failed(why: &str) -> Error {
    Error::SaslAuthenticationFailed(format!("Authentication failed: {why}"))
}

fn malformed(which: &str, message: &str) -> Error {
    failed(&format!("invalid SCRAM {which} message {message:?}"))
}

/// The `k=value` attributes of a SCRAM message, in order.
fn attributes<'a>(which: &str, message: &'a str) -> Result<Vec<(char, &'a str)>> {
    message
        .split(',')
        .map(|part| {
            let mut chars = part.chars();
            match (chars.next(), chars.next()) {
                (Some(key), Some('=')) if key.is_ascii_alphabetic() => Ok((key, &part[2..])),
                _ => Err(malformed(which, message)),
            }
        })
        .collect()
}

/// The value of the attribute `key`, which must come at `index`.
fn attribute<'a>(attrs: &[(char, &'a str)], index: usize, key: char, which: &str, message: &str) -> Result<&'a str> {
    match attrs.get(index) {
        Some(&(k, v)) if k == key => Ok(v),
        _ => Err(malformed(which, message)),
    }
}

/// A username as SCRAM writes it: `,` and `=` escaped as `=2C` and `=3D`.
pub(super) fn escape(username: &str) -> String {
    username.replace('=', "=3D").replace(',', "=2C")
}

pub(super) fn unescape(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        match rest.get(at..at + 3) {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return None,
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// A nonce's characters: printable ASCII except `,` (RFC 5802).
fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// `bytes` as a nonce: base64, which is printable and has no `,`.
pub fn nonce(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// The GS2 header franz's clients send, and its base64 (`c=biws`): no channel binding, no authorization id.
const GS2_HEADER: &str = "n,,";

/// The server's side of one exchange, between the client's first message and its final one.
#[derive(Debug)]
pub struct ScramServer {
    mechanism: ScramMechanism,
    username: String,
    credential: ScramCredential,
    gs2_header: String,
    /// The client's and the server's nonces together.
    nonce: String,
    client_first_bare: String,
    server_first: String,
}

impl ScramServer {
    pub fn mechanism(&self) -> ScramMechanism {
        self.mechanism
    }

    /// Reads the client's first message (`n,,n=<user>,r=<nonce>`) and answers with the server's first
    /// (`r=<nonce+server nonce>,s=<salt>,i=<iterations>`), the user's credential found by `credential`.
    pub fn start(
        mechanism: ScramMechanism,
        client_first: &str,
        server_nonce: &str,
        credential: impl FnOnce(&str) -> Option<ScramCredential>,
    ) -> Result<(ScramServer, String)> {
        const WHICH: &str = "client-first";
        // gs2-header: a channel-binding flag (`n`, or `y`: the client could bind but thinks the server cannot),
        // then an optional authorization id, which must be the user itself (as Kafka requires).
        let (gs2_header, bare) = client_first
            .match_indices(',')
            .nth(1)
            .map(|(at, _)| (&client_first[..=at], &client_first[at + 1..]))
            .ok_or_else(|| malformed(WHICH, client_first))?;
        let Some((flag, authzid)) = gs2_header[..gs2_header.len() - 1].split_once(',') else {
            return Err(malformed(WHICH, client_first));
        };
        if flag.starts_with("p=") {
            return Err(failed("channel binding is not supported"));
        }
        if flag != "n" && flag != "y" {
            return Err(malformed(WHICH, client_first));
        }
        let attrs = attributes(WHICH, bare)?;
        let username = attribute(&attrs, 0, 'n', WHICH, client_first)?;
        let client_nonce = attribute(&attrs, 1, 'r', WHICH, client_first)?;
        let username = unescape(username).ok_or_else(|| malformed(WHICH, client_first))?;
        if !valid_nonce(client_nonce) || !valid_nonce(server_nonce) {
            return Err(malformed(WHICH, client_first));
        }
        if let Some(authzid) = authzid.strip_prefix("a=") {
            if unescape(authzid).as_deref() != Some(username.as_str()) {
                return Err(failed("the authorization id must be the username"));
            }
        } else if !authzid.is_empty() {
            return Err(malformed(WHICH, client_first));
        }
        // Kafka answers an unknown user here, before any proof.
        let credential = credential(&username).ok_or_else(|| failed("invalid username or password"))?;
        let nonce = format!("{client_nonce}{server_nonce}");
        let server_first = format!("r={nonce},s={},i={}", BASE64.encode(&credential.salt), credential.iterations);
        let server = ScramServer {
            mechanism,
            username,
            credential,
            gs2_header: gs2_header.to_owned(),
            nonce,
            client_first_bare: bare.to_owned(),
            server_first: server_first.clone(),
        };
        Ok((server, server_first))
    }

    /// Checks the client's final message (`c=<gs2 header>,r=<nonce>,p=<proof>`): the user and the server's
    /// final message (`v=<server signature>`), or SASL_AUTHENTICATION_FAILED.
    pub fn finish(self, client_final: &str) -> Result<(String, String)> {
        const WHICH: &str = "client-final";
        let attrs = attributes(WHICH, client_final)?;
        let binding = attribute(&attrs, 0, 'c', WHICH, client_final)?;
        let nonce = attribute(&attrs, 1, 'r', WHICH, client_final)?;
        let (proof_at, _) = client_final.rmatch_indices(",p=").next().ok_or_else(|| malformed(WHICH, client_final))?;
        let proof = attrs.last().filter(|(k, _)| *k == 'p').map(|(_, v)| *v);
        let proof = proof.and_then(|p| BASE64.decode(p).ok()).ok_or_else(|| malformed(WHICH, client_final))?;
        if BASE64.decode(binding).ok().as_deref() != Some(self.gs2_header.as_bytes()) {
            return Err(failed("the channel binding does not match the first message's"));
        }
        if nonce != self.nonce {
            return Err(failed("the nonce does not match the server's"));
        }
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, &client_final[..proof_at]);
        let m = self.mechanism;
        let signature = m.hmac(&self.credential.stored_key, auth_message.as_bytes());
        if proof.len() != signature.len() || m.hash(&xor(&proof, &signature)) != self.credential.stored_key {
            return Err(failed("invalid username or password"));
        }
        let server_signature = m.hmac(&self.credential.server_key, auth_message.as_bytes());
        Ok((self.username, format!("v={}", BASE64.encode(server_signature))))
    }
}

/// The client's side of one exchange, after its first message.
#[derive(Debug)]
pub struct ScramClient {
    mechanism: ScramMechanism,
    password: String,
    nonce: String,
    client_first_bare: String,
}

/// The client after its final message: it still checks that the server knew the credential.
#[derive(Debug)]
pub struct ScramClientFinal {
    server_signature: Vec<u8>,
}

impl ScramClient {
    /// The client's first message for `username`, with `nonce` (printable, no `,`: see [`nonce`]).
    pub fn start(mechanism: ScramMechanism, username: &str, password: &str, nonce: &str) -> (ScramClient, String) {
        let client_first_bare = format!("n={},r={nonce}", escape(username));
        let first = format!("{GS2_HEADER}{client_first_bare}");
        (ScramClient { mechanism, password: password.to_owned(), nonce: nonce.to_owned(), client_first_bare }, first)
    }

    /// Answers the server's first message with the client's final one, carrying the proof.
    pub fn respond(self, server_first: &str) -> Result<(ScramClientFinal, String)> {
        const WHICH: &str = "server-first";
        let attrs = attributes(WHICH, server_first)?;
        let nonce = attribute(&attrs, 0, 'r', WHICH, server_first)?;
        let salt = attribute(&attrs, 1, 's', WHICH, server_first)?;
        let iterations = attribute(&attrs, 2, 'i', WHICH, server_first)?;
        let salt = BASE64.decode(salt).map_err(|_| malformed(WHICH, server_first))?;
        let iterations: u32 = iterations.parse().map_err(|_| malformed(WHICH, server_first))?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() || !valid_nonce(nonce) {
            return Err(failed("the server's nonce does not extend the client's"));
        }
        if !(ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(failed(&format!(
                "{iterations} iterations are not within Kafka's {ITERATIONS}..={MAX_ITERATIONS}"
            )));
        }
        let m = self.mechanism;
        let salted = m.salted_password(&self.password, &salt, iterations);
        let client_key = m.hmac(&salted, b"Client Key");
        let without_proof = format!("c={},r={nonce}", BASE64.encode(GS2_HEADER));
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let proof = xor(&client_key, &m.hmac(&m.hash(&client_key), auth_message.as_bytes()));
        let server_signature = m.hmac(&m.hmac(&salted, b"Server Key"), auth_message.as_bytes());
        Ok((ScramClientFinal { server_signature }, format!("{without_proof},p={}", BASE64.encode(proof))))
    }
}

impl ScramClientFinal {
    /// Checks the server's final message: it proves the server holds the user's credential.
    pub fn verify(&self, server_final: &str) -> Result<()> {
        if let Some(error) = server_final.strip_prefix("e=") {
            return Err(failed(error));
        }
        match server_final.strip_prefix("v=").map(|v| BASE64.decode(v)) {
            Some(Ok(signature)) if signature == self.server_signature => Ok(()),
            Some(Ok(_)) => Err(failed("the server's signature is wrong: it does not hold this user's credential")),
            _ => Err(malformed("server-final", server_final)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's example exchange, byte for byte.
    #[test]
    fn rfc_7677_sha_256_example() {
        let m = ScramMechanism::Sha256;
        let (client, first) = ScramClient::start(m, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(first, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credential = ScramCredential::new(m, "pencil", &salt, 4096);
        let server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let (server, server_first) = ScramServer::start(m, &first, server_nonce, |u| {
            assert_eq!(u, "user");
            Some(credential.clone())
        })
        .unwrap();
        assert_eq!(
            server_first,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        let (client, client_final) = client.respond(&server_first).unwrap();
        assert_eq!(
            client_final,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        let (user, server_final) = server.finish(&client_final).unwrap();
        assert_eq!(user, "user");
        assert_eq!(server_final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        client.verify(&server_final).unwrap();
    }

    fn exchange(m: ScramMechanism, user: &str, password: &str, stored_password: &str) -> Result<String> {
        let credential = ScramCredential::new(m, stored_password, b"salt-of-sixteen!", ITERATIONS);
        let (client, first) = ScramClient::start(m, user, password, "client-nonce");
        let (server, server_first) =
            ScramServer::start(m, &first, "server-nonce", |u| (u == user).then(|| credential.clone()))?;
        let (client, client_final) = client.respond(&server_first)?;
        let (user, server_final) = server.finish(&client_final)?;
        client.verify(&server_final)?;
        Ok(user)
    }

    #[test]
    fn both_mechanisms_let_the_right_password_in_and_no_other() {
        for m in ScramMechanism::ALL {
            assert_eq!(exchange(m, "a,b=c", "secret", "secret"), Ok("a,b=c".into()), "{}", m.name());
            let e = exchange(m, "alice", "guess", "secret").unwrap_err();
            assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED");
            assert!(e.detail().contains("invalid username or password"), "{e}");
        }
    }

    #[test]
    fn a_server_without_the_credential_is_found_out_by_the_client() {
        let m = ScramMechanism::Sha512;
        let (client, first) = ScramClient::start(m, "alice", "secret", "n1");
        let forged = ScramCredential::new(m, "secret", b"salt", ITERATIONS);
        let (server, server_first) = ScramServer::start(m, &first, "n2", |_| Some(forged)).unwrap();
        let (client, client_final) = client.respond(&server_first).unwrap();
        let (_, server_final) = server.finish(&client_final).unwrap();
        client.verify(&server_final).unwrap();
        // A server that answers with any other signature is not believed.
        let e = client.verify("v=AAAA").unwrap_err();
        assert!(e.detail().contains("server's signature is wrong"), "{e}");
        assert!(client.verify("e=other-error").unwrap_err().detail().contains("other-error"));
    }

    #[test]
    fn a_tampered_or_replayed_final_message_is_refused() {
        let m = ScramMechanism::Sha256;
        let credential = ScramCredential::new(m, "secret", b"salt", ITERATIONS);
        let start = |server_nonce: &str| {
            let (client, first) = ScramClient::start(m, "alice", "secret", "c1");
            let (server, server_first) =
                ScramServer::start(m, &first, server_nonce, |_| Some(credential.clone())).unwrap();
            (server, client.respond(&server_first).unwrap().1)
        };
        let (server, client_final) = start("s1");
        // The same final message answers another exchange's server nonce: a replay.
        let (other, _) = start("s2");
        assert!(other.finish(&client_final).unwrap_err().detail().contains("nonce does not match"));
        let flipped = client_final.replace("c=biws", "c=eSws");
        assert!(server.finish(&flipped).unwrap_err().detail().contains("channel binding"));
        let (server, client_final) = start("s3");
        let cut = &client_final[..client_final.len() - 4];
        assert_eq!(server.finish(cut).unwrap_err().name(), "SASL_AUTHENTICATION_FAILED");
    }

    #[test]
    fn malformed_messages_are_refused_not_panicked_on() {
        let m = ScramMechanism::Sha256;
        let credential = ScramCredential::new(m, "secret", b"salt", ITERATIONS);
        for first in
            ["", "n", "n,,", "n,,r=x,n=alice", "x,,n=alice,r=x", "n,,n=al=ice,r=x", "n,,n=alice,r=", "p=tls,,n=a,r=x"]
        {
            let e = ScramServer::start(m, first, "s", |_| Some(credential.clone())).unwrap_err();
            assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED", "{first:?}");
        }
        let authz = ScramServer::start(m, "n,a=bob,n=alice,r=x", "s", |_| Some(credential.clone())).unwrap_err();
        assert!(authz.detail().contains("authorization id"), "{authz}");
        assert!(ScramServer::start(m, "n,a=alice,n=alice,r=x", "s", |_| Some(credential.clone())).is_ok());
        let (client, _) = ScramClient::start(m, "alice", "secret", "c1");
        for server_first in ["", "r=c1s,s=!!,i=4096", "r=c1s,s=c2FsdA==,i=ten", "r=other,s=c2FsdA==,i=4096"] {
            let (c, _) = ScramClient::start(m, "alice", "secret", "c1");
            assert_eq!(c.respond(server_first).unwrap_err().name(), "SASL_AUTHENTICATION_FAILED", "{server_first:?}");
        }
        let e = client.respond("r=c1s,s=c2FsdA==,i=1").unwrap_err();
        assert!(e.detail().contains("not within Kafka's 4096..=16384"), "{e}");
        // A server that asks for more work than Kafka ever stores is not obeyed either.
        let (client, _) = ScramClient::start(m, "alice", "secret", "c1");
        assert!(client.respond("r=c1s,s=c2FsdA==,i=1000000000").is_err());
    }

    #[test]
    fn usernames_round_trip_through_escaping() {
        for name in ["alice", "a,b", "a=b", "=2C", ",,==", ""] {
            assert_eq!(unescape(&escape(name)).as_deref(), Some(name));
        }
        assert_eq!(unescape("a=2"), None);
        assert_eq!(unescape("a=41"), None);
    }
}
