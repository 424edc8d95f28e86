//! Choosing a partition for a record, exactly as Kafka's clients do.
//!
//! - An explicit partition wins (and must exist).
//! - A keyed record goes to `(murmur2(key) & 0x7fffffff) % partitions`, Java Kafka's and KafkaJS's
//!   DefaultPartitioner, so a key lands on the same partition whichever client wrote it.
//! - A record without a key goes round-robin over the partitions that have a leader (the rule the lecture
//!   teaches and KafkaJS's default), or, with [`NullKeyStrategy::Sticky`], sticks to one partition until the
//!   producer closes the batch (KIP-480, Java's default since 2.4), which makes fuller batches.

use std::collections::BTreeMap;

use crate::core::error::{Error, Result};
use crate::core::rng::SplitMix64;

/// Kafka's murmur2 (a 32-bit MurmurHash2 with seed `0x9747b28c`), bit-identical to `Utils.murmur2` in Java.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h: u32 = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let tail = chunks.remainder();
    // Java's switch falls through from case 3 to case 1.
    if tail.len() == 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner gives a key.
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    KeyHash::Java.partition(key, partitions)
}

/// KafkaJS's `LegacyPartitioner` hash (its default before 2.0): murmur2 as that JavaScript computes it. There
/// `*` multiplies doubles (rounding past 2^53) and each bit operator takes the result modulo 2^32, and its word
/// loop runs ceil(len / 4) times, reading missing bytes as 0, before the tail bytes are mixed in as well. So it
/// differs from Java's [`murmur2`] for most keys; franz keeps it so that an app that chose it places keys as
/// it did under KafkaJS.
pub fn legacy_kafkajs_murmur2(data: &[u8]) -> i32 {
    const M: f64 = 0x5bd1_e995 as f64;
    // JavaScript's ToInt32 of an integral double (every value here is one), and `>>>` of it.
    let int32 = |x: f64| (x as i128).rem_euclid(1 << 32) as u32 as i32;
    let shr = |x: f64, n: u32| ((int32(x) as u32) >> n) as i32;
    let byte = |i: usize| i32::from(data.get(i).copied().unwrap_or(0));
    let len = data.len();
    let mut h = f64::from(0x9747_b28c_u32 as i32 ^ len as i32);
    for word in 0..len.div_ceil(4) {
        let at = 4 * word;
        let mut k = f64::from(byte(at))
            + f64::from(byte(at + 1) << 8)
            + f64::from(byte(at + 2) << 16)
            + f64::from(byte(at + 3) << 24);
        k *= M;
        k = f64::from(int32(k) ^ shr(k, 24));
        k *= M;
        h *= M;
        h = f64::from(int32(h) ^ int32(k));
    }
    let tail = len & !3;
    if len % 4 == 3 {
        h = f64::from(int32(h) ^ (byte(tail + 2) << 16));
    }
    if len % 4 >= 2 {
        h = f64::from(int32(h) ^ (byte(tail + 1) << 8));
    }
    if len % 4 >= 1 {
        h = f64::from(int32(h) ^ byte(tail));
        h *= M;
    }
    h = f64::from(int32(h) ^ shr(h, 13));
    h *= M;
    int32(h) ^ shr(h, 15)
}

/// How a keyed record's partition is computed: `(hash(key) & 0x7fffffff) % partitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyHash {
    /// Java's murmur2: Java Kafka's, and KafkaJS's `DefaultPartitioner` (`JavaCompatiblePartitioner`) since 2.0.
    #[default]
    Java,
    /// KafkaJS's `LegacyPartitioner`.
    LegacyKafkaJs,
}

impl KeyHash {
    pub fn partition(self, key: &[u8], partitions: u32) -> u32 {
        let hash = match self {
            KeyHash::Java => murmur2(key),
            KeyHash::LegacyKafkaJs => legacy_kafkajs_murmur2(key),
        };
        ((hash & 0x7fff_ffff) as u32) % partitions.max(1)
    }
}

