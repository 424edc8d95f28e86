//! The partition log: offsets, reads, high watermark, ListOffsets, size limits, retention and compaction.
#![cfg(not(target_arch = "wasm32"))] // property tests run natively (proptest needs an OS randomness source)

use std::collections::HashMap;

use bytes::Bytes;
use franz::core::log::{OffsetAndTimestamp, OffsetSpec, PartitionLog, ProducerBatch, StoredBatch, LEADER_BATCH_BYTES};
use franz::core::record::{
    decode_batches, recompressed, BatchHeader, Compression, EncodedRecords, Record, RecordBatch,
};
use franz::core::topic::TopicConfig;
use proptest::prelude::*;

const T0: i64 = 1_700_000_000_000;

fn batch(records: Vec<Record>) -> Bytes {
    RecordBatch::from_records(records).encode()
}

fn values(n: usize, ts: i64) -> Bytes {
    batch((0..n).map(|i| Record::new(format!("v{i}"), ts)).collect())
}

/// Appends as leader and commits (HW = LEO), as a single-replica partition does.
fn append(log: &mut PartitionLog, bytes: &Bytes, config: &TopicConfig, now: i64) -> i64 {
    let info = log.append_as_leader(bytes.clone(), 0, config, now).unwrap();
    log.set_high_watermark(log.log_end_offset());
    info.base_offset
}

/// Every (offset, value) a consumer reading from `from` would see, below the HW.
fn consume(log: &PartitionLog, from: i64) -> Vec<(i64, Option<Bytes>)> {
    let mut out = Vec::new();
    let mut offset = from;
    loop {
        let batches = log.read(offset, 64, log.high_watermark()).unwrap();
        if batches.is_empty() {
            return out;
        }
        for b in decode_batches(&Bytes::from(batches.concat())).unwrap() {
            for (o, r) in b.consumer_records().filter(|(o, _)| *o >= offset) {
                out.push((o, r.value));
            }
            offset = b.last_offset() + 1;
        }
    }
}

#[test]
fn append_assigns_consecutive_offsets_and_returns_the_base() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    assert_eq!(append(&mut log, &values(3, T0), &config, T0), 0);
    assert_eq!(append(&mut log, &values(2, T0), &config, T0), 3);
    assert_eq!((log.log_start_offset(), log.log_end_offset(), log.high_watermark()), (0, 5, 5));
    let offsets: Vec<i64> = consume(&log, 0).into_iter().map(|(o, _)| o).collect();
    assert_eq!(offsets, [0, 1, 2, 3, 4]);
    // The stored batch carries its offsets and the leader epoch in its own bytes.
    let stored = RecordBatch::decode(log.read(3, 1, 5).unwrap()[0].clone()).unwrap();
    assert_eq!((stored.base_offset, stored.partition_leader_epoch), (3, 0));
}

#[test]
fn a_record_set_of_several_batches_is_appended_whole() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let two = Bytes::from([values(2, T0), values(3, T0)].concat());
    let info = log.append_as_leader(two.clone(), 7, &config, T0).unwrap();
    assert_eq!((info.base_offset, info.last_offset, info.appended.len()), (0, 4, 2));
    assert_eq!(info.appended[1].base_offset, 2);
}

#[test]
fn reads_respect_the_high_watermark_and_the_range() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    log.append_as_leader(values(2, T0), 0, &config, T0).unwrap();
    log.append_as_leader(values(2, T0), 0, &config, T0).unwrap();
    log.set_high_watermark(2);
    assert_eq!(consume(&log, 0).len(), 2, "only the committed batch is visible");
    assert!(log.read(2, 1 << 20, 2).unwrap().is_empty(), "at the HW: nothing yet, not an error");
    assert_eq!(log.read(2, 1 << 20, log.log_end_offset()).unwrap().len(), 1, "a follower reads to the LEO");
    for bad in [-1, 5] {
        assert_eq!(log.read(bad, 100, 2).unwrap_err().name(), "OFFSET_OUT_OF_RANGE");
    }
    assert_eq!(log.read(4, 100, 4).unwrap(), Vec::<Bytes>::new(), "the LEO itself is a valid position");
}

#[test]
fn the_first_batch_is_returned_even_when_larger_than_max_bytes() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    append(&mut log, &values(50, T0), &config, T0);
    append(&mut log, &values(50, T0), &config, T0);
    assert_eq!(log.read(0, 1, 100).unwrap().len(), 1);
    assert_eq!(log.read(0, usize::MAX, 100).unwrap().len(), 2);
}

