//! The shell's side of durability: opening a cluster from IndexedDB, writing what the core journals, and
//! reading old batches back for fetches. Every decision (what to write, what is durable, what is corrupt) is
//! the core's; this file only carries bytes between it and IndexedDB.

use std::rc::Rc;

use bytes::Bytes;
use wasm_bindgen::prelude::*;

use super::error;
use super::idb::IdbStorage;
use super::kafka::Inner;
use crate::core::cluster::{Cluster, FetchResult, TAB_TIMING};
use crate::core::error::Error;
use crate::core::log::{first_at_or_after, OffsetAndTimestamp, OffsetSpec};
use crate::core::protocol::{
    cap_fetch_bytes, DeletedRecords, FetchPartition, Isolation, PartitionResult, Request, Response,
};
use crate::core::record::BatchHeader;
use crate::core::storage::StorageFailure;

/// Bytes of batches each replica keeps in memory; older ones are read back from IndexedDB when fetched.
pub const WINDOW_BUDGET: usize = 4 << 20;

/// How often the brokers' and the controller's timers run (heartbeats, follower fetches, ISR changes,
/// elections), with retention and compaction of what memory holds.
pub(crate) const TICK_MS: u32 = 100;

/// Every this many ticks (a second), retention reaches the batches only storage holds, and clients that went
/// silent are dropped. Kafka checks retention every 5 minutes (`log.retention.check.interval.ms`); a tab checks
/// every second, so that a lesson shows the effect while the student watches.
const SLOW_TICKS: u32 = 10;

/// How long past its timeout a produce waits for its acks before giving up on the leader.
const ACK_SLACK_MS: i64 = 5000;
/// How often a DeleteRecords looks again for replicas that have not moved their log start yet.
const DELETE_RECORDS_POLL_MS: u32 = 50;

/// How long a request waits for the writer before looking again (it is woken as each write ends).
const WRITE_WAIT_MS: u32 = 10_000;

/// How much of a replica's data one read from storage takes (a retention check, a lagging follower's fetch).
const STORAGE_READ_BYTES: usize = 1 << 20;

/// Runs the cluster's periodic work until the cluster is closed or dropped. Holds it only weakly.
pub async fn ticker(inner: std::rc::Weak<Inner>) {
    for beat in 1u32.. {
        super::retry::sleep(TICK_MS).await;
        let Some(inner) = inner.upgrade() else { return };
        if inner.check_open().is_err() {
            return;
        }
        inner.tick().await;
        if beat % SLOW_TICKS == 0 {
            inner.sweep_clients();
            inner.clean_storage_heads().await;
        }
    }
}

fn storage_error(f: StorageFailure) -> JsValue {
    error::to_js(&Error::from(f))
}

/// Rebuilds a cluster from storage: metadata, then each replica's batches from its recovery point (after a
/// clean close, just its newest). A corrupt batch is deleted with every one after it and the rest tried again,
/// so every log ends at its last valid batch; each such repair is reported.
pub async fn restore(storage: &IdbStorage, seed: u64) -> Result<(Cluster, Vec<String>), JsValue> {
    let now = js_sys::Date::now() as i64;
    let meta = storage.meta_with_prefix("").await.map_err(storage_error)?;
    let mut cluster = Cluster::restore(&meta, seed, WINDOW_BUDGET).map_err(|e| error::to_js(&e))?;
    let mut warnings = Vec::new();
    for replica in cluster.replica_keys() {
        loop {
            let from = cluster.recovery_point(&replica);
            let batches = storage.load_batches(&replica, from, usize::MAX).await.map_err(storage_error)?;
            let Some(repair) = cluster.restore_tail(&replica, batches).map_err(|e| error::to_js(&e))? else { break };
            storage.apply(&[repair.cut]).await.map_err(storage_error)?;
            warnings.push(repair.warning);
        }
    }
    cluster.start(now);
    // Committed offsets and transactions are records of internal topics: the coordinators' state is rebuilt from them.
    for (replica, mut from, to) in cluster.coordinator_state_to_load() {
        while from < to {
            let loaded = storage.load_batches(&replica, from, STORAGE_READ_BYTES).await.map_err(storage_error)?;
            let Some(next) = loaded.last().and_then(|(_, b)| BatchHeader::parse(b).ok()).map(|h| h.last_offset() + 1)
            else {
                break;
            };
            let batches: Vec<Bytes> = loaded.into_iter().map(|(_, b)| b).collect();
            cluster
                .load_coordinator_state(&replica.topic, replica.partition, &batches)
                .map_err(|e| error::to_js(&e))?;
            from = next.max(from + 1);
        }
    }
    Ok((cluster, warnings))
}

