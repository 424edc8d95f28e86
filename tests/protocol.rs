//! The request/response protocol every client speaks: dispatch, per-topic outcomes, request-level errors, and the
//! promise each request makes about mutating (the shell persists before answering exactly those).

use franz::core::cluster::{Cluster, NewTopic};
use franz::core::log::{OffsetSpec, ProducerBatch};
use franz::core::protocol::{FetchPartition, Isolation, ProduceData, ProducePartition, Request, Response};
use franz::core::record::{Record, RecordBatch};

const T0: i64 = 1_700_000_000_000;

fn records(values: &[&str]) -> Vec<Record> {
    values.iter().map(|v| Record::new(v.to_string(), T0)).collect()
}

fn produce(topic: &str, values: &[&str]) -> Request {
    let data = ProduceData::records(&records(values), None);
    Request::Produce {
        acks: -1,
        timeout_ms: 30_000,
        partitions: vec![ProducePartition { topic: topic.into(), partition: 0, data }],
    }
}

fn fetch_all(partitions: i32) -> Request {
    fetch_at_most(partitions, usize::MAX)
}

/// A fetch of `partitions` partitions of "t" from offset 0, of at most `max_bytes` in all.
fn fetch_at_most(partitions: i32, max_bytes: usize) -> Request {
    let partitions = (0..partitions)
        .map(|p| FetchPartition { topic: "t".into(), partition: p, offset: 0, max_bytes: 1 << 20 })
        .collect();
    Request::Fetch {
        partitions,
        min_bytes: 1,
        max_bytes,
        max_wait_ms: 0,
        rack: None,
        isolation: Isolation::ReadUncommitted,
    }
}

/// A persistent cluster with one topic, its setup already written.
fn cluster() -> Cluster {
    let mut c = Cluster::persistent(3, 1, 1 << 20);
    c.create_topic(&NewTopic::new("t", 2, 3), false).unwrap();
    let write = c.take_write().unwrap();
    c.write_done(&write);
    c
}

/// One request of every kind, all valid against `cluster()`.
fn every_request() -> Vec<Request> {
    let batch = RecordBatch::from_records(records(&["b"])).encode();
    vec![
        produce("t", &["a"]),
        Request::Produce {
            acks: 1,
            timeout_ms: 30_000,
            partitions: vec![ProducePartition { topic: "t".into(), partition: 1, data: ProduceData::Batches(batch) }],
        },
        fetch_all(2),
        Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::Latest },
        Request::metadata(None),
        Request::metadata(Some(vec!["t".into()])),
        Request::CreateTopics { topics: vec![NewTopic::new("u", 1, 1)], validate_only: true },
        Request::CreateTopics { topics: vec![NewTopic::new("u", 1, 1)], validate_only: false },
        Request::CreatePartitions { topic: "t".into(), count: 3, assignments: None, validate_only: true },
        Request::CreatePartitions { topic: "t".into(), count: 3, assignments: None, validate_only: false },
        Request::DescribeConfigs { topic: "t".into() },
        Request::AlterConfigs {
            topic: "t".into(),
            changes: vec![("retention.ms".into(), Some("1".into()))],
            validate_only: true,
        },
        Request::AlterConfigs {
            topic: "t".into(),
            changes: vec![("retention.ms".into(), Some("1".into()))],
            validate_only: false,
        },
        Request::OffsetCommit {
            group: "g".into(),
            topic: "t".into(),
            partition: 0,
            offset: 1,
            metadata: None,
            member: None,
        },
        Request::OffsetFetch { group: "g".into(), topic: "t".into(), partition: 0 },
        Request::init_idempotent(),
        Request::DeleteTopics { topics: vec!["u".into()] },
    ]
}

#[test]
fn a_request_that_says_it_does_not_mutate_writes_nothing_and_one_that_does_writes_something() {
    let mut c = cluster();
    for request in every_request() {
        let mutates = request.mutates();
        let label = format!("{request:?}");
        c.handle(request, T0).unwrap_or_else(|e| panic!("{label}: {e}"));
        let write = c.take_write();
        assert_eq!(write.is_some(), mutates, "{label}");
        if let Some(w) = write {
            c.write_done(&w);
        }
    }
}

#[test]
fn produce_and_fetch_round_trip_through_the_protocol() {
    let mut c = cluster();
    let Response::Produce(p) = c.handle(produce("t", &["x", "y"]), T0).unwrap() else { panic!("not a produce") };
    assert_eq!(p[0].result.as_ref().unwrap().base_offset, 0);
    let write = c.take_write().unwrap();
    c.write_done(&write);
    let Response::Fetch(f) = c.handle(fetch_all(2), T0).unwrap() else { panic!("not a fetch") };
    let summary: Vec<(i32, i64, usize)> = f
        .iter()
        .map(|r| (r.partition, r.result.as_ref().unwrap().high_watermark, r.result.as_ref().unwrap().batches.len()))
        .collect();
    assert_eq!(summary, [(0, 2, 1), (1, 0, 0)], "one fetch answers for every partition");
}