#[test]
fn high_watermark_never_leaves_the_log() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    append(&mut log, &values(3, T0), &config, T0);
    log.set_high_watermark(99);
    assert_eq!(log.high_watermark(), 3);
    log.set_high_watermark(-5);
    assert_eq!(log.high_watermark(), 0);
}

#[test]
fn list_offsets_earliest_latest_max_and_by_timestamp() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    append(&mut log, &batch(vec![Record::new("a", T0), Record::new("b", T0 + 10)]), &config, T0);
    append(&mut log, &batch(vec![Record::new("c", T0 + 30), Record::new("d", T0 + 20)]), &config, T0);
    let at = |offset, timestamp| Some(OffsetAndTimestamp { offset, timestamp });
    assert_eq!(log.list_offset(OffsetSpec::Earliest).unwrap(), at(0, -1));
    assert_eq!(log.list_offset(OffsetSpec::Latest).unwrap(), at(4, -1));
    assert_eq!(log.list_offset(OffsetSpec::MaxTimestamp).unwrap(), at(2, T0 + 30));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(T0 + 5)).unwrap(), at(1, T0 + 10));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(T0 + 15)).unwrap(), at(2, T0 + 30));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(T0 + 31)).unwrap(), None);
    log.set_high_watermark(2);
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(T0 + 15)).unwrap(), None, "uncommitted data is not found");
}

#[test]
fn log_append_time_stamps_the_broker_clock() {
    let config = TopicConfig::from_entries(&[("message.timestamp.type", "LogAppendTime")]).unwrap();
    let mut log = PartitionLog::new();
    let info = log.append_as_leader(values(2, 5), 0, &config, T0).unwrap();
    assert_eq!(info.log_append_time, Some(T0));
    log.set_high_watermark(2);
    let b = RecordBatch::decode(log.read(0, 100, 2).unwrap()[0].clone()).unwrap();
    assert!(b.consumer_records().all(|(_, r)| r.timestamp == T0));
}

#[test]
fn oversized_batches_and_record_sets_are_refused_whole() {
    let mut log = PartitionLog::new();
    let config = TopicConfig::from_entries(&[("max.message.bytes", "200")]).unwrap();
    let big = batch(vec![Record::new(vec![0u8; 300], T0)]);
    assert_eq!(log.append_as_leader(big.clone(), 0, &config, T0).unwrap_err().name(), "MESSAGE_TOO_LARGE");
    let config = TopicConfig::from_entries(&[("segment.bytes", "300")]).unwrap();
    let small = values(1, T0);
    let many = Bytes::from(vec![small.to_vec(); 5].concat());
    assert!(small.len() < 300 && many.len() > 300);
    assert_eq!(log.append_as_leader(many.clone(), 0, &config, T0).unwrap_err().name(), "RECORD_LIST_TOO_LARGE");
    assert_eq!((log.log_end_offset(), log.batch_count()), (0, 0), "nothing of a refused request is stored");
}

#[test]
fn a_bad_batch_anywhere_refuses_the_whole_request() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let mut bad = values(1, T0).to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let request = Bytes::from([values(2, T0).to_vec(), bad].concat());
    assert_eq!(log.append_as_leader(request.clone(), 0, &config, T0).unwrap_err().name(), "CORRUPT_MESSAGE");
    assert_eq!(log.log_end_offset(), 0);
    let empty = Bytes::new();
    assert_eq!(log.append_as_leader(empty.clone(), 0, &config, T0).unwrap_err().name(), "INVALID_REQUEST");
    let no_records = batch(vec![]);
    assert_eq!(log.append_as_leader(no_records.clone(), 0, &config, T0).unwrap_err().name(), "INVALID_RECORD");
}

#[test]
fn producer_batches_must_number_records_without_gaps() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let mut b = RecordBatch::from_records(vec![Record::new("a", T0), Record::new("b", T0)]);
    b.records[1].offset_delta = 5;
    b.last_offset_delta = 5;
    assert_eq!(log.append_as_leader(b.encode(), 0, &config, T0).unwrap_err().name(), "INVALID_RECORD");
}

