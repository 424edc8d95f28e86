//! Consumer groups: the assignors (with balance and stickiness properties) and the coordinator's classic
//! protocol: join rounds, generations, the leader's assignment, heartbeats, session and rebalance timeouts.
#![cfg(not(target_arch = "wasm32"))] // property tests run natively (proptest needs an OS randomness source)

use std::collections::{BTreeMap, BTreeSet};

use franz::core::groups::{Assignor, Coordinator, GroupState, Join, Joined, Reply, Subscription, TopicPartition};
use proptest::prelude::*;

fn subs(members: &[(&str, &[&str])]) -> BTreeMap<String, Subscription> {
    members
        .iter()
        .map(|(m, topics)| {
            (
                m.to_string(),
                Subscription {
                    topics: topics.iter().map(|t| t.to_string()).collect(),
                    owned: vec![],
                    metadata: vec![],
                },
            )
        })
        .collect()
}

fn counts(topics: &[(&str, u32)]) -> BTreeMap<String, u32> {
    topics.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
    list.iter().map(|(t, p)| (t.to_string(), *p)).collect()
}

#[test]
fn range_gives_each_member_a_contiguous_range_per_topic() {
    let members = subs(&[("c0", &["t0", "t1"]), ("c1", &["t0", "t1"])]);
    let a = Assignor::Range.assign(&members, &counts(&[("t0", 3), ("t1", 3)]));
    // Kafka's documented example: C0 gets t0p0, t0p1, t1p0, t1p1; C1 gets t0p2, t1p2.
    assert_eq!(a["c0"], tps(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)]));
    assert_eq!(a["c1"], tps(&[("t0", 2), ("t1", 2)]));
}

#[test]
fn round_robin_deals_partitions_in_turn_and_a_member_beyond_the_partitions_idles() {
    let members = subs(&[("a", &["t"]), ("b", &["t"]), ("c", &["t"]), ("d", &["t"])]);
    let a = Assignor::RoundRobin.assign(&members, &counts(&[("t", 3)]));
    assert_eq!(a["a"], tps(&[("t", 0)]));
    assert_eq!(a["b"], tps(&[("t", 1)]));
    assert_eq!(a["c"], tps(&[("t", 2)]));
    assert_eq!(a["d"], vec![], "four consumers, three partitions: one idles");
}

#[test]
fn cooperative_sticky_keeps_partitions_and_revokes_before_it_moves() {
    let mut members = subs(&[("a", &["t"]), ("b", &["t"])]);
    members.get_mut("a").unwrap().owned = tps(&[("t", 0), ("t", 1), ("t", 2), ("t", 3)]);
    let first = Assignor::CooperativeSticky.assign(&members, &counts(&[("t", 4)]));
    assert_eq!(first["a"].len(), 2, "a keeps two of its four");
    assert_eq!(first["b"], vec![], "the two a gives up are revoked this round, not yet given to b");
    members.get_mut("a").unwrap().owned = first["a"].clone();
    let second = Assignor::CooperativeSticky.assign(&members, &counts(&[("t", 4)]));
    assert_eq!(second["a"], first["a"], "a's partitions never stopped being consumed");
    assert_eq!(second["b"].len(), 2, "b gets the revoked two in the follow-up rebalance");
}

#[test]
fn unknown_assignors_are_refused() {
    assert_eq!(Assignor::from_name("sticky-ish").unwrap_err().name(), "INCONSISTENT_GROUP_PROTOCOL");
    assert_eq!(Assignor::from_name("roundrobin").unwrap(), Assignor::RoundRobin);
}

fn members_and_partitions() -> impl Strategy<Value = (usize, BTreeMap<String, u32>)> {
    (1usize..7, prop::collection::btree_map("[a-c]", 1u32..10, 1..3))
}

fn check_complete(
    a: &BTreeMap<String, Vec<TopicPartition>>,
    partitions: &BTreeMap<String, u32>,
) -> Result<(), TestCaseError> {
    let mut seen = BTreeSet::new();
    for list in a.values() {
        for tp in list {
            prop_assert!(seen.insert(tp.clone()), "{tp:?} assigned twice");
        }
    }
    let all: usize = partitions.values().map(|n| *n as usize).sum();
    prop_assert_eq!(seen.len(), all, "every partition assigned");
    Ok(())
}

