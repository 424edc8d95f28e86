//! The Confluent CLI of the lecture against franz clusters: the lecture's whole command sequence (human and JSON
//! output), every flag, help and errors, API keys, and random input that must never panic the interpreter.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use franz::core::acl::authorizer::Client as AuthClient;
use franz::core::cli::{cluster_authorizer, Cli, CliError, CliState, Clusters, Effect, Reply, Stream, COMMANDS};
use franz::core::cluster::Cluster;
use franz::core::error::Error;
use franz::core::groups::Reply as GroupReply;
use franz::core::protocol::{Request, Response};
use proptest::prelude::*;
use serde_json::Value;

const T0: i64 = 1_700_000_000_000;

/// The shell's part, natively: franz clusters in memory, created and deleted as the CLI asks.
#[derive(Default, Clone)]
struct Tab {
    clusters: BTreeMap<String, Cluster>,
    now: i64,
    /// Group replies for members other than the one asking.
    mail: Vec<GroupReply>,
}

impl Clusters for Tab {
    fn call_as(&mut self, cluster: &str, principal: &str, request: Request) -> Result<Response, Error> {
        let c =
            self.clusters.get_mut(cluster).ok_or_else(|| Error::BrokerNotAvailable(format!("no cluster {cluster}")))?;
        let client = AuthClient { principal: principal.into(), host: "127.0.0.1".into() };
        c.handle_as(&client, request, self.now)
    }

    fn group_replies(&mut self, cluster: &str, member_id: &str) -> Vec<GroupReply> {
        let Some(c) = self.clusters.get_mut(cluster) else { return Vec::new() };
        self.mail.extend(c.groups.take_replies());
        let (mine, others) = std::mem::take(&mut self.mail).into_iter().partition(|r| match r {
            GroupReply::Join { member_id: m, .. } | GroupReply::Sync { member_id: m, .. } => m == member_id,
        });
        self.mail = others;
        mine
    }
}

#[derive(Clone)]
struct Session {
    cli: Cli,
    tab: Tab,
    stream: Option<Stream>,
}

impl Session {
    fn new() -> Session {
        Session { cli: Cli::new(CliState::default(), 7), tab: Tab { now: T0, ..Tab::default() }, stream: None }
    }

    fn run(&mut self, line: &str) -> Result<Reply, CliError> {
        self.tab.now += 10;
        let now = self.tab.now;
        // A new command ends a consume still running, as Ctrl-C does in the terminal.
        if let Some(Stream::Consume(mut s)) = self.stream.take() {
            s.stop(&mut self.tab, now);
        }
        let reply = self.cli.run(line, &mut self.tab, now)?;
        for effect in &reply.effects {
            match effect {
                Effect::CreateCluster { id, brokers, racks } => {
                    let mut cluster = Cluster::new(*brokers, 1);
                    cluster.set_authorizer(Some(cluster_authorizer()));
                    cluster.set_racks(&racks.iter().cloned().map(Some).collect::<Vec<_>>()).unwrap();
                    self.tab.clusters.insert(id.clone(), cluster);
                    self.cli.provisioned(id);
                }
                Effect::DeleteCluster { id } => {
                    self.tab.clusters.remove(id);
                }
            }
        }
        self.stream = reply.stream.clone();
        Ok(reply)
    }

    fn ok(&mut self, line: &str) -> String {
        self.run(line).unwrap_or_else(|e| panic!("{line}: {}", e.text())).output
    }

    fn err(&mut self, line: &str) -> CliError {
        match self.run(line) {
            Ok(r) => panic!("{line} should fail, printed {}", r.output),
            Err(e) => e,
        }
    }

    fn json(&mut self, line: &str) -> Value {
        let out = self.ok(line);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{line}: not JSON ({e}): {out}"))
    }

    fn produce(&mut self, lines: &[&str]) {
        let Some(Stream::Produce(mut s)) = self.stream.take() else { panic!("not producing") };
        for line in lines {
            s.send(&mut self.tab, line, T0).unwrap_or_else(|e| panic!("{}", e.text()));
        }
    }

    fn consume(&mut self) -> Vec<String> {
        let Some(Stream::Consume(mut s)) = self.stream.take() else { panic!("not consuming") };
        let now = self.tab.now;
        let lines = s.poll(&mut self.tab, now).unwrap_or_else(|e| panic!("{}", e.text()));
        self.stream = Some(Stream::Consume(s));
        lines
    }

    /// Logged in, with an environment and a 3-broker cluster in use.
    fn with_cluster() -> (Session, String) {
        let mut s = Session::new();
        s.ok("confluent login");
        let env = s.json("confluent environment create dev -o json")["id"].as_str().unwrap().to_owned();
        s.ok(&format!("confluent environment use {env}"));
        let lkc = s.json("confluent kafka cluster create c1 --cloud gcp --region us-west1 -o json")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        s.ok(&format!("confluent kafka cluster use {lkc}"));
        (s, lkc)
    }

    /// [`Session::with_cluster`], and an API key for the cluster in use.
    fn ready() -> (Session, String) {
        let (mut s, lkc) = Session::with_cluster();
        let key = s.json(&format!("confluent api-key create --resource {lkc} -o json"))["api_key"]
            .as_str()
            .unwrap()
            .to_owned();
        s.ok(&format!("confluent api-key use {key} --resource {lkc}"));
        (s, lkc)
    }
}