#[test]
fn retention_by_time_drops_old_committed_batches_only() {
    let config = TopicConfig::from_entries(&[("retention.ms", "1000")]).unwrap();
    let mut log = PartitionLog::new();
    append(&mut log, &values(2, T0), &config, T0);
    append(&mut log, &values(2, T0 + 5000), &config, T0);
    log.append_as_leader(values(2, T0), 0, &config, T0).unwrap(); // uncommitted: above the HW
    let cleanup = log.clean(&config, T0 + 2000).unwrap();
    assert_eq!(cleanup.removed, [0]);
    assert_eq!(log.log_start_offset(), 2);
    assert_eq!(consume(&log, 2).len(), 2);
    assert_eq!(log.read(0, 100, 4).unwrap_err().name(), "OFFSET_OUT_OF_RANGE");
    // Much later, only committed data goes; the uncommitted batch stays.
    log.clean(&config, T0 + 100_000).unwrap();
    assert_eq!((log.log_start_offset(), log.batch_count()), (4, 1));
}

#[test]
fn retention_by_bytes_keeps_the_newest_data_under_the_limit() {
    let one = values(10, T0);
    let config = TopicConfig::from_entries(&[("retention.bytes", (one.len() * 2).to_string())]).unwrap();
    let mut log = PartitionLog::new();
    for _ in 0..5 {
        append(&mut log, &one, &config, T0);
    }
    log.clean(&config, T0).unwrap();
    assert_eq!(log.size_bytes(), one.len() * 2);
    assert_eq!(log.log_start_offset(), 30);
    let kept: Vec<i64> = consume(&log, 30).into_iter().map(|(o, _)| o).collect();
    assert_eq!(kept, (30..50).collect::<Vec<_>>());
}

#[test]
fn infinite_retention_keeps_everything() {
    let config = TopicConfig::from_entries(&[("retention.ms", "-1")]).unwrap();
    let mut log = PartitionLog::new();
    append(&mut log, &values(3, 0), &config, 0);
    log.clean(&config, i64::MAX).unwrap();
    assert_eq!(log.log_start_offset(), 0);
}

fn compacted_config() -> TopicConfig {
    TopicConfig::from_entries(&[("cleanup.policy", "compact"), ("delete.retention.ms", "1000")]).unwrap()
}

#[test]
fn compacted_topics_refuse_records_without_key() {
    let mut log = PartitionLog::new();
    let err = log.append_as_leader(values(1, T0), 0, &compacted_config(), T0).unwrap_err();
    assert_eq!(err.name(), "INVALID_RECORD");
}

#[test]
fn compaction_keeps_the_latest_value_per_key_at_its_offset() {
    let config = compacted_config();
    let mut log = PartitionLog::new();
    append(&mut log, &batch(vec![Record::keyed("a", "1", T0), Record::keyed("b", "1", T0)]), &config, T0);
    append(&mut log, &batch(vec![Record::keyed("a", "2", T0), Record::keyed("c", "1", T0)]), &config, T0);
    append(&mut log, &batch(vec![Record::keyed("a", "3", T0), Record::tombstone("c", T0)]), &config, T0);
    log.compact(&config, T0).unwrap();
    let got = consume(&log, 0);
    let want = vec![(1, Some(Bytes::from("1"))), (4, Some(Bytes::from("3"))), (5, None)];
    assert_eq!(got, want, "b@1, a@4 and c's tombstone@5 survive; offsets never move");
    assert_eq!(log.log_end_offset(), 6);
    // After delete.retention.ms the tombstone goes too.
    log.compact(&config, T0 + 5000).unwrap();
    assert_eq!(consume(&log, 0), want[..2].to_vec());
}

#[test]
fn compaction_rewrites_gzip_batches_as_gzip_and_time_lookups_read_them() {
    let config = compacted_config();
    let mut log = PartitionLog::new();
    let gzip = |records| {
        let bytes = batch(records);
        recompressed(&bytes, &BatchHeader::parse(&bytes).unwrap(), Compression::Gzip, None).unwrap()
    };
    append(&mut log, &gzip(vec![Record::keyed("a", "1", T0), Record::keyed("b", "1", T0 + 10)]), &config, T0);
    append(&mut log, &gzip(vec![Record::keyed("a", "2", T0 + 20)]), &config, T0);
    let found = log.list_offset(OffsetSpec::Timestamp(T0 + 5)).unwrap();
    assert_eq!(found.map(|f| f.offset), Some(1), "a time lookup inside a GZIP batch");
    log.compact(&config, T0).unwrap();
    assert_eq!(consume(&log, 0), vec![(1, Some(Bytes::from("1"))), (2, Some(Bytes::from("2")))]);
    assert_eq!(codecs(&log), [Compression::Gzip, Compression::Gzip], "the rewritten batch is GZIP still");
}

