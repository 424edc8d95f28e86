//! Storage in memory: the reference implementation of the contract, used natively and for `storage: 'memory'`.

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use super::ops::{ReplicaKey, StorageFailure, StorageOp};

#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    batches: BTreeMap<(ReplicaKey, i64), Bytes>,
    meta: BTreeMap<String, Bytes>,
    /// A fault to inject: the next `apply` fails at this op index, as a full quota would.
    fail_at: Option<usize>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next `apply` fail when it reaches op number `n` (0-based), leaving everything as it was.
    pub fn fail_next_apply_at(&mut self, n: usize) {
        self.fail_at = Some(n);
    }

    /// Applies `ops` atomically.
    pub fn apply(&mut self, ops: &[StorageOp]) -> Result<(), StorageFailure> {
        if let Some(n) = self.fail_at.take() {
            if n < ops.len() {
                return Err(StorageFailure::QuotaExceeded(format!("injected failure at write {n}")));
            }
        }
        for op in ops {
            match op {
                StorageOp::PutBatch { replica, base_offset, bytes } => {
                    self.batches.insert((replica.clone(), *base_offset), bytes.clone());
                }
                StorageOp::DeleteBatches { replica, from, to } => {
                    let keys: Vec<_> = self
                        .range(replica, Bound::Included(*from), Bound::Excluded(*to))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for k in keys {
                        self.batches.remove(&k);
                    }
                }
                StorageOp::PutMeta { key, value } => {
                    self.meta.insert(key.clone(), value.clone());
                }
                StorageOp::DeleteMeta { key } => {
                    self.meta.remove(key);
                }
            }
        }
        Ok(())
    }

    fn range<'a>(
        &'a self,
        replica: &ReplicaKey,
        from: Bound<i64>,
        to: Bound<i64>,
    ) -> impl DoubleEndedIterator<Item = (&'a (ReplicaKey, i64), &'a Bytes)> + 'a {
        let key = |b: Bound<i64>| match b {
            Bound::Included(o) => Bound::Included((replica.clone(), o)),
            Bound::Excluded(o) => Bound::Excluded((replica.clone(), o)),
            Bound::Unbounded => unreachable!("callers always bound both ends"),
        };
        self.batches.range((key(from), key(to)))
    }

    /// The batches from the one that holds `from_offset` (the greatest base offset at or below it, or the first
    /// batch), in order, until `max_bytes` is reached; at least one batch if there is any. Each comes with the
    /// base offset it is stored under, which stays known even when its bytes are garbage.
    pub fn load_batches(&self, replica: &ReplicaKey, from_offset: i64, max_bytes: usize) -> Vec<(i64, Bytes)> {
        let start = self
            .range(replica, Bound::Included(i64::MIN), Bound::Included(from_offset))
            .next_back()
            .map_or(i64::MIN, |((_, base), _)| *base);
        let mut out = Vec::new();
        let mut size = 0;
        for ((_, base), bytes) in self.range(replica, Bound::Included(start), Bound::Included(i64::MAX)) {
            if !out.is_empty() && size + bytes.len() > max_bytes {
                break;
            }
            size += bytes.len();
            out.push((*base, bytes.clone()));
        }
        out
    }

    /// The batch with the greatest base offset, with that offset: what a reopen reads to find the log end.
    pub fn last_batch(&self, replica: &ReplicaKey) -> Option<(i64, Bytes)> {
        self.range(replica, Bound::Included(i64::MIN), Bound::Included(i64::MAX))
            .next_back()
            .map(|((_, base), b)| (*base, b.clone()))
    }

    pub fn get_meta(&self, key: &str) -> Option<Bytes> {
        self.meta.get(key).cloned()
    }

    /// Every metadata entry whose key starts with `prefix`, by key.
    pub fn meta_with_prefix(&self, prefix: &str) -> Vec<(String, Bytes)> {
        self.meta
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
