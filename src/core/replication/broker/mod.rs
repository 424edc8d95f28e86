//! A broker: the replicas it hosts, leading or following each as the controller says. The follower's side (its
//! fetches and what it does with the answers) is in `follower.rs`; what the shell does with its storage in
//! `storage.rs`.

use std::collections::BTreeMap;

use bytes::Bytes;

mod follower;
mod storage;

use super::{BrokerId, Envelope, FetchData, Message, Node, PartitionId, PartitionState, ReplicaFetch};
use crate::core::error::{Error, Result};
use crate::core::log::{AbortedTxn, AppendInfo, EpochEnd, PartitionLog, ProducerBatch, StoredBatch, UNDEFINED_EPOCH};
use crate::core::protocol::ProduceData;
use crate::core::record::Record;
use crate::core::topic::TopicConfig;

/// The timeouts a broker runs by, with Kafka's names.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// `broker.heartbeat.interval.ms`.
    pub heartbeat_ms: i64,
    /// `replica.lag.time.max.ms`: a follower not caught up for this long leaves the ISR.
    pub replica_lag_max_ms: i64,
    /// How long a follower waits for a fetch answer before asking again.
    pub fetch_timeout_ms: i64,
    /// `request.timeout.ms`: how long an acks=all produce may wait for the ISR.
    pub request_timeout_ms: i64,
}

const FETCH_MAX_BYTES: usize = 1 << 20;

/// A leader's answer to a follower's fetch.
fn reply(me: BrokerId, to: Node, partition: &PartitionId, fetch: ReplicaFetch, result: Result<FetchData>) -> Envelope {
    Envelope {
        from: Node::Broker(me),
        to,
        message: Message::FetchReply {
            partition: partition.clone(),
            fetch_id: fetch.fetch_id,
            leader_epoch: fetch.leader_epoch,
            result,
        },
    }
}

/// A follower's fetch that found nothing new, waiting at the leader for data.
#[derive(Debug, Clone)]
struct Parked {
    from: Node,
    partition: PartitionId,
    fetch: ReplicaFetch,
    since_ms: i64,
}

/// A follower's progress, as its leader knows it.
#[derive(Debug, Clone, Copy)]
struct Progress {
    /// Its log end offset, from its last fetch (-1: it has not fetched in this epoch).
    leo: i64,
    /// Its log start, from its last fetch.
    log_start: i64,
    last_caught_up_ms: i64,
    /// The newest fetch seen from it: an older one arriving late says nothing true about it any more.
    last_fetch_id: u64,
}

#[derive(Debug, Clone)]
struct Replica {
    log: PartitionLog,
    /// The partition as the controller last told this broker.
    state: Option<PartitionState>,
    /// As leader: each follower's progress.
    followers: BTreeMap<BrokerId, Progress>,
    /// As leader: an ISR change asked of the controller: for which partition epoch, when, and the ISR asked for.
    isr_request: Option<(i32, i64, Vec<BrokerId>)>,
    /// As follower: the fetch in flight, and when it was sent.
    fetch_in_flight: Option<(u64, i64)>,
}

impl Replica {
    fn leads(&self, me: BrokerId) -> bool {
        self.state.as_ref().is_some_and(|s| s.leader == Some(me))
    }
}

/// A change to a broker's logs that its storage must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageEvent {
    Appended(PartitionId, StoredBatch),
    /// Everything at or after this offset is gone (a follower's log diverged from its leader's).
    TruncatedTo(PartitionId, i64),
    /// The log start moved up (DeleteRecords at the leader, and its followers following): these batches, by
    /// base offset, are gone.
    StartMoved(PartitionId, Vec<i64>),
    /// The broker hosts the partition no more (it was reassigned away): its whole log is gone.
    Dropped(PartitionId),
}

/// How a produce is acknowledged: Kafka's `acks` (-1 all, 0 or 1) and, with acks=all, how long the leader
/// waits for its ISR before answering REQUEST_TIMED_OUT (a Produce request's `timeout_ms`; `None`: the
/// broker's `request.timeout.ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acks {
    pub acks: i16,
    pub timeout_ms: Option<i64>,
}