#[test]
fn compaction_waits_for_the_dirty_ratio() {
    let config = compacted_config();
    let mut log = PartitionLog::new();
    append(&mut log, &batch((0..10).map(|i| Record::keyed(format!("k{i}"), "x", T0)).collect()), &config, T0);
    log.clean(&config, T0).unwrap();
    assert_eq!(log.dirty_ratio(), 0.0, "a cleaning pass makes everything clean");
    append(&mut log, &batch(vec![Record::keyed("k0", "y", T0)]), &config, T0);
    assert!(log.dirty_ratio() < 0.5);
    let before = log.size_bytes();
    assert!(log.clean(&config, T0).unwrap().is_empty(), "below min.cleanable.dirty.ratio nothing happens");
    assert_eq!(log.size_bytes(), before);
    log.compact(&config, T0).unwrap();
    assert_eq!(consume(&log, 0).len(), 10);
}

#[test]
fn truncation_removes_whole_batches_from_the_end() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    append(&mut log, &values(3, T0), &config, T0);
    append(&mut log, &values(3, T0), &config, T0);
    log.truncate_to(4);
    assert_eq!((log.log_end_offset(), log.high_watermark(), log.batch_count()), (3, 3, 1));
    assert_eq!(append(&mut log, &values(1, T0), &config, T0), 3, "offsets continue from the new end");
}

#[test]
fn delete_records_moves_the_log_start() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    append(&mut log, &values(3, T0), &config, T0);
    append(&mut log, &values(3, T0), &config, T0);
    assert_eq!(log.delete_records_before(4).unwrap(), [0]);
    assert_eq!(log.log_start_offset(), 4);
    let offsets: Vec<i64> = consume(&log, 4).into_iter().map(|(o, _)| o).collect();
    assert_eq!(offsets, [4, 5]);
    assert_eq!(log.delete_records_before(7).unwrap_err().name(), "OFFSET_OUT_OF_RANGE");
}

/// The codec of each stored batch.
fn codecs(log: &PartitionLog) -> Vec<Compression> {
    let all = log.read(log.log_start_offset(), usize::MAX, log.log_end_offset()).unwrap();
    all.iter().map(|b| BatchHeader::parse(b).unwrap().attributes.compression().unwrap()).collect()
}

fn gzip(bytes: &Bytes) -> Bytes {
    recompressed(bytes, &BatchHeader::parse(bytes).unwrap(), Compression::Gzip, None).unwrap()
}

#[test]
fn compressed_batches_are_kept_or_converted_as_compression_type_says() {
    let compression = |t: &str| TopicConfig::from_entries(&[("compression.type", t)]).unwrap();
    // producer (the default): each batch as it came.
    let mut log = PartitionLog::new();
    append(&mut log, &gzip(&values(3, T0)), &compression("producer"), T0);
    append(&mut log, &values(2, T0), &compression("producer"), T0);
    assert_eq!(codecs(&log), [Compression::Gzip, Compression::None]);
    assert_eq!(consume(&log, 0).len(), 5, "GZIP records read as any others");
    // uncompressed, and each codec: every batch converted, the client's (in another codec) and the leader's own.
    let mut log = PartitionLog::new();
    append(&mut log, &gzip(&values(3, T0)), &compression("uncompressed"), T0);
    assert_eq!(codecs(&log), [Compression::None]);
    for (name, codec) in [
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ] {
        let mut log = PartitionLog::new();
        append(&mut log, &values(3, T0), &compression(name), T0);
        append(&mut log, &gzip(&values(2, T0)), &compression(name), T0);
        let records = EncodedRecords::from_records(&[Record::new("own", T0)]);
        log.append_records_as_leader(&records, None, 0, &compression(name), T0).unwrap();
        log.set_high_watermark(log.log_end_offset());
        assert_eq!(codecs(&log), [codec; 3], "{name}");
        let values: Vec<Option<Bytes>> = consume(&log, 0).into_iter().map(|(_, v)| v).collect();
        assert_eq!(values.len(), 6, "{name}");
        assert_eq!(values.last().unwrap().as_deref(), Some(&b"own"[..]), "{name}");
    }
    // A batch whose decompressed records exceed max.message.bytes is refused whole when converted.
    let big = gzip(&batch(vec![Record::new("x".repeat(5000), T0)]));
    let small_limit =
        TopicConfig::from_entries(&[("compression.type", "uncompressed"), ("max.message.bytes", "2000")]).unwrap();
    let mut log = PartitionLog::new();
    let err = log.append_as_leader(big, 0, &small_limit, T0).unwrap_err();
    assert_eq!(err.name(), "MESSAGE_TOO_LARGE");
    assert_eq!(log.log_end_offset(), 0);
}

