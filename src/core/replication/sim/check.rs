//! The simulator's checker: Kafka's guarantees, against each partition's final leader.

use std::collections::{BTreeMap, BTreeSet};

use super::{PartitionId, Sim};
use crate::core::client::records_from;
use crate::core::log::PartitionLog;
use crate::core::record::decode_batches;

impl Sim {
    /// Kafka's guarantees, checked against each partition's final leader.
    pub(super) fn check(&self) -> Result<(), String> {
        for state in self.controller.partitions() {
            let id = &state.partition;
            let leader = state.leader.ok_or_else(|| format!("{id:?} has no leader after settling"))?;
            if state.is_moving() {
                return Err(format!("{id:?} is still being reassigned after settling: {state:?}"));
            }
            for (b, broker) in self.brokers.iter().filter(|(b, _)| !state.replicas.contains(b)) {
                let stored = self.stores.get(b).is_some_and(|s| s.contains_key(id));
                if broker.log(id).is_some() || stored {
                    return Err(format!("broker {b} still holds {id:?}, which moved to {:?}", state.replicas));
                }
            }
            let truth = self.brokers[&leader].log(id).ok_or_else(|| format!("leader {leader} has no log of {id:?}"))?;
            let mut values: BTreeMap<i64, String> = BTreeMap::new();
            for b in truth.batches() {
                // Markers are no records a consumer sees.
                let data = decode_batches(&b.bytes).map_err(|e| e.to_string())?;
                for batch in data.into_iter().filter(|b| !b.attributes.is_control()) {
                    for (offset, r) in batch.consumer_records() {
                        values.insert(offset, String::from_utf8_lossy(r.value.as_deref().unwrap_or_default()).into());
                    }
                }
            }
            let deleted_before = self.deleted_before.get(id).copied().unwrap_or(0);
            for b in &state.replicas {
                let start = self.brokers[b].log(id).map_or(0, |l| l.log_start_offset());
                if start < deleted_before {
                    return Err(format!(
                        "broker {b}'s {id:?} starts at {start}, before the deletion at {deleted_before}"
                    ));
                }
            }
            let maybe_deleted_before = self.maybe_deleted_before.get(id).copied().unwrap_or(0);
            for (p, offset, value) in self.acked.iter().filter(|(p, o, _)| p == id && *o >= maybe_deleted_before) {
                if values.get(offset) != Some(value) {
                    return Err(format!(
                        "acknowledged {value} at {p:?}@{offset} is lost (found {:?})",
                        values.get(offset)
                    ));
                }
            }
            let distinct: BTreeSet<&String> = values.values().collect();
            if distinct.len() != values.len() {
                return Err(format!("{id:?} holds a record twice"));
            }
            for producer in self.producers.iter().filter(|p| &p.partition == id) {
                let prefix = format!("p{}-", producer.producer_id);
                let numbers: Vec<usize> =
                    values.values().filter_map(|v| v.strip_prefix(&prefix)?.parse().ok()).collect();
                if numbers.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(format!("producer {} lost its order in {id:?}: {numbers:?}", producer.producer_id));
                }
            }
            for (offset, value) in self.consumers[id].seen.iter().filter(|(o, _)| *o >= maybe_deleted_before) {
                if values.get(offset) != Some(value) {
                    return Err(format!("a consumer saw {value} at {id:?}@{offset}, which is gone"));
                }
            }
            self.check_transactions(id, truth, &values, maybe_deleted_before)?;
            for b in &state.replicas {
                let log = self.brokers[b].log(id).ok_or_else(|| format!("broker {b} has no log of {id:?}"))?;
                let stored = self.stores.get(b).and_then(|s| s.get(id)).cloned().unwrap_or_default();
                if stored.iter().ne(log.batches()) {
                    return Err(format!("broker {b}'s storage events for {id:?} do not rebuild its log"));
                }
                // Log starts may differ: a DeleteRecords that failed (its leader was cut off) moved that broker's
                // own, as in Kafka. From the later of the two starts on, the logs agree.
                let start = log.log_start_offset().max(truth.log_start_offset());
                let from = |l: &'_ PartitionLog| {
                    l.batches().filter(|x| x.last_offset >= start).map(|x| x.bytes.clone()).collect::<Vec<_>>()
                };
                let (mine, theirs) = (from(log), from(truth));
                if mine != theirs {
                    return Err(format!(
                        "broker {b}'s replica of {id:?} differs from leader {leader}'s (LEO {} vs {})",
                        log.log_end_offset(),
                        truth.log_end_offset()
                    ));
                }
                // What a read_committed reader of this replica gets from there on must be what it gets from the
                // leader. (Their aborted transactions' first offsets may differ: a replica that began copying at a
                // later log start saw a transaction begin where it began.)
                let committed_view = |l: &PartitionLog| {
                    let stable = l.last_stable_offset();
                    let batches: Vec<_> = l
                        .batches()
                        .filter(|x| x.last_offset >= start && x.last_offset < stable)
                        .map(|x| x.bytes.clone())
                        .collect();
                    let read = records_from(&batches, start, &l.aborted_between(start, stable));
                    (stable, read.map(|(records, _)| records.into_iter().map(|(o, _)| o).collect::<Vec<_>>()))
                };
                if committed_view(log) != committed_view(truth) {
                    return Err(format!(
                        "a read_committed reader of broker {b}'s {id:?} reads otherwise than of leader {leader}'s: \
                         {:?} vs {:?}",
                        committed_view(log),
                        committed_view(truth)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every transaction ended; a `read_committed` consumer read exactly the records that are not transactional
    /// or whose transaction committed, in offset order.
    fn check_transactions(
        &self,
        id: &PartitionId,
        truth: &PartitionLog,
        values: &BTreeMap<i64, String>,
        from: i64,
    ) -> Result<(), String> {
        if let Some(p) = self
            .producers
            .iter()
            .find(|p| &p.partition == id && p.txn.as_ref().is_some_and(|t| !t.open.is_empty() || t.ending.is_some()))
        {
            return Err(format!("producer {}'s transaction never completed: {:?}", p.producer_id, p.txn));
        }
        if truth.last_stable_offset() != truth.high_watermark() {
            return Err(format!(
                "{id:?}'s last stable offset {} is behind its high watermark {} with every transaction ended",
                truth.last_stable_offset(),
                truth.high_watermark()
            ));
        }
        let transactional = |v: &String| {
            self.producers.iter().any(|p| p.txn.is_some() && v.starts_with(&format!("p{}-", p.producer_id)))
        };
        let expected: Vec<(i64, &String)> = values
            .range(from..)
            .filter(|(_, v)| !transactional(v) || self.committed.contains(*v))
            .map(|(o, v)| (*o, v))
            .collect();
        let seen = self.committed_consumers.get(id).map(|c| c.seen.as_slice()).unwrap_or_default();
        let seen: Vec<(i64, &String)> = seen.iter().filter(|(o, _)| *o >= from).map(|(o, v)| (*o, v)).collect();
        if seen != expected {
            return Err(format!("a read_committed consumer of {id:?} read {seen:?}, where {expected:?} is committed"));
        }
        Ok(())
    }
}