impl Acks {
    pub const fn of(acks: i16) -> Acks {
        Acks { acks, timeout_ms: None }
    }
}

/// What a produce got: an answer now, or a wait for the ISR (acks=all) that ends in [`Broker::take_completed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProduceOutcome {
    Done(Result<i64>),
    Pending(u64),
}

/// An acks=all produce that has its answer: the base offset, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub id: u64,
    pub result: Result<i64>,
}

#[derive(Debug, Clone)]
struct Waiting {
    id: u64,
    partition: PartitionId,
    base_offset: i64,
    /// The high watermark that makes the write committed: its last offset + 1.
    needed_hw: i64,
    leader_epoch: i32,
    deadline_ms: i64,
}

/// One replica as a view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaView {
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    pub high_watermark: i64,
    pub leader: Option<BrokerId>,
    pub leader_epoch: i32,
    pub isr: Vec<BrokerId>,
}

#[derive(Debug, Clone)]
pub struct Broker {
    pub id: BrokerId,
    timing: Timing,
    replicas: BTreeMap<PartitionId, Replica>,
    waiting: Vec<Waiting>,
    completed: Vec<Completed>,
    next_request: u64,
    last_heartbeat_ms: i64,
    /// What changed in this broker's logs since the shell last wrote it to storage.
    storage: Vec<StorageEvent>,
    /// Follower fetches waiting for data, and messages to send that no call returned.
    parked: Vec<Parked>,
    /// Follower fetches for batches older than this leader keeps in memory, until the shell reads them from
    /// storage ([`Broker::storage_reads`], [`Broker::answer_from_storage`]).
    storage_reads: Vec<Parked>,
    outbox: Vec<Envelope>,
    /// Ids of this broker's fetches: rising for its whole life, across restarts.
    next_fetch_id: u64,
    /// The next storage write fails (an injected fault: a full disk, an I/O error).
    fail_next_write: bool,
    /// Each topic's config, as the metadata gives it to every broker; the default for topics without one.
    configs: BTreeMap<String, TopicConfig>,
    /// The partitions reassigned away from this broker, and the epochs of the state that said so.
    left: BTreeMap<PartitionId, (i32, i32)>,
    default_config: TopicConfig,
}

impl Broker {
    pub fn new(id: BrokerId, timing: Timing) -> Broker {
        Broker {
            id,
            timing,
            replicas: BTreeMap::new(),
            waiting: Vec::new(),
            completed: Vec::new(),
            next_request: 1,
            next_fetch_id: 1,
            storage: Vec::new(),
            parked: Vec::new(),
            storage_reads: Vec::new(),
            outbox: Vec::new(),
            last_heartbeat_ms: i64::MIN / 2,
            fail_next_write: false,
            configs: BTreeMap::new(),
            left: BTreeMap::new(),
            default_config: TopicConfig::default(),
        }
    }

    pub fn log(&self, partition: &PartitionId) -> Option<&PartitionLog> {
        self.replicas.get(partition).map(|r| &r.log)
    }

    /// A replica's log, for what the shell does to it outside replication: retention, storage reads, repairs.
    pub fn log_mut(&mut self, partition: &PartitionId) -> Option<&mut PartitionLog> {
        self.replicas.get_mut(partition).map(|r| &mut r.log)
    }

    /// The partitions this broker holds a replica of.
    pub fn partitions(&self) -> impl Iterator<Item = &PartitionId> {
        self.replicas.keys()
    }

    /// Every replica's log.
    pub fn logs(&self) -> impl Iterator<Item = (&PartitionId, &PartitionLog)> {
        self.replicas.iter().map(|(id, r)| (id, &r.log))
    }

    /// Every replica's log, to change.
    pub fn logs_mut(&mut self) -> impl Iterator<Item = (&PartitionId, &mut PartitionLog)> {
        self.replicas.iter_mut().map(|(id, r)| (id, &mut r.log))
    }

    /// A topic's config changed (or it was created): what its leader appends follows it.
    pub fn set_topic_config(&mut self, topic: &str, config: TopicConfig) {
        self.configs.insert(topic.to_owned(), config);
    }

