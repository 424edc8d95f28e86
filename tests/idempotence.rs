//! Idempotent producers: a retried batch is never written twice, sequence gaps and fenced epochs are refused,
//! on both forms of produce, on every replica.

use franz::core::cluster::{Cluster, NewTopic};
use franz::core::log::ProducerBatch;
use franz::core::record::{Record, RecordBatch};

const T0: i64 = 1_700_000_000_000;

fn batch_bytes(pid: i64, epoch: i16, seq: i32, values: &[&str]) -> bytes::Bytes {
    let mut b = RecordBatch::from_records(values.iter().map(|v| Record::new(v.to_string(), T0)).collect());
    (b.producer_id, b.producer_epoch, b.base_sequence) = (pid, epoch, seq);
    b.encode()
}

fn records(values: &[&str]) -> Vec<Record> {
    values.iter().map(|v| Record::new(v.to_string(), T0)).collect()
}

fn cluster() -> Cluster {
    let mut c = Cluster::new(3, 1);
    c.create_topic(&NewTopic::new("t", 1, 3), false).unwrap();
    c
}

#[test]
fn a_retried_batch_gets_its_original_offsets_and_is_not_written_again() {
    let mut c = cluster();
    let (pid, epoch) = c.init_producer_id();
    let first = batch_bytes(pid, epoch, 0, &["a", "b"]);
    assert_eq!(c.produce("t", 0, &first, T0).unwrap().base_offset, 0);
    assert_eq!(c.produce("t", 0, &batch_bytes(pid, epoch, 2, &["c"]), T0).unwrap().base_offset, 2);
    let retry = c.produce("t", 0, &first, T0).unwrap();
    assert_eq!(retry.base_offset, 0, "the original offsets");
    let p = &c.describe_topic("t").unwrap().partitions[0];
    assert_eq!(p.high_watermark, 3);
    assert_eq!(p.replica_log_end_offsets, [3, 3, 3], "no replica wrote the retry");
}

#[test]
fn gaps_and_old_epochs_are_refused_without_a_trace() {
    let mut c = cluster();
    let (pid, _) = c.init_producer_id();
    c.produce("t", 0, &batch_bytes(pid, 1, 0, &["a"]), T0).unwrap();
    let gap = c.produce("t", 0, &batch_bytes(pid, 1, 5, &["x"]), T0).unwrap_err();
    assert_eq!((gap.name(), gap.code()), ("OUT_OF_ORDER_SEQUENCE_NUMBER", 45));
    let fenced = c.produce("t", 0, &batch_bytes(pid, 0, 1, &["x"]), T0).unwrap_err();
    assert_eq!((fenced.name(), fenced.code()), ("INVALID_PRODUCER_EPOCH", 47));
    assert_eq!(
        c.produce("t", 0, &batch_bytes(pid, 1, 1, &["b"]), T0).unwrap().base_offset,
        1,
        "refusals changed no state"
    );
    let restarted = c.produce("t", 0, &batch_bytes(pid, 2, 3, &["x"]), T0).unwrap_err();
    assert_eq!(restarted.name(), "OUT_OF_ORDER_SEQUENCE_NUMBER", "a new epoch starts at sequence 0");
    assert_eq!(
        c.produce("t", 0, &batch_bytes(pid, 2, 0, &["c"]), T0).unwrap().base_offset,
        2,
        "a new epoch starts over"
    );
}

#[test]
fn the_records_form_deduplicates_too() {
    let mut c = cluster();
    let (pid, epoch) = c.init_producer_id();
    let producer =
        |seq| Some(ProducerBatch { producer_id: pid, epoch, base_sequence: seq, count: 2, transactional: false });
    assert_eq!(c.produce_records("t", 0, records(&["a", "b"]), producer(0), T0).unwrap().base_offset, 0);
    assert_eq!(c.produce_records("t", 0, records(&["a", "b"]), producer(0), T0).unwrap().base_offset, 0);
    assert_eq!(c.produce_records("t", 0, records(&["c", "d"]), producer(2), T0).unwrap().base_offset, 2);
    let err = c.produce_records("t", 0, records(&["e", "f"]), producer(7), T0).unwrap_err();
    assert_eq!(err.name(), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    assert_eq!(c.describe_topic("t").unwrap().partitions[0].high_watermark, 4);
    // Both forms write the producer fields into the stored batch, where consumers and followers read them.
    let fetched = c.fetch("t", 0, 0, 1 << 20).unwrap();
    let stored = RecordBatch::decode(fetched.batches[0].clone()).unwrap();
    assert_eq!((stored.producer_id, stored.producer_epoch, stored.base_sequence), (pid, epoch, 0));
}

#[test]
fn producer_ids_are_never_reused() {
    let mut c = cluster();
    let ids: Vec<i64> = (0..3).map(|_| c.init_producer_id().0).collect();
    assert_eq!(ids, [0, 1, 2]);
}