proptest! {
    /// Appends and DeleteRecords in any order: the log start only moves up, to each accepted offset, and stays
    /// within the high watermark; a consumer from the start reads every record at or after it, in order; and a
    /// follower that was away starts over at the leader's start (mid-batch or not) and ends with the same records.
    #[test]
    fn delete_records_keeps_every_record_from_the_start_on(ops in proptest::collection::vec((0u8..3, 1usize..6, 0i64..40), 1..40)) {
        let config = TopicConfig::default();
        let mut leader = PartitionLog::new();
        let mut start = 0;
        for (op, n, at) in ops {
            if op < 2 {
                append(&mut leader, &values(n, T0), &config, T0);
            } else {
                match leader.delete_records_before(at) {
                    Ok(_) => start = start.max(at),
                    Err(e) => prop_assert!(at > leader.high_watermark() && e.name() == "OFFSET_OUT_OF_RANGE"),
                }
            }
            prop_assert_eq!(leader.log_start_offset(), start);
            prop_assert!(leader.high_watermark() <= leader.log_end_offset());
        }
        let read: Vec<i64> = consume(&leader, start).into_iter().map(|(o, _)| o).collect();
        prop_assert_eq!(read, (start..leader.log_end_offset()).collect::<Vec<_>>());
        let mut follower = PartitionLog::new();
        follower.follow_log_start(start);
        for bytes in leader.read(start, usize::MAX, leader.log_end_offset()).unwrap() {
            follower.append_with_offsets(StoredBatch::from_bytes(bytes).unwrap()).unwrap();
        }
        follower.set_high_watermark(follower.log_end_offset());
        prop_assert_eq!(follower.log_start_offset(), start);
        prop_assert_eq!(consume(&follower, start), consume(&leader, start));
    }
}