    /// The partition is gone (its topic was deleted, or it moved away), with its log and anything waiting on it.
    pub fn drop_replica(&mut self, partition: &PartitionId) {
        self.replicas.remove(partition);
        // A topic made again under the same name starts its epochs over.
        self.left.remove(partition);
        self.parked.retain(|p| &p.partition != partition);
        self.storage_reads.retain(|p| &p.partition != partition);
        let lost: Vec<u64> = self.waiting.iter().filter(|w| &w.partition == partition).map(|w| w.id).collect();
        for id in lost {
            self.finish(
                id,
                Err(Error::UnknownTopicOrPartition(format!("{}-{} was deleted", partition.0, partition.1))),
            );
        }
        if !self.replicas.keys().any(|p| p.0 == partition.0) {
            self.configs.remove(&partition.0);
        }
    }

    pub fn view(&self, partition: &PartitionId) -> Option<ReplicaView> {
        let r = self.replicas.get(partition)?;
        let state = r.state.as_ref();
        Some(ReplicaView {
            log_start_offset: r.log.log_start_offset(),
            log_end_offset: r.log.log_end_offset(),
            high_watermark: r.log.high_watermark(),
            leader: state.and_then(|s| s.leader),
            leader_epoch: state.map_or(-1, |s| s.leader_epoch),
            isr: state.map(|s| s.isr.clone()).unwrap_or_default(),
        })
    }

    /// The broker crashed and came back: its logs are what storage held, everything else is gone until the
    /// controller tells it again. Requests it was holding get no answer.
    pub fn restart(&mut self, now_ms: i64) {
        for r in self.replicas.values_mut() {
            r.state = None;
            r.followers.clear();
            r.isr_request = None;
            r.fetch_in_flight = None;
        }
        self.waiting.clear();
        self.parked.clear();
        self.storage_reads.clear();
        self.outbox.clear();
        self.last_heartbeat_ms = now_ms - self.timing.heartbeat_ms;
    }

    /// The broker died: writes it held waiting for the ISR fail as their clients' connections drop (a retriable
    /// error; an idempotent producer's retry is recognised, should the write survive on the new leader).
    pub fn drop_waiting(&mut self) {
        let ids: Vec<u64> = self.waiting.iter().map(|w| w.id).collect();
        for id in ids {
            let why = format!("broker {} died before the write was acknowledged", self.id);
            self.finish(id, Err(Error::NotLeaderOrFollower(why)));
        }
    }

    pub fn take_completed(&mut self) -> Vec<Completed> {
        std::mem::take(&mut self.completed)
    }

    /// Kafka's Produce at this broker, for one partition: the leader builds the batch from `records`.
    pub fn produce(
        &mut self,
        partition: &PartitionId,
        records: Vec<Record>,
        producer: Option<ProducerBatch>,
        acks: i16,
        now_ms: i64,
    ) -> ProduceOutcome {
        let append = ProduceData::records(&records, producer).leader_append(now_ms);
        self.produce_with(partition, Acks::of(acks), now_ms, append).0
    }

