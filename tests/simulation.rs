//! The replication simulator: a whole cluster driven by one seed through crashes, restarts, lost, late,
//! reordered and doubled messages, network partitions and failing storage writes, then checked against Kafka's
//! guarantees (see `franz::core::replication::sim`). `FRANZ_SIM_SEEDS` sets how many seeds run (default 1000),
//! from `FRANZ_SIM_FIRST` (default 0); `FRANZ_SIM_SEED` and `FRANZ_SIM_STEPS` replay one. `FRANZ_SIM_PARTITIONS`
//! and `FRANZ_SIM_PRODUCERS` change the cluster's load for a sweep, and `FRANZ_SIM_BROKERS` the size of the
//! cluster the default sweep runs (the reassignment sweep always has four).
#![cfg(not(target_arch = "wasm32"))]

use franz::core::replication::sim::{run, SimConfig};

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

fn first_seed() -> u64 {
    env("FRANZ_SIM_FIRST").unwrap_or(0)
}

/// `config` with the partitions and producers a sweep asked for.
fn loaded(config: SimConfig) -> SimConfig {
    SimConfig {
        partitions: env("FRANZ_SIM_PARTITIONS").map_or(config.partitions, |n| n as u32),
        producers: env("FRANZ_SIM_PRODUCERS").map_or(config.producers, |n| n as usize),
        transactional: env("FRANZ_SIM_TRANSACTIONAL").map_or(config.transactional, |n| n as usize),
        ..config
    }
}

#[test]
fn without_faults_everything_is_acknowledged_consumed_and_replicated() {
    let config = SimConfig { faults: false, ..SimConfig::default() };
    let report = run(1, &config).unwrap_or_else(|f| panic!("{f}"));
    assert!(report.acked > 100, "acks=all writes went through: {report:?}");
    assert_eq!(report.consumed, report.acked, "consumers read every acknowledged record once: {report:?}");
    assert_eq!(report.crashes, 0);
}

#[test]
fn seeds_with_faults_keep_every_guarantee() {
    let seeds = env("FRANZ_SIM_SEEDS").unwrap_or(1000);
    let brokers = env("FRANZ_SIM_BROKERS").map_or(SimConfig::default().brokers, |n| n as i32);
    let config = loaded(SimConfig { brokers, ..SimConfig::default() });
    let (mut acked, mut crashes, mut leader_changes, mut follower_reads, mut deletions) = (0, 0, 0, 0, 0);
    for seed in first_seed()..first_seed() + seeds {
        let report = run(seed, &config).unwrap_or_else(|f| panic!("{f}"));
        acked += report.acked;
        crashes += report.crashes;
        leader_changes += report.leader_changes;
        follower_reads += report.follower_reads;
        deletions += report.deletions;
    }
    println!(
        "{seeds} seeds: {acked} acknowledged records, {crashes} crashes, {leader_changes} leader changes, \
         {follower_reads} reads from followers, {deletions} DeleteRecords"
    );
    assert!(deletions > seeds as usize, "leaders delete records under the same faults: {deletions}");
    assert!(follower_reads > 0, "consumers read from in-sync followers in their rack");
    assert!(crashes > seeds as usize / 2, "the faults really happen: {crashes} crashes in {seeds} seeds");
    assert!(leader_changes > 0, "and move leaders");
}

/// Partitions reassigned among four brokers (and moves cancelled), under the same faults: every guarantee holds,
/// every move completes once the cluster settles, and the brokers a partition left hold nothing of it.
#[test]
fn seeds_with_reassignments_across_four_brokers_keep_every_guarantee() {
    let seeds = env("FRANZ_SIM_SEEDS").map_or(300, |s| s / 3);
    let config = loaded(SimConfig { brokers: 4, ..SimConfig::default() });
    let (mut reassignments, mut moves, mut acked) = (0, 0, 0);
    for seed in first_seed()..first_seed() + seeds {
        let report = run(seed, &config).unwrap_or_else(|f| panic!("{f}"));
        (reassignments, moves, acked) =
            (reassignments + report.reassignments, moves + report.moves, acked + report.acked);
    }
    println!("{seeds} seeds: {reassignments} reassignments started or cancelled, {moves} moves done, {acked} acks");
    assert!(moves > seeds as usize, "partitions really move: {moves} in {seeds} seeds");
}

/// `FRANZ_SIM_SEED=7 FRANZ_SIM_STEPS=1200 cargo test --test simulation replay -- --nocapture`
#[test]
fn replay() {
    let Some(seed) = env("FRANZ_SIM_SEED") else { return };
    let steps = env("FRANZ_SIM_STEPS").map_or(SimConfig::default().steps, |s| s as usize);
    let brokers = env("FRANZ_SIM_BROKERS").map_or(SimConfig::default().brokers, |n| n as i32);
    let config = loaded(SimConfig { steps, brokers, ..SimConfig::default() });
    let report = run(seed, &config).unwrap_or_else(|f| panic!("{f}"));
    println!("seed {seed}: {report:?}");
}

/// Transactional producers among plain ones, under the same faults: besides every guarantee above, each
/// transaction's marker is written until committed, read_committed consumers see exactly the records of
/// committed transactions and plain producers, and every replica agrees on the aborted transactions and the
/// last stable offset.
#[test]
fn seeds_with_transactions_keep_every_guarantee() {
    let seeds = env("FRANZ_SIM_SEEDS").map_or(300, |s| s / 3);
    let config = loaded(SimConfig { transactional: 2, ..SimConfig::default() });
    let (mut committed, mut aborted, mut acked) = (0, 0, 0);
    for seed in first_seed()..first_seed() + seeds {
        let report = run(seed, &config).unwrap_or_else(|f| panic!("{f}"));
        (committed, aborted, acked) =
            (committed + report.committed_txns, aborted + report.aborted_txns, acked + report.acked);
    }
    println!("{seeds} seeds: {committed} transactions committed, {aborted} aborted, {acked} acks");
    assert!(committed > seeds as usize && aborted > seeds as usize / 2, "transactions really end both ways");
}
