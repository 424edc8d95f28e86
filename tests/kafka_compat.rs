//! Byte compatibility with other Kafka clients: KafkaJS, and kafka-python for the compressed codecs.
//!
//! `fixtures/kafkajs-batch.bin` was built by KafkaJS's own produce code (`fixtures/kafkajs-batch.mjs`; the e2e
//! suite checks it still matches KafkaJS). franz must decode it to the same records and re-encode it byte for
//! byte. `fixtures/franz-batch.bin` is what franz encodes; the e2e suite decodes it with KafkaJS's decoder and
//! checks its CRC with KafkaJS's CRC32C. Set `FRANZ_WRITE_FIXTURES=1` to rewrite the franz fixtures after an
//! intended encoder change.
//!
//! `fixtures/kafka-python-<codec>[-large].bin` were built by kafka-python with the reference C libraries
//! (`fixtures/kafka-python-batches.py`): GZIP, xerial-framed Snappy, LZ4 frames and ZSTD, as Kafka's Java client
//! writes them. franz must read each to the same records. `fixtures/franz-<codec>[-large].bin` are what franz
//! writes for the same records; that script's `--check` reads them with kafka-python.

use bytes::Bytes;
use franz::core::client::CrcCheck;
use franz::core::record::{Record, RecordBatch};

const KAFKAJS: &[u8] = include_bytes!("fixtures/kafkajs-batch.bin");
const FRANZ: &[u8] = include_bytes!("fixtures/franz-batch.bin");
const T0: i64 = 1_700_000_000_000;

/// The same messages as `MESSAGES` in `fixtures/kafkajs-batch.mjs`.
fn messages() -> Vec<Record> {
    vec![
        Record::keyed("user-1", r#"{"action":"click"}"#, T0)
            .with_header("trace-id", "abc")
            .with_header("source", "web"),
        Record::new("no key here", T0 + 250),
        Record::tombstone("user-2", T0 + 500),
        Record::keyed("ünï", vec![0u8, 1, 2, 253, 254, 255], T0 + 750).with_header("h", ""),
    ]
}

#[test]
fn franz_decodes_a_kafkajs_batch_to_the_same_records() {
    let batch = RecordBatch::decode(Bytes::from_static(KAFKAJS)).unwrap();
    let records: Vec<Record> = batch.consumer_records().map(|(_, r)| r).collect();
    assert_eq!(records, messages());
    assert_eq!((batch.base_offset, batch.last_offset_delta), (0, 3));
    assert_eq!((batch.base_timestamp, batch.max_timestamp), (T0, T0 + 750));
    // KafkaJS's non-idempotent producer sends epoch 0 and sequence 0 where Java sends -1; both are valid.
    assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (-1, 0, 0));
}

#[test]
fn franz_reencodes_a_kafkajs_batch_byte_for_byte() {
    assert_eq!(RecordBatch::decode(Bytes::from_static(KAFKAJS)).unwrap().encode().as_ref(), KAFKAJS);
}

#[test]
fn franz_encodes_the_same_bytes_as_kafkajs_given_the_same_header_fields() {
    let mut batch = RecordBatch::from_records(messages());
    (batch.partition_leader_epoch, batch.producer_epoch, batch.base_sequence) = (0, 0, 0);
    assert_eq!(batch.encode().as_ref(), KAFKAJS);
}

/// A batch as a franz leader stores it: base offset 42, leader epoch 7, Java's "no producer" fields.
fn franz_batch() -> Bytes {
    let mut batch = RecordBatch::from_records(messages());
    (batch.base_offset, batch.partition_leader_epoch) = (42, 7);
    batch.encode()
}

#[test]
fn the_franz_fixture_is_what_franz_encodes() {
    if std::env::var_os("FRANZ_WRITE_FIXTURES").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/franz-batch.bin"), franz_batch()).unwrap();
    }
    assert_eq!(franz_batch().as_ref(), FRANZ);
}