impl Inner {
    /// Moves the cluster's time: groups' session timeouts, replication (heartbeats, fetches, ISR changes,
    /// elections, acks=all writes that waited), and retention of what memory holds. Writes what that changed.
    async fn tick(self: &Rc<Self>) {
        let now = self.now_ms();
        self.cluster.borrow_mut().tick_coordinators(now);
        self.collect_group_replies();
        let before = self.cluster.borrow().change_count();
        let cleaned = self.cluster.borrow_mut().tick(now);
        self.serve_follower_reads().await;
        self.collect_acks();
        for e in self.cluster.borrow_mut().take_unclean_elections() {
            self.warn(&format!(
                "unclean leader election: broker {} leads {}-{} at epoch {} without being in sync; {} records \
                 other replicas held are lost",
                e.leader, e.topic, e.partition, e.leader_epoch, e.lost_records
            ));
        }
        let retained = match cleaned {
            Ok(c) => !c.is_empty(),
            Err(e) => {
                self.warn(&format!("log cleanup failed: {e}"));
                false
            }
        };
        if let Err(e) = self.persist().await {
            self.warn(&format!("writing what replication and retention changed failed: {e:?}"));
        }
        if retained {
            self.changed("retention", "");
        }
        if self.cluster.borrow().change_count() != before {
            self.changed("replication", "");
        }
    }

    /// Followers further behind than their leader keeps in memory (back after a long time down) get their
    /// batches from the leader's storage, as a Kafka leader reads its log from disk.
    async fn serve_follower_reads(self: &Rc<Self>) {
        let Some(storage) = &self.storage else { return };
        let reads = self.cluster.borrow().follower_reads();
        for (replica, offset) in reads {
            match storage.load_batches(&replica, offset, STORAGE_READ_BYTES).await {
                Ok(loaded) => self.cluster.borrow_mut().serve_follower_from_storage(&replica, loaded, self.now_ms()),
                Err(e) => self.warn(&format!("reading {replica:?} for a follower failed: {e:?}")),
            }
        }
    }

    /// Retention on the oldest batches, which only storage holds.
    async fn clean_storage_heads(self: &Rc<Self>) {
        let Some(storage) = &self.storage else { return };
        let now = self.now_ms();
        let heads = self.cluster.borrow().heads_to_check();
        let mut removed = 0;
        for (replica, start) in heads {
            if let Ok(loaded) = storage.load_batches(&replica, start, STORAGE_READ_BYTES).await {
                removed += self.cluster.borrow_mut().clean_head(&replica, loaded, now).unwrap_or(0);
            }
        }
        if removed > 0 {
            if let Err(e) = self.persist().await {
                self.warn(&format!("writing the log cleanup failed: {e:?}"));
            }
            self.changed("retention", "");
        }
    }

    /// Moves answers to acks=all writes from the cluster to the produces waiting for them.
    pub fn collect_acks(&self) {
        let acks = self.cluster.borrow_mut().take_acks();
        if acks.is_empty() {
            return;
        }
        self.acks.borrow_mut().extend(acks);
        self.ack_waiters.notify();
    }