proptest! {
    #[test]
    fn every_assignor_assigns_each_partition_once_and_round_robin_and_sticky_balance(
        (n, partitions) in members_and_partitions()
    ) {
        let topics: Vec<&str> = partitions.keys().map(String::as_str).collect();
        let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let members = subs(&names.iter().map(|m| (m.as_str(), &topics[..])).collect::<Vec<_>>());
        for assignor in [Assignor::Range, Assignor::RoundRobin, Assignor::CooperativeSticky] {
            let a = assignor.assign(&members, &partitions);
            check_complete(&a, &partitions)?;
            if assignor != Assignor::Range {
                let sizes: Vec<usize> = a.values().map(Vec::len).collect();
                prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "{assignor:?} balanced: {sizes:?}");
            }
        }
    }

    /// A member joins or leaves a balanced group: in two cooperative rounds the group is balanced again, no
    /// partition is ever given to one member while another still owns it, and members keep what they can.
    #[test]
    fn cooperative_sticky_rebalances_in_two_rounds_and_moves_little(
        (n, partitions) in members_and_partitions(),
        grow in any::<bool>(),
    ) {
        let topics: Vec<&str> = partitions.keys().map(String::as_str).collect();
        let names: Vec<String> = (0..n + 1).map(|i| format!("m{i}")).collect();
        let before_names = if grow { &names[..n] } else { &names[..] };
        let after_names = if grow { &names[..] } else { &names[..n] };
        let group = |list: &[String]| subs(&list.iter().map(|m| (m.as_str(), &topics[..])).collect::<Vec<_>>());
        let before = Assignor::CooperativeSticky.assign(&group(before_names), &partitions);
        let mut members = group(after_names);
        for (m, s) in members.iter_mut() {
            s.owned = before.get(m).cloned().unwrap_or_default();
        }
        let first = Assignor::CooperativeSticky.assign(&members, &partitions);
        for (m, list) in &first {
            for tp in list {
                let owner = before.iter().find(|(_, l)| l.contains(tp)).map(|(o, _)| o);
                prop_assert!(owner.is_none_or(|o| o == m || !members.contains_key(o)), "{tp:?} given to {m} while owned");
            }
        }
        let total: usize = partitions.values().map(|n| *n as usize).sum();
        let fair = total / after_names.len();
        for (m, s) in &members {
            let kept = first[m].iter().filter(|tp| s.owned.contains(tp)).count();
            prop_assert!(kept >= s.owned.len().min(fair), "{m} kept {kept} of {:?}", s.owned);
        }
        for (m, s) in members.iter_mut() {
            s.owned = first[m].clone();
        }
        let second = Assignor::CooperativeSticky.assign(&members, &partitions);
        check_complete(&second, &partitions)?;
        let sizes: Vec<usize> = second.values().map(Vec::len).collect();
        prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "balanced: {sizes:?}");
    }
}

// ---- the coordinator

fn join(group: &str, member: Option<&str>, client: &str, topics: &[&str]) -> Join {
    Join {
        group: group.into(),
        member_id: member.map(str::to_owned),
        client_id: client.into(),
        session_timeout_ms: 1000,
        rebalance_timeout_ms: 2000,
        topics: topics.iter().map(|t| t.to_string()).collect(),
        protocols: vec!["roundrobin".into(), "range".into()],
        owned: vec![],
        metadata: Default::default(),
    }
}

/// The join answers now waiting, by member.
fn joined(c: &mut Coordinator) -> BTreeMap<String, Result<Joined, String>> {
    c.take_replies()
        .into_iter()
        .filter_map(|r| match r {
            Reply::Join { member_id, result, .. } => Some((member_id, result.map_err(|e| e.name().to_owned()))),
            Reply::Sync { .. } => None,
        })
        .collect()
}

