//! RecordBatch v2: golden bytes built by hand from Kafka's documented format, round-trip and robustness
//! properties, and every way a batch can be corrupt.
#![cfg(not(target_arch = "wasm32"))] // property tests run natively (proptest needs an OS randomness source)

use bytes::Bytes;
use franz::core::client::{records_from, CrcCheck, PackedRecords};
use franz::core::record::{
    crc, decode_batches, recompressed, records_section, Attributes, BatchHeader, BatchRecord, Compression,
    EncodedRecords, Record, RecordBatch, RecordCursor, TimestampType,
};
use proptest::prelude::*;

/// One batch assembled field by field from the RecordBatch v2 layout in Kafka's documentation
/// (kafka.apache.org/documentation/#recordbatch). Two records at base offset 5, leader epoch 3.
///
/// Records (each: length varint, attributes int8, timestampDelta varlong, offsetDelta varint, key, value,
/// header count, headers; varints are zigzag, so n encodes as 2n and -1 as 1):
/// - r0: attributes 0, timestampDelta 0, offsetDelta 0, key "k" (len 1 → 0x02), value "hello" (len 5 → 0x0a),
///   one header (0x02) "h" (0x02 0x68) = "x" (0x02 0x78). Body is 16 bytes, so the length prefix is 0x20.
/// - r1: attributes 0, timestampDelta 5 (0x0a), offsetDelta 1 (0x02), null key (-1 → 0x01), value "v2"
///   (0x04 0x76 0x32), no headers (0x00). Body is 8 bytes: prefix 0x10.
///
/// Records take 17 + 9 = 26 bytes; with the 61-byte header the batch is 87 bytes, so batchLength = 87 - 12 = 75
/// (0x4b). The CRC is CRC-32C over bytes 21..87, computed for this test by an independent bitwise
/// implementation (reflected polynomial 0x82F63B78, checked against the standard "123456789" → 0xE3069283).
const GOLDEN: &[u8] = &[
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, // baseOffset = 5
    0x00, 0x00, 0x00, 0x4b, // batchLength = 75
    0x00, 0x00, 0x00, 0x03, // partitionLeaderEpoch = 3
    0x02, // magic = 2
    0x54, 0x49, 0xa5, 0x1b, // crc = 0x5449a51b
    0x00, 0x00, // attributes: no compression, CreateTime, not transactional, not control
    0x00, 0x00, 0x00, 0x01, // lastOffsetDelta = 1
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // baseTimestamp = 1_700_000_000_000
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05, // maxTimestamp = 1_700_000_000_005
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // producerId = -1 (not idempotent)
    0xff, 0xff, // producerEpoch = -1
    0xff, 0xff, 0xff, 0xff, // baseSequence = -1
    0x00, 0x00, 0x00, 0x02, // recordCount = 2
    0x20, 0x00, 0x00, 0x00, 0x02, 0x6b, 0x0a, b'h', b'e', b'l', b'l', b'o', 0x02, 0x02, 0x68, 0x02, 0x78, // r0
    0x10, 0x00, 0x0a, 0x02, 0x01, 0x04, b'v', b'2', 0x00, // r1
];

fn golden_batch() -> RecordBatch {
    const T: i64 = 1_700_000_000_000;
    let mut batch =
        RecordBatch::from_records(vec![Record::keyed("k", "hello", T).with_header("h", "x"), Record::new("v2", T + 5)]);
    batch.base_offset = 5;
    batch.partition_leader_epoch = 3;
    batch
}

#[test]
fn encoder_produces_the_golden_bytes() {
    assert_eq!(golden_batch().encode().as_ref(), GOLDEN);
}

#[test]
fn decoder_reads_the_golden_bytes() {
    let batch = RecordBatch::decode(Bytes::from_static(GOLDEN)).unwrap();
    assert_eq!(batch, golden_batch());
    let consumed: Vec<(i64, Record)> = batch.consumer_records().collect();
    assert_eq!(consumed[0].0, 5);
    assert_eq!(consumed[1].0, 6);
    assert_eq!(consumed[1].1.key, None);
    assert_eq!(consumed[1].1.timestamp, 1_700_000_000_005);
}

fn corrupt(bytes: &[u8]) -> String {
    RecordBatch::decode(Bytes::copy_from_slice(bytes)).unwrap_err().name().to_owned()
}

#[test]
fn a_flipped_bit_anywhere_under_the_crc_is_caught() {
    for i in 21..GOLDEN.len() {
        let mut bytes = GOLDEN.to_vec();
        bytes[i] ^= 0x10;
        assert_eq!(corrupt(&bytes), "CORRUPT_MESSAGE", "byte {i}");
    }
}

#[test]
fn bad_magic_is_corrupt() {
    let mut bytes = GOLDEN.to_vec();
    bytes[16] = 1;
    assert_eq!(corrupt(&bytes), "CORRUPT_MESSAGE");
}

