//! Transactional producers in the simulation, with the coordinator's part done here: a producer's acknowledged
//! records form a transaction, which it then commits or aborts; the marker is written to the partition's leader
//! again and again until it is below the high watermark of the leader's epoch it was written in, as Kafka's
//! coordinator writes markers until they are committed. Only then may the producer begin its next transaction.
//! Consumers read `read_committed` too, and the checker holds them to Kafka's guarantee: they see a
//! transaction's records only once it committed, and never an aborted one's.

use super::Sim;
use crate::core::client::records_from;
use crate::core::log::PartitionLog;
use crate::core::record::{partition_leader_epoch, Marker};
use crate::core::replication::Acks;

/// A transactional producer's transaction.
#[derive(Debug, Clone, Default)]
pub(super) struct Txn {
    /// The values acknowledged in the transaction under way.
    pub open: Vec<String>,
    /// Its end, once decided: commit or abort, and where the marker went (offset, leader epoch).
    pub ending: Option<(bool, Option<(i64, i32)>)>,
}

impl Txn {
    /// Whether `value`, read by a `read_committed` consumer now, may be seen: it belongs to this producer's
    /// transaction and that one commits with its marker written.
    fn may_show(&self, value: &str) -> bool {
        matches!(self.ending, Some((true, Some(_)))) && self.open.iter().any(|v| v == value)
    }
}

/// Whether the marker written at `offset` in `epoch` is in `log` (the current leader's), and committed there.
fn marker_state(log: &PartitionLog, offset: i64, epoch: i32) -> (bool, bool) {
    let end = log.end_offset_for_epoch(epoch);
    let present = end.epoch == epoch && end.end_offset > offset;
    (present, present && log.high_watermark() > offset)
}

impl Sim {
    /// Decides the end of producer `i`'s transaction when it has one under way and nothing in flight: at
    /// random, or always once no new record may start. Returns whether the producer is ending one.
    pub(super) fn maybe_end_txn(&mut self, i: usize, may_start: bool) -> bool {
        let p = &self.producers[i];
        let Some(txn) = &p.txn else { return false };
        if txn.ending.is_some() {
            return true;
        }
        if p.in_flight.is_some() || txn.open.is_empty() || (may_start && !self.chance(250)) {
            return false;
        }
        let commit = self.chance(650);
        let id = self.producers[i].producer_id;
        self.log(format!("producer {id} {} its transaction", if commit { "commits" } else { "aborts" }));
        self.producers[i].txn.as_mut().expect("checked").ending = Some((commit, None));
        true
    }

    /// The coordinator's part: writes producer `i`'s marker to its partition's leader, again if a leader change
    /// cut it off, and completes the transaction once the marker is committed.
    pub(super) fn end_txn(&mut self, i: usize) {
        let (now, p) = (self.now, self.producers[i].clone());
        let Some((commit, written)) = p.txn.as_ref().and_then(|t| t.ending) else { return };
        let Some(leader) = self.controller.partition(&p.partition).and_then(|s| s.leader) else { return };
        if !self.up.contains(&leader) || self.cut_off.contains(&leader) {
            return;
        }
        let Some(log) = self.brokers[&leader].log(&p.partition) else { return };
        if let Some((offset, epoch)) = written {
            match marker_state(log, offset, epoch) {
                (_, true) => return self.complete_txn(i, commit),
                (true, false) => return,
                (false, _) => {
                    self.log(format!("producer {}'s marker at {offset} is lost: written again", p.producer_id))
                }
            }
        }
        let marker = if commit { Marker::Commit } else { Marker::Abort };
        let broker = self.brokers.get_mut(&leader).expect("a broker");
        let append =
            |log: &mut PartitionLog, epoch: i32, _: &_| log.append_marker(marker, (p.producer_id, 0), 0, epoch, now);
        let (_, info) = broker.produce_with(&p.partition, Acks::of(1), now, append);
        let out = broker.take_outbox();
        self.route(out);
        let at = info.and_then(|info| info.appended.first().map(|b| (b.base_offset, partition_leader_epoch(&b.bytes))));
        if let Some((offset, epoch)) = at {
            self.log(format!(
                "producer {}'s marker written at {offset} (epoch {epoch}) by broker {leader}",
                p.producer_id
            ));
        }
        let txn = self.producers[i].txn.as_mut().expect("a transactional producer");
        txn.ending = Some((commit, at.or(written)));
    }

    fn complete_txn(&mut self, i: usize, commit: bool) {
        let id = self.producers[i].producer_id;
        let txn = std::mem::take(self.producers[i].txn.as_mut().expect("a transactional producer"));
        self.log(format!(
            "producer {id}'s transaction of {} records is {}",
            txn.open.len(),
            if commit { "committed" } else { "aborted" }
        ));
        if commit {
            self.committed.extend(txn.open);
            self.report.committed_txns += 1;
        } else {
            self.aborted.extend(txn.open);
            self.report.aborted_txns += 1;
        }
    }

    /// A `read_committed` consumer of `partition` reads at `replica`: below the last stable offset, skipping
    /// aborted transactions. Every transactional record it sees must be committed, or about to be (its commit
    /// marker written). Returns whether it read anything.
    pub(super) fn read_committed(
        &mut self,
        partition: &super::PartitionId,
        replica: super::BrokerId,
    ) -> Result<bool, String> {
        let start = self.brokers[&replica].log(partition).map_or(0, PartitionLog::log_start_offset);
        let consumer = self.committed_consumers.entry(partition.clone()).or_default();
        consumer.position = consumer.position.max(start);
        let position = consumer.position;
        let Ok((batches, aborted)) = self.brokers[&replica].read_committed(partition, position) else {
            return Ok(false);
        };
        let (records, next) = records_from(&batches, position, &aborted).map_err(|e| e.to_string())?;
        for (offset, record) in &records {
            let value = String::from_utf8_lossy(record.value.as_deref().unwrap_or_default()).into_owned();
            let transactional =
                self.producers.iter().any(|p| p.txn.is_some() && value.starts_with(&format!("p{}-", p.producer_id)));
            let shown = self.committed.contains(&value)
                || self.producers.iter().any(|p| p.txn.as_ref().is_some_and(|t| t.may_show(&value)));
            if self.aborted.contains(&value) || (transactional && !shown) {
                return Err(format!(
                    "a read_committed consumer of {}-{} at broker {replica} saw {value} at {offset}, which is not \
                     committed",
                    partition.0, partition.1
                ));
            }
            self.committed_consumers.get_mut(partition).expect("made above").seen.push((*offset, value));
        }
        let consumer = self.committed_consumers.get_mut(partition).expect("made above");
        consumer.position = consumer.position.max(next);
        Ok(next > position)
    }
}