#[test]
fn the_lectures_whole_sequence() {
    let mut s = Session::new();
    assert!(s.ok("confluent login").contains("Logged in as"));

    let env = s.json("confluent environment create msds682 -o json");
    let keys: Vec<&str> = env.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["is_current", "id", "name", "stream_governance_package"], "the lecture's order");
    assert_eq!(
        (env["is_current"].as_bool(), env["name"].as_str(), env["stream_governance_package"].as_str()),
        (Some(false), Some("msds682"), Some("ESSENTIALS"))
    );
    let env_id = env["id"].as_str().unwrap().to_owned();
    assert!(env_id.starts_with("env-") && env_id.len() == 10, "{env_id}");
    assert_eq!(s.ok(&format!("confluent environment use {env_id}")), format!("Using environment {env_id:?}.\n"));

    let created = s.ok("confluent kafka cluster create day2 --cloud gcp --region us-west1");
    for field in [
        "| Current ",
        "| ID ",
        "| Name ",
        "| Type ",
        "| Ingress Limit (MB/s) ",
        "| Egress Limit (MB/s) ",
        "| Storage ",
        "| Cloud ",
        "| Region ",
        "| Availability ",
        "| Status ",
        "| Endpoint ",
        "| REST Endpoint ",
    ] {
        assert!(created.contains(field), "{field} in\n{created}");
    }
    assert!(
        created.contains("| BASIC ")
            && created.contains("| PROVISIONING ")
            && created.contains("| us-west1 ")
            && created.contains("| 5 TB ")
    );
    let lkc = created.lines().find(|l| l.starts_with("| ID ")).unwrap().split('|').nth(2).unwrap().trim().to_owned();
    assert!(lkc.starts_with("lkc-"));
    let described = s.json(&format!("confluent kafka cluster describe {lkc} -o json"));
    assert_eq!(described["status"], "UP", "provisioned once the shell made its storage");
    assert_eq!(described["endpoint"], format!("SASL_SSL://{lkc}.us-west1.gcp.franz.local:9092"));

    let key =
        s.json(&format!("confluent api-key create --description \"MSDS682 credentials\" --resource {lkc} -o json"));
    let (api_key, secret) =
        (key["api_key"].as_str().unwrap().to_owned(), key["api_secret"].as_str().unwrap().to_owned());
    assert_eq!((api_key.len(), secret.len()), (16, 64));
    let state = serde_json::to_string(&s.cli.state).unwrap();
    assert!(!state.contains(&secret), "the secret is never stored");
    assert_eq!(
        s.ok(&format!("confluent api-key use {api_key} --resource {lkc}")),
        format!("Using API Key {api_key:?}.\n")
    );

    s.ok(&format!("confluent kafka cluster use {lkc}"));
    assert_eq!(s.ok("confluent kafka topic create orders"), "Created topic \"orders\".\n");
    let topics = s.json("confluent kafka topic list -o json");
    assert_eq!(
        topics,
        serde_json::json!([{ "name": "orders", "is_internal": false, "replication_factor": 3, "partition_count": 6 }])
    );

    assert!(s.ok("confluent kafka topic produce orders").starts_with("Starting Kafka Producer"));
    s.produce(&["first", "second", "third"]);
    assert!(s.ok("confluent kafka topic consume orders -b").starts_with("Starting Kafka Consumer"));
    let mut read = s.consume();
    read.sort();
    assert_eq!(read, ["first", "second", "third"], "every message, from the beginning");
    assert!(s.consume().is_empty(), "nothing new");

    assert_eq!(s.ok("confluent kafka topic delete orders"), "Deleted topic \"orders\".\n");
    assert_eq!(s.ok(&format!("confluent kafka cluster delete {lkc}")), format!("Deleted Kafka cluster {lkc:?}.\n"));
    assert!(s.tab.clusters.is_empty(), "the cluster's storage is gone");
    assert_eq!(s.ok(&format!("confluent environment delete {env_id}")), format!("Deleted environment {env_id:?}.\n"));
    assert_eq!(s.json("confluent environment list -o json"), serde_json::json!([]));
}

#[test]
fn human_lists_are_aligned_like_the_real_cli() {
    let mut s = Session::new();
    s.ok("confluent login");
    let a = s.json("confluent environment create alpha -o json")["id"].as_str().unwrap().to_owned();
    s.ok("confluent environment create beta --governance-package advanced");
    s.ok(&format!("confluent environment use {a}"));
    let list = s.ok("confluent environment list");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines[0].trim(), "Current |     ID     | Name  | Stream Governance Package");
    assert!(lines[1].starts_with("----------+------------+-------+"));
    assert!(lines[2].starts_with(&format!("  *       | {a} | alpha | ESSENTIALS")), "{list}");
    assert!(lines[3].ends_with("| beta  | ADVANCED"), "{list}");
    let yaml = s.ok("confluent environment list -o yaml");
    assert!(yaml.starts_with(&format!("- is_current: true\n  id: {a}\n  name: alpha\n")), "{yaml}");
}