#[test]
fn every_truncation_is_corrupt() {
    for len in 0..GOLDEN.len() {
        assert_eq!(corrupt(&GOLDEN[..len]), "CORRUPT_MESSAGE", "length {len}");
    }
}

#[test]
fn impossible_lengths_are_corrupt() {
    for batch_length in [-1i32, 0, 48, 76, i32::MAX] {
        let mut bytes = GOLDEN.to_vec();
        bytes[8..12].copy_from_slice(&batch_length.to_be_bytes());
        assert_eq!(corrupt(&bytes), "CORRUPT_MESSAGE", "batchLength {batch_length}");
    }
    // A record count far beyond what the bytes can hold, correctly sealed: refused before allocating.
    let mut batch = golden_batch();
    batch.records.clear();
    let mut bytes = batch.encode().to_vec();
    bytes[57..61].copy_from_slice(&i32::MAX.to_be_bytes());
    reseal(&mut bytes);
    assert_eq!(corrupt(&bytes), "CORRUPT_MESSAGE");
    // Trailing junk after the last record, correctly sealed.
    let mut bytes = GOLDEN.to_vec();
    bytes.push(0);
    bytes[8..12].copy_from_slice(&76i32.to_be_bytes());
    reseal(&mut bytes);
    assert_eq!(corrupt(&bytes), "CORRUPT_MESSAGE");
}

fn reseal(bytes: &mut [u8]) {
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn every_codec_decodes_and_bits_that_name_none_are_corrupt() {
    for (codec, name) in [(1, "Gzip"), (2, "Snappy"), (3, "Lz4"), (4, "Zstd")] {
        let mut batch = golden_batch();
        batch.attributes = Attributes(codec);
        let packed = batch.encode();
        assert_ne!(packed[61..], GOLDEN[61..], "{name}: the records are compressed");
        assert_eq!(RecordBatch::decode(packed).unwrap(), batch, "{name}");
        // The codec's bits over records that are not compressed: a corrupt batch, not a panic.
        let mut bytes = GOLDEN.to_vec();
        bytes[22] = codec as u8;
        reseal(&mut bytes);
        let err = RecordBatch::decode(Bytes::from(bytes)).unwrap_err();
        assert_eq!(err.name(), "CORRUPT_MESSAGE", "{name}: {err}");
        assert!(err.detail().contains(name), "{err}");
    }
    for bits in [5, 6, 7] {
        let mut bytes = GOLDEN.to_vec();
        bytes[22] = bits;
        reseal(&mut bytes);
        assert_eq!(RecordBatch::decode(Bytes::from(bytes)).unwrap_err().name(), "CORRUPT_MESSAGE");
    }
}

#[test]
fn transactional_control_and_timestamp_bits_are_preserved() {
    let mut batch = golden_batch();
    batch.attributes = Attributes(0b0111_1000);
    let decoded = RecordBatch::decode(batch.encode()).unwrap();
    assert!(decoded.attributes.is_transactional() && decoded.attributes.is_control());
    assert_eq!(decoded.attributes.timestamp_type(), TimestampType::LogAppendTime);
    // With LogAppendTime a consumer sees the broker's stamp (maxTimestamp) on every record.
    assert!(decoded.consumer_records().all(|(_, r)| r.timestamp == decoded.max_timestamp));
    assert_eq!(decoded, batch);
}

#[test]
fn concatenated_batches_split_and_decode() {
    let mut second = golden_batch();
    second.base_offset = 7;
    let joined: Vec<u8> = [golden_batch().encode(), second.encode()].concat();
    let batches = decode_batches(&Bytes::from(joined.clone())).unwrap();
    assert_eq!(batches.iter().map(|b| b.base_offset).collect::<Vec<_>>(), [5, 7]);
    let err = decode_batches(&Bytes::copy_from_slice(&joined[..joined.len() - 1])).unwrap_err();
    assert_eq!(err.name(), "CORRUPT_MESSAGE");
}

fn arb_bytes() -> impl Strategy<Value = Option<Bytes>> {
    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from))
}