    /// Kafka's Produce at this broker, with `append` doing the leader's append (of records it batches itself,
    /// or of a client's RecordBatch bytes). Also returns what the append said, when it happened.
    pub fn produce_with(
        &mut self,
        partition: &PartitionId,
        Acks { acks, timeout_ms }: Acks,
        now_ms: i64,
        append: impl FnOnce(&mut PartitionLog, i32, &TopicConfig) -> Result<AppendInfo>,
    ) -> (ProduceOutcome, Option<AppendInfo>) {
        let me = self.id;
        let failing = self.write_fails();
        let config = self.configs.get(&partition.0).unwrap_or(&self.default_config);
        let Some(r) = self.replicas.get_mut(partition).filter(|r| r.leads(me)) else {
            let why = format!("broker {me} does not lead {}-{}", partition.0, partition.1);
            return (ProduceOutcome::Done(Err(Error::NotLeaderOrFollower(why))), None);
        };
        let state = r.state.clone().expect("a leader has a state");
        if acks == -1 && state.isr.len() < state.min_insync_replicas {
            let why = format!(
                "the ISR of {}-{} is {:?}, fewer than min.insync.replicas={}",
                partition.0, partition.1, state.isr, state.min_insync_replicas
            );
            return (ProduceOutcome::Done(Err(Error::NotEnoughReplicas(why))), None);
        }
        if failing {
            let why = format!("broker {me} could not write to its storage");
            return (ProduceOutcome::Done(Err(Error::KafkaStorageError(why))), None);
        }
        let info = match append(&mut r.log, state.leader_epoch, config) {
            Ok(info) => info,
            Err(e) => return (ProduceOutcome::Done(Err(e)), None),
        };
        for batch in &info.appended {
            self.storage.push(StorageEvent::Appended(partition.clone(), batch.clone()));
        }
        self.wake_parked(partition, now_ms);
        if acks != -1 {
            self.advance_high_watermark(partition, now_ms);
            return (ProduceOutcome::Done(Ok(info.base_offset)), Some(info));
        }
        let id = self.next_request;
        self.next_request += 1;
        self.waiting.push(Waiting {
            id,
            partition: partition.clone(),
            base_offset: info.base_offset,
            needed_hw: info.last_offset + 1,
            leader_epoch: state.leader_epoch,
            deadline_ms: now_ms + timeout_ms.unwrap_or(self.timing.request_timeout_ms),
        });
        self.advance_high_watermark(partition, now_ms);
        (ProduceOutcome::Pending(id), Some(info))
    }

    /// Kafka's DeleteRecords at this broker, the partition's leader: its log starts at `offset` from now on (-1:
    /// the high watermark), and its followers learn that from their next fetch, which is answered at once.
    /// Returns the new log start.
    pub fn delete_records(&mut self, partition: &PartitionId, offset: i64, now_ms: i64) -> Result<i64> {
        let me = self.id;
        let Some(r) = self.replicas.get_mut(partition).filter(|r| r.leads(me)) else {
            let why = format!("broker {me} does not lead {}-{}", partition.0, partition.1);
            return Err(Error::NotLeaderOrFollower(why));
        };
        let offset = if offset == -1 { r.log.high_watermark() } else { offset };
        if offset < 0 {
            let why = format!("cannot delete records before {offset}: give an offset, or -1 for the high watermark");
            return Err(Error::OffsetOutOfRange(why));
        }
        let removed = r.log.delete_records_before(offset)?;
        let start = r.log.log_start_offset();
        self.storage.push(StorageEvent::StartMoved(partition.clone(), removed));
        self.wake_parked(partition, now_ms);
        Ok(start)
    }

    /// A consumer's read: whole batches from `offset`, never at or above this replica's high watermark. The
    /// leader serves it, and so does a follower in the ISR (KIP-392: a consumer reads from a replica in its rack),
    /// up to the high watermark it has learnt, which is never more than the leader's.
    pub fn read(&self, partition: &PartitionId, offset: i64) -> Result<(Vec<Bytes>, i64)> {
        let r = self.serving(partition)?;
        let hw = r.log.high_watermark();
        Ok((r.log.read(offset, FETCH_MAX_BYTES, hw)?, hw))
    }

    /// The replica that may serve consumers here: this broker leads it, or is in its ISR.
    fn serving(&self, partition: &PartitionId) -> Result<&Replica> {
        let me = self.id;
        let serves = |r: &&Replica| r.leads(me) || r.state.as_ref().is_some_and(|s| s.isr.contains(&me));
        self.replicas.get(partition).filter(serves).ok_or_else(|| {
            Error::NotLeaderOrFollower(format!(
                "broker {me} neither leads {}-{} nor is in sync",
                partition.0, partition.1
            ))
        })
    }

    /// A `read_committed` consumer's read: below the last stable offset, with the aborted transactions there.
    pub fn read_committed(&self, partition: &PartitionId, offset: i64) -> Result<(Vec<Bytes>, Vec<AbortedTxn>)> {
        let log = &self.serving(partition)?.log;
        let stable = log.last_stable_offset();
        Ok((log.read(offset, FETCH_MAX_BYTES, stable)?, log.aborted_between(offset, stable)))
    }

