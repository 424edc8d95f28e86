//! Committed offsets live where Kafka keeps them: as records of the internal, compacted `__consumer_offsets`
//! topic, in Kafka's own formats (OffsetCommitKey v1, OffsetCommitValue v3), in the partition
//! `abs(javaHashCode(group)) % partitions`, whose leader is the group's coordinator. They go through the same
//! replication, storage and compaction as every other record. The cluster keeps each key's latest value in
//! memory (Kafka's coordinator cache), rebuilt from the log when the cluster reopens; a deletion is a
//! tombstone.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::metadata::BrokerId;
use super::offsets::CommittedOffset;
use super::state::Cluster;
use super::NewTopic;
use crate::core::error::{Error, Result};
use crate::core::protocol::ProduceData;
use crate::core::record::{get_string, marker_of, put_string, split_batches, BatchRecord, Marker, Record, RecordBatch};
use crate::core::replication::Acks;
use crate::core::storage::ReplicaKey;
use crate::core::topic::{CONSUMER_OFFSETS, TRANSACTION_STATE};

/// Kafka's `offsets.topic.num.partitions` (and `transaction.state.log.num.partitions`) is 50; a tab's groups
/// and transactional ids need far fewer, and every partition costs a replica per broker in memory and in storage.
pub const OFFSETS_TOPIC_PARTITIONS: u32 = 10;

/// Kafka's `offsets.topic.replication.factor` (and `transaction.state.log.replication.factor`), capped by the
/// brokers there are.
const OFFSETS_TOPIC_REPLICATION: i32 = 3;

const KEY_VERSION: i16 = 1;
const VALUE_VERSION: i16 = 3;

/// Which group, topic and partition a committed offset is for.
pub type OffsetKey = (String, String, u32);

/// Java's `String.hashCode`: over UTF-16 code units, wrapping.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The `__consumer_offsets` partition of `group` (or the `__transaction_state` partition of a transactional id),
/// as Kafka's `partitionFor` computes it.
pub fn partition_for(group: &str, partitions: u32) -> u32 {
    (java_hash(group) & 0x7fff_ffff) as u32 % partitions
}

/// OffsetCommitKey v1: version, group, topic, partition.
pub fn encode_key(group: &str, topic: &str, partition: u32) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_i16(KEY_VERSION);
    put_string(&mut buf, group);
    put_string(&mut buf, topic);
    buf.put_i32(partition as i32);
    buf.freeze()
}

/// OffsetCommitValue v3: version, offset, leader epoch (-1: unknown), metadata, commit timestamp.
pub fn encode_value(committed: &CommittedOffset, now_ms: i64) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_i16(VALUE_VERSION);
    buf.put_i64(committed.offset);
    buf.put_i32(-1);
    put_string(&mut buf, committed.metadata.as_deref().unwrap_or(""));
    buf.put_i64(now_ms);
    buf.freeze()
}

/// A record of `__consumer_offsets`: its key, and the committed offset (`None`: a tombstone). `None` for a
/// record that is not an offset commit (Kafka's group metadata records, another version).
pub fn decode(key: &[u8], value: Option<&[u8]>) -> Option<(OffsetKey, Option<CommittedOffset>)> {
    let mut k = key;
    if k.try_get_i16().ok()? != KEY_VERSION {
        return None;
    }
    let id = (get_string(&mut k)?, get_string(&mut k)?, u32::try_from(k.try_get_i32().ok()?).ok()?);
    let Some(mut v) = value else { return Some((id, None)) };
    if v.try_get_i16().ok()? != VALUE_VERSION {
        return None;
    }
    let offset = v.try_get_i64().ok()?;
    let _leader_epoch = v.try_get_i32().ok()?;
    let metadata = get_string(&mut v)?;
    Some((id, Some(CommittedOffset { offset, metadata: Some(metadata).filter(|m| !m.is_empty()) })))
}

