//! What the shell does with a broker's storage: it takes the changes to write, gives a restarting broker the logs
//! storage holds, answers follower fetches that reach below the leader's memory with batches read from storage,
//! and (for the simulator) makes a write fail.

use std::collections::BTreeMap;

use super::{reply, Broker, Parked, Replica, StorageEvent, FETCH_MAX_BYTES};
use crate::core::log::{PartitionLog, StoredBatch};
use crate::core::replication::{FetchData, PartitionId};

impl Broker {
    /// What changed in this broker's logs since the last call, in order, for the shell to write to its storage
    /// (one store per broker, as each Kafka broker has its own log directory).
    pub fn take_storage_events(&mut self) -> Vec<StorageEvent> {
        std::mem::take(&mut self.storage)
    }

    /// Gives a (re)starting broker a replica's log as its storage holds it; the controller's next state tells it
    /// what to do with it.
    pub fn restore_replica(&mut self, partition: PartitionId, log: PartitionLog) {
        self.replicas.insert(
            partition,
            Replica { log, state: None, followers: BTreeMap::new(), isr_request: None, fetch_in_flight: None },
        );
    }

    /// Makes the next storage write fail.
    pub fn fail_next_write(&mut self) {
        self.fail_next_write = true;
    }

    pub(super) fn write_fails(&mut self) -> bool {
        std::mem::take(&mut self.fail_next_write)
    }

    /// Follower fetches that need batches only this broker's storage holds: each partition and the offset to
    /// read from.
    pub fn storage_reads(&self) -> Vec<(PartitionId, i64)> {
        self.storage_reads.iter().map(|p| (p.partition.clone(), p.fetch.fetch_offset)).collect()
    }

    /// Answers the follower fetches waiting on `partition` with batches read from this broker's storage (oldest
    /// first, already checked): each gets the run of whole batches from its offset on, up to a fetch's size.
    pub fn answer_from_storage(&mut self, partition: &PartitionId, batches: &[StoredBatch]) {
        let me = self.id;
        let (ready, rest): (Vec<Parked>, Vec<Parked>) =
            std::mem::take(&mut self.storage_reads).into_iter().partition(|p| &p.partition == partition);
        self.storage_reads = rest;
        let Some(r) = self.replicas.get(partition).filter(|r| r.leads(me)) else { return };
        for p in ready {
            let from = p.fetch.fetch_offset;
            let mut next = from;
            let mut bytes = 0;
            let mut run = Vec::new();
            for b in batches.iter().skip_while(|b| b.last_offset < from) {
                if b.base_offset > next || (!run.is_empty() && bytes + b.size() > FETCH_MAX_BYTES) {
                    break;
                }
                bytes += b.size();
                next = b.last_offset + 1;
                run.push(b.bytes.clone());
            }
            let data = FetchData {
                high_watermark: r.log.high_watermark(),
                log_start_offset: r.log.log_start_offset(),
                batches: run,
                diverging: None,
            };
            self.outbox.push(reply(me, p.from, partition, p.fetch, Ok(data)));
        }
    }
}
