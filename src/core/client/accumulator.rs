//! A producer's record accumulator, as Kafka's: sends queue up as per-partition pieces, and each request takes
//! what is waiting, one batch per partition of at most `batch_bytes` (a single larger piece goes alone). Requests
//! take pieces strictly first in, first out, so records keep their order within a partition however many
//! requests are in flight.

use std::collections::VecDeque;

use crate::core::record::{Compression, EncodedRecords};

/// One send's records for one partition. `tag` says whose they are, to hand back their outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<T> {
    pub tag: T,
    pub acks: i16,
    /// The send's `timeout`: how long the leader may wait for its ISR (acks=all). A request carries one.
    pub timeout_ms: i32,
    /// The send's `compression`: a request carries one codec, as one `acks`.
    pub compression: Compression,
    pub topic: String,
    pub partition: u32,
    pub records: EncodedRecords,
    pub enqueued_ms: i64,
}

/// One partition's batch in a request, and which pieces it holds: `(tag, first index, count)` in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionBatch<T> {
    pub topic: String,
    pub partition: u32,
    pub records: EncodedRecords,
    pub pieces: Vec<(T, usize, usize)>,
}

/// What one Produce request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drained<T> {
    pub acks: i16,
    pub timeout_ms: i32,
    pub compression: Compression,
    pub batches: Vec<PartitionBatch<T>>,
}

fn piece_bytes<T>(p: &Piece<T>) -> usize {
    p.records.bytes().len()
}

#[derive(Debug)]
pub struct Accumulator<T> {
    queue: VecDeque<Piece<T>>,
    batch_bytes: usize,
}

impl<T> Accumulator<T> {
    pub fn new(batch_bytes: usize) -> Self {
        Accumulator { queue: VecDeque::new(), batch_bytes: batch_bytes.max(1) }
    }

    pub fn push(&mut self, piece: Piece<T>) {
        self.queue.push_back(piece);
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// When the queue should go out, given `linger_ms`: `Some(t)` to wait until `t`, `None` for now (or nothing
    /// queued). It goes once its oldest piece has lingered, or as soon as some partition has a full batch.
    pub fn wait_until(&self, now_ms: i64, linger_ms: i64) -> Option<i64> {
        let oldest = self.queue.front()?.enqueued_ms;
        if linger_ms <= 0 || now_ms - oldest >= linger_ms {
            return None;
        }
        let mut queued: Vec<(&str, u32, usize)> = Vec::new();
        for p in &self.queue {
            match queued.iter_mut().find(|(t, n, _)| *t == p.topic && *n == p.partition) {
                Some(entry) => entry.2 += piece_bytes(p),
                None => queued.push((&p.topic, p.partition, piece_bytes(p))),
            }
        }
        if queued.iter().any(|(_, _, bytes)| *bytes >= self.batch_bytes) {
            None
        } else {
            Some(oldest + linger_ms)
        }
    }

    /// The next request's batches, first in first out: pieces of the same `acks`, timeout and compression as the
    /// oldest,
    /// each joining its partition's batch while that stays within `batch_bytes` as merged (renumbered records may
    /// take more bytes than apart). The first piece that does not fit ends the request.
    pub fn drain(&mut self) -> Option<Drained<T>> {
        let (acks, timeout_ms, compression) = self.queue.front().map(|p| (p.acks, p.timeout_ms, p.compression))?;
        let mut batches: Vec<PartitionBatch<T>> = Vec::new();
        while let Some(next) = self.queue.front() {
            if (next.acks, next.timeout_ms, next.compression) != (acks, timeout_ms, compression) {
                break;
            }
            let at = batches.iter().position(|b| b.topic == next.topic && b.partition == next.partition);
            if at.is_some_and(|i| batches[i].records.bytes_with(&next.records) > self.batch_bytes) {
                break;
            }
            let Some(piece) = self.queue.pop_front() else { break };
            let i = at.unwrap_or_else(|| {
                let batch = PartitionBatch {
                    topic: piece.topic,
                    partition: piece.partition,
                    records: EncodedRecords::default(),
                    pieces: vec![],
                };
                batches.push(batch);
                batches.len() - 1
            });
            let batch = &mut batches[i];
            batch.pieces.push((piece.tag, batch.records.len(), piece.records.len()));
            batch.records.append(piece.records);
        }
        Some(Drained { acks, timeout_ms, compression, batches })
    }
}
