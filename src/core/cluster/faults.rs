//! Failures on purpose, for lessons and tests: a broker killed and restarted, the network split into groups
//! that cannot reach each other, and healed. Each only changes what the brokers can do; what follows (fencing,
//! elections, ISR changes, truncation, catching up) is the replication protocol's doing, at its own pace.

use super::metadata::BrokerId;
use super::state::Cluster;
use crate::core::error::{Error, Result};
use crate::core::replication::PartitionId;

/// An unclean leader election, as reported: a replica that was not in sync leads, and what the partition had
/// above its log end is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncleanElection {
    pub topic: String,
    pub partition: u32,
    pub leader: BrokerId,
    pub leader_epoch: i32,
    /// Records the new leader lacks that another replica held when it took over: what the election lost.
    pub lost_records: i64,
}

impl Cluster {
    fn check_broker(&self, broker: BrokerId) -> Result<()> {
        if self.brokers.contains_key(&broker) {
            return Ok(());
        }
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        Err(Error::InvalidRequest(format!("there is no broker {broker}; the brokers are {ids:?}")))
    }

    /// The broker crashes: it stops answering anything. The controller fences it once its heartbeats have been
    /// missing for `broker.session.timeout.ms`, and moves its leaderships to in-sync replicas.
    pub fn kill_broker(&mut self, broker: BrokerId, now_ms: i64) -> Result<()> {
        self.check_broker(broker)?;
        if !self.replication.is_up(broker) {
            return Err(Error::BrokerNotAvailable(format!("broker {broker} is already down")));
        }
        self.advance_clock(now_ms);
        self.replication.kill(broker);
        if let Some(b) = self.replication.brokers.get_mut(&broker) {
            b.drop_waiting();
        }
        self.collect_acks();
        Ok(())
    }

    /// The broker starts again with what its storage holds: it heartbeats, learns its partitions, truncates
    /// where its log diverged from the leader's, catches up, rejoins the ISR and, as the preferred replica,
    /// leads again.
    pub fn restart_broker(&mut self, broker: BrokerId, now_ms: i64) -> Result<()> {
        self.check_broker(broker)?;
        if self.replication.is_up(broker) {
            return Err(Error::InvalidRequest(format!("broker {broker} is running")));
        }
        self.advance_clock(now_ms);
        self.replication.restart(broker, now_ms);
        self.collect_acks();
        self.record_changes();
        Ok(())
    }

    /// Splits the network: brokers reach only those in their own group; the controller sits with the first.
    pub fn partition_network(&mut self, groups: &[Vec<BrokerId>], now_ms: i64) -> Result<()> {
        for &b in groups.iter().flatten() {
            self.check_broker(b)?;
        }
        self.advance_clock(now_ms);
        self.replication.partition_network(groups)
    }

    pub fn heal_network(&mut self, now_ms: i64) {
        self.advance_clock(now_ms);
        self.replication.heal_network();
        self.replication.settle(now_ms);
        self.record_changes();
    }

    /// The network's groups while it is split; empty when it is whole.
    pub fn network_groups(&self) -> Vec<Vec<BrokerId>> {
        self.replication.network_groups()
    }

    /// Gives brokers their racks (availability zones), in broker order, for follower fetching (KIP-392).
    pub fn set_racks(&mut self, racks: &[Option<String>]) -> Result<()> {
        if racks.len() > self.brokers.len() {
            return Err(Error::InvalidRequest(format!(
                "{} racks given for {} brokers",
                racks.len(),
                self.brokers.len()
            )));
        }
        for (b, rack) in self.brokers.values_mut().zip(racks) {
            b.rack = rack.clone();
        }
        self.journal_cluster();
        Ok(())
    }

    /// Unclean elections since the last call, with what each lost.
    pub fn take_unclean_elections(&mut self) -> Vec<UncleanElection> {
        let elections = std::mem::take(&mut self.replication.controller.unclean_elections);
        elections
            .into_iter()
            .map(|((topic, partition), leader, leader_epoch): (PartitionId, BrokerId, i32)| {
                let leo = |b: &BrokerId| self.replica_log(&topic, partition, *b).map_or(0, |l| l.log_end_offset());
                let replicas = self.replication.controller.partition(&(topic.clone(), partition));
                let most = replicas.map_or(0, |p| p.replicas.iter().map(leo).max().unwrap_or(0));
                let lost_records = (most - leo(&leader)).max(0);
                UncleanElection { topic, partition, leader, leader_epoch, lost_records }
            })
            .collect()
    }
}