    /// Takes one message; returns what to send (including what it caused elsewhere, such as parked fetches
    /// answered by a new high watermark).
    pub fn handle(&mut self, from: Node, message: Message, now_ms: i64) -> Vec<Envelope> {
        let mut out = self.handle_message(from, message, now_ms);
        out.append(&mut self.outbox);
        out
    }

    fn handle_message(&mut self, from: Node, message: Message, now_ms: i64) -> Vec<Envelope> {
        match message {
            Message::State(state) => self.on_state(state, now_ms),
            Message::Fetch { partition, fetch } => {
                let ReplicaFetch { replica, fetch_offset, .. } = fetch;
                let hw_before = self.log(&partition).map(PartitionLog::high_watermark);
                let Some(result) = self.on_fetch(&partition, fetch, now_ms) else { return Vec::new() };
                let mut out: Vec<Envelope> = self.maybe_expand_isr(&partition, fetch, now_ms).into_iter().collect();
                let log = self.log(&partition);
                // Caught up, and this fetch did not move the high watermark (which the follower must learn).
                let idle =
                    log.is_some_and(|l| l.log_end_offset() == fetch_offset && Some(l.high_watermark()) == hw_before);
                if matches!(&result, Ok(d) if d.batches.is_empty() && d.diverging.is_none()) && idle {
                    // Nothing new: the fetch waits here until there is (Kafka's replica.fetch.wait.max.ms).
                    self.parked.retain(|p| !(p.partition == partition && p.fetch.replica == replica));
                    self.parked.push(Parked { from, partition, fetch, since_ms: now_ms });
                    return out;
                }
                let in_storage = log.is_some_and(|l| {
                    (l.log_start_offset()..l.log_end_offset()).contains(&fetch_offset) && !l.in_memory(fetch_offset)
                });
                if in_storage && matches!(&result, Ok(d) if d.diverging.is_none()) {
                    // The follower is further behind than this leader's memory reaches (it was down a long time):
                    // the shell reads its batches from storage, as Kafka's leader reads its log from disk.
                    self.storage_reads.retain(|p| !(p.partition == partition && p.fetch.replica == replica));
                    self.storage_reads.push(Parked { from, partition, fetch, since_ms: now_ms });
                    return out;
                }
                out.push(reply(self.id, from, &partition, fetch, result));
                out
            }
            Message::FetchReply { partition, fetch_id, leader_epoch, result } => {
                self.on_fetch_reply(&partition, fetch_id, leader_epoch, result, now_ms)
            }
            _ => Vec::new(),
        }
    }

    fn on_state(&mut self, state: PartitionState, now_ms: i64) -> Vec<Envelope> {
        let me = self.id;
        let id = state.partition.clone();
        let epochs = (state.leader_epoch, state.partition_epoch);
        let known = self.replicas.get(&id).and_then(|r| r.state.as_ref()).map(|s| (s.leader_epoch, s.partition_epoch));
        // A state no newer than one this broker has seen (or than the one it left the partition at) is stale: a
        // late message must neither drop a replica a newer state gave it nor bring back one it left.
        if known.or_else(|| self.left.get(&id).copied()).is_some_and(|k| k >= epochs) {
            return Vec::new();
        }
        if !state.replicas.contains(&me) {
            // Reassigned away: the replica and its log go, storage too.
            if self.replicas.contains_key(&id) {
                self.drop_replica(&id);
                self.storage.push(StorageEvent::Dropped(id.clone()));
            }
            self.left.insert(id, epochs);
            return Vec::new();
        }
        let r = self.replicas.entry(id.clone()).or_insert_with(|| Replica {
            log: PartitionLog::new(),
            state: None,
            followers: BTreeMap::new(),
            isr_request: None,
            fetch_in_flight: None,
        });
        let new_epoch = r.state.as_ref().is_none_or(|old| old.leader_epoch != state.leader_epoch);
        if state.leader == Some(me) && new_epoch {
            r.log.begin_leader_epoch(state.leader_epoch);
            // A new leadership: nothing is known of the followers until they fetch in this epoch.
            r.followers.clear();
        }
        if state.leader == Some(me) {
            // Followers that joined (a reassignment) are known from their first fetch; those that left go.
            r.followers.retain(|b, _| state.replicas.contains(b));
            for &b in state.replicas.iter().filter(|&&b| b != me) {
                let unknown = Progress { leo: -1, log_start: 0, last_caught_up_ms: now_ms, last_fetch_id: 0 };
                r.followers.entry(b).or_insert(unknown);
            }
        }
        if r.isr_request.as_ref().is_some_and(|(epoch, _, _)| *epoch != state.partition_epoch) {
            r.isr_request = None;
        }
        if new_epoch {
            r.fetch_in_flight = None;
        }
        r.state = Some(state.clone());
        // Writes waiting on a leadership this broker no longer has get their answer now.
        let lost: Vec<u64> = self
            .waiting
            .iter()
            .filter(|w| w.partition == id && (state.leader != Some(me) || w.leader_epoch != state.leader_epoch))
            .map(|w| w.id)
            .collect();
        for w in lost {
            self.finish(w, Err(Error::NotLeaderOrFollower(format!("broker {me} lost the leadership of {id:?}"))));
        }
        if state.leader == Some(me) {
            self.advance_high_watermark(&id, now_ms);
            Vec::new()
        } else {
            self.fetch(&id, now_ms).into_iter().collect()
        }
    }