fn synced(c: &mut Coordinator) -> BTreeMap<String, Result<Vec<TopicPartition>, String>> {
    c.take_replies()
        .into_iter()
        .filter_map(|r| match r {
            Reply::Sync { member_id, result, .. } => Some((member_id, result.map_err(|e| e.name().to_owned()))),
            Reply::Join { .. } => None,
        })
        .collect()
}

/// Members a and b of group "g" at time 0, the join round over: their join answers.
fn two_joined(c: &mut Coordinator) -> (String, String, BTreeMap<String, Result<Joined, String>>) {
    let a = c.join(join("g", None, "a", &["t"]), 0);
    let b = c.join(join("g", None, "b", &["t"]), 0);
    c.join(join("g", Some(&a), "a", &["t"]), 0); // a's round of one ended at once; b's arrival started this one
    (a, b, joined(c))
}

/// Runs a full round for `members` (all already joined): the leader assigns round-robin, everyone syncs.
fn complete_round(
    c: &mut Coordinator,
    answers: &BTreeMap<String, Result<Joined, String>>,
    partitions: u32,
    now: i64,
) -> BTreeMap<String, Vec<TopicPartition>> {
    let leader = answers.values().next().unwrap().as_ref().unwrap().leader.clone();
    let lead = answers[&leader].as_ref().unwrap();
    let assignment = Assignor::RoundRobin.assign(&lead.members, &counts(&[("t", partitions)]));
    for (m, a) in answers {
        let a = a.as_ref().unwrap();
        c.sync("g", m, a.generation, (m == &leader).then(|| assignment.clone()), now);
    }
    synced(c).into_iter().map(|(m, r)| (m, r.unwrap())).collect()
}