impl Cluster {
    /// Writes a commit (or, with `None`, a tombstone) to the group's `__consumer_offsets` partition, creating
    /// the topic on first use as Kafka does; the cache follows once the write is in the log.
    pub(super) fn append_offset(&mut self, key: OffsetKey, committed: Option<CommittedOffset>) -> Result<()> {
        let partition = self.offsets_partition(&key.0)? as i32;
        let now = self.now_ms;
        let record = Record {
            key: Some(encode_key(&key.0, &key.1, key.2)),
            value: committed.as_ref().map(|c| encode_value(c, now)),
            timestamp: now,
            headers: Vec::new(),
        };
        // The coordinator answers once its own log has the commit (and storage, for a persistent cluster).
        let data = ProduceData::records(&[record], None);
        self.produce_data(CONSUMER_OFFSETS, partition, data, Acks::of(1), now)
        .map_err(|e| match e {
            Error::NotLeaderOrFollower(why) | Error::LeaderNotAvailable(why) => Error::CoordinatorNotAvailable(
                format!("the coordinator of group {:?} (the leader of {CONSUMER_OFFSETS}-{partition}) is not available: {why}", key.0),
            ),
            other => other,
        })?;
        match committed {
            Some(c) => self.offsets.insert(key, c),
            None => self.offsets.remove(&key),
        };
        Ok(())
    }

    /// The group's `__consumer_offsets` partition, creating the topic on first use as Kafka does.
    pub(super) fn offsets_partition(&mut self, group: &str) -> Result<u32> {
        self.coordinator_partition(CONSUMER_OFFSETS, group)
    }

    /// The partition of `key` (a group, a transactional id) in `topic`, the internal topic its coordinator
    /// keeps its state in; the topic is created, compacted, on first use.
    pub(super) fn coordinator_partition(&mut self, topic: &str, key: &str) -> Result<u32> {
        if self.topic(topic).is_err() {
            let rf = OFFSETS_TOPIC_REPLICATION.min(self.brokers.len() as i32);
            let new = NewTopic::new(topic, OFFSETS_TOPIC_PARTITIONS as i32, rf)
                .config("cleanup.policy", "compact")
                .config("min.insync.replicas", "1");
            self.create_internal_topic(&new)?;
        }
        Ok(partition_for(key, self.topic(topic)?.partition_count))
    }

    /// Kafka's FindCoordinator: the broker leading the group's `__consumer_offsets` partition, which serves
    /// the group's membership and offsets. `COORDINATOR_NOT_AVAILABLE` (retriable) while that partition has no
    /// live leader.
    pub fn find_coordinator(&mut self, group: &str) -> Result<BrokerId> {
        if group.is_empty() {
            return Err(Error::InvalidGroupId("the group id must not be empty".into()));
        }
        self.coordinator_of(CONSUMER_OFFSETS, group, &format!("group {group:?}"))
    }

    /// The coordinator of `key` (`what` it is), which keeps its state in `topic`: the leader of its partition
    /// there, while that leader is up.
    pub(super) fn coordinator_of(&mut self, topic: &str, key: &str, what: &str) -> Result<BrokerId> {
        let partition = self.coordinator_partition(topic, key)?;
        let leader = self.partition(topic, partition as i32)?.leader;
        leader.filter(|b| self.replication.is_up(*b)).ok_or_else(|| {
            Error::CoordinatorNotAvailable(format!(
                "the coordinator of {what} (the leader of {topic}-{partition}) is not available yet; a new one is \
                 elected within broker.session.timeout.ms"
            ))
        })
    }

    /// The coordinators' timers: groups' session and rebalance timeouts, transactions' timeouts and markers,
    /// each run only where its coordinator is up.
    pub fn tick_coordinators(&mut self, now_ms: i64) {
        self.tick_groups(now_ms);
        self.tick_transactions(now_ms);
    }

