//! The leader epoch cache (Kafka's `leader-epoch-checkpoint`): the first offset each leader epoch wrote. It
//! answers OffsetsForLeaderEpoch, which is how a replica that missed a leader change finds where its log
//! diverges from the new leader's, and truncates there, so replicas never disagree below the high watermark
//! (KIP-101, KIP-279).

/// Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET.
pub const UNDEFINED_EPOCH: i32 = -1;
pub const UNDEFINED_OFFSET: i64 = -1;

use serde::{Deserialize, Serialize};

/// `(epoch, start offset)` entries, both strictly increasing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderEpochs {
    entries: Vec<(i32, i64)>,
}

/// An epoch and the end offset of its records (exclusive): OffsetsForLeaderEpoch's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEnd {
    pub epoch: i32,
    pub end_offset: i64,
}

impl EpochEnd {
    pub const UNDEFINED: EpochEnd = EpochEnd { epoch: UNDEFINED_EPOCH, end_offset: UNDEFINED_OFFSET };
}

impl LeaderEpochs {
    pub fn entries(&self) -> &[(i32, i64)] {
        &self.entries
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|(e, _)| *e)
    }

    /// Records that `epoch` wrote from `start_offset` on. An older or equal epoch changes nothing (a batch of the
    /// current epoch, or a stale one); a newer epoch starting before the last entry's start replaces the entries
    /// it overlaps, as Kafka's cache does after a truncation it did not see.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) {
        if epoch < 0 || self.latest_epoch().is_some_and(|e| e >= epoch) {
            return;
        }
        self.entries.retain(|(_, start)| *start < start_offset);
        self.entries.push((epoch, start_offset));
    }

    /// Kafka's `endOffsetFor(requestedEpoch, logEndOffset)`: the largest epoch at or below `requested`, and the
    /// offset where the next epoch starts (the LEO for the latest epoch). A requested epoch below every entry
    /// answers itself with the first start; one above every entry, or undefined, answers UNDEFINED.
    pub fn end_offset_for(&self, requested: i32, log_end_offset: i64) -> EpochEnd {
        if requested == UNDEFINED_EPOCH {
            return EpochEnd::UNDEFINED;
        }
        if self.latest_epoch() == Some(requested) {
            return EpochEnd { epoch: requested, end_offset: log_end_offset };
        }
        let Some(higher) = self.entries.iter().position(|(e, _)| *e > requested) else {
            return EpochEnd::UNDEFINED;
        };
        let end_offset = self.entries[higher].1;
        match higher.checked_sub(1) {
            Some(floor) => EpochEnd { epoch: self.entries[floor].0, end_offset },
            None => EpochEnd { epoch: requested, end_offset },
        }
    }

    /// The log was truncated to end at `offset`: epochs that start at or after it are gone.
    pub fn truncate_from_end(&mut self, offset: i64) {
        self.entries.retain(|(_, start)| *start < offset);
    }

    /// The log now starts at `offset`: entries wholly before it go; the one that spans it starts there.
    pub fn truncate_from_start(&mut self, offset: i64) {
        let spanning = self.entries.iter().rposition(|(_, start)| *start <= offset);
        if let Some(i) = spanning {
            self.entries.drain(..i);
            self.entries[0].1 = offset;
        }
    }
}

/// Where a follower must truncate, given the leader's answer for the follower's last fetched epoch
/// (`diverging`), and the follower's own cache and LEO. Kafka's rule: if the follower knows the leader's epoch,
/// it keeps what both agree on, up to the smaller end offset; if not, it goes back to the end of the largest
/// epoch it has below that one, and asks again from there.
pub fn truncation_offset(diverging: EpochEnd, follower: &LeaderEpochs, follower_leo: i64) -> i64 {
    if diverging.epoch == UNDEFINED_EPOCH {
        // The leader knows no epoch this old: nothing is known to agree.
        return follower.entries().first().map_or(0, |(_, start)| *start).min(follower_leo);
    }
    let own = follower.end_offset_for(diverging.epoch, follower_leo);
    if own.epoch == diverging.epoch {
        own.end_offset.min(diverging.end_offset).min(follower_leo)
    } else {
        own.end_offset.max(0).min(follower_leo)
    }
}
