//! One connection's SASL authentication, as a Kafka broker's authenticator runs it: SaslHandshake names a
//! mechanism the listener has enabled, then SaslAuthenticate carries the mechanism's messages: one for PLAIN,
//! two round trips for SCRAM ([`super::scram`]). A failed step starts the connection over, as Kafka closes it.

use super::credentials::{no_sasl, Credentials, Plain};
use super::scram::{nonce, ScramClient, ScramClientFinal, ScramMechanism, ScramServer};
use crate::core::error::{Error, Result};
use crate::core::protocol::{Request, Response};

/// A SASL mechanism franz's listeners may enable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Scram(ScramMechanism),
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Scram(m) => m.name(),
        }
    }

    /// The mechanism named `name` in any case (KafkaJS writes `plain`, `scram-sha-256`).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        if name.eq_ignore_ascii_case("PLAIN") {
            return Some(Mechanism::Plain);
        }
        ScramMechanism::from_name(name).map(Mechanism::Scram)
    }
}

/// What a SaslAuthenticate carries: PLAIN's credentials (`None`: none), or a SCRAM message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslToken {
    Plain(Option<Plain>),
    Scram(String),
}

impl SaslToken {
    fn kind(&self) -> &'static str {
        match self {
            SaslToken::Plain(_) => "PLAIN",
            SaslToken::Scram(_) => "SCRAM",
        }
    }
}

/// Where a connection's authentication stands.
#[derive(Debug, Default)]
pub enum SaslSession {
    /// Nothing asked yet. A bare PLAIN SaslAuthenticate is taken here too, as franz's first clients sent it.
    #[default]
    Start,
    /// After a SaslHandshake: the mechanism the client's SaslAuthenticate must speak.
    Handshaken(Mechanism),
    /// Between SCRAM's first and final client messages.
    Scram(Box<ScramServer>),
}

fn illegal(why: &str) -> Error {
    Error::IllegalSaslState(why.to_owned())
}

const SCRAM_UNDER_WAY: &str = "a SCRAM exchange is under way: send its final message";

impl SaslSession {
    /// Kafka's SaslHandshake: the mechanisms `credentials` enable, or UNSUPPORTED_SASL_MECHANISM.
    pub fn handshake(&mut self, credentials: &Credentials, mechanism: &str) -> Result<Vec<String>> {
        if matches!(self, SaslSession::Scram(_)) {
            return Err(illegal(SCRAM_UNDER_WAY));
        }
        let enabled = credentials.mechanisms();
        let names: Vec<String> = enabled.iter().map(|m| m.name().to_owned()).collect();
        match Mechanism::from_name(mechanism).filter(|m| enabled.contains(m)) {
            Some(m) => {
                *self = SaslSession::Handshaken(m);
                Ok(names)
            }
            None if names.is_empty() => Err(no_sasl()),
            None => Err(Error::UnsupportedSaslMechanism(format!(
                "{mechanism:?} is not enabled; this cluster's mechanisms are {}",
                names.join(", ")
            ))),
        }
    }