    fn tick_groups(&mut self, now_ms: i64) {
        let partitions = self.topic(CONSUMER_OFFSETS).map(|t| t.partition_count).ok();
        let leaders: Vec<bool> = (0..partitions.unwrap_or(0))
            .map(|p| {
                let leader = self.partition(CONSUMER_OFFSETS, p as i32).ok().and_then(|s| s.leader);
                leader.is_some_and(|b| self.replication.is_up(b))
            })
            .collect();
        // Before the topic exists, no group has had a coordinator go down.
        let served = |group: &str| partitions.is_none_or(|n| leaders[partition_for(group, n) as usize]);
        self.groups.tick_served(now_ms, served);
    }

    /// The replicas a reopened cluster reads its coordinators' state from: each partition's leader of
    /// `__consumer_offsets` (committed offsets) and `__transaction_state`, with the offsets to read. The shell
    /// loads `[from, to)` and passes it to [`Cluster::load_coordinator_state`].
    pub fn coordinator_state_to_load(&self) -> Vec<(ReplicaKey, i64, i64)> {
        let mut out = Vec::new();
        for name in [CONSUMER_OFFSETS, TRANSACTION_STATE] {
            let Ok(topic) = self.topic(name) else { continue };
            out.extend((0..topic.partition_count as i32).filter_map(|p| {
                let leader = self.partition(name, p).ok()?.leader?;
                let log = self.replica_log(name, p as u32, leader)?;
                let replica = ReplicaKey::new(leader, name, p as u32);
                Some((replica, log.log_start_offset(), log.log_end_offset()))
            }));
        }
        out
    }

    /// Replays batches of a partition of `__consumer_offsets` or `__transaction_state` (in offset order) into
    /// the coordinators' memory. Offsets committed in a transaction count once its marker commits them.
    pub fn load_coordinator_state(&mut self, topic: &str, partition: u32, batches: &[Bytes]) -> Result<()> {
        for bytes in batches {
            for item in split_batches(bytes) {
                let (header, bytes) = item?;
                if header.attributes.is_control() {
                    if let Some(marker) = marker_of(&header, &bytes)? {
                        self.decide_offsets(header.producer_id, partition, marker == Marker::Commit);
                    }
                    continue;
                }
                let transactional = header.attributes.is_transactional().then_some(header.producer_id);
                let batch = RecordBatch::decode_records(header, bytes)?;
                for BatchRecord { record, .. } in batch.records {
                    let Some(key) = record.key.as_deref() else { continue };
                    if topic == TRANSACTION_STATE {
                        self.load_txn_records(key, record.value.as_deref());
                        continue;
                    }
                    match (decode(key, record.value.as_deref()), transactional) {
                        (Some((id, Some(committed))), Some(producer)) => {
                            self.pending_offsets.entry((producer, partition)).or_default().insert(id, committed);
                        }
                        (Some((id, Some(committed))), None) => {
                            self.offsets.insert(id, committed);
                        }
                        (Some((id, None)), _) => {
                            self.offsets.remove(&id);
                        }
                        (None, _) => {}
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_land_where_kafka_puts_them() {
        // Java: "billing".hashCode() = -109212364 ... computed independently: 31-polynomial over UTF-16.
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("ab"), 97 * 31 + 98);
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java: abs() keeps it in range.
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(partition_for("polygenelubricants", 50), 0);
        assert!((0..1000).all(|i| partition_for(&format!("group-{i}"), 10) < 10));
    }

    #[test]
    fn commits_and_tombstones_round_trip_in_kafkas_formats() {
        let key = encode_key("billing", "orders", 7);
        assert_eq!(&key[..2], &[0, 1], "key version 1");
        let committed = CommittedOffset { offset: 42, metadata: Some("note".into()) };
        let value = encode_value(&committed, 1_700_000_000_000);
        assert_eq!(&value[..2], &[0, 3], "value version 3");
        let id = ("billing".to_owned(), "orders".to_owned(), 7);
        assert_eq!(decode(&key, Some(&value)), Some((id.clone(), Some(committed))));
        assert_eq!(decode(&key, None), Some((id, None)));
        assert_eq!(decode(b"\x00\x02garbage", None), None, "group metadata records are not offsets");
        assert_eq!(decode(b"\x00\x01\x00\x09short", None), None, "a truncated key is refused, not a panic");
    }
}
