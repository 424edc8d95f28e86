//! The Confluent CLI of the lecture, as an interpreter over franz clusters: `confluent environment …`,
//! `confluent kafka cluster|topic|consumer group …`, `confluent api-key …`, and franz's own `franz …` commands.
//!
//! Sans-IO like the rest of the core: [`Cli::run`] takes a typed line, the clusters it may call through
//! [`Clusters`] (the protocol of `core::protocol`, served synchronously), and the time; it returns what to print,
//! the effects the shell must carry out (create or delete a cluster's storage, save the CLI's state), and maybe a
//! streaming session (`topic produce`, `topic consume`) that the shell feeds lines or polls until Ctrl-C.

mod acls;
mod estimate;
mod output;
mod parse;
mod run;
mod session;
mod spec;
mod state;
mod topics;
mod view;

use crate::core::acl::authorizer::Authorizer;
use crate::core::error::Error;
use crate::core::groups::Reply as GroupReply;
use crate::core::protocol::{Request, Response};
use crate::core::rng::SplitMix64;

pub use estimate::{estimate, Estimate};
pub use output::{Data, Format};
pub use parse::{children, complete, parse, suggest, Line, Parsed};
pub use session::{ConsumeSession, ProduceSession};
pub use spec::{help, Command, FlagSpec, COMMANDS};
pub use state::{ApiKey, CliState, Environment, KafkaCluster, ServiceAccount, PBKDF2_ROUNDS};

/// How the CLI reaches the franz cluster behind one of its cluster ids (`lkc-…`).
pub trait Clusters {
    /// Serves `request` on `cluster` for `principal`, whom the cluster's authorizer judges.
    fn call_as(&mut self, cluster: &str, principal: &str, request: Request) -> Result<Response, Error>;
    /// Serves `request` as the logged-in user, whose role (as on Confluent Cloud) lets it do anything.
    fn call(&mut self, cluster: &str, request: Request) -> Result<Response, Error> {
        self.call_as(cluster, USER_PRINCIPAL, request)
    }
    /// The coordinator's answers to `member_id`'s JoinGroup and SyncGroup, which arrive after the call (it
    /// answers `GroupPending`).
    fn group_replies(&mut self, cluster: &str, member_id: &str) -> Vec<GroupReply>;
}

/// Who the logged-in user is to a cluster's authorizer: a super user of every cluster the CLI creates.
pub const USER_PRINCIPAL: &str = "User:student@franz.local";

/// The authorizer of every cluster the CLI creates, as on Confluent Cloud: the user may do anything, a service
/// account what the cluster's ACLs allow.
pub fn cluster_authorizer() -> Authorizer {
    Authorizer { super_users: [USER_PRINCIPAL.to_owned()].into(), allow_everyone_if_no_acl_found: false }
}

/// `clusters` as `principal` sees them: every call is made as it (an API key's owner, for produce and consume).
pub(super) struct Acting<'a> {
    pub clusters: &'a mut dyn Clusters,
    pub principal: &'a str,
}

impl Clusters for Acting<'_> {
    fn call_as(&mut self, cluster: &str, _: &str, request: Request) -> Result<Response, Error> {
        self.clusters.call_as(cluster, self.principal, request)
    }

    fn group_replies(&mut self, cluster: &str, member_id: &str) -> Vec<GroupReply> {
        self.clusters.group_replies(cluster, member_id)
    }
}

/// A command's failure: what the Confluent CLI prints after "Error: ", the Kafka error behind it if any, and a
/// suggestion of what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The Kafka error's name (`INVALID_TOPIC_EXCEPTION`, `SASL_AUTHENTICATION_FAILED`…), or `USAGE` for a
    /// command line that could not be understood.
    pub name: String,
    pub message: String,
    pub suggestion: Option<String>,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError { name: "USAGE".into(), message: message.into(), suggestion: None }
    }

    pub fn kafka(e: &Error, what: &str, suggestion: Option<String>) -> CliError {
        CliError { name: e.name().into(), message: format!("{what}: {}: {}", e.name(), e.detail()), suggestion }
    }

    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> CliError {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// As the CLI prints it.
    pub fn text(&self) -> String {
        let mut out = format!("Error: {}\n", self.message);
        if let Some(s) = &self.suggestion {
            out.push_str(&format!("\nSuggestions:\n    {}\n", s.replace('\n', "\n    ")));
        }
        out
    }
}

/// Work only the shell can do, after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Create the storage of a new franz cluster, then call [`Cli::provisioned`].
    CreateCluster { id: String, brokers: i32, racks: Vec<String> },
    /// Delete a franz cluster and its storage.
    DeleteCluster { id: String },
}

/// A command that keeps going until the user stops it.
#[derive(Debug, Clone)]
pub enum Stream {
    Produce(ProduceSession),
    Consume(ConsumeSession),
}

/// What a command did.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub output: String,
    pub effects: Vec<Effect>,
    pub stream: Option<Stream>,
    /// The CLI's state changed: the shell saves [`Cli::state`].
    pub state_changed: bool,
}

impl Reply {
    fn text(output: impl Into<String>) -> Reply {
        Reply { output: output.into(), ..Reply::default() }
    }
}

/// The interpreter: its remembered state, and its randomness (ids, API secrets, salts) from a seed the shell
/// draws from a secure source.
#[derive(Debug, Clone)]
pub struct Cli {
    pub state: CliState,
    rng: SplitMix64,
    /// Secrets of keys created or stored in this session, so `api-key use` works as in the real CLI; never
    /// saved.
    secrets: Vec<(String, String)>,
}

impl Cli {
    pub fn new(state: CliState, seed: u64) -> Cli {
        Cli { state, rng: SplitMix64::new(seed), secrets: Vec::new() }
    }

    /// Runs one command line.
    pub fn run(&mut self, line: &str, clusters: &mut dyn Clusters, now_ms: i64) -> Result<Reply, CliError> {
        match parse(line)? {
            Line::Empty => Ok(Reply::default()),
            Line::Help(path) => Ok(Reply::text(help(&path))),
            Line::Run(parsed) => self.execute(&parsed, clusters, now_ms),
        }
    }

    /// The shell created a cluster's storage: the cluster is UP.
    pub fn provisioned(&mut self, id: &str) {
        if let Some(c) = self.state.clusters.iter_mut().find(|c| c.id == id) {
            c.status = "UP".into();
        }
    }
}
