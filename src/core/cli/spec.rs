//! Every command the interpreter knows, with its arguments, flags and help, in the Confluent CLI's words; and
//! the help text built from them. `confluent …` commands follow the lecture's CLI; `franz …` ones are franz's
//! own, kept apart so they are not taken for Confluent's.

/// A flag: `--long`, maybe `-s`, and the kind of value it takes (`None`: a switch).
#[derive(Debug, PartialEq, Eq)]
pub struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    pub value: Option<&'static str>,
    pub help: &'static str,
}

/// A command, or (not `runnable`) a group of commands that only has help.
#[derive(Debug, PartialEq, Eq)]
pub struct Command {
    pub path: &'static [&'static str],
    /// Positional arguments in order; a name ending in `?` is optional.
    pub args: &'static [&'static str],
    pub flags: &'static [FlagSpec],
    /// Whether it takes `-o human|json|yaml`.
    pub output: bool,
    pub runnable: bool,
    pub help: &'static str,
}

impl Command {
    pub fn usage(&self) -> String {
        let args = self.args.iter().map(|a| match a.strip_suffix('?') {
            Some(optional) => format!("[{optional}]"),
            None => format!("<{a}>"),
        });
        let mut usage = self.path.join(" ");
        for a in args {
            usage.push(' ');
            usage.push_str(&a);
        }
        usage.push_str(" [flags]");
        usage
    }
}

const fn flag(long: &'static str, value: Option<&'static str>, help: &'static str) -> FlagSpec {
    FlagSpec { long, short: None, value, help }
}

const fn short(long: &'static str, s: char, value: Option<&'static str>, help: &'static str) -> FlagSpec {
    FlagSpec { long, short: Some(s), value, help }
}

pub const OUTPUT_FLAG: FlagSpec = short(
    "output",
    'o',
    Some("string"),
    "Specify the output format as \"human\", \"json\", or \"yaml\". (default \"human\")",
);

pub const GLOBAL_FLAGS: &[FlagSpec] = &[short("help", 'h', None, "Show help for this command.")];

const FORCE: FlagSpec = flag("force", None, "Skip the deletion confirmation prompt.");
const CLUSTER: FlagSpec = flag("cluster", Some("string"), "Kafka cluster ID.");
const ENVIRONMENT: FlagSpec = flag("environment", Some("string"), "Environment ID.");
const API_KEY: FlagSpec = flag("api-key", Some("string"), "API key.");
const API_SECRET: FlagSpec = flag("api-secret", Some("string"), "API secret.");

const ALLOW: FlagSpec = flag("allow", None, "Access to the resource is allowed.");
const DENY: FlagSpec = flag("deny", None, "Access to the resource is denied.");
const OPERATIONS: FlagSpec = flag(
    "operations",
    Some("strings"),
    "REQUIRED: Set ACL Operations to: (alter, alter-configs, cluster-action, create, delete, describe, describe-configs, idempotent-write, read, write).",
);
const PRINCIPAL: FlagSpec = flag("principal", Some("string"), "Principal for this operation, prefixed with \"User:\".");
const SERVICE_ACCOUNT: FlagSpec = flag("service-account", Some("string"), "Service account ID.");
const CLUSTER_SCOPE: FlagSpec = flag("cluster-scope", None, "Modify ACLs for the cluster.");
const CONSUMER_GROUP: FlagSpec =
    flag("consumer-group", Some("string"), "Modify ACLs for the specified consumer group resource.");
const PREFIX: FlagSpec =
    flag("prefix", None, "When this flag is set, the specified resource name is interpreted as a prefix.");
const TOPIC: FlagSpec = flag("topic", Some("string"), "Modify ACLs for the specified topic resource.");
const TRANSACTIONAL_ID: FlagSpec =
    flag("transactional-id", Some("string"), "Modify ACLs for the specified TransactionalID resource.");
/// The flags of `acl create`, and of `acl delete` with `$extra` too.
macro_rules! acl_change_flags {
    ($($extra:expr),*) => {
        &[
            ALLOW, DENY, OPERATIONS, PRINCIPAL, SERVICE_ACCOUNT, CLUSTER_SCOPE, CONSUMER_GROUP, PREFIX, TOPIC,
            TRANSACTIONAL_ID, $($extra,)* CLUSTER,
        ]
    };
}
const ACL_CHANGE_FLAGS: &[FlagSpec] = acl_change_flags!();
const ACL_LIST_FLAGS: &[FlagSpec] =
    &[PRINCIPAL, SERVICE_ACCOUNT, CLUSTER_SCOPE, CONSUMER_GROUP, PREFIX, TOPIC, TRANSACTIONAL_ID, CLUSTER];
const ACL_DELETE_FLAGS: &[FlagSpec] = acl_change_flags!(FORCE);