#[test]
fn a_fetch_answers_up_to_its_max_bytes_in_all_but_always_its_first_batch() {
    let mut c = cluster();
    for partition in [0, 1] {
        for value in ["aaaaaaaaaa", "bbbbbbbbbb"] {
            let data = ProduceData::records(&records(&[value]), None);
            let produce = Request::Produce {
                acks: -1,
                timeout_ms: 30_000,
                partitions: vec![ProducePartition { topic: "t".into(), partition, data }],
            };
            c.handle(produce, T0).unwrap();
        }
    }
    let write = c.take_write().unwrap();
    c.write_done(&write);
    // Four batches of one record each, all of the same size.
    let Response::Fetch(all) = c.handle(fetch_all(2), T0).unwrap() else { panic!("not a fetch") };
    let size = all[0].result.as_ref().unwrap().batches[0].len();
    let mut batches = |max_bytes| {
        let Response::Fetch(f) = c.handle(fetch_at_most(2, max_bytes), T0).unwrap() else { panic!("not a fetch") };
        f.iter().map(|r| r.result.as_ref().unwrap().batches.len()).collect::<Vec<_>>()
    };
    assert_eq!(batches(usize::MAX), [2, 2]);
    assert_eq!(batches(3 * size), [2, 1], "the batches of each partition in order, up to the limit");
    assert_eq!(batches(2 * size), [2, 0], "a partition whose next batch does not fit answers with none");
    assert_eq!(batches(1), [1, 0], "the first batch goes whatever its size (KIP-74)");
}

#[test]
fn errors_are_per_topic_where_kafka_puts_them_and_per_request_elsewhere() {
    let mut c = cluster();
    let create = Request::CreateTopics {
        topics: vec![NewTopic::new("t", 1, 1), NewTopic::new("new", 1, 1)],
        validate_only: false,
    };
    let Response::CreateTopics(outcomes) = c.handle(create, T0).unwrap() else { panic!() };
    assert_eq!(outcomes[0].error.as_ref().map(|e| e.name()), Some("TOPIC_ALREADY_EXISTS"));
    assert_eq!(outcomes[1].error, None, "the other topic is created all the same");
    let Response::DeleteTopics(outcomes) =
        c.handle(Request::DeleteTopics { topics: vec!["nope".into(), "new".into()] }, T0).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        outcomes.iter().map(|o| o.error.as_ref().map(|e| e.name())).collect::<Vec<_>>(),
        [Some("UNKNOWN_TOPIC_OR_PARTITION"), None]
    );

    let Request::Produce { partitions, .. } = produce("t", &["a"]) else { unreachable!() };
    assert_eq!(
        c.handle(Request::Produce { acks: 2, timeout_ms: 30_000, partitions }, T0).unwrap_err().name(),
        "INVALID_REQUIRED_ACKS"
    );
    // One bad partition in a produce fails alone.
    let good =
        ProducePartition { topic: "t".into(), partition: 0, data: ProduceData::records(&records(&["ok"]), None) };
    let bad = ProducePartition { topic: "t".into(), partition: 9, data: ProduceData::records(&records(&["no"]), None) };
    let Response::Produce(results) =
        c.handle(Request::Produce { acks: -1, timeout_ms: 30_000, partitions: vec![good, bad] }, T0).unwrap()
    else {
        panic!()
    };
    assert!(results[0].result.is_ok());
    assert_eq!(results[1].result.as_ref().unwrap_err().name(), "UNKNOWN_TOPIC_OR_PARTITION");
    // So does a topic in Metadata.
    let Response::Metadata { topics, .. } =
        c.handle(Request::metadata(Some(vec!["nope".into(), "t".into()])), T0).unwrap()
    else {
        panic!()
    };
    assert_eq!(topics[0].1.as_ref().unwrap_err().name(), "UNKNOWN_TOPIC_OR_PARTITION");
    assert!(topics[1].1.is_ok());
}

#[test]
fn idempotent_produce_through_the_protocol() {
    let mut c = cluster();
    let Response::InitProducerId { producer_id, epoch } = c.handle(Request::init_idempotent(), T0).unwrap() else {
        panic!()
    };
    let send = |seq| {
        let producer = Some(ProducerBatch { producer_id, epoch, base_sequence: seq, count: 1, transactional: false });
        let data = ProduceData::records(&records(&["a"]), producer);
        Request::Produce {
            acks: -1,
            timeout_ms: 30_000,
            partitions: vec![ProducePartition { topic: "t".into(), partition: 0, data }],
        }
    };
    let Response::Produce(first) = c.handle(send(0), T0).unwrap() else { panic!() };
    let Response::Produce(retry) = c.handle(send(0), T0).unwrap() else { panic!() };
    let (first, retry) = (first[0].result.as_ref().unwrap(), retry[0].result.as_ref().unwrap());
    assert_eq!((first.base_offset, retry.base_offset), (0, 0));
    assert_eq!(c.describe_topic("t").unwrap().partitions[0].replica_log_end_offsets[0], 1, "the retry was not written");
}