    /// Waits until every partition of a produce that waited for its ISR has its answer. The leader answers
    /// within the request's `timeout_ms`, or fails the write when it loses the leadership or its broker dies.
    pub async fn await_acks(&self, response: &mut Response, timeout_ms: i64) {
        let Response::Produce(results) = response else { return };
        let deadline = self.now_ms() + timeout_ms + ACK_SLACK_MS;
        loop {
            let mut waiting = false;
            for r in results.iter_mut() {
                let Some(ack) = r.result.as_ref().ok().and_then(|p| p.pending) else { continue };
                let answer = self.acks.borrow_mut().remove(&ack);
                match answer {
                    Some(Ok(_)) => {
                        if let Ok(p) = &mut r.result {
                            p.pending = None;
                        }
                    }
                    Some(Err(e)) => r.result = Err(e),
                    None if self.now_ms() >= deadline => {
                        r.result = Err(Error::RequestTimedOut("the ISR did not acknowledge the write in time".into()))
                    }
                    None => waiting = true,
                }
            }
            if !waiting {
                return;
            }
            self.ack_waiters.wait((deadline - self.now_ms()).max(1) as u32).await;
        }
    }

    /// Answers a DeleteRecords as Kafka does: once every live replica's log starts at the leader's new start
    /// (followers follow at their next fetch), REQUEST_TIMED_OUT after `request.timeout.ms`, or
    /// NOT_LEADER_OR_FOLLOWER if the leader loses its leadership first.
    pub async fn await_deleted_records(&self, response: &mut Response) {
        let Response::DeleteRecords(results) = response else { return };
        let deadline = self.now_ms() + TAB_TIMING.request_timeout_ms;
        for r in results.iter_mut() {
            while let Ok(deleted) = &r.result {
                let settled = self.cluster.borrow().deleted_records_settled(&r.topic, r.partition, deleted);
                match settled {
                    Ok(Some(low)) => {
                        r.result = Ok(DeletedRecords { low_watermark: low, ..*deleted });
                        break;
                    }
                    Ok(None) if self.now_ms() < deadline => super::retry::sleep(DELETE_RECORDS_POLL_MS).await,
                    Ok(None) => {
                        let why = "a live replica did not delete the records within request.timeout.ms";
                        r.result = Err(Error::RequestTimedOut(why.into()));
                    }
                    Err(e) => r.result = Err(e),
                }
            }
        }
    }

    /// Waits until everything journaled so far is in storage. One writer (`write_all`) writes one transaction
    /// at a time, each carrying everything journaled meanwhile (group commit). If a write fails, the cluster is
    /// reloaded from storage and every request whose changes were not yet written fails.
    pub async fn persist(self: &Rc<Self>) -> Result<(), Error> {
        if self.storage.is_none() {
            return Ok(());
        }
        let failures_before = self.write_failures.borrow().len();
        // This request's changes go in the next write taken; or, when nothing waits, went in one already taken.
        let pending = self.cluster.borrow().has_pending_write();
        let needed = self.writes_taken.get() + u64::from(pending);
        if pending && !self.writing.replace(true) {
            wasm_bindgen_futures::spawn_local(self.clone().write_all());
        }
        loop {
            if let Some(failure) = self.write_failures.borrow().get(failures_before) {
                return Err(failure.clone());
            }
            if self.writes_done.get() >= needed {
                return Ok(());
            }
            // Woken by each write's end; the timeout only makes the loop look again.
            self.written.wait(WRITE_WAIT_MS).await;
        }
    }

    /// Writes what is journaled until nothing is. Each transaction is issued as soon as the one before it
    /// commits, before the requests that one carried are answered: storage never waits for their replies.
    async fn write_all(self: Rc<Self>) {
        let Some(storage) = &self.storage else { return };
        // Let requests issued alongside the first add their changes, so that one transaction carries them all.
        let _ = super::signal::settled(&JsValue::UNDEFINED).await;
        loop {
            let Some(write) = self.cluster.borrow_mut().take_write() else { break };
            let number = self.writes_taken.get() + 1;
            self.writes_taken.set(number);
            match storage.apply(&write.ops).await {
                Ok(()) => {
                    self.cluster.borrow_mut().write_done(&write);
                    self.writes_done.set(number);
                }
                Err(failure) => {
                    self.reload(storage).await;
                    // Only now: a request that changed the old cluster while it was being reloaded lost its
                    // change too, and must see this failure.
                    self.write_failures.borrow_mut().push(Error::from(failure));
                    self.writes_done.set(self.writes_taken.get());
                }
            }
            self.written.notify();
            self.data_arrived();
            self.changed("storage", "");
        }
        self.writing.set(false);
    }