#[test]
fn producing_needs_an_api_key_and_a_wrong_secret_is_refused() {
    let (mut s, lkc) = Session::with_cluster();
    s.ok("confluent kafka topic create t --partitions 1");
    let e = s.err("confluent kafka topic produce t");
    assert_eq!(e.name, "SASL_AUTHENTICATION_FAILED");
    assert!(
        e.text().contains(&format!("confluent api-key use <API_KEY> --resource {lkc}")),
        "the exact fix: {}",
        e.text()
    );
    assert!(e.text().contains(&format!("confluent api-key create --resource {lkc}")));
    let key = s.json(&format!("confluent api-key create --resource {lkc} -o json"));
    let (k, secret) = (key["api_key"].as_str().unwrap().to_owned(), key["api_secret"].as_str().unwrap().to_owned());
    let wrong = s.err(&format!("confluent kafka topic produce t --api-key {k} --api-secret nope"));
    assert_eq!(wrong.name, "SASL_AUTHENTICATION_FAILED");
    s.ok(&format!("confluent kafka topic produce t --api-key {k} --api-secret {secret}"));
    s.ok(&format!("confluent api-key use {k}"));
    // A new session (a reload) knows only the hash: the key must be stored again, with the right secret.
    let state = s.cli.state.clone();
    s.cli = Cli::new(state, 8);
    let e = s.err("confluent kafka topic produce t");
    assert!(e.name == "SASL_AUTHENTICATION_FAILED" && e.text().contains("confluent api-key store"), "{}", e.text());
    assert!(s.err(&format!("confluent api-key use {k}")).text().contains("confluent api-key store"));
    assert_eq!(s.err(&format!("confluent api-key store {k} wrong")).name, "SASL_AUTHENTICATION_FAILED");
    s.ok(&format!("confluent api-key store {k} {secret} --resource {lkc}"));
    s.ok(&format!("confluent api-key use {k}"));
    s.ok("confluent kafka topic produce t --parse-key");
    s.produce(&["alice:hi"]);
    let listed = s.json("confluent api-key list -o json");
    assert_eq!(
        (listed[0]["key"].as_str(), listed[0]["is_current"].as_bool(), listed[0]["resource_id"].as_str()),
        (Some(k.as_str()), Some(true), Some(lkc.as_str()))
    );
    s.ok(&format!("confluent api-key delete {k}"));
    assert_eq!(s.err("confluent kafka topic produce t").name, "SASL_AUTHENTICATION_FAILED");
}