const fn group(path: &'static [&'static str], help: &'static str) -> Command {
    Command { path, args: &[], flags: &[], output: false, runnable: false, help }
}

const fn cmd(
    path: &'static [&'static str],
    args: &'static [&'static str],
    flags: &'static [FlagSpec],
    output: bool,
    help: &'static str,
) -> Command {
    Command { path, args, flags, output, runnable: true, help }
}

pub const COMMANDS: &[Command] = &[
    group(&["confluent"], "Manage your Confluent Cloud (here: franz, in this tab)."),
    cmd(&["confluent", "login"], &[], &[], false, "Log in to Confluent Cloud (here: start a local session)."),
    cmd(&["confluent", "logout"], &[], &[], false, "Log out of Confluent Cloud (here: end the local session)."),
    group(&["confluent", "environment"], "Manage and select Confluent Cloud environments."),
    cmd(
        &["confluent", "environment", "create"],
        &["name"],
        &[flag("governance-package", Some("string"), "Stream Governance package: \"essentials\" or \"advanced\". (default \"essentials\")")],
        true,
        "Create a new Confluent Cloud environment.",
    ),
    cmd(&["confluent", "environment", "list"], &[], &[], true, "List Confluent Cloud environments."),
    cmd(&["confluent", "environment", "use"], &["id"], &[], false, "Use a Confluent Cloud environment in subsequent commands."),
    cmd(&["confluent", "environment", "describe"], &["id?"], &[], true, "Describe a Confluent Cloud environment."),
    cmd(&["confluent", "environment", "delete"], &["id"], &[FORCE], false, "Delete Confluent Cloud environments, with all their clusters."),
    group(&["confluent", "kafka"], "Manage Apache Kafka."),
    group(&["confluent", "kafka", "cluster"], "Manage Kafka clusters."),
    cmd(
        &["confluent", "kafka", "cluster", "create"],
        &["name"],
        &[
            flag("cloud", Some("string"), "Specify the cloud provider as \"aws\", \"azure\", or \"gcp\"."),
            flag("region", Some("string"), "Cloud region ID for cluster (use \"confluent kafka region list\" to see all)."),
            flag("type", Some("string"), "Specify the type of the Kafka cluster as \"basic\", \"standard\", \"enterprise\", or \"dedicated\". (default \"basic\")"),
            flag("availability", Some("string"), "Specify the cluster availability as \"single-zone\" or \"multi-zone\". (default \"single-zone\")"),
            flag("brokers", Some("int"), "franz: how many brokers the cluster runs in this tab, 1 to 9. (default 3)"),
            flag("racks", Some("strings"), "franz: each broker's rack (availability zone), comma-separated, in broker order."),
            ENVIRONMENT,
        ],
        true,
        "Create a Kafka cluster.",
    ),
    cmd(&["confluent", "kafka", "cluster", "list"], &[], &[ENVIRONMENT], true, "List Kafka clusters."),
    cmd(&["confluent", "kafka", "cluster", "use"], &["id"], &[], false, "Use a Kafka cluster in subsequent commands."),
    cmd(&["confluent", "kafka", "cluster", "describe"], &["id?"], &[], true, "Describe a Kafka cluster."),
    cmd(&["confluent", "kafka", "cluster", "delete"], &["id"], &[FORCE], false, "Delete Kafka clusters, with all their data."),
    group(&["confluent", "api-key"], "Manage API keys."),
    cmd(
        &["confluent", "api-key", "create"],
        &[],
        &[
            flag("resource", Some("string"), "The ID of the resource the API key is for (a Kafka cluster, lkc-…)."),
            flag("description", Some("string"), "Description of API key."),
            flag("service-account", Some("string"), "Service account ID. If not specified, the API key will have full access on the cluster."),
        ],
        true,
        "Create API keys for a given resource.",
    ),
    cmd(
        &["confluent", "api-key", "use"],
        &["api-key"],
        &[flag("resource", Some("string"), "The ID of the resource the API key is for.")],
        false,
        "Use an API key in subsequent commands.",
    ),
    cmd(
        &["confluent", "api-key", "list"],
        &[],
        &[flag("resource", Some("string"), "The ID of the resource the API key is for.")],
        true,
        "List the API keys.",
    ),
    cmd(
        &["confluent", "api-key", "store"],
        &["api-key", "secret"],
        &[flag("resource", Some("string"), "The ID of the resource the API key is for.")],
        false,
        "Store an API key's secret for this session (franz keeps only its salted hash on disk).",
    ),
    cmd(&["confluent", "api-key", "delete"], &["api-key"], &[FORCE], false, "Delete API keys."),
    group(&["confluent", "iam"], "Manage RBAC and IAM permissions."),
    group(&["confluent", "iam", "service-account"], "Manage service accounts."),
    cmd(
        &["confluent", "iam", "service-account", "create"],
        &["name"],
        &[flag("description", Some("string"), "Description of the service account.")],
        true,
        "Create a service account.",
    ),
    cmd(&["confluent", "iam", "service-account", "list"], &[], &[], true, "List service accounts."),
    cmd(&["confluent", "iam", "service-account", "describe"], &["id"], &[], true, "Describe a service account."),
    cmd(
        &["confluent", "iam", "service-account", "delete"],
        &["id"],
        &[FORCE],
        false,
        "Delete service accounts, with their API keys (their ACLs stay until deleted).",
    ),
    group(&["confluent", "kafka", "acl"], "Manage Kafka ACLs."),
    cmd(&["confluent", "kafka", "acl", "create"], &[], ACL_CHANGE_FLAGS, true, "Create a Kafka ACL."),
    cmd(&["confluent", "kafka", "acl", "list"], &[], ACL_LIST_FLAGS, true, "List Kafka ACLs for a resource."),
    cmd(
        &["confluent", "kafka", "acl", "delete"],
        &[],
        ACL_DELETE_FLAGS,
        false,
        "Delete Kafka ACLs matching the search criteria.",
    ),
    group(&["confluent", "kafka", "topic"], "Manage Kafka topics."),
    cmd(
        &["confluent", "kafka", "topic", "create"],
        &["topic"],
        &[
            flag("partitions", Some("uint32"), "Number of topic partitions. (default 6)"),
            flag("replication-factor", Some("uint32"), "Number of replicas, as Confluent Platform's CLI takes it. (default 3, or fewer when the cluster has fewer brokers)"),
            flag("config", Some("strings"), "A comma-separated list of configuration overrides (\"key=value\") for the topic being created."),
            flag("if-not-exists", None, "Exit gracefully if topic already exists."),
            flag("dry-run", None, "Run the command without committing changes to Kafka."),
            CLUSTER,
        ],
        false,
        "Create a Kafka topic.",
    ),
    cmd(&["confluent", "kafka", "topic", "list"], &[], &[CLUSTER], true, "List Kafka topics."),
    cmd(&["confluent", "kafka", "topic", "describe"], &["topic"], &[CLUSTER], true, "Describe a Kafka topic."),
    cmd(
        &["confluent", "kafka", "topic", "update"],
        &["topic"],
        &[
            flag("config", Some("strings"), "A comma-separated list of configuration overrides (\"key=value\") for the topic being updated."),
            flag("dry-run", None, "Run the command without committing changes to Kafka."),
            CLUSTER,
        ],
        true,
        "Update a Kafka topic.",
    ),
    cmd(&["confluent", "kafka", "topic", "delete"], &["topic"], &[FORCE, CLUSTER], false, "Delete Kafka topics."),
    cmd(
        &["confluent", "kafka", "topic", "produce"],
        &["topic"],
        &[
            flag("parse-key", None, "Parse key from the message."),
            flag("delimiter", Some("string"), "The delimiter separating each key and value. (default \":\")"),
            flag("headers", Some("strings"), "A comma-separated list of headers formatted as \"key:value\" (split at the delimiter), sent with every message."),
            flag("config", Some("strings"), "A comma-separated list of configuration overrides (\"key=value\") for the producer client: compression.type (none, gzip, snappy, lz4 or zstd)."),
            API_KEY,
            API_SECRET,
            CLUSTER,
        ],
        false,
        "Produce messages to a Kafka topic: each line typed is a message, until Ctrl-D or Ctrl-C.",
    ),
    cmd(
        &["confluent", "kafka", "topic", "consume"],
        &["topic"],
        &[
            short("from-beginning", 'b', None, "Consume from beginning of the topic."),
            short("group", 'g', Some("string"), "Consumer group ID."),
            flag("print-key", None, "Print key of the message."),
            flag("print-offset", None, "Print partition number and offset of the message."),
            flag("full-header", None, "Print complete content of message headers."),
            flag("delimiter", Some("string"), "The delimiter separating each key and value. (default \"\\t\")"),
            flag("partition", Some("int32"), "The partition to consume from. (default -1: all)"),
            flag("offset", Some("int"), "The offset from the beginning to consume from."),
            flag("timestamp", None, "Print message timestamp in milliseconds."),
            flag("config", Some("strings"), "A comma-separated list of configuration overrides (\"key=value\") for the consumer client: isolation.level (read_committed, the default, or read_uncommitted)."),
            API_KEY,
            API_SECRET,
            CLUSTER,
        ],
        false,
        "Consume messages from a Kafka topic, until Ctrl-C.",
    ),
    group(&["confluent", "kafka", "consumer"], "Manage Kafka consumers."),
    group(&["confluent", "kafka", "consumer", "group"], "Manage Kafka consumer groups."),
    cmd(&["confluent", "kafka", "consumer", "group", "list"], &[], &[CLUSTER], true, "List Kafka consumer groups."),
    cmd(
        &["confluent", "kafka", "consumer", "group", "describe"],
        &["group"],
        &[CLUSTER],
        true,
        "Describe a Kafka consumer group: its members, their partitions, and lag.",
    ),
    group(&["franz"], "franz's own commands, beyond Confluent's."),
    group(&["franz", "broker"], "The brokers of the Kafka cluster in use."),
    cmd(&["franz", "broker", "list"], &[], &[CLUSTER], true, "List the brokers: up or down, racks, and leaderships."),
    cmd(
        &["franz", "broker", "describe"],
        &["id"],
        &[flag("config-name", Some("string"), "Only this configuration."), CLUSTER],
        true,
        "Describe a broker's configuration values, as Kafka's kafka-configs --entity-type brokers does.",
    ),
    cmd(&["franz", "broker", "kill"], &["id"], &[CLUSTER], false, "Crash a broker: its partitions fail over once the controller notices."),
    cmd(&["franz", "broker", "restart"], &["id"], &[CLUSTER], false, "Restart a broker: it catches up and leads its partitions again."),
    group(&["franz", "partition"], "Moving partitions between brokers."),
    cmd(
        &["franz", "partition", "reassign"],
        &["topic"],
        &[
            flag("partition", Some("int32"), "The partition to move. (default 0)"),
            flag("replicas", Some("ints"), "The brokers to move it to, comma-separated; the first is its preferred leader."),
            flag("cancel", None, "Cancel the move under way instead: the partition stays where it was."),
            CLUSTER,
        ],
        false,
        "Move a partition to other brokers while it serves, as Kafka's kafka-reassign-partitions does.",
    ),
    cmd(
        &["franz", "partition", "list-reassignments"],
        &[],
        &[CLUSTER],
        true,
        "List the partitions being moved: their replicas, and those joining and leaving.",
    ),
    group(&["franz", "topic"], "Advice about topics."),
    cmd(&["franz", "topic", "lint"], &["name"], &[], false, "Check a topic name against the naming conventions."),
    group(&["franz", "partitions"], "Choosing a partition count."),
    cmd(
        &["franz", "partitions", "estimate"],
        &[],
        &[
            flag("target-mbps", Some("float"), "The throughput the topic must carry, in MB/s."),
            flag("producer-mbps", Some("float"), "What one producer writes to one partition, in MB/s."),
            flag("consumer-mbps", Some("float"), "What one consumer reads from one partition, in MB/s."),
            flag("producers", Some("int"), "How many producers there are (shown beside the estimate)."),
            flag("consumers", Some("int"), "How many consumers there are (shown beside the estimate)."),
        ],
        true,
        "Estimate how many partitions a topic needs for a target throughput.",
    ),
];

