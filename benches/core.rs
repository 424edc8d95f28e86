//! Native throughput of the core's hot paths for 100-byte records in batches of 1000, next to two raw limits
//! measured in the same run on the same bytes: a plain copy, and a bare CRC32C.
//! Run: `cargo bench --bench core`. Prints one JSON line per figure.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use franz::core::log::PartitionLog;
use franz::core::record::{BatchHeader, Record, RecordBatch};
use franz::core::topic::TopicConfig;

const RECORDS_PER_BATCH: usize = 1000;
const VALUE_BYTES: usize = 100;
const BATCHES: usize = 2000;

/// Runs `f` once to warm up, then `BATCHES` times, and prints records per second.
fn measure(name: &str, mut f: impl FnMut(usize)) {
    f(0);
    let start = Instant::now();
    for i in 0..BATCHES {
        f(i);
    }
    report(name, BATCHES * RECORDS_PER_BATCH, start.elapsed().as_secs_f64());
}

fn report(name: &str, records: usize, seconds: f64) {
    println!(
        "{{\"bench\":\"{name}\",\"records\":{records},\"value_bytes\":{VALUE_BYTES},\"batch\":{RECORDS_PER_BATCH},\
         \"seconds\":{seconds:.4},\"records_per_sec\":{:.0},\"value_mb_per_sec\":{:.1}}}",
        records as f64 / seconds,
        (records * VALUE_BYTES) as f64 / seconds / 1e6
    );
}

fn main() {
    let records: Vec<Record> =
        (0..RECORDS_PER_BATCH).map(|i| Record::new(vec![b'x'; VALUE_BYTES], 1_700_000_000_000 + i as i64)).collect();
    let batch = RecordBatch::from_records(records);
    let bytes: Bytes = batch.encode();

    measure("raw limit: memcpy of the batch bytes", |_| {
        black_box(bytes.to_vec());
    });
    measure("raw limit: crc32c of the batch bytes", |_| {
        black_box(crc32c::crc32c(&bytes));
    });
    measure("encode+crc", |_| {
        black_box(batch.encode());
    });
    measure("decode+crc", |_| {
        black_box(RecordBatch::decode(bytes.clone()).unwrap());
    });

    let config = TopicConfig::default();
    let mut log = PartitionLog::new();
    measure("log append (validate+assign offsets)", |i| {
        black_box(log.append_as_leader(&bytes, 0, &config, i as i64).unwrap());
    });
    log.set_high_watermark(log.log_end_offset());

    let hw = log.high_watermark();
    let mut offset = log.log_start_offset();
    let start = Instant::now();
    while offset < hw {
        let batches = log.read(offset, 1 << 20, hw).unwrap();
        offset = BatchHeader::parse(batches.last().unwrap()).unwrap().last_offset() + 1;
        black_box(batches);
    }
    report("log read (1 MiB fetches, whole batches)", hw as usize, start.elapsed().as_secs_f64());
}
