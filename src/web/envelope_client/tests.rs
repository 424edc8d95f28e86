//! Both halves of the wire against each other: every request and response survives the trip.

use wasm_bindgen_test::*;

use super::super::envelope;
use super::*;
use crate::core::acl::credentials::Plain;
use crate::core::acl::scram_users::{ScramCredentialInfo, ScramDeletion, ScramUpsertion};
use crate::core::acl::{AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType};
use crate::core::cluster::NewTopic;
use crate::core::log::ProducerBatch;
use crate::core::protocol::{FetchPartition, Isolation, OngoingReassignment, ProducePartition, Reassignment};
use crate::core::record::{Record, RecordBatch};
use crate::core::txn::{TxnCall, TxnDescription, TxnFilter, TxnOffset, TxnRequest, TxnState};

wasm_bindgen_test_configure!(run_in_browser);

/// A topic's metadata as it travels: configs do not (DescribeConfigs has them).
fn topic_metadata() -> TopicMetadata {
    let partition = PartitionMetadata {
        partition: 0,
        leader: Some(1),
        leader_epoch: 2,
        replicas: vec![1, 2],
        isr: vec![1],
        offline_replicas: vec![2],
        log_start_offset: 3,
        high_watermark: 5,
        replica_log_end_offsets: vec![5, 4],
        replica_high_watermarks: vec![5, 3],
    };
    TopicMetadata { name: "t".into(), is_internal: false, config: TopicConfig::default(), partitions: vec![partition] }
}

fn through_the_wire(r: &Request) -> Request {
    let (env, _) = request(7.0, r);
    assert_eq!(envelope::id_of(&env), Some(7.0));
    envelope::request(&env).unwrap()
}

#[wasm_bindgen_test]
fn every_request_round_trips() {
    let txn = |request| Request::Txn(TxnCall { transactional_id: "tx-1".into(), producer_id: 4, epoch: 2, request });
    let requests = vec![
        Request::Fetch {
            partitions: vec![FetchPartition { topic: "t".into(), partition: 1, offset: 42, max_bytes: 1000 }],
            min_bytes: 1,
            max_bytes: 10 << 20,
            max_wait_ms: 500,
            rack: Some("zone-a".into()),
            isolation: Isolation::ReadCommitted,
        },
        Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::Earliest },
        Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::LastStable },
        Request::ListOffsets { topic: "t".into(), partition: 0, spec: OffsetSpec::Timestamp(1_700_000_000_000) },
        Request::metadata(None),
        Request::Fault(crate::core::protocol::Fault::KillBroker { broker: 2 }),
        Request::Fault(crate::core::protocol::Fault::PartitionNetwork { groups: vec![vec![1, 2], vec![3]] }),
        Request::Fault(crate::core::protocol::Fault::HealNetwork),
        Request::FindCoordinator { group: "g".into() },
        Request::metadata(Some(vec!["a".into(), "b".into()])),
        Request::CreateTopics {
            topics: vec![NewTopic::new("n", 3, 1).config("retention.ms", "5")],
            validate_only: true,
        },
        Request::DeleteTopics { topics: vec!["n".into()] },
        Request::CreatePartitions { topic: "t".into(), count: 4, assignments: None, validate_only: false },
        Request::CreatePartitions {
            topic: "t".into(),
            count: 5,
            assignments: Some(vec![vec![2, 1], vec![3, 2]]),
            validate_only: true,
        },
        Request::CreateTopics {
            topics: vec![NewTopic::new("m", 0, 0).assigned(vec![(0, vec![3, 1])])],
            validate_only: false,
        },
        Request::DeleteRecords { topic: "t".into(), partitions: vec![(0, -1), (2, 1 << 40)] },
        Request::DescribeConfigs { topic: "t".into() },
        Request::DescribeBrokerConfigs { broker: 2 },
        Request::AlterConfigs { topic: "t".into(), changes: vec![("retention.ms".into(), None)], validate_only: false },
        Request::OffsetCommit {
            group: "g/1".into(),
            topic: "t".into(),
            partition: 2,
            offset: 9,
            metadata: Some("m".into()),
            member: Some(("m-1".into(), 3)),
        },
        Request::OffsetFetch { group: "g".into(), topic: "t".into(), partition: 2 },
        Request::init_idempotent(),
        Request::InitProducerId { transactional_id: Some("tx-1".into()), timeout_ms: 60000 },
        txn(TxnRequest::AddPartitions { partitions: vec![("t".into(), 1)] }),
        txn(TxnRequest::CommitOffsets {
            group: "g".into(),
            member: Some(("m-1".into(), 3)),
            offsets: vec![TxnOffset { topic: "t".into(), partition: 1, offset: 9, metadata: None }],
        }),
        txn(TxnRequest::End { commit: false }),
        Request::AlterPartitionReassignments(vec![
            Reassignment { topic: "t".into(), partition: 0, replicas: Some(vec![3, 1]) },
            Reassignment { topic: "t".into(), partition: 1, replicas: None },
        ]),
        Request::ListPartitionReassignments { topics: None },
        Request::ListPartitionReassignments { topics: Some(vec![("t".into(), vec![0, 2])]) },
        Request::AlterUserScramCredentials {
            deletions: vec![ScramDeletion { user: "a".into(), mechanism: "SCRAM-SHA-512".into() }],
            upsertions: vec![ScramUpsertion {
                user: "b".into(),
                mechanism: "SCRAM-SHA-256".into(),
                iterations: 8192,
                salt: vec![1, 2, 255],
                salted_password: vec![0; 32],
            }],
        },
        Request::DescribeUserScramCredentials { users: None },
        Request::DescribeUserScramCredentials { users: Some(vec!["a".into()]) },
        Request::CreateAcls(vec![acl()]),
        Request::DescribeAcls(AclFilter { principal: Some("User:a".into()), ..AclFilter::any() }),
        Request::DeleteAcls(vec![AclFilter::any()]),
        Request::SaslHandshake { mechanism: "SCRAM-SHA-512".into() },
        Request::SaslAuthenticate(SaslToken::Plain(Some(Plain { username: "a".into(), password: "p".into() }))),
        Request::SaslAuthenticate(SaslToken::Plain(None)),
        Request::SaslAuthenticate(SaslToken::Message("n,,n=a,r=x".into())),
        Request::ListTransactions(TxnFilter { states: vec![TxnState::Ongoing], producer_ids: vec![7] }),
        Request::DescribeTransactions { ids: vec!["tx-1".into()] },
    ];
    for r in requests {
        assert_eq!(through_the_wire(&r), r);
    }
}

