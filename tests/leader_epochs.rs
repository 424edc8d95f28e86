//! Leader epochs (KIP-101, KIP-279): the cache of where each epoch starts, OffsetsForLeaderEpoch, the follower's
//! truncation rule, persistence of the cache, and (property test) that replicas following leaders through any
//! sequence of elections, clean or not, end up with exactly the leader's log.
#![cfg(not(target_arch = "wasm32"))] // property tests run natively (proptest needs an OS randomness source)

use franz::core::log::{truncation_offset, EpochEnd, LeaderEpochs, PartitionLog, StoredBatch, UNDEFINED_EPOCH};
use franz::core::record::{EncodedRecords, Record};
use franz::core::topic::TopicConfig;
use proptest::prelude::*;

fn cache(entries: &[(i32, i64)]) -> LeaderEpochs {
    let mut c = LeaderEpochs::default();
    for &(epoch, start) in entries {
        c.assign(epoch, start);
    }
    c
}

fn end(epoch: i32, end_offset: i64) -> EpochEnd {
    EpochEnd { epoch, end_offset }
}

#[test]
fn end_offset_for_answers_as_kafka_does() {
    let c = cache(&[(1, 0), (3, 10), (4, 25)]);
    assert_eq!(c.end_offset_for(4, 30), end(4, 30), "the latest epoch ends at the LEO");
    assert_eq!(c.end_offset_for(3, 30), end(3, 25), "an older epoch ends where the next starts");
    assert_eq!(c.end_offset_for(2, 30), end(1, 10), "an epoch this replica never had: the largest below it");
    assert_eq!(c.end_offset_for(0, 30), end(0, 0), "below every epoch: the first start");
    assert_eq!(c.end_offset_for(7, 30), EpochEnd::UNDEFINED, "above every epoch");
    assert_eq!(c.end_offset_for(UNDEFINED_EPOCH, 30), EpochEnd::UNDEFINED);
}

#[test]
fn assign_ignores_old_epochs_and_a_new_epoch_overrides_what_it_overlaps() {
    let mut c = cache(&[(1, 0), (3, 10)]);
    c.assign(2, 12);
    c.assign(3, 15);
    assert_eq!(c.entries(), [(1, 0), (3, 10)], "stale or current epochs change nothing");
    c.assign(5, 8);
    assert_eq!(c.entries(), [(1, 0), (5, 8)], "a newer epoch starting earlier replaces what it overlaps");
}

#[test]
fn truncation_trims_the_cache_from_either_end() {
    let mut c = cache(&[(1, 0), (3, 10), (4, 25)]);
    c.truncate_from_end(25);
    assert_eq!(c.entries(), [(1, 0), (3, 10)]);
    c.truncate_from_start(12);
    assert_eq!(c.entries(), [(3, 12)], "the epoch spanning the new log start now starts there");
}

#[test]
fn a_follower_truncates_to_where_both_logs_agree() {
    let follower = cache(&[(1, 0), (2, 10)]);
    // The leader had epoch 2 too, but it ended at 8 there: the follower keeps 0..8.
    assert_eq!(truncation_offset(end(2, 8), &follower, 14), 8);
    // The leader never had epoch 2; its epoch 1 ended at 12: the follower keeps epoch 1, which ends at 10.
    assert_eq!(truncation_offset(end(1, 12), &follower, 14), 10);
    // The leader's epoch is one the follower lacks: back to the end of the follower's largest epoch below it.
    let skipped = cache(&[(1, 0), (3, 10)]);
    assert_eq!(truncation_offset(end(2, 12), &skipped, 14), 10);
}

fn records(n: usize, tag: usize) -> Vec<Record> {
    (0..n).map(|i| Record::new(format!("{tag}-{i}"), 0)).collect()
}

