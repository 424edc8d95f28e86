//! One connection's SASL authentication, as a Kafka broker's authenticator runs it: SaslHandshake names a
//! mechanism the listener has enabled, then SaslAuthenticate carries the mechanism's messages: one for PLAIN and
//! OAUTHBEARER ([`super::oauth`]; two when a token is refused), two round trips for SCRAM ([`super::scram`]). A
//! failed step starts the connection over, as Kafka closes it.

use super::credentials::{no_sasl, Credentials, Plain};
use super::oauth::{BearerLogin, Refusal, ACKNOWLEDGE};
use super::scram::{nonce, ScramClient, ScramClientFinal, ScramMechanism, ScramServer};
use crate::core::error::{Error, Result};
use crate::core::protocol::{Request, Response};

/// A SASL mechanism franz's listeners may enable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Scram(ScramMechanism),
    OAuthBearer,
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Scram(m) => m.name(),
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The mechanism named `name` in any case (KafkaJS writes `plain`, `scram-sha-256`, `oauthbearer`).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        if name.eq_ignore_ascii_case("PLAIN") {
            return Some(Mechanism::Plain);
        }
        if name.eq_ignore_ascii_case("OAUTHBEARER") {
            return Some(Mechanism::OAuthBearer);
        }
        ScramMechanism::from_name(name).map(Mechanism::Scram)
    }
}

/// What a SaslAuthenticate carries: PLAIN's credentials (`None`: none), or a message of the mechanism the
/// handshake named (SCRAM's, OAUTHBEARER's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslToken {
    Plain(Option<Plain>),
    Message(String),
}

/// Where a connection's exchange stands.
#[derive(Debug, Default)]
enum Step {
    /// Nothing asked yet. A bare PLAIN SaslAuthenticate is taken here too, as franz's first clients sent it.
    #[default]
    Start,
    /// After a SaslHandshake: the mechanism the client's SaslAuthenticate must speak.
    Handshaken(Mechanism),
    /// Between SCRAM's first and final client messages.
    Scram(Box<ScramServer>),
    /// OAUTHBEARER refused the token, and waits for the client to acknowledge the error (RFC 7628).
    BearerRefused(Refusal),
}

/// One connection's authentication: the exchange under way, and once it has succeeded, who the client is and
/// until when. Where the listener sets `connections.max.reauth.ms` (KIP-368), a session lasts that long, or
/// until its token expires if sooner; the client must authenticate again before then, as the same principal
/// with the same mechanism, and a session that has ended takes no other request.
#[derive(Debug, Default)]
pub struct SaslSession {
    step: Step,
    /// Who the client authenticated as, and with what.
    authenticated: Option<(String, Mechanism)>,
    /// When the session ends (`None`: never).
    expires_ms: Option<i64>,
}

/// What one step of an exchange came to.
enum Stepped {
    /// The server's message; the exchange goes on.
    Continue(String),
    /// Authenticated: the principal, the mechanism, the server's last message, and when the credential (a token)
    /// expires, if it does.
    Done { principal: String, mechanism: Mechanism, message: String, credential_expires_ms: Option<i64> },
}

/// KIP-368's session lifetime: `connections.max.reauth.ms`, or less where the credential expires sooner; 0 (no
/// end) where the listener does not set it, as in Kafka.
fn session_lifetime(max_reauth_ms: i64, credential_expires_ms: Option<i64>, now_ms: i64) -> i64 {
    if max_reauth_ms <= 0 {
        return 0;
    }
    // At least 1 ms: a token taken within the allowable clock skew of its expiry has a session, if a short one.
    credential_expires_ms.map_or(max_reauth_ms, |expires| max_reauth_ms.min(expires - now_ms)).max(1)
}

fn illegal(why: &str) -> Error {
    Error::IllegalSaslState(why.to_owned())
}

const SCRAM_UNDER_WAY: &str = "a SCRAM exchange is under way: send its final message";
const BEARER_REFUSED: &str = "the token was refused: acknowledge the error with %x01";