#[wasm_bindgen_test]
fn produced_records_arrive_as_the_batch_a_producer_builds() {
    let records = vec![Record::keyed("k", "v", 5)];
    let producer = Some(ProducerBatch { producer_id: 3, epoch: 1, base_sequence: 8, count: 1, transactional: false });
    let data = ProduceData::records(&records, producer);
    let sent = Request::Produce {
        acks: -1,
        timeout_ms: 1500,
        partitions: vec![ProducePartition { topic: "t".into(), partition: 0, data }],
    };
    let Request::Produce { acks, timeout_ms, partitions } = through_the_wire(&sent) else { panic!("not a produce") };
    let ProduceData::Batches(bytes) = &partitions[0].data else { panic!("records travel as a batch") };
    let batch = RecordBatch::decode(bytes.clone()).unwrap();
    assert_eq!((acks, timeout_ms, batch.producer_id, batch.producer_epoch, batch.base_sequence), (-1, 1500, 3, 1, 8));
    assert_eq!(batch.records[0].record, records[0]);
}

fn acl() -> AclBinding {
    AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: "t".into(),
        pattern_type: PatternType::Prefixed,
        principal: "User:a".into(),
        host: "*".into(),
        operation: Operation::Read,
        permission: Permission::Deny,
    }
}

fn description() -> TxnDescription {
    TxnDescription {
        transactional_id: "tx-1".into(),
        state: TxnState::Ongoing,
        producer_id: 7,
        producer_epoch: 2,
        timeout_ms: 60_000,
        started_ms: 1 << 41,
        partitions: vec![("t".into(), 1)],
    }
}

/// Partition `partition` of topic `t`'s part of an answer.
fn of_t<T>(partition: i32, result: Result<T, Error>) -> PartitionResult<T> {
    PartitionResult { topic: "t".into(), partition, result }
}