#[test]
fn changes_are_reported_for_what_a_request_changed_and_only_what_succeeded() {
    let mut c = cluster();
    let mut seen = Vec::new();
    let failing_create = Request::CreateTopics {
        topics: vec![NewTopic::new("fresh", 1, 1), NewTopic::new("t", 1, 1)],
        validate_only: false,
    };
    let requests = [
        produce("t", &["a"]),
        produce("missing", &["a"]),
        failing_create,
        Request::CreatePartitions { topic: "t".into(), count: 4, assignments: None, validate_only: true },
        Request::OffsetCommit {
            group: "g".into(),
            topic: "t".into(),
            partition: 0,
            offset: 1,
            metadata: None,
            member: None,
        },
        Request::metadata(None),
        Request::init_idempotent(),
    ];
    for request in requests {
        let (kind, topic) = (request.change_kind(), request.single_topic().map(str::to_owned));
        let response = c.handle(request, T0).unwrap();
        if let Some(kind) = kind {
            seen.extend(response.changed_topics(topic.as_deref()).into_iter().map(|t| (kind, t)));
        }
        if let Some(w) = c.take_write() {
            c.write_done(&w);
        }
    }
    let expected = [("produce", "t"), ("createTopics", "fresh"), ("commitOffsets", "t")];
    assert_eq!(seen, expected.map(|(k, t)| (k, t.to_string())));
}

#[test]
fn group_calls_go_through_the_protocol_and_waiting_answers_come_as_group_replies() {
    use franz::core::groups::{Join, Reply};
    let mut c = cluster();
    // FindCoordinator names the leader of the group's __consumer_offsets partition, creating the topic.
    let Response::FindCoordinator(node) = c.handle(Request::FindCoordinator { group: "g".into() }, T0).unwrap() else {
        panic!("a coordinator")
    };
    let p = franz::core::cluster::offsets_partition_for("g", franz::core::cluster::OFFSETS_TOPIC_PARTITIONS);
    assert_eq!(Some(node), c.describe_topic("__consumer_offsets").unwrap().partitions[p as usize].leader);
    assert_eq!(c.handle(Request::FindCoordinator { group: "".into() }, T0).unwrap_err().name(), "INVALID_GROUP_ID");
    while let Some(w) = c.take_write() {
        c.write_done(&w);
    }
    let join = Join {
        group: "g".into(),
        member_id: None,
        client_id: "app".into(),
        session_timeout_ms: 1000,
        rebalance_timeout_ms: 1000,
        topics: vec!["t".into()],
        protocols: vec!["roundrobin".into()],
        owned: vec![],
        metadata: Default::default(),
    };
    let Response::GroupPending { member_id, .. } = c.handle(Request::JoinGroup(join), T0).unwrap() else {
        panic!("a JoinGroup answers through the group replies")
    };
    let replies = c.groups.take_replies();
    let Some(Reply::Join { result: Ok(joined), .. }) = replies.first() else { panic!("{replies:?}") };
    assert_eq!((joined.generation, &joined.leader), (1, &member_id));
    let assignments = [(member_id.clone(), vec![("t".to_string(), 0), ("t".to_string(), 1)])].into_iter().collect();
    let sync = Request::SyncGroup {
        group: "g".into(),
        member_id: member_id.clone(),
        generation: 1,
        assignments: Some(assignments),
    };
    assert!(matches!(c.handle(sync, T0).unwrap(), Response::GroupPending { .. }));
    assert!(matches!(&c.groups.take_replies()[..], [Reply::Sync { result: Ok(a), .. }] if a.len() == 2));
    let beat = Request::Heartbeat { group: "g".into(), member_id: member_id.clone(), generation: 1 };
    assert_eq!(c.handle(beat, T0).unwrap(), Response::Heartbeat);
    let stale = Request::Heartbeat { group: "g".into(), member_id: member_id.clone(), generation: 7 };
    assert_eq!(c.handle(stale, T0).unwrap_err().name(), "ILLEGAL_GENERATION");
    let Response::DescribeGroup(Some(d)) = c.handle(Request::DescribeGroup { group: "g".into() }, T0).unwrap() else {
        panic!("described")
    };
    assert_eq!(d.members.len(), 1);
    assert_eq!(c.handle(Request::LeaveGroup { group: "g".into(), member_id }, T0).unwrap(), Response::LeaveGroup);
    assert!(c.take_write().is_none(), "membership is not written to storage (members rejoin after a restart)");
}