#[test]
fn members_join_a_leader_assigns_and_everyone_gets_its_partitions() {
    let mut c = Coordinator::new();
    let a = c.join(join("g", None, "app", &["t"]), 0);
    assert_eq!(joined(&mut c).len(), 1, "alone: the round ends at once");
    let b = c.join(join("g", None, "app", &["t"]), 10);
    let rejoin = c.heartbeat("g", &a, 1, 20).unwrap_err();
    assert_eq!(rejoin.name(), "REBALANCE_IN_PROGRESS", "a's heartbeat tells it to rejoin");
    c.join(join("g", Some(&a), "app", &["t"]), 30);
    let answers = joined(&mut c);
    assert_eq!(answers.len(), 2);
    let (ja, jb) = (answers[&a].as_ref().unwrap(), answers[&b].as_ref().unwrap());
    assert_eq!((ja.generation, jb.generation), (2, 2));
    assert_eq!(ja.leader, jb.leader);
    assert_eq!(ja.protocol, "roundrobin", "the first assignor everyone supports");
    let leader = ja.leader.clone();
    assert_eq!(answers[&leader].as_ref().unwrap().members.len(), 2, "the leader sees every subscription");
    let follower = if leader == a { &b } else { &a };
    assert!(answers[follower].as_ref().unwrap().members.is_empty(), "the others do not");
    let assigned = complete_round(&mut c, &answers, 4, 40);
    assert_eq!(assigned.values().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    let d = c.describe("g").unwrap();
    assert_eq!((d.state, d.generation, d.members.len()), (GroupState::Stable, 2, 2));
    assert_eq!(c.heartbeat("g", &a, 2, 50), Ok(()));
}

#[test]
fn four_consumers_on_three_partitions_leave_one_idle() {
    let mut c = Coordinator::new();
    let ids: Vec<String> = (0..4).map(|i| c.join(join("g", None, &format!("c{i}"), &["t"]), i)).collect();
    let _ = c.take_replies(); // c0's round of one
                              // c1..c3 arrived in the round c1 started; c0 rejoins it, and the round ends with all four.
    c.join(join("g", Some(&ids[0]), "c0", &["t"]), 10);
    let answers = joined(&mut c);
    assert_eq!(answers.len(), 4);
    let assigned = complete_round(&mut c, &answers, 3, 20);
    let mut sizes: Vec<usize> = assigned.values().map(Vec::len).collect();
    sizes.sort();
    assert_eq!(sizes, [0, 1, 1, 1]);
}

#[test]
fn a_silent_member_is_removed_after_its_session_timeout_and_the_rest_rebalance() {
    let mut c = Coordinator::new();
    let (a, b, answers) = two_joined(&mut c);
    let generation = answers[&a].as_ref().unwrap().generation;
    complete_round(&mut c, &answers, 2, 0);
    for now in (100..=1000).step_by(100) {
        c.heartbeat("g", &a, generation, now).unwrap(); // b says nothing
        c.tick(now);
    }
    assert_eq!(c.describe("g").unwrap().members.len(), 2, "within the session timeout");
    c.heartbeat("g", &a, generation, 1100).unwrap();
    c.tick(1100);
    let d = c.describe("g").unwrap();
    assert_eq!(d.members.len(), 1, "b is gone");
    assert_eq!(d.state, GroupState::PreparingRebalance);
    assert_eq!(c.heartbeat("g", &b, generation, 1150).unwrap_err().name(), "UNKNOWN_MEMBER_ID");
    assert_eq!(c.heartbeat("g", &a, generation, 1150).unwrap_err().name(), "REBALANCE_IN_PROGRESS");
    c.join(join("g", Some(&a), "a", &["t"]), 1200);
    let answers = joined(&mut c);
    let assigned = complete_round(&mut c, &answers, 2, 1200);
    assert_eq!(assigned[&a].len(), 2, "a takes over b's partition");
}

/// Group simulator seed 4720: a leader that dies after its JoinGroup answer never sends its SyncGroup. The members
/// waiting in SyncGroup (which send no heartbeats meanwhile) keep their place; the leader's session ends, and the
/// rebalance that starts answers them, so they join again instead of waiting forever for a reply.
#[test]
fn members_waiting_for_a_dead_leaders_assignment_are_told_to_join_again() {
    let mut c = Coordinator::new();
    let (a, b, answers) = two_joined(&mut c);
    let leader = answers[&a].as_ref().unwrap().leader.clone();
    let follower = if leader == a { b.clone() } else { a.clone() };
    let generation = answers[&follower].as_ref().unwrap().generation;
    c.sync("g", &follower, generation, None, 0); // answered once the leader's assignment is in
    for now in (100..=1000).step_by(100) {
        c.tick(now);
        assert!(synced(&mut c).is_empty(), "the follower waits for the leader at {now}");
    }
    c.tick(1100); // both have been silent for a whole session, but the follower only waited
    let d = c.describe("g").unwrap();
    assert_eq!(d.members.iter().map(|m| &m.0).collect::<Vec<_>>(), [&follower], "the leader is gone, not the follower");
    assert_eq!(d.state, GroupState::PreparingRebalance);
    let answer = synced(&mut c).remove(&follower).expect("the waiting SyncGroup is answered");
    assert_eq!(answer.unwrap_err(), "REBALANCE_IN_PROGRESS");
    c.join(join("g", Some(&follower), "f", &["t"]), 1200);
    let answers = joined(&mut c);
    assert_eq!(complete_round(&mut c, &answers, 2, 1200)[&follower].len(), 2, "it takes every partition");
}

#[test]
fn leaving_rebalances_at_once_and_a_member_that_does_not_rejoin_in_time_is_dropped() {
    let mut c = Coordinator::new();
    let (a, b, answers) = two_joined(&mut c);
    complete_round(&mut c, &answers, 2, 0);
    c.leave("g", &b, 10).unwrap();
    assert_eq!(c.describe("g").unwrap().state, GroupState::PreparingRebalance, "a must rejoin");
    c.join(join("g", Some(&a), "a", &["t"]), 20);
    assert_eq!(c.describe("g").unwrap().state, GroupState::CompletingRebalance);
    let _ = c.take_replies();

    // A new member starts a round; a keeps heartbeating but never rejoins, and is dropped once the rebalance
    // timeout (2000 ms) is over.
    let d = c.join(join("g", None, "d", &["t"]), 100);
    for now in (150..2100).step_by(100) {
        assert_eq!(c.heartbeat("g", &a, 3, now).unwrap_err().name(), "REBALANCE_IN_PROGRESS");
        c.tick(now);
    }
    assert!(joined(&mut c).is_empty(), "still waiting for a");
    c.tick(2101);
    let answers = joined(&mut c);
    assert_eq!(answers.keys().collect::<Vec<_>>(), [&d], "the round completed without a");
    assert_eq!(c.describe("g").unwrap().members.len(), 1);
}

#[test]
fn bad_requests_get_kafkas_errors() {
    let mut c = Coordinator::new();
    let name = |c: &mut Coordinator| joined(c).into_values().next().unwrap().unwrap_err();
    c.join(join("g", Some("ghost"), "x", &["t"]), 0);
    assert_eq!(name(&mut c), "UNKNOWN_MEMBER_ID");
    c.join(Join { session_timeout_ms: 10, ..join("g", None, "x", &["t"]) }, 0);
    assert_eq!(name(&mut c), "INVALID_SESSION_TIMEOUT");
    c.join(join("", None, "x", &["t"]), 0);
    assert_eq!(name(&mut c), "INVALID_GROUP_ID");
    let a = c.join(join("g", None, "a", &["t"]), 0);
    let _ = c.take_replies();
    c.join(Join { protocols: vec!["cooperative-sticky".into()], ..join("g", None, "b", &["t"]) }, 0);
    assert_eq!(name(&mut c), "INCONSISTENT_GROUP_PROTOCOL");
    c.sync("g", &a, 99, None, 0);
    assert_eq!(synced(&mut c)[&a].clone().unwrap_err(), "ILLEGAL_GENERATION");
    assert_eq!(c.heartbeat("g", &a, 99, 0).unwrap_err().name(), "ILLEGAL_GENERATION");
    assert_eq!(c.delete("g").unwrap_err().name(), "NON_EMPTY_GROUP");
    assert_eq!(c.delete("nope").unwrap_err().name(), "GROUP_ID_NOT_FOUND");
    c.leave("g", &a, 0).unwrap();
    assert_eq!(c.describe("g").unwrap().state, GroupState::Empty);
    c.delete("g").unwrap();
    assert!(c.list().is_empty());
}

#[test]
fn a_custom_protocol_is_chosen_by_name_and_its_metadata_goes_to_the_leader_alone() {
    let mut c = Coordinator::new();
    // Both offer a custom assignor first; only b's second choice is franz's, so the shared one is the custom.
    let custom = |client: &str, id: Option<&str>, bytes: &[u8]| Join {
        protocols: vec!["MyAssigner".into(), "roundrobin".into()],
        metadata: [("MyAssigner".to_owned(), bytes.to_vec()), ("Other".to_owned(), vec![9])].into(),
        ..join("g", id, client, &["t"])
    };
    let a = c.join(custom("a", None, &[1, 2]), 0);
    let b = c.join(custom("b", None, &[3]), 0);
    c.join(custom("a", Some(&a), &[1, 2]), 0);
    let answers = joined(&mut c);
    let lead = answers[&a].as_ref().unwrap();
    assert_eq!((lead.protocol.as_str(), &lead.leader), ("MyAssigner", &a));
    let metadata: Vec<(&String, &[u8])> = lead.members.iter().map(|(m, s)| (m, &s.metadata[..])).collect();
    assert_eq!(metadata, [(&a, &[1u8, 2][..]), (&b, &[3][..])]);
    assert!(answers[&b].as_ref().unwrap().members.is_empty(), "only the leader sees the members");
    // The leader's assignment is the coordinator's to pass on, whatever assignor made it.
    let assignment: BTreeMap<String, Vec<TopicPartition>> =
        [(a.clone(), tps(&[("t", 0)])), (b.clone(), tps(&[("t", 1)]))].into();
    c.sync("g", &b, 2, None, 0);
    c.sync("g", &a, 2, Some(assignment), 0);
    assert_eq!(synced(&mut c), [(a, Ok(tps(&[("t", 0)]))), (b, Ok(tps(&[("t", 1)])))].into());
    assert_eq!(c.describe("g").unwrap().protocol.as_deref(), Some("MyAssigner"));
}

// ---- the group simulator

#[test]
fn four_members_on_three_partitions_one_idles_after_the_group_settles() {
    use franz::core::groups::sim::{owned_after, GroupSimConfig};
    let config = GroupSimConfig { partitions: 3, max_consumers: 4, ..GroupSimConfig::default() };
    let mut sizes: Vec<usize> = owned_after(1, &config).iter().map(Vec::len).collect();
    sizes.sort();
    assert_eq!(sizes, [0, 1, 1, 1]);
}

#[test]
fn group_seeds_deliver_at_least_once_with_the_gap_bounded_by_what_was_uncommitted() {
    use franz::core::groups::sim::{run_group, GroupSimConfig};
    let env = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    let (first, seeds) = (env("FRANZ_GROUP_FIRST").unwrap_or(0), env("FRANZ_GROUP_SEEDS").unwrap_or(100));
    let default = GroupSimConfig::default();
    let partitions = env("FRANZ_GROUP_PARTITIONS").map_or(default.partitions, |n| n as u32);
    let max_consumers = env("FRANZ_GROUP_CONSUMERS").map_or(default.max_consumers, |n| n as usize);
    for assignor in [Assignor::RoundRobin, Assignor::Range, Assignor::CooperativeSticky] {
        let config = GroupSimConfig { assignor, partitions, max_consumers, ..GroupSimConfig::default() };
        let (mut crashes, mut reprocessed, mut generations, mut fenced, mut kills, mut coordinators) =
            (0, 0, 0, 0, 0, 0);
        for seed in first..first + seeds {
            let report = run_group(seed, &config).unwrap_or_else(|f| panic!("{assignor:?}: {f}"));
            crashes += report.crashes;
            reprocessed += report.reprocessed;
            generations += report.generations;
            fenced += report.fenced;
            kills += report.broker_kills;
            coordinators += report.coordinator_kills;
        }
        println!(
            "{assignor:?}: {seeds} seeds, {crashes} consumer crashes, {kills} broker deaths ({coordinators} of the \
             group's coordinator), {fenced} fenced members, {generations} generations, {reprocessed} records \
             processed twice"
        );
        assert!(crashes > 0 && generations > seeds as i32, "members really come and go");
        assert!(coordinators > 0, "the group's coordinator really dies");
        // A member may miss a rebalance while its coordinator is down (12 000 seeds per assignor: 0, 0 and 26
        // such members, all reported above); its uncommitted work is then read again, within the bound.
    }
}

#[test]
fn only_a_member_of_the_current_generation_may_commit() {
    let mut c = Coordinator::new();
    let a = c.join(join("g", None, "a", &["t"]), 0);
    let answers = joined(&mut c);
    assert_eq!(c.check_commit("g", &a, 1).unwrap_err().name(), "REBALANCE_IN_PROGRESS", "before the leader's sync");
    complete_round(&mut c, &answers, 2, 0);
    assert_eq!(c.check_commit("g", &a, 1), Ok(()));
    assert_eq!(c.check_commit("g", &a, 0).unwrap_err().name(), "ILLEGAL_GENERATION", "a zombie of an older generation");
    assert_eq!(c.check_commit("g", "ghost", 1).unwrap_err().name(), "UNKNOWN_MEMBER_ID");
    assert_eq!(c.check_commit("other", &a, 1).unwrap_err().name(), "UNKNOWN_MEMBER_ID");
}

mod offsets_topic {
    use bytes::Bytes;
    use franz::core::cluster::{
        offsets_partition_for, Cluster, NewTopic, OFFSETS_TOPIC_PARTITIONS, SESSION_TIMEOUT_MS,
    };
    use franz::core::record::decode_batches;

    const T0: i64 = 1_700_000_000_000;

    /// The (key, value) bytes of every record of a `__consumer_offsets` partition.
    fn records(c: &Cluster, partition: u32) -> Vec<(Bytes, Option<Bytes>)> {
        let fetched = c.fetch("__consumer_offsets", partition as i32, 0, usize::MAX).unwrap();
        let batches = decode_batches(&Bytes::from(fetched.batches.concat())).unwrap();
        let records = batches.iter().flat_map(|b| b.consumer_records());
        records.map(|(_, r)| (r.key.unwrap(), r.value)).collect()
    }

    #[test]
    fn commits_are_records_of_the_compacted_internal_topic_in_kafkas_format() {
        let mut c = Cluster::new(3, 1);
        c.create_topic(&NewTopic::new("orders", 2, 1), false).unwrap();
        assert!(c.describe_topic("__consumer_offsets").is_err(), "created on the first commit, as in Kafka");
        c.commit_offset("billing", "orders", 0, 5, None).unwrap();
        c.commit_offset("billing", "orders", 0, 9, Some("note".into())).unwrap();
        let topic = c.describe_topic("__consumer_offsets").unwrap();
        assert!(topic.is_internal && topic.config.cleanup_policy.compact);
        assert_eq!(topic.partitions.len(), OFFSETS_TOPIC_PARTITIONS as usize);
        assert_eq!(topic.partitions[0].replicas.len(), 3, "offsets.topic.replication.factor=3");

        let p = offsets_partition_for("billing", OFFSETS_TOPIC_PARTITIONS);
        let written = records(&c, p);
        assert_eq!(written.len(), 2);
        // OffsetCommitKey v1: version 1, "billing", "orders", partition 0.
        let key = [&[0u8, 1, 0, 7][..], b"billing", &[0, 6], b"orders", &[0, 0, 0, 0]].concat();
        assert_eq!(written[1].0.as_ref(), &key[..]);
        // OffsetCommitValue v3: version 3, offset 9, leader epoch -1, "note", then the commit time.
        let value = written[1].1.clone().unwrap();
        assert_eq!(
            &value[..20],
            &[&[0u8, 3, 0, 0, 0, 0, 0, 0, 0, 9, 255, 255, 255, 255, 0, 4][..], b"note"].concat()[..]
        );
        assert_eq!(c.committed_offset("billing", "orders", 0).unwrap().unwrap().offset, 9);

        c.delete_group("billing").unwrap();
        let written = records(&c, p);
        assert_eq!((written.len(), written[2].1.clone()), (3, None), "a deleted group leaves a tombstone");
        assert_eq!(c.committed_offset("billing", "orders", 0).unwrap(), None);

        // Replaying the log gives back exactly what the cache held.
        c.commit_offset("audit", "orders", 1, 3, None).unwrap();
        let mut replayed = Cluster::new(3, 1);
        for partition in 0..OFFSETS_TOPIC_PARTITIONS {
            let Ok(f) = c.fetch("__consumer_offsets", partition as i32, 0, usize::MAX) else { continue };
            replayed.load_coordinator_state("__consumer_offsets", partition, &f.batches).unwrap();
        }
        assert_eq!(replayed.committed_offset("audit", "orders", 1).unwrap().unwrap().offset, 3);
        assert_eq!(replayed.committed_offset("billing", "orders", 0).unwrap(), None);
    }

    #[test]
    fn a_commit_needs_the_groups_coordinator() {
        let mut c = Cluster::new(3, 1);
        c.create_topic(&NewTopic::new("orders", 1, 1), false).unwrap();
        c.commit_offset("billing", "orders", 0, 1, None).unwrap();
        let p = offsets_partition_for("billing", OFFSETS_TOPIC_PARTITIONS);
        let coordinator = c.describe_topic("__consumer_offsets").unwrap().partitions[p as usize].leader.unwrap();
        c.kill_broker(coordinator, T0).unwrap();
        let e = c.commit_offset("billing", "orders", 0, 2, None).unwrap_err();
        assert_eq!((e.name(), e.retriable()), ("COORDINATOR_NOT_AVAILABLE", true));
        assert_eq!(c.committed_offset("billing", "orders", 0).unwrap().unwrap().offset, 1, "nothing changed");
        c.tick(T0 + SESSION_TIMEOUT_MS + 100).unwrap();
        c.commit_offset("billing", "orders", 0, 2, None).unwrap();
        assert_eq!(
            c.committed_offset("billing", "orders", 0).unwrap().unwrap().offset,
            2,
            "a new coordinator took over"
        );
    }
}
