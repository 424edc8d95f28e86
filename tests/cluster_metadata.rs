//! The cluster: CreateTopics placement and errors, DeleteTopics, CreatePartitions, Metadata, configs, and the
//! produce → fetch path through the partition's leader.

use bytes::Bytes;
use franz::core::cluster::{Cluster, NewTopic};
use franz::core::log::OffsetSpec;
use franz::core::partitioner::{NullKeyStrategy, Partitioner};
use franz::core::record::{decode_batches, Record, RecordBatch};

const T0: i64 = 1_700_000_000_000;

fn err_name<T: std::fmt::Debug>(r: franz::Result<T>) -> &'static str {
    r.unwrap_err().name()
}

#[test]
fn create_topic_places_replicas_and_spreads_leaders() {
    let mut c = Cluster::new(3, 42);
    c.create_topic(&NewTopic::new("orders", 6, 3), false).unwrap();
    let t = c.describe_topic("orders").unwrap();
    assert_eq!(t.partitions.len(), 6);
    let mut leaders = [0; 4];
    for p in &t.partitions {
        assert_eq!(p.replicas.len(), 3);
        assert_eq!(p.leader, Some(p.replicas[0]), "the preferred replica leads");
        assert_eq!(p.isr, p.replicas, "every replica starts in sync");
        assert_eq!(p.leader_epoch, 0);
        assert!(p.offline_replicas.is_empty());
        leaders[p.leader.unwrap() as usize] += 1;
    }
    assert_eq!(&leaders[1..], &[2, 2, 2], "leaders spread evenly over brokers 1..3");
    assert_eq!(c.brokers().iter().map(|b| b.id).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn create_topic_errors_are_kafkas() {
    let mut c = Cluster::new(3, 1);
    c.create_topic(&NewTopic::new("sales.orders", 1, 1), false).unwrap();
    assert_eq!(err_name(c.create_topic(&NewTopic::new("sales.orders", 1, 1), false)), "TOPIC_ALREADY_EXISTS");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("sales_orders", 1, 1), false)), "INVALID_TOPIC_EXCEPTION");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("bad name", 1, 1), false)), "INVALID_TOPIC_EXCEPTION");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("__mine", 1, 1), false)), "INVALID_TOPIC_EXCEPTION");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("t", 0, 1), false)), "INVALID_PARTITIONS");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("t", -5, 1), false)), "INVALID_PARTITIONS");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("t", 1_000_000, 1), false)), "INVALID_PARTITIONS");
    let too_many = c.create_topic(&NewTopic::new("t", 1, 4), false).unwrap_err();
    assert_eq!(too_many.name(), "INVALID_REPLICATION_FACTOR");
    assert!(too_many.detail().contains("larger than available brokers: 3"), "{too_many}");
    assert_eq!(err_name(c.create_topic(&NewTopic::new("t", 1, 0), false)), "INVALID_REPLICATION_FACTOR");
    let bad_config = NewTopic::new("t", 1, 1).config("retention.ms", "forever");
    assert_eq!(err_name(c.create_topic(&bad_config, false)), "INVALID_CONFIG");
    assert_eq!(c.metadata().len(), 1, "no refused request created anything");
}

#[test]
fn minus_one_means_the_cluster_default_and_validate_only_creates_nothing() {
    let mut c = Cluster::new(3, 1);
    c.create_topic(&NewTopic::new("dry", 3, 3), true).unwrap();
    assert_eq!(err_name(c.describe_topic("dry")), "UNKNOWN_TOPIC_OR_PARTITION");
    c.default_partitions = 2;
    c.default_replication_factor = 3;
    c.create_topic(&NewTopic::new("defaults", -1, -1), false).unwrap();
    let t = c.describe_topic("defaults").unwrap();
    assert_eq!((t.partitions.len(), t.partitions[0].replicas.len()), (2, 3));
}