    fn finish(&mut self, id: u64, result: Result<i64>) {
        self.waiting.retain(|w| w.id != id);
        self.completed.push(Completed { id, result });
    }

    /// Answers a follower's fetch; `None` for a fetch older than one already seen from it (no answer).
    fn on_fetch(&mut self, partition: &PartitionId, fetch: ReplicaFetch, now_ms: i64) -> Option<Result<FetchData>> {
        let me = self.id;
        let Some(r) = self.replicas.get_mut(partition).filter(|r| r.leads(me)) else {
            let why = format!("broker {me} does not lead {}-{}", partition.0, partition.1);
            return Some(Err(Error::NotLeaderOrFollower(why)));
        };
        if let Some(p) = r.followers.get_mut(&fetch.replica) {
            if fetch.fetch_id <= p.last_fetch_id {
                return None;
            }
            p.last_fetch_id = fetch.fetch_id;
        }
        Some(self.serve_fetch(partition, fetch, now_ms))
    }

    fn serve_fetch(&mut self, partition: &PartitionId, fetch: ReplicaFetch, now_ms: i64) -> Result<FetchData> {
        let ReplicaFetch { replica, leader_epoch, fetch_offset, last_fetched_epoch, .. } = fetch;
        let r = self.replicas.get_mut(partition).expect("the caller found it");
        let my_epoch = r.state.as_ref().map_or(UNDEFINED_EPOCH, |s| s.leader_epoch);
        if leader_epoch < my_epoch {
            return Err(Error::FencedLeaderEpoch(format!("epoch {leader_epoch} is older than {my_epoch}")));
        }
        if leader_epoch > my_epoch {
            return Err(Error::UnknownLeaderEpoch(format!("epoch {leader_epoch} is newer than {my_epoch}")));
        }
        let leo = r.log.log_end_offset();
        let diverging = if last_fetched_epoch != UNDEFINED_EPOCH {
            let end = r.log.end_offset_for_epoch(last_fetched_epoch);
            (end.epoch < last_fetched_epoch || end.end_offset < fetch_offset).then_some(end)
        } else {
            // A follower with no epochs but records past this log's end cannot agree with it.
            (fetch_offset > leo).then_some(EpochEnd { epoch: my_epoch, end_offset: leo })
        };
        let data = |r: &Replica, batches| FetchData {
            high_watermark: r.log.high_watermark(),
            log_start_offset: r.log.log_start_offset(),
            batches,
            diverging,
        };
        if diverging.is_some() {
            return Ok(data(r, Vec::new()));
        }
        if let Some(p) = r.followers.get_mut(&replica) {
            p.leo = fetch_offset;
            p.log_start = fetch.log_start_offset;
            if fetch_offset >= leo {
                p.last_caught_up_ms = now_ms;
            }
        }
        let batches = r.log.read(fetch_offset, FETCH_MAX_BYTES, leo).unwrap_or_default();
        self.advance_high_watermark(partition, now_ms);
        let r = &self.replicas[partition];
        Ok(data(r, batches))
    }