#[wasm_bindgen_test]
fn responses_and_errors_round_trip() {
    let batch = RecordBatch::from_records(vec![Record::new("x", 1)]).encode();
    let responses = vec![
        Response::Produce(vec![
            of_t(0, Ok(ProduceResult { base_offset: 4, log_append_time: -1, log_start_offset: 0, pending: None })),
            of_t(9, Err(Error::UnknownTopicOrPartition("no p9".into()))),
        ]),
        Response::Fetch(vec![of_t(
            0,
            Ok(FetchResult {
                high_watermark: 1,
                log_start_offset: 0,
                replica: 2,
                batches: vec![batch],
                in_storage: None,
                last_stable_offset: 1,
                aborted: Some(vec![AbortedTxn { producer_id: 4, first_offset: 0, last_offset: 1 }]),
            }),
        )]),
        Response::Metadata {
            brokers: vec![BrokerInfo { id: 1, rack: Some("eu-1".into()), alive: true }],
            topics: vec![
                ("t".into(), Ok(topic_metadata())),
                ("x".into(), Err(Error::TopicAuthorizationFailed("may not describe x".into()))),
            ],
        },
        Response::ListOffsets(Some(OffsetAndTimestamp { offset: 3, timestamp: -1 })),
        Response::ListOffsets(None),
        Response::CreateTopics(vec![
            TopicOutcome { topic: "a".into(), error: None },
            TopicOutcome { topic: "b".into(), error: Some(Error::TopicAlreadyExists("b exists".into())) },
        ]),
        Response::OffsetFetch(Some(CommittedOffset { offset: 2, metadata: None })),
        Response::OffsetFetch(None),
        Response::InitProducerId { producer_id: 12, epoch: 0 },
        Response::Txn,
        Response::DescribeConfigs(vec![ConfigEntry { name: "retention.ms", value: "5".into(), is_default: false }]),
        Response::DescribeConfigs(vec![ConfigEntry { name: "broker.id", value: "2".into(), is_default: false }]),
        Response::AlterConfigs,
        Response::DeleteRecords(vec![
            of_t(0, Ok(DeletedRecords { leader: 2, log_start: 7, low_watermark: 5 })),
            of_t(1, Err(Error::PolicyViolation("compact only".into()))),
        ]),
        Response::AlterPartitionReassignments(vec![
            of_t(0, Ok(())),
            of_t(1, Err(Error::NoReassignmentInProgress("not moving".into()))),
        ]),
        Response::ListPartitionReassignments(vec![OngoingReassignment {
            topic: "t".into(),
            partition: 2,
            replicas: vec![3, 1, 2],
            adding_replicas: vec![3],
            removing_replicas: vec![2],
        }]),
        Response::CreateAcls(vec![None, Some(Error::InvalidRequest("bad principal".into()))]),
        Response::DescribeAcls(vec![acl()]),
        Response::DeleteAcls(vec![vec![acl()], vec![]]),
        Response::SaslHandshake { mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-256".into()] },
        Response::SaslAuthenticate {
            principal: Some("User:a".into()),
            message: "v=x".into(),
            session_lifetime_ms: 9000,
        },
        Response::SaslAuthenticate {
            principal: None,
            message: "r=xy,s=c2FsdA==,i=4096".into(),
            session_lifetime_ms: 0,
        },
        Response::ListTransactions(vec![description()]),
        Response::DescribeTransactions(vec![
            ("tx-1".into(), Ok(description())),
            ("tx-2".into(), Err(Error::TransactionalIdNotFound("never used".into()))),
        ]),
        Response::AlterUserScramCredentials(vec![
            ("a".into(), None),
            ("b".into(), Some(Error::UnacceptableCredential("1 iteration".into()))),
        ]),
        Response::DescribeUserScramCredentials(vec![
            ("a".into(), Ok(vec![ScramCredentialInfo { mechanism: "SCRAM-SHA-256".into(), iterations: 4096 }])),
            ("z".into(), Err(Error::ResourceNotFound("no credentials".into()))),
        ]),
    ];
    for r in responses {
        let (env, _) = envelope::response(3.0, &r);
        assert_eq!(response(&env.into()).unwrap(), (Some(3.0), Ok(r)));
    }
    let failed = envelope::error_response(Some(4.0), &Error::NotEnoughReplicas("isr 1".into()));
    assert_eq!(response(&failed.into()).unwrap(), (Some(4.0), Err(Error::NotEnoughReplicas("isr 1".into()))));
}
