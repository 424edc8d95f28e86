//! ACLs in a cluster: Kafka's CreateAcls, DescribeAcls and DeleteAcls, the authorizer's check of each request
//! (`Cluster::authorize`), and ACLs surviving a reopen.

use franz::core::acl::authorizer::{Authorizer, Client};
use franz::core::acl::credentials::{Credentials, Plain};
use franz::core::acl::sasl::{authenticate_in_process, SaslLogin};
use franz::core::acl::scram::ScramMechanism;
use franz::core::acl::scram_users::{ScramDeletion, ScramUpsertion};
use franz::core::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType, ANONYMOUS, WILDCARD};
use franz::core::cluster::{Cluster, NewTopic};
use franz::core::groups::Join;
use franz::core::protocol::{
    FetchPartition, Isolation, PartitionResult, ProduceData, ProducePartition, Request, Response, TopicOutcome,
};
use franz::core::record::Record;
use franz::core::storage::MemoryStorage;
use franz::core::txn::TxnFilter;
use franz::Error;

const T0: i64 = 1_700_000_000_000;

fn who(principal: &str) -> Client {
    Client { principal: principal.into(), host: "127.0.0.1".into() }
}

fn allow(kind: ResourceType, name: &str, principal: &str, op: Operation) -> AclBinding {
    AclBinding {
        resource_type: kind,
        resource_name: name.into(),
        pattern_type: PatternType::Literal,
        principal: principal.into(),
        host: WILDCARD.into(),
        operation: op,
        permission: Permission::Allow,
    }
}

fn secured() -> Cluster {
    let mut c = Cluster::new(1, 7);
    c.set_authorizer(Some(Authorizer {
        super_users: ["User:admin".into()].into(),
        allow_everyone_if_no_acl_found: false,
    }));
    c.handle(
        Request::CreateTopics {
            topics: vec![NewTopic::new("orders", 2, 1), NewTopic::new("audit", 1, 1)],
            validate_only: false,
        },
        T0,
    )
    .unwrap();
    c
}

fn call(c: &mut Cluster, client: &Client, request: Request) -> Result<Response, Error> {
    c.handle_as(client, request, T0)
}

fn produce(topic: &str) -> Request {
    let data = ProduceData::records(&[Record::keyed("k", "v", T0)], None);
    Request::Produce {
        acks: 1,
        timeout_ms: 30_000,
        partitions: vec![ProducePartition { topic: topic.into(), partition: 0, data }],
    }
}

/// Producing one record to `topic` as `client`: Kafka answers a partition the client may not write in place.
fn produce_to(c: &mut Cluster, client: &Client, topic: &str) -> Result<(), Error> {
    match call(c, client, produce(topic))? {
        Response::Produce(mut results) if results.len() == 1 => results.remove(0).result.map(drop),
        other => panic!("{other:?}"),
    }
}

fn grant(c: &mut Cluster, acls: Vec<AclBinding>) {
    let Ok(Response::CreateAcls(outcomes)) = call(c, &who("User:admin"), Request::CreateAcls(acls)) else { panic!() };
    assert!(outcomes.iter().all(Option::is_none), "{outcomes:?}");
}

#[test]
fn without_an_authorizer_everything_is_allowed_and_acl_requests_are_refused() {
    let mut c = Cluster::new(1, 7);
    c.handle(Request::CreateTopics { topics: vec![NewTopic::new("t", 1, 1)], validate_only: false }, T0).unwrap();
    assert!(produce_to(&mut c, &who(ANONYMOUS), "t").is_ok());
    let e = call(&mut c, &who("User:admin"), Request::DescribeAcls(AclFilter::any())).unwrap_err();
    assert_eq!(e.name(), "SECURITY_DISABLED");
    assert_eq!(e.code(), 54);
}

