//! The producer's accumulator: batch.size, linger.ms, first-in-first-out draining, and (property tests) that no
//! record is lost, duplicated or reordered within a partition, whatever the pieces and sizes.
#![cfg(not(target_arch = "wasm32"))] // property tests run natively (proptest needs an OS randomness source)

use franz::core::client::{Accumulator, Piece};
use franz::core::record::{Compression, EncodedRecords, Record, RecordBatch};
use proptest::prelude::*;

fn records(tag: u32, n: usize, value_len: usize) -> EncodedRecords {
    let records: Vec<Record> = (0..n).map(|i| Record::new(format!("{tag}:{i}:{}", "x".repeat(value_len)), 0)).collect();
    EncodedRecords::from_records(&records)
}

/// The values of `records`, in order, read back from the batch they seal into.
fn values(records: &EncodedRecords) -> Vec<String> {
    let batch = RecordBatch::decode(records.seal(0..records.len(), |_| {}).1).unwrap();
    batch.consumer_records().map(|(_, r)| String::from_utf8(r.value.unwrap().to_vec()).unwrap()).collect()
}

fn piece(tag: u32, partition: u32, n: usize, acks: i16, at: i64) -> Piece<u32> {
    Piece {
        tag,
        acks,
        timeout_ms: 30_000,
        compression: Compression::None,
        topic: "t".into(),
        partition,
        records: records(tag, n, 10),
        enqueued_ms: at,
    }
}

#[test]
fn linger_waits_for_the_oldest_piece_unless_a_batch_is_full() {
    let mut acc = Accumulator::new(1000);
    assert_eq!(acc.wait_until(0, 5), None, "nothing queued: nothing to wait for");
    acc.push(piece(1, 0, 1, -1, 100));
    assert_eq!(acc.wait_until(100, 0), None, "linger.ms 0 sends at once");
    assert_eq!(acc.wait_until(102, 5), Some(105), "lingers until 5 ms after the oldest piece");
    assert_eq!(acc.wait_until(105, 5), None);
    acc.push(piece(2, 0, 60, -1, 103));
    assert_eq!(acc.wait_until(103, 5), None, "a full batch goes without lingering");
}

#[test]
fn a_request_takes_pieces_in_order_merging_each_partition_within_batch_size() {
    let size = |n| records(0, n, 10).bytes().len();
    let mut acc = Accumulator::new(size(5));
    acc.push(piece(1, 0, 3, -1, 0));
    acc.push(piece(2, 1, 2, -1, 0));
    acc.push(piece(3, 0, 2, -1, 0)); // fits partition 0's batch: 5 records
    acc.push(piece(4, 0, 1, -1, 0)); // does not: ends the request
    acc.push(piece(5, 1, 1, -1, 0));
    let first = acc.drain().unwrap();
    let summary: Vec<_> = first.batches.iter().map(|b| (b.partition, b.records.len(), b.pieces.clone())).collect();
    assert_eq!(summary, [(0, 5, vec![(1, 0, 3), (3, 3, 2)]), (1, 2, vec![(2, 0, 2)])]);
    let second = acc.drain().unwrap();
    assert_eq!(second.batches.iter().map(|b| b.pieces.clone()).collect::<Vec<_>>(), [vec![(4, 0, 1)], vec![(5, 0, 1)]]);
    assert!(acc.drain().is_none());
}

#[test]
fn sends_of_different_compression_or_timeout_never_share_a_request() {
    let mut acc = Accumulator::new(1000);
    acc.push(piece(1, 0, 1, -1, 0));
    acc.push(Piece { compression: Compression::Gzip, ..piece(2, 0, 1, -1, 0) });
    acc.push(Piece { compression: Compression::Gzip, ..piece(3, 1, 1, -1, 0) });
    acc.push(Piece { compression: Compression::Gzip, timeout_ms: 500, ..piece(4, 1, 1, -1, 0) });
    let first = acc.drain().unwrap();
    assert_eq!((first.compression, first.batches.len()), (Compression::None, 1));
    let second = acc.drain().unwrap();
    assert_eq!((second.compression, second.timeout_ms, second.batches.len()), (Compression::Gzip, 30_000, 2));
    let third = acc.drain().unwrap();
    assert_eq!((third.timeout_ms, third.batches[0].pieces[0].0), (500, 4));
}

#[test]
fn a_piece_larger_than_batch_size_goes_alone_and_acks_never_mix() {
    let mut acc = Accumulator::new(10);
    acc.push(piece(1, 0, 50, -1, 0));
    acc.push(piece(2, 0, 1, -1, 0));
    acc.push(piece(3, 1, 1, 0, 0));
    assert_eq!(acc.drain().unwrap().batches[0].pieces, [(1, 0, 50)]);
    let second = acc.drain().unwrap();
    assert_eq!((second.acks, second.batches.len()), (-1, 1), "acks=0 pieces wait for a request of their own");
    let third = acc.drain().unwrap();
    assert_eq!((third.acks, third.batches[0].pieces.clone()), (0, vec![(3, 0, 1)]));
}

proptest! {
    #[test]
    fn every_record_goes_out_once_in_order_within_its_partition(
        pieces in prop::collection::vec((0u32..4, 1usize..20, prop::sample::select(vec![-1i16, 1])), 1..40),
        batch_bytes in 1usize..2000,
        drain_every in 1usize..10,
    ) {
        let mut acc = Accumulator::new(batch_bytes);
        let mut expected: Vec<Vec<String>> = vec![Vec::new(); 4];
        let mut sent: Vec<Vec<String>> = vec![Vec::new(); 4];
        let drain = |acc: &mut Accumulator<u32>, sent: &mut Vec<Vec<String>>| {
            let d = acc.drain().unwrap();
            let total: usize = d.batches.iter().map(|b| b.records.len()).sum();
            prop_assert!(total > 0);
            for b in d.batches {
                let bytes = b.records.bytes().len();
                prop_assert!(bytes <= batch_bytes || b.pieces.len() == 1, "an over-full batch holds one piece");
                let mut next = 0;
                for (_, first, count) in &b.pieces {
                    prop_assert_eq!(*first, next, "pieces tile their batch");
                    next += count;
                }
                prop_assert_eq!(next, b.records.len());
                sent[b.partition as usize].extend(values(&b.records));
            }
            Ok(())
        };
        for (i, (partition, n, acks)) in pieces.into_iter().enumerate() {
            let p = Piece { tag: i as u32, acks, timeout_ms: 30_000, compression: Compression::None, topic: "t".into(), partition, records: records(i as u32, n, 3), enqueued_ms: 0 };
            expected[partition as usize].extend(values(&p.records));
            acc.push(p);
            if i % drain_every == 0 {
                drain(&mut acc, &mut sent)?;
            }
        }
        while !acc.is_empty() {
            drain(&mut acc, &mut sent)?;
        }
        prop_assert_eq!(sent, expected);
    }
}