    /// A follower outside the ISR that has caught up to the high watermark (and into this leader's epoch) asks
    /// to rejoin, on a fetch made under the state the leader holds: one from before a reassignment dropped the
    /// replica and made it again would vouch for a log the new replica does not have.
    fn maybe_expand_isr(&mut self, partition: &PartitionId, fetch: ReplicaFetch, now_ms: i64) -> Option<Envelope> {
        let me = self.id;
        let replica = fetch.replica;
        let r = self.replicas.get_mut(partition).filter(|r| r.leads(me))?;
        let state = r.state.clone().filter(|s| s.partition_epoch == fetch.partition_epoch)?;
        let progress = r.followers.get(&replica)?;
        let epoch_start = r.log.leader_epochs().entries().last().map_or(0, |(_, start)| *start);
        // It must also have moved its log start to the leader's (DeleteRecords): a replica that could become
        // leader never brings deleted records back.
        let caught_up = progress.leo >= r.log.high_watermark()
            && progress.leo >= epoch_start
            && progress.log_start >= r.log.log_start_offset();
        if state.isr.contains(&replica) || !caught_up || r.isr_request.is_some() {
            return None;
        }
        let mut isr = state.isr.clone();
        isr.push(replica);
        Some(self.ask_isr(partition, isr, now_ms))
    }

    fn ask_isr(&mut self, partition: &PartitionId, isr: Vec<BrokerId>, now_ms: i64) -> Envelope {
        let r = self.replicas.get_mut(partition).expect("the caller found it");
        let state = r.state.as_ref().expect("a leader has a state");
        r.isr_request = Some((state.partition_epoch, now_ms, isr.clone()));
        Envelope {
            from: Node::Broker(self.id),
            to: Node::Controller,
            message: Message::AlterIsr {
                partition: partition.clone(),
                leader: self.id,
                leader_epoch: state.leader_epoch,
                partition_epoch: state.partition_epoch,
                isr,
            },
        }
    }

    /// The leader's high watermark: the smallest LEO over the ISR (never moving back); acks=all writes below it
    /// are answered. While the leader asks for a follower to join, that follower counts too (Kafka's "maximal
    /// ISR", KIP-497): once the controller agrees it may lead, so the HW must not pass what it holds.
    fn advance_high_watermark(&mut self, partition: &PartitionId, now_ms: i64) {
        let me = self.id;
        let Some(r) = self.replicas.get_mut(partition).filter(|r| r.leads(me)) else { return };
        let state = r.state.as_ref().expect("a leader has a state");
        let leo = r.log.log_end_offset();
        let joining = r.isr_request.as_ref().map(|(_, _, isr)| isr.clone()).unwrap_or_default();
        let hw = state
            .isr
            .iter()
            .chain(joining.iter().filter(|b| !state.isr.contains(b)))
            .map(|b| if *b == me { leo } else { r.followers.get(b).map_or(-1, |p| p.leo) })
            .min()
            .unwrap_or(leo);
        let advanced = hw > r.log.high_watermark();
        if advanced {
            r.log.set_high_watermark(hw);
        }
        let (hw, isr, min_isr) = (r.log.high_watermark(), state.isr.len(), state.min_insync_replicas);
        let done: Vec<(u64, i64)> = self
            .waiting
            .iter()
            .filter(|w| &w.partition == partition && w.needed_hw <= hw)
            .map(|w| (w.id, w.base_offset))
            .collect();
        for (id, base) in done {
            let result = if isr >= min_isr {
                Ok(base)
            } else {
                Err(Error::NotEnoughReplicasAfterAppend(format!(
                    "written, but the ISR shrank to {isr}, below min.insync.replicas={min_isr}"
                )))
            };
            self.finish(id, result);
        }
        if advanced {
            // Followers waiting at the leader learn the new high watermark now (as KIP-392 has Kafka do), so
            // what is committed becomes readable on every replica without waiting for new data.
            self.wake_parked(partition, now_ms);
        }
    }