fn arb_batch() -> impl Strategy<Value = RecordBatch> {
    let record = (
        arb_bytes(),
        arb_bytes(),
        -1_000_000i64..1_000_000,
        proptest::collection::vec(("[a-z\u{e9}]{0,8}", arb_bytes()), 0..3),
        any::<i32>(),
    );
    (
        any::<i64>(),
        any::<i32>(),
        any::<i16>(),
        any::<i32>(),
        0i64..2_000_000_000_000,
        any::<i64>(),
        (any::<i64>(), any::<i16>(), any::<i32>()),
        proptest::collection::vec(record, 0..12),
    )
        .prop_map(|(base_offset, epoch, attrs, lod, base_ts, max_ts, (pid, pepoch, seq), records)| RecordBatch {
            base_offset,
            partition_leader_epoch: epoch,
            attributes: Attributes(attrs & !0x7), // compression bits: none
            last_offset_delta: lod,
            base_timestamp: base_ts,
            max_timestamp: max_ts,
            producer_id: pid,
            producer_epoch: pepoch,
            base_sequence: seq,
            records: records
                .into_iter()
                .map(|(key, value, ts_delta, headers, offset_delta)| BatchRecord {
                    offset_delta,
                    record: Record { key, value, timestamp: base_ts + ts_delta, headers },
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Compressing a batch with any codec and back changes nothing a consumer reads; compressed batches decode
    /// as what was encoded, and a codec changes into another.
    #[test]
    fn every_codec_round_trips(batch in arb_batch(), codec in 1i16..=4, other in 1i16..=4) {
        let plain = batch.encode();
        let header = BatchHeader::parse(&plain).unwrap();
        let codec = Compression::from_bits(codec).unwrap();
        let packed = recompressed(&plain, &header, codec, None).unwrap();
        let mut expected = batch.clone();
        expected.attributes = Attributes(batch.attributes.0 | codec.bits());
        prop_assert_eq!(RecordBatch::decode(packed.clone()).unwrap(), expected.clone());
        prop_assert_eq!(expected.encode(), packed.clone(), "encoding a {:?} batch compresses it the same way", codec);
        let other = Compression::from_bits(other).unwrap();
        let changed = recompressed(&packed, &BatchHeader::parse(&packed).unwrap(), other, None).unwrap();
        let back = recompressed(&changed, &BatchHeader::parse(&changed).unwrap(), Compression::None, None).unwrap();
        prop_assert_eq!(back, plain);
    }

    #[test]
    fn decode_of_encode_is_identity(batch in arb_batch()) {
        let bytes = batch.encode();
        prop_assert_eq!(RecordBatch::decode(bytes.clone()).unwrap(), batch.clone());
        // And the bytes are stable: re-encoding what was decoded gives the same bytes.
        prop_assert_eq!(RecordBatch::decode(bytes.clone()).unwrap().encode(), bytes);
    }

    /// A leader validates a produce by reading records in place (`RecordCursor`) instead of decoding them: it
    /// must accept exactly the batches the decoder accepts, and read the same fields, whatever is corrupted
    /// (the CRC re-sealed, so that the record structure itself is what is tested).
    #[test]
    fn reading_in_place_accepts_exactly_what_decoding_does(
        batch in arb_batch(), at in any::<prop::sample::Index>(), xor in any::<u8>(),
    ) {
        let mut bytes = batch.encode().to_vec();
        let i = 61 + at.index(bytes.len() - 60); // in the records, or (at the end) nowhere
        if i < bytes.len() {
            bytes[i] ^= xor;
        }
        reseal(&mut bytes);
        let decoded = RecordBatch::decode(Bytes::from(bytes.clone()));
        let read = BatchHeader::parse(&bytes).and_then(|h| {
            let body = records_section(&h, &Bytes::from(bytes.clone()))?;
            let mut cursor = RecordCursor::new(&h, &body)?;
            let mut fields = Vec::new();
            while let Some(f) = cursor.next()? {
                fields.push((f.offset_delta, f.timestamp, f.has_key()));
            }
            Ok(fields)
        });
        match (decoded, read) {
            (Ok(batch), Ok(fields)) => {
                let expected: Vec<_> =
                    batch.records.iter().map(|r| (r.offset_delta, r.record.timestamp, r.record.key.is_some())).collect();
                prop_assert_eq!(fields, expected);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.name(), b.name()),
            (a, b) => prop_assert!(false, "decode {:?} but read in place {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }

    /// A producer's batch sealed from encoded records, in one buffer or as a header beside them, is the batch
    /// `from_records` makes with the producer's ids.
    #[test]
    fn a_producer_batch_seals_as_from_records_encodes(batch in arb_batch(), ids in any::<(i64, i16, i32)>()) {
        let records: Vec<Record> = batch.records.into_iter().map(|r| r.record).collect();
        let mut expected = RecordBatch::from_records(records.clone());
        (expected.producer_id, expected.producer_epoch, expected.base_sequence) = ids;
        let encoded = EncodedRecords::from_records(&records);
        let fill = |b: &mut RecordBatch| (b.producer_id, b.producer_epoch, b.base_sequence) = ids;
        prop_assert_eq!(encoded.seal(0..records.len(), fill).1, expected.encode());
        prop_assert_eq!([&encoded.sealed_header(fill)[..], encoded.bytes()].concat(), expected.encode().to_vec());
    }

    /// The wasm build checksums by Chorba's method instead of the CPU's CRC instruction: the same CRC-32C, from
    /// any CRC so far, at every alignment and length (around the method's smallest input of 64 words too).
    #[test]
    fn the_wasm_checksum_is_crc32c(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        skip in 0usize..16,
        so_far in any::<u32>(),
    ) {
        let bytes = &bytes[skip.min(bytes.len())..];
        prop_assert_eq!(crc::chorba_append(so_far, bytes), crc32c::crc32c_append(so_far, bytes));
        prop_assert_eq!(crc::chorba_append(0, bytes), crc32c::crc32c(bytes));
    }

    /// A batch-sized input, where nearly every word is cleared by Chorba's method.
    #[test]
    fn the_wasm_checksum_of_a_batch_is_crc32c(seed in any::<u8>(), len in 60_000usize..70_000) {
        let bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8).collect();
        prop_assert_eq!(crc::chorba_append(0, &bytes), crc32c::crc32c(&bytes));
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), position in any::<i64>()) {
        let _ = RecordBatch::decode(Bytes::from(bytes.clone()));
        let _ = decode_batches(&Bytes::from(bytes.clone()));
        let _ = records_from(&[Bytes::from(bytes.clone())], position, &[]);
        let _ = PackedRecords::fetched(&[Bytes::from(bytes.clone())], position, CrcCheck::Check, &[]);
        let _ = PackedRecords::fetched(&[Bytes::from(bytes)], position, CrcCheck::Trust, &[]);
    }

    /// Offsets come from bytes (a batch's base offset is not even under its CRC): any of them, however close to
    /// i64::MAX, is read without overflowing, and both readers of a fetch agree.
    #[test]
    fn any_fetched_batch_is_read_without_overflow(
        mut batch in arb_batch(),
        base_offset in prop_oneof![any::<i64>(), (i64::MAX - 20)..=i64::MAX],
        position in any::<i64>(),
    ) {
        batch.base_offset = base_offset;
        let fetched = [batch.encode()];
        let decoded = records_from(&fetched, position, &[]);
        let packed = PackedRecords::fetched(&fetched, position, CrcCheck::Check, &[]);
        match (decoded, packed) {
            (Ok((records, next)), Ok((packed, packed_next))) => {
                prop_assert_eq!(next, packed_next);
                prop_assert_eq!(records.iter().map(|(o, _)| *o).collect::<Vec<_>>(), (0..packed.len()).map(|i| packed.offset(i)).collect::<Vec<_>>());
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.name(), b.name()),
            (a, b) => prop_assert!(false, "{:?} / {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }

    #[test]
    fn random_corruption_of_a_valid_batch_is_caught(batch in arb_batch(), at in any::<prop::sample::Index>(), xor in 1u8..) {
        let mut bytes = batch.encode().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        match RecordBatch::decode(Bytes::from(bytes)) {
            // Only the two fields outside the CRC may change undetected, exactly as in Kafka.
            Ok(_) => prop_assert!(i < 8 || (12..16).contains(&i), "undetected corruption at byte {}", i),
            Err(e) => prop_assert_eq!(e.name(), "CORRUPT_MESSAGE"),
        }
    }
    /// Trusting CRCs (a consumer's default) reads a batch exactly as checking them does.
    #[test]
    fn trusting_crcs_reads_what_checking_reads(batch in arb_batch(), position in 0i64..20) {
        let fetched = [batch.encode()];
        let checked = PackedRecords::fetched(&fetched, position, CrcCheck::Check, &[]).unwrap();
        prop_assert_eq!(PackedRecords::fetched(&fetched, position, CrcCheck::Trust, &[]).unwrap(), checked);
    }

    /// Without the CRC, corruption of the framing is still caught (never a panic, never a read past a record),
    /// and only what the CRC alone would have caught, a changed byte inside a field, reads through.
    #[test]
    fn trusting_crcs_still_checks_the_framing(batch in arb_batch(), at in any::<prop::sample::Index>(), xor in 1u8..) {
        let mut bytes = batch.encode().to_vec();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        let fetched = [Bytes::from(bytes)];
        let checked = PackedRecords::fetched(&fetched, 0, CrcCheck::Check, &[]);
        let trusted = PackedRecords::fetched(&fetched, 0, CrcCheck::Trust, &[]);
        if (8..12).contains(&i) || i == 16 {
            prop_assert!(trusted.is_err(), "a changed batch length or magic byte (at {}) is caught", i);
        }
        // (A changed attribute may name a codec its records are not in: CORRUPT_MESSAGE either way.)
        if trusted.is_err() {
            let checked = checked.map(|_| ()).unwrap_err();
            prop_assert_eq!(checked.name(), "CORRUPT_MESSAGE", "checking the CRC catches all that trusting it does");
        }
    }
}