#[test]
fn every_flag_does_what_it_says() {
    let (mut s, lkc) = Session::ready();
    // topic create: partitions, config, dry-run, if-not-exists, cluster.
    assert!(s.ok("confluent kafka topic create t --partitions 2 --config retention.ms=60000,cleanup.policy=compact --dry-run").starts_with("[DRY RUN]"));
    assert!(s.json("confluent kafka topic list -o json").as_array().unwrap().is_empty(), "a dry run creates nothing");
    s.ok(&format!("confluent kafka topic create t --partitions 2 --config retention.ms=60000 --cluster {lkc}"));
    assert_eq!(s.ok("confluent kafka topic create t --if-not-exists"), "");
    assert_eq!(s.err("confluent kafka topic create t").name, "TOPIC_ALREADY_EXISTS");
    let d = s.json("confluent kafka topic describe t -o json");
    assert_eq!((d["partition_count"].as_u64(), d["config"]["retention.ms"].as_str()), (Some(2), Some("60000")));
    // topic update.
    let updated = s.json("confluent kafka topic update t --config retention.ms=1000 -o json");
    assert_eq!(updated[0]["value"], "1000");
    assert_eq!(s.json("confluent kafka topic describe t -o json")["config"]["retention.ms"], "1000");
    s.ok("confluent kafka topic update t --config retention.ms=-1");
    // produce: parse-key, delimiter.
    s.ok("confluent kafka topic produce t --parse-key --delimiter =");
    s.produce(&["alice=one", "bob=two", "alice=three"]);
    // consume: from-beginning, print-key, delimiter, timestamp, partition, offset, group.
    s.ok("confluent kafka topic consume t -b --print-key --delimiter , --group readers");
    let mut lines = s.consume();
    lines.sort();
    assert_eq!(lines, ["alice,one", "alice,three", "bob,two"]);
    s.ok("confluent kafka topic consume t --group readers --from-beginning");
    assert!(s.consume().is_empty(), "the group's committed offsets come first: nothing left to read");
    let alice = franz::core::partitioner::partition_for_key(b"alice", 2);
    s.ok(&format!("confluent kafka topic consume t --partition {alice} --offset 1 --timestamp"));
    assert_eq!(s.consume(), [format!("Timestamp:{T0}\tthree")]);
    // The key, then what --timestamp and --print-offset add, then the value, as the Confluent CLI prints them.
    s.ok(&format!(
        "confluent kafka topic consume t --partition {alice} --offset 1 --timestamp --print-offset --print-key"
    ));
    assert_eq!(s.consume(), [format!("alice\tTimestamp:{T0} Partition:{alice} Offset:1\tthree")]);
    // Headers: sent with every message; printed after it, long values shortened unless --full-header.
    s.ok("confluent kafka topic create h");
    let long = "x".repeat(70);
    s.ok(&format!(
        "confluent kafka topic produce h --headers 'source:web,trace-id:a=b,empty:,quote:say \"hi\",long:{long}'"
    ));
    s.produce(&["with headers"]);
    s.ok("confluent kafka topic consume h -b");
    let shortened = format!(
        r#"% Headers: [source="web" trace-id="a=b" empty=<empty> quote="say \"hi\"" long="{}"(20 more bytes)]"#,
        "x".repeat(50)
    );
    assert_eq!(s.consume(), ["with headers".to_owned(), shortened]);
    s.ok("confluent kafka topic consume h -b --full-header");
    let full = format!(r#"% Headers: [source="web" trace-id="a=b" empty=<empty> quote="say "hi"" long="{long}"]"#);
    assert_eq!(s.consume(), ["with headers".to_owned(), full]);
    for bad in ["nokey", ":value", "ok:1,,"] {
        let e = s.err(&format!("confluent kafka topic produce h --headers {bad}"));
        assert!(e.message.contains("a header is formatted as \"key:value\""), "{bad}: {}", e.message);
    }
    let group = s.json("confluent kafka consumer group describe readers -o json");
    assert_eq!(group["consumer_group_id"], "readers");
    assert!(group["partitions"].as_array().unwrap().iter().all(|p| p["lag"] == 0), "{group}");
    let groups = s.json("confluent kafka consumer group list -o json");
    assert_eq!(groups[0]["consumer_group_id"], "readers");
    // cluster create: type, availability, brokers, environment.
    let env = s.cli.state.current_environment.clone().unwrap();
    assert!(s
        .err("confluent kafka cluster create r --cloud gcp --region r1 --racks a,b")
        .message
        .contains("one rack per broker"));
    let c = s.json(&format!("confluent kafka cluster create big --cloud azure --region westeurope --type standard --availability multi-zone --brokers 5 --racks a,a,b,b,c --environment {env} -o json"));
    assert_eq!(c["racks"], "a,a,b,b,c");
    assert_eq!(
        (c["type"].as_str(), c["availability"].as_str(), c["brokers"].as_u64(), c["storage"].as_str()),
        (Some("STANDARD"), Some("multi-zone"), Some(5), Some("Infinite"))
    );
    assert_eq!(
        s.json(&format!("confluent kafka cluster list --environment {env} -o json")).as_array().unwrap().len(),
        2
    );
    // franz extras.
    let brokers = s.json("franz broker list -o json");
    assert_eq!(brokers.as_array().unwrap().len(), 3);
    let configs = s.json("franz broker describe 2 -o json");
    let id = configs.as_array().unwrap().iter().find(|c| c["name"] == "broker.id").unwrap();
    assert_eq!((id["value"].as_str(), id["is_read_only"].as_bool()), (Some("2"), Some(true)));
    let picked = s.json("franz broker describe 1 --config-name replica.lag.time.max.ms -o json");
    assert_eq!(picked[0]["value"], "3000", "{picked}");
    assert_eq!(picked.as_array().unwrap().len(), 1);
    assert_eq!(s.err("franz broker describe 7").name, "INVALID_REQUEST");
    s.ok("franz broker kill 2");
    assert_eq!(s.json("franz broker list -o json")[1]["status"], "DOWN");
    assert_eq!(s.err("franz broker kill 2").name, "BROKER_NOT_AVAILABLE");
    s.ok("franz broker restart 2");
    assert!(s.ok("franz topic lint Orders").contains("use lowercase only"));
    assert!(s.ok("franz topic lint dev_sales.orders.v1").contains("follows the naming conventions"));
    assert_eq!(s.err("franz topic lint bad/name").name, "INVALID_TOPIC_EXCEPTION");
    let e = s.ok(
        "franz partitions estimate --target-mbps 200 --producer-mbps 15 --consumer-mbps 20 --producers 4 --consumers 6",
    );
    assert!(
        e.contains("Partitions: 14") && e.contains("= 3.33") && e.contains("= 1.67") && e.contains("Partitions: 4 "),
        "{e}"
    );
    let j = s.json("franz partitions estimate --target-mbps 200 --producer-mbps 15 --consumer-mbps 20 --producers 4 --consumers 6 -o json");
    assert_eq!((j["partitions"].as_u64(), j["lecture"]["partitions"].as_u64()), (Some(14), Some(4)));
    // environment and cluster describe default to what is in use; delete with --force.
    assert_eq!(s.json("confluent environment describe -o json")["is_current"], true);
    assert_eq!(s.json("confluent kafka cluster describe -o json")["id"], lkc);
    s.ok("confluent kafka topic delete t --force");
    s.ok(&format!("confluent kafka cluster delete {lkc} --force"));
    let key = s.json(&format!("confluent api-key create --resource {} -o json", c["id"].as_str().unwrap()))["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    s.ok(&format!("confluent api-key delete {key} --force"));
    s.ok(&format!("confluent environment delete {env} --force"));
    s.ok("confluent logout");
    assert!(s.err("confluent environment list").text().contains("confluent login"));
}

/// The console consumer reads `read_committed` by default, as librdkafka (the Confluent CLI's client) does, and
/// `--config isolation.level=read_uncommitted` reads open and aborted transactions' records too.
#[test]
fn the_console_consumer_reads_committed_records_unless_its_config_says_otherwise() {
    use franz::core::log::ProducerBatch;
    use franz::core::record::Record;
    use franz::core::txn::{TxnCall, TxnRequest};
    let (mut s, lkc) = Session::ready();
    s.ok("confluent kafka topic create z --partitions 1");
    s.ok("confluent kafka topic produce z");
    s.produce(&["plain"]);
    let init = Request::InitProducerId { transactional_id: Some("tx".into()), timeout_ms: 60_000 };
    let Ok(Response::InitProducerId { producer_id, epoch }) = s.tab.call(&lkc, init) else { panic!("an id") };
    let call = |request| Request::Txn(TxnCall { transactional_id: "tx".into(), producer_id, epoch, request });
    for (sequence, (value, commit)) in
        [("aborted", Some(false)), ("committed", Some(true)), ("open", None)].into_iter().enumerate()
    {
        s.tab.call(&lkc, call(TxnRequest::AddPartitions { partitions: vec![("z".into(), 0)] })).unwrap();
        let batch = ProducerBatch { producer_id, epoch, base_sequence: sequence as i32, count: 1, transactional: true };
        let cluster = s.tab.clusters.get_mut(&lkc).unwrap();
        cluster.produce_records("z", 0, vec![Record::new(value, T0)], Some(batch), T0).unwrap();
        if let Some(commit) = commit {
            s.tab.call(&lkc, call(TxnRequest::End { commit })).unwrap();
        }
    }
    s.ok("confluent kafka topic consume z -b");
    assert_eq!(s.consume(), ["plain", "committed"], "read_committed: neither aborted nor open records");
    s.ok("confluent kafka topic consume z -b --config isolation.level=read_uncommitted");
    assert_eq!(s.consume(), ["plain", "aborted", "committed", "open"], "markers are never printed");
    let e = s.err("confluent kafka topic consume z --config isolation.level=dirty");
    assert!(e.message.contains("isolation.level") && e.text().contains("read_uncommitted"), "{}", e.text());
    let e = s.err("confluent kafka topic consume z --config fetch.min.bytes=5");
    assert!(e.message.contains("fetch.min.bytes"), "{}", e.text());
}

#[test]
fn the_console_producer_compresses_as_its_config_says() {
    use franz::core::protocol::FetchPartition;
    use franz::core::record::{BatchHeader, Compression};
    let (mut s, lkc) = Session::ready();
    s.ok("confluent kafka topic create z --partitions 1");
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        s.ok(&format!("confluent kafka topic produce z --config compression.type={codec}"));
        s.produce(&[codec]);
    }
    let fetch = Request::Fetch {
        partitions: vec![FetchPartition { topic: "z".into(), partition: 0, offset: 0, max_bytes: 1 << 20 }],
        min_bytes: 1,
        max_bytes: 1 << 20,
        max_wait_ms: 0,
        rack: None,
        isolation: franz::core::protocol::Isolation::ReadUncommitted,
    };
    let Ok(Response::Fetch(answers)) = s.tab.call(&lkc, fetch) else { panic!("a fetch") };
    let codecs: Vec<Compression> = answers[0]
        .result
        .as_ref()
        .unwrap()
        .batches
        .iter()
        .map(|b| BatchHeader::parse(b).unwrap().attributes.compression().unwrap())
        .collect();
    let expected = [Compression::None, Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd];
    assert_eq!(codecs, expected, "each line a batch in its producer's codec");
    s.ok("confluent kafka topic consume z -b");
    assert_eq!(s.consume(), ["none", "gzip", "snappy", "lz4", "zstd"]);
    let e = s.err("confluent kafka topic produce z --config compression.type=brotli");
    assert!(e.message.contains("compression.type") && e.text().contains("zstd"), "{}", e.text());
    let e = s.err("confluent kafka topic produce z --config linger.ms=5");
    assert!(e.message.contains("linger.ms"), "{}", e.text());
}

#[test]
fn partitions_move_between_brokers_from_the_cli() {
    let (mut s, _) = Session::ready();
    s.ok("confluent kafka topic create m --partitions 1");
    let moved = s.ok("franz partition reassign m --partition 0 --replicas 2,1");
    assert!(moved.starts_with("Reassigning partition 0 of topic \"m\" to brokers [2, 1]"), "{moved}");
    assert_eq!(
        s.json("franz partition list-reassignments -o json"),
        serde_json::json!([]),
        "done at once: all in sync"
    );
    assert_eq!(
        s.json("confluent kafka topic describe m -o json")["partitions"][0]["replicas"],
        serde_json::json!([2, 1])
    );

    s.ok("franz broker kill 3");
    s.ok("franz partition reassign m --replicas 3,1,2");
    let moving = s.json("franz partition list-reassignments -o json");
    assert_eq!(
        moving,
        serde_json::json!([{ "topic": "m", "partition": 0, "replicas": [3, 1, 2], "adding_replicas": [3], "removing_replicas": [] }]),
        "a dead broker never catches up"
    );
    assert!(s.ok("franz partition list-reassignments").contains("| [3]"), "the human table shows who joins");
    let view = s.cli.view(&mut s.tab).unwrap();
    let partition = &view["topics"].as_array().unwrap().iter().find(|t| t["name"] == "m").unwrap()["partitions"][0];
    assert_eq!((&partition["adding"], &partition["removing"]), (&serde_json::json!([3]), &serde_json::json!([])));
    assert!(s.ok("franz partition reassign m --cancel").starts_with("Cancelled the reassignment"));
    assert_eq!(s.json("franz partition list-reassignments -o json"), serde_json::json!([]));

    assert_eq!(s.err("franz partition reassign m --replicas 1,9").name, "INVALID_REPLICA_ASSIGNMENT");
    assert_eq!(s.err("franz partition reassign m --cancel").name, "NO_REASSIGNMENT_IN_PROGRESS");
    assert_eq!(s.err("franz partition reassign m --partition 4 --replicas 1").name, "UNKNOWN_TOPIC_OR_PARTITION");
    for bad in ["--replicas 1 --cancel", "", "--replicas one"] {
        let e = s.err(&format!("franz partition reassign m {bad}"));
        assert_eq!(e.name, "USAGE", "{bad:?}: {}", e.text());
    }
}

#[test]
fn service_accounts_do_what_their_acls_allow() {
    let (mut s, lkc) = Session::with_cluster();
    s.ok("confluent kafka topic create orders --partitions 2");
    s.ok("confluent kafka topic create payroll --partitions 1");
    let sa = s.json("confluent iam service-account create billing-app --description \"reads orders\" -o json");
    let id = sa["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sa-") && sa["name"] == "billing-app" && sa["description"] == "reads orders", "{sa}");
    assert!(s.ok("confluent iam service-account list").contains("billing-app"));
    assert_eq!(s.json(&format!("confluent iam service-account describe {id} -o json"))["id"], id.as_str());
    assert_eq!(s.err("confluent iam service-account create billing-app").name, "USAGE", "names are unique");
    let key = s.json(&format!("confluent api-key create --resource {lkc} --service-account {id} -o json"));
    let (k, secret) = (key["api_key"].as_str().unwrap().to_owned(), key["api_secret"].as_str().unwrap().to_owned());
    let as_app = format!("--api-key {k} --api-secret {secret}");
    assert_eq!(s.json("confluent api-key list -o json")[0]["owner"], id.as_str());

    // Without ACLs, the service account may do nothing; the error says how to grant it.
    let e = s.err(&format!("confluent kafka topic produce orders {as_app}"));
    assert_eq!(e.name, "TOPIC_AUTHORIZATION_FAILED", "{}", e.text());
    assert!(e.text().contains("confluent kafka acl create --allow --service-account"), "{}", e.text());

    let created = s.json(&format!("confluent kafka acl create --allow --service-account {id} --operations write,read --topic ord --prefix -o json"));
    assert_eq!(created.as_array().map(Vec::len), Some(2), "one ACL per operation: {created}");
    assert_eq!(
        (
            &created[0]["principal"],
            &created[0]["permission"],
            &created[0]["resource_name"],
            &created[0]["pattern_type"]
        ),
        (
            &serde_json::json!(format!("User:{id}")),
            &serde_json::json!("ALLOW"),
            &serde_json::json!("ord"),
            &serde_json::json!("PREFIXED")
        )
    );
    s.ok(&format!("confluent kafka acl create --allow --principal User:{id} --operations read --consumer-group billing --cluster {lkc}"));
    s.ok(&format!("confluent kafka topic produce orders --parse-key {as_app}"));
    s.produce(&["alice:order-1"]);
    s.ok(&format!("confluent kafka topic consume orders -b --group billing --print-key {as_app}"));
    assert_eq!(s.consume(), ["alice\torder-1"]);
    assert_eq!(s.err(&format!("confluent kafka topic produce payroll {as_app}")).name, "TOPIC_AUTHORIZATION_FAILED");
    // Another group: the consumer starts, and its first poll (joining the group) is refused.
    s.ok(&format!("confluent kafka topic consume orders --group other {as_app}"));
    let Some(Stream::Consume(mut other)) = s.stream.take() else { panic!("not consuming") };
    let e = other.poll(&mut s.tab, T0).unwrap_err();
    assert_eq!(e.name, "GROUP_AUTHORIZATION_FAILED", "{}", e.text());

    // A deny wins; listing filters by principal and resource; deleting takes access away.
    s.ok(&format!("confluent kafka acl create --deny --service-account {id} --operations write --topic orders"));
    s.ok(&format!("confluent kafka topic produce orders {as_app}")); // describing it is still allowed
    let Some(Stream::Produce(mut denied)) = s.stream.take() else { panic!("not producing") };
    assert_eq!(denied.send(&mut s.tab, "x", T0).unwrap_err().name, "TOPIC_AUTHORIZATION_FAILED");
    s.ok(&format!(
        "confluent kafka acl create --allow --service-account {id} --operations idempotent-write --cluster-scope"
    ));
    s.ok(&format!(
        "confluent kafka acl create --allow --service-account {id} --operations describe --transactional-id tx"
    ));
    assert_eq!(s.json("confluent kafka acl list -o json").as_array().map(Vec::len), Some(6));
    assert_eq!(s.json("confluent kafka acl list --topic orders -o json").as_array().map(Vec::len), Some(1));
    assert_eq!(s.json("confluent kafka acl list --topic ord --prefix -o json").as_array().map(Vec::len), Some(2));
    assert_eq!(s.json("confluent kafka acl list --principal User:nobody -o json"), serde_json::json!([]));
    let listed = s.ok(&format!("confluent kafka acl list --service-account {id}"));
    assert!(
        listed.contains("Principal    | Permission")
            && listed.contains("TRANSACTIONAL_ID")
            && listed.contains("kafka-cluster"),
        "{listed}"
    );
    let deleted = s.ok(&format!(
        "confluent kafka acl delete --deny --service-account {id} --operations write --topic orders --force"
    ));
    assert!(deleted.starts_with("Deleted 1 ACL(s)."), "{deleted}");
    s.ok(&format!("confluent kafka topic produce orders {as_app}"));
    assert!(s
        .ok(&format!(
            "confluent kafka acl delete --allow --principal User:{id} --operations read --consumer-group none"
        ))
        .starts_with("Deleted 0 ACL(s)."));

    for bad in [
        format!("--allow --deny --service-account {id} --operations read --topic t"),
        format!("--service-account {id} --operations read --topic t"),
        format!("--allow --service-account {id} --topic t"),
        format!("--allow --service-account {id} --operations read,fly --topic t"),
        format!("--allow --service-account {id} --operations read"),
        format!("--allow --service-account {id} --operations read --topic t --consumer-group g"),
        format!("--allow --service-account {id} --operations alter --cluster-scope --prefix"),
        "--allow --operations read --topic t".into(),
        "--allow --service-account sa-none --operations read --topic t".into(),
        "--allow --principal alice --operations read --topic t".into(),
        format!("--allow --service-account {id} --principal User:x --operations read --topic t"),
    ] {
        let e = s.err(&format!("confluent kafka acl create {bad}"));
        assert_eq!(e.name, "USAGE", "{bad}: {}", e.text());
    }
    // Deleting the account deletes its keys.
    assert!(s.ok(&format!("confluent iam service-account delete {id} --force")).contains("1 API key(s)"));
    assert_eq!(s.err(&format!("confluent kafka topic produce orders {as_app}")).name, "SASL_AUTHENTICATION_FAILED");
    assert_eq!(s.err(&format!("confluent api-key create --resource {lkc} --service-account {id}")).name, "USAGE");
}