/// What to do with records that have no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NullKeyStrategy {
    /// One partition after another (KafkaJS's default, and the lecture's rule).
    #[default]
    RoundRobin,
    /// Stay on one partition until the batch is closed, then move (KIP-480).
    Sticky,
}

/// A producer-side partitioner. Holds only the round-robin counters and sticky choices, per topic.
#[derive(Debug, Clone)]
pub struct Partitioner {
    strategy: NullKeyStrategy,
    key_hash: KeyHash,
    next_round_robin: BTreeMap<String, u32>,
    sticky: BTreeMap<String, u32>,
    /// Sticky choices are random in Kafka; seeded here so runs replay.
    rng: SplitMix64,
}

impl Partitioner {
    pub fn new(strategy: NullKeyStrategy, seed: u64) -> Self {
        Partitioner {
            strategy,
            key_hash: KeyHash::Java,
            next_round_robin: BTreeMap::new(),
            sticky: BTreeMap::new(),
            rng: SplitMix64::new(seed),
        }
    }

    /// This partitioner, placing keyed records by `key_hash`.
    pub fn with_key_hash(self, key_hash: KeyHash) -> Self {
        Partitioner { key_hash, ..self }
    }

    /// Chooses the partition for one record.
    ///
    /// `available` lists the partitions that currently have a leader; null-keyed records avoid the others, as
    /// Kafka's clients do. Keyed and explicit records ignore it: their partition must not depend on liveness.
    pub fn partition(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        explicit: Option<i32>,
        partitions: u32,
        available: &[u32],
    ) -> Result<u32> {
        self.for_topic(topic, partitions, available).partition(key, explicit)
    }

    /// Chooses partitions for the records of one send to `topic`, as [`Self::partition`] does: the topic's
    /// round-robin counter is looked up once for the send rather than once per record.
    pub fn for_topic<'a>(&'a mut self, topic: &'a str, partitions: u32, available: &'a [u32]) -> TopicPartitioner<'a> {
        let round_robin = self.next_round_robin.get(topic).copied();
        TopicPartitioner { partitioner: self, topic, candidates: Candidates { available, partitions }, round_robin }
    }

    /// The producer closed a batch for `topic`: a sticky partitioner moves to another partition.
    pub fn batch_closed(&mut self, topic: &str, partitions: u32, available: &[u32]) {
        let candidates = Candidates { available, partitions };
        if self.strategy == NullKeyStrategy::Sticky && candidates.len() > 0 {
            self.stick_to_new_partition(topic, candidates);
        }
    }

    fn stick_to_new_partition(&mut self, topic: &str, candidates: Candidates) -> u32 {
        let old = self.sticky.get(topic).copied();
        let all: Vec<u32> = (0..candidates.len()).map(|i| candidates.get(i)).collect();
        let others: Vec<u32> = all.iter().copied().filter(|&p| Some(p) != old).collect();
        let choices = if others.is_empty() { all } else { others };
        let chosen = choices[self.rng.below(choices.len())];
        self.sticky.insert(topic.to_owned(), chosen);
        chosen
    }
}

/// A [`Partitioner`] placing the records of one send to one topic (see [`Partitioner::for_topic`]).
pub struct TopicPartitioner<'a> {
    partitioner: &'a mut Partitioner,
    topic: &'a str,
    candidates: Candidates<'a>,
    /// The topic's round-robin counter while the send is placed; written back when it is done.
    round_robin: Option<u32>,
}