#[test]
fn fetched_records_pack_into_refs_to_the_fetched_bytes() {
    use franz::core::client::PackedRecords;
    let mut with_headers = Record::new("v", 7);
    with_headers.key = Some(Bytes::from_static(b"k"));
    with_headers.headers = vec![("h".into(), Some(Bytes::from_static(b"x"))), ("n".into(), None)];
    let mut empty = Record::new("", 8);
    empty.value = None;
    let mut batch = RecordBatch::from_records(vec![with_headers, empty]);
    batch.base_offset = 5;
    let fetched = batch.encode();
    let (packed, next) = PackedRecords::fetched(std::slice::from_ref(&fetched), 5, CrcCheck::Check, &[]).unwrap();
    assert_eq!(next, 7);
    assert_eq!(packed.arena, fetched, "the arena is the fetched bytes, not a copy of each field");
    assert_eq!(packed.numbers, [5, 7, 6, 8]);
    let field = |at: &[i32]| (at[0] >= 0).then(|| &packed.arena[at[0] as usize..][..at[1] as usize]);
    let r = &packed.refs;
    assert_eq!(r.len(), 2 * 2 + 1 + 2 * 4 + 2 * 2 + 1);
    assert_eq!((field(&r[0..]), field(&r[2..]), r[4]), (Some(&b"k"[..]), Some(&b"v"[..]), 2));
    assert_eq!((field(&r[5..]), field(&r[7..])), (Some(&b"h"[..]), Some(&b"x"[..])));
    assert_eq!((field(&r[9..]), field(&r[11..])), (Some(&b"n"[..]), None));
    assert_eq!((field(&r[13..]), field(&r[15..]), r[17]), (None, None, 0));
    // A position inside the batch skips the records before it.
    let (later, _) = PackedRecords::fetched(&[fetched], 6, CrcCheck::Check, &[]).unwrap();
    assert_eq!(later.numbers, [6, 8]);
}

const T_PY: i64 = 1_700_000_000_000;

/// The records of `fixtures/kafka-python-batches.py`: `SMALL` (the KafkaJS fixture's kinds, ten times over,
/// 250 ms apart) or `LARGE` (2000 keyed 100-byte values, ~200 KB: several Snappy and LZ4 blocks).
fn python_records(large: bool) -> Vec<Record> {
    if large {
        return (0..2000)
            .map(|i| {
                let value = format!("record {i:05} ");
                let value = format!("{value:.<100}");
                Record::keyed(format!("key-{}", i % 10), value, T_PY + i64::from(i))
            })
            .collect();
    }
    (0..40)
        .map(|i| {
            let at = T_PY + 250 * i64::from(i);
            match i % 4 {
                0 => Record::keyed("user-1", r#"{"action":"click"}"#, at)
                    .with_header("trace-id", "abc")
                    .with_header("source", "web"),
                1 => Record::new("no key here", at),
                2 => Record::tombstone("user-2", at),
                _ => Record::keyed("ünï", vec![0u8, 1, 2, 253, 254, 255], at).with_header("h", ""),
            }
        })
        .collect()
}

const PYTHON: [(&str, i16, &[u8]); 8] = [
    ("gzip", 1, include_bytes!("fixtures/kafka-python-gzip.bin")),
    ("gzip-large", 1, include_bytes!("fixtures/kafka-python-gzip-large.bin")),
    ("snappy", 2, include_bytes!("fixtures/kafka-python-snappy.bin")),
    ("snappy-large", 2, include_bytes!("fixtures/kafka-python-snappy-large.bin")),
    ("lz4", 3, include_bytes!("fixtures/kafka-python-lz4.bin")),
    ("lz4-large", 3, include_bytes!("fixtures/kafka-python-lz4-large.bin")),
    ("zstd", 4, include_bytes!("fixtures/kafka-python-zstd.bin")),
    ("zstd-large", 4, include_bytes!("fixtures/kafka-python-zstd-large.bin")),
];

#[test]
fn franz_reads_every_codec_kafka_python_writes() {
    for (name, codec, bytes) in PYTHON {
        let batch = RecordBatch::decode(Bytes::from_static(bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(batch.attributes.0 & 7, codec, "{name} is compressed");
        let records: Vec<Record> = batch.consumer_records().map(|(_, r)| r).collect();
        assert_eq!(records, python_records(name.ends_with("-large")), "{name}");
        // And the same records with franz's own compression read back the same.
        let again = RecordBatch::decode(batch.encode()).unwrap();
        assert_eq!(again, batch, "{name}: franz's re-encoding");
    }
}

/// What franz writes for the records of a kafka-python fixture: a leader's batch at offset 0.
fn franz_compressed(name: &str, codec: i16) -> Bytes {
    let mut batch = RecordBatch::from_records(python_records(name.ends_with("-large")));
    batch.attributes.0 = codec;
    batch.encode()
}

#[test]
fn the_franz_codec_fixtures_are_what_franz_writes() {
    for (name, codec, _) in PYTHON {
        let path = format!("{}/tests/fixtures/franz-{name}.bin", env!("CARGO_MANIFEST_DIR"));
        let ours = franz_compressed(name, codec);
        if std::env::var_os("FRANZ_WRITE_FIXTURES").is_some() {
            std::fs::write(&path, &ours).unwrap();
        }
        assert_eq!(ours.as_ref(), std::fs::read(&path).unwrap(), "{name}");
    }
}