#[test]
fn every_flag_of_every_command_is_exercised_above() {
    let source = include_str!("cli.rs");
    for c in COMMANDS.iter().filter(|c| c.runnable) {
        for f in c.flags {
            let used = source.contains(&format!("--{} ", f.long))
                || source.contains(&format!("--{}\"", f.long))
                || source.contains(&format!("--{}=", f.long));
            assert!(used, "--{} of `{}` is never used in these tests", f.long, c.path.join(" "));
        }
    }
}

#[test]
fn bad_input_gets_kafka_named_errors_and_suggestions() {
    let (mut s, _) = Session::ready();
    let e = s.err("confluent kafka tpoic list");
    assert!(
        e.message.contains("unknown command \"tpoic\" for \"confluent kafka\"")
            && e.message.contains("Did you mean this?\n\ttopic"),
        "{}",
        e.text()
    );
    let e = s.err("confluent kafka topic create t --partitons 3");
    assert!(e.message.contains("unknown flag: --partitons") && e.message.contains("--partitions"), "{}", e.text());
    let e = s.err("confluent kafka topic create");
    assert!(e.message.contains("missing <topic>"), "{}", e.text());
    assert_eq!(s.err("confluent kafka topic create t --partitions 0").name, "INVALID_PARTITIONS");
    let e = s.err("confluent kafka topic create t --replication-factor 4");
    assert_eq!(e.name, "INVALID_REPLICATION_FACTOR");
    assert!(
        e.text().contains("larger than available brokers: 3")
            && e.text().contains("cannot exceed the number of live brokers"),
        "{}",
        e.text()
    );
    assert_eq!(s.err("confluent kafka topic create bad/name").name, "INVALID_TOPIC_EXCEPTION");
    let e = s.err("confluent kafka topic create t --config retention.bogus=1");
    assert_eq!(e.name, "INVALID_CONFIG");
    assert!(e.suggestion.is_some(), "a plain-English line too");
    assert_eq!(s.err("confluent kafka topic create t --config nonsense").name, "USAGE");
    assert_eq!(s.err("confluent kafka topic describe nope").name, "UNKNOWN_TOPIC_OR_PARTITION");
    assert!(s
        .err("confluent kafka cluster create x --cloud mars --region r")
        .message
        .contains("\"aws\", \"azure\", or \"gcp\""));
    assert!(s.err("confluent kafka cluster create x --region r").message.contains("required flag \"cloud\""));
    assert!(s.err("confluent kafka cluster create x --cloud gcp --region r --brokers 99").message.contains("1 to 9"));
    assert!(s.err("confluent environment list -o xml").message.contains("\"human\", \"json\", or \"yaml\""));
    assert!(s.err("confluent kafka topic create t --dry-run=maybe").message.contains("takes no value"));
    assert!(s.err("confluent kafka topic create t --partitions").message.contains("flag needs an argument"));
    assert!(s.err("confluent environment use env-nope").text().contains("confluent environment list"));
    assert!(s.err("confluent kafka topic create 'unterminated").message.contains("unterminated quote"));
    assert!(s.err("kafka-topics --list").message.contains("unknown command"));
    assert!(s
        .err("franz partitions estimate --target-mbps 200 --producer-mbps 0 --consumer-mbps 1")
        .message
        .contains("positive"));
}