impl TopicPartitioner<'_> {
    /// Chooses the partition for one record (see [`Partitioner::partition`]).
    pub fn partition(&mut self, key: Option<&[u8]>, explicit: Option<i32>) -> Result<u32> {
        let (topic, partitions) = (self.topic, self.candidates.partitions);
        if partitions == 0 {
            return Err(Error::UnknownTopicOrPartition(format!("topic {topic} has no partitions")));
        }
        if let Some(p) = explicit {
            return u32::try_from(p).ok().filter(|&p| p < partitions).ok_or_else(|| {
                Error::UnknownTopicOrPartition(format!(
                    "partition {p} does not exist: topic {topic} has partitions 0..{}",
                    partitions - 1
                ))
            });
        }
        if let Some(key) = key {
            return Ok(self.partitioner.key_hash.partition(key, partitions));
        }
        let candidates = self.candidates;
        match self.partitioner.strategy {
            NullKeyStrategy::RoundRobin => {
                let counter = self.round_robin.get_or_insert(0);
                let chosen = candidates.get(*counter as usize % candidates.len());
                *counter = counter.wrapping_add(1);
                Ok(chosen)
            }
            NullKeyStrategy::Sticky => match self.partitioner.sticky.get(topic) {
                Some(&p) if candidates.contains(p) => Ok(p),
                _ => Ok(self.partitioner.stick_to_new_partition(topic, candidates)),
            },
        }
    }
}

impl Drop for TopicPartitioner<'_> {
    fn drop(&mut self) {
        let Some(next) = self.round_robin else { return };
        match self.partitioner.next_round_robin.get_mut(self.topic) {
            Some(counter) => *counter = next,
            None => {
                self.partitioner.next_round_robin.insert(self.topic.to_owned(), next);
            }
        }
    }
}

/// The partitions a null-keyed record may go to: those with a leader, or every one when `available` is empty
/// (nothing known yet). Read in place, never collected, since it is consulted per record.
#[derive(Clone, Copy)]
struct Candidates<'a> {
    available: &'a [u32],
    partitions: u32,
}

