//! A broker's side as a follower: it fetches from its leader and applies the answer, truncating where its log
//! diverges from the leader's and following the leader's log start (DeleteRecords).

use super::{Broker, StorageEvent};
use crate::core::error::Result;
use crate::core::log::{truncation_offset, StoredBatch, UNDEFINED_EPOCH};
use crate::core::replication::{Envelope, FetchData, Message, Node, PartitionId, ReplicaFetch};

impl Broker {
    /// A follower's fetch to its leader, unless one is in flight.
    pub(super) fn fetch(&mut self, partition: &PartitionId, now_ms: i64) -> Option<Envelope> {
        let me = self.id;
        let r = self.replicas.get_mut(partition)?;
        let state = r.state.as_ref()?;
        let leader = state.leader.filter(|l| *l != me)?;
        if r.fetch_in_flight.is_some_and(|(_, sent)| now_ms - sent < self.timing.fetch_timeout_ms) {
            return None;
        }
        let fetch_id = self.next_fetch_id;
        self.next_fetch_id += 1;
        r.fetch_in_flight = Some((fetch_id, now_ms));
        Some(Envelope {
            from: Node::Broker(me),
            to: Node::Broker(leader),
            message: Message::Fetch {
                partition: partition.clone(),
                fetch: ReplicaFetch {
                    replica: me,
                    fetch_id,
                    leader_epoch: state.leader_epoch,
                    fetch_offset: r.log.log_end_offset(),
                    last_fetched_epoch: r.log.leader_epochs().latest_epoch().unwrap_or(UNDEFINED_EPOCH),
                    log_start_offset: r.log.log_start_offset(),
                    partition_epoch: state.partition_epoch,
                },
            },
        })
    }

    pub(super) fn on_fetch_reply(
        &mut self,
        partition: &PartitionId,
        fetch_id: u64,
        leader_epoch: i32,
        result: Result<FetchData>,
        now_ms: i64,
    ) -> Vec<Envelope> {
        let Some(r) = self.replicas.get_mut(partition) else { return Vec::new() };
        // Only the answer to the fetch in flight counts: an old one describes a log this replica no longer has.
        if r.fetch_in_flight.map(|(id, _)| id) != Some(fetch_id)
            || r.state.as_ref().is_none_or(|s| s.leader_epoch != leader_epoch)
        {
            return Vec::new();
        }
        r.fetch_in_flight = None;
        let failing = std::mem::take(&mut self.fail_next_write);
        let r = self.replicas.get_mut(partition).expect("found above");
        let Ok(data) = result else { return Vec::new() }; // asked again on the next tick
        if let Some(diverging) = data.diverging {
            let to = if diverging.epoch == UNDEFINED_EPOCH {
                // The leader knows nothing of this replica's epochs: keep what was committed (Kafka's fallback).
                r.log.high_watermark()
            } else {
                truncation_offset(diverging, r.log.leader_epochs(), r.log.log_end_offset())
            };
            // Even at the LEO this matters: it drops epochs this replica started but the leader never saw.
            r.log.truncate_to(to);
            self.storage.push(StorageEvent::TruncatedTo(partition.clone(), to));
            return self.fetch(partition, now_ms).into_iter().collect();
        }
        if failing && !data.batches.is_empty() {
            return Vec::new(); // the write failed: nothing appended, fetched again on the next tick
        }
        for bytes in data.batches {
            let Ok(batch) = StoredBatch::from_bytes(bytes) else { break };
            if batch.last_offset < r.log.log_end_offset() {
                continue; // held already
            }
            if r.log.append_with_offsets(batch.clone()).is_err() {
                break;
            }
            self.storage.push(StorageEvent::Appended(partition.clone(), batch));
        }
        // The leader's log start (moved by DeleteRecords): this replica drops what lies below it too, and starts
        // over there if its log ends before it.
        if data.log_start_offset > r.log.log_start_offset() {
            let removed = r.log.follow_log_start(data.log_start_offset);
            self.storage.push(StorageEvent::StartMoved(partition.clone(), removed));
        }
        let hw = data.high_watermark.min(r.log.log_end_offset());
        if hw > r.log.high_watermark() {
            r.log.set_high_watermark(hw);
        }
        // As Kafka's fetcher does, the next fetch goes at once: the leader holds it until there is news.
        self.fetch(partition, now_ms).into_iter().collect()
    }
}