#[test]
fn create_time_timestamps_must_lie_within_the_topics_bounds_in_both_produce_forms() {
    let bounded = TopicConfig::from_entries(&[
        ("message.timestamp.before.max.ms", "60000"),
        ("message.timestamp.after.max.ms", "1000"),
    ])
    .unwrap();
    let mut log = PartitionLog::new();
    for (ts, ok) in
        [(T0, true), (T0 - 60_000, true), (T0 + 1000, true), (T0 - 60_001, false), (T0 + 1001, false), (-1, true)]
    {
        let bytes = log.append_as_leader(batch(vec![Record::new("v", ts)]), 0, &bounded, T0);
        let records =
            log.append_records_as_leader(&EncodedRecords::from_records(&[Record::new("v", ts)]), None, 0, &bounded, T0);
        for (form, result) in [("bytes", bytes.map(drop)), ("records", records.map(drop))] {
            match result {
                Ok(()) => assert!(ok, "{form}: {ts} was taken"),
                Err(e) => {
                    assert!(!ok, "{form}: {ts} was refused: {e}");
                    assert_eq!(e.name(), "INVALID_TIMESTAMP");
                    assert!(e.detail().contains("out of range"), "{e}");
                }
            }
        }
    }
    let taken = log.log_end_offset();
    // One record out of range refuses its whole batch, and the request writes nothing.
    let mixed = vec![Record::new("fine", T0), Record::new("future", T0 + 10_000)];
    assert!(log.append_as_leader(batch(mixed.clone()), 0, &bounded, T0).is_err());
    assert!(log.append_records_as_leader(&EncodedRecords::from_records(&mixed), None, 0, &bounded, T0).is_err());
    assert_eq!(log.log_end_offset(), taken, "nothing of a refused append is stored");
    // By default there is no bound; and a LogAppendTime topic stamps its own time.
    assert!(log.append_as_leader(batch(vec![Record::new("old", 0)]), 0, &TopicConfig::default(), T0).is_ok());
    let mut stamped = bounded.clone();
    stamped.set("message.timestamp.type", "LogAppendTime").unwrap();
    assert!(log.append_as_leader(batch(vec![Record::new("old", 0)]), 0, &stamped, T0).is_ok());
    let e = TopicConfig::from_entries(&[("message.timestamp.after.max.ms", "-1")]).unwrap_err();
    assert_eq!(e.name(), "INVALID_CONFIG");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever is appended in whatever batch sizes, a consumer reads every record once, in order, with
    /// strictly increasing offsets, whatever its fetch size.
    #[test]
    fn offsets_increase_and_order_is_kept(sizes in proptest::collection::vec(1usize..20, 1..30)) {
        let config = TopicConfig::default();
        let mut log = PartitionLog::new();
        let mut sent = Vec::new();
        for (i, n) in sizes.iter().enumerate() {
            let records: Vec<Record> = (0..*n).map(|j| Record::new(format!("{i}.{j}"), T0)).collect();
            sent.extend(records.iter().map(|r| r.value.clone()));
            append(&mut log, &batch(records), &config, T0);
        }
        let got = consume(&log, 0);
        prop_assert_eq!(got.iter().map(|(o, _)| *o).collect::<Vec<_>>(), (0..sent.len() as i64).collect::<Vec<_>>());
        prop_assert_eq!(got.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), sent);
    }

    /// Compaction never changes what the latest value of a key is, keeps offsets increasing, and leaves at most
    /// one record per key.
    #[test]
    fn compaction_preserves_the_latest_value_of_every_key(
        writes in proptest::collection::vec(proptest::collection::vec((0u8..8, proptest::option::of(0u8..50)), 1..10), 1..20),
    ) {
        let config = TopicConfig::from_entries(&[("cleanup.policy", "compact")]).unwrap();
        let mut log = PartitionLog::new();
        let mut latest: HashMap<u8, Option<u8>> = HashMap::new();
        for w in &writes {
            let records = w.iter().map(|(k, v)| {
                latest.insert(*k, *v);
                Record { key: Some(Bytes::from(vec![*k])), value: v.map(|v| Bytes::from(vec![v])), timestamp: T0, headers: vec![] }
            }).collect();
            append(&mut log, &batch(records), &config, T0);
        }
        let leo = log.log_end_offset();
        log.compact(&config, T0).unwrap();
        prop_assert_eq!(log.log_end_offset(), leo);
        let mut seen = HashMap::new();
        let mut last = -1;
        for b in log.batches() {
            for (offset, r) in RecordBatch::decode(b.bytes.clone()).unwrap().consumer_records() {
                prop_assert!(offset > last);
                last = offset;
                let key = r.key.unwrap()[0];
                prop_assert!(seen.insert(key, r.value.map(|v| v[0])).is_none(), "key {} appears twice", key);
            }
        }
        prop_assert_eq!(seen, latest);
    }
}

#[test]
fn the_leader_writes_the_true_max_timestamp_whatever_the_producer_claimed() {
    // KafkaJS puts the last record's timestamp in maxTimestamp; Kafka's leader rewrites it from the records.
    let mut claimed = RecordBatch::from_records(vec![Record::new("late", T0 + 90), Record::new("early", T0 + 10)]);
    claimed.max_timestamp = T0 + 10;
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    let info = log.append_as_leader(claimed.encode(), 0, &config, T0).unwrap();
    assert_eq!(info.appended[0].max_timestamp, T0 + 90);
    log.set_high_watermark(2);
    let stored = RecordBatch::decode(log.read(0, 100, 2).unwrap()[0].clone()).unwrap(); // CRC re-sealed
    assert_eq!(stored.max_timestamp, T0 + 90);
    let max = log.list_offset(OffsetSpec::MaxTimestamp).unwrap().unwrap();
    assert_eq!((max.offset, max.timestamp), (0, T0 + 90));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(T0 + 50)).unwrap().unwrap().offset, 0);
}

#[test]
fn timestamp_lookup_does_not_assume_batches_are_in_time_order() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    append(&mut log, &batch(vec![Record::new("late", T0 + 100)]), &config, T0);
    append(&mut log, &batch(vec![Record::new("early", T0 + 10)]), &config, T0);
    append(&mut log, &batch(vec![Record::new("middle", T0 + 50)]), &config, T0);
    let found = |t| log.list_offset(OffsetSpec::Timestamp(t)).unwrap().map(|f| f.offset);
    assert_eq!(found(T0 + 40), Some(0), "the first record in offset order with a timestamp at or after");
    assert_eq!(found(T0 + 101), None);
}