impl Candidates<'_> {
    fn len(&self) -> usize {
        if self.available.is_empty() {
            self.partitions as usize
        } else {
            self.available.len()
        }
    }

    fn get(&self, i: usize) -> u32 {
        if self.available.is_empty() {
            i as u32
        } else {
            self.available[i]
        }
    }

    fn contains(&self, p: u32) -> bool {
        if self.available.is_empty() {
            p < self.partitions
        } else {
            self.available.contains(&p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_java_kafka_vectors() {
        // KafkaJS's Java-compatible partitioner spec; its values were generated by running Java's Utils.murmur2.
        // Lengths 1 to 9 cover every tail case of the algorithm.
        let vectors: [(&str, i32); 17] = [
            ("0", 971027396),
            ("1", -1993445489),
            ("128", -326012175),
            ("2187", -1508407203),
            ("16384", -325739742),
            ("78125", -1654490814),
            ("279936", 1462227128),
            ("823543", -2014198330),
            ("2097152", 607668903),
            ("4782969", -1182699775),
            ("10000000", -1830336757),
            ("19487171", -1603849305),
            ("35831808", -857013643),
            ("62748517", -1167431028),
            ("105413504", -381294639),
            ("170859375", -1658323481),
            ("100:48069", 1009543857),
        ];
        for (key, expected) in vectors {
            assert_eq!(murmur2(key.as_bytes()), expected, "murmur2({key:?})");
        }
    }

    #[test]
    fn legacy_kafkajs_murmur2_matches_kafkajs_vectors() {
        // The values KafkaJS's own tests expect of its legacy murmur2 (lengths 1 to 9: every tail case).
        let vectors: [(&str, i32); 16] = [
            ("0", 272173970),
            ("1", 1311020360),
            ("128", 2053105854),
            ("2187", -2081355488),
            ("16384", 204404061),
            ("78125", -677491393),
            ("279936", -622460209),
            ("823543", 651276451),
            ("2097152", 944683677),
            ("4782969", -892695770),
            ("10000000", -1778616326),
            ("19487171", -518311627),
            ("35831808", 556972389),
            ("62748517", -233806557),
            ("105413504", -109398538),
            ("170859375", 102939717),
        ];
        for (key, expected) in vectors {
            assert_eq!(legacy_kafkajs_murmur2(key.as_bytes()), expected, "legacy murmur2({key:?})");
        }
    }

    #[test]
    fn the_legacy_hash_places_keys_with_it_and_never_panics() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 1).with_key_hash(KeyHash::LegacyKafkaJs);
        let key = b"user-42";
        assert_ne!(legacy_kafkajs_murmur2(key), murmur2(key), "the two hashes differ for most keys");
        let legacy = ((legacy_kafkajs_murmur2(key) & 0x7fff_ffff) as u32) % 7;
        assert_eq!(p.partition("t", Some(key), None, 7, &[]).unwrap(), legacy);
        // Long keys and high bytes (a negative `<< 24`) stay within JavaScript's arithmetic, without overflow.
        for len in 0..300 {
            let key: Vec<u8> = (0..len).map(|i| 255 - (i % 7) as u8).collect();
            assert!(p.partition("t", Some(&key), None, 5, &[]).unwrap() < 5);
        }
    }

    #[test]
    fn explicit_partition_wins_and_must_exist() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 1);
        assert_eq!(p.partition("t", Some(b"k"), Some(2), 3, &[]).unwrap(), 2);
        for bad in [3, -1] {
            let err = p.partition("t", None, Some(bad), 3, &[]).unwrap_err();
            assert_eq!(err.name(), "UNKNOWN_TOPIC_OR_PARTITION");
        }
    }

    #[test]
    fn same_key_same_partition_regardless_of_availability() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 1);
        let first = p.partition("t", Some(b"user-42"), None, 6, &[]).unwrap();
        for _ in 0..10 {
            assert_eq!(p.partition("t", Some(b"user-42"), None, 6, &[0]).unwrap(), first);
        }
        assert_eq!(first, partition_for_key(b"user-42", 6));
    }

    #[test]
    fn null_keys_go_round_robin_over_available_partitions_per_topic() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 1);
        let seq: Vec<u32> = (0..6).map(|_| p.partition("a", None, None, 3, &[]).unwrap()).collect();
        assert_eq!(seq, [0, 1, 2, 0, 1, 2]);
        let seq: Vec<u32> = (0..4).map(|_| p.partition("b", None, None, 3, &[0, 2]).unwrap()).collect();
        assert_eq!(seq, [0, 2, 0, 2]);
    }

    #[test]
    fn a_send_placed_at_once_continues_the_topics_round_robin() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 1);
        assert_eq!(p.partition("a", None, None, 3, &[]).unwrap(), 0);
        let mut send = p.for_topic("a", 3, &[]);
        let placed: Vec<u32> = (0..4).map(|_| send.partition(None, None).unwrap()).collect();
        assert_eq!(placed, [1, 2, 0, 1]);
        // Keyed and explicit records in the send leave the counter alone, as they do one by one.
        assert_eq!(send.partition(None, Some(0)).unwrap(), 0);
        assert_eq!(send.partition(Some(b"k"), None).unwrap(), partition_for_key(b"k", 3));
        drop(send);
        assert_eq!(p.partition("a", None, None, 3, &[]).unwrap(), 2, "the send's count is kept for the next");
        assert_eq!(p.for_topic("b", 3, &[]).partition(None, None).unwrap(), 0, "each topic counts alone");
    }

    #[test]
    fn sticky_stays_until_the_batch_closes_then_moves() {
        let mut p = Partitioner::new(NullKeyStrategy::Sticky, 7);
        let first = p.partition("t", None, None, 4, &[]).unwrap();
        for _ in 0..20 {
            assert_eq!(p.partition("t", None, None, 4, &[]).unwrap(), first);
        }
        p.batch_closed("t", 4, &[]);
        let second = p.partition("t", None, None, 4, &[]).unwrap();
        assert_ne!(second, first, "a closed batch moves the sticky partition");
        // An unavailable sticky partition is abandoned at once.
        let others: Vec<u32> = (0..4).filter(|&x| x != second).collect();
        assert!(others.contains(&p.partition("t", None, None, 4, &others).unwrap()));
    }

    #[test]
    fn zero_partitions_is_an_error_not_a_panic() {
        let mut p = Partitioner::new(NullKeyStrategy::RoundRobin, 1);
        assert_eq!(p.partition("t", None, None, 0, &[]).unwrap_err().name(), "UNKNOWN_TOPIC_OR_PARTITION");
    }
}