    /// Each hosted partition and the partition epoch this broker knows of it (-1: none yet, after a restart),
    /// so that the controller tells it what it missed, including that a partition moved away while it was down.
    fn known_epochs(&self) -> Vec<(PartitionId, i32)> {
        let epoch = |r: &Replica| r.state.as_ref().map_or(-1, |s| s.partition_epoch);
        self.replicas.iter().map(|(id, r)| (id.clone(), epoch(r))).collect()
    }

    /// Answers the fetches parked on `partition`: new data has arrived.
    fn wake_parked(&mut self, partition: &PartitionId, now_ms: i64) {
        let (woken, rest): (Vec<Parked>, Vec<Parked>) =
            std::mem::take(&mut self.parked).into_iter().partition(|p| &p.partition == partition);
        self.parked = rest;
        for p in woken {
            let result = self.serve_fetch(&p.partition, p.fetch, now_ms);
            self.outbox.push(reply(self.id, p.from, &p.partition, p.fetch, result));
        }
    }

    /// Messages a produce caused (answers to parked fetches), for the caller to send.
    pub fn take_outbox(&mut self) -> Vec<Envelope> {
        std::mem::take(&mut self.outbox)
    }

    /// Heartbeats, follower fetches, ISR shrinking for laggards, and acks=all timeouts.
    pub fn tick(&mut self, now_ms: i64) -> Vec<Envelope> {
        let me = self.id;
        let mut out = self.take_outbox();
        // A fetch parked at the log end says its follower is caught up right now, however long it has waited
        // (a throttled tab ticks late; that must not look like lag).
        for p in &self.parked {
            if let Some(r) = self.replicas.get_mut(&p.partition) {
                let leo = r.log.log_end_offset();
                if let Some(progress) = r.followers.get_mut(&p.fetch.replica).filter(|_| p.fetch.fetch_offset >= leo) {
                    progress.last_caught_up_ms = now_ms;
                }
            }
        }
        // Parked fetches that waited long enough are answered empty.
        let wait = self.timing.fetch_timeout_ms / 2;
        let (expired, rest): (Vec<Parked>, Vec<Parked>) =
            std::mem::take(&mut self.parked).into_iter().partition(|p| now_ms - p.since_ms >= wait);
        self.parked = rest;
        for p in expired {
            let result = self.serve_fetch(&p.partition, p.fetch, now_ms);
            out.push(reply(me, p.from, &p.partition, p.fetch, result));
        }
        if now_ms - self.last_heartbeat_ms >= self.timing.heartbeat_ms {
            self.last_heartbeat_ms = now_ms;
            out.push(Envelope {
                from: Node::Broker(me),
                to: Node::Controller,
                message: Message::Heartbeat { broker: me, known: self.known_epochs() },
            });
        }
        let ids: Vec<PartitionId> = self.replicas.keys().cloned().collect();
        for id in ids {
            let r = &self.replicas[&id];
            if !r.leads(me) {
                out.extend(self.fetch(&id, now_ms));
                continue;
            }
            let state = r.state.clone().expect("a leader has a state");
            // An ISR change not yet answered is asked again (the same change: until the controller answers, the
            // leader counts the larger ISR).
            if let Some((_, sent, isr)) = r.isr_request.clone() {
                if now_ms - sent > self.timing.fetch_timeout_ms {
                    out.push(self.ask_isr(&id, isr, now_ms));
                }
                continue;
            }
            let r = &self.replicas[&id];
            let lagging: Vec<BrokerId> = state
                .isr
                .iter()
                .copied()
                .filter(|b| *b != me)
                .filter(|b| {
                    r.followers.get(b).is_none_or(|p| now_ms - p.last_caught_up_ms > self.timing.replica_lag_max_ms)
                })
                .collect();
            if !lagging.is_empty() {
                let isr = state.isr.iter().copied().filter(|b| !lagging.contains(b)).collect();
                out.push(self.ask_isr(&id, isr, now_ms));
            }
        }
        let expired: Vec<u64> = self.waiting.iter().filter(|w| now_ms >= w.deadline_ms).map(|w| w.id).collect();
        for id in expired {
            self.finish(
                id,
                Err(Error::RequestTimedOut("the ISR did not catch up within the request's timeout".into())),
            );
        }
        out
    }
}