#[test]
fn every_command_and_group_has_help() {
    let mut s = Session::new();
    for c in COMMANDS {
        let line = format!("{} --help", c.path.join(" "));
        let help = s.ok(&line);
        assert!(help.starts_with(c.help) && help.contains("Usage:"), "{line}:\n{help}");
        if c.runnable {
            assert!(help.contains(&c.usage()), "{line}");
            for f in c.flags {
                assert!(help.contains(&format!("--{}", f.long)), "{line} lists --{}", f.long);
            }
        } else {
            assert!(help.contains("Available Commands:"), "{line}");
        }
    }
    assert!(s.ok("confluent kafka").contains("Available Commands:\n  cluster"), "a group alone prints its help");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn nothing_typed_panics_the_interpreter(words in proptest::collection::vec(
        prop_oneof![
            Just("confluent".to_owned()), Just("franz".to_owned()), Just("kafka".to_owned()), Just("topic".to_owned()),
            Just("create".to_owned()), Just("list".to_owned()), Just("-o".to_owned()), Just("json".to_owned()),
            Just("--partitions".to_owned()), Just("--config".to_owned()), Just("-b".to_owned()), Just("'".to_owned()),
            Just("--".to_owned()), Just("=".to_owned()), Just("consume".to_owned()), Just("api-key".to_owned()),
            "[ -~]{0,12}", "-{1,2}[a-z=]{0,8}", "[0-9-]{1,4}",
        ],
        0..9,
    )) {
        thread_local!(static READY: Session = Session::ready().0);
        let mut s = READY.with(Session::clone);
        let line = words.join(" ");
        let _ = s.run(&line);
        let _ = s.run(&format!("confluent {line}"));
        let _ = s.run(&format!("confluent kafka topic {line}"));
    }
}

