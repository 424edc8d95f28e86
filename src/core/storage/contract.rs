//! The storage contract suite: one list of steps that every implementation must pass. The memory store runs it
//! under `cargo test`; the IndexedDB store runs the same steps in headless Chrome.

use bytes::Bytes;

use super::ops::{ReplicaKey, StorageOp};
use crate::core::record::{Record, RecordBatch};

/// One step of a contract case.
#[derive(Debug, Clone)]
pub enum Step {
    Apply(Vec<StorageOp>),
    /// Applies `ops` with a fault injected at op number `n`: the apply must fail and leave no trace.
    ApplyFailingAt(Vec<StorageOp>, usize),
    /// `load_batches(replica, from, max_bytes)` must return exactly `expect`: `(base offset, bytes)` pairs.
    ExpectLoad {
        replica: ReplicaKey,
        from: i64,
        max_bytes: usize,
        expect: Vec<(i64, Bytes)>,
    },
    ExpectLast {
        replica: ReplicaKey,
        expect: Option<(i64, Bytes)>,
    },
    ExpectMeta {
        key: String,
        expect: Option<Bytes>,
    },
    ExpectMetaPrefix {
        prefix: String,
        keys: Vec<String>,
    },
    /// Close and open the store again: everything applied must still be there.
    Reopen,
}

#[derive(Debug, Clone)]
pub struct ContractCase {
    pub name: &'static str,
    pub steps: Vec<Step>,
}

/// A real v2 batch of `records` records at `base`, with values of `value_len` bytes.
pub fn sample_batch(base: i64, records: usize, value_len: usize) -> Bytes {
    let mut b = RecordBatch::from_records(
        (0..records).map(|i| Record::keyed(format!("k{i}"), vec![b'a' + (i % 26) as u8; value_len], base)).collect(),
    );
    b.base_offset = base;
    b.encode()
}

fn put(replica: &ReplicaKey, base: i64, bytes: &Bytes) -> StorageOp {
    StorageOp::PutBatch { replica: replica.clone(), base_offset: base, bytes: bytes.clone() }
}

fn meta(key: &str, value: &str) -> StorageOp {
    StorageOp::PutMeta { key: key.into(), value: Bytes::copy_from_slice(value.as_bytes()) }
}

/// Expects these batches; their base offsets are read from their own headers.
fn load(replica: &ReplicaKey, from: i64, max_bytes: usize, expect: &[&Bytes]) -> Step {
    let expect = expect.iter().map(|b| (base_of(b), (*b).clone())).collect();
    Step::ExpectLoad { replica: replica.clone(), from, max_bytes, expect }
}

fn last(replica: &ReplicaKey, expect: Option<&Bytes>) -> Step {
    Step::ExpectLast { replica: replica.clone(), expect: expect.map(|b| (base_of(b), b.clone())) }
}

fn base_of(batch: &Bytes) -> i64 {
    i64::from_be_bytes(batch[..8].try_into().unwrap_or_default())
}