#[test]
fn a_principal_needs_an_acl_for_each_thing_it_does() {
    let mut c = secured();
    let alice = who("User:alice");
    let e = produce_to(&mut c, &alice, "orders").unwrap_err();
    assert_eq!((e.name(), e.code()), ("TOPIC_AUTHORIZATION_FAILED", 29));
    assert!(e.detail().contains("User:alice may not WRITE TOPIC \"orders\""), "{e}");
    // Refused alike whether the topic exists or not: its existence does not leak.
    assert_eq!(produce_to(&mut c, &alice, "no-such-topic").unwrap_err().name(), "TOPIC_AUTHORIZATION_FAILED");

    grant(&mut c, vec![allow(ResourceType::Topic, "orders", "User:alice", Operation::Write)]);
    assert!(produce_to(&mut c, &alice, "orders").is_ok());
    assert_eq!(produce_to(&mut c, &alice, "audit").unwrap_err().name(), "TOPIC_AUTHORIZATION_FAILED");
    assert_eq!(produce_to(&mut c, &who("User:bob"), "orders").unwrap_err().name(), "TOPIC_AUTHORIZATION_FAILED");

    // Metadata of every topic lists those it may describe (WRITE implies DESCRIBE).
    let (_, topics) = call(&mut c, &alice, Request::metadata(None)).unwrap().into_metadata().unwrap();
    assert_eq!(topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["orders"]);
    // Named topics are answered each on its own: one it may not describe is refused, exists or not.
    let names = ["audit", "orders", "no-such-topic"].map(String::from).to_vec();
    let Ok(Response::Metadata { topics, .. }) = call(&mut c, &alice, Request::metadata(Some(names.clone()))) else {
        panic!()
    };
    let answers: Vec<_> = topics.iter().map(|(name, r)| (name.as_str(), r.as_ref().map_err(Error::name))).collect();
    assert_eq!(answers[0], ("audit", Err("TOPIC_AUTHORIZATION_FAILED")));
    assert!(matches!(answers[1], ("orders", Ok(t)) if t.name == "orders"), "{answers:?}");
    assert_eq!(answers[2], ("no-such-topic", Err("TOPIC_AUTHORIZATION_FAILED")));
    let Ok(Response::Metadata { topics, .. }) = call(&mut c, &who("User:admin"), Request::metadata(Some(names))) else {
        panic!()
    };
    let answers: Vec<_> = topics.iter().map(|(_, r)| r.as_ref().err().map(Error::name)).collect();
    assert_eq!(answers, [None, None, Some("UNKNOWN_TOPIC_OR_PARTITION")], "who may see all sees what exists");

    // Creating a topic: CREATE on it, or on the cluster.
    let create = |c: &mut Cluster, name: &str| {
        let create = Request::CreateTopics { topics: vec![NewTopic::new(name, 1, 1)], validate_only: false };
        let Ok(Response::CreateTopics(outcomes)) = call(c, &alice, create) else { panic!() };
        outcomes[0].error.clone().map_or(Ok(()), Err)
    };
    assert_eq!(create(&mut c, "new").unwrap_err().name(), "TOPIC_AUTHORIZATION_FAILED");
    grant(&mut c, vec![allow(ResourceType::Cluster, "kafka-cluster", "User:alice", Operation::Create)]);
    assert_eq!(create(&mut c, "new"), Ok(()));

    // Admin requests about the cluster need the cluster's ALTER or DESCRIBE.
    let e = call(&mut c, &alice, Request::DescribeAcls(AclFilter::any())).unwrap_err();
    assert_eq!((e.name(), e.code()), ("CLUSTER_AUTHORIZATION_FAILED", 31));
}