    /// Serves a SaslHandshake or SaslAuthenticate on this connection.
    pub fn serve(
        &mut self,
        credentials: &Credentials,
        request: Request,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Response> {
        match request {
            Request::SaslHandshake { mechanism } => {
                Ok(Response::SaslHandshake { mechanisms: self.handshake(credentials, &mechanism)? })
            }
            Request::SaslAuthenticate(token) => self.authenticate(credentials, token, random),
            _ => Err(Error::InvalidRequest("only SaslHandshake and SaslAuthenticate are SASL requests".into())),
        }
    }

    /// Kafka's SaslAuthenticate: one step of the handshaken mechanism, answered with the principal once the
    /// client is authenticated and the server's message (SCRAM's; empty for PLAIN). `random` fills the server's
    /// nonce and a SCRAM credential's salt.
    pub fn authenticate(
        &mut self,
        credentials: &Credentials,
        token: SaslToken,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Response> {
        let result = self.step(credentials, token, random);
        if result.is_err() {
            *self = SaslSession::Start;
        }
        result
    }

    fn step(
        &mut self,
        credentials: &Credentials,
        token: SaslToken,
        random: &mut dyn FnMut(&mut [u8]),
    ) -> Result<Response> {
        let answer = |principal, message| Ok(Response::SaslAuthenticate { principal, message });
        match (std::mem::take(self), token) {
            (SaslSession::Start | SaslSession::Handshaken(Mechanism::Plain), SaslToken::Plain(plain)) => {
                answer(Some(credentials.authenticate(plain.as_ref())?), String::new())
            }
            (SaslSession::Handshaken(Mechanism::Scram(m)), SaslToken::Scram(client_first)) => {
                let (mut server_nonce, mut salt) = ([0; 18], [0; 16]);
                random(&mut server_nonce);
                random(&mut salt);
                let credential = |user: &str| credentials.scram_credential(m, user, &salt);
                let (server, server_first) = ScramServer::start(m, &client_first, &nonce(&server_nonce), credential)?;
                *self = SaslSession::Scram(Box::new(server));
                answer(None, server_first)
            }
            (SaslSession::Scram(server), SaslToken::Scram(client_final)) => {
                let (user, server_final) = server.finish(&client_final)?;
                answer(Some(format!("User:{user}")), server_final)
            }
            (SaslSession::Start, SaslToken::Scram(_)) => Err(illegal("a SCRAM message needs a SaslHandshake first")),
            (SaslSession::Handshaken(m), token) => {
                Err(illegal(&format!("the handshake named {}, and this is a {} message", m.name(), token.kind())))
            }
            (SaslSession::Scram(_), SaslToken::Plain(_)) => Err(illegal(SCRAM_UNDER_WAY)),
        }
    }
}

/// What a client logs in with: KafkaJS's `sasl: { mechanism, username, password }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslLogin {
    pub mechanism: Mechanism,
    pub username: String,
    pub password: String,
}

/// A client's side of the exchange, without I/O: the request to send first, then the next one for each answer,
/// until the principal. It checks SCRAM's server proof, so a client is not fooled by a broker without its
/// credential.
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
    Nothing,
}

/// What a [`SaslClient`] does next.
#[derive(Debug, PartialEq, Eq)]
pub enum SaslNext {
    Send(Request),
    Authenticated(String),
}

impl SaslClient {
    /// A client that logs in as `login`; `random` fills its SCRAM nonce.
    pub fn new(login: SaslLogin, random: &mut dyn FnMut(&mut [u8])) -> SaslClient {
        let mut bytes = [0; 18];
        random(&mut bytes);
        SaslClient { login, client_nonce: nonce(&bytes), awaiting: Awaiting::Handshake }
    }

    pub fn first_request(&self) -> Request {
        Request::SaslHandshake { mechanism: self.login.mechanism.name().to_owned() }
    }

    /// Reads the answer to the last request.
    pub fn next(&mut self, answer: Response) -> Result<SaslNext> {
        let SaslLogin { mechanism, username, password } = &self.login;
        let send = |token| Ok(SaslNext::Send(Request::SaslAuthenticate(token)));
        match (std::mem::replace(&mut self.awaiting, Awaiting::Nothing), answer) {
            (Awaiting::Handshake, Response::SaslHandshake { .. }) => match *mechanism {
                Mechanism::Plain => {
                    self.awaiting = Awaiting::Principal;
                    send(SaslToken::Plain(Some(Plain { username: username.clone(), password: password.clone() })))
                }
                Mechanism::Scram(m) => {
                    let (client, first) = ScramClient::start(m, username, password, &self.client_nonce);
                    self.awaiting = Awaiting::ServerFirst(client);
                    send(SaslToken::Scram(first))
                }
            },
            (Awaiting::ServerFirst(client), Response::SaslAuthenticate { principal: None, message }) => {
                let (client, client_final) = client.respond(&message)?;
                self.awaiting = Awaiting::ServerFinal(client);
                send(SaslToken::Scram(client_final))
            }
            (Awaiting::ServerFinal(client), Response::SaslAuthenticate { principal: Some(principal), message }) => {
                client.verify(&message)?;
                Ok(SaslNext::Authenticated(principal))
            }
            (Awaiting::Principal, Response::SaslAuthenticate { principal: Some(principal), .. }) => {
                Ok(SaslNext::Authenticated(principal))
            }
            (_, answer) => Err(illegal(&format!("the broker answered {answer:?} out of turn"))),
        }
    }
}