pub fn contract_cases() -> Vec<ContractCase> {
    let r1 = ReplicaKey::new(1, "sales.orders", 0);
    let r1b = ReplicaKey::new(2, "sales.orders", 0); // same partition, another broker
    let r2 = ReplicaKey::new(1, "sales.orders", 1);
    let r3 = ReplicaKey::new(1, "sales.orders-x", 0); // a name that extends another must not leak into it
    let (b0, b3, b7) = (sample_batch(0, 3, 10), sample_batch(3, 4, 10), sample_batch(7, 2, 10));
    let big = sample_batch(9, 2000, 100); // ~230 KB in one value
    let b3_compacted = sample_batch(3, 1, 10);
    let all = i64::MIN..i64::MAX;

    vec![
        ContractCase {
            name: "batches load from the one holding the offset, in order, per replica",
            steps: vec![
                Step::Apply(vec![
                    put(&r1, 7, &b7),
                    put(&r1, 0, &b0),
                    put(&r1, 3, &b3),
                    put(&r2, 0, &b0),
                    put(&r3, 0, &b3),
                ]),
                load(&r1, 0, usize::MAX, &[&b0, &b3, &b7]),
                load(&r1, 5, usize::MAX, &[&b3, &b7]),
                load(&r1, 100, usize::MAX, &[&b7]),
                load(&r1, -4, usize::MAX, &[&b0, &b3, &b7]),
                load(&r1, 0, 1, &[&b0]),
                load(&r1b, 0, usize::MAX, &[]),
                last(&r1, Some(&b7)),
                last(&r2, Some(&b0)),
                last(&r1b, None),
            ],
        },
        ContractCase {
            name: "a put replaces the batch at the same base offset (compaction)",
            steps: vec![
                Step::Apply(vec![put(&r1, 0, &b0), put(&r1, 3, &b3)]),
                Step::Apply(vec![put(&r1, 3, &b3_compacted)]),
                load(&r1, 3, usize::MAX, &[&b3_compacted]),
            ],
        },
        ContractCase {
            name: "deletes by base-offset range: retention, truncation, a whole replica",
            steps: vec![
                Step::Apply(vec![
                    put(&r1, 0, &b0),
                    put(&r1, 3, &b3),
                    put(&r1, 7, &b7),
                    put(&r2, 0, &b0),
                    put(&r3, 0, &b0),
                ]),
                Step::Apply(vec![StorageOp::DeleteBatches { replica: r1.clone(), from: all.start, to: 3 }]),
                load(&r1, 0, usize::MAX, &[&b3, &b7]),
                Step::Apply(vec![StorageOp::DeleteBatches { replica: r1.clone(), from: 7, to: all.end }]),
                load(&r1, 0, usize::MAX, &[&b3]),
                Step::Apply(vec![StorageOp::DeleteBatches { replica: r2.clone(), from: all.start, to: all.end }]),
                last(&r2, None),
                last(&r3, Some(&b0)),
            ],
        },
        ContractCase {
            name: "metadata: put, replace, delete, list by prefix",
            steps: vec![
                Step::Apply(vec![
                    meta("topic/a", "1"),
                    meta("topic/b", "2"),
                    meta("topics", "x"),
                    meta("group/g", "3"),
                ]),
                Step::Apply(vec![meta("topic/a", "one"), StorageOp::DeleteMeta { key: "topic/b".into() }]),
                Step::ExpectMeta { key: "topic/a".into(), expect: Some(Bytes::from_static(b"one")) },
                Step::ExpectMeta { key: "topic/b".into(), expect: None },
                Step::ExpectMetaPrefix { prefix: "topic/".into(), keys: vec!["topic/a".into()] },
            ],
        },
        ContractCase {
            name: "a failed write leaves no trace",
            steps: vec![
                Step::Apply(vec![put(&r1, 0, &b0), meta("state", "before")]),
                Step::ApplyFailingAt(vec![put(&r1, 3, &b3), put(&r1, 7, &b7), meta("state", "after")], 1),
                Step::ApplyFailingAt(
                    vec![
                        StorageOp::DeleteBatches { replica: r1.clone(), from: all.start, to: all.end },
                        meta("state", "after"),
                    ],
                    1,
                ),
                load(&r1, 0, usize::MAX, &[&b0]),
                Step::ExpectMeta { key: "state".into(), expect: Some(Bytes::from_static(b"before")) },
            ],
        },
        ContractCase {
            name: "everything survives a reopen, large values included",
            steps: vec![
                Step::Apply(vec![put(&r1, 0, &b0), put(&r1, 9, &big), meta("topic/a", "1")]),
                Step::Reopen,
                load(&r1, 0, usize::MAX, &[&b0, &big]),
                Step::ExpectMeta { key: "topic/a".into(), expect: Some(Bytes::from_static(b"1")) },
            ],
        },
    ]
}
