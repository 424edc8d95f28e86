//! Smoke test in headless Chrome: the wasm module loads, and the core creates a topic, takes a produce and
//! serves it back, in memory; the core's CRC-32C in wasm's SIMD lanes.
#![cfg(target_arch = "wasm32")]

use bytes::Bytes;
use franz::core::cluster::{Cluster, NewTopic};
use franz::core::partitioner::{NullKeyStrategy, Partitioner};
use franz::core::record::{decode_batches, Record, RecordBatch};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn module_reports_its_version() {
    assert_eq!(franz::web::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn create_topic_produce_and_read_back_in_memory() {
    let now = js_sys::Date::now() as i64;
    let mut cluster = Cluster::new(3, 1);
    cluster.create_topic(&NewTopic::new("smoke.test.v1", 3, 2), false).unwrap();

    let mut partitioner = Partitioner::new(NullKeyStrategy::RoundRobin, 1);
    let partition = partitioner.partition("smoke.test.v1", Some(b"key-1"), None, 3, &[]).unwrap() as i32;
    let sent = vec![
        Record::keyed("key-1", "hello from wasm", now).with_header("trace", "abc"),
        Record::keyed("key-1", "second", now + 1),
    ];
    let result = cluster.produce("smoke.test.v1", partition, &RecordBatch::from_records(sent.clone()).encode(), now);
    assert_eq!(result.unwrap().base_offset, 0);

    let fetched = cluster.fetch("smoke.test.v1", partition, 0, 1 << 20).unwrap();
    assert_eq!(fetched.high_watermark, 2);
    let batches = decode_batches(&Bytes::from(fetched.batches.concat())).unwrap();
    let got: Vec<(i64, Record)> = batches.iter().flat_map(|b| b.consumer_records()).collect();
    assert_eq!(got.iter().map(|(o, _)| *o).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(got.into_iter().map(|(_, r)| r).collect::<Vec<_>>(), sent);

    let bad = cluster.produce("smoke.test.v1", partition, &Bytes::from_static(&[0; 70]), now).unwrap_err();
    assert_eq!(bad.name(), "CORRUPT_MESSAGE");
}

/// CRC-32C by Chorba's method in wasm's SIMD lanes (`core::record::crc`): the same as the `crc32c` crate's, from
/// any CRC so far, at every alignment, around the method's smallest input and at batch sizes. The native tests
/// check the same algorithm with a pair of words for lanes.
#[wasm_bindgen_test]
fn the_simd_lanes_give_crc32c() {
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let lengths = (0..3000).step_by(7).chain([1023, 1024, 1025, 63 * 1024, 65_536, 69_990]);
    for (n, len) in lengths.enumerate() {
        let (skip, so_far) = (n % 8, (n as u32).wrapping_mul(0x9E37_79B9));
        let input = &bytes[skip..skip + len];
        let simd = franz::core::record::crc::chorba_append(so_far, input);
        assert_eq!(simd, crc32c::crc32c_append(so_far, input), "length {len}");
    }
}