/// Logs `login` in where the broker is (`Kafka.open`): the same exchange a connecting client has with a host.
pub fn authenticate_in_process(
    credentials: &Credentials,
    login: SaslLogin,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<String> {
    let mut client = SaslClient::new(login, random);
    let mut session = SaslSession::default();
    let mut request = client.first_request();
    loop {
        match client.next(session.serve(credentials, request, random)?)? {
            SaslNext::Send(next) => request = next,
            SaslNext::Authenticated(principal) => return Ok(principal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Credentials {
        Credentials::Users([("alice".to_owned(), "secret".to_owned())].into())
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
        let mechanism = Mechanism::from_name(mechanism).unwrap();
        SaslLogin { mechanism, username: "alice".into(), password: password.into() }
    }

    #[test]
    fn every_mechanism_logs_a_user_in_with_the_right_password_only() {
        for name in ["plain", "scram-sha-256", "SCRAM-SHA-512"] {
            let principal = authenticate_in_process(&users(), login(name, "secret"), &mut counter());
            assert_eq!(principal, Ok("User:alice".into()), "{name}");
            let e = authenticate_in_process(&users(), login(name, "guess"), &mut counter()).unwrap_err();
            assert_eq!(e.name(), "SASL_AUTHENTICATION_FAILED", "{name}");
        }
    }

    #[test]
    fn a_listener_enables_only_its_mechanisms() {
        let e = authenticate_in_process(&Credentials::None, login("plain", "x"), &mut counter()).unwrap_err();
        assert_eq!(e.name(), "ILLEGAL_SASL_STATE");
        assert!(e.detail().contains("takes no SASL credentials"), "{e}");
        let keys = Credentials::ApiKeys(Vec::new());
        let e = authenticate_in_process(&keys, login("scram-sha-256", "x"), &mut counter()).unwrap_err();
        assert_eq!(e.name(), "UNSUPPORTED_SASL_MECHANISM");
        assert!(e.detail().contains("mechanisms are PLAIN"), "{e}");
        let e = SaslSession::default().handshake(&users(), "GSSAPI").unwrap_err();
        assert!(e.detail().contains("PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"), "{e}");
    }

    #[test]
    fn scram_messages_out_of_turn_are_illegal_and_start_the_exchange_over() {
        let (credentials, mut random) = (users(), counter());
        let mut session = SaslSession::default();
        let scram = |m: &str| SaslToken::Scram(m.into());
        let e = session.authenticate(&credentials, scram("n,,n=alice,r=abc"), &mut random).unwrap_err();
        assert!(e.detail().contains("needs a SaslHandshake first"), "{e}");
        session.handshake(&credentials, "scram-sha-256").unwrap();
        let e = session.authenticate(&credentials, SaslToken::Plain(None), &mut random).unwrap_err();
        assert_eq!(e.name(), "ILLEGAL_SASL_STATE");
        // The failed step started the session over: a SCRAM message now needs a handshake again.
        let e = session.authenticate(&credentials, scram("n,,n=alice,r=abc"), &mut random).unwrap_err();
        assert!(e.detail().contains("needs a SaslHandshake first"), "{e}");
        session.handshake(&credentials, "scram-sha-256").unwrap();
        let first = session.authenticate(&credentials, scram("n,,n=alice,r=abc"), &mut random);
        let Ok(Response::SaslAuthenticate { principal: None, message }) = first else { panic!("{first:?}") };
        assert!(message.starts_with("r=abc"), "{message}");
        assert_eq!(session.handshake(&credentials, "plain").unwrap_err().name(), "ILLEGAL_SASL_STATE");
    }

    #[test]
    fn a_client_does_not_believe_a_broker_that_skips_the_proof() {
        let mut client = SaslClient::new(login("scram-sha-512", "secret"), &mut counter());
        let handshake = Response::SaslHandshake { mechanisms: vec!["SCRAM-SHA-512".into()] };
        assert!(matches!(client.next(handshake), Ok(SaslNext::Send(Request::SaslAuthenticate(SaslToken::Scram(_))))));
        // A broker that says "authenticated" at once, without SCRAM's server-first message.
        let skipped = Response::SaslAuthenticate { principal: Some("User:alice".into()), message: String::new() };
        assert_eq!(client.next(skipped).unwrap_err().name(), "ILLEGAL_SASL_STATE");
    }

    #[test]
    fn a_sessionless_broker_takes_plain_alone() {
        // `Cluster::handle` without a connection: PLAIN as the first and only message, as franz's first clients.
        let mut session = SaslSession::default();
        let plain = Plain { username: "alice".into(), password: "secret".into() };
        let request = Request::SaslAuthenticate(SaslToken::Plain(Some(plain)));
        let answer = session.serve(&users(), request, &mut counter()).unwrap();
        assert_eq!(answer, Response::SaslAuthenticate { principal: Some("User:alice".into()), message: String::new() });
    }
}