/// Help for the command or group at `path`, as cobra prints it.
pub fn help(path: &[&str]) -> String {
    let Some(command) = COMMANDS.iter().find(|c| c.path == path) else { return String::new() };
    let mut out = format!("{}\n\n", command.help);
    if command.runnable {
        out.push_str(&format!("Usage:\n  {}\n", command.usage()));
        let output = command.output.then_some(&OUTPUT_FLAG);
        let flags: Vec<&FlagSpec> = command.flags.iter().chain(output).collect();
        if !flags.is_empty() {
            out.push_str(&format!("\nFlags:\n{}", flag_lines(&flags)));
        }
    } else {
        out.push_str(&format!("Usage:\n  {} [command]\n\nAvailable Commands:\n", path.join(" ")));
        let subs: Vec<&Command> =
            COMMANDS.iter().filter(|c| c.path.len() == path.len() + 1 && c.path[..path.len()] == *path).collect();
        let width = subs.iter().map(|c| c.path[path.len()].len()).max().unwrap_or(0);
        for c in subs {
            out.push_str(&format!("  {:width$}  {}\n", c.path[path.len()], c.help));
        }
    }
    out.push_str(&format!("\nGlobal Flags:\n{}", flag_lines(&GLOBAL_FLAGS.iter().collect::<Vec<_>>())));
    if !command.runnable {
        out.push_str(&format!("\nUse \"{} [command] --help\" for more information about a command.\n", path.join(" ")));
    }
    out
}

fn flag_lines(flags: &[&FlagSpec]) -> String {
    let names: Vec<String> = flags
        .iter()
        .map(|f| {
            let short = f.short.map_or("    ".to_owned(), |s| format!("-{s}, "));
            format!("{short}--{}{}", f.long, f.value.map_or(String::new(), |v| format!(" {v}")))
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    names.iter().zip(flags).map(|(n, f)| format!("  {n:width$}   {}\n", f.help)).collect()
}