#[test]
fn delete_topic_removes_it_and_its_data() {
    let mut c = Cluster::new(1, 1);
    c.create_topic(&NewTopic::new("gone", 1, 1), false).unwrap();
    c.produce("gone", 0, &RecordBatch::from_records(vec![Record::new("x", T0)]).encode(), T0).unwrap();
    c.delete_topic("gone").unwrap();
    assert_eq!(err_name(c.fetch("gone", 0, 0, 100)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(err_name(c.delete_topic("gone")), "UNKNOWN_TOPIC_OR_PARTITION");
    c.create_topic(&NewTopic::new("gone", 1, 1), false).unwrap();
    assert_eq!(c.fetch("gone", 0, 0, 100).unwrap().high_watermark, 0, "a recreated topic starts empty");
}

#[test]
fn internal_topics_are_created_and_protected() {
    let mut c = Cluster::new(1, 1);
    c.create_internal_topic(&NewTopic::new("__consumer_offsets", 1, 1).config("cleanup.policy", "compact")).unwrap();
    assert!(c.describe_topic("__consumer_offsets").unwrap().is_internal);
    assert_eq!(err_name(c.delete_topic("__consumer_offsets")), "INVALID_TOPIC_EXCEPTION");
}

#[test]
fn create_partitions_only_grows_and_keeps_existing_data() {
    let mut c = Cluster::new(3, 7);
    c.create_topic(&NewTopic::new("grow", 2, 2), false).unwrap();
    c.produce("grow", 0, &RecordBatch::from_records(vec![Record::new("x", T0)]).encode(), T0).unwrap();
    let before = c.describe_topic("grow").unwrap().partitions;
    c.create_partitions("grow", 5, None, false).unwrap();
    let after = c.describe_topic("grow").unwrap().partitions;
    assert_eq!(after.len(), 5);
    assert_eq!(&after[..2], &before[..], "existing partitions keep assignment and data");
    assert!(after[2..].iter().all(|p| p.replicas.len() == 2 && p.high_watermark == 0));
    assert_eq!(err_name(c.create_partitions("grow", 5, None, false)), "INVALID_PARTITIONS");
    assert_eq!(err_name(c.create_partitions("grow", 3, None, false)), "INVALID_PARTITIONS");
    assert_eq!(err_name(c.create_partitions("nope", 3, None, false)), "UNKNOWN_TOPIC_OR_PARTITION");
    c.create_partitions("grow", 6, None, true).unwrap();
    assert_eq!(c.describe_topic("grow").unwrap().partitions.len(), 5, "validate_only changes nothing");
}

#[test]
fn describe_and_alter_configs() {
    let mut c = Cluster::new(1, 1);
    c.create_topic(&NewTopic::new("cfg", 1, 1).config("retention.ms", "1000"), false).unwrap();
    let entry =
        |c: &Cluster, name: &str| c.describe_configs("cfg").unwrap().into_iter().find(|e| e.name == name).unwrap();
    assert_eq!((entry(&c, "retention.ms").value, entry(&c, "retention.ms").is_default), ("1000".into(), false));
    let changes = [("retention.ms".into(), None), ("cleanup.policy".into(), Some("compact".into()))];
    c.alter_configs("cfg", &changes, true).unwrap();
    assert!(!entry(&c, "retention.ms").is_default, "validate_only changes nothing");
    c.alter_configs("cfg", &changes, false).unwrap();
    assert!(entry(&c, "retention.ms").is_default);
    assert_eq!(entry(&c, "cleanup.policy").value, "compact");
    let bad = [("max.message.bytes".into(), Some("10".into())), ("nope".into(), Some("1".into()))];
    assert_eq!(err_name(c.alter_configs("cfg", &bad, false)), "INVALID_CONFIG");
    assert_eq!(entry(&c, "max.message.bytes").value, "1048588", "a refused alter changes nothing");
}

#[test]
fn produce_goes_to_the_leader_and_every_replica_agrees() {
    let mut c = Cluster::new(3, 3);
    c.create_topic(&NewTopic::new("events", 3, 3), false).unwrap();
    let mut partitioner = Partitioner::new(NullKeyStrategy::RoundRobin, 0);
    for i in 0..30 {
        let key = format!("user-{}", i % 5);
        let p = partitioner.partition("events", Some(key.as_bytes()), None, 3, &[]).unwrap();
        let batch = RecordBatch::from_records(vec![Record::keyed(key, format!("click {i}"), T0 + i)]);
        c.produce("events", p as i32, &batch.encode(), T0 + i).unwrap();
    }
    let mut total = 0;
    for p in c.describe_topic("events").unwrap().partitions {
        assert!(p.replica_log_end_offsets.iter().all(|&leo| leo == p.high_watermark), "{p:?}");
        let fetched = c.fetch("events", p.partition as i32, 0, 1 << 20).unwrap();
        let batches = decode_batches(&Bytes::from(fetched.batches.concat())).unwrap();
        let records: Vec<Record> = batches.iter().flat_map(|b| b.consumer_records().map(|(_, r)| r)).collect();
        // Every key lives on exactly the partition murmur2 gives it.
        for r in &records {
            let key = r.key.as_ref().unwrap();
            assert_eq!(franz::core::partitioner::partition_for_key(key, 3), p.partition);
        }
        total += records.len();
        assert_eq!(records.len() as i64, fetched.high_watermark);
    }
    assert_eq!(total, 30);
}

#[test]
fn produce_and_fetch_errors() {
    let mut c = Cluster::new(1, 1);
    c.create_topic(&NewTopic::new("t", 2, 1), false).unwrap();
    let batch = RecordBatch::from_records(vec![Record::new("x", T0)]).encode();
    assert_eq!(err_name(c.produce("nope", 0, &batch, T0)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(err_name(c.produce("t", 2, &batch, T0)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(err_name(c.produce("t", -1, &batch, T0)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(err_name(c.produce("t", 0, &Bytes::from_static(b"garbage"), T0)), "CORRUPT_MESSAGE");
    assert_eq!(err_name(c.fetch("t", 0, 5, 100)), "OFFSET_OUT_OF_RANGE");
    let r = c.produce("t", 0, &batch, T0).unwrap();
    assert_eq!((r.base_offset, r.log_append_time, r.log_start_offset), (0, -1, 0));
    assert_eq!(c.list_offsets("t", 0, OffsetSpec::Latest).unwrap().unwrap().offset, 1);
}

#[test]
fn tick_applies_retention_on_every_replica() {
    let mut c = Cluster::new(2, 1);
    c.create_topic(&NewTopic::new("short", 1, 2).config("retention.ms", "1000"), false).unwrap();
    c.produce("short", 0, &RecordBatch::from_records(vec![Record::new("old", T0)]).encode(), T0).unwrap();
    assert!(c.tick(T0 + 500).unwrap().is_empty());
    let done = c.tick(T0 + 5000).unwrap();
    assert_eq!(done.len(), 2, "leader and follower both drop the batch");
    let p = &c.describe_topic("short").unwrap().partitions[0];
    assert_eq!((p.log_start_offset, p.high_watermark), (1, 1));
}

#[test]
fn committed_offsets_are_per_group_and_partition() {
    let mut c = Cluster::new(1, 1);
    c.create_topic(&NewTopic::new("t", 2, 1), false).unwrap();
    assert_eq!(c.committed_offset("g", "t", 0).unwrap(), None);
    c.commit_offset("g", "t", 0, 5, Some("note".into())).unwrap();
    c.commit_offset("g", "t", 0, 7, None).unwrap();
    c.commit_offset("other", "t", 1, 1, None).unwrap();
    assert_eq!(c.committed_offset("g", "t", 0).unwrap().unwrap().offset, 7);
    assert_eq!(c.committed_offset("g", "t", 1).unwrap(), None);
    assert_eq!(err_name(c.commit_offset("", "t", 0, 1, None)), "INVALID_GROUP_ID");
    assert_eq!(err_name(c.commit_offset("g", "t", 2, 1, None)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(err_name(c.commit_offset("g", "nope", 0, 1, None)), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(err_name(c.commit_offset("g", "t", 0, 1, Some("x".repeat(5000)))), "OFFSET_METADATA_TOO_LARGE");
    c.delete_topic("t").unwrap();
    c.create_topic(&NewTopic::new("t", 2, 1), false).unwrap();
    assert_eq!(c.committed_offset("g", "t", 0).unwrap(), None, "deleting a topic drops its offsets");
}

#[test]
fn lag_is_what_consumers_can_read_that_the_group_has_not_committed() {
    use franz::core::cluster::lag;
    assert_eq!(lag(Some(7), 0, 10), 3);
    assert_eq!(lag(None, 4, 10), 6, "nothing committed: everything readable");
    assert_eq!(lag(Some(12), 0, 10), 0, "a commit past the high watermark is no negative lag");
}

#[test]
fn a_cluster_in_memory_refuses_writes_past_its_memory_limit_and_takes_them_once_memory_is_freed() {
    let mut c = Cluster::new(3, 1);
    c.create_topic(&NewTopic::new("a", 2, 3), false).unwrap();
    let batch = |i: i64| RecordBatch::from_records(vec![Record::new(vec![b'v'; 1000], T0 + i)]).encode();
    let size = batch(0).len();
    // Room for four batches: the followers' copies share their leader's bytes, so each counts once.
    c.set_memory_limit(Some(4 * size + size / 2));
    for i in 0..4 {
        c.produce("a", (i % 2) as i32, &batch(i), T0 + i).unwrap();
    }
    assert_eq!(c.bytes_in_memory(), 4 * size);
    let full = c.produce("a", 0, &batch(9), T0 + 9).unwrap_err();
    assert_eq!(full.name(), "KAFKA_STORAGE_ERROR");
    assert!(full.retriable(), "a full broker may take the write later, as retention frees memory");
    assert!(full.detail().contains("memoryLimitBytes"), "{full}");
    let p = &c.describe_topic("a").unwrap().partitions[0];
    assert_eq!(p.high_watermark, 2, "nothing of the refused write is in the log");
    assert!(p.replica_log_end_offsets.iter().all(|&leo| leo == 2), "nor in any replica: {p:?}");
    // Deleting records frees their batches, and the write goes through.
    c.delete_records("a", 0, 2, T0 + 10).unwrap();
    c.tick(T0 + 11).unwrap();
    assert_eq!(c.bytes_in_memory(), 2 * size);
    assert_eq!(c.produce("a", 0, &batch(12), T0 + 12).unwrap().base_offset, 2);
    // Without a limit (the default, and any cluster in storage), nothing is refused.
    c.set_memory_limit(None);
    for i in 0..10 {
        c.produce("a", 1, &batch(20 + i), T0 + 20 + i).unwrap();
    }
}

#[test]
fn replicas_are_placed_by_hand_at_creation_and_growth() {
    let mut c = Cluster::new(3, 7);
    let placed = NewTopic::new("placed", -1, -1).assigned(vec![(1, vec![3, 1]), (0, vec![2, 3])]);
    c.create_topic(&placed, false).unwrap();
    let replicas = |c: &Cluster| {
        let t = c.describe_topic("placed").unwrap();
        t.partitions.iter().map(|p| (p.replicas.clone(), p.leader)).collect::<Vec<_>>()
    };
    assert_eq!(replicas(&c), [(vec![2, 3], Some(2)), (vec![3, 1], Some(3))], "each partition where it was put");
    c.create_partitions("placed", 3, Some(&[vec![1, 2]]), false).unwrap();
    assert_eq!(replicas(&c)[2], (vec![1, 2], Some(1)));

    let mut bad = |assignment: Vec<(i32, Vec<i32>)>| {
        err_name(c.create_topic(&NewTopic::new("x", -1, -1).assigned(assignment), false))
    };
    assert_eq!(bad(vec![(0, vec![1]), (2, vec![2])]), "INVALID_REPLICA_ASSIGNMENT", "partition 1 missing");
    assert_eq!(bad(vec![(0, vec![1]), (0, vec![2])]), "INVALID_REPLICA_ASSIGNMENT", "partition 0 twice");
    assert_eq!(bad(vec![(0, vec![1, 2]), (1, vec![2])]), "INVALID_REPLICA_ASSIGNMENT", "replication factors differ");
    assert_eq!(bad(vec![(0, vec![4])]), "INVALID_REPLICA_ASSIGNMENT", "no broker 4");
    assert_eq!(bad(vec![(0, vec![1, 1])]), "INVALID_REPLICA_ASSIGNMENT", "a broker twice");
    assert_eq!(bad(vec![]), "INVALID_PARTITIONS", "no partition");
    let mut both = NewTopic::new("x", 2, -1).assigned(vec![(0, vec![1])]);
    both.num_partitions = 2;
    assert_eq!(err_name(c.create_topic(&both, false)), "INVALID_REQUEST", "a count beside an assignment");
    assert!(c.describe_topic("x").is_err(), "nothing was created");

    assert_eq!(err_name(c.create_partitions("placed", 5, Some(&[vec![1, 2]]), false)), "INVALID_REPLICA_ASSIGNMENT");
    assert_eq!(err_name(c.create_partitions("placed", 4, Some(&[vec![1]]), false)), "INVALID_REPLICA_ASSIGNMENT");
    assert_eq!(err_name(c.create_partitions("placed", 4, Some(&[vec![1, 9]]), false)), "INVALID_REPLICA_ASSIGNMENT");
    assert_eq!(c.describe_topic("placed").unwrap().partitions.len(), 3, "refused growth changes nothing");
}

#[test]
fn metadata_creates_a_named_topic_only_where_both_the_request_and_the_cluster_allow_it() {
    use franz::core::protocol::{Request, Response};
    let names = |topics: &[&str]| Some(topics.iter().map(|t| t.to_string()).collect::<Vec<_>>());
    // A request about one topic: its metadata, or its error.
    let metadata = |c: &mut Cluster, topics: &[&str], auto_create: bool| {
        c.handle(Request::Metadata { topics: names(topics), auto_create }, T0).and_then(Response::into_metadata)
    };
    let mut c = Cluster::new(3, 1);
    // Off by default, as Kafka.open's autoCreateTopics (Confluent Cloud's setting).
    assert_eq!(err_name(metadata(&mut c, &["clicks"], true)), "UNKNOWN_TOPIC_OR_PARTITION");
    c.set_auto_create_topics(true);
    assert_eq!(
        err_name(metadata(&mut c, &["clicks"], false)),
        "UNKNOWN_TOPIC_OR_PARTITION",
        "a client that does not allow it"
    );
    assert!(
        c.auto_creates(&Request::Metadata { topics: names(&["clicks", "clicks"]), auto_create: true }) == ["clicks"]
    );
    let (_, topics) = metadata(&mut c, &["clicks", "clicks"], true).unwrap();
    assert_eq!(topics.len(), 2, "named twice, answered twice");
    let defaults = c.describe_topic("clicks").unwrap();
    assert_eq!(
        (defaults.partitions.len(), defaults.partitions[0].replicas.len()),
        (1, 1),
        "Kafka's broker defaults: 1 and 1"
    );
    assert!(
        c.auto_creates(&Request::Metadata { topics: names(&["clicks"]), auto_create: true }).is_empty(),
        "it exists now"
    );
    assert_eq!(err_name(metadata(&mut c, &["bad name!"], true)), "INVALID_TOPIC_EXCEPTION");
    assert_eq!(err_name(metadata(&mut c, &["__internal"], true)), "INVALID_TOPIC_EXCEPTION");
    // Each topic is answered on its own: one that cannot be created does not stop the others.
    let request = Request::Metadata { topics: names(&["bad name!", "views", "clicks"]), auto_create: true };
    let Ok(Response::Metadata { topics, .. }) = c.handle(request, T0) else { panic!() };
    let answers: Vec<_> =
        topics.iter().map(|(name, r)| (name.as_str(), r.as_ref().err().map(franz::Error::name))).collect();
    assert_eq!(answers, [("bad name!", Some("INVALID_TOPIC_EXCEPTION")), ("views", None), ("clicks", None)]);
    assert!(c.describe_topic("views").is_ok(), "created beside the one that could not be");
    c.set_auto_create_topics(false);
    let Ok(Response::Metadata { topics, .. }) = c.handle(Request::metadata(names(&["nope", "views"])), T0) else {
        panic!()
    };
    assert_eq!(topics[0].1.as_ref().unwrap_err().name(), "UNKNOWN_TOPIC_OR_PARTITION");
    assert_eq!(topics[1].1.as_ref().map(|t| t.name.as_str()), Ok("views"));
    // Every topic (no names) creates nothing.
    assert!(c.auto_creates(&Request::Metadata { topics: None, auto_create: true }).is_empty());
}