#[test]
fn consumers_need_their_group_and_their_topics() {
    let mut c = secured();
    let carol = who("User:carol");
    let join = || {
        Request::JoinGroup(Join {
            group: "billing".into(),
            member_id: None,
            client_id: "app".into(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 10_000,
            topics: vec!["orders".into()],
            protocols: vec!["range".into()],
            owned: vec![],
            metadata: Default::default(),
        })
    };
    let e = call(&mut c, &carol, join()).unwrap_err();
    assert_eq!((e.name(), e.code()), ("GROUP_AUTHORIZATION_FAILED", 30));
    grant(&mut c, vec![allow(ResourceType::Group, "billing", "User:carol", Operation::Read)]);
    assert!(call(&mut c, &carol, join()).is_ok());

    let commit = Request::OffsetCommit {
        group: "billing".into(),
        topic: "orders".into(),
        partition: 0,
        offset: 0,
        metadata: None,
        member: None,
    };
    assert_eq!(call(&mut c, &carol, commit.clone()).unwrap_err().name(), "TOPIC_AUTHORIZATION_FAILED");
    grant(&mut c, vec![allow(ResourceType::Topic, "orders", "User:carol", Operation::Read)]);
    assert!(call(&mut c, &carol, commit).is_ok());

    // ListGroups lists the groups it may describe; a super user sees them all.
    c.handle(Request::FindCoordinator { group: "other".into() }, T0).unwrap();
    let groups = |c: &mut Cluster, client: &Client| match call(c, client, Request::ListGroups) {
        Ok(Response::ListGroups(g)) => g.into_iter().map(|(name, _)| name).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(groups(&mut c, &carol), ["billing"]);
    assert!(groups(&mut c, &who("User:dave")).is_empty());
}

#[test]
fn producers_need_write_for_idempotence_and_their_transactional_id() {
    let mut c = secured();
    let p = who("User:p");
    let idempotent = Request::init_idempotent();
    assert_eq!(call(&mut c, &p, idempotent.clone()).unwrap_err().name(), "CLUSTER_AUTHORIZATION_FAILED");
    grant(&mut c, vec![allow(ResourceType::Topic, "orders", "User:p", Operation::Write)]);
    assert!(call(&mut c, &p, idempotent).is_ok(), "WRITE on a topic allows an idempotent producer (KIP-679)");

    let transactional = Request::InitProducerId { transactional_id: Some("tx-1".into()), timeout_ms: 60_000 };
    let e = call(&mut c, &p, transactional.clone()).unwrap_err();
    assert_eq!((e.name(), e.code()), ("TRANSACTIONAL_ID_AUTHORIZATION_FAILED", 53));
    grant(&mut c, vec![allow(ResourceType::TransactionalId, "tx-1", "User:p", Operation::Write)]);
    assert!(call(&mut c, &p, transactional).is_ok());

    // Listing transactions shows the ids a client may describe; describing another's is refused.
    let ids = |c: &mut Cluster, who: &Client| match call(c, who, Request::ListTransactions(TxnFilter::default())) {
        Ok(Response::ListTransactions(list)) => list.into_iter().map(|t| t.transactional_id).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ids(&mut c, &p), ["tx-1"]);
    assert!(ids(&mut c, &who("User:q")).is_empty());
    // Each id is answered on its own: the one q may not describe in place, the other served.
    let describe = Request::DescribeTransactions { ids: vec!["tx-1".into(), "unused".into()] };
    grant(&mut c, vec![allow(ResourceType::TransactionalId, "unused", "User:q", Operation::Describe)]);
    let Ok(Response::DescribeTransactions(described)) = call(&mut c, &who("User:q"), describe) else { panic!() };
    let errors: Vec<_> = described.iter().map(|(id, r)| (id.as_str(), r.as_ref().err().map(Error::name))).collect();
    assert_eq!(
        errors,
        [("tx-1", Some("TRANSACTIONAL_ID_AUTHORIZATION_FAILED")), ("unused", Some("TRANSACTIONAL_ID_NOT_FOUND"))]
    );
}

#[test]
fn deleting_acls_takes_access_away() {
    let mut c = secured();
    let alice = who("User:alice");
    let prefixed = AclBinding {
        pattern_type: PatternType::Prefixed,
        ..allow(ResourceType::Topic, "ord", "User:alice", Operation::All)
    };
    grant(&mut c, vec![prefixed.clone(), allow(ResourceType::Group, "g", "User:alice", Operation::Read)]);
    assert!(produce_to(&mut c, &alice, "orders").is_ok());
    let filter = AclFilter { resource_type: ResourceType::Topic, ..AclFilter::any() };
    let Ok(Response::DeleteAcls(deleted)) = call(&mut c, &who("User:admin"), Request::DeleteAcls(vec![filter])) else {
        panic!()
    };
    assert_eq!(deleted, vec![vec![prefixed]]);
    assert_eq!(produce_to(&mut c, &alice, "orders").unwrap_err().name(), "TOPIC_AUTHORIZATION_FAILED");
    let Ok(Response::DescribeAcls(left)) = call(&mut c, &who("User:admin"), Request::DescribeAcls(AclFilter::any()))
    else {
        panic!()
    };
    assert_eq!(left.len(), 1);
}

#[test]
fn invalid_acls_are_refused_one_by_one() {
    let mut c = secured();
    let good = allow(ResourceType::Topic, "t", "User:a", Operation::Read);
    let bad = AclBinding { principal: "nobody".into(), ..good.clone() };
    let Ok(Response::CreateAcls(outcomes)) = call(&mut c, &who("User:admin"), Request::CreateAcls(vec![bad, good]))
    else {
        panic!()
    };
    assert_eq!(outcomes[0].as_ref().map(Error::name), Some("INVALID_REQUEST"));
    assert_eq!(outcomes[1], None);
}

#[test]
fn acls_survive_a_reopen() {
    let mut c = Cluster::persistent(1, 7, 1 << 20);
    c.set_authorizer(Some(Authorizer::default()));
    let mut store = MemoryStorage::new();
    let acl = allow(ResourceType::Group, "g", "User:a", Operation::Read);
    c.handle(Request::CreateAcls(vec![acl.clone()]), T0).unwrap();
    store.apply(&c.take_write().expect("a write").ops).unwrap();
    let reopened = Cluster::restore(&store.meta_with_prefix(""), 7, 1 << 20).unwrap();
    assert_eq!(reopened.acls().iter().cloned().collect::<Vec<_>>(), vec![acl]);
    assert!(reopened.authorizer().is_none(), "the authorizer is configuration, given at each opening");
}

#[test]
fn what_a_client_may_not_touch_is_answered_in_place_and_the_rest_is_served() {
    let mut c = secured();
    let alice = who("User:alice");
    grant(
        &mut c,
        vec![
            allow(ResourceType::Topic, "orders", "User:alice", Operation::All),
            allow(ResourceType::Group, "mine", "User:alice", Operation::Delete),
        ],
    );
    let records = |topic: &str, partition| {
        let data = ProduceData::records(&[Record::keyed("k", "v", T0)], None);
        ProducePartition { topic: topic.into(), partition, data }
    };
    let partitions = vec![records("audit", 0), records("orders", 1), records("nowhere", 0), records("orders", 0)];
    let Ok(Response::Produce(results)) =
        call(&mut c, &alice, Request::Produce { acks: 1, timeout_ms: 30_000, partitions })
    else {
        panic!()
    };
    let outcome = |r: &PartitionResult<_>| (r.topic.clone(), r.partition, r.result.as_ref().map_err(Error::name).err());
    let refused = Some("TOPIC_AUTHORIZATION_FAILED");
    assert_eq!(
        results.iter().map(outcome).collect::<Vec<_>>(),
        [
            ("audit".into(), 0, refused),
            ("orders".into(), 1, None),
            ("nowhere".into(), 0, refused),
            ("orders".into(), 0, None)
        ],
        "each partition answered where it stood; alice's two written"
    );

    let fetch =
        |topic: &str, partition| FetchPartition { topic: topic.into(), partition, offset: 0, max_bytes: 1 << 20 };
    let request = Request::Fetch {
        partitions: vec![fetch("orders", 0), fetch("audit", 0), fetch("orders", 1)],
        min_bytes: 1,
        max_bytes: 1 << 20,
        max_wait_ms: 0,
        rack: None,
        isolation: Isolation::ReadUncommitted,
    };
    let Ok(Response::Fetch(answers)) = call(&mut c, &alice, request) else { panic!() };
    let got =
        answers.iter().map(|a| (a.topic.as_str(), a.result.as_ref().map(|f| f.batches.len()).map_err(Error::name)));
    assert_eq!(
        got.collect::<Vec<_>>(),
        [("orders", Ok(1)), ("audit", Err("TOPIC_AUTHORIZATION_FAILED")), ("orders", Ok(1))],
        "alice reads her partitions, and audit's refusal stands in its place"
    );

    let topics = vec![NewTopic::new("payroll", 1, 1), NewTopic::new("orders-eu", 1, 1)];
    grant(&mut c, vec![allow(ResourceType::Topic, "orders-eu", "User:alice", Operation::Create)]);
    let Ok(Response::CreateTopics(created)) =
        call(&mut c, &alice, Request::CreateTopics { topics, validate_only: false })
    else {
        panic!()
    };
    let named = |o: &TopicOutcome| (o.topic.clone(), o.error.as_ref().map(Error::name));
    assert_eq!(
        created.iter().map(named).collect::<Vec<_>>(),
        [("payroll".into(), refused), ("orders-eu".into(), None)]
    );
    let topics = vec!["audit".into(), "orders".into()];
    let Ok(Response::DeleteTopics(deleted)) = call(&mut c, &alice, Request::DeleteTopics { topics }) else { panic!() };
    assert_eq!(deleted.iter().map(named).collect::<Vec<_>>(), [("audit".into(), refused), ("orders".into(), None)]);
    let Ok(Response::Metadata { topics, .. }) = call(&mut c, &who("User:admin"), Request::metadata(None)) else {
        panic!()
    };
    let names: Vec<_> = topics.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["audit", "orders-eu"], "only what alice was allowed happened");

    let groups = vec!["theirs".into(), "mine".into()];
    let Ok(Response::DeleteGroups(outcomes)) = call(&mut c, &alice, Request::DeleteGroups { groups }) else { panic!() };
    let outcomes: Vec<_> = outcomes.iter().map(|(g, e)| (g.as_str(), e.as_ref().map(Error::name))).collect();
    assert_eq!(outcomes, [("theirs", Some("GROUP_AUTHORIZATION_FAILED")), ("mine", Some("GROUP_ID_NOT_FOUND"))]);
}

/// A SCRAM-SHA-256 login of `user` with `password`, through the cluster's credentials: the principal, or the error.
fn scram_login(c: &Cluster, user: &str, password: &str) -> Result<String, Error> {
    let login = SaslLogin::Scram(ScramMechanism::Sha256, Plain { username: user.into(), password: password.into() });
    let mut n = 0u8;
    authenticate_in_process(c.credentials(), login, T0, &mut |out: &mut [u8]| {
        out.iter_mut().for_each(|b| {
            n = n.wrapping_add(1);
            *b = n;
        })
    })
}

#[test]
fn stored_scram_credentials_log_users_in_and_survive_a_reopen() {
    let mut c = Cluster::persistent(1, 7, 1 << 20);
    c.set_authorizer(Some(Authorizer {
        super_users: ["User:admin".into()].into(),
        allow_everyone_if_no_acl_found: false,
    }));
    c.set_credentials(Credentials::users([("alice".to_owned(), "from-config".to_owned())].into()));
    let m = ScramMechanism::Sha256;
    let salt = b"salt-of-the-earth".to_vec();
    let upsert = |user: &str, password: &str| ScramUpsertion {
        user: user.into(),
        mechanism: m.name().into(),
        iterations: 8192,
        salted_password: m.salted_password(password, &salt, 8192),
        salt: salt.clone(),
    };
    let alter = Request::AlterUserScramCredentials { deletions: vec![], upsertions: vec![upsert("bob", "bobs-own")] };
    let e = call(&mut c, &who("User:alice"), alter.clone()).unwrap_err();
    assert_eq!(e.name(), "CLUSTER_AUTHORIZATION_FAILED", "altering credentials needs ALTER on the cluster");
    let Ok(Response::AlterUserScramCredentials(results)) = call(&mut c, &who("User:admin"), alter) else { panic!() };
    assert_eq!(results, [("bob".to_owned(), None)]);
    // bob exists only as a stored credential: SCRAM lets him in, with that password only.
    assert_eq!(scram_login(&c, "bob", "bobs-own"), Ok("User:bob".into()));
    assert_eq!(scram_login(&c, "bob", "guess").unwrap_err().name(), "SASL_AUTHENTICATION_FAILED");
    // A stored credential wins over the password `users` gives.
    assert_eq!(scram_login(&c, "alice", "from-config"), Ok("User:alice".into()));
    let alter = Request::AlterUserScramCredentials { deletions: vec![], upsertions: vec![upsert("alice", "rotated")] };
    call(&mut c, &who("User:admin"), alter).unwrap();
    assert_eq!(scram_login(&c, "alice", "rotated"), Ok("User:alice".into()));
    assert!(scram_login(&c, "alice", "from-config").is_err());

    let mut store = MemoryStorage::new();
    store.apply(&c.take_write().expect("a write").ops).unwrap();
    let mut reopened = Cluster::restore(&store.meta_with_prefix(""), 7, 1 << 20).unwrap();
    reopened.set_authorizer(c.authorizer().cloned());
    reopened.set_credentials(Credentials::users([("alice".to_owned(), "from-config".to_owned())].into()));
    assert_eq!(
        scram_login(&reopened, "bob", "bobs-own"),
        Ok("User:bob".into()),
        "kept, and kept through set_credentials"
    );
    assert_eq!(scram_login(&reopened, "alice", "rotated"), Ok("User:alice".into()));
    let describe = Request::DescribeUserScramCredentials { users: None };
    assert_eq!(
        call(&mut reopened, &who("User:bob"), describe.clone()).unwrap_err().name(),
        "CLUSTER_AUTHORIZATION_FAILED"
    );
    let Ok(Response::DescribeUserScramCredentials(described)) = call(&mut reopened, &who("User:admin"), describe)
    else {
        panic!()
    };
    let described: Vec<_> = described
        .into_iter()
        .map(|(user, infos)| {
            (user, infos.unwrap().into_iter().map(|i| (i.mechanism, i.iterations)).collect::<Vec<_>>())
        })
        .collect();
    let info = vec![("SCRAM-SHA-256".to_owned(), 8192)];
    assert_eq!(described, [("alice".to_owned(), info.clone()), ("bob".to_owned(), info)]);
    // Deleting the stored credential brings back the one derived from `users`.
    let delete = ScramDeletion { user: "alice".into(), mechanism: "SCRAM-SHA-256".into() };
    call(
        &mut reopened,
        &who("User:admin"),
        Request::AlterUserScramCredentials { deletions: vec![delete], upsertions: vec![] },
    )
    .unwrap();
    assert_eq!(scram_login(&reopened, "alice", "from-config"), Ok("User:alice".into()));
}

#[test]
fn creating_a_topic_by_naming_it_in_metadata_needs_create() {
    let mut c = secured();
    c.set_auto_create_topics(true);
    let alice = who("User:alice");
    grant(&mut c, vec![allow(ResourceType::Topic, "clicks", "User:alice", Operation::Describe)]);
    let named = |topics: &[&str]| Request::Metadata {
        topics: Some(topics.iter().map(|t| t.to_string()).collect()),
        auto_create: true,
    };
    // Refused for the topic it would create, while the one it may describe is answered.
    grant(&mut c, vec![allow(ResourceType::Topic, "orders", "User:alice", Operation::Describe)]);
    let Ok(Response::Metadata { topics, .. }) = call(&mut c, &alice, named(&["clicks", "orders"])) else { panic!() };
    let e = topics[0].1.clone().unwrap_err();
    assert_eq!((topics[0].0.as_str(), e.name()), ("clicks", "TOPIC_AUTHORIZATION_FAILED"));
    assert!(e.detail().contains("may not CREATE"), "{e}");
    assert_eq!(topics[1].1.as_ref().map(|t| t.name.as_str()), Ok("orders"));
    assert!(c.describe_topic("clicks").is_err(), "nothing was created");
    grant(&mut c, vec![allow(ResourceType::Topic, "clicks", "User:alice", Operation::Create)]);
    let (_, topics) = call(&mut c, &alice, named(&["clicks"])).unwrap().into_metadata().unwrap();
    assert_eq!(topics[0].name, "clicks");
    // An existing topic needs only DESCRIBE, as before.
    assert!(call(&mut c, &who("User:admin"), named(&["orders"])).unwrap().into_metadata().is_ok());
}

/// Property tests run natively (proptest needs an OS randomness source).
#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;

    proptest::proptest! {
        /// Metadata answers every topic named, in order, each on its own: refused unless the client may describe
        /// it (and, where naming it creates it, create it), whether or not it exists; otherwise its metadata, or
        /// UNKNOWN_TOPIC_OR_PARTITION where it neither exists nor is created.
        #[test]
        fn metadata_answers_each_named_topic_as_the_acls_and_the_cluster_say(
            describable in proptest::collection::vec(proptest::bool::ANY, 4),
            creatable in proptest::collection::vec(proptest::bool::ANY, 4),
            named in proptest::collection::vec(0usize..4, 0..8),
            auto_create in proptest::bool::ANY,
        ) {
            // "orders" and "audit" exist; "clicks" and "views" do not.
            const TOPICS: [&str; 4] = ["orders", "audit", "clicks", "views"];
            let mut c = secured();
            c.set_auto_create_topics(true);
            let mut acls = Vec::new();
            for (i, topic) in TOPICS.iter().enumerate() {
                if describable[i] {
                    acls.push(allow(ResourceType::Topic, topic, "User:alice", Operation::Describe));
                }
                if creatable[i] {
                    acls.push(allow(ResourceType::Topic, topic, "User:alice", Operation::Create));
                }
            }
            if !acls.is_empty() {
                grant(&mut c, acls);
            }
            let names: Vec<String> = named.iter().map(|&i| TOPICS[i].to_owned()).collect();
            let request = Request::Metadata { topics: Some(names.clone()), auto_create };
            let Ok(Response::Metadata { topics, .. }) = call(&mut c, &who("User:alice"), request) else {
                panic!("Metadata fails only per topic")
            };
            proptest::prop_assert_eq!(topics.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(), names);
            for ((name, answer), &i) in topics.iter().zip(&named) {
                let exists = i < 2;
                // CREATE does not imply DESCRIBE, in Kafka as here.
                let expected = if !describable[i] || (!exists && auto_create && !creatable[i]) {
                    Err("TOPIC_AUTHORIZATION_FAILED")
                } else if !exists && !auto_create {
                    Err("UNKNOWN_TOPIC_OR_PARTITION")
                } else {
                    Ok(name.as_str())
                };
                proptest::prop_assert_eq!(answer.as_ref().map(|t| t.name.as_str()).map_err(Error::name), expected, "{}", name);
            }
            for (i, topic) in TOPICS.iter().enumerate().skip(2) {
                let created = auto_create && describable[i] && creatable[i] && named.contains(&i);
                proptest::prop_assert_eq!(c.describe_topic(topic).is_ok(), created, "{} created", topic);
            }
        }
    }
}