    /// Replaces the in-memory cluster with what storage holds.
    async fn reload(&self, storage: &IdbStorage) {
        match restore(storage, self.now_ms() as u64).await {
            Ok((mut cluster, warnings)) => {
                // The authorizer and the credentials are the broker's configuration, not stored: they carry over.
                cluster.set_authorizer(self.cluster.borrow().authorizer().cloned());
                cluster.set_credentials(self.cluster.borrow().credentials().clone());
                *self.cluster.borrow_mut() = cluster;
                for w in warnings {
                    self.warn(&w);
                }
            }
            Err(e) => self.warn(&format!("reloading the cluster from storage failed: {e:?}")),
        }
    }

    /// One Fetch for several partitions, with the batches that only storage holds read in (and checked by the
    /// core): what a broker host sends back as it is.
    pub async fn fetch_batches(
        self: &Rc<Self>,
        partitions: Vec<FetchPartition>,
        max_bytes: usize,
        rack: Option<String>,
        isolation: Isolation,
    ) -> Result<Vec<PartitionResult<FetchResult>>, Error> {
        // Capped once storage has filled in its batches (below), not before.
        let request = Request::Fetch {
            partitions: partitions.clone(),
            min_bytes: 1,
            max_bytes: usize::MAX,
            max_wait_ms: 0,
            rack,
            isolation,
        };
        let Response::Fetch(mut answers) = self.serve(request)? else {
            return Err(Error::UnknownServerError("a fetch was answered with something else".into()));
        };
        for (asked, answer) in partitions.iter().zip(answers.iter_mut()) {
            if let Ok(fetched) = &mut answer.result {
                if let Err(e) = self.load_from_storage(asked, fetched).await {
                    answer.result = Err(e);
                }
            }
        }
        cap_fetch_bytes(&mut answers, max_bytes);
        Ok(answers)
    }

    /// Fills in batches the core said are in storage, checked by the core.
    async fn load_from_storage(
        self: &Rc<Self>,
        asked: &FetchPartition,
        fetched: &mut FetchResult,
    ) -> Result<(), Error> {
        let (Some(replica), Some(storage)) = (fetched.in_storage.take(), &self.storage) else { return Ok(()) };
        let loaded = storage.load_batches(&replica, asked.offset, asked.max_bytes).await?;
        let served = self.cluster.borrow_mut().serve_from_storage(&replica, loaded, fetched.readable_end())?;
        if let Some(corruption) = served.corruption {
            self.warn(&corruption);
            // The truncation is journaled; write it, so the repair survives a reload.
            let _ = self.persist().await;
        }
        fetched.batches = served.batches;
        Ok(())
    }

    /// ListOffsets by timestamp for one partition, scanning storage when memory holds only part of the log.
    pub async fn offset_for_timestamp(
        &self,
        topic: &str,
        partition: u32,
        target: i64,
    ) -> Result<Option<OffsetAndTimestamp>, Error> {
        let in_storage = self.cluster.borrow().leader_in_storage(topic, partition as i32)?;
        let (Some((replica, start, hw)), Some(storage)) = (in_storage, &self.storage) else {
            return self.cluster.borrow().list_offsets(topic, partition as i32, OffsetSpec::Timestamp(target));
        };
        let mut from = start;
        while from < hw {
            let loaded = storage.load_batches(&replica, from, STORAGE_READ_BYTES).await?;
            let Some(last) = loaded.last().and_then(|(_, b)| BatchHeader::parse(b).ok()) else { break };
            let batches = loaded.into_iter().map(|(_, b)| b);
            if let Some(found) = first_at_or_after(batches, target, hw)? {
                return Ok(Some(found));
            }
            if last.last_offset() < from {
                break;
            }
            from = last.last_offset() + 1;
        }
        Ok(None)
    }

    /// A `warning` event, and the same line in the log (the console, or the app's `logCreator`).
    pub fn warn(&self, message: &str) {
        let extra = || super::js::object([("cluster", self.cluster_name.as_str().into())]).into();
        self.log.log(super::log::LogLevel::WARN, "Cluster", message, extra);
        let payload = super::js::object([("message", message.into()), ("cluster", self.cluster_name.as_str().into())]);
        self.events.emit("warning", &payload.into());
    }
}