#[test]
fn the_live_view_shows_brokers_replicas_records_and_groups() {
    let (mut s, lkc) = Session::ready();
    s.ok("confluent kafka topic create orders --partitions 1");
    s.ok("confluent kafka topic produce orders");
    s.produce(&["a", "b", "c", "d"]);
    s.ok("confluent kafka topic consume orders -b --group g");
    s.consume();
    let view = s.cli.view(&mut s.tab).expect("a cluster is in use");
    assert_eq!(view["cluster"]["id"], lkc);
    assert_eq!(view["brokers"].as_array().unwrap().iter().filter(|b| b["alive"] == true).count(), 3);
    let p = &view["topics"][0]["partitions"][0];
    assert_eq!((p["highWatermark"].as_i64(), p["logEndOffsets"].as_array().unwrap().len()), (Some(4), 3));
    let states = |p: &Value| -> Vec<String> {
        p["replicaStates"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
    };
    let mut healthy = states(p);
    healthy.sort();
    assert_eq!(healthy, ["follower", "follower", "leader"]);
    let last: Vec<&str> = p["last"].as_array().unwrap().iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(last, ["b", "c", "d"], "the newest three records");
    assert_eq!(p["last"][0]["headers"], serde_json::json!([]));
    assert_eq!(
        (view["groups"][0]["group"].as_str(), view["groups"][0]["lag"][0]["lag"].as_i64()),
        (Some("g"), Some(0))
    );
    // `--group` joins the group for real: a member, Stable, owning the partition; Ctrl-C makes it leave.
    let group = &view["groups"][0];
    assert_eq!((group["state"].as_str(), group["members"].as_array().unwrap().len()), (Some("Stable"), 1), "{group}");
    assert_eq!(group["members"][0]["clientId"], "confluent-cli");
    assert_eq!(group["members"][0]["partitions"][0][0], "orders");
    let Some(Stream::Consume(mut session)) = s.stream.take() else { panic!("consuming") };
    session.stop(&mut s.tab, T0);
    assert_eq!(s.json("confluent kafka consumer group describe g -o json")["state"], "Empty", "it left");
    assert!(s
        .err("confluent kafka topic consume orders --group g --partition 0")
        .message
        .contains("cannot be used with --group"));
    let leader = p["leader"].as_i64().unwrap();
    s.ok(&format!("franz broker kill {leader}"));
    let view = s.cli.view(&mut s.tab).unwrap();
    assert_eq!(view["brokers"][leader as usize - 1]["alive"], false);
    assert_eq!(view["topics"][0]["partitions"][0]["offline"][0].as_i64(), Some(leader));
    let p = &view["topics"][0]["partitions"][0];
    let killed = p["replicas"].as_array().unwrap().iter().position(|r| r.as_i64() == Some(leader)).unwrap();
    assert_eq!(states(p)[killed], "offline", "the killed leader's replica");
}

#[test]
fn tab_completion_and_the_state_summary() {
    use franz::core::cli::complete;
    assert_eq!(complete("confluent kafka to"), ["topic"]);
    assert_eq!(complete("confluent log"), ["login", "logout"]);
    let flags = complete("confluent kafka topic create orders --p");
    assert_eq!(flags, ["--partitions"]);
    assert!(complete("confluent environment list ").contains(&"--output".to_owned()));
    assert_eq!(complete(""), ["confluent", "franz"], "an empty line: where commands start");
    let (s, lkc) = Session::ready();
    let summary = s.cli.state.summary().to_string();
    assert!(summary.contains(&lkc) && summary.contains("\"loggedIn\":true"));
    assert!(!summary.contains("hash") && !summary.contains("salt"), "no secrets' traces: {summary}");
    let key = &s.cli.state.api_keys[0];
    assert!(s.cli.state.authenticated_key(&lkc, &key.key, "wrong").is_none());
    assert!(s.cli.state.authenticated_key("lkc-other", &key.key, "wrong").is_none());
}

#[test]
fn the_live_view_shows_each_records_headers() {
    let (mut s, _) = Session::ready();
    s.ok("confluent kafka topic create tagged --partitions 1");
    s.ok("confluent kafka topic produce tagged --parse-key --headers source:web,empty:");
    s.produce(&["alice:paid"]);
    let view = s.cli.view(&mut s.tab).expect("a cluster is in use");
    let tagged = view["topics"].as_array().unwrap().iter().find(|t| t["name"] == "tagged").expect("the topic");
    let record = &tagged["partitions"][0]["last"][0];
    assert_eq!((record["key"].as_str(), record["value"].as_str()), (Some("alice"), Some("paid")));
    assert_eq!(record["headers"], serde_json::json!([["source", "web"], ["empty", ""]]));
}
