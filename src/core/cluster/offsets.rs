//! Committed consumer-group offsets: Kafka's OffsetCommit and OffsetFetch.
//!
//! A committed offset is the next offset the group will read, as in Kafka. Group membership is the
//! coordinator's (`Cluster::groups`); the offsets outlive it, stored with the cluster.

use std::collections::BTreeMap;

use super::state::Cluster;
use crate::core::error::{Error, Result};
use crate::core::groups::GroupState;

/// What OffsetFetch returns for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub offset: i64,
    pub metadata: Option<String>,
}

/// Kafka's `offset.metadata.max.bytes` default.
pub const MAX_METADATA_BYTES: usize = 4096;

pub(super) type GroupOffsets = BTreeMap<(String, String, u32), CommittedOffset>;

/// A group's lag on a partition, as `kafka-consumer-groups --describe` shows it: what consumers can read
/// (below the high watermark) that the group has not committed; with no commit, everything readable.
pub fn lag(committed: Option<i64>, log_start_offset: i64, high_watermark: i64) -> i64 {
    (high_watermark - committed.unwrap_or(log_start_offset)).max(0)
}

fn check_group_id(group: &str) -> Result<()> {
    if group.is_empty() {
        return Err(Error::InvalidGroupId("the group id must not be empty".into()));
    }
    Ok(())
}

impl Cluster {
    /// Kafka's OffsetCommit for one partition: `offset` is the next record the group will read.
    pub fn commit_offset(
        &mut self,
        group: &str,
        topic: &str,
        partition: i32,
        offset: i64,
        metadata: Option<String>,
    ) -> Result<()> {
        check_group_id(group)?;
        let partitions = self.topic(topic)?.partition_count;
        let partition = u32::try_from(partition).ok().filter(|&p| p < partitions).ok_or_else(|| {
            Error::UnknownTopicOrPartition(format!("partition {partition} of topic {topic:?} does not exist"))
        })?;
        if metadata.as_ref().is_some_and(|m| m.len() > MAX_METADATA_BYTES) {
            return Err(Error::OffsetMetadataTooLarge(format!(
                "commit metadata is larger than offset.metadata.max.bytes={MAX_METADATA_BYTES}"
            )));
        }
        self.append_offset((group.into(), topic.into(), partition), Some(CommittedOffset { offset, metadata }))
    }

    /// Kafka's ListGroups: every group with members or committed offsets, with its state (Kafka lists a group
    /// that only has offsets as Empty).
    pub fn list_groups(&self) -> Vec<(String, GroupState)> {
        let mut groups: BTreeMap<String, GroupState> = self.groups.list().into_iter().collect();
        for (group, _, _) in self.offsets.keys() {
            groups.entry(group.clone()).or_insert(GroupState::Empty);
        }
        groups.into_iter().collect()
    }

    /// Kafka's DeleteGroups for one group: its offsets go too. A group with members cannot go
    /// (NON_EMPTY_GROUP); one that does not exist is GROUP_ID_NOT_FOUND.
    pub fn delete_group(&mut self, group: &str) -> Result<()> {
        check_group_id(group)?;
        let has_offsets = self.offsets.keys().any(|(g, _, _)| g == group);
        match self.groups.delete(group) {
            Ok(()) => {}
            Err(Error::GroupIdNotFound(_)) if has_offsets => {}
            Err(e) => return Err(e),
        }
        let keys: Vec<(String, String, u32)> = self.offsets.keys().filter(|(g, _, _)| g == group).cloned().collect();
        for key in keys {
            self.journal_legacy_offset_deleted(&key);
            self.append_offset(key, None)?;
        }
        Ok(())
    }

    /// Kafka's OffsetFetch for one partition; `None` when the group has committed nothing there.
    pub fn committed_offset(&self, group: &str, topic: &str, partition: u32) -> Result<Option<CommittedOffset>> {
        check_group_id(group)?;
        Ok(self.offsets.get(&(group.into(), topic.into(), partition)).cloned())
    }
}