#[test]
fn a_log_keeps_its_epochs_through_appends_truncation_and_a_reopen() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    for (epoch, n) in [(0, 3), (0, 2), (2, 4), (5, 1)] {
        log.append_records_as_leader(&EncodedRecords::from_records(&records(n, 0)), None, epoch, &config, 0).unwrap();
    }
    assert_eq!(log.leader_epochs().entries(), [(0, 0), (2, 5), (5, 9)]);
    assert_eq!(log.end_offset_for_epoch(2), end(2, 9));
    log.truncate_to(9);
    assert_eq!(log.leader_epochs().entries(), [(0, 0), (2, 5)], "epoch 5's only batch is gone");
    let tail = log.batches().last().cloned();
    let reopened =
        PartitionLog::reopened(0, log.size_bytes(), log.producer_states().clone(), log.leader_epochs().clone(), tail);
    assert_eq!(reopened.leader_epochs(), log.leader_epochs());
    assert_eq!(reopened.end_offset_for_epoch(2), end(2, 9));
    log.truncate_to(7);
    assert_eq!(log.leader_epochs().entries(), [(0, 0)], "truncation is by whole batch: 5..=8 held offset 7");
}

/// One follower fetch round against `leader`, as Kafka's fetcher does it: a divergence check on the follower's
/// last epoch first (truncating if the leader says so), else a copy of what follows the follower's LEO.
/// Returns whether anything changed.
fn fetch_round(follower: &mut PartitionLog, leader: &PartitionLog) -> bool {
    let leo = follower.log_end_offset();
    if let Some(last_epoch) = follower.leader_epochs().latest_epoch() {
        let leader_end = leader.end_offset_for_epoch(last_epoch);
        if leader_end.epoch < last_epoch || leader_end.end_offset < leo {
            let to = truncation_offset(leader_end, follower.leader_epochs(), leo);
            follower.truncate_to(to);
            return true;
        }
    }
    let batches = leader.read(leo, 1 << 20, leader.log_end_offset()).unwrap_or_default();
    let mut changed = false;
    for bytes in batches {
        let batch = StoredBatch::from_bytes(bytes).unwrap();
        if batch.base_offset >= follower.log_end_offset() {
            follower.append_with_offsets(batch).unwrap();
            changed = true;
        }
    }
    changed
}

#[derive(Debug, Clone)]
enum Step {
    Append { records: usize },
    Fetch { replica: usize },
    Elect { replica: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1usize..4).prop_map(|records| Step::Append { records }),
        3 => (0usize..3).prop_map(|replica| Step::Fetch { replica }),
        1 => (0usize..3).prop_map(|replica| Step::Elect { replica }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Whatever happened (appends that reached only some replicas, leaders elected whatever their log, which is
    /// an unclean election when they lag), once every follower has fetched until nothing changes, each holds
    /// exactly the leader's batches: the epoch rule never lets replicas diverge.
    #[test]
    fn followers_converge_on_the_leaders_log_through_any_elections(steps in prop::collection::vec(step(), 1..60)) {
        let config = TopicConfig::default();
        let mut logs = [PartitionLog::new(), PartitionLog::new(), PartitionLog::new()];
        let (mut leader, mut epoch) = (0usize, 0i32);
        for (i, s) in steps.into_iter().enumerate() {
            match s {
                Step::Append { records: n } => {
                    logs[leader].append_records_as_leader(&EncodedRecords::from_records(&records(n, i)), None, epoch, &config, 0).unwrap();
                }
                Step::Fetch { replica } if replica != leader => {
                    let source = logs[leader].clone();
                    fetch_round(&mut logs[replica], &source);
                }
                Step::Fetch { .. } => {}
                Step::Elect { replica } => {
                    leader = replica;
                    epoch += 1;
                }
            }
        }
        let source = logs[leader].clone();
        for replica in (0..3).filter(|&r| r != leader) {
            let mut rounds = 0;
            while fetch_round(&mut logs[replica], &source) {
                rounds += 1;
                prop_assert!(rounds < 100, "replica {} never settles", replica);
            }
            let mine: Vec<_> = logs[replica].batches().cloned().collect();
            let theirs: Vec<_> = source.batches().cloned().collect();
            prop_assert_eq!(mine, theirs, "replica {} holds the leader's log", replica);
        }
    }
}