impl SaslSession {
    /// Kafka's SaslHandshake: the mechanisms `credentials` enable, or UNSUPPORTED_SASL_MECHANISM.
    pub fn handshake(&mut self, credentials: &Credentials, mechanism: &str) -> Result<Vec<String>> {
        // Out of turn, it starts the exchange over, as any failed step does.
        match std::mem::take(&mut self.step) {
            Step::Scram(_) => return Err(illegal(SCRAM_UNDER_WAY)),
            Step::BearerRefused(_) => return Err(illegal(BEARER_REFUSED)),
            Step::Start | Step::Handshaken(_) => {}
        }
        let enabled = credentials.mechanisms();
        let names: Vec<String> = enabled.iter().map(|m| m.name().to_owned()).collect();
        match Mechanism::from_name(mechanism).filter(|m| enabled.contains(m)) {
            Some(m) => {
                self.step = Step::Handshaken(m);
                Ok(names)
            }
            None if names.is_empty() => Err(no_sasl()),
            None => Err(Error::UnsupportedSaslMechanism(format!(
                "{mechanism:?} is not enabled; this cluster's mechanisms are {}",
                names.join(", ")
            ))),
        }
    }

    /// Serves a SaslHandshake or SaslAuthenticate on this connection, at `now_ms` (wall-clock: a token's expiry).
    pub fn serve(
        &mut self,
        credentials: &Credentials,
        request: Request,
        now_ms: i64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Response> {
        match request {
            Request::SaslHandshake { mechanism } => {
                Ok(Response::SaslHandshake { mechanisms: self.handshake(credentials, &mechanism)? })
            }
            Request::SaslAuthenticate(token) => self.authenticate(credentials, token, now_ms, random),
            _ => Err(Error::InvalidRequest("only SaslHandshake and SaslAuthenticate are SASL requests".into())),
        }
    }

    /// Kafka's SaslAuthenticate: one step of the handshaken mechanism, answered with the principal once the
    /// client is authenticated (and the session's lifetime: 0 for no end), and the server's message (SCRAM's,
    /// OAUTHBEARER's error; empty for PLAIN). Authenticating again renews the session (KIP-368), as the same
    /// principal with the same mechanism only, as Kafka requires. `random` fills the server's nonce and a SCRAM
    /// credential's salt.
    pub fn authenticate(
        &mut self,
        credentials: &Credentials,
        token: SaslToken,
        now_ms: i64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Response> {
        let (principal, mechanism, message, credential_expires_ms) =
            match self.step(credentials, token, now_ms, random)? {
                Stepped::Continue(message) => {
                    return Ok(Response::SaslAuthenticate { principal: None, message, session_lifetime_ms: 0 })
                }
                Stepped::Done { principal, mechanism, message, credential_expires_ms } => {
                    (principal, mechanism, message, credential_expires_ms)
                }
            };
        if let Some((before, first)) = &self.authenticated {
            if *before != principal || *first != mechanism {
                return Err(Error::SaslAuthenticationFailed(format!(
                    "re-authentication must keep the principal and mechanism: {before} with {}, not {principal} \
                     with {}",
                    first.name(),
                    mechanism.name()
                )));
            }
        }
        let lifetime = session_lifetime(credentials.max_reauth_ms, credential_expires_ms, now_ms);
        self.authenticated = Some((principal.clone(), mechanism));
        self.expires_ms = (lifetime > 0).then_some(now_ms + lifetime);
        Ok(Response::SaslAuthenticate { principal: Some(principal), message, session_lifetime_ms: lifetime })
    }

    /// Whether the session has ended (KIP-368): it takes no request but SASL's until renewed. The clock is read
    /// only for a session that ends, so a listener without `connections.max.reauth.ms` pays nothing per request.
    pub fn expired(&self, now_ms: impl FnOnce() -> i64) -> bool {
        self.expires_ms.is_some_and(|expires| now_ms() >= expires)
    }

    /// One step of the exchange. The step is taken at the start and put back only by a step that succeeds, so a
    /// failed step leaves it at the start.
    fn step(
        &mut self,
        credentials: &Credentials,
        token: SaslToken,
        now_ms: i64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Stepped> {
        let done = |principal, mechanism, message| Stepped::Done {
            principal,
            mechanism,
            message,
            credential_expires_ms: None,
        };
        match (std::mem::take(&mut self.step), token) {
            (Step::Start | Step::Handshaken(Mechanism::Plain), SaslToken::Plain(plain)) => {
                Ok(done(credentials.authenticate(plain.as_ref())?, Mechanism::Plain, String::new()))
            }
            (Step::Handshaken(Mechanism::Scram(m)), SaslToken::Message(client_first)) => {
                let (mut server_nonce, mut salt) = ([0; 18], [0; 16]);
                random(&mut server_nonce);
                random(&mut salt);
                let credential = |user: &str| credentials.scram_credential(m, user, &salt);
                let (server, server_first) = ScramServer::start(m, &client_first, &nonce(&server_nonce), credential)?;
                self.step = Step::Scram(Box::new(server));
                Ok(Stepped::Continue(server_first))
            }
            (Step::Scram(server), SaslToken::Message(client_final)) => {
                let mechanism = Mechanism::Scram(server.mechanism());
                let (user, server_final) = server.finish(&client_final)?;
                Ok(done(format!("User:{user}"), mechanism, server_final))
            }
            (Step::Handshaken(Mechanism::OAuthBearer), SaslToken::Message(message)) => {
                let validator = credentials.oauthbearer.as_ref().ok_or_else(no_sasl)?;
                match validator.authenticate(&BearerLogin::parse(&message)?, now_ms)? {
                    Ok((principal, expires_ms)) => Ok(Stepped::Done {
                        principal,
                        mechanism: Mechanism::OAuthBearer,
                        message: String::new(),
                        credential_expires_ms: Some(expires_ms),
                    }),
                    Err(refusal) => {
                        let json = refusal.json();
                        self.step = Step::BearerRefused(refusal);
                        Ok(Stepped::Continue(json))
                    }
                }
            }
            (Step::BearerRefused(refusal), SaslToken::Message(m)) if m == ACKNOWLEDGE => Err(refusal.error()),
            (Step::Start, SaslToken::Message(_)) => Err(illegal("a mechanism's message needs a SaslHandshake first")),
            (Step::Handshaken(Mechanism::Plain), SaslToken::Message(_)) => {
                Err(illegal("the handshake named PLAIN, which takes a username and password"))
            }
            (Step::Handshaken(m), SaslToken::Plain(_)) => {
                Err(illegal(&format!("the handshake named {}, and this is a PLAIN message", m.name())))
            }
            (Step::Scram(_), SaslToken::Plain(_)) => Err(illegal(SCRAM_UNDER_WAY)),
            (Step::BearerRefused(_), _) => Err(illegal(BEARER_REFUSED)),
        }
    }
}

/// What a client logs in with: KafkaJS's `sasl` (for OAUTHBEARER, the token its `oauthBearerProvider` gave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslLogin {
    Plain(Plain),
    Scram(ScramMechanism, Plain),
    OAuthBearer(BearerLogin),
}

impl SaslLogin {
    /// A login with a username and password: PLAIN's or SCRAM's (`None` for OAUTHBEARER, which takes a token).
    pub fn with_password(mechanism: Mechanism, plain: Plain) -> Option<SaslLogin> {
        match mechanism {
            Mechanism::Plain => Some(SaslLogin::Plain(plain)),
            Mechanism::Scram(m) => Some(SaslLogin::Scram(m, plain)),
            Mechanism::OAuthBearer => None,
        }
    }

    pub fn mechanism(&self) -> Mechanism {
        match self {
            SaslLogin::Plain(_) => Mechanism::Plain,
            SaslLogin::Scram(m, _) => Mechanism::Scram(*m),
            SaslLogin::OAuthBearer(_) => Mechanism::OAuthBearer,
        }
    }
}

/// A client's side of the exchange, without I/O: the request to send first, then the next one for each answer,
/// until the principal. It checks SCRAM's server proof, so a client is not fooled by a broker without its
/// credential; and it acknowledges an OAUTHBEARER refusal, so that the broker answers with its error.
#[derive(Debug)]
pub struct SaslClient {
    login: SaslLogin,
    client_nonce: String,
    awaiting: Awaiting,
}

#[derive(Debug)]
enum Awaiting {
    Handshake,
    Principal,
    ServerFirst(ScramClient),
    ServerFinal(ScramClientFinal),
    /// OAUTHBEARER's answer: the principal, or an error to acknowledge.
    Bearer,
    Nothing,
}

/// What a [`SaslClient`] does next.
#[derive(Debug, PartialEq, Eq)]
pub enum SaslNext {
    Send(Request),
    /// The principal, and how long the session lasts (0: no end; KIP-368).
    Authenticated {
        principal: String,
        session_lifetime_ms: i64,
    },
}

impl SaslClient {
    /// A client that logs in as `login`; `random` fills its SCRAM nonce.
    pub fn new(login: SaslLogin, random: &mut dyn FnMut(&mut [u8])) -> SaslClient {
        let mut bytes = [0; 18];
        random(&mut bytes);
        SaslClient { login, client_nonce: nonce(&bytes), awaiting: Awaiting::Handshake }
    }

    pub fn first_request(&self) -> Request {
        Request::SaslHandshake { mechanism: self.login.mechanism().name().to_owned() }
    }

    /// Reads the answer to the last request.
    pub fn next(&mut self, answer: Response) -> Result<SaslNext> {
        let send = |token| Ok(SaslNext::Send(Request::SaslAuthenticate(token)));
        match (std::mem::replace(&mut self.awaiting, Awaiting::Nothing), answer) {
            (Awaiting::Handshake, Response::SaslHandshake { .. }) => match &self.login {
                SaslLogin::Plain(plain) => {
                    self.awaiting = Awaiting::Principal;
                    send(SaslToken::Plain(Some(plain.clone())))
                }
                SaslLogin::Scram(m, Plain { username, password }) => {
                    let (client, first) = ScramClient::start(*m, username, password, &self.client_nonce);
                    self.awaiting = Awaiting::ServerFirst(client);
                    send(SaslToken::Message(first))
                }
                SaslLogin::OAuthBearer(login) => {
                    self.awaiting = Awaiting::Bearer;
                    send(SaslToken::Message(login.message()))
                }
            },
            (Awaiting::ServerFirst(client), Response::SaslAuthenticate { principal: None, message, .. }) => {
                let (client, client_final) = client.respond(&message)?;
                self.awaiting = Awaiting::ServerFinal(client);
                send(SaslToken::Message(client_final))
            }
            (
                Awaiting::ServerFinal(client),
                Response::SaslAuthenticate { principal: Some(principal), message, session_lifetime_ms },
            ) => {
                client.verify(&message)?;
                Ok(SaslNext::Authenticated { principal, session_lifetime_ms })
            }
            // A refused token: the broker says why once the client acknowledges (RFC 7628).
            (Awaiting::Bearer, Response::SaslAuthenticate { principal: None, .. }) => {
                send(SaslToken::Message(ACKNOWLEDGE.into()))
            }
            (
                Awaiting::Principal | Awaiting::Bearer,
                Response::SaslAuthenticate { principal: Some(principal), session_lifetime_ms, .. },
            ) => Ok(SaslNext::Authenticated { principal, session_lifetime_ms }),
            (_, answer) => Err(illegal(&format!("the broker answered {answer:?} out of turn"))),
        }
    }
}

/// Logs `login` in where the broker is (`Kafka.open`), at `now_ms`: the same exchange a connecting client has
/// with a host.
pub fn authenticate_in_process(
    credentials: &Credentials,
    login: SaslLogin,
    now_ms: i64,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<String> {
    SaslSession::default().log_in(credentials, login, now_ms, random).map(|(principal, _)| principal)
}

impl SaslSession {
    /// Runs a client's whole exchange for `login` on this session, at `now_ms`: the principal and the session's
    /// lifetime (0: no end), or why the login failed.
    pub fn log_in(
        &mut self,
        credentials: &Credentials,
        login: SaslLogin,
        now_ms: i64,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(String, i64)> {
        let mut client = SaslClient::new(login, random);
        let mut request = client.first_request();
        loop {
            match client.next(self.serve(credentials, request, now_ms, random)?)? {
                SaslNext::Send(next) => request = next,
                SaslNext::Authenticated { principal, session_lifetime_ms } => {
                    return Ok((principal, session_lifetime_ms))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::acl::credentials::Accounts;
    use crate::core::acl::oauth::{unsecured_jwt, OAuthBearer};

    const NOW: i64 = 1_700_000_000_000;

    fn users() -> Credentials {
        Credentials::users([("alice".to_owned(), "secret".to_owned())].into())
    }

    /// A counter's bytes: distinct nonces and salts, reproducible.
    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |out: &mut [u8]| {
            for b in out {
                n = n.wrapping_add(1);
                *b = n;
            }
        }
    }

    fn login(mechanism: &str, password: &str) -> SaslLogin {
        let plain = Plain { username: "alice".into(), password: password.into() };
        SaslLogin::with_password(Mechanism::from_name(mechanism).unwrap(), plain).unwrap()
    }

    #[test]
    fn every_mechanism_logs_a_user_in_with_the_right_password_only() {
        for name in ["plain", "scram-sha-256", "SCRAM-SHA-512"] {
            let principal = authenticate_in_process(&users(), login(name, "secret"), NOW, &mut counter());
            assert_eq!(principal, Ok("User:alice".into()), "{name}");
            let e = authenticate_in_process(&users(), login(name, "guess"), NOW, &mut counter()).unwrap_err();
            assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED", "{name}");
        }
    }

    #[test]
    fn a_listener_enables_only_its_mechanisms() {
        let e = authenticate_in_process(&Credentials::default(), login("plain", "x"), NOW, &mut counter()).unwrap_err();
        assert_eq!(e.name(), "ILLEGAL_SASL_STATE");
        assert!(e.detail().contains("takes no SASL credentials"), "{e}");
        let keys = Credentials { accounts: Accounts::ApiKeys(Vec::new()), ..Credentials::default() };
        let e = authenticate_in_process(&keys, login("scram-sha-256", "x"), NOW, &mut counter()).unwrap_err();
        assert_eq!(e.name(), "UNSUPPORTED_SASL_MECHANISM");
        assert!(e.detail().contains("mechanisms are PLAIN"), "{e}");
        let e = SaslSession::default().handshake(&users(), "GSSAPI").unwrap_err();
        assert!(e.detail().contains("PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"), "{e}");
    }

    #[test]
    fn scram_messages_out_of_turn_are_illegal_and_start_the_exchange_over() {
        let (credentials, mut random) = (users(), counter());
        let mut session = SaslSession::default();
        let scram = |m: &str| SaslToken::Message(m.into());
        let e = session.authenticate(&credentials, scram("n,,n=alice,r=abc"), NOW, &mut random).unwrap_err();
        assert!(e.detail().contains("needs a SaslHandshake first"), "{e}");
        session.handshake(&credentials, "scram-sha-256").unwrap();
        let e = session.authenticate(&credentials, SaslToken::Plain(None), NOW, &mut random).unwrap_err();
        assert_eq!(e.name(), "ILLEGAL_SASL_STATE");
        // The failed step started the session over: a SCRAM message now needs a handshake again.
        let e = session.authenticate(&credentials, scram("n,,n=alice,r=abc"), NOW, &mut random).unwrap_err();
        assert!(e.detail().contains("needs a SaslHandshake first"), "{e}");
        session.handshake(&credentials, "scram-sha-256").unwrap();
        let first = session.authenticate(&credentials, scram("n,,n=alice,r=abc"), NOW, &mut random);
        let Ok(Response::SaslAuthenticate { principal: None, message, .. }) = first else { panic!("{first:?}") };
        assert!(message.starts_with("r=abc"), "{message}");
        assert_eq!(session.handshake(&credentials, "plain").unwrap_err().name(), "ILLEGAL_SASL_STATE");
    }

    #[test]
    fn a_client_does_not_believe_a_broker_that_skips_the_proof() {
        let mut client = SaslClient::new(login("scram-sha-512", "secret"), &mut counter());
        let handshake = Response::SaslHandshake { mechanisms: vec!["SCRAM-SHA-512".into()] };
        assert!(matches!(client.next(handshake), Ok(SaslNext::Send(Request::SaslAuthenticate(SaslToken::Message(_))))));
        // A broker that says "authenticated" at once, without SCRAM's server-first message.
        let skipped = Response::SaslAuthenticate {
            principal: Some("User:alice".into()),
            message: String::new(),
            session_lifetime_ms: 0,
        };
        assert_eq!(client.next(skipped).unwrap_err().name(), "ILLEGAL_SASL_STATE");
    }

    #[test]
    fn a_sessionless_broker_takes_plain_alone() {
        // `Cluster::handle` without a connection: PLAIN as the first and only message, as franz's first clients.
        let mut session = SaslSession::default();
        let plain = Plain { username: "alice".into(), password: "secret".into() };
        let request = Request::SaslAuthenticate(SaslToken::Plain(Some(plain)));
        let answer = session.serve(&users(), request, NOW, &mut counter()).unwrap();
        let alice = Some("User:alice".into());
        assert_eq!(
            answer,
            Response::SaslAuthenticate { principal: alice, message: String::new(), session_lifetime_ms: 0 }
        );
    }

    fn bearer(claims: serde_json::Value) -> SaslLogin {
        SaslLogin::OAuthBearer(BearerLogin {
            token: unsecured_jwt(&claims),
            authorization_id: None,
            extensions: Vec::new(),
        })
    }

    fn with_oauth(accounts: Accounts) -> Credentials {
        let validator = OAuthBearer { required_scope: vec!["kafka".into()], ..OAuthBearer::default() };
        Credentials { accounts, oauthbearer: Some(validator), ..Credentials::default() }
    }

    #[test]
    fn oauthbearer_logs_a_valid_token_in_and_explains_a_refusal() {
        let exp = NOW / 1000 + 60;
        let credentials = with_oauth(Accounts::None);
        let valid = bearer(serde_json::json!({ "sub": "svc-orders", "exp": exp, "scope": ["kafka"] }));
        assert_eq!(
            authenticate_in_process(&credentials, valid.clone(), NOW, &mut counter()),
            Ok("User:svc-orders".into())
        );
        // Expired, by the clock the broker is given.
        let e = authenticate_in_process(&credentials, valid, NOW + 60_000, &mut counter()).unwrap_err();
        assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED");
        assert!(e.detail().starts_with(r#"{"status":"invalid_token"}: it expired"#), "{e}");
        let unscoped = bearer(serde_json::json!({ "sub": "svc-orders", "exp": exp }));
        let e = authenticate_in_process(&credentials, unscoped, NOW, &mut counter()).unwrap_err();
        assert!(e.detail().starts_with(r#"{"status":"insufficient_scope","scope":"kafka"}"#), "{e}");
        // Tokens alone: PLAIN is not enabled, and no credentials at all are refused.
        let e = authenticate_in_process(&credentials, login("plain", "secret"), NOW, &mut counter()).unwrap_err();
        assert_eq!(e.name(), "UNSUPPORTED_SASL_MECHANISM");
        assert!(e.detail().contains("mechanisms are OAUTHBEARER"), "{e}");
        assert_eq!(credentials.authenticate(None).unwrap_err().name(), "SASL_AUTHENTICATION_FAILED");
        // Beside users, every mechanism is enabled; without OAUTHBEARER, a token is unsupported.
        let both = with_oauth(users().accounts);
        let names: Vec<_> = both.mechanisms().iter().map(|m| m.name()).collect();
        assert_eq!(names, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]);
        assert_eq!(
            authenticate_in_process(&both, login("scram-sha-256", "secret"), NOW, &mut counter()),
            Ok("User:alice".into())
        );
        let token = bearer(serde_json::json!({ "sub": "x", "exp": exp }));
        let e = authenticate_in_process(&users(), token, NOW, &mut counter()).unwrap_err();
        assert_eq!(e.name(), "UNSUPPORTED_SASL_MECHANISM");
    }

    #[test]
    fn a_refused_token_waits_for_its_acknowledgement() {
        let (credentials, mut random) = (with_oauth(Accounts::None), counter());
        let mut session = SaslSession::default();
        let message = |m: &str| SaslToken::Message(m.into());
        session.handshake(&credentials, "oauthbearer").unwrap();
        let expired = BearerLogin {
            token: unsecured_jwt(&serde_json::json!({ "sub": "a", "exp": 1 })),
            authorization_id: None,
            extensions: Vec::new(),
        };
        let answer = session.authenticate(&credentials, message(&expired.message()), NOW, &mut random).unwrap();
        let refusal = r#"{"status":"invalid_token"}"#.into();
        assert_eq!(answer, Response::SaslAuthenticate { principal: None, message: refusal, session_lifetime_ms: 0 });
        // Anything but %x01 now is out of turn, and starts the exchange over.
        assert_eq!(session.handshake(&credentials, "oauthbearer").unwrap_err().name(), "ILLEGAL_SASL_STATE");
        let e = session.authenticate(&credentials, message(ACKNOWLEDGE), NOW, &mut random).unwrap_err();
        assert!(e.detail().contains("needs a SaslHandshake first"), "{e}");
        session.handshake(&credentials, "OAUTHBEARER").unwrap();
        session.authenticate(&credentials, message(&expired.message()), NOW, &mut random).unwrap();
        let e = session.authenticate(&credentials, message(ACKNOWLEDGE), NOW, &mut random).unwrap_err();
        assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED");
        assert!(e.detail().contains("expired"), "{e}");
        // A malformed first message fails at once.
        session.handshake(&credentials, "OAUTHBEARER").unwrap();
        let e = session.authenticate(&credentials, message("n,,auth=Bearer x"), NOW, &mut random).unwrap_err();
        assert!(e.detail().contains("Invalid OAUTHBEARER client first message"), "{e}");
    }

    /// Logs in on `session` with `login`, as a client through a port would: the principal and the session's
    /// lifetime.
    fn log_in(
        session: &mut SaslSession,
        credentials: &Credentials,
        login: SaslLogin,
        now: i64,
    ) -> Result<(String, i64)> {
        session.log_in(credentials, login, now, &mut counter())
    }

    #[test]
    fn a_session_lasts_connections_max_reauth_ms_or_until_its_token_expires() {
        let alice = |login: SaslLogin, credentials: &Credentials| {
            let mut session = SaslSession::default();
            let answer = log_in(&mut session, credentials, login, NOW);
            (answer, session)
        };
        // Kafka's default: sessions never end, tokens or not.
        let forever = with_oauth(users().accounts);
        let (answer, session) = alice(login("scram-sha-256", "secret"), &forever);
        assert_eq!(answer, Ok(("User:alice".into(), 0)));
        assert!(!session.expired(|| i64::MAX));
        let token = bearer(serde_json::json!({ "sub": "alice", "exp": NOW / 1000 + 60, "scope": "kafka" }));
        assert_eq!(alice(token.clone(), &forever).0, Ok(("User:alice".into(), 0)));
        // With connections.max.reauth.ms, a password's session lasts that long, a token's no longer than it.
        let renewing = Credentials { max_reauth_ms: 300_000, ..with_oauth(users().accounts) };
        let (answer, session) = alice(login("plain", "secret"), &renewing);
        assert_eq!(answer, Ok(("User:alice".into(), 300_000)));
        assert!(!session.expired(|| NOW + 299_999) && session.expired(|| NOW + 300_000));
        assert_eq!(alice(token, &renewing).0, Ok(("User:alice".into(), 60_000)));
        let lasting = bearer(serde_json::json!({ "sub": "alice", "exp": NOW / 1000 + 3600, "scope": "kafka" }));
        assert_eq!(alice(lasting, &renewing).0, Ok(("User:alice".into(), 300_000)));
    }

    #[test]
    fn renewing_a_session_keeps_its_principal_and_mechanism() {
        let mut credentials = Credentials { max_reauth_ms: 1000, ..with_oauth(users().accounts) };
        credentials.accounts =
            Accounts::Users([("alice", "secret"), ("bob", "bob-secret")].map(|(u, p)| (u.into(), p.into())).into());
        let mut session = SaslSession::default();
        assert_eq!(
            log_in(&mut session, &credentials, login("scram-sha-512", "secret"), NOW),
            Ok(("User:alice".into(), 1000))
        );
        // Renewed before it ends, it lasts anew from then.
        let later = NOW + 900;
        assert_eq!(
            log_in(&mut session, &credentials, login("scram-sha-512", "secret"), later),
            Ok(("User:alice".into(), 1000))
        );
        assert!(!session.expired(|| NOW + 1500) && session.expired(|| later + 1000));
        let bob =
            SaslLogin::Scram(ScramMechanism::Sha512, Plain { username: "bob".into(), password: "bob-secret".into() });
        let e = log_in(&mut session, &credentials, bob, later).unwrap_err();
        assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED");
        assert!(e.detail().contains("User:alice with SCRAM-SHA-512, not User:bob"), "{e}");
        let e = log_in(&mut session, &credentials, login("plain", "secret"), later).unwrap_err();
        assert!(e.detail().contains("not User:alice with PLAIN"), "{e}");
        assert!(session.expired(|| later + 1000), "a refused renewal does not extend the session");
    }
}