/// Both forms of produce store the same bytes for the same records.
fn same_as_bytes_path(records: Vec<Record>, config: &TopicConfig) {
    let (mut by_bytes, mut by_records) = (PartitionLog::new(), PartitionLog::new());
    for log in [&mut by_bytes, &mut by_records] {
        log.append_as_leader(values(2, T0), 3, config, T0).unwrap(); // start both at offset 2
    }
    let a = by_bytes.append_as_leader(batch(records.clone()), 3, config, T0 + 9).unwrap();
    let b =
        by_records.append_records_as_leader(&EncodedRecords::from_records(&records), None, 3, config, T0 + 9).unwrap();
    assert_eq!(a, b);
}

#[test]
fn records_path_errors_match_the_bytes_path() {
    let mut log = PartitionLog::new();
    let small = TopicConfig::from_entries(&[("max.message.bytes", "200")]).unwrap();
    let err = log
        .append_records_as_leader(
            &EncodedRecords::from_records(&[Record::new(vec![0u8; 300], T0)]),
            None,
            0,
            &small,
            T0,
        )
        .unwrap_err();
    assert_eq!(err.name(), "MESSAGE_TOO_LARGE");
    let compact = TopicConfig::from_entries(&[("cleanup.policy", "compact")]).unwrap();
    let err = log
        .append_records_as_leader(&EncodedRecords::from_records(&[Record::new("no key", T0)]), None, 0, &compact, T0)
        .unwrap_err();
    assert_eq!(err.name(), "INVALID_RECORD");
    let err = log
        .append_records_as_leader(&EncodedRecords::from_records(&[]), None, 0, &TopicConfig::default(), T0)
        .unwrap_err();
    assert_eq!(err.name(), "INVALID_RECORD");
    assert_eq!(log.log_end_offset(), 0, "nothing of a refused append is stored");
    same_as_bytes_path(
        vec![Record::new("a", T0 + 5), Record::new("b", T0)],
        &TopicConfig::from_entries(&[("message.timestamp.type", "LogAppendTime")]).unwrap(),
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn records_path_stores_what_the_bytes_path_stores(
        records in proptest::collection::vec(
            (proptest::option::of("[a-z]{0,6}"), proptest::option::of("[a-z]{0,30}"), -1000i64..1000, proptest::collection::vec(("[a-z]{1,4}", "[a-z]{0,4}"), 0..2)),
            1..20,
        ),
    ) {
        let records = records.into_iter().map(|(k, v, dt, headers)| Record {
            key: k.map(Bytes::from),
            value: v.map(Bytes::from),
            timestamp: T0 + dt,
            headers: headers.into_iter().map(|(hk, hv)| (hk, Some(Bytes::from(hv)))).collect(),
        }).collect();
        same_as_bytes_path(records, &TopicConfig::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Records the leader batches itself go in batches of at most LEADER_BATCH_BYTES (a larger record alone),
    /// in order, with consecutive offsets: a consumer reads exactly the records sent.
    #[test]
    fn large_sends_are_stored_as_batches_within_the_limit(
        sizes in proptest::collection::vec(0usize..30_000, 1..16), log_append_time in any::<bool>(),
    ) {
        let records: Vec<Record> =
            sizes.iter().enumerate().map(|(i, &n)| Record::new(vec![i as u8; n], T0 - i as i64)).collect();
        let config = if log_append_time {
            TopicConfig::from_entries(&[("message.timestamp.type", "LogAppendTime")]).unwrap()
        } else {
            TopicConfig::default()
        };
        let mut log = PartitionLog::new();
        log.append_as_leader(values(2, T0), 0, &config, T0).unwrap();
        let info = log.append_records_as_leader(&EncodedRecords::from_records(&records), None, 0, &config, T0 + 7).unwrap();
        prop_assert_eq!((info.base_offset, info.last_offset), (2, 1 + records.len() as i64));
        let one = RecordBatch::from_records(records.clone()).encode().len();
        prop_assert_eq!(info.appended.len() == 1, one <= LEADER_BATCH_BYTES, "split only past the limit");
        let mut next = 2;
        for stored in &info.appended {
            let b = RecordBatch::decode(stored.bytes.clone()).unwrap();
            prop_assert!(stored.bytes.len() <= LEADER_BATCH_BYTES || b.records.len() == 1, "{} bytes", stored.bytes.len());
            prop_assert_eq!((b.base_offset, stored.base_offset, stored.last_offset), (next, next, b.last_offset()));
            let stamped = if log_append_time { T0 + 7 } else { b.records.iter().map(|r| r.record.timestamp).max().unwrap() };
            prop_assert_eq!(b.max_timestamp, stamped);
            next = b.last_offset() + 1;
        }
        log.set_high_watermark(log.log_end_offset());
        let read: Vec<_> = consume(&log, 2).into_iter().map(|(o, v)| (o, v.unwrap())).collect();
        let sent: Vec<_> = records.iter().enumerate().map(|(i, r)| (2 + i as i64, r.value.clone().unwrap())).collect();
        prop_assert_eq!(read, sent);
    }
}

#[test]
fn a_large_send_is_limited_as_one_batch_and_an_idempotent_one_stays_one_batch() {
    let big = || (0..40).map(|i| Record::new(vec![b'v'; 3000], T0 + i)).collect::<Vec<_>>();
    let mut log = PartitionLog::new();
    let limit = TopicConfig::from_entries(&[("max.message.bytes", "100000")]).unwrap();
    let err = log.append_records_as_leader(&EncodedRecords::from_records(&big()), None, 0, &limit, T0).unwrap_err();
    assert_eq!(err.name(), "MESSAGE_TOO_LARGE", "120 KB of records sent together exceed max.message.bytes");
    assert_eq!(log.log_end_offset(), 0, "nothing of it is stored");
    let info = log
        .append_records_as_leader(&EncodedRecords::from_records(&big()), None, 0, &TopicConfig::default(), T0)
        .unwrap();
    assert_eq!(info.appended.len(), 2);
    let producer = ProducerBatch { producer_id: 7, epoch: 0, base_sequence: 0, count: 40, transactional: false };
    let info = log
        .append_records_as_leader(&EncodedRecords::from_records(&big()), Some(producer), 0, &TopicConfig::default(), T0)
        .unwrap();
    assert_eq!(info.appended.len(), 1, "its sequence numbers name one batch, which a retry must find");
    let retry = log
        .append_records_as_leader(&EncodedRecords::from_records(&big()), Some(producer), 0, &TopicConfig::default(), T0)
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!((retry.base_offset, retry.last_offset), (info.base_offset, info.last_offset));
}

/// A leader stamps offsets into a lone batch where it lies when nobody else holds its bytes; bytes the caller
/// kept (to retry them) are copied first, and keep what the producer wrote.
#[test]
fn bytes_a_producer_kept_are_never_rewritten_by_the_append() {
    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    log.append_as_leader(values(3, T0), 0, &config, T0).unwrap();
    let kept = values(2, T0);
    let info = log.append_as_leader(kept.clone(), 5, &config, T0).unwrap();
    assert_eq!(info.base_offset, 3);
    assert_eq!(&kept[..8], &0i64.to_be_bytes(), "the kept bytes still say base offset 0");
    assert_eq!(&kept[12..16], &(-1i32).to_be_bytes(), "and no leader epoch");
    assert_eq!(&info.appended[0].bytes[..8], &3i64.to_be_bytes());
}

#[test]
fn a_lone_batch_nobody_else_holds_is_stamped_where_it_lies() {
    let mut log = PartitionLog::new();
    let request = values(2, T0);
    let at = request.as_ptr();
    let info = log.append_as_leader(request, 4, &TopicConfig::default(), T0).unwrap();
    assert_eq!(info.appended[0].bytes.as_ptr(), at, "not copied");
    assert_eq!(&info.appended[0].bytes[12..16], &4i32.to_be_bytes());
}

#[test]
fn a_topic_converts_to_gzip_at_its_compression_gzip_level() {
    let config = |level: &str| {
        TopicConfig::from_entries(&[("compression.type", "gzip"), ("compression.gzip.level", level)]).unwrap()
    };
    // Records whose values repeat with variations: something the levels compress differently.
    let records: Vec<Record> =
        (0..400).map(|i| Record::new(format!("order {} of customer {} in {}", i, i * 7 % 13, i % 5), T0)).collect();
    let stored = |level: &str| {
        let mut log = PartitionLog::new();
        append(&mut log, &batch(records.clone()), &config(level), T0);
        let stored = log.read(0, usize::MAX, log.log_end_offset()).unwrap();
        assert_eq!(consume(&log, 0).len(), 400, "level {level}: every record reads back");
        stored[0].len()
    };
    let (fastest, default, best) = (stored("1"), stored("-1"), stored("9"));
    assert!(best < fastest, "level 9 ({best} bytes) compresses better than level 1 ({fastest} bytes)");
    assert!(default <= fastest && default >= best, "the default (6) lies between: {fastest} / {default} / {best}");
}
